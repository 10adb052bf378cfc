"""The settings pages under /settings/: one place where a household sets itself up.

Views are thin: forms collect what was typed, services check and write it (raising
``ApplicationError`` naming each bad field), selectors read. Viewers read every section
but members and tokens; members change data; owners also manage members and tokens and
read the audit trail.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from portfolios.models import Membership
from portfolios.views.households import current_membership_or_404


def owner_membership_or_403(request: HttpRequest) -> Membership:
    """Return the page's membership when it is an owner's; anyone else gets 403."""
    membership = current_membership_or_404(request)
    if not membership.is_owner:
        raise PermissionDenied("Only the household's owners manage members, tokens and the log.")
    return membership


def writer_or_403(request: HttpRequest) -> Membership:
    """Return the page's membership when its role may change data; viewers get 403."""
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Your role in this household is read-only.")
    return membership
