"""Pages of the top layer: alerts, the alert rules and e-mail choices, the quarterly review."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.timezone import template_localtime
from django.views.decorators.http import require_POST

from alerts.calculations import SCOPES, THRESHOLD_UNITS
from alerts.forms import AlertRuleForm, EmailChoicesForm, NewAlertRuleForm
from alerts.models import AlertEpisode, AlertRule
from alerts.selectors import alert_list, alert_rule_list, email_choices_list
from alerts.selectors.quarterly import parse_quarter, quarter_of, quarterly_review
from alerts.services import (
    alert_acknowledge,
    alert_rule_create,
    alert_rule_update,
    email_choices_update,
)
from alerts.services.freshness import household_refresh_if_stale
from income.selectors import household_today
from portfolios.formatting import person_name
from portfolios.models import Membership
from portfolios.views.households import current_membership_or_404

# A page of alerts, newest first: a household that has had alerts for years has hundreds.
ALERTS_PAGE_SIZE = 50


@login_required
def alerts_page(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    status = request.GET.get("status") or None
    if status not in (None, *AlertEpisode.Status.values):
        status = None
    episodes = alert_list(household=membership.household, status=status)
    page = Paginator(episodes, ALERTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/alerts.html",
        {
            "episodes": _episode_rows(page.object_list),
            "page": page,
            "query": f"status={status}" if status else "",
            "status": status,
            "statuses": AlertEpisode.Status.choices,
        },
    )


def _episode_rows(episodes) -> list[dict]:
    """Return the alert list's rows with their labels and times already written (as the
    template's ``date`` filter writes them, in the household's time zone): a household can
    have hundreds of episodes, each costing a dozen lookups and filters in the template."""
    head, tail = reverse("alert-acknowledge", args=[0]).split("/0/")

    def when(moment, pattern: str = "M j, Y H:i") -> str:
        return date_filter(template_localtime(moment), pattern) if moment else ""

    rows = []
    for episode in episodes:
        acknowledger = episode.acknowledged_by
        rows.append(
            {
                "status": episode.status,
                "status_label": capfirst(episode.status),
                "link": episode.link,
                "message": episode.message,
                "kind": episode.rule.get_kind_display(),
                "opened": when(episode.opened_at),
                "acknowledged": when(episode.acknowledged_at),
                "acknowledged_by": person_name(acknowledger) if acknowledger else "",
                "resolved": when(episode.resolved_at),
                "checked": when(episode.last_seen_at, "M j, H:i"),
                "acknowledge_url": f"{head}/{episode.pk}/{tail}",
            }
        )
    return rows


@login_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot acknowledge alerts.")
    episode = alert_list(household=membership.household).filter(pk=pk).first()
    if episode is None:
        raise Http404("No such alert.")
    if alert_acknowledge(episode=episode, user=request.user):
        messages.info(request, "Alert acknowledged.")
    return redirect("alerts")


def _rule_rows(rules, bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    rows = []
    for rule in rules:
        form = bound.get(rule.pk) or AlertRuleForm(
            initial={
                "scope": rule.scope,
                "scope_name": rule.scope_name,
                "threshold": None if rule.threshold is None else f"{rule.threshold.normalize():f}",
                "direction": rule.direction,
                "enabled": rule.enabled,
                "notify_email": rule.notify_email,
            },
            prefix=f"rule-{rule.pk}",
        )
        form.fields["scope"].choices = [
            (value, label) for value, label in AlertRule.Scope.choices if value in SCOPES[rule.kind]
        ]
        rows.append({"rule": rule, "form": form, "unit": THRESHOLD_UNITS[rule.kind]})
    return rows


def _email_rows(membership: Membership, bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    rows = []
    for member, preference in email_choices_list(household=membership.household):
        if not (membership.is_owner or member.pk == membership.pk):
            continue
        form = bound.get(member.pk) or EmailChoicesForm(
            initial={
                "weekly_report": member.weekly_report,
                "alert_kinds": preference.alert_kinds,
                "quiet_start": preference.quiet_start,
                "quiet_end": preference.quiet_end,
            },
            prefix=f"member-{member.pk}",
        )
        rows.append({"member": member, "form": form, "editable": True})
    return rows


def _rules_page(request, membership, *, status=200, rule_forms=None, new_form=None, emails=None):
    household = membership.household
    return render(
        request,
        "alerts/rules.html",
        {
            "rows": _rule_rows(alert_rule_list(household=household), rule_forms),
            "new_form": new_form or NewAlertRuleForm(prefix="new"),
            "units": THRESHOLD_UNITS,
            "scopes": SCOPES,
            "email_rows": _email_rows(membership, emails),
            "can_write": membership.can_write,
        },
        status=status,
    )


@login_required
def alert_rules_page(request: HttpRequest) -> HttpResponse:
    """Every rule of the household with its threshold, scope and switches, and each member's
    e-mail choices (a member edits their own; the owner edits everyone's)."""
    return _rules_page(request, current_membership_or_404(request))


def _apply_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@login_required
@require_POST
def alert_rule_save(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot change alert rules.")
    rule = alert_rule_list(household=membership.household).filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    form = AlertRuleForm(request.POST, prefix=f"rule-{rule.pk}")
    if form.is_valid():
        fields = dict(form.cleaned_data)
        fields["direction"] = fields["direction"] or rule.direction
        try:
            alert_rule_update(rule=rule, fields=fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.info(request, f"Saved: {rule.get_kind_display()}.")
            return redirect(f"{reverse('alert-rules')}#rule-{rule.pk}")
    return _rules_page(request, membership, status=400, rule_forms={rule.pk: form})


@login_required
@require_POST
def alert_rule_add(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Viewers cannot add alert rules.")
    form = NewAlertRuleForm(request.POST, prefix="new")
    if form.is_valid():
        fields = dict(form.cleaned_data)
        fields["direction"] = fields["direction"] or AlertRule.Direction.BELOW
        try:
            rule = alert_rule_create(household=membership.household, fields=fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.info(request, f"Added: {rule.get_kind_display()}.")
            return redirect(f"{reverse('alert-rules')}#rule-{rule.pk}")
    return _rules_page(request, membership, status=400, new_form=form)


@login_required
@require_POST
def email_choices_save(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    target = (
        Membership.objects.filter(household=membership.household, pk=pk)
        .select_related("user")
        .first()
    )
    if target is None:
        raise Http404("No such member.")
    if not (membership.is_owner or target.pk == membership.pk):
        raise PermissionDenied("Only the owner changes another member's e-mails.")
    form = EmailChoicesForm(request.POST, prefix=f"member-{target.pk}")
    if form.is_valid():
        try:
            email_choices_update(membership=target, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.info(request, f"Saved the e-mails of {target.user.username}.")
            return redirect(f"{reverse('alert-rules')}#emails")
    return _rules_page(request, membership, status=400, emails={target.pk: form})


@login_required
def quarterly_review_page(request: HttpRequest) -> HttpResponse:
    """The printable quarterly review; ``?quarter=2026-Q3`` (default: the last closed one)."""
    membership = current_membership_or_404(request)
    household = membership.household
    today = household_today(household)
    chosen = request.GET.get("quarter")
    quarter = parse_quarter(chosen) if chosen else None
    if quarter is None:
        year, number = quarter_of(today)
        quarter = (year, number - 1) if number > 1 else (year - 1, 4)
    if date(quarter[0], 3 * quarter[1] - 2, 1) > today:
        quarter = quarter_of(today)
    household_refresh_if_stale(household=household, today=today)
    review = quarterly_review(household=household, year=quarter[0], quarter=quarter[1], today=today)
    return render(request, "alerts/quarterly_review.html", {"review": review})
