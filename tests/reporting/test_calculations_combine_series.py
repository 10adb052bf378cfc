"""Adding up accounts' series: days aligned, balances carried, transfers inside the group netted."""

from datetime import date

import numpy as np

from reporting.calculations.daily_series import MONEY_COLUMNS, DailySeries, combine_series


def _series(start: date, **columns) -> DailySeries:
    length = len(next(iter(columns.values())))
    money = {name: np.zeros(length, dtype=np.int64) for name in MONEY_COLUMNS}
    for name, values in columns.items():
        money[name] = np.array(values, dtype=np.int64)
    return DailySeries(start=start, money=money)


def test_days_align_and_a_transfer_inside_the_group_is_no_flow():
    # given A from Jan 1: 100 deposited, then 40 moved to B on Jan 3
    a = _series(date(2026, 1, 1), value=[100, 100, 60], inflow=[100, 0, 0], outflow=[0, 0, 40])
    # and B from Jan 2 (opened empty), receiving the 40 and then rising to 50
    b = _series(date(2026, 1, 2), value=[0, 40, 50], inflow=[0, 40, 0], outflow=[0, 0, 0])
    # when
    group = combine_series([a, b])
    # then the days run Jan 1..Jan 4; A keeps its last balance on Jan 4, with no flows
    assert group.start == date(2026, 1, 1) and len(group) == 4
    assert group.money["value"].tolist() == [100, 100, 100, 110]
    assert group.money["inflow"].tolist() == [100, 0, 0, 0]
    assert group.money["outflow"].tolist() == [0, 0, 0, 0]
    # and the group's return is the market's only: 110 / 100 - 1 over Jan 1..Jan 4
    assert abs(group.twr_index[-1] / group.twr_index[0] - 1.10) < 1e-12


def test_a_flow_leaving_the_group_stays_a_flow():
    a = _series(date(2026, 1, 1), value=[100, 70], inflow=[100, 0], outflow=[0, 30])
    b = _series(date(2026, 1, 1), value=[50, 50], inflow=[50, 0], outflow=[0, 0])
    group = combine_series([a, b])
    assert group.money["value"].tolist() == [150, 120]
    assert group.money["inflow"].tolist() == [150, 0]
    assert group.money["outflow"].tolist() == [0, 30]
