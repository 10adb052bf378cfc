"""The formatting layer: figures and labels as people read them (worked by hand)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template

from portfolios import formatting as f


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1500"), "USD", "$1,500.00"),
        (Decimal("-2.5"), "USD", "−$2.50"),
        (Decimal("1234567.005"), "USD", "$1,234,567.01"),  # half-up at the cent
        (Decimal("-0.004"), "USD", "$0.00"),  # rounds to zero: no minus sign
        (Decimal("99.999"), "EUR", "€100.00"),
        (Decimal("10"), "SEK", "SEK 10.00"),
        (None, "USD", "—"),
    ],
)
def test_money_text(amount, currency, text):
    assert f.money_text(amount, currency) == text


def test_signed_money_marks_direction_of_cash_movements():
    assert f.signed_money_text(Decimal("120")) == "+$120.00"
    assert f.signed_money_text(Decimal("-80")) == "−$80.00"
    assert f.signed_money_text(Decimal("0")) == "$0.00"
    assert f.signed_money_text(Decimal("0.001")) == "$0.00"


def test_percents_and_points():
    assert f.percent_text(Decimal("0.0625")) == "6.25%"
    assert f.percent_text(Decimal("-0.051234"), 1) == "−5.1%"
    assert f.percent_text(Decimal("0.0125"), signed=True) == "+1.25%"
    assert f.points_text(Decimal("0.025")) == "+2.5 pp"
    assert f.points_text(Decimal("-0.0349")) == "−3.5 pp"
    assert f.points_text(None) == "—"


def test_quantities():
    assert f.quantity_text(Decimal("1234.5000")) == "1,234.5"
    assert f.quantity_text(Decimal("100.0000")) == "100"
    assert f.quantity_text(Decimal("-3")) == "−3"
    assert f.quantity_text(Decimal("0.125")) == "0.125"


def test_labels_replace_codes():
    assert f.asset_class_label("us_equity") == "US equity"
    assert f.asset_class_label("intl_equity") == "International equity"
    assert f.asset_class_label("unknown") == "Not yet classified"
    assert f.kind_label("mutual_fund") == "Mutual fund"
    assert f.transaction_type_label("OPTION_PREMIUM") == "Option premium"
    assert f.account_type_label("roth_ira") == "Roth IRA"
    assert f.sleeve_label("core") == "Core"
    assert f.sleeve_label("unassigned") == "No sleeve"
    assert f.band_status_label("over") == "Over target"
    assert f.band_status_class("under") == "status-under"
    assert f.term_label("long") == "Long-term"


def test_labels_cover_every_model_choice():
    from portfolios.models import Account, Security, Transaction

    for code, _ in Security.AssetClass.choices:
        assert "_" not in f.asset_class_label(code)
    for code, _ in Security.Kind.choices:
        assert "_" not in f.kind_label(code)
    for code, label in Transaction.Type.choices:
        assert f.transaction_type_label(code) == label
    for code, label in Account.Type.choices:
        assert f.account_type_label(code) == label


def test_security_text_puts_name_beside_ticker():
    assert f.security_text("VTI", "Vanguard Total Stock Market ETF") == (
        "VTI · Vanguard Total Stock Market ETF"
    )
    assert f.security_text("XYZ", "") == "XYZ"
    assert f.security_text("XYZ", "xyz") == "XYZ"


@pytest.mark.django_db
def test_person_name_prefers_the_name_people_use():
    user = get_user_model().objects.create_user("jdoe", first_name="Jane", last_name="Doe")
    assert f.person_name(user) == "Jane Doe"
    bare = get_user_model().objects.create_user("sam")
    assert f.person_name(bare) == "sam"


def test_template_filters():
    rendered = Template(
        "{% load hearth_format %}{{ a|money }}|{{ d|pp }}|{{ c|asset_class_label }}|"
        "{% security_name 'VTI' 'Total Market' %}"
    ).render(Context({"a": Decimal("-1234.5"), "d": Decimal("0.031"), "c": "bonds"}))
    assert rendered == "−$1,234.50|+3.1 pp|Bonds|VTI · Total Market"
