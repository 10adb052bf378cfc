"""The rebalancing optimiser on households small enough to work by hand.

Rates everywhere (``RATES``): short-term gains and ordinary income 27% (22% federal + 5%
state), long-term gains and qualified dividends 20% (15% + 5%). Prices are round so every
number below is worked out in the comment above it.
"""

from datetime import date
from decimal import Decimal

from portfolios.calculations.rebalancing import (
    AccountState,
    GroupTarget,
    HarvestThresholds,
    HouseholdState,
    LotState,
    Mode,
    Policy,
    Rates,
    Request,
    SecurityState,
    WashEvent,
    harvest_candidates,
    location_hints,
    naive_tax,
    propose,
)

D = Decimal
TODAY = date(2025, 6, 2)
RATES = Rates(short_term=D("0.27"), long_term=D("0.20"), ordinary=D("0.27"), qualified=D("0.20"))
VTI = SecurityState(10, "VTI", "us_equity", D(100), "g1", income_yield=D("0.015"))
BND = SecurityState(11, "BND", "bonds", D(100), "s11", income_yield=D("0.04"), ordinary_income=True)
ITOT = SecurityState(12, "ITOT", "us_equity", D(40), "g1")
IRA = AccountState(1, "IRA", "tax_deferred", D(0))
JOINT = AccountState(2, "Joint", "taxable", D(0))


def policy(us="0.5", bonds="0.5", band="0.05", min_trade=100, reserve=0):
    return Policy(
        targets={"us_equity": GroupTarget(D(us), D(band)), "bonds": GroupTarget(D(bonds), D(band))},
        min_trade=D(min_trade),
        reserve=D(reserve),
        rates=RATES,
        labels={"us_equity": "US equity", "bonds": "Bonds"},
    )


def lot(ref, account, security, quantity, cost, acquired=date(2023, 1, 3), term="long"):
    return LotState(
        ref=ref,
        account_id=account.id,
        security_id=security.id,
        quantity=D(quantity),
        cost_basis=D(cost),
        acquired=acquired,
        term=term,
        opening_transaction_id=int(ref[1:]),
    )


def household(accounts, lots, securities=(VTI, BND), *, goals=None, **events) -> HouseholdState:
    by_id = {s.id: s for s in securities}
    positions: dict = {}
    for item in lots:
        key = (item.account_id, item.security_id)
        positions[key] = positions.get(key, D(0)) + item.quantity * by_id[item.security_id].price
    return HouseholdState(
        today=TODAY,
        accounts=tuple(accounts),
        securities=by_id,
        positions=positions,
        lots=tuple(lots),
        policy=goals or policy(),
        **events,
    )


def summary(proposal):
    return [(r.account, r.action, r.symbol, r.quantity, r.amount, r.lots) for r in proposal.rows]


def test_sells_in_the_ira_before_a_taxable_account_with_gains():
    # given the IRA: 50 VTI bought for 4,000; Joint: 20 VTI for 1,000 and 30 BND for 3,000.
    # VTI 100, BND 100: VTI 7,000 + BND 3,000 = 10,000, no cash; target 60 / 40 ± 5 pp.
    state = household(
        [IRA, JOINT],
        [
            lot("T1", IRA, VTI, 50, 4000),
            lot("T2", JOINT, VTI, 20, 1000),
            lot("T3", JOINT, BND, 30, 3000),
        ],
        goals=policy(us="0.6", bonds="0.4"),
    )
    # when
    proposal = propose(state)
    # then us_equity 70% is 10 pp over: 7,000 − 0.6 × 10,000 = 1,000 = 10 VTI, sold in the IRA
    # (no tax) rather than Joint (gain 50 a share, tax 10 a share); the IRA buys 10 BND with it
    assert summary(proposal) == [
        ("IRA", "sell", "VTI", D(10), D("1000.00"), "T1:10"),
        ("IRA", "buy", "BND", D(10), D("1000.00"), ""),
    ]
    sell = proposal.rows[0]
    # the IRA lot's basis is 4,000 × 10 / 50 = 800: gain 200, no tax in a tax-deferred account
    assert (sell.estimated_gain, sell.estimated_tax) == (D("200.00"), D("0.00"))
    assert "No tax" in sell.reason
    assert proposal.problems == []
    assert [(o.asset_class, o.after_weight, o.status) for o in proposal.outcomes] == [
        ("us_equity", D("0.6"), "ok"),
        ("bonds", D("0.4"), "ok"),
    ]
    # and a proportional rebalance sells 1,000 / 7,000 of every VTI position, to the nearest
    # share: Joint's 20 × 1/7 = 2.86 → 3 shares, gain 3 × 50 = 150, tax 150 × 20% = 30
    assert proposal.naive_tax == D("30.00")


def test_taxable_only_household_sells_the_loss_lot_first_and_keeps_the_short_term_lot():
    # given Joint only, no cash: VTI at 100 in three lots —
    #   T1 10 shares for 1,200 (long-term loss of 200), T2 20 for 1,600 (short-term gain 400),
    #   T3 20 for 1,000 (long-term gain 1,000) — and 30 BND for 3,000. Target 50 / 50 ± 5 pp.
    state = household(
        [JOINT],
        [
            lot("T1", JOINT, VTI, 10, 1200),
            lot("T2", JOINT, VTI, 20, 1600, date(2025, 3, 3), "short"),
            lot("T3", JOINT, VTI, 20, 1000),
            lot("T4", JOINT, BND, 30, 3000),
        ],
    )
    # when
    proposal = propose(state)
    # then VTI 5,000 of 8,000 = 62.5%: 5,000 − 0.5 × 8,000 = 1,000 = 10 shares, all from the
    # loss lot T1: a loss of 200 saving 200 × 20% = 40; T2 (short-term) and T3 stay
    sell, buy = proposal.rows
    assert (sell.action, sell.quantity, sell.lots) == ("sell", D(10), "T1:10")
    assert (sell.estimated_gain, sell.estimated_tax) == (D("-200.00"), D("-40.00"))
    assert (buy.action, buy.symbol, buy.quantity, buy.amount) == ("buy", "BND", D(10), D("1000.00"))
    # and the proportional rebalance sells 1/5 of the position, 10 shares, spread over the
    # lots in proportion:
    # −200 × 0.2 × 20% + 400 × 0.2 × 27% + 1,000 × 0.2 × 20% = −8 + 21.60 + 40 = 53.60
    assert proposal.naive_tax == D("53.60")
    assert proposal.estimated_tax == D("-40.00")


def test_a_loss_sale_is_blocked_by_the_spouses_ira_purchase_ten_days_earlier():
    # given Joint: VTI T1 10 shares for 1,200 (loss 200), T2 20 for 1,000 (gain 50 a share),
    # 20 BND for 2,000; Carol's IRA bought 2 ITOT at 40 (80: under the 100 minimum trade, so
    # not for sale) ten days ago, and ITOT is in VTI's identity group
    carol = AccountState(3, "Carol IRA", "tax_deferred", D(0))
    purchase = WashEvent("g1", 3, date(2025, 5, 23), "Carol IRA ITOT 2025-05-23 2", 99)
    state = household(
        [JOINT, carol],
        [
            lot("T1", JOINT, VTI, 10, 1200),
            lot("T2", JOINT, VTI, 20, 1000),
            lot("T5", JOINT, BND, 20, 2000),
            lot("T99", carol, ITOT, 2, 80, date(2025, 5, 23), "short"),
        ],
        securities=(VTI, BND, ITOT),
        purchases=(purchase,),
    )
    # when
    proposal = propose(state)
    # then us_equity is 3,080 of 5,080 = 60.6%, over its 55% edge by 3,080 − 2,794 = 286.
    # Selling T1 would be a wash sale, so the shares come from T2, whose gain is taxed: only
    # down to the band's edge (target costs more tax than it is worth), 2.86 shares, rounded
    # down to 2 and a share added back to land inside the band: 3 shares, gain
    # 3 × (100 − 50) = 150, tax 150 × 20% = 30
    assert summary(proposal)[0] == ("Joint", "sell", "VTI", D(3), D("300.00"), "T2:3")
    assert proposal.rows[0].estimated_tax == D("30.00")
    # and the 300 of proceeds buy 3 BND: bonds 2,300 / 5,080 = 45.3%, us 2,780 / 5,080 = 54.7%
    assert summary(proposal)[1] == ("Joint", "buy", "BND", D(3), D("300.00"), "")
    assert [o.status for o in proposal.outcomes] == ["ok", "ok"]


def test_drift_fixable_by_cash_alone_sells_nothing():
    # given Joint with 2,000 of cash, 40 VTI for 4,000 and 20 BND for 2,000 (VTI, BND at 100):
    # total 8,000; bonds 25% against 40 ± 5 pp
    joint = AccountState(2, "Joint", "taxable", D(2000))
    state = household(
        [joint],
        [lot("T1", joint, VTI, 40, 4000), lot("T2", joint, BND, 20, 2000)],
        goals=policy(us="0.6", bonds="0.4"),
    )
    # when
    proposal = propose(state)
    # then 0.4 × 8,000 − 2,000 = 1,200 of BND (12 shares) and 0.6 × 8,000 − 4,000 = 800 of VTI
    # (8 shares), both from the cash: 1,200 + 800 = 2,000; nothing sold
    assert summary(proposal) == [
        ("Joint", "buy", "BND", D(12), D("1200.00"), ""),
        ("Joint", "buy", "VTI", D(8), D("800.00"), ""),
    ]
    assert proposal.estimated_tax == D(0)


def test_inside_the_bands_proposes_nothing():
    # given 52 VTI and 48 BND at 100: 52% / 48% against 50 / 50 ± 5 pp
    state = household([JOINT], [lot("T1", JOINT, VTI, 52, 5200), lot("T2", JOINT, BND, 48, 4800)])
    # when
    proposal = propose(state)
    # then
    assert (proposal.rows, proposal.problems, proposal.needed) == ([], [], False)
    # unless the household asks for target: 2 VTI sold (200, at cost: no gain), 2 BND bought
    to_target = propose(state, Request(to_target=True))
    assert summary(to_target) == [
        ("Joint", "sell", "VTI", D(2), D("200.00"), "T1:2"),
        ("Joint", "buy", "BND", D(2), D("200.00"), ""),
    ]


def test_minimum_trade_size_leaves_out_trades_below_it():
    # given Joint: 62 VTI (6,200) and 38 BND (3,800) at cost, with 150 of cash; the IRA holds
    # 1 VTI worth 100 with 90 of cash. Target 50 / 50 ± 5 pp; the minimum trade is 1,000.
    ira = AccountState(1, "IRA", "tax_deferred", D(90))
    joint = AccountState(2, "Joint", "taxable", D(150))
    state = household(
        [ira, joint],
        [
            lot("T1", joint, VTI, 62, 6200),
            lot("T2", joint, BND, 38, 3800),
            lot("T3", ira, VTI, 1, 100),
        ],
        goals=policy(min_trade=1000),
    )
    # when
    proposal = propose(state)
    # then total 6,300 + 3,800 + 240 = 10,340: VTI 60.9% is over; to target
    # 6,300 − 5,170 = 1,130. The IRA's single share (100) is under 1,000 and its 90 of cash
    # cannot buy anything: only Joint trades, each trade at least 1,000. Joint sells 11 VTI
    # (1,100, rounded down from 11.3, at cost: no tax) and buys 12 BND (1,200) with the
    # proceeds and its 150 of cash (1,250)
    assert summary(proposal) == [
        ("Joint", "sell", "VTI", D(11), D("1100.00"), "T1:11"),
        ("Joint", "buy", "BND", D(12), D("1200.00"), ""),
    ]
    assert all(row.amount >= 1000 for row in proposal.rows)


def test_an_infeasible_band_is_named_with_its_reason():
    # given Joint holds only VTI: 80 shares (8,000) with 2,000 of cash; the household owns no
    # bond fund. Target 50 / 50 ± 5 pp.
    joint = AccountState(2, "Joint", "taxable", D(2000))
    state = household([joint], [lot("T1", joint, VTI, 80, 8000)])
    # when
    proposal = propose(state)
    # then VTI is sold to target, 8,000 − 5,000 = 3,000 = 30 shares at cost, but nothing can
    # be bought: bonds stay at 0% and the proposal says why
    assert summary(proposal) == [("Joint", "sell", "VTI", D(30), D("3000.00"), "T1:30")]
    assert proposal.problems == [
        "Bonds ends at 0.0%, below its band (50.0% ± 5.0 pp): the household holds no Bonds "
        "security to buy more of."
    ]


def test_an_account_spends_only_its_own_cash_above_its_floor_and_never_the_reserve():
    # given the IRA: 100 VTI (10,000), no cash; Joint: 10 BND (1,000) and 6,000 of cash; a
    # cash account (the reserve) with 5,000; the policy keeps 8,000 in reserve.
    # Total 10,000 + 1,000 + 6,000 + 5,000 = 22,000; target 50 / 50 ± 5 pp: VTI 45.5% (in
    # its band, below target: not for sale), BND 4.5% needs 11,000 − 1,000 = 10,000.
    reserve = AccountState(3, "Reserve", "taxable", D(5000), is_cash_account=True)

    def proposal_with_floor(floor):
        joint = AccountState(2, "Joint", "taxable", D(6000), floor=D(floor))
        return propose(
            household(
                [IRA, joint, reserve],
                [lot("T1", IRA, VTI, 100, 10000), lot("T2", joint, BND, 10, 1000)],
                goals=policy(reserve=8000),
            )
        )

    # when Joint keeps 1,000: it could spend 5,000, but the household's cash may only fall
    # to the 8,000 reserve: 11,000 − 8,000 = 3,000 buys 30 BND; the reserve account is untouched
    loose = proposal_with_floor(1000)
    assert summary(loose) == [("Joint", "buy", "BND", D(30), D("3000.00"), "")]
    # and when Joint keeps 4,000, only 2,000 is above its floor: 20 BND
    tight = proposal_with_floor(4000)
    assert summary(tight) == [("Joint", "buy", "BND", D(20), D("2000.00"), "")]
    # then bonds end at 3,000 / 22,000 = 13.6%, still below 45%: said, with why
    assert tight.problems[0].startswith("Bonds ends at 13.6%, below its band (50.0% ± 5.0 pp)")


def test_new_money_goes_where_it_is_best_and_only_buys():
    # given Joint (taxable): 60 VTI and 30 BND; Joint 2 (taxable) holds nothing, no cash.
    # Target 50 / 50 ± 5 pp. The household adds 3,000.
    other = AccountState(4, "Joint 2", "taxable", D(0), accepts_new_money=True)
    joint = AccountState(2, "Joint", "taxable", D(0), accepts_new_money=True)
    state = household(
        [joint, other], [lot("T1", joint, VTI, 60, 6000), lot("T2", joint, BND, 30, 3000)]
    )
    # when
    proposal = propose(state, Request(mode=Mode.NEW_MONEY, amount=D(3000)))
    # then total 12,000: bonds 3,000 against 6,000 — all 3,000 buy 30 BND, no sale; one
    # deposit (fewest trades), in Joint where BND is already held
    assert summary(proposal) == [
        ("Joint", "deposit", "", None, D("3000.00"), ""),
        ("Joint", "buy", "BND", D(30), D("3000.00"), ""),
    ]
    # and to a named account: the same purchase there
    named = propose(state, Request(mode=Mode.NEW_MONEY, amount=D(3000), account_id=4))
    assert summary(named) == [
        ("Joint 2", "deposit", "", None, D("3000.00"), ""),
        ("Joint 2", "buy", "BND", D(30), D("3000.00"), ""),
    ]


def test_withdrawal_takes_cash_first_then_the_cheapest_sale():
    # given Joint with 500 of cash, VTI T1 20 shares for 1,000 (long-term gain 50 a share),
    # T2 20 for 1,900 (long-term gain 5 a share), 40 BND for 4,000; the IRA holds 10 VTI and
    # no cash (a withdrawal from it is taxed at 27%). Target 50 / 50 ± 5 pp.
    joint = AccountState(2, "Joint", "taxable", D(500))
    state = household(
        [IRA, joint],
        [
            lot("T1", joint, VTI, 20, 1000),
            lot("T2", joint, VTI, 20, 1900),
            lot("T3", joint, BND, 40, 4000),
            lot("T4", IRA, VTI, 10, 1000),
        ],
    )
    # when 1,500 is needed
    proposal = propose(state, Request(mode=Mode.WITHDRAWAL, amount=D(1500)))
    # then total 9,500 → 8,000 after: VTI 5,000 must fall to its 55% edge (4,400) and BND
    # 4,000 may fall to its 45% edge (3,600). The 500 of cash goes first; then BND at cost
    # (no gain) down to its edge: 400 = 4 shares; then 600 of VTI = 6 shares from T2 (gain
    # 6 × 5 = 30, tax 6) rather than T1 (gain 50 a share) or an IRA withdrawal (27%)
    assert summary(proposal) == [
        ("Joint", "sell", "BND", D(4), D("400.00"), "T3:4"),
        ("Joint", "sell", "VTI", D(6), D("600.00"), "T2:6"),
        ("Joint", "withdraw", "", None, D("1500.00"), ""),
    ]
    assert proposal.estimated_tax == D("6.00")
    # and every class ends inside its band: VTI 4,400 / 8,000 = 55%, BND 3,600 / 8,000 = 45%
    assert [o.status for o in proposal.outcomes] == ["ok", "ok"]


def test_a_fund_trades_in_dollars_and_fractional_shares():
    # given a mutual fund at 37 a share held in the IRA (270.27… shares for 10,000) and BND
    fund = SecurityState(20, "VTSAX", "us_equity", D(37), "s20", fractional=True)
    ira = AccountState(1, "IRA", "tax_deferred", D(0))
    state = household(
        [ira],
        [lot("T1", ira, fund, D("270.2703"), 9000), lot("T2", ira, BND, 50, 5000)],
        securities=(fund, BND),
        goals=policy(us="0.7", bonds="0.3"),
    )
    # when
    proposal = propose(state)
    # then total 270.2703 × 37 = 10,000.0011 + 5,000 = 15,000.0011: the fund is 66.7% (in
    # band) but BND 33.3% is in band too — nothing to do. Force target: sell BND
    # 5,000 − 0.3 × 15,000.0011 = 499.9997 → 5 whole BND (500: the nearest share, no tax in
    # the IRA), and buy the fund with the 499.99 the program spends: 499.99 / 37 = 13.5132…
    # shares, rounded down to 4 places
    assert proposal.needed is False
    forced = propose(state, Request(to_target=True))
    assert summary(forced) == [
        ("IRA", "sell", "BND", D(5), D("500.00"), "T2:5"),
        ("IRA", "buy", "VTSAX", D("13.5132"), D("499.99"), ""),
    ]


def test_harvest_groups_loss_lots_per_position_with_tax_saved_and_conflicts():
    # given Joint: VTI T1 10 shares for 1,200 (long-term, loss 200), T2 5 for 650 bought in
    # March (short-term, loss 150), T3 10 for 500 (gain); ITOT (VTI's identity group) was
    # bought in the IRA ten days ago; the household maps VTI to SCHB
    purchase = WashEvent("g1", 1, date(2025, 5, 23), "IRA ITOT 2025-05-23 2", 99)
    state = household(
        [IRA, JOINT],
        [
            lot("T1", JOINT, VTI, 10, 1200),
            lot("T2", JOINT, VTI, 5, 650, date(2025, 3, 3), "short"),
            lot("T3", JOINT, VTI, 10, 500),
        ],
        purchases=(purchase,),
    )
    # when
    found = harvest_candidates(
        state,
        thresholds=HarvestThresholds(min_loss=D(300), min_loss_pct=D("0.15")),
        replacements={"VTI": ["ITOT", "SCHB"]},
        identities={"ITOT": "g1"},
    )
    # then one candidate for the position: the two loss lots, 15 shares worth 1,500 against
    # 1,850: loss 350 = 18.92% of cost; tax saved 200 × 20% + 150 × 27% = 40 + 40.50 = 80.50
    (candidate,) = found
    assert (candidate.quantity, candidate.cost_basis, candidate.market_value) == (
        D(15),
        D("1850.00"),
        D("1500.00"),
    )
    assert (candidate.loss, candidate.loss_pct, candidate.tax_saved) == (
        D("350.00"),
        D("0.1892"),
        D("80.50"),
    )
    assert (candidate.short_term_loss, candidate.long_term_loss) == (D("150.00"), D("200.00"))
    assert candidate.lots == "T1:10;T2:5"
    assert candidate.wash_sale_conflicts == ["IRA ITOT 2025-05-23 2"]
    # and ITOT is identical by the household's own group: SCHB is the replacement
    assert (candidate.replacement, candidate.replacement_source) == ("SCHB", "yours")
    assert "substantially identical" in candidate.caution
    # and a 20% threshold leaves it out (18.92% < 20%), as does 350.01
    assert harvest_candidates(state, thresholds=HarvestThresholds(min_loss_pct=D("0.2"))) == []
    assert harvest_candidates(state, thresholds=HarvestThresholds(min_loss=D("350.01"))) == []


def test_a_suggested_replacement_when_the_household_has_none():
    state = household([JOINT], [lot("T1", JOINT, VTI, 10, 1200)])
    (candidate,) = harvest_candidates(state)
    assert (candidate.replacement, candidate.replacement_source) == ("SCHB", "suggested")


def test_location_hint_moves_bonds_out_of_taxable_with_the_tax_it_saves():
    # given Joint: 30 BND (3,000, yield 4%, ordinary income); IRA: 50 VTI (5,000, yield 1.5%)
    state = household(
        [IRA, JOINT], [lot("T1", IRA, VTI, 50, 4000), lot("T2", JOINT, BND, 30, 3000)]
    )
    # when
    (hint,) = location_hints(state)
    # then swapping 3,000: now BND in taxable costs 4% × 27% = 1.08% a year and VTI in the
    # IRA 7% growth × (27% − 20%) = 0.49%; swapped, VTI in taxable 1.5% × 20% = 0.30% and BND
    # in the IRA 2% × 7% = 0.14%: saves (1.08 + 0.49 − 0.30 − 0.14)% = 1.13% × 3,000 = 33.90
    assert (hint.from_account, hint.symbol, hint.to_account, hint.swap_symbol) == (
        "Joint",
        "BND",
        "IRA",
        "VTI",
    )
    assert (hint.amount, hint.annual_tax_saved, hint.tax_to_move) == (
        D(3000),
        D("33.90"),
        D("0.00"),
    )


def test_naive_tax_counts_every_lot_of_an_over_class_in_proportion():
    # the household of the first test without BND
    state = household(
        [IRA, JOINT],
        [lot("T1", IRA, VTI, 50, 4000), lot("T2", JOINT, VTI, 20, 1000)],
        goals=policy(us="0.6", bonds="0.4"),
    )
    # total 7,000: VTI over target by 7,000 − 4,200 = 2,800 = 0.4 of every position; Joint
    # sells 20 × 0.4 = 8 shares with a gain of 50 each: 400 × 20% = 80 (the IRA owes none)
    assert naive_tax(state) == D("80.00")


def test_a_proposals_tax_is_rounded_once_and_its_rows_carry_the_rest_of_a_cent():
    # Joint holds VTI (two short-term lots of 10 at 100, bought for 999.97 and 999.98) and
    # ITOT (50 at 40, bought for 1,999.99, long-term), and no bonds: US equity is over its
    # target of 0 by all of it, so both positions are sold whole.
    # VTI: (0.03 + 0.02) × 27% = 0.0135; ITOT: 0.01 × 20% = 0.002; together 0.0155 → 0.02,
    # on both sides. Rows in order (ITOT, then VTI) show the running total in cents less the
    # rows before: ITOT 0.002 → 0.00, VTI 0.0155 → 0.02 − 0.00 = 0.02. (In cents row by row,
    # 0.00 + 0.01, the same sales split 13 + 13 or 6 + 20 shares read a cent apart.)
    state = household(
        [JOINT],
        [
            lot("T1", JOINT, VTI, 10, "999.97", acquired=date(2025, 3, 3), term="short"),
            lot("T2", JOINT, VTI, 10, "999.98", acquired=date(2025, 3, 3), term="short"),
            lot("T3", JOINT, ITOT, 50, "1999.99"),
        ],
        securities=(VTI, BND, ITOT),
        goals=policy(us="0", bonds="1", min_trade=0),
    )
    assert naive_tax(state) == D("0.02")
    proposal = propose(state, Request(mode=Mode.REBALANCE))
    assert [(r.symbol, r.quantity, r.estimated_tax) for r in proposal.rows] == [
        ("ITOT", D(50), D("0.00")),
        ("VTI", D(20), D("0.02")),
    ]
    assert proposal.estimated_tax == D("0.02")


def test_a_rebalance_sells_the_whole_shares_that_reach_the_band_at_least_tax():
    # Found by the property test (45.17 against a proportional 45.15). Joint holds 20 VTI at
    # 10 (bought for 80) and 20 ITOT at 11.44 (bought for 91.52), both short-term: each
    # dollar sold is 60% gain, 16.2% tax. Total 428.80, US equity 33.33% ± 2: it must keep at
    # most 35.33% × 428.80 = 151.50, so sell at least 277.31.
    vti = SecurityState(10, "VTI", "us_equity", D(10), "g1")
    itot = SecurityState(12, "ITOT", "us_equity", D("11.44"), "g1")
    bought = date(2025, 5, 28)
    state = household(
        [JOINT],
        [
            lot("T1", JOINT, vti, 20, "80.00", acquired=bought, term="short"),
            lot("T2", JOINT, itot, 20, "91.52", acquired=bought, term="short"),
        ],
        securities=(vti, BND, itot),
        goals=policy(us="0.3333", bonds="0.6667", band="0.02", min_trade=0),
    )
    # Whole shares i ITOT + j VTI selling 11.44 i + 10 j ≥ 277.31 at the least: 19 + 6 =
    # 277.36 (20 + 5 = 278.80, 13 + 13 = 278.72, 12 + 14 = 277.28 is short). Tax: ITOT 19 ×
    # 6.864 × 27% = 35.21232, VTI 6 × 6 × 27% = 9.72: 44.93232 → 44.93 (rows 35.21, 9.72).
    proposal = propose(state, Request(mode=Mode.REBALANCE))
    assert summary(proposal) == [
        ("Joint", "sell", "ITOT", D(19), D("217.36"), "T2:19"),
        ("Joint", "sell", "VTI", D(6), D("60.00"), "T1:6"),
    ]
    assert [r.estimated_tax for r in proposal.rows] == [D("35.21"), D("9.72")]
    assert proposal.estimated_tax == D("44.93")
    # US equity keeps 151.44 / 428.80 = 35.3172%, inside its band
    (us,) = [o for o in proposal.outcomes if o.asset_class == "us_equity"]
    assert (us.after, us.after_weight, us.status) == (D("151.44"), D("0.353172"), "ok")
    # The proportional rebalance: over target by 428.80 × 66.67% = 285.88 = 66.67% of each
    # position, 13.334 shares; 13 + 13 = 278.72 is inside the band and no share more fits
    # before the target (7.16 left): 13 × 6 × 27% + 13 × 6.864 × 27% = 21.06 + 24.09264 =
    # 45.15264 → 45.15
    assert proposal.naive_tax == D("45.15")


def test_a_proportional_rebalance_sells_as_near_the_target_as_whole_shares_allow():
    # Three taxable accounts hold 10 VTI at 100 each (bought for 800: gain 20 a share, 4 of
    # tax at 20%). US equity 55% ± 5 of 3,000: over target by 1,350, 45% of each position,
    # 4.5 shares. Each rounded down sells 4 (1,200), 150 short of the target; a share more
    # (1,300) still falls short of it, a second (1,400) would go past. To the nearest, 5
    # each would sell 1,500, 150 past it. Tax: 13 × 4 = 52.00
    second = AccountState(3, "Second", "taxable", D(0))
    third = AccountState(4, "Third", "taxable", D(0))
    state = household(
        [JOINT, second, third],
        [
            lot("T1", JOINT, VTI, 10, 800),
            lot("T2", second, VTI, 10, 800),
            lot("T3", third, VTI, 10, 800),
        ],
        goals=policy(us="0.55", bonds="0.45", min_trade=0),
    )
    assert naive_tax(state) == D("52.00")
    # The proposal sells only to the band, 60% of 3,000 kept: 12 shares, 48.00
    assert propose(state, Request(mode=Mode.REBALANCE)).estimated_tax == D("48.00")


def test_a_proportional_rebalance_sells_a_fund_to_the_nearest_4_decimals_as_a_proposal_does():
    # Joint holds 10 shares of a fund at 1,000 bought for nothing (long-term: 200 of tax a
    # share). US equity 33.3333% of 10,000: over target by 6,666.67, 66.6667% of 10 shares =
    # 6.666667: 6.6667 to the nearest 4 decimals (0.30 past the target, as a proposal rounds
    # a fund's sale), not 6.6666. Tax: 6.6667 × 200 = 1,333.34 (6.6666 would read 1,333.32)
    fund = SecurityState(13, "FUND", "us_equity", D(1000), "s13", fractional=True)
    state = household(
        [JOINT],
        [lot("T1", JOINT, fund, 10, 0)],
        securities=(fund, BND),
        goals=policy(us="0.333333", bonds="0.666667", min_trade=0),
    )
    assert naive_tax(state) == D("1333.34")


def _vti_and_a_fund(*, cash, vti_cost, fund_shares, fund_cost):
    """Joint (taxable) with 30 VTI at 100 (lot T1), a fund VTSAX at 30 sold to 4 decimals
    (T2) and cash; no bonds; 50/50 ± 5 and no minimum trade; long-term lots at 20%."""
    fund = SecurityState(20, "VTSAX", "us_equity", D(30), "s20", fractional=True)
    joint = AccountState(2, "Joint", "taxable", D(cash))
    return household(
        [joint],
        [lot("T1", joint, VTI, 30, vti_cost), lot("T2", joint, fund, fund_shares, fund_cost)],
        securities=(VTI, BND, fund),
        goals=policy(us="0.5", bonds="0.5", min_trade=0),
    )


def test_a_rebalance_sells_a_fund_to_4_decimals_where_a_whole_share_more_would_owe_more_tax():
    # Joint holds 30 VTI at 100 (T1, bought for 2,700: gain 10 a share, long-term, 2 of tax
    # at 20%, 0.02 a dollar), 20 shares of a fund at 30 (T2, bought for 300: gain 15 a share,
    # 3 of tax, 0.10 a dollar) and 2,390 of cash; it holds no bonds, so nothing is bought.
    # Total 3,000 + 600 + 2,390 = 5,990; US equity 50% ± 5 may keep at most 55% × 5,990 =
    # 3,294.50 of its 3,600: sell at least 305.50.
    state = _vti_and_a_fund(cash=2390, vti_cost=2700, fund_shares=20, fund_cost=300)
    # Position by position, the program's 305.50 of VTI (the cheaper dollar) is 3.055
    # shares, rounded down to 3 (the 4th owes tax) and a share added for the band: 4 VTI,
    # 400.00, tax 4 × 2 = 8.00. Chosen again with the fund: 3 VTI (300) and the rest from the
    # fund, to the band plus a cent (305.51; a margin, as amounts are in cents: 0.1834 =
    # 5.502 → 5.50 reaches it exactly): 5.51 / 30 = 0.18367 shares, up to 0.1837 = 5.511 →
    # 5.51 of proceeds. Tax: VTI 3 × (100 − 90) × 20% = 6.00, the fund 0.1837 × 30 −
    # 300 × 0.1837 / 20 = 5.511 − 2.7555 = 2.7555 of gain × 20% = 0.5511: 6.5511 → 6.55
    # (rows 6.00, 0.55), against 8.00. Whole shares alone cannot do better (3 VTI is short
    # of the band), nor can more of the fund: each dollar of it owes 0.10 against VTI's
    # 0.02 (2 VTI and 105.51 / 30 = 3.517 fund shares owe 4 + 10.551 = 14.55).
    proposal = propose(state, Request(mode=Mode.REBALANCE))
    assert summary(proposal) == [
        ("Joint", "sell", "VTI", D(3), D("300.00"), "T1:3"),
        ("Joint", "sell", "VTSAX", D("0.1837"), D("5.51"), "T2:0.1837"),
    ]
    assert [(r.estimated_gain, r.estimated_tax) for r in proposal.rows] == [
        (D("30.00"), D("6.00")),
        (D("2.76"), D("0.55")),
    ]
    assert proposal.estimated_tax == D("6.55")
    # US equity keeps 3,600 − 305.51 = 3,294.49 / 5,990 = 54.9998%, inside its band
    (us,) = [o for o in proposal.outcomes if o.asset_class == "us_equity"]
    assert (us.after, us.after_weight, us.status) == (D("3294.49"), D("0.549998"), "ok")
    # The proportional rebalance sells to target, 3,600 − 2,995 = 605, 605 / 3,600 =
    # 16.806% of each position: VTI 5.042 → 5 (500; a 6th would go past the target), the
    # fund 3.3611 and then up to the target in 4 decimals, 105 / 30 = 3.5 shares. Tax:
    # 5 × 2 + 3.5 × 3 = 20.50
    assert proposal.naive_tax == D("20.50")


def test_a_rebalance_sells_only_the_part_of_a_fund_the_band_needs():
    # Joint holds 30 VTI at 100 (T1, bought for 2,400: gain 20 a share, 4 of tax at 20%,
    # 0.04 a dollar), 2 shares of a fund at 30 (T2, bought for 54: gain 3 a share, 0.60 of
    # tax, 0.02 a dollar) and 1,950 of cash; no bonds. Total 3,000 + 60 + 1,950 = 5,010; US
    # equity may keep at most 55% × 5,010 = 2,755.50 of its 3,060: sell at least 304.50.
    state = _vti_and_a_fund(cash=1950, vti_cost=2400, fund_shares=2, fund_cost=54)
    # Position by position, the program sells the cheaper dollars first: the whole fund (60)
    # and 244.50 of VTI, 2.445 shares, rounded down to 2 (the 3rd owes tax) and a share
    # added for the band: 3 VTI and 2 fund shares, 360.00, tax 3 × 4 + 2 × 0.60 = 13.20.
    # Chosen again, the 3 VTI (300) alone nearly reach the band, and the fund gives only the
    # rest plus a cent (304.51): 4.51 / 30 = 0.15033 shares, up to 0.1504 = 4.512 → 4.51.
    # Tax: VTI 3 × 20 × 20% = 12.00, the fund 0.1504 × 30 − 54 × 0.1504 / 2 = 4.512 − 4.0608
    # = 0.4512 of gain × 20% = 0.09024: 12.09024 → 12.09 (rows 12.00, 0.09), against 13.20.
    # 2 VTI and the whole fund (260) are short of the band.
    proposal = propose(state, Request(mode=Mode.REBALANCE))
    assert summary(proposal) == [
        ("Joint", "sell", "VTI", D(3), D("300.00"), "T1:3"),
        ("Joint", "sell", "VTSAX", D("0.1504"), D("4.51"), "T2:0.1504"),
    ]
    assert [(r.estimated_gain, r.estimated_tax) for r in proposal.rows] == [
        (D("60.00"), D("12.00")),
        (D("0.45"), D("0.09")),
    ]
    assert proposal.estimated_tax == D("12.09")
    # US equity keeps 3,060 − 304.51 = 2,755.49 / 5,010 = 54.9998%, inside its band
    (us,) = [o for o in proposal.outcomes if o.asset_class == "us_equity"]
    assert (us.after, us.after_weight, us.status) == (D("2755.49"), D("0.549998"), "ok")
