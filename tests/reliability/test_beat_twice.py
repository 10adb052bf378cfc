"""Beat firing twice for one slot: every scheduled job sent twice, at once, to two workers.

The same household runs each beat entry once (the clean run) and twice (the faulty run),
each on its own database and Redis database; the faulty run must end exactly where the clean
one does: no alert, e-mail, weekly report, snapshot, close or backup doubled.
"""

from datetime import timedelta

import pytest

from tests.reliability.conftest import last_monday

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(300)]


def _send_beat_entries(stack, *, times: int) -> int:
    """Send every beat entry `times` times through the broker, as beat would; return count."""
    from celery import Celery

    from config.schedule import beat_schedule

    sender = Celery(broker=stack.redis_url)
    sent = 0
    for entry in beat_schedule().values():
        for _ in range(times):
            sender.send_task(entry["task"], expires=24 * 3600)
            sent += 1
    sender.close()
    return sent


def test_every_beat_entry_sent_twice_changes_nothing_more_than_once(
    own_redis, make_stack, reliability
):
    # given the same household twice, on Monday 07:20 UTC (its weekly report is due), the
    # Friday before being the last session the seed was valued up to
    monday = last_monday()
    now = f"{monday.isoformat()}T07:20:00+00:00"
    session = (monday - timedelta(days=2)).isoformat()
    clean = make_stack("clean", redis_url=own_redis.url.replace("/0", "/1"), fake_now=now)
    twice = make_stack("twice", redis_url=own_redis.url.replace("/0", "/2"), fake_now=now)
    seeds = [s.start("seed", session, CELERY_TASK_ALWAYS_EAGER="true") for s in (clean, twice)]
    for seed in seeds:
        seed.result()
    # when each beat entry is sent once to the clean stack, and twice at once to the other,
    # whose two workers take the copies side by side
    clean.start_worker("clean", concurrency=2)
    _send_beat_entries(clean, times=1)
    expected = clean.wait_until_idle()
    twice.start_worker("twice-a", concurrency=2)
    twice.start_worker("twice-b", concurrency=2)
    _send_beat_entries(twice, times=2)
    found = twice.wait_until_idle()
    # then the clean run did something worth doubling ...
    assert expected["episodes"] >= 2 and expected["episodes_emailed"] >= 2
    assert expected["weekly_sent"] == 2  # alice and bob
    clean_mail, twice_mail = sorted(clean.emails()), sorted(twice.emails())
    assert len(clean_mail) == 3  # one alert e-mail per new batch, two weekly reports
    # ... and the doubled run ended in the same place, e-mail for e-mail
    backups = [sorted(p.name for p in (s.folder / "backups").iterdir()) for s in (clean, twice)]
    doubled = (
        max(0, len(twice_mail) - len(clean_mail))
        + max(0, found["episodes"] - expected["episodes"])
        + max(0, found["weekly_sent"] - expected["weekly_sent"])
        + max(0, found["snapshots"] - expected["snapshots"])
        + max(0, len(backups[1]) - len(backups[0]))
    )
    lost = max(0, len(clean_mail) - len(twice_mail))
    reliability.record(lost=lost, doubled=doubled)
    assert twice_mail == clean_mail
    assert found == expected
    assert len(backups[0]) == len(backups[1]) == 1
