"""What a fault test's Hearth is asked in its own process: seed it, read its state.

Each function returns something JSON can carry; ``launch.py`` prints it.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count
from django.test import Client

SEED_HOUSEHOLD = "Fault Family"


def seed(session: str, priced_days_before: str = "1") -> dict:
    """Create the household the fault tests use, valued up to the day before ``session``.

    Owner alice and member bob, both with e-mail and the weekly report; one taxable account
    with a deposit of 20,000 and two positions bought 400 days before the session; demo
    closes up to the day before; the default alert rules, the position-weight rule at 10 %
    (each position is about half the household, so it fires for both).
    """
    from alerts.models import AlertRule
    from alerts.services import alert_rules_create_defaults
    from alerts.services.derived import derived_rebuild
    from portfolios.models import Membership, Transaction
    from portfolios.services.households import account_create, household_create, membership_add
    from portfolios.services.market_data import prices_refresh, security_get_or_create

    day = date.fromisoformat(session)
    household = household_create(name=SEED_HOUSEHOLD, owner_username="alice", password="pw-a-1")
    household.time_zone = "UTC"  # its weekly report is due on Mondays at 07:00 UTC
    household.save(update_fields=["time_zone"])
    membership_add(household=household, username="bob", role=Membership.Role.MEMBER)
    for membership in Membership.objects.filter(household=household).select_related("user"):
        membership.user.email = f"{membership.user.username}@example.com"
        membership.user.save(update_fields=["email"])
    account = account_create(household=household, name="Joint", type="taxable")
    start = day - timedelta(days=400)
    Transaction.objects.create(
        account=account,
        trade_date=start,
        type="DEPOSIT",
        amount=Decimal(20000),
        external_id="seed-deposit",
    )
    for symbol, quantity, amount in (("VTI", 40, "9000"), ("BND", 100, "8000")):
        security, _ = security_get_or_create(symbol=symbol)
        Transaction.objects.create(
            account=account,
            trade_date=start,
            type="BUY",
            security=security,
            quantity=Decimal(quantity),
            price=Decimal(amount) / quantity,
            amount=Decimal(amount),
            external_id=f"seed-{symbol}",
        )
    prices_refresh(provider_name="demo", today=day - timedelta(days=int(priced_days_before)))
    derived_rebuild(household=household)
    alert_rules_create_defaults(household=household)
    AlertRule.objects.filter(household=household, kind=AlertRule.Kind.POSITION_WEIGHT).update(
        threshold=Decimal(10)
    )
    return {"household": household.pk}


def state() -> dict:
    """Return the counts a doubled or lost task would change, and digests of what the API
    serves from the ledger, the valuation series and the projection."""
    from alerts.models import AlertEpisode
    from income.models import ProjectionSnapshot
    from portfolios.models import Price
    from reporting.models import WeeklyReportDelivery

    return {
        "prices": Price.objects.count(),
        "last_close": str(Price.objects.order_by("-date").values_list("date", flat=True).first()),
        "episodes": AlertEpisode.objects.count(),
        "episodes_open_per_subject": list(
            AlertEpisode.objects.filter(resolved_at__isnull=True)
            .values("rule__kind", "subject")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values_list("subject", "n")
        ),
        "episodes_emailed": AlertEpisode.objects.filter(emailed_at__isnull=False).count(),
        "weekly_sent": WeeklyReportDelivery.objects.filter(sent_at__isnull=False).count(),
        "snapshots": ProjectionSnapshot.objects.count(),
        "served": api_checksums(),
    }


def api_checksums(username: str = "alice") -> dict:
    """Return digests of what the household's API serves: lots, gains, holdings, series,
    projection (CSV bodies), so two runs compare by what a user reads."""
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    result = {}
    for route in (
        "lots/",
        "realized-gains/",
        "holdings/",
        "transactions/",
        "performance/series/",
        "income/projection/",
    ):
        response = client.get(f"/api/v1/{route}?format=csv")
        assert response.status_code == 200, (route, response.status_code)
        body = (  # the transactions and realized-gains CSVs stream as they are read
            b"".join(response.streaming_content) if response.streaming else response.content
        )
        result[route] = hashlib.sha256(body).hexdigest()
    return result


def ledger_digest(household: str = SEED_HOUSEHOLD) -> dict:
    """Return row counts and digests of the household's transactions, lots and reliefs, by
    content alone (names, dates, amounts; no database ids), so two databases compare."""
    from portfolios.models import Household, LotRelief, TaxLot, Transaction

    target = Household.objects.get(name=household)
    tables = {
        "transactions": Transaction.objects.filter(account__household=target).values_list(
            "account__name",
            "trade_date",
            "type",
            "security__symbol",
            "quantity",
            "price",
            "amount",
            "fees",
            "external_id",
        ),
        # A lot's key is its opening transaction's database id (and the piece cut from it):
        # two databases number rows differently, so the lot is named by that transaction's
        # external id instead, with the piece.
        "lots": TaxLot.objects.filter(household=target).values_list(
            "account__name",
            "security__symbol",
            "opening_transaction__external_id",
            "lot_key",
            "acquired",
            "holding_period_start",
            "quantity_original",
            "quantity",
            "cost_basis",
            "wash_sale_adjustment",
        ),
        "reliefs": LotRelief.objects.filter(household=target).values_list(
            "account__name",
            "security__symbol",
            "opening_transaction__external_id",
            "lot_key",
            "sequence",
            "acquired",
            "sold",
        ),
    }
    result = {}
    for name, rows in tables.items():
        if name != "transactions":  # the lot key's database id out, its piece kept
            rows = [(*row[:3], str(row[3]).partition(".")[2], *row[4:]) for row in rows]
        canonical = sorted(repr(tuple(str(v) for v in row)) for row in rows)
        result[name] = [len(canonical), hashlib.sha256("\n".join(canonical).encode()).hexdigest()]
    return result


def run_tasks(phases: str) -> list[dict]:
    """Run tasks in this process, eagerly, phase after phase; return the state after each.

    ``phases`` is JSON: a list of phases, each a list of ``[task name, args]`` or of
    ``["manage", [command args]]``. This is the clean run a fault test compares with: the
    same work, one task after another, nothing failing.
    """
    import json

    from celery import current_app
    from django.core.management import call_command

    current_app.conf.task_always_eager = True
    current_app.loader.import_default_modules()
    states = []
    for phase in json.loads(phases):
        for name, args in phase:
            if name == "manage":
                call_command(*args, verbosity=0)
            else:
                current_app.tasks[name].delay(*args)
        states.append(state())
    return states
