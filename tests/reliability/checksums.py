"""Checksums of what a database holds: one per household (every table that leads to it) and
one for the tables shared by all households (users, securities, prices).

Used to prove that a restore, a retried import or a rerun after a crash gives identical data.
Run it in another process with ``python -m tests.reliability.checksums`` (DATABASE_URL picks
the database) to compare two databases.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from decimal import Decimal

from django.apps import apps
from django.db import models

GLOBAL = "(shared)"


def household_path(model: type[models.Model]) -> str | None:
    """Return the lookup from ``model`` to its household (``account__household``), or None."""
    household = apps.get_model("portfolios", "Household")
    if model is household:
        return "pk"
    queue = deque([(model, "")])
    seen = {model}
    while queue:
        current, prefix = queue.popleft()
        if prefix.count("__") >= 3:
            continue
        for field in current._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is None or target in seen:
                continue
            lookup = f"{prefix}{field.name}"
            if target is household:
                return lookup
            seen.add(target)
            queue.append((target, f"{lookup}__"))
    return None


def _cell(value: object) -> object:
    if isinstance(value, memoryview | bytes | bytearray):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value) if value is not None else None


def _digest(queryset: models.QuerySet) -> tuple[int, str]:
    fields = [f.attname for f in queryset.model._meta.concrete_fields]
    hasher = hashlib.sha256()
    count = 0
    for row in queryset.order_by("pk").values_list(*fields).iterator(chunk_size=2000):
        hasher.update(json.dumps([_cell(v) for v in row]).encode())
        count += 1
    return count, hasher.hexdigest()


def database_checksums() -> dict[str, dict[str, list]]:
    """Return {household name or GLOBAL: {table: [rows, sha256]}} for every concrete model."""
    household_model = apps.get_model("portfolios", "Household")
    result: dict[str, dict[str, list]] = {}
    households = list(household_model.objects.order_by("pk"))
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        label = model._meta.label
        path = household_path(model)
        if path is None:
            result.setdefault(GLOBAL, {})[label] = list(_digest(model._default_manager.all()))
            continue
        for household in households:
            rows = model._default_manager.filter(**{path: household.pk})
            result.setdefault(household.name, {})[label] = list(_digest(rows))
    return result


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(database_checksums(), sort_keys=True))
