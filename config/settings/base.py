"""Hearth settings shared by every profile; production is this module plus the environment.

With nothing set, `config.settings.local` gives the embedded demo (SQLite, filesystem broker).
Here, with DEBUG off, a real SECRET_KEY and ALLOWED_HOSTS are required.
"""

from pathlib import Path

import dj_database_url
import dj_email_url
import plotly
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_secret, env_str
from config.schedule import beat_schedule

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("HEARTH_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
DEMO_MODE = env_bool("DEMO_MODE", default=DEBUG)
SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSECURE_KEY_PREFIX = "demo-insecure-"


def check_production_settings(*, debug: bool, secret_key: str, allowed_hosts: list[str]) -> None:
    """Refuse to run without debug unless the secret key and allowed hosts are real."""
    if debug:
        return
    if not secret_key or secret_key.startswith(INSECURE_KEY_PREFIX) or len(secret_key) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 32 characters when DEBUG is off"
        )
    if not allowed_hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")


check_production_settings(debug=DEBUG, secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "portfolios",
    "income",
    "alerts",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portfolios.security.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portfolios.security.staff_mfa.StaffSecondFactorMiddleware",
    "portfolios.middleware.CurrentHouseholdMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portfolios.context_processors.household",
            ],
        },
    },
]

# --- Database: DATABASE_URL, or the embedded SQLite file of the demo -----------------------
DATABASE_URL = env_str("DATABASE_URL")
# WAL and a busy timeout let several processes (web workers, the demo's worker) share a SQLite
# file: readers never wait for a writer, and writers queue instead of failing.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASE_URL:
    # Health checks: a kept connection that died (the database restarted) is replaced
    # before a request uses it, instead of failing that request.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)  # sqlite:///path, as the demo's
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "hearth.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Login and API throttling count in this cache; if Redis is down it falls back to memory
# (per process) instead of failing the login.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portfolios.security.cache.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js comes from the installed plotly package: served by us, never from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Files browsers ask for at the site's root (favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"

# --- Security --------------------------------------------------------------------------------
# With DEBUG off: HTTPS only (redirect, HSTS, Secure cookies). SECURE_SSL_REDIRECT,
# SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE=false turn each off for plain HTTP on a
# trusted loopback or behind a proxy that redirects itself.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Submitting a domain to the browsers' HSTS preload list is its owner's decision, not the
# app's: W021 (preload not set) is silenced; SECURE_HSTS_PRELOAD=true opts in.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content Security Policy: our own scripts only. Plotly sets inline styles; the
# household switcher and two filters submit on change with one inline handler, allowed by
# its hash ('unsafe-hashes'), not by 'unsafe-inline'.
# (tests/security/test_headers_and_logs.py fails for any other inline script or handler.)
_INLINE_HANDLERS = [
    "'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='",  # this.form.submit()
    "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='",  # window.print()
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-hashes'", *_INLINE_HANDLERS],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none, use the
# socket's address). Client addresses in the audit trail and login throttling use it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Authentication (django-allauth, username + password, TOTP) ----------------------------
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "portfolios.adapters.InviteOnlyAccountAdapter"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_LOGOUT_ON_GET = False
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Hearth"
MFA_FORMS = {"authenticate": "portfolios.security.login.AuditedAuthenticateForm"}
# Failed logins count per client IP and per (IP, username) (see portfolios.security.login),
# so nobody can lock a member out from elsewhere; the admin logs in through the same pages.
ACCOUNT_RATE_LIMITS = {
    "login": env_str("LOGIN_RATE_LIMIT", "30/m/ip"),
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "20/m/ip,5/5m/key"),
}

# --- Email -----------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "console:")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hearth <hearth@localhost>")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# The address e-mails link back to (DESIGN §6): every link in an e-mail is absolute. Unset,
# pages use the address a request came to and e-mails the demo's http://127.0.0.1:8000.
SITE_URL = env_str("SITE_URL", "").rstrip("/")
# The weekly report command retries a failed send this many times, waiting base × 2^n s.
INCOME_REPORT_RETRIES = env_int("INCOME_REPORT_RETRIES", 3)
INCOME_REPORT_RETRY_BACKOFF = env_int("INCOME_REPORT_RETRY_BACKOFF", 5)

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes anonymous calls 401, not 403.
        "portfolios.api.authentication.TokenAuthentication",
        "portfolios.api.authentication.HouseholdSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portfolios.api.permissions.HouseholdRolePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "portfolios.api.renderers.CSVRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "portfolios.security.throttles.TokenRateThrottle",
        "portfolios.security.throttles.UserRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "portfolios.api.pagination.HearthPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portfolios.api.exceptions.hearth_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "portfolios.api.schema.HearthAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hearth API",
    "DESCRIPTION": "Read a household's accounts, holdings, gains, income and performance.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ----------------------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport, so the demo's worker
# and beat run real scheduled jobs without any server.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"
if not REDIS_URL:
    CELERY_BROKER_FOLDER.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
# acks_late tasks take one message at a time, so a killed worker holds back no others.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = beat_schedule()
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses the broker reconnects for as long as it takes (Redis restarting).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Redis gives an unacknowledged task to another worker after this many seconds: longer than
# any task's time limit or retry delay, or a late-acknowledged task would run twice
# (config/broker.py checks both at worker start).
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 2 * 3600)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
# On a lost broker connection, let running tasks finish rather than cutting them off midway
# (a weekly report claimed but not yet sent would be lost). Their messages go back to the
# queue when Redis returns (config.broker.restore_orphaned_messages) and the rerun, every
# late-acknowledged task being idempotent, changes nothing.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# --- Hearth ----------------------------------------------------------------------------------
PRICE_PROVIDER = env_choice("PRICE_PROVIDER", ["demo", "csv", "yfinance", "stooq"], "demo")
PRICE_CSV_DIR = env_str("PRICE_CSV_DIR", str(VAR_DIR / "prices"))
RISK_FREE_RATE = env_str("RISK_FREE_RATE", "0")
# A held security without a new close for this many XNYS sessions is reported as stale.
STALE_PRICE_SESSIONS = env_int("STALE_PRICE_SESSIONS", 5)
IMPORT_MAX_BYTES = 20 * 1024 * 1024
# Nightly backups (portfolios.services.backups): the folder, and how many nightly copies stay.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("BACKUP_KEEP", 7)
# Benchmarks any household may name even while only another household holds them (broad
# index funds); any other symbol held only by another household answers as unknown.
PUBLIC_BENCHMARK_SYMBOLS = env_list(
    "PUBLIC_BENCHMARK_SYMBOLS",
    ["VTI", "VOO", "SPY", "IVV", "VT", "VXUS", "VEA", "VWO", "BND", "AGG", "BNDX", "QQQ", "IWM"],
)
# Requests per token and per user (DRF rate: N/sec, N/min, N/hour or N/day).
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # ?token= secrets never reach a log line (gunicorn's access log: gunicorn.conf.py).
    "filters": {"redact_secrets": {"()": "portfolios.security.logs.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines go through the same redacting handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
