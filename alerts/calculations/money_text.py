"""Money and percents as people read them: currency, thousands separators, real minus signs.

Shared by alert messages, the e-mails and the alert pages. The rules are the project's one
formatting layer (``portfolios.formatting``, pure); alert texts default to one decimal place
in percents ("6.3%").
"""

from decimal import Decimal

from portfolios import formatting
from portfolios.formatting import MINUS, SYMBOLS  # noqa: F401  (re-exported)


def money_text(amount: Decimal | int | float | None, currency: str = "USD") -> str:
    """Return ``amount`` with its currency and separators: 1500 → "$1,500.00", −2.5 → "−$2.50"."""
    return formatting.money_text(amount, currency)


def signed_money_text(amount: Decimal | None, currency: str = "USD") -> str:
    """Return a change with its sign: +$1,234.50 or −$80.00."""
    return formatting.signed_money_text(amount, currency)


def percent_text(fraction: Decimal | float | None, places: int = 1, *, signed: bool = False) -> str:
    """Return a fraction as a percent: 0.0625 → "6.3%" (signed: "+6.3%", "−2.0%")."""
    return formatting.percent_text(fraction, places, signed=signed)


def plain_number(number: Decimal) -> str:
    """Return a threshold without trailing zeros: 5.0000 → "5", 2.50 → "2.5"."""
    text = f"{number.normalize():f}"
    return text
