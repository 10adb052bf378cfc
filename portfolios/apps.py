from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolios"

    def ready(self) -> None:
        from portfolios.collector import start_up_objects_frozen
        from portfolios.security import audit_events

        start_up_objects_frozen()
        audit_events.connect()
