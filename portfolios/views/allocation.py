"""Browser pages of the household against its policy: allocation, rebalancing, new money,
withdrawals, harvesting and asset location; and the page of rebalancing settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios.calculations.rebalancing import CAUTION
from portfolios.forms.rebalancing import NewMoneyForm, RebalanceSettingsForm, WithdrawalForm
from portfolios.models import Account
from portfolios.remembered import remembered
from portfolios.selectors.allocation import allocation_list
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import holdings_report
from portfolios.selectors.rebalancing import rebalancing_overview
from portfolios.services.ledger import ledger_refresh_if_stale
from portfolios.services.rebalancing import rebalance_settings_update
from portfolios.views.households import current_membership_or_404


@login_required
def allocation_page(request: HttpRequest) -> HttpResponse:
    household = current_membership_or_404(request).household
    ledger_refresh_if_stale(household=household)
    add = NewMoneyForm(request.GET if "add_amount" in request.GET else None, household=household)
    need = WithdrawalForm(request.GET if "need_amount" in request.GET else None)
    new_money = account = withdrawal = None
    if add.is_bound and add.is_valid():
        new_money = add.cleaned_data["add_amount"]
        chosen = add.cleaned_data["add_account"]
        account = Account.objects.get(household=household, pk=chosen) if chosen else None
    if need.is_bound and need.is_valid():
        withdrawal = need.cleaned_data["need_amount"]
    to_target = request.GET.get("to_target") == "1"

    def figures():
        report = holdings_report(household=household)  # read once, for all three sections
        overview = rebalancing_overview(
            household=household,
            to_target=to_target,
            new_money=new_money,
            new_money_account=account,
            withdrawal=withdrawal,
            report=report,
        )
        by_asset_class = allocation_list(household=household, by="asset_class", report=report)
        by_sleeve = allocation_list(household=household, by="sleeve", report=report)
        return by_asset_class, by_sleeve, overview

    by_asset_class, by_sleeve, overview = remembered(
        "allocation page",
        household.pk,
        household_today(household),
        to_target,
        new_money,
        account.pk if account else None,
        withdrawal,
        compute=figures,
    )
    return render(
        request,
        "portfolios/allocation.html",
        {
            "by_asset_class": by_asset_class,
            "by_sleeve": by_sleeve,
            "overview": overview,
            "add_form": add,
            "need_form": need,
            "caution": CAUTION,
        },
    )


@login_required
def rebalancing_settings_page(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    if request.method == "POST":
        if not membership.can_write:
            raise PermissionDenied("Viewers cannot change the settings.")
        form = RebalanceSettingsForm(request.POST, household=household)
        if form.is_valid():
            try:
                rebalance_settings_update(
                    household=household,
                    policy=form.policy(),
                    rules=form.rules(),
                    replacements=form.cleaned_data["replacements"],
                    request=request,
                )
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, "Rebalancing settings saved.")
                return redirect("rebalancing-settings")
    else:
        form = RebalanceSettingsForm(household=household)
    return render(
        request,
        "portfolios/rebalancing_settings.html",
        {
            "form": form,
            "can_write": membership.can_write,
            "caution": CAUTION,
            "section": "rebalancing",
        },
    )
