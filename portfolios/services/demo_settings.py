"""Fill every setting of the demo household through the settings services, so the demo
shows each settings page in use (and its audit log records how)."""

from __future__ import annotations

import csv
import io
from datetime import date

from portfolios.models import Household, Security
from portfolios.providers.demo import DemoProvider
from portfolios.services.accounts import account_add, account_close
from portfolios.services.classification import securities_import
from portfolios.services.demo_history import demo_securities
from portfolios.services.policy import household_update, targets_replace
from portfolios.services.tokens import api_token_issue

POLICY = {
    "monthly_income_target": "1500",
    "cash_reserve_months": "6",
    "default_band": "5",
    "max_position_weight": "12",
    "max_expense_ratio": "0.4",
    "default_lot_method": "fifo",
    "default_benchmark": "VTI:60,BND:40",
    "min_trade_amount": "100",
    "federal_marginal_rate": "22",
    "state_marginal_rate": "5",
    "qualified_dividend_rate": "15",
    "long_term_rate": "15",
}
# (sleeve, sleeve target, asset class, target, band, band kind); blank band: the default.
TARGETS = [
    ("core", "70", "us_equity", "55", "", "absolute"),
    ("core", "70", "intl_equity", "20", "4", "absolute"),
    ("core", "70", "bonds", "25", "20", "relative"),
    ("income", "20", "us_equity", "45", "", "absolute"),
    ("income", "20", "real_estate", "25", "", "absolute"),
    ("income", "20", "bonds", "30", "", "absolute"),
    ("growth", "10", "us_equity", "100", "10", "absolute"),
]
SECTORS = {
    "VGT": "Technology",
    "QQQ": "Technology",
    "VUG": "Growth stocks",
    "SCHD": "Dividend stocks",
    "JEPI": "Covered-call income",
    "VNQ": "Real estate",
    "O": "Real estate",
    "PFF": "Preferred stock",
    "BND": "Aggregate bonds",
}
IDENTICAL = {"VOO": "S&P 500 index funds", "IVV": "S&P 500 index funds"}


def demo_settings_fill(*, household: Household, owner, today: date) -> None:
    """Set the policy, targets with bands, the classification of every demo security (with
    sectors and the S&P 500 identity group), the provider's names, a spreadsheet token and
    a closed old account."""
    household_update(household=household, changes=POLICY, user=owner)
    targets_replace(
        household=household,
        rows=[
            dict(
                zip(
                    ("sleeve", "sleeve_target", "asset_class", "target", "band", "band_kind"),
                    t,
                    strict=True,
                )
            )
            for t in TARGETS
        ],
        user=owner,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "symbol",
            "name",
            "kind",
            "asset_class",
            "sector",
            "expense_ratio",
            "dividend_frequency",
            "qualified_dividend",
            "identity_group",
        ]
    )
    specs = [*demo_securities(today)]
    for spec in specs:
        sector = SECTORS.get(spec.symbol) or (
            "US Treasuries" if spec.kind == "bond" else "Broad market"
        )
        writer.writerow(
            [
                spec.symbol,
                spec.name,
                spec.kind,
                spec.asset_class,
                sector,
                spec.expense_ratio if spec.expense_ratio is not None else "",
                spec.frequency or "none",
                "yes" if spec.qualified else "no",
                IDENTICAL.get(spec.symbol, ""),
            ]
        )
    writer.writerow(
        [
            "IVV",
            "iShares Core S&P 500 ETF",
            "etf",
            "us_equity",
            "Broad market",
            "0.03",
            "quarterly",
            "yes",
            IDENTICAL["IVV"],
        ]
    )
    securities_import(
        household=household,
        content=buffer.getvalue().encode(),
        file_name="demo-securities.csv",
        user=owner,
    )
    provider = DemoProvider()
    for security in Security.objects.filter(symbol__in=[s.symbol for s in specs] + ["IVV"]):
        described = provider.describe(security.symbol)
        if described is not None:
            Security.objects.filter(pk=security.pk).update(
                provider_name=described.name, provider_kind=described.kind
            )
    api_token_issue(
        household=household, user=owner, name="Budget spreadsheet", scope="read", expiry="365"
    )
    old = account_add(
        household=household,
        fields={
            "name": "Old employer 401(k)",
            "type": "401k",
            "institution": "Empower",
            "owner": owner.get_username(),
        },
        user=owner,
    )
    account_close(account=old, user=owner)
