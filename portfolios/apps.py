from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_change_log(sender, using="default", **kwargs) -> None:
    """After every migrate (and a test database's creation): note writes for the pages'
    figure cache on every table, new ones included (``portfolios.services.data_changes``)."""
    from portfolios.services.data_changes import change_log_install

    change_log_install(using=using)


class PortfoliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolios"

    def ready(self) -> None:
        from portfolios.collector import start_up_objects_frozen
        from portfolios.security import audit_events

        start_up_objects_frozen()
        audit_events.connect()
        # post_migrate comes after every migration has run: every table exists by then.
        post_migrate.connect(_install_change_log, sender=self)
