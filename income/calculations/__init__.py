"""Pure income math: projection, received-income summaries, reliability, tax and coverage.

Nothing here imports Django; inputs and outputs are the dataclasses in `types`.
"""

from income.calculations.dividend_history import DividendCut, detect_dividend_cuts, dividend_growth
from income.calculations.dividend_schedule import ScheduledDividend, dividend_schedule
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
    "AfterTaxIncome",
    "DividendCut",
    "DividendEventInput",
    "DividendFrequency",
    "GroupBy",
    "HoldingInput",
    "IncomeSource",
    "MonthReliability",
    "MonthShortfall",
    "PaycheckCoverage",
    "PaycheckMonth",
    "PaymentStatus",
    "ProjectedPayment",
    "ReceivedIncome",
    "Reliability",
    "ScheduledDividend",
    "TaxTreatment",
    "YearOverYear",
    "after_tax_income",
    "current_yield",
    "detect_dividend_cuts",
    "dividend_growth",
    "dividend_schedule",
    "group_received",
    "monthly_totals",
    "months_short",
    "paycheck_coverage",
    "project_income",
    "projection_months",
    "received_total",
    "reliability",
    "trailing_twelve_months_total",
    "year_over_year",
    "year_to_date_total",
    "yield_on_cost",
]
