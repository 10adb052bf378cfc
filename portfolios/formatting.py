"""People's words and figures: the one formatting layer of pages, e-mails and alert texts.

Pure functions (no ORM). Money is rounded half-up to the cent, minus signs are real minus
signs, codes become the labels people read. ``portfolios.templatetags.hearth_format``
exposes them to templates.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MINUS = "−"
MISSING = "—"
SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

ASSET_CLASS_LABELS = {
    "us_equity": "US equity",
    "intl_equity": "International equity",
    "bonds": "Bonds",
    "real_estate": "Real estate",
    "commodities": "Commodities",
    "cash": "Cash",
    "crypto": "Crypto",
    "alternatives": "Alternatives",
    "unknown": "Not yet classified",
    "unassigned": "Not yet classified",
}
KIND_LABELS = {
    "stock": "Stock",
    "etf": "ETF",
    "mutual_fund": "Mutual fund",
    "bond": "Bond",
    "preferred": "Preferred",
    "reit": "REIT",
    "option": "Option",
    "crypto": "Crypto",
    "money_market": "Money market",
    "cash": "Cash",
    "unknown": "Not yet classified",
}
TRANSACTION_TYPE_LABELS = {
    "BUY": "Buy",
    "SELL": "Sell",
    "DIVIDEND": "Dividend",
    "REINVEST": "Reinvested dividend",
    "INTEREST": "Interest",
    "OPTION_PREMIUM": "Option premium",
    "FEE": "Fee",
    "TAX_WITHHELD": "Tax withheld",
    "DEPOSIT": "Deposit",
    "WITHDRAWAL": "Withdrawal",
    "TRANSFER": "Transfer",
    "SPLIT": "Split",
    "RETURN_OF_CAPITAL": "Return of capital",
    "OPENING": "Opening position",
}
ACCOUNT_TYPE_LABELS = {
    "taxable": "Taxable brokerage",
    "traditional_ira": "Traditional IRA",
    "roth_ira": "Roth IRA",
    "401k": "401(k)",
    "403b": "403(b)",
    "hsa": "HSA",
    "529": "529 plan",
    "trust": "Trust",
    "cash": "Cash",
}
# Allocation and drift status, with the CSS class every page colours it by.
BAND_STATUS_LABELS = {
    "ok": "Within band",
    "over": "Over target",
    "under": "Under target",
    "untargeted": "No target",
}
BAND_STATUS_CLASSES = {
    "ok": "status-ok",
    "over": "status-over",
    "under": "status-under",
    "untargeted": "status-untargeted",
}
TERM_LABELS = {"short": "Short-term", "long": "Long-term"}
# Which way a transaction moves its account's cash (DESIGN §3: amounts are positive, the type
# says the direction): +1 in, −1 out, 0 none (a reinvested dividend is paid into a buy; a
# split or an opening position moves no cash). A transfer leaves the account it is listed in.
CASH_DIRECTIONS = {
    "DEPOSIT": 1,
    "SELL": 1,
    "DIVIDEND": 1,
    "INTEREST": 1,
    "OPTION_PREMIUM": 1,
    "RETURN_OF_CAPITAL": 1,
    "BUY": -1,
    "WITHDRAWAL": -1,
    "FEE": -1,
    "TAX_WITHHELD": -1,
    "TRANSFER": -1,
    "REINVEST": 0,
    "SPLIT": 0,
    "OPENING": 0,
}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money_text(amount, currency: str = "USD") -> str:
    """Return an amount with currency and separators: 1500 → "$1,500.00", −2.5 → "−$2.50"."""
    value = _decimal(amount)
    if value is None:
        return MISSING
    value = value.quantize(CENT, ROUND_HALF_UP)
    code = (currency or "USD").upper()
    symbol = SYMBOLS.get(code, f"{code} ")
    sign = MINUS if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def signed_money_text(amount, currency: str = "USD") -> str:
    """Return a change or a cash movement with its sign: "+$1,234.50", "−$80.00", "$0.00"."""
    value = _decimal(amount)
    if value is None:
        return MISSING
    text = money_text(value, currency)
    return f"+{text}" if value.quantize(CENT, ROUND_HALF_UP) > 0 else text


def cash_movement_text(amount, transaction_type: str | None, currency: str = "USD") -> str:
    """Return a transaction's amount signed by the way its cash moves.

    DEPOSIT 500 → "+$500.00", BUY 1200 → "−$1,200.00", REINVEST 40 → "$40.00" (no cash moves).
    """
    value = _decimal(amount)
    if value is None:
        return MISSING
    direction = CASH_DIRECTIONS.get((transaction_type or "").upper(), 0)
    if direction == 0:
        return money_text(value, currency)
    return signed_money_text(abs(value) * direction, currency)


def percent_text(fraction, places: int = 2, *, signed: bool = False) -> str:
    """Return a fraction as a percent: 0.0625 → "6.25%" (signed: "+6.25%", "−2.00%")."""
    value = _decimal(fraction)
    if value is None:
        return MISSING
    step = Decimal(1).scaleb(-int(places))
    value = (value * 100).quantize(step, ROUND_HALF_UP)
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{abs(value):,.{int(places)}f}%"


def points_text(fraction, places: int = 1, *, signed: bool = True) -> str:
    """Return a weight difference (a fraction) in percentage points: 0.025 → "+2.5 pp".

    Unsigned for a width such as a band: 0.05 → "5.0 pp"."""
    text = percent_text(fraction, places, signed=signed)
    return text if text == MISSING else text[:-1] + " pp"


def quantity_text(quantity) -> str:
    """Return a share count with separators and no trailing zeros: 1234.5000 → "1,234.5"."""
    value = _decimal(quantity)
    if value is None:
        return MISSING
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"
    return text.replace("-", MINUS)


def asset_class_label(code: str | None) -> str:
    return ASSET_CLASS_LABELS.get(code or "unknown", (code or "").replace("_", " ").capitalize())


def kind_label(code: str | None) -> str:
    return KIND_LABELS.get(code or "unknown", (code or "").replace("_", " ").capitalize())


def transaction_type_label(code: str | None) -> str:
    return TRANSACTION_TYPE_LABELS.get(code or "", (code or "").replace("_", " ").capitalize())


def account_type_label(code: str | None) -> str:
    return ACCOUNT_TYPE_LABELS.get(code or "", (code or "").replace("_", " ").capitalize())


def sleeve_label(name: str | None) -> str:
    """Return a sleeve's name as a heading ("core" → "Core"; none → "No sleeve")."""
    if not name or name == "unassigned":
        return "No sleeve"
    return name[:1].upper() + name[1:]


def band_status_label(code: str | None) -> str:
    return BAND_STATUS_LABELS.get(code or "", code or MISSING)


def band_status_class(code: str | None) -> str:
    return BAND_STATUS_CLASSES.get(code or "", "")


def term_label(code: str | None) -> str:
    return TERM_LABELS.get(code or "", code or MISSING)


def person_name(user) -> str:
    """Return a member as people call them: full name, else first name, else the username."""
    if user is None:
        return MISSING
    user = getattr(user, "user", user)  # a Membership or a User
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "first_name", "") or getattr(user, "username", str(user))


def security_text(symbol: str | None, name: str | None) -> str:
    """Return a security by name beside its ticker: "VTI · Vanguard Total Stock Market ETF"."""
    symbol = symbol or ""
    if name and name.strip().upper() != symbol.upper():
        return f"{symbol} · {name.strip()}"
    return symbol or MISSING


def gain_class(value) -> str:
    """Return the CSS class of a gain ("pos") or a loss ("neg"); "" for zero or none."""
    number = _decimal(value)
    if not number:
        return ""
    return "pos" if number > 0 else "neg"
