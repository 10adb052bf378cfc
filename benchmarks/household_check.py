"""Compare a household loaded from the generator's files with the generator's own replay.

``gen_household.py`` (``../shared/bench/``) writes ``summary.json``: for every account its
end cash and, per position, the quantity. A household imported through the documented
commands must end with exactly those numbers. Used by ``make bench`` (heavy scale) and by
``tests/benchmarks/test_household_check.py`` (typical scale).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal


def household_differences(*, household, summary: dict) -> list[str]:
    """Return every way the household's end cash and quantities differ from ``summary``
    (empty when they are equal). Quantities come from the open tax lots, cash from the
    transactions' cash effects."""
    from portfolios.models import Account, TaxLot
    from portfolios.selectors.accounts import account_cash_balances

    accounts = dict(Account.objects.filter(household=household).values_list("name", "pk"))
    cash = account_cash_balances(household=household)
    quantities: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for account_id, symbol, quantity in TaxLot.objects.filter(household=household).values_list(
        "account_id", "security__symbol", "quantity"
    ):
        quantities[account_id][symbol] += quantity

    problems = []
    for name in sorted(set(summary["accounts"]) | set(accounts)):
        expected = summary["accounts"].get(name)
        if name not in accounts:
            problems.append(f"{name}: account missing")
            continue
        if expected is None:
            problems.append(f"{name}: account not in the summary")
            continue
        pk = accounts[name]
        if cash.get(pk, Decimal(0)) != Decimal(expected["cash"]):
            problems.append(f"{name}: cash {cash.get(pk)} != {expected['cash']}")
        held = {symbol: q for symbol, q in quantities[pk].items() if q != 0}
        wanted = {
            symbol: Decimal(position["quantity"])
            for symbol, position in expected["positions"].items()
            if Decimal(position["quantity"]) != 0
        }
        for symbol in sorted(held.keys() | wanted.keys()):
            if held.get(symbol, Decimal(0)) != wanted.get(symbol, Decimal(0)):
                problems.append(
                    f"{name} {symbol}: quantity {held.get(symbol, 0)} != {wanted.get(symbol, 0)}"
                )
    return problems
