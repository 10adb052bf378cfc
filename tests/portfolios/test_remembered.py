"""Page figures kept until the data changes: the database's note of every write, and the pages
that read through it."""

from decimal import Decimal

import psycopg
import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from portfolios.models import ApiToken, IdentityGroup, Price, Transaction
from portfolios.remembered import data_version, remembered, unless_unchanged
from portfolios.services.data_changes import (
    CHANGE_TABLE,
    TRIGGER,
    change_log_compact,
    change_log_install,
    watched_tables,
)
from tests.conftest import token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

D = Decimal
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's transactions seen from two connections"
)


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s",
                [TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE %s",
                [f"{TRIGGER}_%"],
            )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db
def test_every_table_of_the_apps_notes_its_writes_but_those_written_on_reads():
    tables = set(watched_tables())
    # the ledger, the series, income and alerts are all watched, the many-to-many table too
    assert {
        "portfolios_transaction",
        "portfolios_taxlot",
        "portfolios_price",
        "portfolios_identitygroup_securities",
        "reporting_valuationseries",
        "income_projectedpayment",
        "alerts_alertepisode",
        "auth_user",  # owners' and members' names
    } <= tables
    # an API call stamps its token and a sign-in is audited: neither changes a figure
    assert not tables & {"portfolios_apitoken", "portfolios_auditevent", "django_session"}
    assert _triggered_tables() == tables
    # installing again adds nothing
    assert change_log_install() == 0


@pytest.mark.django_db
def test_each_write_changes_the_version_reads_and_stamps_do_not(cast):
    account = AccountFactory(household=cast.household_a)
    security = SecurityFactory(symbol="VTI")
    seen = [data_version()]

    def changed() -> bool:
        seen.append(data_version())
        return seen[-1] != seen[-2]

    deposit(account, "2024-01-02", 1000)
    assert changed()
    Transaction.objects.filter(account=account).update(memo="rent")
    assert changed()
    close(security, "2024-01-02", 10)
    assert changed()
    Price.objects.filter(security=security).delete()
    assert changed()
    group = IdentityGroup.objects.create(household=cast.household_a, name="S&P 500")
    assert changed()
    group.securities.add(security)  # the many-to-many table
    assert changed()
    with connection.cursor() as cursor:  # a write that bypasses the ORM is seen as well
        cursor.execute(
            f"UPDATE {Transaction._meta.db_table} SET memo = 'raw' WHERE account_id = %s",
            [account.pk],
        )
    assert changed()
    # reads, a token's "last used" stamp, a session and the audit log change nothing
    token_client(cast.owner, cast.household_a)
    seen.append(data_version())
    list(Transaction.objects.all())
    ApiToken.objects.update(last_used_at=None)
    SessionStore().create()
    assert not changed()


@pytest.mark.django_db
def test_a_rolled_back_savepoint_takes_its_version_back(cast):
    account = AccountFactory(household=cast.household_a)
    deposit(account, "2024-01-02", 1000)
    before = data_version()
    try:
        with transaction.atomic():
            deposit(account, "2024-01-03", 5)
            assert data_version() != before
            raise RuntimeError
    except RuntimeError:
        pass
    # the rows and the version go back together: the figures kept for `before` are right
    assert data_version() == before


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_another_transactions_write_is_a_new_version_when_it_commits_not_before(cast):
    account = AccountFactory(household=cast.household_a)
    before = data_version()
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
    )
    try:
        other.execute(
            "UPDATE portfolios_account SET name = 'Joint (renamed)' WHERE id = %s", [account.pk]
        )
        # uncommitted: not this connection's data, not its version
        assert data_version() == before
        other.commit()
        assert data_version() != before
    finally:
        other.close()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_compaction_keeps_one_note_and_a_version_never_seen_before(cast):
    account = AccountFactory(household=cast.household_a)
    versions = {data_version()}
    for day in ("2024-01-02", "2024-01-03", "2024-01-04"):
        deposit(account, day, 10)
        versions.add(data_version())
    assert change_log_compact() >= 3
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CHANGE_TABLE}")
        assert cursor.fetchone() == (1,)
    assert data_version() not in versions
    versions.add(data_version())
    deposit(account, "2024-01-05", 10)
    assert data_version() not in versions


@pytest.mark.django_db
def test_remembered_computes_once_per_version_and_key(cast):
    account = AccountFactory(household=cast.household_a)
    calls = []

    def compute():
        calls.append(1)
        return {"total": D("1.10")}

    assert remembered("figures", 1, compute=compute) == {"total": D("1.10")}
    assert remembered("figures", 1, compute=compute) == {"total": D("1.10")}
    assert len(calls) == 1
    remembered("figures", 2, compute=compute)  # another key
    assert len(calls) == 2
    deposit(account, "2024-01-02", 1)  # the data changed
    remembered("figures", 1, compute=compute)
    assert len(calls) == 3


@pytest.mark.django_db
def test_a_freshness_check_runs_again_only_after_a_write(cast):
    account = AccountFactory(household=cast.household_a)
    runs = []
    for _ in range(3):
        unless_unchanged("check", 1, check=lambda: runs.append(1))
    assert len(runs) == 1
    # a check that writes is run again next time (its write is a new version)
    unless_unchanged("writes", 1, check=lambda: deposit(account, "2024-01-02", 1))
    unless_unchanged("writes", 1, check=lambda: runs.append("again"))
    assert runs[-1] == "again"


@pytest.fixture
def held(cast):
    """Joint: 1,000 deposited, 10 VTI bought for 900 on Jan 2; VTI closes at 100 on May 31."""
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti = SecurityFactory(symbol="VTI")
    deposit(joint, "2024-01-02", 1000)
    buy(joint, "2024-01-02", vti, 10, 900, external_id="b1")
    close(vti, "2024-05-31", 100)
    call_command("recompute", stdout=None)
    return {"joint": joint, "vti": vti}


@time_machine.travel("2024-06-03 15:00Z")
@pytest.mark.django_db
def test_pages_show_a_new_transaction_at_once(cast, held, django_capture_on_commit_callbacks):
    # given each page read once, its figures kept
    browser = Client()
    browser.force_login(cast.owner)
    api, _ = token_client(cast.member, cast.household_a, scope="write")
    holdings = browser.get("/portfolio/holdings/").content.decode()
    dashboard = browser.get("/").content.decode()
    csv_before = api.get("/api/v1/holdings/?format=csv").content.decode()
    # then 10 VTI at 100 = $1,000.00 plus $100.00 cash: $1,100.00
    assert "$1,000.00" in holdings
    assert "$1,100.00" in dashboard
    assert ",10," in csv_before

    # when a member buys 5 more VTI for 100 through the API (and the worker recomputes)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
        "/api/v1/transactions/",
            {"date": "2024-06-03", "account": "Joint", "type": "buy", "symbol": "VTI",
             "quantity": "5", "price": "20", "id": "b2"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 201, response.content

    # then every page shows 15 VTI at once: 15 x 100 = $1,500.00, cash 100 - 100 = 0
    assert "$1,500.00" in browser.get("/portfolio/holdings/").content.decode()
    assert ",15," in api.get("/api/v1/holdings/?format=csv").content.decode()
    assert "$1,500.00" in browser.get("/").content.decode()


def test_figures_block_is_kept_under_its_key_and_never_shared_without_one():
    from django.core.cache import cache
    from django.template import Context, Template

    cache.clear()
    block = Template('{% load figures %}{% figures "page" %}{{ value }}{% endfigures %}')
    # with a key: rendered once, then read back until the key changes
    assert block.render(Context({"figures_key": "k1", "value": "1"})) == "1"
    assert block.render(Context({"figures_key": "k1", "value": "2"})) == "1"
    assert block.render(Context({"figures_key": "k2", "value": "2"})) == "2"
    # without one: rendered every time (a page that forgot its key is never served another's)
    assert block.render(Context({"value": "3"})) == "3"
    assert block.render(Context({"figures_key": "", "value": "4"})) == "4"


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_compacts_the_notes(cast):
    from portfolios.tasks import compact_change_log_task

    account = AccountFactory(household=cast.household_a)
    deposit(account, "2024-01-02", 10)
    before = data_version()
    assert compact_change_log_task.delay().get() >= 2  # the cast's writes and the deposit
    assert data_version() != before


@pytest.mark.django_db(transaction=True)
def test_a_bulk_price_write_is_noted_once_and_the_table_stays_watched(tmp_path):
    from portfolios.services.data_changes import one_note_for_bulk_write

    security = SecurityFactory(symbol="VTI")
    before = data_version()
    with transaction.atomic(), one_note_for_bulk_write(Price._meta.db_table):
        Price.objects.bulk_create(
            Price(security=security, date=f"2024-01-{day:02d}", close=D(day)) for day in (2, 3)
        )
    after = data_version()
    assert after != before
    # the table's trigger is back: the next write is a new version as well
    close(security, "2024-01-04", 4)
    assert data_version() != after
    assert Price._meta.db_table in _triggered_tables()


@pytest.mark.django_db
def test_figures_not_to_keep_are_computed_again():
    calls = []

    def compute():
        calls.append(1)
        return {"error": "provider down"}

    for _ in range(2):
        remembered("figures", 1, compute=compute, keep=lambda value: not value["error"])
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_sign_in_changes_no_figure_a_new_name_does(cast):
    from django.utils import timezone

    before = data_version()
    type(cast.owner).objects.filter(pk=cast.owner.pk).update(last_login=timezone.now())
    assert data_version() == before
    type(cast.owner).objects.filter(pk=cast.owner.pk).update(first_name="Alice")
    assert data_version() != before
