"""Input and output serializers of the income routes (DESIGN §5)."""

from rest_framework import serializers

from income.selectors.projections import PROJECTION_MONTHS
from income.selectors.received import GROUPS
from portfolios.api.fields import ExactDecimalField
from portfolios.api.query import BoundedDateField


class DateRangeSerializer(serializers.Serializer):
    """`start` and `end` (ISO dates, both included); `end` may not precede `start`."""

    start = BoundedDateField(required=False)
    end = BoundedDateField(required=False)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and end < start:
            raise serializers.ValidationError({"end": ["end must not be before start."]})
        return attrs


class IncomeFilterSerializer(DateRangeSerializer):
    group_by = serializers.ChoiceField(choices=GROUPS, default="month")


class IncomeRowSerializer(serializers.Serializer):
    """One group of received income: the `group_by` column (only that one) and the amount."""

    month = serializers.DateField(required=False)
    source = serializers.CharField(required=False)
    account = serializers.CharField(required=False)
    symbol = serializers.CharField(required=False)
    amount = ExactDecimalField()


class ProjectionFilterSerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=PROJECTION_MONTHS, default=12)


class ProjectedPaymentSerializer(serializers.Serializer):
    """A stored projected payment, a row of ``projected_payment_rows``."""

    month = serializers.DateField()
    pay_date = serializers.DateField()
    account = serializers.CharField(source="account_name")
    symbol = serializers.CharField()
    source = serializers.CharField()
    amount = ExactDecimalField()
    status = serializers.CharField()


class CalendarEntrySerializer(serializers.Serializer):
    pay_date = serializers.DateField()
    ex_date = serializers.DateField(allow_null=True)
    account = serializers.CharField()
    symbol = serializers.CharField()
    source = serializers.CharField()
    amount = ExactDecimalField()
    status = serializers.CharField()
