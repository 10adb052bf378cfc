"""Beat firing twice for one slot: every scheduled job sent twice, at once.

The household runs each beat entry once, one after another, in a clean process (the
reference); then a worker of two processes gets every entry twice at once, as a beat that
fired twice or two beat processes would send them. It must end exactly where the clean
run did: no alert, e-mail, weekly report, snapshot, close or backup doubled.
"""

import pytest

from config.schedule import beat_schedule
from tests.reliability.conftest import FRIDAY
from tests.reliability.stack import differing

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(600)]


def _entries() -> list[tuple[str, list]]:
    tasks = []
    for entry in beat_schedule().values():
        args = ["demo", FRIDAY.isoformat()] if entry["task"].endswith("after_close_task") else []
        tasks.append((entry["task"], args))
    return tasks


def test_every_beat_entry_sent_twice_changes_nothing_more_than_once(
    own_redis, make_stack, reliability
):
    # given the seeded household twice, on Monday 07:20 UTC (its weekly report is due)
    clean = make_stack("clean", redis_url=own_redis.url)
    twice = make_stack("twice", redis_url=own_redis.url)
    # when each beat entry runs once in the clean copy, and the other's worker gets each
    # entry twice, the copies side by side in its two processes
    [expected] = clean.run_tasks([_entries()])
    twice.start_worker("twice", concurrency=2)
    twice.send([entry for entry in _entries() for _ in range(2)])
    found = twice.wait_until_idle()
    # then the clean run did something worth doubling ...
    clean_mail, twice_mail = sorted(clean.emails()), sorted(twice.emails())
    assert expected["episodes"] >= 2 and expected["episodes_emailed"] >= 2
    assert expected["weekly_sent"] == 2  # alice and bob
    weekly = [subject for subject in clean_mail if subject.startswith("Hearth weekly income")]
    assert len(weekly) == 2 and len(clean_mail) > 2  # and the new alerts' e-mails
    # ... and the doubled run ended in the same place, e-mail for e-mail
    backups = [sorted(p.name for p in (s.folder / "backups").iterdir()) for s in (clean, twice)]
    doubled = (
        max(0, len(twice_mail) - len(clean_mail))
        + max(0, found["episodes"] - expected["episodes"])
        + max(0, found["weekly_sent"] - expected["weekly_sent"])
        + max(0, found["snapshots"] - expected["snapshots"])
        + max(0, len(backups[1]) - len(backups[0]))
    )
    reliability.record(lost=max(0, len(clean_mail) - len(twice_mail)), doubled=doubled)
    assert twice_mail == clean_mail
    assert differing(found, expected) == {}
    assert len(backups[0]) == len(backups[1]) == 1
