"""Input and output of the performance API: numbers leave as strings (DESIGN §5)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from rest_framework import serializers

from portfolios.api.fields import DecimalTextField
from portfolios.api.query import BoundedDateField
from portfolios.fields import CENT
from reporting.calculations.performance import PERIOD_CODES

RATIO_STEP = Decimal("1E-10")

BASE_FIELDS = (
    "twr",
    "twr_annualized",
    "irr",
    "modified_dietz",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "var_95",
    "start_value",
    "end_value",
    "net_flows",
)
BENCHMARK_FIELDS = (
    "benchmark_twr",
    "benchmark_volatility",
    "benchmark_max_drawdown",
    "excess_return",
    "beta",
    "tracking_error",
)
MONEY_FIELDS = frozenset({"start_value", "end_value", "net_flows"})
SERIES_FIELDS = ("date", "value", "net_flows", "cumulative_twr", "benchmark_cumulative")


def ratio_text(value: float | None) -> str | None:
    """Return a ratio as a decimal string with 10 places (0.2557677597), None as None."""
    if value is None or not math.isfinite(float(value)):
        return None
    return format(Decimal(repr(float(value))).quantize(RATIO_STEP, rounding=ROUND_HALF_UP), "f")


def money_text(value: Decimal) -> str:
    """Return money to the cent as a string ("426.82")."""
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


class PerformanceInputSerializer(serializers.Serializer):
    """Query parameters of `performance/` and `performance/series/`."""

    start = BoundedDateField(required=False)
    end = BoundedDateField(required=False)
    period = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=3,
        help_text=f"{', '.join(PERIOD_CODES)} (any case), ending at end",
    )
    account = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="Account id or name"
    )
    sleeve = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="Sleeve id or name"
    )
    benchmark = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Ticker (VTI), blend (VTI:60,BND:40) or saved name",
    )

    def validate_period(self, value: str) -> str:
        code = value.strip().upper()
        if code and code not in PERIOD_CODES:
            raise serializers.ValidationError(f"choose one of {', '.join(PERIOD_CODES)}")
        return code

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": ["end must be on or after start"]})
        if attrs.get("period") and start:
            raise serializers.ValidationError({"period": ["give a period or a start, not both"]})
        return {key: value for key, value in attrs.items() if value not in ("", None)}


class PerformanceOutputSerializer(serializers.Serializer):
    """One object (one CSV row); ratios as decimal fractions, money to the cent."""

    twr = DecimalTextField(allow_null=True, help_text="Cumulative true time-weighted")
    twr_annualized = DecimalTextField(allow_null=True, help_text="Null under 365 days")
    irr = DecimalTextField(allow_null=True, help_text="XIRR, actual/365")
    modified_dietz = DecimalTextField(allow_null=True)
    volatility = DecimalTextField(allow_null=True, help_text="Annualized, XNYS days")
    sharpe = DecimalTextField(allow_null=True)
    sortino = DecimalTextField(allow_null=True)
    max_drawdown = DecimalTextField(allow_null=True, help_text="Positive fraction")
    var_95 = DecimalTextField(allow_null=True, help_text="One-day historical 95% VaR")
    start_value = DecimalTextField()
    end_value = DecimalTextField()
    net_flows = DecimalTextField()
    benchmark_twr = DecimalTextField(allow_null=True, required=False)
    benchmark_volatility = DecimalTextField(allow_null=True, required=False)
    benchmark_max_drawdown = DecimalTextField(allow_null=True, required=False)
    excess_return = DecimalTextField(allow_null=True, required=False)
    beta = DecimalTextField(allow_null=True, required=False)
    tracking_error = DecimalTextField(allow_null=True, required=False)


class SeriesRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = DecimalTextField()
    net_flows = DecimalTextField()
    cumulative_twr = DecimalTextField()
    benchmark_cumulative = DecimalTextField(allow_null=True)


def summary_payload(summary, *, with_benchmark: bool) -> dict:
    """Return the summary's fields as strings, benchmark fields only with a benchmark."""
    names = BASE_FIELDS + (BENCHMARK_FIELDS if with_benchmark else ())
    return {
        name: money_text(getattr(summary, name))
        if name in MONEY_FIELDS
        else ratio_text(getattr(summary, name))
        for name in names
    }


def series_payload(rows) -> list[dict]:
    """Return series rows as dicts of strings (dates as ISO)."""
    return [
        {
            "date": row.date.isoformat(),
            "value": money_text(row.value),
            "net_flows": money_text(row.net_flows),
            "cumulative_twr": ratio_text(row.cumulative_twr),
            "benchmark_cumulative": ratio_text(row.benchmark_cumulative),
        }
        for row in rows
    ]
