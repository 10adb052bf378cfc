"""The isolation matrix: every URL of the app (found from the URL configuration, patterns
with ids included), each filled in with an object of household A, for the break-in sweeps.

A URL whose ids this module cannot fill is reported by the meta-tests, so a route added
later either joins the matrix automatically or fails loudly until it is added here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.urls import URLPattern, URLResolver
from django.utils import timezone

from config import api_router
from config import urls as root_urls

API_SKIP = {"schema/", "docs/"}
PAGE_SKIP_PREFIXES = ("admin/", "accounts/", "api/")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
_PATH_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
UNSAFE = ("post", "put", "patch", "delete")

# URL segment before an id -> the model whose id goes there (pages and API alike).
SEGMENT_MODELS = {
    "accounts": "portfolios.Account",
    "securities": "portfolios.Security",
    "holdings": "portfolios.Security",
    "transactions": "portfolios.Transaction",
    "imports": "portfolios.ImportBatch",
    "alerts": "alerts.AlertEpisode",
    "alert-rules": "alerts.AlertRule",
    "rules": "alerts.AlertRule",
    "tokens": "portfolios.ApiToken",
    "members": "portfolios.Membership",
    "invites": "portfolios.Membership",
    "emails": "portfolios.Membership",  # alerts/rules/emails/<pk>/: a member's e-mail choices
}
PARAM_MODELS = {
    "security_pk": "portfolios.Security",
    "account_pk": "portfolios.Account",
    "transaction_pk": "portfolios.Transaction",
}
# Parameters that are secrets of a one-time link, not ids: filled with a made-up value (a
# link page must refuse it without showing anything of a household).
LINK_PARAMS = {"uidb64": "MQ", "token": "made-up-token", "key": "made-up-key"}
# How a model's rows reach their household, tried in order.
HOUSEHOLD_PATHS = (
    "household",
    "account__household",
    "rule__household",
    "transactions__account__household",
)


@dataclass(frozen=True)
class Route:
    """One URL pattern: its text, the ids it takes, and the methods it answers."""

    template: str  # e.g. "portfolio/transactions/<int:pk>/edit/" (no leading slash)
    params: tuple[str, ...]
    methods: tuple[str, ...]
    view: object

    @property
    def is_detail(self) -> bool:
        return any(param not in LINK_PARAMS for param in self.params)

    @property
    def is_link(self) -> bool:
        """A one-time link page (an invitation): public, its secret in the path."""
        return any(param in LINK_PARAMS for param in self.params)


def _clean(text: str) -> str:
    return text.removeprefix("^").removesuffix("$")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        text = prefix + _clean(str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            yield text, pattern


def _params(text: str) -> tuple[str, ...]:
    names = [m.group("name") for m in _REGEX_PARAM.finditer(text)]
    names += [m.group("name") for m in _PATH_PARAM.finditer(_REGEX_PARAM.sub("", text))]
    return tuple(names)


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:  # a router's viewset route
        return tuple(sorted(actions))
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        names = [m for m in getattr(view_class, "http_method_names", []) if m != "options"]
        return tuple(m for m in names if hasattr(view_class, m) and m != "head")
    return ("get", "post")  # a function view: try both


def api_routes() -> list[Route]:
    routes = []
    for text, pattern in _walk(api_router.urlpatterns):
        if text in API_SKIP or text in (".*", "") or "<format>" in text:
            continue
        routes.append(Route(text, _params(text), _methods(pattern), pattern.callback))
    return routes


def page_routes() -> list[Route]:
    routes = []
    for text, pattern in _walk(root_urls.urlpatterns):
        if text.startswith(PAGE_SKIP_PREFIXES):
            continue
        routes.append(Route(text, _params(text), _methods(pattern), pattern.callback))
    return routes


def _model(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)


def model_for(route: Route, param: str) -> type[models.Model] | None:
    """Return the model whose id fills param in route, or None when unknown."""
    if param in PARAM_MODELS:
        return _model(PARAM_MODELS[param])
    view_class = getattr(route.view, "cls", None)
    if view_class is not None and hasattr(view_class, "get_queryset"):
        view = view_class()
        view.swagger_fake_view = True
        view.kwargs, view.request, view.action = {}, None, "list"
        try:
            queryset = view.get_queryset()
        except Exception:
            queryset = None
        if isinstance(queryset, models.QuerySet):
            return queryset.model
    text = _PATH_PARAM.sub("{}", _REGEX_PARAM.sub("{}", route.template))
    segments = [s for s in text.split("/") if s]
    for index, segment in enumerate(segments):
        if segment == "{}" and index > 0 and segments[index - 1] in SEGMENT_MODELS:
            return _model(SEGMENT_MODELS[segments[index - 1]])
    return None


def object_of(model: type[models.Model], household) -> models.Model | None:
    """Return one row of model that belongs to household."""
    for path in HOUSEHOLD_PATHS:
        try:
            found = model.objects.filter(**{path: household}).order_by("pk").first()
        except Exception:  # the path does not exist on this model
            continue
        if found is not None:
            return found
    return None


def concrete(route: Route, household) -> str | None:
    """Return route's URL (leading slash, API prefix left to the caller) with each id
    filled by household's object, or None when an id cannot be filled."""
    url = route.template
    for param in route.params:
        if param in LINK_PARAMS:
            url = _PATH_PARAM.sub(LINK_PARAMS[param], url, count=1)
            continue
        model = model_for(route, param)
        row = object_of(model, household) if model is not None else None
        if row is None:
            return None
        url = _REGEX_PARAM.sub(str(row.pk), url, count=1)
        url = _PATH_PARAM.sub(str(row.pk), url, count=1)
    return url


def add_matrix_objects(cast) -> None:
    """Give household A one of everything a URL can name (alerts, an import, a token)."""
    from alerts.models import AlertEpisode, AlertRule
    from portfolios.models import ImportBatch
    from portfolios.services.households import api_token_create

    household = cast.household_a
    rule = AlertRule.objects.filter(household=household).order_by("pk").first()
    if rule is None:
        rule = AlertRule.objects.create(household=household, kind=AlertRule.Kind.values[0])
    now = timezone.now()
    AlertEpisode.objects.create(
        rule=rule, household=household, subject="ZQXW", message="Zanzibar alert",
        opened_at=now, last_seen_at=now,
    )  # fmt: skip
    ImportBatch.objects.create(
        household=household, file_name="zanzibar.csv", sha256="0" * 64, format="hearth",
        status=ImportBatch.Status.PREVIEW, content=b"date,account,type,amount\n",
    )  # fmt: skip
    api_token_create(user=cast.owner, household=household, name="Zanzibar sheet")


def expired_and_revoked_tokens(cast) -> dict[str, str]:
    """Raw keys of an expired and a revoked read token of A's owner."""
    from portfolios.services.households import api_token_create

    expired = api_token_create(
        user=cast.owner,
        household=cast.household_a,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    revoked = api_token_create(user=cast.owner, household=cast.household_a)
    revoked.token.revoked_at = timezone.now()
    revoked.token.save(update_fields=["revoked_at"])
    return {"expired": expired.raw_key, "revoked": revoked.raw_key}
