"""The beat schedule, as data in one place.

Cron times are UTC. Each entry's schedule can be overridden with its env variable (a
five-field cron expression) or switched off with "disable".
"""

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_str

# name, task, env override, default cron (minute hour day-of-month month day-of-week), expires (s)
SCHEDULE = [
    # After the XNYS close (16:00 New York = 21:00 UTC in summer, 22:00 in winter): 22:30 UTC on
    # weekdays is after the close all year. https://crontab.guru/#30_22_*_*_1-5
    (
        "Refresh prices, then valuations and alerts",
        "reporting.tasks.refresh_after_close_task",
        "SCHEDULE_REFRESH_PRICES",
        "30 22 * * 1-5",
        23 * 3600,
    ),
    # Alert rules each weekday after the prices and valuations of the evening refresh.
    # https://crontab.guru/#30_23_*_*_1-5
    (
        "Evaluate alert rules",
        "alerts.tasks.evaluate_alerts_task",
        "SCHEDULE_EVALUATE_ALERTS",
        "30 23 * * 1-5",
        23 * 3600,
    ),
    # Hourly: each household gets its weekly income report at Monday 07:00 in its own time
    # zone (reporting.calculations.report_weeks). https://crontab.guru/#10_*_*_*_*
    (
        "Send weekly income reports",
        "alerts.tasks.send_income_reports_task",
        "SCHEDULE_INCOME_REPORTS",
        "10 * * * *",
        55 * 60,
    ),
    # Every two minutes: recomputes owed but not done (the broker was down when the change
    # committed, a message was lost) are enqueued again. https://crontab.guru/#*/2_*_*_*_*
    (
        "Enqueue recomputes left behind",
        "alerts.tasks.sweep_pending_recomputes_task",
        "SCHEDULE_RECOMPUTE_SWEEP",
        "*/2 * * * *",
        110,
    ),
    # Hourly: alert digests held back by a member's quiet hours go out when they end.
    # https://crontab.guru/#20_*_*_*_*
    (
        "Send alert digests held by quiet hours",
        "alerts.tasks.send_alert_digests_task",
        "SCHEDULE_ALERT_DIGESTS",
        "20 * * * *",
        55 * 60,
    ),
    # Nightly: unconfirmed import previews expire after two days.
    # https://crontab.guru/#40_3_*_*_*
    (
        "Prune import previews",
        "portfolios.tasks.prune_import_previews_task",
        "SCHEDULE_PRUNE_IMPORTS",
        "40 3 * * *",
        23 * 3600,
    ),
    # Nightly: the notes of the day's writing transactions, which tell the pages their kept
    # figures are out of date, are folded into one. https://crontab.guru/#50_3_*_*_*
    (
        "Compact the change log of the pages' figures",
        "portfolios.tasks.compact_change_log_task",
        "SCHEDULE_COMPACT_CHANGES",
        "50 3 * * *",
        23 * 3600,
    ),
    # Nightly backup of the whole database into BACKUP_DIR, keeping BACKUP_KEEP copies; one
    # file per night, so a repeated run writes nothing. https://crontab.guru/#15_4_*_*_*
    (
        "Back up the database",
        "portfolios.tasks.backup_database_task",
        "SCHEDULE_BACKUP",
        "15 4 * * *",
        23 * 3600,
    ),
    # Keep each household's income projection when its month starts: hourly, so every time
    # zone's midnight is caught within the hour. https://crontab.guru/#5_*_*_*_*
    (
        "Keep the income projection at each month's start",
        "income.tasks.snapshot_income_projections_task",
        "SCHEDULE_INCOME_SNAPSHOTS",
        "5 * * * *",
        55 * 60,
    ),
]


def _crontab(expression: str, env_name: str) -> crontab:
    fields = expression.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{env_name} must be a five-field cron expression or 'disable', got {expression!r}"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def beat_schedule() -> dict[str, dict]:
    """Return CELERY_BEAT_SCHEDULE built from SCHEDULE and its env overrides."""
    schedule = {}
    for name, task, env_name, default, expires in SCHEDULE:
        expression = env_str(env_name, default).strip()
        if expression == "disable":
            continue
        schedule[name] = {
            "task": task,
            "schedule": _crontab(expression, env_name),
            "options": {"expires": expires},
        }
    return schedule
