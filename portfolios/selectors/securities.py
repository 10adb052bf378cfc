"""A household's view of its securities: shared reference data plus its own classification.

Every read that shows or groups by what a security *is* (name, kind, asset class, sector,
expense ratio, dividend habits, whether it still needs review) goes through here, so that a
household sees its own ``SecurityProfile`` and never another household's. A security the
household has not classified shows the reference values of ``Security``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from portfolios.models import Household, IdentityGroup, Security, Transaction

# The household's view of each classified field, annotated as ``view_<field>``.
PROFILE_FIELDS = (
    "name",
    "kind",
    "asset_class",
    "sector",
    "expense_ratio",
    "dividend_frequency",
    "qualified_default",
)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SecurityView:
    """One security as one household sees it."""

    security_id: int
    symbol: str
    exchange: str
    currency: str
    name: str
    kind: str
    asset_class: str
    sector: str
    expense_ratio: Decimal | None
    dividend_frequency: str
    qualified_default: bool
    needs_review: bool
    identity_group: str
    classified: bool  # the household has its own profile for it
    provider_name: str
    provider_kind: str
    coupon_rate: Decimal | None = None
    face_value: Decimal | None = None
    maturity: object = None
    coupon_frequency: int | None = None

    @property
    def kind_label(self) -> str:
        return Security.Kind(self.kind).label if self.kind in Security.Kind.values else self.kind

    @property
    def asset_class_label(self) -> str:
        classes = Security.AssetClass
        if self.asset_class in classes.values:
            return classes(self.asset_class).label
        return self.asset_class

    @property
    def provider_kind_label(self) -> str:
        kinds = Security.Kind
        return kinds(self.provider_kind).label if self.provider_kind in kinds.values else ""

    @property
    def provider_differs(self) -> bool:
        """Whether the provider's name or kind would change what the household has."""
        return bool(
            (self.provider_name and self.provider_name != self.name)
            or (self.provider_kind and self.provider_kind != self.kind)
        )


def with_household_view(securities: QuerySet[Security], *, household: Household):
    """Return the securities annotated with the household's view (``view_<field>``,
    ``view_needs_review``, ``view_identity_group``, ``view_classified``), in one query."""
    profiled = Q(hp__id__isnull=False)
    annotations = {
        f"view_{name}": Case(When(profiled, then=F(f"hp__{name}")), default=F(name))
        for name in PROFILE_FIELDS
    }
    annotations["view_needs_review"] = Case(
        When(profiled, then=F("hp__needs_review")),
        When(Q(needs_review=True) | Q(kind=UNKNOWN) | Q(asset_class=UNKNOWN), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    annotations["view_classified"] = Case(
        When(profiled, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    annotations["view_identity_group"] = _identity_group(household)
    return securities.annotate(
        hp=FilteredRelation("profiles", condition=Q(profiles__household=household))
    ).annotate(**annotations)


def security_view_list(*, household: Household) -> QuerySet[Security]:
    """Return the securities the household holds or has held (any transaction), with the
    household's view annotated; those needing review first, then by symbol."""
    traded = Transaction.objects.filter(account__household=household, security__isnull=False)
    securities = Security.objects.filter(pk__in=traded.values("security_id"))
    return with_household_view(securities, household=household).order_by(
        "-view_needs_review", "symbol", "exchange"
    )


def security_view(security: Security) -> SecurityView:
    """Return the view of a security annotated by ``with_household_view``."""
    return SecurityView(
        security_id=security.pk,
        symbol=security.symbol,
        exchange=security.exchange,
        currency=security.currency,
        name=security.view_name,
        kind=security.view_kind,
        asset_class=security.view_asset_class,
        sector=security.view_sector,
        expense_ratio=security.view_expense_ratio,
        dividend_frequency=security.view_dividend_frequency or "",
        qualified_default=security.view_qualified_default,
        needs_review=security.view_needs_review,
        identity_group=security.view_identity_group or "",
        classified=security.view_classified,
        provider_name=security.provider_name,
        provider_kind=security.provider_kind,
        coupon_rate=security.coupon_rate,
        face_value=security.face_value,
        maturity=security.maturity,
        coupon_frequency=security.coupon_frequency,
    )


def security_profiles(
    *, household: Household, security_ids: Iterable[int] | None = None
) -> dict[int, SecurityView]:
    """Return the household's view of securities by id: the given ones (any security, held
    or not), else every security it holds or has held. One query.

    The same views as ``security_view`` of ``with_household_view``, read as plain rows
    (the security's columns, its profile's, its first identity group) and merged here:
    every page values its holdings through this, and building the annotated query and
    its model instances cost more than running it.
    """
    if security_ids is None:
        traded = Transaction.objects.filter(account__household=household, security__isnull=False)
        securities = Security.objects.filter(pk__in=traded.values("security_id"))
    else:
        ids = list(security_ids)
        if not ids:
            return {}
        securities = Security.objects.filter(pk__in=ids)
    rows = securities.annotate(
        hp=FilteredRelation("profiles", condition=Q(profiles__household=household)),
        group=_identity_group(household),
    ).values_list(
        *_SECURITY_COLUMNS,
        "hp__id",
        *(f"hp__{name}" for name in PROFILE_FIELDS),
        "hp__needs_review",
        "group",
    )
    views = {}
    for row in rows:
        pk, symbol, exchange, currency = row[:4]
        reference, needs_review = row[4:11], row[11]
        provider_name, provider_kind, coupon_rate, face_value, maturity, coupon_frequency = row[
            12:18
        ]
        classified = row[18] is not None
        if classified:
            fields, review = row[19:26], row[26]
        else:
            fields = reference
            review = bool(needs_review or reference[1] == UNKNOWN or reference[2] == UNKNOWN)
        name, kind, asset_class, sector, expense_ratio, frequency, qualified = fields
        views[pk] = SecurityView(
            security_id=pk,
            symbol=symbol,
            exchange=exchange,
            currency=currency,
            name=name,
            kind=kind,
            asset_class=asset_class,
            sector=sector,
            expense_ratio=expense_ratio,
            dividend_frequency=frequency or "",
            qualified_default=qualified,
            needs_review=review,
            identity_group=row[27] or "",
            classified=classified,
            provider_name=provider_name,
            provider_kind=provider_kind,
            coupon_rate=coupon_rate,
            face_value=face_value,
            maturity=maturity,
            coupon_frequency=coupon_frequency,
        )
    return views


# Security's columns ``security_profiles`` reads, in the order it unpacks them.
_SECURITY_COLUMNS = (
    "pk",
    "symbol",
    "exchange",
    "currency",
    *PROFILE_FIELDS,
    "needs_review",
    "provider_name",
    "provider_kind",
    "coupon_rate",
    "face_value",
    "maturity",
    "coupon_frequency",
)


def _identity_group(household: Household) -> Subquery:
    """Return the name of the household's first identity group (by name) holding the
    security, as an annotation of ``Security`` rows."""
    return Subquery(
        IdentityGroup.objects.filter(household=household, securities=OuterRef("pk"))
        .order_by("name")
        .values("name")[:1]
    )


def security_get(*, household: Household, pk: int) -> Security:
    """Return one security the household holds or has held, annotated with its view;
    ``Security.DoesNotExist`` for any other (another household's ids answer 404)."""
    return security_view_list(household=household).get(pk=pk)


def security_review_count(*, household: Household) -> int:
    """Return how many of the household's securities still need classifying."""
    return security_view_list(household=household).filter(view_needs_review=True).count()
