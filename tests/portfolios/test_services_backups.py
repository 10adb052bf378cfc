"""`manage.py backup` / `manage.py restore` and the nightly backup job.

The restore goes into a fresh database in another process (SQLite file, or a new PostgreSQL
database on the same server in CI), and every household's tables compare equal by checksum.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from alerts.services import alert_rules_create_defaults
from portfolios.services.backups import (
    BackupError,
    backups_prune,
    database_backup,
    database_backup_nightly,
    database_restore,
)
from portfolios.tasks import backup_database_task
from tests.conftest import token_client
from tests.reliability.checksums import GLOBAL, database_checksums
from tests.reliability.processes import checksums_in, hearth_env, manage

NIGHT = datetime(2026, 3, 9, 4, 15, tzinfo=UTC)


@pytest.fixture
def fresh_database(tmp_path):
    """Yield the DATABASE_URL of an empty database of the same kind as the test database."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"{settings['NAME']}_restore"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
    server = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_restore_into_a_fresh_database_gives_every_household_identical(
    secret_household, tmp_path, fresh_database
):
    # given two households with a ledger, lots, valuation series, projections, alert rules
    # and API tokens (household A is valued and projected by the fixture)
    cast = secret_household
    token_client(cast.owner, cast.household_a, scope="read")
    token_client(cast.outsider, cast.household_b, scope="write")
    alert_rules_create_defaults(household=cast.household_a)
    before = database_checksums()
    alpha = before["Alpha"]
    for table in (
        "portfolios.Transaction",
        "portfolios.TaxLot",
        "portfolios.Account",
        "portfolios.ApiToken",
        "reporting.ValuationSeries",
        "income.ProjectionState",
        "alerts.AlertRule",
    ):
        assert alpha[table][0] > 0, f"the fixture should have {table} rows"
    # when backed up through the command, then restored by the command in another process
    backup = tmp_path / "hearth.backup"
    call_command("backup", "--output", str(backup))
    env = hearth_env(DATABASE_URL=fresh_database)
    restored = manage("restore", str(backup), "--noinput", env=env)
    # then the restored database's checksums equal the original's, household by household
    assert "restored" in restored.stdout
    after = checksums_in(env)
    assert set(after) == set(before) == {"Alpha", "Bravo", GLOBAL}
    for household in ("Alpha", "Bravo", GLOBAL):
        differing = [t for t in before[household] if before[household][t] != after[household][t]]
        assert differing == [], f"{household}: {differing}"


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_to_overwrite_and_restore_refuses_other_files(cast, tmp_path):
    # given a backup already taken
    path = tmp_path / "one.backup"
    database_backup(path=path)
    # when the command is asked to write the same file, or restore a file that is no backup
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", "--output", str(path))
    junk = tmp_path / "junk.csv"
    junk.write_text("date,close\n")
    with pytest.raises(BackupError, match="not a Hearth backup"):
        database_restore(path=junk)
    # then the first file is untouched and no partial file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.csv", "one.backup"]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_backup_of_the_other_kind_of_database(cast, tmp_path):
    # given a file of the other kind (a pg_dump archive starts with PGDMP, SQLite with its
    # 16-byte header)
    other = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        other.write_bytes(b"PGDMP" + b"\x00" * 100)
    else:
        other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    # when / then
    with pytest.raises(CommandError, match="restore it into the same kind of database"):
        call_command("restore", str(other), "--noinput")


@pytest.mark.django_db(transaction=True)
def test_nightly_job_keeps_one_copy_per_night_and_the_newest_n(cast, tmp_path, settings):
    # given BACKUP_KEEP = 3 and four earlier nights' copies (a manual backup stays)
    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_KEEP = 3
    suffix = ".sqlite3" if connection.vendor == "sqlite" else ".dump"
    for day in ("2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"):
        (tmp_path / f"hearth-nightly-{day}{suffix}").write_bytes(b"old")
    (tmp_path / f"hearth-manual-2026-01-01-120000{suffix}").write_bytes(b"mine")
    # when the nightly job runs for the night of 2026-03-09, twice (beat firing twice)
    first = database_backup_nightly(folder=tmp_path, keep=3, now=NIGHT)
    second = database_backup_nightly(folder=tmp_path, keep=3, now=NIGHT)
    # then one new copy, the three newest nightly copies remain, the manual one is kept
    assert first.created and not second.created
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            f"hearth-manual-2026-01-01-120000{suffix}",
            f"hearth-nightly-2026-03-07{suffix}",
            f"hearth-nightly-2026-03-08{suffix}",
            f"hearth-nightly-2026-03-09{suffix}",
        ]
    )
    assert (tmp_path / f"hearth-nightly-2026-03-09{suffix}").stat().st_size > 1000


@pytest.mark.django_db(transaction=True)
def test_backup_task_writes_into_the_configured_folder(cast, tmp_path, settings):
    # given
    settings.BACKUP_DIR = tmp_path / "nightly"
    settings.BACKUP_KEEP = 7
    # when the beat entry's task runs
    result = backup_database_task.delay().get()
    # then one file in the folder, named for tonight
    files = list(Path(settings.BACKUP_DIR).iterdir())
    assert [str(f) for f in files] == [result["path"]]
    assert files[0].name.startswith("hearth-nightly-") and result["created"] is True


def test_prune_refuses_to_keep_nothing(tmp_path):
    with pytest.raises(BackupError, match="at least 1"):
        backups_prune(folder=tmp_path, keep=0)
