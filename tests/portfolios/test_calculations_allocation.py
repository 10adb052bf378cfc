"""Pure allocation math; every number is worked out by hand in the comments (proposals:
``test_calculations_rebalancing.py``)."""

from decimal import Decimal

import pytest

from portfolios.calculations.allocation import (
    TargetSpec,
    ValuedItem,
    allocation_rows,
    asset_class_targets,
    band_fraction,
    sleeve_targets,
)

D = Decimal


def spec(sleeve, sleeve_weight, asset_class, weight, band=None, kind="absolute"):
    return TargetSpec(sleeve, D(sleeve_weight), asset_class, D(weight), band, kind)


def test_asset_class_target_sums_sleeve_weight_times_class_weight():
    # given core 60% (us_equity 50 / bonds 50) and growth 40% (us_equity 100)
    specs = [
        spec("core", 60, "us_equity", 50),
        spec("core", 60, "bonds", 50, band=D(2)),
        spec("growth", 40, "us_equity", 100),
    ]
    # when
    targets = asset_class_targets(specs, default_band=D(5))
    # then us_equity = 60 x 50 + 40 x 100 = 7,000 / 10,000 = 0.7; bonds 60 x 50 = 0.3
    assert targets["us_equity"].target == D("0.7")
    assert targets["bonds"].target == D("0.3")
    # and us_equity has no band of its own: the default 5 pp; bonds its own 2 pp
    assert (targets["us_equity"].band, targets["bonds"].band) == (D("0.05"), D("0.02"))


def test_relative_band_is_a_share_of_the_target():
    # 20% of a 0.40 target = 0.08; absolute 3 pp = 0.03; none -> default 5 pp = 0.05
    assert band_fraction(D("0.4"), D(20), "relative", D(5)) == D("0.08")
    assert band_fraction(D("0.4"), D(3), "absolute", D(5)) == D("0.03")
    assert band_fraction(D("0.4"), None, "relative", D(5)) == D("0.05")


def test_allocation_counts_cash_and_flags_over_under_and_untargeted():
    # given 7,000 us_equity, 2,500 bonds and 500 cash: total 10,000
    items = [
        ValuedItem("IRA", "core", "us_equity", D(7000)),
        ValuedItem("Joint", "core", "bonds", D(2500)),
        ValuedItem("Joint", None, "cash", D(500)),
    ]
    targets = asset_class_targets(
        [spec("core", 100, "us_equity", 60), spec("core", 100, "bonds", 40)], default_band=D(5)
    )
    # when
    rows = {row.group: row for row in allocation_rows(items, by="asset_class", targets=targets)}
    # then us_equity 0.70 - 0.60 = +0.10 > 0.05: over; bonds 0.25 - 0.40 = -0.15: under
    assert (rows["us_equity"].weight, rows["us_equity"].drift) == (D("0.7"), D("0.1"))
    assert rows["us_equity"].status == "over"
    assert (rows["bonds"].drift, rows["bonds"].status) == (D("-0.15"), "under")
    # and cash 500 / 10,000 = 0.05 has no target
    assert (rows["cash"].weight, rows["cash"].target, rows["cash"].status) == (
        D("0.05"),
        None,
        "untargeted",
    )


def test_sleeve_grouping_puts_accounts_without_a_sleeve_in_unassigned():
    items = [
        ValuedItem("IRA", "core", "us_equity", D(6000)),
        ValuedItem("Joint", None, "bonds", D(4000)),
    ]
    targets = sleeve_targets({"core": D(100), "growth": D(0)}, default_band=D(5))
    rows = {row.group: row for row in allocation_rows(items, by="sleeve", targets=targets)}
    # core 0.6 against 1.0: drift -0.4, under; growth 0 held, 0 target: ok
    assert (rows["core"].drift, rows["core"].status) == (D("-0.4"), "under")
    assert (rows["growth"].value, rows["growth"].status) == (D(0), "ok")
    assert rows["unassigned"].status == "untargeted"
    with pytest.raises(ValueError, match="grouping"):
        allocation_rows(items, by="color", targets={})
