"""Reads of market prices, limited to securities the household holds or has held."""

from datetime import date

from django.db.models import QuerySet

from portfolios.models import Household, Price
from portfolios.selectors.accounts import security_list


def price_list(
    *,
    household: Household,
    symbol: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Price]:
    """Return daily closes of the household's securities, by symbol then date."""
    prices = Price.objects.filter(
        security__in=security_list(household=household).values("pk")
    ).select_related("security")
    if symbol:
        prices = prices.filter(security__symbol=symbol.strip().upper())
    if start:
        prices = prices.filter(date__gte=start)
    if end:
        prices = prices.filter(date__lte=end)
    return prices.order_by("security__symbol", "date")
