"""Absolute links for e-mails, built from ``SITE_URL`` (DESIGN §6, §8)."""

from django.conf import settings

# What the demo serves on (``make demo``) when SITE_URL is not set.
DEMO_SITE = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    """Return ``path`` (``/income/``) under the site's address: https://hearth.example/income/."""
    root = (getattr(settings, "SITE_URL", "") or DEMO_SITE).rstrip("/")
    return f"{root}/{path.lstrip('/')}"
