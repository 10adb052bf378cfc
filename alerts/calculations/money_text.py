"""Money and percents as people read them: currency, thousands separators, real minus signs.

Pure and shared by alert messages, the e-mails and the alert pages.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}
MINUS = "−"


def money_text(amount: Decimal | int | float | None, currency: str = "USD") -> str:
    """Return ``amount`` with its currency and separators: 1500 → "$1,500.00", −2.5 → "−$2.50"."""
    if amount is None:
        return "—"
    value = Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)
    symbol = SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = MINUS if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def signed_money_text(amount: Decimal | None, currency: str = "USD") -> str:
    """Return a change with its sign: +$1,234.50 or −$80.00."""
    if amount is None:
        return "—"
    text = money_text(amount, currency)
    return text if text.startswith(MINUS) or Decimal(str(amount)) == 0 else f"+{text}"


def percent_text(fraction: Decimal | float | None, places: int = 1, *, signed: bool = False) -> str:
    """Return a fraction as a percent: 0.0625 → "6.3%" (signed: "+6.3%", "−2.0%")."""
    if fraction is None:
        return "—"
    step = Decimal(1).scaleb(-places)
    value = (Decimal(str(fraction)) * 100).quantize(step, ROUND_HALF_UP)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{abs(value):,.{places}f}%"


def plain_number(number: Decimal) -> str:
    """Return a threshold without trailing zeros: 5.0000 → "5", 2.50 → "2.5"."""
    text = f"{number.normalize():f}"
    return text
