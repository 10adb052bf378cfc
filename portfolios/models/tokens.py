import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from portfolios.models.base import TimeStampedModel
from portfolios.models.household import Household

PREFIX_BY_SCOPE = {"read": "hr_", "write": "hw_"}


def _digest(secret: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_key(self, raw_key: str) -> "ApiToken | None":
        """Return the live token matching raw_key, comparing digests in constant time."""
        prefix, _, secret = raw_key.strip().partition(".")
        if not prefix or not secret:
            return None
        token = self.select_related("user", "household").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
            return None
        if not token.is_live:
            return None
        return token


class ApiToken(TimeStampedModel):
    """A bearer token for spreadsheets and scripts; only its digest is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, unique=True, help_text="Visible identifier")
    digest = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @staticmethod
    def generate(scope: str) -> tuple[str, str, str]:
        """Return (raw key, prefix, digest) for a new token of the scope."""
        prefix = PREFIX_BY_SCOPE[scope] + secrets.token_hex(5)
        secret = secrets.token_urlsafe(32)
        return f"{prefix}.{secret}", prefix, _digest(secret)
