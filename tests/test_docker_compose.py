"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_with_healthchecks():
    services = _compose()["services"]
    assert set(services) >= {"web", "worker", "beat", "postgres", "redis", "mailpit"}
    for name in ("web", "worker", "postgres", "redis", "mailpit"):
        assert "healthcheck" in services[name], name
    assert "postgres-data" in _compose()["volumes"]
    assert any("postgres-data:" in v for v in services["postgres"]["volumes"])


def test_web_runs_gunicorn_on_the_wsgi_app_and_migrates():
    command = _compose()["services"]["web"]["command"]
    assert "gunicorn config.wsgi:application" in command
    assert "migrate" in command
    assert (ROOT / "config" / "wsgi.py").is_file()


def test_worker_and_beat_use_the_celery_app_of_the_makefile():
    services = _compose()["services"]
    makefile = (ROOT / "Makefile").read_text()
    assert "celery -A config worker" in services["worker"]["command"]
    assert "celery -A config beat" in services["beat"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    assert "$(BIN)/celery -A config worker" in makefile


def test_app_services_get_database_redis_and_mail_from_the_environment():
    web = _compose()["services"]["web"]
    env = web["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["EMAIL_URL"].startswith("smtp://mailpit:")
    assert "SECRET_KEY:?" in env["SECRET_KEY"].replace("${", "").replace("}", "")
    assert web["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_dockerfile_serves_static_files_from_the_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"collectstatic", dockerfile)
    assert "config.settings.base" in dockerfile


def test_compose_defaults_pass_check_deploy():
    """HTTPS-only defaults (the W008/W012/W016 of `check --deploy` stay away); the health
    check says it came through TLS so the redirect does not fail it."""
    web = _compose()["services"]["web"]
    env = web["environment"]
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert env[name].endswith(":-true}"), name
    assert "X-Forwarded-Proto" in " ".join(web["healthcheck"]["test"])
    assert (ROOT / "gunicorn.conf.py").is_file()
