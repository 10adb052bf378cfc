"""A mixed-integer program in the shape ``scipy.optimize.milp`` (HiGHS) takes, solved in
two passes so a household with thousands of lots is decided in tens of milliseconds."""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

TIME_LIMIT = 2.0  # seconds; HiGHS returns its best proposal so far when it runs out
GAP = 0.05  # objective dollars: half a trade
BRANCH_LIMIT = 30  # more open trades than this: keep those at the minimum or more


class Program:
    """A mixed-integer program in the shape ``milp`` takes, solved in two passes.

    1. The linear relaxation (binaries free in [0, 1]) shows which trades are worth having.
    2. The mixed-integer program decides only what the relaxation left open: a trade it left
       at zero is closed (columns and binary fixed at 0). With up to ``BRANCH_LIMIT`` trades
       left, HiGHS branches over all of them (fewest trades); with more, a trade the
       relaxation made at least the minimum keeps it (binary fixed at 1) and only the smaller
       ones are branched on (none, or at least the minimum), with the wash-sale switches. So
       HiGHS never branches over one binary per holding and purchase; if that program has no
       solution, the full one is solved.
    """

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[list[tuple[int, float]], float, float]] = []
        self.trades: list[tuple[int, list[int], float]] = []  # (binary, its dollars, minimum)

    def var(self, upper: float, cost: float = 0.0, *, binary: bool = False) -> int:
        self.lower.append(0.0)
        self.upper.append(1.0 if binary else upper)
        self.cost.append(cost)
        self.integer.append(1 if binary else 0)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        if terms:
            self.rows.append((terms, lower, upper))

    def trade(self, binary: int, columns: list[int], minimum: float) -> None:
        self.trades.append((binary, columns, minimum))

    def solve(self) -> tuple[np.ndarray | None, str]:
        if not self.cost:
            return np.zeros(0), "nothing to decide"
        constraints = self._constraints()
        lower, upper = np.array(self.lower), np.array(self.upper)
        integrality = np.array(self.integer)
        relaxed = self._milp(constraints, lower, upper, np.zeros(len(self.cost)), 1e-6)
        if relaxed.x is None:
            return None, relaxed.message
        used = []
        for binary, columns, minimum in self.trades:
            dollars = sum(relaxed.x[c] for c in columns)
            if dollars < 0.5:
                upper[binary] = 0.0
                upper[columns] = 0.0
            else:
                used.append((binary, dollars, minimum))
        if len(used) > BRANCH_LIMIT:
            for binary, dollars, minimum in used:
                if dollars >= minimum - 1e-6:
                    lower[binary] = 1.0
        # Stop within ``GAP`` dollars of the relaxation's bound (less than a trade):
        # HiGHS takes the gap relative to the objective, which unavoidable drift can inflate.
        gap = GAP / max(abs(relaxed.fun), 1.0)
        result = self._milp(constraints, lower, upper, integrality, gap)
        if result.x is None:
            full = (np.array(self.lower), np.array(self.upper))
            result = self._milp(constraints, *full, integrality, gap)
        return result.x, result.message

    def _constraints(self) -> list[LinearConstraint]:
        if not self.rows:
            return []
        data, row_ids, col_ids, lows, highs = [], [], [], [], []
        for index, (terms, lower, upper) in enumerate(self.rows):
            for column, coefficient in terms:
                row_ids.append(index)
                col_ids.append(column)
                data.append(coefficient)
            lows.append(lower)
            highs.append(upper)
        matrix = coo_array(
            (data, (row_ids, col_ids)), shape=(len(self.rows), len(self.cost))
        ).tocsr()
        return [LinearConstraint(matrix, lows, highs)]

    def _milp(self, constraints, lower, upper, integrality, gap: float):
        return milp(
            c=np.array(self.cost),
            integrality=integrality,
            bounds=Bounds(lower, upper),
            constraints=constraints,
            options={"time_limit": TIME_LIMIT, "mip_rel_gap": gap, "disp": False},
        )
