"""The audit log (owners only): who did what, when, from where; filterable, paginated."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portfolios.forms.settings import AuditFilterForm
from portfolios.selectors.audit import audit_actions, audit_list, audit_users
from portfolios.selectors.households import member_names
from portfolios.views.settings import owner_membership_or_403

PAGE_SIZE = 50


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    membership = owner_membership_or_403(request)
    household = membership.household
    form = AuditFilterForm(
        request.GET or None,
        actions=audit_actions(household=household),
        users=audit_users(household=household),
    )
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data.get("action") or None,
            "username": data.get("user") or None,
            "outcome": data.get("outcome") or None,
            "start": data.get("start"),
            "end": data.get("end"),
        }
    events = audit_list(household=household, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "settings/audit.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "section": "audit",
            "names": member_names(household=household),
        },
    )
