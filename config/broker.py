"""Broker settings that survive a restart, checked when a worker starts.

A Redis broker loses queued tasks when it restarts without persistence, and silently drops
them under memory pressure unless ``maxmemory-policy`` is ``noeviction``. Neither is visible
from the application until something is missing, so the worker says so at start-up.

Redis also hands an unacknowledged message to another worker once the visibility timeout
has passed: a task delayed (countdown, retry backoff) or running beyond it would run twice.
``schedule_problems`` lists the tasks that could.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("hearth.broker")

WARNING_BANNER = "BROKER SETTINGS PUT QUEUED TASKS AT RISK"


def redis_config_problems(client) -> list[str]:
    """Return what is wrong with a Redis server's persistence and eviction for a broker."""
    from redis.exceptions import RedisError

    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
        appendonly = client.config_get("appendonly").get("appendonly", "no")
        save = client.config_get("save").get("save", "")
    except RedisError as exc:
        return [
            f"could not read the Redis configuration ({exc}); check by hand that "
            "maxmemory-policy is noeviction and appendonly is yes"
        ]
    problems = []
    if policy != "noeviction":
        problems.append(
            f"Redis maxmemory-policy is {policy!r}: when memory runs short Redis deletes keys, "
            "queued tasks included. Set maxmemory-policy noeviction."
        )
    if appendonly != "yes" and not save.strip():
        problems.append(
            "Redis persists nothing (appendonly no, no save points): a Redis restart loses "
            "every queued task. Set appendonly yes."
        )
    return problems


def schedule_problems(app) -> list[str]:
    """Return tasks that could wait or run past the broker's visibility timeout.

    1. A retry's countdown is at most ``retry_backoff_max`` (autoretry with backoff) or
       ``default_retry_delay``; with jitter never more.
    2. A late-acknowledged task holds its message for as long as it runs: its hard time
       limit must end before the visibility timeout.
    """
    timeout = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    time_limit = app.conf.task_time_limit or 0
    problems = []
    for name, task in sorted(app.tasks.items()):
        if name.startswith("celery."):
            continue
        if getattr(task, "autoretry_for", None) and getattr(task, "retry_backoff", False):
            delay = getattr(task, "retry_backoff_max", 600)
        else:
            delay = task.default_retry_delay or 0
        if delay >= timeout:
            problems.append(
                f"{name}: a retry may wait {delay} s, beyond the visibility timeout of {timeout} s"
            )
        limit = task.time_limit or time_limit
        if task.acks_late and (not limit or limit >= timeout):
            problems.append(
                f"{name}: acknowledged late but may run {limit or 'without limit'} s, "
                f"beyond the visibility timeout of {timeout} s"
            )
    return problems


def broker_problems(app) -> list[str]:
    """Return every problem of the broker this app is configured with."""
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return []  # the demo's filesystem transport has no visibility timeout
    problems = schedule_problems(app)
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        problems += redis_config_problems(client)
    finally:
        client.close()
    return problems


def warn_about_broker(app) -> list[str]:
    """Log a clear warning for each broker problem; return them (the worker calls this)."""
    problems = broker_problems(app)
    if problems:
        logger.warning(
            "%s:\n%s", WARNING_BANNER, "\n".join(f"  - {problem}" for problem in problems)
        )
    else:
        logger.info("broker settings checked: persistent, noeviction, delays within timeout")
    return problems


def restore_orphaned_messages(connection, *, now: float | None = None) -> int:
    """Put back on their queue the messages left unacknowledged when Redis last restarted.

    Kombu keeps each delivered, not yet acknowledged message in Redis (the ``unacked`` hash,
    indexed by delivery time) and redelivers it only after the visibility timeout (2 h).
    A Redis restart severs every worker's connection, and a worker that lost its connection
    drops the messages it had reserved, so every message delivered before Redis started is
    orphaned: at best a task still running finishes and its message is then delivered again.
    Redelivering those now (not two hours later) is safe because every late-acknowledged
    task is idempotent; messages delivered since the restart belong to live workers and are
    left alone.

    1. Redis started ``uptime_in_seconds`` ago; one more second covers its rounding.
    2. Restore each message delivered before then (kombu's ``restore_by_tag`` is a WATCHed
       transaction, so two workers doing this at once restore each message once).
    """
    import time

    if connection.transport.driver_type != "redis":
        return 0
    channel = connection.default_channel
    client = channel.client
    started = (
        (now if now is not None else time.time()) - client.info("server")["uptime_in_seconds"] - 1
    )
    tags = client.zrangebyscore(channel.qos.unacked_index_key, 0, started)
    for tag in tags:
        channel.qos.restore_by_tag(tag, client)
    if tags:
        logger.warning(
            "Redis restarted: %s task message(s) left unacknowledged by the lost connections "
            "put back on their queue",
            len(tags),
        )
    return len(tags)


def restore_orphans_step():
    """Return a consumer bootstep that runs ``restore_orphaned_messages`` on every
    (re)connection to the broker."""
    from celery import bootsteps

    class RestoreOrphanedMessages(bootsteps.StartStopStep):
        requires = {"celery.worker.consumer.tasks:Tasks"}

        def start(self, consumer):
            try:
                restore_orphaned_messages(consumer.connection)
            except Exception:  # the worker must start even if this check cannot run
                logger.exception("could not look for messages orphaned by a Redis restart")

    return RestoreOrphanedMessages
