"""The admin's login page never checks a password itself.

Anyone not logged in is sent to allauth's login (its throttling, its second factor), with
``next`` back to the admin. A logged-in staff member is sent on to the admin; anyone else
logged in is refused. Django's own admin login form would otherwise still accept a POST of
username and password, by-passing both the second factor and the throttle.
"""

from allauth.account.decorators import secure_admin_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


@secure_admin_login
def admin_login(request, extra_context=None):
    """Reached only by an active staff member already logged in through allauth."""
    target = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect(target or reverse("admin:index"))
