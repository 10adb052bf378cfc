"""Test profile: the same settings, faster hashing, local email, eager Celery by default.

DATABASE_URL and REDIS_URL, when set (CI), make the suite run on PostgreSQL and Redis.
"""

import os
from urllib.parse import urlparse

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

# `make test` runs the suite in parallel processes (pytest-xdist: gw0, gw1, ...). Each gets a
# folder of its own (the filesystem broker, backups) and, on Redis, the database numbered
# REDIS_URL's plus its index (CI: /0 and /1), so throttle counts and broker queues never
# mix; pytest-django gives each its own test database. Processes the tests start inherit it.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    _index = int(_XDIST_WORKER.removeprefix("gw") or 0)
    os.environ.setdefault("HEARTH_VAR_DIR", f"/tmp/hearth-test-var-{_XDIST_WORKER}")
    _redis = urlparse(os.environ.get("REDIS_URL", ""))
    if _redis.scheme in {"redis", "rediss"} and not os.environ.get("HEARTH_TEST_REDIS_SPLIT"):
        _db = (int(_redis.path.lstrip("/") or 0) + _index) % 16
        os.environ["REDIS_URL"] = _redis._replace(path=f"/{_db}").geturl()
        os.environ["HEARTH_TEST_REDIS_SPLIT"] = "1"  # once, if settings load again
os.environ.setdefault("HEARTH_VAR_DIR", "/tmp/hearth-test-var")

from config.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
# Throttling is proven by its own tests (which lower the rate); sweeps send many requests.
API_THROTTLE_RATE = "100000/min"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PRICE_PROVIDER = "demo"
