"""API throttling per token and per user at ``API_THROTTLE_RATE`` (e.g. ``600/min``).

Over the rate, DRF answers 429 with ``Retry-After`` (seconds), in the error envelope. The
counters live in the default cache (Redis in production, shared by every worker).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portfolios.models import ApiToken


class _SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is read from settings on each request (tests can change it)."""

    def get_rate(self) -> str | None:
        return getattr(settings, "API_THROTTLE_RATE", None) or None


class TokenRateThrottle(_SettingRateThrottle):
    """Each token on its own budget."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class UserRateThrottle(_SettingRateThrottle):
    """Every request of one user (all their tokens and their session) on one budget, so
    issuing more tokens does not buy more requests."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}
