"""The formatting layer as the pages use it: signed cash movements, bands in points, the one
set of status classes, members by name, and the older filters giving the same text."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from portfolios import formatting as f
from portfolios.selectors.households import member_names


@pytest.mark.parametrize(
    ("kind", "amount", "text"),
    [
        # money into the account: deposits, sales, income
        ("DEPOSIT", Decimal("500"), "+$500.00"),
        ("SELL", Decimal("1234.5"), "+$1,234.50"),
        ("DIVIDEND", Decimal("12.345"), "+$12.35"),  # half-up at the cent
        ("RETURN_OF_CAPITAL", Decimal("3"), "+$3.00"),
        # money out: purchases, withdrawals, fees, tax withheld, a transfer leaving
        ("BUY", Decimal("1200"), "−$1,200.00"),
        ("WITHDRAWAL", Decimal("80"), "−$80.00"),
        ("FEE", Decimal("4.95"), "−$4.95"),
        ("TAX_WITHHELD", Decimal("6"), "−$6.00"),
        ("TRANSFER", Decimal("250"), "−$250.00"),
        # no cash moves: a dividend paid straight into shares, a split, an opening position
        ("REINVEST", Decimal("40"), "$40.00"),
        ("OPENING", Decimal("9000"), "$9,000.00"),
        ("BUY", None, "—"),
    ],
)
def test_cash_movements_are_signed_by_the_way_the_cash_goes(kind, amount, text):
    assert f.cash_movement_text(amount, kind) == text


def test_a_negative_amount_still_takes_its_types_direction():
    # amounts are stored positive (DESIGN §3); a stray negative one is not flipped twice
    assert f.cash_movement_text(Decimal("-100"), "WITHDRAWAL") == "−$100.00"
    assert f.cash_movement_text(Decimal("-100"), "DEPOSIT") == "+$100.00"


def test_cash_movement_tag_uses_the_accounts_currency():
    html = Template("{% load hearth_format %}{% cash_movement amount kind currency %}").render(
        Context({"amount": Decimal("2500"), "kind": "BUY", "currency": "EUR"})
    )
    assert html == "−€2,500.00"


def test_bands_are_unsigned_points_and_drift_is_signed():
    assert f.points_text(Decimal("0.05"), signed=False) == "5.0 pp"
    assert f.points_text(Decimal("0.0475"), signed=False) == "4.8 pp"  # 4.75 half-up
    assert f.points_text(Decimal("0.05")) == "+5.0 pp"
    html = Template("{% load hearth_format %}{{ band|points }} {{ drift|pp }}").render(
        Context({"band": Decimal("0.04"), "drift": Decimal("-0.0567")})
    )
    assert html == "4.0 pp −5.7 pp"


def test_every_status_has_its_class_and_words():
    assert [f.band_status_class(s) for s in ("ok", "over", "under", "untargeted", "?")] == [
        "status-ok",
        "status-over",
        "status-under",
        "status-untargeted",
        "",
    ]
    assert f.band_status_label("untargeted") == "No target"


def test_the_older_filters_give_the_formatting_layers_text():
    # one rule: the ledger, rebalancing, settings, performance, income and alert filters
    values = {"w": Decimal("0.490292"), "neg": Decimal("-0.0512"), "m": Decimal("-1234.5")}
    template = Template(
        "{% load ledger_format %}{{ w|weight_percent }}|"
        "{% load rebalancing_format %}{{ m|money }}|{{ 'us_equity'|asset_class_label }}|"
        "{{ 'over'|band_status }}|"
        "{% load settings_labels %}{{ 'unknown'|asset_class_label }}|{{ 'under'|status_label }}|"
        "{% load performance_format %}{{ neg|pct }}|"
        "{% load income_format %}{{ neg|percent:1 }}|"
        "{% load alert_format %}{{ w|pct }}|{{ 'intl_equity'|asset_class_label }}"
    )
    assert template.render(Context(values)).split("|") == [
        "49.03%",
        "−$1,234.50",
        "US equity",
        "Over target",
        "Not yet classified",
        "Under target",
        "−5.12%",
        "−5.1%",
        "49.0%",  # alert texts keep one decimal place
        "International equity",
    ]


def test_lookup_reads_a_dict_by_a_variable_key():
    html = Template("{% load hearth_format %}{{ names|lookup:who|default:who }}").render(
        Context({"names": {"alice": "Alice Lee"}, "who": "alice"})
    )
    assert html == "Alice Lee"
    gone = Template("{% load hearth_format %}{{ names|lookup:who|default:who }}").render(
        Context({"names": {"alice": "Alice Lee"}, "who": "zed"})
    )
    assert gone == "zed"  # a former member keeps the name the log recorded


def test_alert_messages_name_asset_classes_by_their_labels():
    from alerts.calculations.money_text import money_text, percent_text, signed_money_text

    assert money_text(Decimal("1500")) == "$1,500.00"
    assert signed_money_text(Decimal("-80")) == "−$80.00"
    assert percent_text(Decimal("0.0625")) == "6.3%"


@pytest.mark.django_db
def test_member_names_by_username(cast):
    # carol has no name on file: her username stands in; a named member shows by name
    cast.owner.first_name, cast.owner.last_name = "Ann", "Lee"
    cast.owner.save()
    names = member_names(household=cast.household_a)
    assert names[cast.owner.username] == "Ann Lee"
    assert names["carol"] == "carol"
    assert cast.outsider.username not in names
