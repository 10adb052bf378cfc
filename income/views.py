"""Browser pages: income, the dividend calendar, the bond ladder and per-holding yields."""

import calendar as calendar_module
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from income.charts import bond_ladder_figure, monthly_income_data
from income.forms import IncomeSettingsForm
from income.selectors import (
    calendar_entries,
    household_today,
    income_settings_get,
)
from income.selectors.overview import bond_ladder_view, holding_yields, income_overview
from income.services.projections import projections_fresh_for_pages
from income.services.settings import income_settings_update
from portfolios.remembered import figures_key, remembered
from portfolios.selectors.households import member_names
from portfolios.selectors.securities import security_profiles
from portfolios.views.households import current_membership_or_404

# The calendar looks this far past a month's end for payments whose ex-date is in the month.
EX_DATE_LOOKAHEAD = timedelta(days=75)
RECEIVED_GROUP_TITLES = [
    ("source", "Source"),
    ("account", "Account"),
    ("member", "Member"),
    ("tax_treatment", "Tax treatment"),
    ("symbol", "Security"),
]


@login_required
def income_page(request: HttpRequest) -> HttpResponse:
    """Monthly income by source, received then projected, against the target."""
    membership = current_membership_or_404(request)
    household = membership.household
    today = household_today(household)
    version = projections_fresh_for_pages(household=household, today=today)
    key = (household.pk, today)
    overview, figure = remembered(
        "income page", *key, compute=lambda: _income_figures(household, today), version=version
    )
    settings = income_settings_get(household=household)
    return render(
        request,
        "income/income.html",
        {
            "overview": overview,
            "figure": figure,
            "figures_key": figures_key("income page", *key, version=version),
            "group_titles": RECEIVED_GROUP_TITLES,
            "member_names": member_names(household=household),
            "settings_form": IncomeSettingsForm(instance=settings, household=household)
            if membership.can_write
            else None,
        },
    )


def _income_figures(household, today: date):
    overview = income_overview(household=household, today=today)
    return overview, monthly_income_data(overview.months, target=overview.target)


@login_required
@require_POST
def income_settings(request: HttpRequest) -> HttpResponse:
    """Save the household's income settings (members and owners)."""
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Your role in this household is read-only.")
    household = membership.household
    form = IncomeSettingsForm(
        request.POST, instance=income_settings_get(household=household), household=household
    )
    if form.is_valid():
        income_settings_update(household=household, **form.cleaned_data)
        messages.info(request, "Income settings saved.")
    else:
        errors = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
        messages.error(request, f"Income settings not saved. {errors}")
    return redirect("income-page")


@login_required
def income_calendar(request: HttpRequest) -> HttpResponse:
    """A month of payments as a grid (`view=grid`) or a list (`view=list`)."""
    membership = current_membership_or_404(request)
    household = membership.household
    today = household_today(household)
    month = _month_param(request.GET.get("month"), default=today.replace(day=1))
    view = "list" if request.GET.get("view") == "list" else "grid"
    last = month.replace(day=calendar_module.monthrange(month.year, month.month)[1])
    if last + EX_DATE_LOOKAHEAD >= today:
        projections_fresh_for_pages(household=household, today=today)
    entries = calendar_entries(
        household=household, start=month, end=last + EX_DATE_LOOKAHEAD, today=today
    )
    paid = [entry for entry in entries if entry.pay_date <= last]
    ex_dates = [
        entry for entry in entries if entry.ex_date is not None and month <= entry.ex_date <= last
    ]
    by_day: dict[date, dict[str, list]] = defaultdict(lambda: {"pay": [], "ex": []})
    for entry in paid:
        by_day[entry.pay_date]["pay"].append(entry)
    for entry in ex_dates:  # one marker per symbol, however many accounts hold it
        if entry.symbol not in by_day[entry.ex_date]["ex"]:  # type: ignore[index]
            by_day[entry.ex_date]["ex"].append(entry.symbol)  # type: ignore[index]
    weeks = [
        [
            {
                "day": day,
                "in_month": day.month == month.month,
                **by_day.get(day, {"pay": [], "ex": []}),
            }
            for day in week
        ]
        for week in calendar_module.Calendar(firstweekday=0).monthdatescalendar(
            month.year, month.month
        )
    ]
    previous = (month - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    profiles = security_profiles(
        household=household, security_ids={e.security_id for e in entries if e.security_id}
    )
    return render(
        request,
        "income/calendar.html",
        {
            "names": {p.symbol: p.name for p in profiles.values() if p.name != p.symbol},
            "month": month,
            "view": view,
            "weeks": weeks,
            "entries": paid,
            "ex_dates": ex_dates,
            "today": today,
            "previous": previous,
            "following": following,
            "totals": {
                status: sum((e.amount for e in paid if e.status == status), 0)
                for status in ("received", "declared", "estimated")
            },
        },
    )


@login_required
def bond_ladder(request: HttpRequest) -> HttpResponse:
    """Face value maturing and coupon income per year."""
    household = current_membership_or_404(request).household
    years, bonds = bond_ladder_view(household=household, today=household_today(household))
    return render(
        request,
        "income/ladder.html",
        {"years": years, "bonds": bonds, "figure": bond_ladder_figure(years) if years else None},
    )


@login_required
def holding_yield_table(request: HttpRequest) -> HttpResponse:
    """Yield on cost, current yield and dividend growth per holding."""
    household = current_membership_or_404(request).household
    today = household_today(household)
    projections_fresh_for_pages(household=household, today=today)
    return render(
        request, "income/yields.html", {"table": holding_yields(household=household, today=today)}
    )


def _month_param(value: str | None, *, default: date) -> date:
    """Return the first day of a `YYYY-MM` month, or `default` when missing or malformed."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return default
