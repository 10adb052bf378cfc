"""Move rules to DESIGN §8's kinds and scopes, and give every household the new defaults.

1. ``unrealized_loss`` (a % per lot) becomes ``harvestable_loss`` (money per position,
   default $1,000); its per-lot episodes are resolved, the next evaluation opens one per
   position.
2. Each rule takes its kind's scope; an old ``scope`` text stays as ``scope_name`` and
   names an account when it is one of the household's accounts.
3. Missing default rules are added (the list is copied here, not imported).
Rerunnable: every step leaves finished rows alone.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

DEFAULT_RULES = (
    ("allocation_drift", "household", None),
    ("allocation_drift", "sleeve", None),
    ("position_weight", "security", None),
    ("drawdown", "household", Decimal(15)),
    ("price_move", "security", Decimal(8)),
    ("income_shortfall", "household", Decimal(10)),
    ("dividend_cut", "security", Decimal(10)),
    ("stale_price", "security", Decimal(5)),
    ("cash_reserve", "household", None),
    ("harvestable_loss", "security", Decimal(1000)),
    ("volatility_spike", "security", Decimal(2)),
)
KIND_SCOPE = {
    "position_weight": "security",
    "stale_price": "security",
    "dividend_cut": "security",
    "harvestable_loss": "security",
    "income_shortfall": "household",
    "cash_reserve": "household",
    "drawdown": "household",
}


def forwards(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertEpisode = apps.get_model("alerts", "AlertEpisode")
    Account = apps.get_model("portfolios", "Account")
    Household = apps.get_model("portfolios", "Household")
    now = timezone.now()
    old = AlertRule.objects.filter(kind="unrealized_loss")
    AlertEpisode.objects.filter(rule__in=old, resolved_at__isnull=True).update(
        resolved_at=now, updated_at=now
    )
    for rule in old:
        taken = AlertRule.objects.filter(
            household_id=rule.household_id, kind="harvestable_loss", scope="security",
            scope_name=rule.scope_name,
        ).exists()
        if taken:
            rule.delete()
            continue
        rule.kind, rule.scope, rule.threshold = "harvestable_loss", "security", Decimal(1000)
        rule.save(update_fields=["kind", "scope", "threshold"])
    for rule in AlertRule.objects.filter(scope="household").exclude(kind__in=("value_level",)):
        scope = KIND_SCOPE.get(rule.kind, "household")
        if rule.scope_name and rule.kind == "drawdown" and Account.objects.filter(
            household_id=rule.household_id, name__iexact=rule.scope_name
        ).exists():
            scope = "account"
        if scope != rule.scope:
            rule.scope = scope
            rule.save(update_fields=["scope"])
    for household in Household.objects.all():
        for kind, scope, threshold in DEFAULT_RULES:
            AlertRule.objects.get_or_create(
                household=household, kind=kind, scope=scope, scope_name="", direction="below",
                defaults={"threshold": threshold},
            )


def backwards(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.filter(kind="harvestable_loss").update(
        kind="unrealized_loss", threshold=Decimal(10)
    )
    AlertRule.objects.exclude(kind__in=[*KIND_SCOPE, "unrealized_loss"]).delete()
    AlertRule.objects.filter(threshold__isnull=True).update(threshold=Decimal(0))


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_rule_scopes_and_notifications")]

    operations = [migrations.RunPython(forwards, backwards)]
