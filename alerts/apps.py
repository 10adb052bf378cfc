from django.apps import AppConfig
from django.db.models.signals import post_save


def _household_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Give every new household the default alert rules.

    A signal, because households are created by the ground layer (``portfolios``), which
    may not call the top layer; creating a higher app's defaults is the decoupled concern
    signals are for.
    """
    if created and not raw:
        from alerts.services.rules import alert_rules_create_defaults

        alert_rules_create_defaults(household=instance)


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"

    def ready(self) -> None:
        from portfolios.models import Household

        post_save.connect(_household_created, sender=Household, dispatch_uid="alerts_defaults")
