import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_secret
from config.schedule import beat_schedule
from config.settings.base import check_production_settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("false", False)],
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("HEARTH_FLAG", raw)
    assert env_bool("HEARTH_FLAG", default=not expected) is expected


def test_env_bool_rejects_garbage_loudly(monkeypatch):
    monkeypatch.setenv("HEARTH_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="HEARTH_FLAG must be a boolean"):
        env_bool("HEARTH_FLAG", default=False)


def test_env_int_rejects_non_numbers(monkeypatch):
    monkeypatch.setenv("HEARTH_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="HEARTH_N must be an integer"):
        env_int("HEARTH_N", 3)
    monkeypatch.setenv("HEARTH_N", "10")
    assert env_int("HEARTH_N", 3) == 10


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HEARTH_HOSTS", " a.example , b.example,, ")
    assert env_list("HEARTH_HOSTS") == ["a.example", "b.example"]


def test_env_secret_reads_docker_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("HEARTH_KEY_FILE", str(secret))
    assert env_secret("HEARTH_KEY") == "s3cret"
    monkeypatch.setenv("HEARTH_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="not a file"):
        env_secret("HEARTH_KEY")


def test_env_choice_rejects_unknown_provider(monkeypatch):
    monkeypatch.setenv("PRICE_PROVIDER", "bloomberg")
    with pytest.raises(ImproperlyConfigured, match="PRICE_PROVIDER must be one of"):
        env_choice("PRICE_PROVIDER", ["demo", "csv"], "demo")


def test_production_refuses_missing_or_demo_secret_key():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        check_production_settings(debug=False, secret_key="", allowed_hosts=["x"])
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        check_production_settings(
            debug=False, secret_key="demo-insecure-" + "x" * 40, allowed_hosts=["x"]
        )
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        check_production_settings(debug=False, secret_key="k" * 50, allowed_hosts=[])
    check_production_settings(debug=False, secret_key="k" * 50, allowed_hosts=["hearth.example"])
    check_production_settings(debug=True, secret_key="", allowed_hosts=[])


def test_production_settings_module_refuses_to_start_without_secret_key():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    env["ALLOWED_HOSTS"] = "hearth.example"
    proc = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


def test_beat_schedule_entries_can_be_disabled_or_overridden(monkeypatch):
    monkeypatch.setenv("SCHEDULE_REFRESH_PRICES", "disable")
    assert not any(
        entry["task"] == "reporting.tasks.refresh_after_close_task"
        for entry in beat_schedule().values()
    )
    monkeypatch.setenv("SCHEDULE_REFRESH_PRICES", "0 23 * * 1-5")
    entry = next(
        e
        for e in beat_schedule().values()
        if e["task"] == "reporting.tasks.refresh_after_close_task"
    )
    assert entry["schedule"].hour == {23}
    assert entry["options"]["expires"] > 0
    monkeypatch.setenv("SCHEDULE_REFRESH_PRICES", "every day")
    with pytest.raises(ImproperlyConfigured, match="five-field cron"):
        beat_schedule()
