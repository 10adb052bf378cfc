"""Household and policy settings."""

from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios.errors import ApplicationError
from portfolios.forms.settings import HouseholdForm
from portfolios.services.policy import household_update
from portfolios.views.households import current_membership_or_404
from portfolios.views.settings import writer_or_403

COMMON_ZONES = sorted(zone for zone in available_timezones() if "/" in zone)


@login_required
def household_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    initial = HouseholdForm.initial_for(household)
    form = HouseholdForm(request.POST or None, initial=initial)
    if request.method == "POST":
        writer_or_403(request)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                household_update(household=household, changes=changes, request=request)
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                if changes:
                    messages.success(request, "Saved the household settings.")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect("settings-household")
    return render(
        request,
        "settings/household.html",
        {
            "form": form,
            "can_write": membership.can_write,
            "zones": COMMON_ZONES,
            "section": "household",
        },
    )
