"""Secrets never reach a log: ``?token=`` values are cut from Django's and gunicorn's lines.

Spreadsheets pass read tokens in the query string (DESIGN §5), so every request line that a
server logs would otherwise hold a working credential.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"
# token=..., also URL-encoded in a Referer and in any case; the value ends at &, space,
# quote or the end of the text.
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&;\s\"']|%3F|%26)(?:token|access_token|api_key)(?:=|%3D))[^&\s\"';]*"
)


def redact(text: str) -> str:
    """Return text with the values of secret query parameters replaced by ``[redacted]``."""
    if not text or ("=" not in text and "%3" not in text.lower()):
        return text
    return _SECRET_PARAM.sub(lambda match: match.group(1) + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """A logging filter that rewrites each record's message without secret parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger whose access-log atoms (request line, query, referer, headers)
    carry no token values."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
