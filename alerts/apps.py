from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"

    def ready(self) -> None:
        # Register the tasks in every process (web too): the lower apps enqueue the
        # recompute task by its registered name, never by importing this app.
        from alerts import tasks  # noqa: F401
