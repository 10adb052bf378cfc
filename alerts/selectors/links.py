"""Absolute links for e-mails, built from ``SITE_URL`` (DESIGN §6, §8)."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """Return ``path`` (``/income/``) under the site's address: https://hearth.example/income/."""
    return f"{settings.SITE_URL.rstrip('/')}/{path.lstrip('/')}"
