from django.conf import settings
from django.db import models

from portfolios.models.household import Household


class AuditEvent(models.Model):
    """One sensitive action: who did what to which object, when, from where, with what outcome.

    Rows are only ever added. ``household`` is null for events outside any household (a
    failed login). ``changes`` holds ``{field: [old, new]}`` for edits and the old values of
    a deleted row, so nothing a household changed is lost without a trace.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        FAILED = "failed", "Failed"
        DENIED = "denied", "Refused"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # The username as typed or as it was, kept when the user is gone or never existed.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, help_text="e.g. login, account.update, token.create")
    target = models.CharField(max_length=200, blank=True, help_text="The object acted on")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    ip = models.GenericIPAddressField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["household", "-at"], name="portfolios_audit_hh_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action} {self.outcome}"
