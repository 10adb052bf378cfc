"""`transactions/`: list with filters (JSON or CSV), create, change and delete.

Rows are listed newest first (trade date, then id, both descending). Writes take the Hearth
CSV columns (DESIGN §3) and go through the same checks as an imported row.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portfolios.api.csv_stream import (
    CHUNK_ROWS,
    DecimalCells,
    LabelCells,
    csv_streaming_response,
    decimal_cell,
    text_cell,
)
from portfolios.api.fields import ExactDecimalField, decimal_string
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.query import BoundedDateField, RefField
from portfolios.models import Account, Transaction
from portfolios.selectors.accounts import account_get
from portfolios.selectors.transactions import transaction_list
from portfolios.services.transactions import (
    transaction_create,
    transaction_delete,
    transaction_update,
)


class TransactionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField(source="trade_date")
    account = serializers.CharField(source="account.name")
    account_id = serializers.IntegerField()
    type = serializers.CharField()
    symbol = serializers.CharField(source="security.symbol", default=None, allow_null=True)
    security_id = serializers.IntegerField(allow_null=True)
    quantity = ExactDecimalField(allow_null=True)
    price = ExactDecimalField(allow_null=True)
    amount = ExactDecimalField()
    fees = ExactDecimalField()
    currency = serializers.CharField()
    fx_rate = ExactDecimalField(allow_null=True)
    ratio = serializers.SerializerMethodField()
    to_account = serializers.CharField(source="to_account.name", default=None, allow_null=True)
    lots = serializers.CharField(source="lot_selection")
    income_class = serializers.CharField()
    external_id = serializers.CharField()
    memo = serializers.CharField()
    import_batch_id = serializers.IntegerField(allow_null=True)

    def get_ratio(self, txn: Transaction) -> str | None:
        if txn.split_new is None or txn.split_old is None:
            return None
        field = ExactDecimalField()
        return f"{field.to_representation(txn.split_new)}:{field.to_representation(txn.split_old)}"


# The CSV's columns as query fields, in TransactionOutputSerializer's order; ``ratio`` is
# made from split_new and split_old (the last two).
CSV_FIELDS = (
    "id",
    "trade_date",
    "account__name",
    "account_id",
    "type",
    "security__symbol",
    "security_id",
    "quantity",
    "price",
    "amount",
    "fees",
    "currency",
    "fx_rate",
    "split_new",
    "to_account__name",
    "lot_selection",
    "income_class",
    "external_id",
    "memo",
    "import_batch_id",
    "split_old",
)


def _csv_rows(rows):
    """Yield the CSV cells of ``CSV_FIELDS`` rows as the serializer would write them
    (``ratio`` made of split_new and split_old)."""
    accounts, types, symbols, currencies, lots, classes, memos = (LabelCells() for _ in range(7))
    quantities, fees, rates = DecimalCells(), DecimalCells(), DecimalCells()
    for row in rows:
        split_new, split_old = row[13], row[20]
        ratio = (
            None
            if split_new is None or split_old is None
            else f"{decimal_string(split_new)}:{decimal_string(split_old)}"
        )
        yield (
            row[0],
            row[1],
            accounts[row[2]],
            row[3],
            types[row[4]],
            symbols[row[5]],
            row[6],
            quantities[row[7]],
            decimal_cell(row[8]),
            decimal_cell(row[9]),
            fees[row[10]],
            currencies[row[11]],
            rates[row[12]],
            ratio,
            accounts[row[14]],
            lots[row[15]],
            classes[row[16]],
            text_cell(row[17]),
            memos[row[18]],
            row[19],
        )


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, **kwargs)


class TransactionInputSerializer(serializers.Serializer):
    """Hearth CSV columns; each value is checked by the Hearth CSV row rules."""

    date = _text(help_text="trade date YYYY-MM-DD")
    account = _text(help_text="account name or id")
    type = _text()
    symbol = _text()
    quantity = _text()
    price = _text()
    amount = _text()
    fees = _text()
    currency = _text()
    ratio = _text(help_text="SPLIT only, new:old")
    to_account = _text(help_text="TRANSFER only: account name or id")
    lots = _text(help_text="SELL only: ID or ID:QTY of the opening transactions, ';'-separated")
    income_class = _text()
    id = _text(help_text="the row's own id, unique in the account (default: content hash)")
    external_id = _text(help_text="same as id")
    memo = _text(trim_whitespace=False, help_text="free text, kept exactly as sent")

    def validate(self, attrs: dict) -> dict:
        external_id = attrs.pop("external_id", None)
        if external_id and not attrs.get("id"):
            attrs["id"] = external_id
        return attrs


class TransactionFilterSerializer(serializers.Serializer):
    account = RefField(required=False, help_text="account id or name")
    symbol = serializers.CharField(required=False, max_length=32)
    type = serializers.ChoiceField(required=False, choices=Transaction.Type.values)
    start = BoundedDateField(required=False, help_text="first trade date, inclusive")
    end = BoundedDateField(required=False, help_text="last trade date, inclusive")

    def to_internal_value(self, data):
        if "type" in data and isinstance(data.get("type"), str):
            data = data.copy()
            data["type"] = data["type"].strip().upper()
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end < start:
            raise ValidationError({"end": ["must be on or after start"]})
        return attrs


@extend_schema_view(list=extend_schema(parameters=[TransactionFilterSerializer]))
class TransactionViewSet(
    HouseholdScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The household's transactions, newest first. POST needs a write-scope token or a
    member/owner session; the body uses the Hearth CSV columns."""

    serializer_class = TransactionOutputSerializer
    csv_filename = "transactions"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        if self.action != "list":
            return transaction_list(household=self.household)
        return transaction_list(household=self.household, **self._filters())

    def _filters(self) -> dict:
        filters = TransactionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        if "account" in data:
            try:
                data["account"] = account_get(household=self.household, ref=data["account"])
            except Account.DoesNotExist:
                raise ValidationError(
                    {"account": [f"no account '{data['account']}' in this household"]}
                ) from None
        return data

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        # Every row, streamed as read: no serializer and no list of 50,000 objects.
        rows = self.get_queryset().values_list(*CSV_FIELDS).iterator(chunk_size=CHUNK_ROWS)
        return csv_streaming_response(
            columns=list(TransactionOutputSerializer().fields),
            rows=_csv_rows(rows),
            filename=self.csv_filename,
            cells_written=True,
        )

    @extend_schema(request=TransactionInputSerializer, responses={201: TransactionOutputSerializer})
    def create(self, request, *args, **kwargs):
        payload = TransactionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        txn = transaction_create(
            household=self.household,
            fields=payload.validated_data,
            user=request.user,
            request=request,
        )
        txn = transaction_list(household=self.household).get(pk=txn.pk)
        return Response(TransactionOutputSerializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransactionInputSerializer, responses=TransactionOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        txn = self.get_object()
        payload = TransactionInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        transaction_update(
            txn=txn, fields=payload.validated_data, user=request.user, request=request
        )
        txn = transaction_list(household=self.household).get(pk=txn.pk)
        return Response(TransactionOutputSerializer(txn).data)

    def destroy(self, request, *args, **kwargs):
        transaction_delete(txn=self.get_object(), user=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
