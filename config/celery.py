"""Celery application: configuration from Django settings (CELERY_ namespace)."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("hearth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _add_broker_steps() -> None:
    from config.broker import restore_orphans_step

    app.steps["consumer"].add(restore_orphans_step())


_add_broker_steps()


@worker_ready.connect
def check_broker_at_worker_start(sender=None, **kwargs):
    """Warn, at each worker start, when the broker could lose or repeat tasks."""
    from config.broker import warn_about_broker

    warn_about_broker(sender.app if sender is not None else app)
