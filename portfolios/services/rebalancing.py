"""Writes of a household's rebalancing settings: trigger, harvest thresholds, each account's
cash floor and plan rule, and its map of replacement funds. All or nothing, audited."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from portfolios.models import (
    Account,
    AccountTradingRule,
    Household,
    RebalancePolicy,
    Replacement,
)
from portfolios.services.audit import audit_record, field_changes, model_values

POLICY_FIELDS = ("trigger", "frequency", "start_month", "harvest_min_loss", "harvest_min_loss_pct")
SYMBOL_LIMIT = 32


@dataclass(frozen=True)
class AccountRule:
    account_id: int
    cash_floor: Decimal
    buy_outside_holdings: bool = False


def rebalance_settings_update(
    *,
    household: Household,
    policy: dict,
    rules: list[AccountRule],
    replacements: list[tuple[str, str]],
    user=None,
    request=None,
) -> RebalancePolicy:
    """Save the household's rebalancing settings at once, or nothing.

    1. Check everything first: the policy's choices and ranges, that each rule names an
       account of this household with a floor of at least 0, and that each replacement pairs
       two different symbols with no symbol listed twice. Any problem raises
       ``ValidationError`` naming the field (``floor_<account id>``, ``replacements`` with
       the line) and nothing is written.
    2. Write the policy, the rules and the replacement map (replaced as a whole).
    3. Record one audit event with what changed.
    """
    errors: dict[str, list[str]] = {}
    current = RebalancePolicy.objects.filter(household=household).first()
    saved = current or RebalancePolicy(household=household)
    before = model_values(saved, POLICY_FIELDS)
    for name in POLICY_FIELDS:
        if name in policy:
            setattr(saved, name, policy[name])
    try:
        saved.full_clean(exclude=["household"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    accounts = {a.pk: a for a in Account.objects.filter(household=household)}
    for rule in rules:
        if rule.account_id not in accounts:
            errors.setdefault("rules", []).append(f"no account {rule.account_id} in this household")
        elif rule.cash_floor < 0:
            errors.setdefault(f"floor_{rule.account_id}", []).append(
                f"{accounts[rule.account_id].name}: the cash floor cannot be negative"
            )
    pairs = _checked_replacements(replacements, errors)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        saved.save()
        rule_changes = {}
        existing = {
            r.account_id: r for r in AccountTradingRule.objects.filter(account__household=household)
        }
        for rule in rules:
            old = existing.get(rule.account_id)
            values = (rule.cash_floor, rule.buy_outside_holdings)
            if old is not None and (old.cash_floor, old.buy_outside_holdings) == values:
                continue
            if old is None and values == (Decimal(0), False):
                continue
            AccountTradingRule.objects.update_or_create(
                account_id=rule.account_id,
                defaults={
                    "cash_floor": rule.cash_floor,
                    "buy_outside_holdings": rule.buy_outside_holdings,
                },
            )
            rule_changes[accounts[rule.account_id].name] = [
                [str(old.cash_floor), old.buy_outside_holdings] if old else None,
                [str(rule.cash_floor), rule.buy_outside_holdings],
            ]
        old_pairs = sorted(
            Replacement.objects.filter(household=household).values_list("symbol", "replacement")
        )
        if old_pairs != sorted(pairs):
            Replacement.objects.filter(household=household).delete()
            Replacement.objects.bulk_create(
                Replacement(household=household, symbol=s, replacement=r) for s, r in pairs
            )
        changes = field_changes(before, model_values(saved, POLICY_FIELDS))
        if rule_changes:
            changes["account_rules"] = rule_changes
        if old_pairs != sorted(pairs):
            changes["replacements"] = [
                [f"{s}={r}" for s, r in old_pairs],
                [f"{s}={r}" for s, r in sorted(pairs)],
            ]
        audit_record(
            action="rebalancing.update",
            household=household,
            user=user,
            request=request,
            target=saved,
            changes=changes,
        )
    return saved


def _checked_replacements(
    replacements: list[tuple[str, str]], errors: dict[str, list[str]]
) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    pairs = []
    for line, (symbol, replacement) in enumerate(replacements, start=1):
        symbol, replacement = symbol.strip().upper(), replacement.strip().upper()
        problem = None
        if not symbol or not replacement:
            problem = "needs a symbol and its replacement"
        elif len(symbol) > SYMBOL_LIMIT or len(replacement) > SYMBOL_LIMIT:
            problem = f"symbols are at most {SYMBOL_LIMIT} characters"
        elif symbol == replacement:
            problem = f"{symbol} cannot replace itself"
        elif symbol in seen:
            problem = f"{symbol} is already listed on line {seen[symbol]}"
        if problem:
            errors.setdefault("replacements", []).append(f"line {line}: {problem}")
            continue
        seen[symbol] = line
        pairs.append((symbol, replacement))
    return pairs
