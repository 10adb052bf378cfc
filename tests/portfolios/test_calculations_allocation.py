"""Pure allocation and rebalancing math; every number is worked out by hand in the comments."""

from datetime import date
from decimal import Decimal

import pytest

from portfolios.calculations.allocation import (
    LotCandidate,
    Purchase,
    TargetSpec,
    TaxRates,
    ValuedItem,
    allocation_rows,
    asset_class_targets,
    band_fraction,
    rebalance_trades,
    sell_order,
    sleeve_targets,
    wash_sale_conflicts,
)

D = Decimal
RATES = TaxRates(long_term=D(15), short_term=D(27))


def spec(sleeve, sleeve_weight, asset_class, weight, band=None, kind="absolute"):
    return TargetSpec(sleeve, D(sleeve_weight), asset_class, D(weight), band, kind)


def lot(lot_id, account, treatment, quantity, cost, price, term="long", asset_class="us_equity"):
    return LotCandidate(
        lot_id=lot_id,
        account=account,
        tax_treatment=treatment,
        symbol="VTI",
        asset_class=asset_class,
        acquired=date(2020, 1, lot_id),
        quantity=D(quantity),
        cost_basis=D(cost),
        price=D(price),
        term=term,
    )


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


def test_sell_order_prefers_ira_then_losses_then_long_then_short_and_highest_basis():
    ira = lot(1, "IRA", "tax_deferred", 10, 1000, 120)
    loss = lot(2, "Joint", "taxable", 10, 1500, 120)
    long_low = lot(3, "Joint", "taxable", 10, 800, 120, "long")
    long_high = lot(4, "Joint", "taxable", 10, 900, 120, "long")
    short = lot(5, "Joint", "taxable", 10, 500, 120, "short")
    ordered = sorted([short, long_low, loss, long_high, ira], key=sell_order)
    assert [c.lot_id for c in ordered] == [1, 2, 4, 3, 5]


def test_rebalance_sells_the_excess_taxable_gains_last_and_estimates_tax():
    # given us_equity 7,000 of 10,000 against 60% +-5 pp, bonds 3,000 against 40%
    items = [ValuedItem("Joint", "core", "us_equity", D(7000))]
    items.append(ValuedItem("Joint", "core", "bonds", D(3000)))
    targets = asset_class_targets(
        [spec("core", 100, "us_equity", 60), spec("core", 100, "bonds", 40)], default_band=D(5)
    )
    rows = allocation_rows(items, by="asset_class", targets=targets)
    # and VTI at 100 in two taxable lots: 40 short-term shares costing 3,200 (80/share) and
    # 30 long-term shares costing 1,500 (50/share)
    lots = [
        lot(1, "Joint", "taxable", 40, 3200, 100, "short"),
        lot(2, "Joint", "taxable", 30, 1500, 100, "long"),
    ]
    # when
    trades = rebalance_trades(
        rows, total=D(10000), lots=lots, cash={"Joint": D(0)}, buy_hints={}, rates=RATES
    )
    # then 7,000 - 0.6 x 10,000 = 1,000 is sold from the long-term lot first: 10 shares
    # whose basis is 1,500 x 10 / 30 = 500, gain 500, tax 500 x 15% = 75
    sell = trades[0]
    assert (sell.action, sell.amount, sell.quantity, sell.estimated_tax) == (
        "sell",
        D("1000.00"),
        D("10.0000"),
        D("75.00"),
    )
    assert sell.lots == "2 (2020-01-02)"
    assert sell.reason == ("us_equity 70.0% is above its 60.0% target by more than the 5.0 pp band")
    # and 0.4 x 10,000 - 3,000 = 1,000 of bonds is bought with the proceeds in Joint, with no
    # bonds held: no symbol
    buy = trades[1]
    assert (buy.account, buy.action, buy.symbol, buy.amount, buy.quantity) == (
        "Joint",
        "buy",
        None,
        D("1000.00"),
        None,
    )
    assert "holds no bonds" in buy.reason


def test_loss_lot_gives_a_negative_tax_and_a_partial_lot_is_sold():
    # given us_equity 8,000 of 10,000 against 60 +-5: sell 2,000 from a loss lot of 30 shares
    # at 100 costing 3,600 (short term, 27%)
    items = [
        ValuedItem("Joint", "core", "us_equity", D(8000)),
        ValuedItem("Joint", "core", "bonds", D(2000)),
    ]
    targets = asset_class_targets(
        [spec("core", 100, "us_equity", 60), spec("core", 100, "bonds", 40)], default_band=D(5)
    )
    rows = allocation_rows(items, by="asset_class", targets=targets)
    lots = [lot(7, "Joint", "taxable", 30, 3600, 100, "short")]
    trades = rebalance_trades(rows, total=D(10000), lots=lots, cash={}, buy_hints={}, rates=RATES)
    # then 20 shares, basis 3,600 x 20 / 30 = 2,400, gain 2,000 - 2,400 = -400,
    # tax -400 x 27% = -108
    assert (trades[0].quantity, trades[0].estimated_tax) == (D("20.0000"), D("-108.00"))


def test_nothing_outside_its_band_trades_nothing():
    items = [ValuedItem("Joint", "core", "us_equity", D(6300))]
    items.append(ValuedItem("Joint", "core", "bonds", D(3700)))
    targets = asset_class_targets(
        [spec("core", 100, "us_equity", 60), spec("core", 100, "bonds", 40)], default_band=D(5)
    )
    # 0.63 - 0.60 = 0.03 within 0.05
    rows = allocation_rows(items, by="asset_class", targets=targets)
    assert rebalance_trades(rows, total=D(10000), lots=[], cash={}, buy_hints={}, rates=RATES) == []


def test_wash_sale_conflicts_look_back_30_days_across_identical_securities():
    today = date(2024, 6, 30)
    purchases = [
        Purchase(1, "Joint", 10, "VTI", date(2024, 6, 20), D(5)),  # same security, 10 days
        Purchase(2, "Spouse IRA", 11, "ITOT", date(2024, 5, 31), D("2.5")),  # group, 30 days
        Purchase(3, "Joint", 11, "ITOT", date(2024, 5, 30), D(1)),  # 31 days: too old
        Purchase(4, "Joint", 12, "BND", date(2024, 6, 25), D(1)),  # not identical
        Purchase(5, "Joint", 10, "VTI", date(2024, 6, 29), D(3)),  # the lot's own purchase
    ]
    conflicts = wash_sale_conflicts(
        identical={10, 11}, purchases=purchases, today=today, opening_transaction_id=5
    )
    assert conflicts == ["Spouse IRA ITOT 2024-05-31 2.5", "Joint VTI 2024-06-20 5"]
