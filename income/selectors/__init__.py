"""Reads of the income app, always scoped by household."""

from income.selectors.common import household_today, income_settings_get
from income.selectors.holdings import (
    DividendCutRow,
    HeldPosition,
    IncomeInputs,
    dividend_cuts,
    income_inputs,
)
from income.selectors.projections import (
    PROJECTION_MONTHS,
    CalendarEntry,
    calendar_entries,
    income_reliability,
    projected_income_by_month,
    projected_payment_list,
    projected_payment_rows,
    projection_window,
)
from income.selectors.received import (
    ReceivedGroup,
    ReceivedLedger,
    ReceivedPayment,
    received_grouped,
    received_payments,
    received_totals,
)

__all__ = [
    "PROJECTION_MONTHS",
    "CalendarEntry",
    "DividendCutRow",
    "HeldPosition",
    "IncomeInputs",
    "ReceivedGroup",
    "ReceivedLedger",
    "ReceivedPayment",
    "calendar_entries",
    "dividend_cuts",
    "household_today",
    "income_inputs",
    "income_reliability",
    "income_settings_get",
    "projected_income_by_month",
    "projected_payment_list",
    "projected_payment_rows",
    "projection_window",
    "received_grouped",
    "received_payments",
    "received_totals",
]
