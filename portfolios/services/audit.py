"""The audit trail: every sensitive action is one ``AuditEvent`` row, added and never changed.

Services that change a household's data call ``audit_record`` inside their own database
transaction, so a write and its record commit or roll back together.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from portfolios.models import AuditEvent, Household


def client_ip(request) -> str | None:
    """Return the client's address: REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` proxies in
    front, the address the outermost trusted proxy saw (so a client cannot choose it by
    sending its own ``X-Forwarded-For``)."""
    if request is None:
        return None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    remote = request.META.get("REMOTE_ADDR") or ""
    return remote if _is_ip(remote) else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def audit_record(
    *,
    action: str,
    household: Household | None = None,
    user=None,
    username: str = "",
    target: str | models.Model = "",
    outcome: str = AuditEvent.Outcome.OK,
    request=None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the audit trail and return it.

    ``user`` defaults to the request's authenticated user; ``username`` keeps the name typed at
    a failed login (no user). ``target`` may be a model instance: its label and pk are kept.
    """
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if getattr(candidate, "is_authenticated", False):
            user = candidate
    if isinstance(target, models.Model):
        target = f"{target._meta.model_name} {target.pk}: {target}"
    return AuditEvent.objects.create(
        action=action,
        household=household,
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        target=str(target)[:200],
        outcome=outcome,
        ip=client_ip(request),
        changes=_jsonable(changes or {}),
    )


def field_changes(
    before: dict[str, Any], after: dict[str, Any], fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for the fields whose values differ."""
    names = fields if fields is not None else sorted(set(before) | set(after))
    return {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
    }


def model_values(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return the instance's concrete field values by attribute name (foreign keys as ids)."""
    names = set(fields) if fields is not None else None
    values = {}
    for field in instance._meta.concrete_fields:
        if names is not None and field.name not in names and field.attname not in names:
            continue
        values[field.name] = getattr(instance, field.attname)
    return values


def _jsonable(value: Any) -> Any:
    """Return the value with Decimals, dates and model ids in JSON-safe form."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
