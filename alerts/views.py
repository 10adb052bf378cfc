from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alerts.models import AlertEpisode
from alerts.selectors import alert_list
from alerts.services import alert_acknowledge
from portfolios.views.households import current_membership_or_404


@login_required
def alerts_page(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    status = request.GET.get("status") or None
    if status not in (None, *AlertEpisode.Status.values):
        status = None
    episodes = alert_list(household=membership.household, status=status)[:500]
    return render(
        request,
        "alerts/alerts.html",
        {"episodes": episodes, "status": status, "statuses": AlertEpisode.Status.choices},
    )


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
