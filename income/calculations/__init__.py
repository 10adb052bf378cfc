"""Pure income math: projection, received-income summaries, reliability, tax and coverage.

Nothing here imports Django; inputs and outputs are the dataclasses in `types`.
"""

from income.calculations.dividend_history import DividendCut, detect_dividend_cuts, dividend_growth
from income.calculations.dividend_schedule import ScheduledDividend, dividend_schedule
from income.calculations.ladder import LadderYear, bond_ladder
from income.calculations.months import add_months, first_of_month, last_of_month, local_date
from income.calculations.planning import (
    MonthReliability,
    MonthShortfall,
    PaycheckCoverage,
    PaycheckMonth,
    Reliability,
    months_short,
    paycheck_coverage,
    reliability,
)
from income.calculations.positions import Position, PositionHistory, PositionTxn
from income.calculations.projection import monthly_totals, project_income, projection_months
from income.calculations.received import (
    GroupBy,
    YearOverYear,
    current_yield,
    group_received,
    received_total,
    trailing_twelve_months_total,
    year_over_year,
    year_to_date_total,
    yield_on_cost,
)
from income.calculations.sources import INCOME_TYPES, NOT_INCOME, received_source
from income.calculations.tax import AfterTaxIncome, after_tax_income
from income.calculations.types import (
    DividendEventInput,
    DividendFrequency,
    HoldingInput,
    IncomeSource,
    PaymentStatus,
    ProjectedPayment,
    ReceivedIncome,
    TaxTreatment,
)

__all__ = [
    "INCOME_TYPES",
    "NOT_INCOME",
    "AfterTaxIncome",
    "DividendCut",
    "DividendEventInput",
    "DividendFrequency",
    "GroupBy",
    "HoldingInput",
    "IncomeSource",
    "LadderYear",
    "MonthReliability",
    "MonthShortfall",
    "PaycheckCoverage",
    "PaycheckMonth",
    "PaymentStatus",
    "Position",
    "PositionHistory",
    "PositionTxn",
    "ProjectedPayment",
    "ReceivedIncome",
    "Reliability",
    "ScheduledDividend",
    "TaxTreatment",
    "YearOverYear",
    "add_months",
    "after_tax_income",
    "bond_ladder",
    "current_yield",
    "detect_dividend_cuts",
    "dividend_growth",
    "dividend_schedule",
    "first_of_month",
    "group_received",
    "last_of_month",
    "local_date",
    "monthly_totals",
    "months_short",
    "paycheck_coverage",
    "project_income",
    "projection_months",
    "received_source",
    "received_total",
    "reliability",
    "trailing_twelve_months_total",
    "year_over_year",
    "year_to_date_total",
    "yield_on_cost",
]
