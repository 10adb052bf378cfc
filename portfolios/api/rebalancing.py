"""`rebalance/`, `rebalance/new-money/`, `rebalance/withdrawal/`, `rebalance/location/` and
`harvest/`: proposals a household can execute, in JSON or CSV.

A proposal's rows are instructions in order: deposits, sales (lot by lot), purchases,
withdrawals. The JSON envelope also carries what the rows cannot achieve (``problems``), the
proposal's estimated tax and that of a naive proportional rebalance, and each asset class
before and after. Money and quantities are exact decimal strings; weights are fractions.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portfolios.api.fields import ExactDecimalField, decimal_string
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.pagination import HearthPagination
from portfolios.calculations.rebalancing import Proposal
from portfolios.models import Account
from portfolios.selectors.accounts import account_get
from portfolios.selectors.rebalancing import (
    harvest_list,
    location_hint_list,
    new_money_proposal,
    rebalance_proposal,
    rebalance_trigger,
    withdrawal_proposal,
)
from portfolios.services.ledger import ledger_refresh_if_stale

MONEY = {"max_digits": 20, "decimal_places": 2, "min_value": Decimal("0.01")}
ASK_AMOUNT = "Say how much: ?amount=…"
ROW_COLUMNS = [
    "account",
    "action",
    "symbol",
    "asset_class",
    "quantity",
    "amount",
    "lots",
    "estimated_gain",
    "estimated_tax",
    "reason",
    "basis_unknown",
]


class RebalanceFilterSerializer(serializers.Serializer):
    to_target = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Bring every asset class to target, even when all are inside their bands",
    )


class NewMoneyFilterSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, required=False, help_text="The money added (without it: no rows, a reminder)"
    )
    account = serializers.CharField(
        required=False,
        help_text="Account (id or name) the money goes to; without it, where it does most",
    )


class WithdrawalFilterSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, required=False, help_text="The money needed (without it: no rows, a reminder)"
    )


class HarvestFilterSerializer(serializers.Serializer):
    min_loss = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        required=False,
        min_value=0,
        help_text="Smallest loss, money (default: the household's setting)",
    )
    min_loss_pct = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        required=False,
        min_value=0,
        max_value=100,
        help_text="Smallest loss, % of cost (default: the household's setting)",
    )


class ProposalRowSerializer(serializers.Serializer):
    account = serializers.CharField()
    action = serializers.CharField(help_text="deposit, sell, buy or withdraw")
    symbol = serializers.CharField(help_text="blank for deposits and withdrawals")
    asset_class = serializers.CharField()
    quantity = ExactDecimalField(allow_null=True, help_text="shares; null for cash")
    amount = ExactDecimalField()
    lots = serializers.CharField(
        help_text="sells: the lots for specific identification, 'ID:QTY;ID:QTY' as an import "
        "reads them (ID: the transaction that opened the lot)"
    )
    estimated_gain = ExactDecimalField(
        allow_null=True,
        help_text="realized gain of a sale; negative: a loss; null when basis_unknown",
    )
    estimated_tax = ExactDecimalField(help_text="negative: tax saved by a loss")
    reason = serializers.CharField()
    basis_unknown = serializers.BooleanField(
        help_text="the sale takes shares whose cost basis is not known (only in a "
        "tax-advantaged account, where the sale owes no tax): the gain is not known"
    )


class HarvestSerializer(serializers.Serializer):
    account = serializers.CharField()
    symbol = serializers.CharField()
    asset_class = serializers.CharField()
    quantity = ExactDecimalField(help_text="shares in the lots at a loss")
    cost_basis = ExactDecimalField()
    market_value = ExactDecimalField()
    loss = ExactDecimalField(help_text="cost_basis - market_value, positive")
    loss_pct = ExactDecimalField(help_text="loss / cost_basis, a fraction")
    term = serializers.SerializerMethodField(help_text="short, long or both, if sold today")
    short_term_loss = ExactDecimalField()
    long_term_loss = ExactDecimalField()
    tax_saved = ExactDecimalField(help_text="at the household's rates")
    lots = serializers.CharField(help_text="'ID:QTY;ID:QTY' for specific identification")
    wash_sale_conflicts = serializers.ListField(
        child=serializers.CharField(),
        help_text="purchases in the last 30 days (any account) and dividend reinvestments due",
    )
    replacement = serializers.CharField(help_text="a fund to hold instead; blank: none known")
    replacement_source = serializers.CharField(help_text="yours, suggested or blank")
    caution = serializers.SerializerMethodField()

    def get_term(self, candidate) -> str:
        if candidate.short_term_loss and candidate.long_term_loss:
            return "both"
        return "short" if candidate.short_term_loss else "long"

    def get_caution(self, candidate) -> str:
        return candidate.caution if candidate.replacement else ""


class LocationHintSerializer(serializers.Serializer):
    from_account = serializers.CharField(help_text="where the income-heavy holding sits")
    symbol = serializers.CharField()
    to_account = serializers.CharField()
    swap_symbol = serializers.CharField(help_text="what it swaps places with")
    amount = ExactDecimalField()
    annual_tax_saved = ExactDecimalField(help_text="estimated, per year")
    tax_to_move = ExactDecimalField(
        allow_null=True,
        help_text="estimated tax on the sales the swap needs; null: a lot it sells has an "
        "unknown basis",
    )
    reason = serializers.CharField()


class ProposalPagination(HearthPagination):
    """The usual envelope plus the proposal's ``problems``, tax and classes."""

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data.update(self.view.proposal_summary())
        return response

    def get_paginated_response_schema(self, schema):
        envelope = super().get_paginated_response_schema(schema)
        decimal = {"type": "string", "format": "decimal", "nullable": True}
        envelope["properties"].update(
            {
                "problems": {"type": "array", "items": {"type": "string"}},
                "estimated_tax": {"type": "string", "format": "decimal"},
                "naive_tax": decimal,
                "due": {"type": "boolean", "nullable": True},
                "trigger": {"type": "string"},
                "classes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "asset_class",
                                "weight_before",
                                "weight_after",
                                "target",
                                "band",
                                "status",
                            )
                        },
                    },
                },
            }
        )
        return envelope


class _ProposalApi(HouseholdScopedMixin, generics.ListAPIView):
    filter_backends = []
    pagination_class = ProposalPagination
    serializer_class = ProposalRowSerializer
    csv_columns = ROW_COLUMNS
    filter_serializer_class: type[serializers.Serializer]
    proposal = None

    def filters(self) -> dict:
        params = self.filter_serializer_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        ledger_refresh_if_stale(household=self.household)
        return dict(params.validated_data)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        self.proposal = self.make_proposal(**self.filters())
        return self.proposal.rows

    def make_proposal(self, **filters):
        raise NotImplementedError

    def trigger(self) -> tuple[bool | None, str]:
        return None, ""

    def proposal_summary(self) -> dict:
        proposal = self.proposal
        due, trigger = self.trigger()
        return {
            "problems": proposal.problems,
            "estimated_tax": decimal_string(proposal.estimated_tax),
            "naive_tax": (
                decimal_string(proposal.naive_tax) if proposal.naive_tax is not None else None
            ),
            "due": due,
            "trigger": trigger,
            "classes": [
                {
                    "asset_class": o.asset_class,
                    "weight_before": decimal_string(o.before_weight),
                    "weight_after": decimal_string(o.after_weight),
                    "target": decimal_string(o.target),
                    "band": decimal_string(o.band),
                    "status": o.status,
                }
                for o in proposal.outcomes
            ],
        }


@extend_schema(parameters=[RebalanceFilterSerializer])
class RebalanceListApi(_ProposalApi):
    """Trades that bring every asset class back inside its band at the least tax."""

    filter_serializer_class = RebalanceFilterSerializer
    csv_filename = "rebalance"

    def make_proposal(self, *, to_target: bool = False):
        return rebalance_proposal(household=self.household, to_target=to_target)

    def trigger(self) -> tuple[bool | None, str]:
        found = rebalance_trigger(household=self.household, proposal=self.proposal)
        return found.due, found.explanation


@extend_schema(parameters=[NewMoneyFilterSerializer])
class NewMoneyListApi(_ProposalApi):
    """Where new money goes and what it buys, closest to target, with no sales."""

    filter_serializer_class = NewMoneyFilterSerializer
    csv_filename = "new-money"

    def make_proposal(self, *, amount=None, account: str | None = None):
        if amount is None:
            return Proposal(rows=[], problems=[ASK_AMOUNT], outcomes=[], needed=False)
        chosen = None
        if account:
            try:
                chosen = account_get(household=self.household, ref=account)
            except Account.DoesNotExist:
                raise serializers.ValidationError(
                    {"account": [f"no account {account!r} in this household"]}
                ) from None
            if chosen.type == Account.Type.CASH:
                raise serializers.ValidationError(
                    {"account": [f"{chosen.name} is a cash account: it holds the reserve"]}
                )
        return new_money_proposal(household=self.household, amount=amount, account=chosen)


@extend_schema(parameters=[WithdrawalFilterSerializer])
class WithdrawalListApi(_ProposalApi):
    """Which cash, then which sales, raise the money at the least tax, inside the bands."""

    filter_serializer_class = WithdrawalFilterSerializer
    csv_filename = "withdrawal"

    def make_proposal(self, *, amount=None):
        if amount is None:
            return Proposal(rows=[], problems=[ASK_AMOUNT], outcomes=[], needed=False)
        return withdrawal_proposal(household=self.household, amount=amount)


class LocationHintListApi(HouseholdScopedMixin, generics.ListAPIView):
    """Swaps that put income-heavy holdings in tax-deferred accounts, growth in Roth and
    tax-efficient equity in taxable, with the tax each saves a year."""

    filter_backends = []
    serializer_class = LocationHintSerializer
    csv_filename = "asset-location"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        ledger_refresh_if_stale(household=self.household)
        return location_hint_list(household=self.household)


@extend_schema(parameters=[HarvestFilterSerializer])
class HarvestListApi(HouseholdScopedMixin, generics.ListAPIView):
    """Positions whose loss lots clear the household's thresholds, largest loss first."""

    filter_backends = []
    serializer_class = HarvestSerializer
    csv_filename = "harvest"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        params = HarvestFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        ledger_refresh_if_stale(household=self.household)
        return harvest_list(household=self.household, **params.validated_data)
