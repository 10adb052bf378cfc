"""What the weekly income email says, for one household and one week."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from alerts.selectors import alert_list
from income.selectors.projections import calendar_entries
from income.selectors.received import ReceivedPayment, received_payments
from portfolios.models import Household
from reporting.calculations.report_weeks import week_bounds

ZERO = Decimal(0)
LOOK_AHEAD_DAYS = 14


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyIncomeReport:
    household: Household
    week_start: date
    week_ending: date
    received: list[ReceivedPayment]
    received_total: Decimal
    tax_withheld: Decimal
    month_to_date: Decimal
    monthly_target: Decimal
    year_to_date: Decimal
    coming: list  # calendar entries expected in the next two weeks
    coming_total: Decimal
    open_alerts: list

    @property
    def target_progress(self) -> Decimal | None:
        """Return month-to-date income as a fraction of the monthly target."""
        if self.monthly_target <= 0:
            return None
        return self.month_to_date / self.monthly_target


def weekly_income_report(*, household: Household, week_ending: date) -> WeeklyIncomeReport:
    """Return the income received in the week, the month and year so far, and what is next.

    1. Received: income payments dated Monday to Sunday of the week (return of capital is
       not income and is left out), with the tax withheld from them.
    2. Month and year to date, as of the week's last day.
    3. Coming: declared and estimated payments of the next 14 days from the stored projection.
    4. The household's open alerts.
    """
    week_start, _ = week_bounds(week_ending)
    year_start = date(week_ending.year, 1, 1)
    month_start = week_ending.replace(day=1)
    ledger = received_payments(household=household, start=year_start, end=week_ending)
    this_week = [p for p in ledger.income if p.pay_date >= week_start]
    coming = [
        entry
        for entry in calendar_entries(
            household=household,
            start=week_ending + timedelta(days=1),
            end=week_ending + timedelta(days=LOOK_AHEAD_DAYS),
            today=week_ending + timedelta(days=1),
        )
        if entry.status != "received" and entry.source != "bond_principal"
    ]
    return WeeklyIncomeReport(
        household=household,
        week_start=week_start,
        week_ending=week_ending,
        received=this_week,
        received_total=sum((p.amount for p in this_week), ZERO),
        tax_withheld=sum((p.tax_withheld for p in this_week), ZERO),
        month_to_date=sum((p.amount for p in ledger.income if p.pay_date >= month_start), ZERO),
        monthly_target=household.monthly_income_target,
        year_to_date=sum((p.amount for p in ledger.income), ZERO),
        coming=coming,
        coming_total=sum((entry.amount for entry in coming), ZERO),
        open_alerts=list(alert_list(household=household, status="open")[:10]),
    )
