"""`holdings/`, `lots/` and `realized-gains/`: the derived ledger, in JSON or CSV.

Numbers are strings of the exact decimal without trailing zeros ("1050", "0.25"), the
same form as `transactions/`. A change still waiting for the worker is rebuilt first
(``ledger_refresh_if_stale``), so the rows always follow the transactions.

Filters: `account` (id or name; an id of another household's account answers 404, anything
else unknown 400) and `symbol` (any case).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound

from portfolios.api.csv_stream import (
    CHUNK_ROWS,
    LabelCells,
    bool_cell,
    csv_response,
    csv_streaming_response,
    decimal_cell,
    text_cell,
)
from portfolios.api.exceptions import ApplicationError
from portfolios.api.fields import ExactDecimalField
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.query import BoundedDateField, RefField
from portfolios.calculations.lots import LedgerError
from portfolios.models import Account, Household
from portfolios.remembered import remembered
from portfolios.selectors.accounts import account_get
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import (
    Holding,
    OpenLotRow,
    holdings_report,
    open_lot_rows,
    open_lots_list,
    realized_gains_list,
)
from portfolios.services.ledger import ledger_refresh_if_stale


def account_param(*, household: Household, ref: str) -> Account:
    """Return the household's account named by id or name for a filter parameter."""
    try:
        return account_get(household=household, ref=ref)
    except Account.DoesNotExist:
        if (
            ref.isascii()
            and ref.isdigit()
            and len(ref) <= 18
            and Account.objects.filter(pk=int(ref)).exists()
        ):
            raise NotFound("No such account.") from None
        raise serializers.ValidationError(
            {"account": [f"no account {ref!r} in this household"]}
        ) from None


class LedgerFilterSerializer(serializers.Serializer):
    account = RefField(required=False, help_text="account id or name")
    symbol = serializers.CharField(required=False, max_length=32)


class HoldingFilterSerializer(LedgerFilterSerializer):
    consolidated = serializers.BooleanField(required=False, default=False)
    as_of = BoundedDateField(required=False, help_text="YYYY-MM-DD, default today")


class RealizedGainFilterSerializer(LedgerFilterSerializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


class HoldingSerializer(serializers.Serializer):
    account = serializers.CharField(allow_null=True, help_text="null when consolidated")
    symbol = serializers.CharField()
    quantity = ExactDecimalField()
    cost_basis = ExactDecimalField(
        help_text="of the shares whose basis is known (see basis_unknown)"
    )
    market_value = ExactDecimalField(allow_null=True)
    unrealized_gain = ExactDecimalField(allow_null=True, help_text="null when basis_unknown")
    weight = ExactDecimalField(
        allow_null=True, help_text="fraction of all holdings' market value plus cash"
    )
    sleeve = serializers.CharField(allow_null=True)
    asset_class = serializers.CharField()
    price = ExactDecimalField(allow_null=True)
    account_id = serializers.IntegerField(allow_null=True)
    security_id = serializers.IntegerField()
    basis_unknown = serializers.BooleanField(
        help_text="some shares were opened with unknown basis (enter it on their OPENING row)"
    )


class LotSerializer(serializers.Serializer):
    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.lot.basis_unknown:
            data["cost_basis"] = None
        return data

    account = serializers.CharField(source="lot.account.name")
    symbol = serializers.CharField(source="lot.security.symbol")
    acquired = serializers.DateField(source="lot.acquired")
    holding_period_start = serializers.DateField(source="lot.holding_period_start")
    quantity = ExactDecimalField(source="lot.quantity")
    cost_basis = ExactDecimalField(
        source="lot.cost_basis", allow_null=True, help_text="null when the basis is unknown"
    )
    wash_sale_adjustment = ExactDecimalField(source="lot.wash_sale_adjustment")
    market_value = ExactDecimalField(allow_null=True)
    unrealized_gain = ExactDecimalField(allow_null=True)
    term = serializers.CharField(help_text="short or long if sold today")
    opened_by = serializers.CharField(
        source="lot.opening_transaction.external_id",
        help_text="id of the opening transaction, for the `lots` column of a sale",
    )
    account_id = serializers.IntegerField(source="lot.account_id")
    security_id = serializers.IntegerField(source="lot.security_id")
    basis_unknown = serializers.BooleanField(source="lot.basis_unknown")


class RealizedGainSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.name")
    symbol = serializers.CharField(source="security.symbol")
    acquired = serializers.DateField()
    holding_period_start = serializers.DateField()
    sold = serializers.DateField()
    quantity = ExactDecimalField()
    proceeds = ExactDecimalField()
    cost_basis = ExactDecimalField(allow_null=True, help_text="null when the basis is unknown")
    gain = ExactDecimalField(allow_null=True, help_text="proceeds - cost_basis")
    wash_sale_disallowed = ExactDecimalField()
    taxable_gain = ExactDecimalField(
        allow_null=True, help_text="gain + wash_sale_disallowed (8949 column h)"
    )
    term = serializers.CharField()
    code = serializers.CharField()
    account_id = serializers.IntegerField()
    security_id = serializers.IntegerField()
    basis_unknown = serializers.BooleanField(
        help_text="sold from shares of unknown basis: cost_basis and gain are unknown"
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.basis_unknown:
            data.update(cost_basis=None, gain=None, taxable_gain=None)
        return data


class _LedgerListApi(HouseholdScopedMixin, generics.ListAPIView):
    filter_backends = []
    filter_serializer_class: type[serializers.Serializer] = LedgerFilterSerializer

    def filters(self) -> dict:
        """Return the validated query parameters, the account resolved to a model, after
        bringing the ledger up to date if a change is still waiting for the worker."""
        params = self.filter_serializer_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        ledger_refresh_if_stale(household=self.household)
        values = dict(params.validated_data)
        if values.get("account"):
            values["account"] = account_param(household=self.household, ref=values["account"])
        return values


@extend_schema(parameters=[HoldingFilterSerializer])
class HoldingListApi(_LedgerListApi):
    """Holdings per account and security (`consolidated=true`: per security) on `as_of`."""

    serializer_class = HoldingSerializer
    filter_serializer_class = HoldingFilterSerializer
    csv_filename = "holdings"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        filters = self.filters()
        key = {**filters, "account": getattr(filters.get("account"), "pk", None)}
        key.setdefault("as_of", household_today(self.household))
        try:
            return remembered(
                "holdings rows",
                self.household.pk,
                *sorted(key.items()),
                compute=lambda: holdings_report(household=self.household, **filters).holdings,
            )
        except LedgerError as exc:
            raise ApplicationError(str(exc), {"as_of": [str(exc)]}) from exc

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        # Hundreds of holdings: their cells written directly, as the serializer would.
        return csv_response(
            columns=list(HoldingSerializer().fields),
            rows=_holding_cells(self.get_queryset()),
            filename=self.csv_filename,
            cells_written=True,
        )


@extend_schema(parameters=[LedgerFilterSerializer])
class LotListApi(_LedgerListApi):
    """Open tax lots valued at today's close."""

    serializer_class = LotSerializer
    csv_filename = "lots"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        return open_lots_list(household=self.household, **self.filters())

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        # Thousands of lots as plain rows, their cells written directly, as the serializer
        # would write them.
        return csv_response(
            columns=list(LotSerializer().fields),
            rows=_lot_cells(open_lot_rows(household=self.household, **self.filters())),
            filename=self.csv_filename,
            cells_written=True,
        )


@extend_schema(parameters=[RealizedGainFilterSerializer])
class RealizedGainListApi(_LedgerListApi):
    """Realized gains and losses, one row per lot closed by a sale (Form 8949)."""

    serializer_class = RealizedGainSerializer
    filter_serializer_class = RealizedGainFilterSerializer
    csv_filename = "realized-gains"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        return realized_gains_list(household=self.household, **self.filters())

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        # Every year's rows, streamed as read: no serializer, no list of model objects.
        rows = self.get_queryset().values_list(*GAIN_FIELDS).iterator(chunk_size=CHUNK_ROWS)
        return csv_streaming_response(
            columns=list(RealizedGainSerializer().fields),
            rows=_gain_rows(rows),
            filename=self.csv_filename,
            cells_written=True,
        )


def _holding_cells(holdings: list[Holding]):
    """Yield the holdings' CSV cells in ``HoldingSerializer``'s columns and forms."""
    accounts, symbols, sleeves, classes = LabelCells(), LabelCells(), LabelCells(), LabelCells()
    for h in holdings:
        yield (
            accounts[h.account],
            symbols[h.symbol],
            decimal_cell(h.quantity),
            decimal_cell(h.cost_basis),
            decimal_cell(h.market_value),
            decimal_cell(h.unrealized_gain),
            decimal_cell(h.weight),
            sleeves[h.sleeve],
            classes[h.asset_class],
            decimal_cell(h.price),
            h.account_id,
            h.security_id,
            bool_cell(h.basis_unknown),
        )


def _lot_cells(rows: list[OpenLotRow]):
    """Yield the lots' CSV cells in ``LotSerializer``'s columns and forms."""
    accounts, symbols = LabelCells(), LabelCells()
    for row in rows:
        yield (
            accounts[row.account],
            symbols[row.symbol],
            row.acquired,
            row.holding_period_start,
            decimal_cell(row.quantity),
            None if row.basis_unknown else decimal_cell(row.cost_basis),
            decimal_cell(row.wash_sale_adjustment),
            decimal_cell(row.market_value),
            decimal_cell(row.unrealized_gain),
            row.term,
            text_cell(row.opened_by),
            row.account_id,
            row.security_id,
            bool_cell(row.basis_unknown),
        )


# RealizedGainSerializer's columns as query fields, but taxable_gain (computed).
GAIN_FIELDS = (
    "account__name",
    "security__symbol",
    "acquired",
    "holding_period_start",
    "sold",
    "quantity",
    "proceeds",
    "cost_basis",
    "gain",
    "wash_sale_disallowed",
    "term",
    "code",
    "account_id",
    "security_id",
    "basis_unknown",
)


def _gain_rows(rows):
    """Yield the CSV cells of ``GAIN_FIELDS`` rows as the serializer would write them:
    taxable_gain = gain + wash_sale_disallowed, and no cost basis or gain (nor taxable
    gain) for shares of unknown basis."""
    accounts, symbols, codes = LabelCells(), LabelCells(), LabelCells()
    for row in rows:
        name, symbol, acquired, start, sold, quantity, proceeds, cost, gain, lost = row[:10]
        known = not row[14]
        yield (
            accounts[name],
            symbols[symbol],
            acquired,
            start,
            sold,
            decimal_cell(quantity),
            decimal_cell(proceeds),
            decimal_cell(cost) if known else None,
            decimal_cell(gain) if known else None,
            decimal_cell(lost),
            decimal_cell(gain + lost) if known else None,
            row[10],
            codes[row[11]],
            row[12],
            row[13],
            bool_cell(row[14]),
        )
