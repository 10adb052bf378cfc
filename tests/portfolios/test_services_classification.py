"""A household's own classification of its securities: never another household's view."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts.services.recompute import household_recompute
from portfolios.errors import ApplicationError
from portfolios.models import AuditEvent, IdentityGroup, LedgerState, Security, SecurityProfile
from portfolios.selectors.allocation import allocation_list
from portfolios.selectors.ledger import holdings_report
from portfolios.selectors.securities import security_profiles
from portfolios.services.classification import securities_import, security_classify
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_hold_zq(cast):
    """A and B each hold 10 ZQ bought at 100, now 120, and 800 of cash."""
    zq = SecurityFactory(symbol="ZQ", name="ZQ Fund", kind="etf", asset_class="us_equity")
    for household in (cast.household_a, cast.household_b):
        account = AccountFactory(household=household, name="Taxable")
        deposit(account, "2025-01-02", 1800)
        buy(account, "2025-01-02", zq, 10, 1000)
    close(zq, "2025-01-02", 100)
    close(zq, "2025-06-02", 120)
    for household in (cast.household_a, cast.household_b):
        household_recompute(household=household)
    return zq


def test_classifying_in_one_household_leaves_the_other_unchanged(cast, both_hold_zq):
    # when A calls ZQ a bond fund
    view = security_classify(
        household=cast.household_a,
        security=both_hold_zq,
        changes={"asset_class": "bonds", "sector": "Aggregate bonds", "name": "Our bond fund"},
        user=cast.owner,
    )
    # then A sees it as bonds, by its own name, and it no longer needs review
    assert (view.asset_class, view.sector, view.name) == (
        "bonds",
        "Aggregate bonds",
        "Our bond fund",
    )
    assert view.classified and not view.needs_review
    # and B still sees the shared reference values
    other = security_profiles(household=cast.household_b, security_ids=[both_hold_zq.pk])
    assert (other[both_hold_zq.pk].asset_class, other[both_hold_zq.pk].name) == (
        "us_equity",
        "ZQ Fund",
    )
    # and the shared row itself is untouched
    both_hold_zq.refresh_from_db()
    assert both_hold_zq.asset_class == "us_equity"


def test_holdings_and_allocation_follow_each_households_classification(cast, both_hold_zq):
    security_classify(
        household=cast.household_a, security=both_hold_zq, changes={"asset_class": "bonds"}
    )
    a = holdings_report(household=cast.household_a)
    b = holdings_report(household=cast.household_b)
    assert [h.asset_class for h in a.holdings] == ["bonds"]
    assert [h.asset_class for h in b.holdings] == ["us_equity"]
    # 10 x 120 = 1,200 of ZQ and 1,800 - 1,000 = 800 of cash: ZQ is 1,200 / 2,000 = 60%
    a_rows = {row.group: row.weight for row in allocation_list(household=cast.household_a)}
    b_rows = {row.group: row.weight for row in allocation_list(household=cast.household_b)}
    assert a_rows == {"bonds": Decimal("0.6"), "cash": Decimal("0.4")}
    assert b_rows == {"us_equity": Decimal("0.6"), "cash": Decimal("0.4")}


def test_a_classification_is_audited_and_queues_a_recompute(cast, both_hold_zq):
    security_classify(
        household=cast.household_a,
        security=both_hold_zq,
        changes={"kind": "bond", "identity_group": "Total bond"},
        user=cast.member,
    )
    event = AuditEvent.objects.get(household=cast.household_a, action="security.classify")
    assert event.username == "carol"
    assert event.target == f"security {both_hold_zq.pk}: ZQ"
    assert event.changes == {"kind": ["etf", "bond"], "identity_group": ["", "Total bond"]}
    # the identity group is the household's own
    group = IdentityGroup.objects.get(household=cast.household_a, name="Total bond")
    assert list(group.securities.all()) == [both_hold_zq]
    # a recompute is queued from ZQ's first trade, as a transaction of that day would
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2025, 1, 2)


def test_bad_values_are_named_word_for_word_and_nothing_changes(cast, both_hold_zq):
    with pytest.raises(ApplicationError) as caught:
        security_classify(
            household=cast.household_a,
            security=both_hold_zq,
            changes={"asset_class": "stocks", "expense_ratio": "abc", "colour": "red"},
        )
    assert caught.value.errors == {
        "asset_class": [
            "must be one of us_equity, intl_equity, bonds, real_estate, commodities, cash, "
            "crypto, alternatives, unknown; got 'stocks'"
        ],
        "expense_ratio": ["must be a number, got 'abc'"],
        "colour": ["is not part of a security's classification"],
    }
    assert not SecurityProfile.objects.exists()


CSV_OK = (
    "Symbol,asset_class,Kind,sector,expense_ratio,dividend_frequency,qualified_dividend,identity_group\n"
    "zq,bonds,etf,Aggregate bonds,0.03,monthly,no,\n"
    "NEWCO,intl_equity,stock,,,,yes,\n"
)


def test_the_securities_file_classifies_all_at_once(cast, both_hold_zq):
    result = securities_import(
        household=cast.household_a, content=CSV_OK.encode(), file_name="classes.csv"
    )
    assert result.summary() == "classes.csv: updated 2, unchanged 0, new symbols 1"
    views = security_profiles(
        household=cast.household_a,
        security_ids=Security.objects.filter(symbol__in=["ZQ", "NEWCO"]).values_list(
            "pk", flat=True
        ),
    )
    by_symbol = {v.symbol: v for v in views.values()}
    zq = by_symbol["ZQ"]
    assert (zq.asset_class, zq.expense_ratio, zq.dividend_frequency, zq.qualified_default) == (
        "bonds",
        Decimal("0.03"),
        "monthly",
        False,
    )
    assert zq.name == "ZQ Fund"  # no name column: left as it was
    assert (by_symbol["NEWCO"].kind, by_symbol["NEWCO"].asset_class) == ("stock", "intl_equity")
    # B's view is unchanged
    assert security_profiles(household=cast.household_b)[both_hold_zq.pk].asset_class == "us_equity"


def test_a_bad_file_names_every_bad_line_and_changes_nothing(cast, both_hold_zq):
    content = (
        "symbol,kind,asset_class,expense_ratio,currency\n"
        "ZQ,etf,bonds,0.03,\n"
        "ZQ,etf,bonds,,\n"
        ",etf,bonds,,\n"
        "ABC,fund,bonds,150,\n"
        "XYZ,etf,bonds,,dollars\n"
    )
    with pytest.raises(ApplicationError) as caught:
        securities_import(household=cast.household_a, content=content.encode(), file_name="c.csv")
    assert caught.value.message == "c.csv was not imported: 4 lines need fixing."
    assert caught.value.errors == {
        "line 3": ["column symbol: ZQ is already on line 2"],
        "line 4": ["column symbol: is required"],
        "line 5": [
            "column kind: must be one of stock, etf, mutual_fund, bond, preferred, reit, "
            "option, crypto, money_market, cash, unknown; got 'fund'",
            "column expense_ratio: must be between 0 and 100, got '150'",
        ],
        "line 6": [
            "column currency: must be a three-letter currency code such as USD, got 'dollars'"
        ],
    }
    assert not SecurityProfile.objects.exists()
    assert not Security.objects.filter(symbol__in=["ABC", "XYZ"]).exists()


def test_unknown_columns_are_ignored_and_named_in_the_summary(cast, both_hold_zq):
    # given a file with two columns that are no part of a classification
    content = b"symbol,asset_class,First_Trading_Date,colour\nZQ,bonds,2020-01-02,red\n"
    # when imported
    result = securities_import(household=cast.household_a, content=content, file_name="c.csv")
    # then the known columns apply and the others are named, as written
    assert result.summary() == (
        "c.csv: updated 1, unchanged 0, new symbols 0; ignored columns: First_Trading_Date, colour"
    )
    view = security_profiles(household=cast.household_a)[both_hold_zq.pk]
    assert view.asset_class == "bonds"


def test_import_securities_command(cast, both_hold_zq, tmp_path, capsys):
    path = tmp_path / "classes.csv"
    path.write_text(CSV_OK)
    call_command("import_securities", "--household", "Alpha", str(path))
    assert capsys.readouterr().out.strip() == "classes.csv: updated 2, unchanged 0, new symbols 1"
    # the same file again changes nothing
    call_command("import_securities", "--household", "Alpha", str(path))
    assert capsys.readouterr().out.strip() == "classes.csv: updated 0, unchanged 2, new symbols 0"
    bad = tmp_path / "bad.csv"
    bad.write_text("symbol,kind\nZQ,fund\n")
    with pytest.raises(CommandError, match=r"^bad\.csv was not imported: 1 line needs fixing\.$"):
        call_command("import_securities", "--household", "Alpha", str(bad))
    assert "bad.csv: line 2: column kind: must be one of" in capsys.readouterr().err
