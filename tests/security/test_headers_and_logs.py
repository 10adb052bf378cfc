"""Headers on every page type, secrets kept out of logs, and `check --deploy` clean with the
production settings."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from portfolios.security.logs import RedactingGunicornLogger, RedactSecretsFilter
from tests.conftest import token_client
from tests.security_report import count

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _pages(cast) -> dict[str, tuple[Client, str]]:
    """One URL of each kind of answer: the login form, a data page, a form page, the admin,
    API JSON and CSV, an API error, the schema and its docs, a 404 page."""
    viewer, member, root = Client(), Client(), Client()
    viewer.force_login(cast.viewer)
    member.force_login(cast.member)
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", password="x-root-1")
    # staff reach the admin only with a second factor set up
    Authenticator.objects.create(user=admin_user, type=Authenticator.Type.TOTP, data={})
    root.force_login(admin_user)
    api, _ = token_client(cast.viewer, cast.household_a)
    return {
        "login form": (Client(), "/accounts/login/"),
        "dashboard": (viewer, "/"),
        "data page": (viewer, "/portfolio/holdings/"),
        "performance page (Plotly)": (viewer, "/performance/"),
        "form page": (member, "/portfolio/imports/"),
        "admin": (root, "/admin/"),
        "api json": (api, "/api/v1/accounts/"),
        "api csv": (api, "/api/v1/accounts/?format=csv"),
        "api error": (api, "/api/v1/transactions/?start=nope"),
        "api schema": (Client(), "/api/v1/schema/"),
        "api docs": (Client(), "/api/v1/docs/"),
        "missing page": (viewer, "/no/such/page/"),
    }


def test_every_page_type_carries_the_security_headers(cast):
    for kind, (client, url) in _pages(cast).items():
        response = client.get(url, secure=True)
        count("pages checked for security headers")
        problems = []
        cache = response.get("Cache-Control", "")
        if "no-store" not in cache or "private" not in cache:
            problems.append(f"Cache-Control {cache!r}")
        csp = response.get("Content-Security-Policy", "")
        for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
            if directive not in csp:
                problems.append(f"CSP lacks {directive}")
        if "'unsafe-inline'" in csp.split("script-src")[1].split(";")[0]:
            problems.append("scripts may run inline")
        if response.get("X-Frame-Options") != "DENY":
            problems.append("X-Frame-Options")
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append("nosniff")
        if "max-age=31536000" not in response.get("Strict-Transport-Security", ""):
            problems.append("HSTS")
        if response.get("Referrer-Policy") != "same-origin":
            problems.append("Referrer-Policy")
        if problems:
            count("pages missing a security header")
        assert not problems, (kind, url, response.status_code, problems)


def test_static_files_keep_their_caching(cast):
    response = Client().get("/static/css/hearth.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_plain_http_is_redirected_to_https_when_debug_is_off(cast, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_django_logs_never_hold_a_token():
    secret = "hr_0123456789.s3cr3t-value-never-logged"
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1,
        '"%s" %s %s', (f"GET /api/v1/holdings/?format=csv&token={secret} HTTP/1.1", 200, 512),
        None,
    )  # fmt: skip
    assert RedactSecretsFilter().filter(record)
    message = record.getMessage()
    assert secret not in message and "s3cr3t" not in message
    assert "token=[redacted]" in message and "format=csv" in message
    from django.conf import settings

    assert "redact_secrets" in settings.LOGGING["handlers"]["console"]["filters"]


def test_gunicorn_access_log_never_holds_a_token():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    secret = "hr_0123456789.s3cr3t"
    logger = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/holdings/?token={secret}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/api/v1/holdings/",
        "QUERY_STRING": f"token={secret}",
        "HTTP_REFERER": f"https://h.example/x?token={secret}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://h.example/?token={secret}")])
    atoms = logger.atoms(response, request, environ, timedelta(seconds=0))
    line = logger.cfg.access_log_format % atoms
    leaked = [key for key, value in atoms.items() if isinstance(value, str) and "s3cr3t" in value]
    count("token secrets in access logs", len(leaked))
    assert not leaked
    assert "token=[redacted]" in line
    # gunicorn reads gunicorn.conf.py from the working directory (compose and the image)
    assert "RedactingGunicornLogger" in (ROOT / "gunicorn.conf.py").read_text()


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": "kq8!x2Zr#N7d@pL0v$Wm4^sT9&yB1(uE6)cH3*jF5-gA-Yw8%Qe2+Rt7~Ui0=Op3",
        "ALLOWED_HOSTS": "hearth.example.org",
        "HEARTH_VAR_DIR": str(tmp_path),
    }
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    issues = result.stdout.count("?: (") + result.stderr.count("?: (")
    count("check --deploy issues", issues)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_inline_handler_in_a_template_is_allowed_by_its_hash():
    """The CSP runs no inline script: a template's `<script>` needs a src (or holds JSON
    data), and each inline event handler must be listed by its hash in script-src."""
    import base64
    import hashlib
    import re

    from django.conf import settings

    script_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
    handler = re.compile(r"\son[a-z]+=\"([^\"]*)\"")
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
    problems = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "email" in template.parts:
            continue  # e-mails are not served under the policy
        text = template.read_text()
        for code in handler.findall(text):
            digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
            if f"'sha256-{digest}'" not in script_src:
                problems.append(f"{template.relative_to(ROOT)}: handler {code!r}")
        if inline_script.search(text):
            problems.append(f"{template.relative_to(ROOT)}: inline <script>")
    assert not problems, problems
