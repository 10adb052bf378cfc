"""Turn one line of a broker's export into Hearth rows (shared by every broker and OFX).

Each broker module reads its own layout into a ``BrokerLine`` (values signed the way the
broker writes them: cash out negative, shares out negative) and decides from the action
text which ``ActionMapping`` applies. ``broker_rows`` then applies the rules below, the
same for every broker, and ``settle_pairs`` joins lines that only mean something together
once the whole file is read.

1. A *skip* mapping names a known no-op (a money-market sweep, a written option
   assigned, whose shares move on their own line): the line becomes a ``SkippedRow`` with
   the reason. A *reject* mapping names something the file cannot tell Hearth enough
   about: a ``RowError`` saying what to do. Nothing is dropped silently.
2. A plain mapping names one type; the cash direction must match it (a DIVIDEND brings
   cash in, a FEE takes it out). A mapping with a ``negative_type`` picks between two
   types by the sign (DEPOSIT or WITHDRAWAL). A line whose sign contradicts its type (a
   dividend reversal, a tax refund) is a RowError: Hearth amounts are positive and those
   have no type.
3. BUY, SELL and OPTION_PREMIUM take the gross value from the broker's principal when it
   gives one, otherwise from its net cash: a BUY's gross is net - fees, a SELL's is
   net + fees. So a trade moves exactly the cash the statement says, to the cent. A price
   quoted per 100 of face value (bonds, T-bills) is stored per unit, so that quantity x
   price is the trade's value.
4. Cash rows (dividends, interest, fees, flows) carry the net amount and no fees; a line
   that moves no cash at all is skipped.
5. Special kinds (``ActionMapping.kind``), each keeping the broker's meaning:
   ``shares``: shares moved in or out. To or from an account the line names, a TRANSFER
   (in kind, keeping basis and dates); in from an account it does not name (an ACAT
   transfer from another broker), an OPENING of unknown basis; out to an account it does
   not name, a RowError asking for the account. A line moving only cash is a TRANSFER of
   cash when it names the other account, else a DEPOSIT or WITHDRAWAL.
   ``vest``: RSU or ESPP shares deposited: a DEPOSIT of their value (pay from the
   employer, an external flow) and a BUY at the vest (or purchase) price.
   ``short_open`` / ``short_cover``: a short sale is recorded when it is covered: a BUY
   of the shares at the cover's cost and a SELL at the short sale's proceeds, both on the
   cover date (a short sale's gain is realised when it closes, and short term).
   ``close_written``: buying back a written option: a BUY at the cost and a SELL at 0
   the same day, so the cost is a realised loss against the premium already recorded.
   ``expire``: an option expiring: a SELL at 0 if the account holds it (a bought
   option's cost becomes a loss), nothing if it was written.
   ``exercise``: a bought option exercised: its lots close at their basis and that
   basis moves into the shares bought (call) or out of the proceeds of the shares sold
   (put), paired with the stock line of the same day.
   ``split``: the ratio from the text ("2 FOR 1"), else the shares added or removed,
   from which the import works out the ratio.
   ``merger_cash``: a SELL of the shares surrendered for the cash. ``merger_stock``:
   the old shares leave at their basis and the new ones take it (no gain). ``spinoff``:
   new shares at unknown basis, to be split off the parent's basis by hand.
   ``cash_in_lieu``: a SELL of the fractional share. ``fx``: a currency conversion
   inside the account: no Hearth row (cash stays in the account; never an external
   flow), its commission a FEE.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portfolios.imports.csv_records import ColumnIndex, CsvRecord
from portfolios.imports.external_ids import assign_external_ids
from portfolios.imports.rows import (
    MAX_MEMO_LENGTH,
    MAX_SYMBOL_LENGTH,
    ZERO,
    FileAccount,
    ParsedRow,
    ParseResult,
    RowError,
    SkippedRow,
    StatementPosition,
)
from portfolios.imports.values import (
    ValueProblem,
    decimal_text,
    parse_broker_amount,
    shown,
    split_ratio_in_text,
)
from portfolios.imports.wording import normalized_number

# +1: the type brings cash in, -1: it takes cash out.
CASH_DIRECTION = {
    "BUY": -1,
    "SELL": 1,
    "OPTION_PREMIUM": 1,
    "DIVIDEND": 1,
    "INTEREST": 1,
    "RETURN_OF_CAPITAL": 1,
    "DEPOSIT": 1,
    "FEE": -1,
    "TAX_WITHHELD": -1,
    "WITHDRAWAL": -1,
}
TRADE_TYPES = frozenset({"BUY", "SELL", "OPTION_PREMIUM"})
SECURITY_TYPES = frozenset({"BUY", "SELL", "DIVIDEND", "RETURN_OF_CAPITAL", "SPLIT"})
CENT = Decimal("0.01")

SHARES_OUT_UNNAMED = (
    "shares left the account for an account the file does not name; add that account's "
    "number to the line's description, or enter the move as a TRANSFER row in a Hearth CSV "
    "that names both accounts"
)
WRITTEN_ASSIGNED = (
    "a written option was assigned: its shares move on their own line, and its premium was "
    "recorded when it was written"
)
OPTION_EXPIRED_WRITTEN = "a written option expired; its premium was recorded when it was written"


@dataclass(frozen=True, slots=True)
class ActionMapping:
    """What a broker's action means in Hearth terms."""

    type: str | None = None
    negative_type: str | None = None
    income_class: str | None = None
    skip: str | None = None
    reject: str | None = None
    cash_only: bool = False
    kind: str = ""


def maps_to(type_: str, *, income_class: str | None = None) -> ActionMapping:
    """Return a mapping to one Hearth type."""
    return ActionMapping(type=type_, income_class=income_class)


def cash_flow(*, cash_only: bool = True) -> ActionMapping:
    """Return a mapping to DEPOSIT or WITHDRAWAL by the sign of the cash; a line that also
    moves shares is a move of shares (``kind="shares"``)."""
    return ActionMapping(
        type="DEPOSIT", negative_type="WITHDRAWAL", cash_only=cash_only, kind="shares"
    )


def special(kind: str, **fields) -> ActionMapping:
    """Return a mapping handled by the ``kind`` rules of the module docstring."""
    return ActionMapping(kind=kind, **fields)


def skipped(reason: str) -> ActionMapping:
    """Return a mapping for a known no-op."""
    return ActionMapping(skip=reason)


def rejected(reason: str) -> ActionMapping:
    """Return a mapping for something the file cannot tell Hearth enough about."""
    return ActionMapping(reject=reason)


@dataclass(frozen=True, slots=True)
class BrokerColumns:
    """The broker's own names for the columns errors point at."""

    action: str
    symbol: str
    quantity: str
    amount: str


@dataclass(frozen=True, slots=True)
class BrokerLine:
    """The values of one broker export line, signed as the broker writes them."""

    line: int
    trade_date: date
    action: str
    symbol: str | None
    description: str
    quantity: Decimal | None
    price: Decimal | None
    fees: Decimal
    net: Decimal | None
    gross: Decimal | None = None
    currency: str | None = None
    external_id: str = ""
    security_name: str | None = None
    description_is_security_name: bool = True
    account_number: str | None = None
    counterparty: str | None = None  # the other account a move names, if it does
    cost_basis: Decimal | None = None  # the basis of shares moved in, if the file says

    @property
    def name_of_security(self) -> str | None:
        """Return the security's name: the broker's own field, else the description when
        the broker uses it for the security's name."""
        if not self.symbol:
            return None
        if self.security_name:
            return self.security_name
        return (self.description or None) if self.description_is_security_name else None


BrokerOutcome = ParsedRow | SkippedRow | RowError


class CellReader:
    """Read the cells of one record, collecting a RowError for each unreadable value."""

    def __init__(self, record: CsvRecord, columns: ColumnIndex) -> None:
        self.record = record
        self.columns = columns
        self.errors: list[RowError] = []

    def text(self, *names: str) -> str:
        return self.columns.get(self.record, *names)

    def amount(self, *names: str) -> Decimal | None:
        raw = self.text(*names)
        try:
            return parse_broker_amount(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, self._name(names), str(problem)))
            return None

    def date(self, parse: Callable[[str], date], *names: str) -> date | None:
        raw = self.text(*names)
        if not raw:
            self.errors.append(RowError(self.record.line, self._name(names), "is required"))
            return None
        try:
            return parse(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, self._name(names), str(problem)))
            return None

    def _name(self, names: tuple[str, ...]) -> str:
        return self.columns.first_present(*names) or names[0]


def clean_symbol(text: str) -> str | None:
    """Return a broker's symbol cell as a Hearth symbol, or None when blank."""
    symbol = text.strip().rstrip("*").strip().upper()
    if not symbol or symbol in {"--", "-", "N/A", "NONE"}:
        return None
    return symbol[:MAX_SYMBOL_LENGTH]


def normalized_action(text: str) -> str:
    """Return the action text upper-cased with runs of whitespace collapsed."""
    return " ".join(text.split()).upper()


def is_footer(record: CsvRecord, looks_like_date: Callable[[str], bool]) -> bool:
    """Return True for disclaimer and total lines after the data: no date, few cells."""
    first = record.cells[0].strip() if record.cells else ""
    return not looks_like_date(first) and len(record.filled_cells()) < 3


_COUNTERPARTY = re.compile(
    r"\b(?:FROM|TO|FRM|FR)\s+(?:VS\s+|ACCT\.?\s+|A/C\s+|ACCOUNT\s+(?:NUMBER\s+)?|#\s*)?"
    r"([A-Z]{0,2}[\dX*.…\-]*\d{3,}[\dX\-]*)\b",
    re.IGNORECASE,
)
_SUB_ACCOUNT_SUFFIX = re.compile(r"^(.{8,})-\d$")


def counterparty_in_text(text: str) -> str | None:
    """Return the account number a transfer's description names ("TRANSFERRED FROM VS
    Z12-345678-1" -> "Z12-345678"), or None."""
    match = _COUNTERPARTY.search(text or "")
    if match is None:
        return None
    number = match.group(1)
    suffix = _SUB_ACCOUNT_SUFFIX.match(number)
    return suffix.group(1) if suffix else number


def memo_of(line: BrokerLine) -> str:
    memo = " ".join(line.action.split())
    description = " ".join(line.description.split())
    if description and description.upper() not in memo.upper():
        memo = f"{memo} | {description}" if memo else description
    return memo[:MAX_MEMO_LENGTH]


def _row(line: BrokerLine, type_: str, amount: Decimal, **fields) -> ParsedRow:
    values = {
        "line": line.line,
        "trade_date": line.trade_date,
        "type": type_,
        "symbol": line.symbol,
        "amount": amount,
        "currency": line.currency,
        "external_id": line.external_id,
        "memo": memo_of(line),
        "security_name": line.name_of_security,
        "account_number": line.account_number,
    }
    values.update(fields)
    return ParsedRow(**values)


def _suffixed(line: BrokerLine, suffix: str) -> str:
    return f"{line.external_id}:{suffix}" if line.external_id else ""


def broker_rows(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    """Return the Hearth rows for a broker line, or why it is skipped or refused."""
    if mapping.skip:
        return [SkippedRow(line.line, mapping.skip)]
    if mapping.reject:
        return [RowError(line.line, columns.action, f"'{shown(line.action)}': {mapping.reject}")]
    handler = _KINDS.get(mapping.kind)
    if handler is not None:
        return handler(line, mapping, columns)
    return [broker_row(line, mapping, columns)]


def broker_row(line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns) -> BrokerOutcome:
    """Return the one Hearth row of a plain mapping (rules 2 to 4)."""
    type_ = mapping.type or ""
    if mapping.negative_type and line.net is not None and line.net < 0:
        type_ = mapping.negative_type
    if type_ in SECURITY_TYPES and not line.symbol:
        return RowError(
            line.line, columns.symbol, f"is required for a {type_} ('{shown(line.action)}')"
        )
    if type_ == "SPLIT":
        return _split(line, mapping, columns)[0]

    direction = CASH_DIRECTION[type_]
    if line.net is not None and line.net != 0 and (line.net > 0) != (direction > 0):
        if type_ in TRADE_TYPES:
            verb = "bring cash in" if direction > 0 else "take cash out"
            return RowError(
                line.line,
                columns.amount,
                f"'{shown(line.action)}' is a {type_}, which should {verb}, but the amount "
                f"is {decimal_text(line.net)}; enter it by hand",
            )
        # A reversal: settled against the line it reverses, if the file has it.
        return _row(
            line, type_, abs(line.net), income_class=mapping.income_class, pending="reversal"
        )
    if type_ in TRADE_TYPES:
        return _trade_row(line, type_, mapping, columns)
    if line.net is None:
        return RowError(line.line, columns.amount, f"is required for a {type_}")
    if line.net == 0:
        return SkippedRow(line.line, f"'{shown(line.action)}' moves no cash")
    return _row(line, type_, abs(line.net), income_class=mapping.income_class)


def per_unit_price(
    quantity: Decimal | None, price: Decimal | None, amount: Decimal
) -> Decimal | None:
    """Return the price per unit: as given, or divided by 100 when the broker quotes it per
    100 of face value (quantity x price is then 100 times the trade's value)."""
    if quantity is None or price is None or not quantity or not amount:
        return price
    value = quantity * price
    if abs(value - amount) <= amount * Decimal("0.02"):
        return price
    if abs(value / 100 - amount) <= amount * Decimal("0.02"):
        return price / 100
    return price


def trade_amount(line: BrokerLine, type_: str) -> Decimal | None:
    """Return a trade's gross value (rule 3), or None when the line does not tell."""
    quantity = abs(line.quantity) if line.quantity is not None else None
    price = abs(line.price) if line.price is not None else None
    if line.gross is not None and line.gross != 0:
        return abs(line.gross)
    if line.net is not None and line.net != 0:
        return abs(line.net) - line.fees if type_ == "BUY" else abs(line.net) + line.fees
    if quantity is not None and price is not None:
        return quantity * price
    return None


def _trade_row(
    line: BrokerLine, type_: str, mapping: ActionMapping, columns: BrokerColumns, **fields
) -> BrokerOutcome:
    quantity = abs(line.quantity) if line.quantity is not None else None
    if type_ != "OPTION_PREMIUM" and not quantity:
        return RowError(line.line, columns.quantity, f"is required for a {type_}")
    amount = trade_amount(line, type_)
    if amount is None:
        return RowError(line.line, columns.amount, f"is required for a {type_}")
    if amount < 0:
        return RowError(
            line.line,
            columns.amount,
            f"fees of {decimal_text(line.fees)} exceed the trade's cash {decimal_text(line.net)}",
        )
    price = abs(line.price) if line.price is not None else None
    return _row(
        line,
        type_,
        amount,
        quantity=quantity,
        price=per_unit_price(quantity, price, amount),
        fees=line.fees,
        income_class=mapping.income_class,
        **fields,
    )


def _split(line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns) -> list[BrokerOutcome]:
    if not line.symbol:
        return [RowError(line.line, columns.symbol, "is required for a split")]
    ratio = split_ratio_in_text(f"{line.action} {line.description}")
    if ratio is not None:
        return [_row(line, "SPLIT", ZERO, split_new=ratio[0], split_old=ratio[1])]
    if not line.quantity:
        return [
            RowError(
                line.line,
                columns.action,
                "the split ratio is not in the file and the line moves no shares; add a "
                "SPLIT row with its ratio (e.g. 2:1) in a Hearth CSV instead",
            )
        ]
    return [_row(line, "SPLIT", ZERO, split_shares=line.quantity, pending="split")]


def _shares(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    """Shares or cash moved in or out (module docstring, ``shares``)."""
    quantity = line.quantity or ZERO
    if not line.symbol or quantity == 0:
        return _cash_move(line, mapping, columns)
    moved = abs(quantity)
    transfer_id = (
        f"xfer:{line.trade_date.isoformat()}:{line.symbol}:{decimal_text(moved)}"
        if not line.external_id
        else ""
    )
    if line.counterparty:
        source, target = (
            (line.counterparty, line.account_number)
            if quantity > 0
            else (line.account_number, line.counterparty)
        )
        return [
            _row(
                line,
                "TRANSFER",
                ZERO,
                quantity=moved,
                account_number=source,
                to_account_number=target,
                external_id=transfer_id or line.external_id,
                pending="xfer_in" if quantity > 0 else "xfer_out",
            )
        ]
    if quantity < 0:
        return [RowError(line.line, columns.quantity, SHARES_OUT_UNNAMED)]
    basis = abs(line.cost_basis) if line.cost_basis else None
    return [
        _row(
            line,
            "OPENING",
            basis if basis is not None else ZERO,
            quantity=moved,
            basis_unknown=basis is None,
            memo=("shares transferred in | " + memo_of(line))[:MAX_MEMO_LENGTH],
        )
    ]


def _cash_move(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if line.net is None or line.net == 0:
        return [SkippedRow(line.line, f"'{shown(line.action)}' moves no cash or shares")]
    if line.counterparty:
        amount = abs(line.net)
        incoming = line.net > 0
        source, target = (
            (line.counterparty, line.account_number)
            if incoming
            else (line.account_number, line.counterparty)
        )
        transfer_id = f"xfer:{line.trade_date.isoformat()}:cash:{decimal_text(amount)}"
        return [
            _row(
                line,
                "TRANSFER",
                amount,
                symbol=None,
                security_name=None,
                account_number=source,
                to_account_number=target,
                external_id=transfer_id if not line.external_id else line.external_id,
                pending="xfer_in" if incoming else "xfer_out",
            )
        ]
    flow = dataclasses.replace(mapping, kind="")
    if flow.type is None:
        flow = cash_flow(cash_only=True)
        flow = dataclasses.replace(flow, kind="")
    return [broker_row(dataclasses.replace(line, symbol=None), flow, columns)]


def _vest(line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns) -> list[BrokerOutcome]:
    """RSU/ESPP shares deposited: the pay as a DEPOSIT, the shares as a BUY at its price."""
    quantity = abs(line.quantity) if line.quantity else None
    if not line.symbol or not quantity:
        return [RowError(line.line, columns.quantity, "a stock plan deposit needs the shares")]
    price = abs(line.price) if line.price else None
    value = abs(line.gross) if line.gross else (quantity * price if price else None)
    if value is None:
        # The price is not in this file (a brokerage statement's "Stock Plan Activity"):
        # the shares come in at unknown basis, for the household to fill in.
        return [
            _row(
                line,
                "OPENING",
                ZERO,
                quantity=quantity,
                basis_unknown=True,
                memo=("stock plan shares, vest price not in the file | " + memo_of(line))[
                    :MAX_MEMO_LENGTH
                ],
            )
        ]
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    memo = ("stock plan shares | " + memo_of(line))[:MAX_MEMO_LENGTH]
    return [
        _row(
            line,
            "DEPOSIT",
            value,
            symbol=None,
            security_name=None,
            memo=memo,
            external_id=_suffixed(line, "pay"),
        ),
        _row(line, "BUY", value, quantity=quantity, price=price or value / quantity, memo=memo),
    ]


def _short_open(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    row = _trade_row(line, "SELL", mapping, columns, pending="short_open")
    return [row]


def _short_cover(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    return [_trade_row(line, "BUY", mapping, columns, pending="short_cover")]


def _close_written(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    bought = _trade_row(line, "BUY", mapping, columns)
    if not isinstance(bought, ParsedRow):
        return [bought]
    closed = dataclasses.replace(
        bought,
        type="SELL",
        amount=ZERO,
        price=ZERO,
        fees=ZERO,
        external_id=_suffixed(line, "closed"),
        memo=("written option bought back | " + bought.memo)[:MAX_MEMO_LENGTH],
    )
    return [bought, closed]


def _expire(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if not line.symbol or not line.quantity:
        return [SkippedRow(line.line, "an option expired; no cash or shares moved")]
    return [
        _row(
            line,
            "SELL",
            ZERO,
            quantity=abs(line.quantity),
            price=ZERO,
            only_if_held=True,
            memo=("option expired | " + memo_of(line))[:MAX_MEMO_LENGTH],
        )
    ]


def _exercise(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if not line.symbol or not line.quantity:
        return [SkippedRow(line.line, "an option was exercised; the shares move on their own line")]
    return [
        _row(
            line,
            "SELL",
            ZERO,
            quantity=abs(line.quantity),
            price=ZERO,
            basis_proceeds=True,
            pending="exercise_option",
            memo=("option exercised | " + memo_of(line))[:MAX_MEMO_LENGTH],
        )
    ]


def _exercise_stock(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    type_ = mapping.type or ("BUY" if (line.quantity or 0) > 0 else "SELL")
    return [_trade_row(line, type_, mapping, columns, pending="exercise_stock")]


def _merger_cash(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    """Shares surrendered for cash. Brokers print the shares and the cash on one line or
    on two (``settle_pairs`` joins them)."""
    cash = line.net if line.net and line.net > 0 else None
    if not line.symbol:
        return [RowError(line.line, columns.symbol, "is required for a merger or redemption")]
    memo = ("surrendered for cash | " + memo_of(line))[:MAX_MEMO_LENGTH]
    if line.quantity and cash:
        return [_trade_row(line, "SELL", mapping, columns)]
    if line.quantity:
        return [
            _row(
                line,
                "SELL",
                ZERO,
                quantity=abs(line.quantity),
                price=ZERO,
                memo=memo,
                pending="merger_shares",
            )
        ]
    if cash:
        return [_row(line, "RETURN_OF_CAPITAL", cash, memo=memo, pending="merger_money")]
    return [SkippedRow(line.line, f"'{shown(line.action)}' moves no cash or shares")]


def _merger_stock(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if not line.symbol or not line.quantity:
        if line.net:
            return _merger_cash(line, mapping, columns)
        return [SkippedRow(line.line, f"'{shown(line.action)}' moves no cash or shares")]
    if line.quantity < 0:
        if line.net and line.net > 0:
            return [_trade_row(line, "SELL", mapping, columns)]
        return [
            _row(
                line,
                "SELL",
                ZERO,
                quantity=abs(line.quantity),
                basis_proceeds=True,
                pending="merger_out",
                memo=("exchanged in a merger | " + memo_of(line))[:MAX_MEMO_LENGTH],
            )
        ]
    return [
        _row(
            line,
            "BUY",
            ZERO,
            quantity=line.quantity,
            pending="merger_in",
            memo=("received in a merger | " + memo_of(line))[:MAX_MEMO_LENGTH],
        )
    ]


def _spinoff(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if not line.symbol or not line.quantity:
        if line.net and line.net > 0:
            return _cash_in_lieu(line, mapping, columns)
        return [SkippedRow(line.line, f"'{shown(line.action)}' moves no shares")]
    if line.quantity < 0:
        return _merger_stock(line, mapping, columns)
    return [
        _row(
            line,
            "BUY",
            ZERO,
            quantity=line.quantity,
            basis_unknown=True,
            memo=("spin-off: move part of the parent's basis here | " + memo_of(line))[
                :MAX_MEMO_LENGTH
            ],
        )
    ]


def _cash_in_lieu(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    if line.net is None or line.net <= 0:
        return [SkippedRow(line.line, f"'{shown(line.action)}' moves no cash")]
    if not line.symbol:
        return [
            RowError(
                line.line,
                columns.symbol,
                "cash in lieu of a fractional share needs the security's symbol",
            )
        ]
    quantity = abs(line.quantity) if line.quantity else None
    return [
        _row(
            line,
            "SELL",
            abs(line.net),
            quantity=quantity,
            sell_fraction=quantity is None,
            memo=("cash in lieu of a fractional share | " + memo_of(line))[:MAX_MEMO_LENGTH],
        )
    ]


def _fx(line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns) -> list[BrokerOutcome]:
    outcomes: list[BrokerOutcome] = [
        SkippedRow(
            line.line,
            "a currency conversion inside the account: the cash stays in the account, so it "
            "is neither a flow nor income",
        )
    ]
    if line.fees:
        outcomes.append(
            _row(
                line,
                "FEE",
                line.fees,
                symbol=None,
                security_name=None,
                memo=("commission on a currency conversion | " + memo_of(line))[:MAX_MEMO_LENGTH],
            )
        )
    return outcomes


def _redeem_out(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    """Shares sold and the money paid out of the account at once (a 529 or mutual-fund
    account's withdrawal): a SELL and a WITHDRAWAL of what it brought."""
    if not line.symbol or not line.quantity:
        return _cash_move(line, mapping, columns)
    sold = _trade_row(line, "SELL", mapping, columns)
    if not isinstance(sold, ParsedRow):
        return [sold]
    paid = abs(line.net) if line.net else sold.amount - sold.fees
    return [
        sold,
        _row(
            line,
            "WITHDRAWAL",
            paid,
            symbol=None,
            security_name=None,
            external_id=_suffixed(line, "paid"),
            memo=("paid out of the account | " + memo_of(line))[:MAX_MEMO_LENGTH],
        ),
    ]


def _plain_by_sign(
    line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns
) -> list[BrokerOutcome]:
    """A trade whose side is the sign of its quantity (positive buys)."""
    if not line.quantity:
        return [RowError(line.line, columns.quantity, "is required for a trade")]
    type_ = "BUY" if line.quantity > 0 else "SELL"
    return [_trade_row(line, type_, mapping, columns)]


_KINDS: dict[str, Callable[[BrokerLine, ActionMapping, BrokerColumns], list[BrokerOutcome]]] = {
    "shares": _shares,
    "vest": _vest,
    "short_open": _short_open,
    "short_cover": _short_cover,
    "close_written": _close_written,
    "expire": _expire,
    "exercise": _exercise,
    "exercise_stock": _exercise_stock,
    "split": _split,
    "merger_cash": _merger_cash,
    "merger_stock": _merger_stock,
    "spinoff": _spinoff,
    "cash_in_lieu": _cash_in_lieu,
    "fx": _fx,
    "trade": _plain_by_sign,
    "redeem_out": _redeem_out,
}


# Lines paired once the file is read -------------------------------------------------


def _share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    return (total * part / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def _settle_shorts(rows: list[ParsedRow], out: _Settled) -> None:
    """Record each covered short sale as a BUY and a SELL on the cover date."""
    opens: dict[tuple[str, str | None], list[list]] = {}
    for row in sorted(rows, key=lambda r: (r.trade_date, r.line)):
        key = (row.account_key, row.symbol)
        if row.pending == "short_open":
            opens.setdefault(key, []).append([row, row.quantity or ZERO])
            continue
        needed = row.quantity or ZERO
        queue = opens.get(key, [])
        matched: list[tuple[ParsedRow, Decimal]] = []
        while needed > 0 and queue:
            short, left = queue[0]
            take = min(needed, left)
            matched.append((short, take))
            needed -= take
            queue[0][1] = left - take
            if queue[0][1] == 0:
                queue.pop(0)
        if needed > 0:
            out.errors.append(
                RowError(
                    row.line,
                    None,
                    f"covers a short sale of {decimal_text(needed)} {row.symbol} that is not in "
                    "this file; import a file that starts before the short sale",
                )
            )
            continue
        out.rows.append(dataclasses.replace(row, pending=""))
        for short, take in matched:
            whole = short.quantity or take
            out.rows.append(
                dataclasses.replace(
                    short,
                    trade_date=row.trade_date,
                    quantity=take,
                    amount=short.amount if take == whole else _share(short.amount, take, whole),
                    fees=short.fees if take == whole else _share(short.fees, take, whole),
                    line=row.line,
                    pending="",
                    memo=(f"short sale of {short.trade_date.isoformat()} covered | {short.memo}")[
                        :MAX_MEMO_LENGTH
                    ],
                )
            )
    for queue in opens.values():
        for short, left in queue:
            if left > 0:
                out.skipped.append(
                    SkippedRow(
                        short.line,
                        "a short sale not covered within this file; Hearth records it when "
                        "it is covered, so import a later file that includes the cover",
                    )
                )


MERGER_DAYS = 10


def _settle_cash_mergers(rows: list[ParsedRow], out: _Settled) -> None:
    """Join the shares surrendered and the cash paid for them, printed on two lines, into
    one SELL on the day the shares left. Shares alone left for nothing (a SELL at 0 if
    held); cash alone, with no shares surrendered, is a return of capital."""
    shares = [row for row in rows if row.pending == "merger_shares"]
    money = [row for row in rows if row.pending == "merger_money"]
    used: set[int] = set()
    for cash in money:
        candidates = [
            row
            for row in shares
            if id(row) not in used
            and row.account_key == cash.account_key
            and row.symbol == cash.symbol
            and abs((row.trade_date - cash.trade_date).days) <= MERGER_DAYS
        ]
        if not candidates:
            out.rows.append(dataclasses.replace(cash, pending=""))
            continue
        surrendered = min(candidates, key=lambda r: abs((r.trade_date - cash.trade_date).days))
        used.add(id(surrendered))
        quantity = surrendered.quantity or ZERO
        out.rows.append(
            dataclasses.replace(
                surrendered,
                amount=cash.amount,
                price=(cash.amount / quantity) if quantity else None,
                pending="",
            )
        )
    for row in shares:
        if id(row) not in used:
            out.rows.append(dataclasses.replace(row, only_if_held=True, pending=""))


@dataclass
class _Settled:
    rows: list[ParsedRow]
    skipped: list[SkippedRow]
    errors: list[RowError]


def _same_day(rows: Iterable[ParsedRow], pending: str) -> dict[tuple[str, date], list[ParsedRow]]:
    found: dict[tuple[str, date], list[ParsedRow]] = {}
    for row in rows:
        if row.pending == pending:
            found.setdefault((row.account_key, row.trade_date), []).append(row)
    return found


REVERSAL_DAYS = 31


def _settle_reversals(rows: list[ParsedRow], out: _Settled) -> list[ParsedRow]:
    """Cancel each line whose sign contradicts its type (a dividend reversed, a fee
    refunded) against the line it reverses: same account, type, security and amount,
    within a month. Both are skipped; a reversal of nothing in the file is refused."""
    reversals = [row for row in rows if row.pending == "reversal"]
    if not reversals:
        return rows
    cancelled: set[int] = set()
    for reversal in reversals:
        candidates = [
            row
            for row in rows
            if row.pending != "reversal"
            and id(row) not in cancelled
            and row.type == reversal.type
            and row.account_key == reversal.account_key
            and row.symbol == reversal.symbol
            and row.amount == reversal.amount
            and abs((row.trade_date - reversal.trade_date).days) <= REVERSAL_DAYS
        ]
        if candidates:
            original = min(candidates, key=lambda r: abs((r.trade_date - reversal.trade_date).days))
            cancelled.update({id(original), id(reversal)})
            out.skipped.append(SkippedRow(original.line, "reversed later in the file"))
            out.skipped.append(SkippedRow(reversal.line, "reverses an earlier line of the file"))
        else:
            direction = CASH_DIRECTION.get(reversal.type, 1)
            verb = "bring cash in" if direction > 0 else "take cash out"
            out.errors.append(
                RowError(
                    reversal.line,
                    None,
                    f"is a {reversal.type}, which should {verb}, but its cash goes the other "
                    f"way ({decimal_text(reversal.amount)}) and it reverses nothing in this "
                    "file; Hearth has no type for a reversal or refund, so enter it by hand",
                )
            )
            cancelled.add(id(reversal))
    return [row for row in rows if id(row) not in cancelled]


def settle_pairs(rows: list[ParsedRow]) -> tuple[list[ParsedRow], list[SkippedRow], list[RowError]]:
    """Join the lines that mean something together (module docstring, rule 5) and return
    the rows with no ``pending`` marker left, plus what was skipped or refused."""
    out = _Settled(rows=[], skipped=[], errors=[])
    rows = _settle_reversals(rows, out)
    shorts = [row for row in rows if row.pending in {"short_open", "short_cover"}]
    others = [row for row in rows if row.pending not in {"short_open", "short_cover"}]
    _settle_shorts(shorts, out)

    # Splits given as shares added and removed: one row per security and day; a reverse
    # split that also changes the symbol (old shares out, new in) is an exchange.
    with_ratio = {
        (row.account_key, row.symbol, row.trade_date)
        for row in others
        if row.type == "SPLIT" and row.split_new is not None
    }
    splits: dict[tuple[str, str | None, date], list[ParsedRow]] = {}
    for row in others:
        if row.pending == "split":
            key = (row.account_key, row.symbol, row.trade_date)
            if key in with_ratio:
                out.skipped.append(SkippedRow(row.line, "the split's ratio is on another line"))
                continue
            splits.setdefault(key, []).append(row)
    merged_splits: list[ParsedRow] = []
    for group in splits.values():
        total = sum((row.split_shares or ZERO for row in group), ZERO)
        first = min(group, key=lambda r: r.line)
        if total == 0:
            out.skipped.extend(SkippedRow(row.line, "a split that adds no shares") for row in group)
            continue
        merged_splits.append(dataclasses.replace(first, split_shares=total, pending=""))
    lone: dict[tuple[str, date], list[ParsedRow]] = {}
    for row in merged_splits:
        lone.setdefault((row.account_key, row.trade_date), []).append(row)
    for group in lone.values():
        removed = [row for row in group if (row.split_shares or 0) < 0]
        added = [row for row in group if (row.split_shares or 0) > 0]
        if len(removed) == 1 and len(added) == 1 and removed[0].symbol != added[0].symbol:
            old, new = removed[0], added[0]
            out.rows.append(
                dataclasses.replace(
                    old,
                    type="SELL",
                    split_shares=None,
                    quantity=-(old.split_shares or ZERO),
                    basis_proceeds=True,
                    memo=("exchanged in a reverse split | " + old.memo)[:MAX_MEMO_LENGTH],
                )
            )
            out.rows.append(
                dataclasses.replace(
                    new,
                    type="BUY",
                    split_shares=None,
                    quantity=new.split_shares,
                    carry_basis_from=old.symbol,
                    memo=("received in a reverse split | " + new.memo)[:MAX_MEMO_LENGTH],
                )
            )
        else:
            out.rows.extend(group)

    _settle_cash_mergers(others, out)
    others = [row for row in others if row.pending not in {"merger_shares", "merger_money"}]
    merger_out = _same_day(others, "merger_out")
    exercised = _same_day(others, "exercise_option")
    paired_outs: set[int] = set()
    paired_options: set[int] = set()
    for row in others:
        if row.pending in {"split"}:
            continue
        if row.pending == "merger_in":
            sources = merger_out.get((row.account_key, row.trade_date), [])
            if sources:
                paired_outs.update(id(source) for source in sources)
                out.rows.append(
                    dataclasses.replace(row, carry_basis_from=sources[0].symbol, pending="")
                )
            else:
                out.rows.append(dataclasses.replace(row, basis_unknown=True, pending=""))
            continue
        if row.pending == "exercise_stock":
            options = exercised.get((row.account_key, row.trade_date), [])
            if options:
                paired_options.update(id(option) for option in options)
                out.rows.append(
                    dataclasses.replace(row, carry_basis_from=options[0].symbol, pending="")
                )
            else:
                out.rows.append(dataclasses.replace(row, pending=""))
            continue
        if row.pending in {"merger_out", "exercise_option"}:
            continue
        out.rows.append(dataclasses.replace(row, pending="") if row.pending else row)
    for group in merger_out.values():
        for row in group:
            if id(row) in paired_outs:
                out.rows.append(dataclasses.replace(row, pending=""))
            else:
                # Shares surrendered with nothing in return on the file: worthless.
                out.rows.append(
                    dataclasses.replace(row, basis_proceeds=False, only_if_held=True, pending="")
                )
    for group in exercised.values():
        for row in group:
            if id(row) in paired_options:
                out.rows.append(dataclasses.replace(row, pending=""))
            else:
                out.rows.append(
                    dataclasses.replace(row, basis_proceeds=False, only_if_held=True, pending="")
                )
    out.rows.sort(key=lambda r: r.line)
    return out.rows, out.skipped, out.errors


def broker_result(
    outcomes: Iterable[BrokerOutcome | list[BrokerOutcome] | list[RowError]],
    format_: str,
    *,
    accounts: Iterable[FileAccount] = (),
    positions: Iterable[StatementPosition] = (),
) -> ParseResult:
    """Return the ParseResult for a file's outcomes: pairs settled, ids assigned."""
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    skipped_rows: list[SkippedRow] = []

    def collect(outcome) -> None:
        if isinstance(outcome, list):
            for item in outcome:
                collect(item)
        elif isinstance(outcome, ParsedRow):
            rows.append(outcome)
        elif isinstance(outcome, SkippedRow):
            skipped_rows.append(outcome)
        elif isinstance(outcome, RowError):
            errors.append(outcome)

    for outcome in outcomes:
        collect(outcome)
    rows = _without_mirrored_transfers(rows, skipped_rows)
    rows = _mark_exercised_stock(rows)
    # Ids come from each line as read, before pairing moves rows to other dates.
    rows = assign_external_ids(rows)
    settled, more_skipped, more_errors = settle_pairs(rows)
    skipped_rows.extend(more_skipped)
    errors.extend(more_errors)
    errors.sort(key=lambda error: error.line)
    skipped_rows.sort(key=lambda skip: skip.line)
    return ParseResult(
        rows=_distinct_ids(settled),
        errors=errors,
        format=format_,
        skipped=skipped_rows,
        accounts=list(accounts),
        positions=list(positions),
    )


_UNDERLYING = re.compile(r"^-?([A-Z]{1,6})")


def underlying_of(symbol: str | None) -> str | None:
    """Return the underlying of an option symbol as brokers write it ("AAPL 04/19/2024
    170.00 C", "-NVDA240419C800", "AAPL  240621C00200000") -> "AAPL"."""
    match = _UNDERLYING.match(symbol or "")
    return match.group(1) if match else None


def _mark_exercised_stock(rows: list[ParsedRow]) -> list[ParsedRow]:
    """Mark the plain trade in the underlying that goes with each option exercised on the
    same day in the same account (brokers print it as an ordinary buy or sell)."""
    exercised = {
        (row.account_key, row.trade_date, underlying_of(row.symbol))
        for row in rows
        if row.pending == "exercise_option"
    }
    if not exercised:
        return rows
    marked_stock = {
        (row.account_key, row.trade_date) for row in rows if row.pending == "exercise_stock"
    }
    marked = []
    for row in rows:
        if (
            not row.pending
            and row.type in {"BUY", "SELL"}
            and (row.account_key, row.trade_date, row.symbol) in exercised
            and (row.account_key, row.trade_date) not in marked_stock
        ):
            row = dataclasses.replace(row, pending="exercise_stock")
        marked.append(row)
    return marked


def _transfer_key(row: ParsedRow) -> tuple:
    return (
        normalized_number(row.account_number or ""),
        normalized_number(row.to_account_number or ""),
        row.trade_date,
        row.symbol,
        row.quantity,
        row.amount,
    )


def _without_mirrored_transfers(
    rows: list[ParsedRow], skipped: list[SkippedRow]
) -> list[ParsedRow]:
    """Drop the receiving side of a transfer whose sending side the file lists too (an
    all-accounts download shows both), so the move is stored once, under the sender, with
    the id either account's own file would give it."""
    sent = {_transfer_key(row) for row in rows if row.pending == "xfer_out"}
    kept = []
    for row in rows:
        if row.pending == "xfer_in" and _transfer_key(row) in sent:
            skipped.append(SkippedRow(row.line, "the other side of a transfer this file lists too"))
            continue
        kept.append(row)
    return kept


def _distinct_ids(rows: list[ParsedRow]) -> list[ParsedRow]:
    """Give rows a pairing split in two (a short sale covered twice) distinct ids."""
    seen: dict[tuple[str, str], int] = {}
    distinct = []
    for row in rows:
        key = (row.account_key, row.external_id)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            row = dataclasses.replace(row, external_id=f"{row.external_id}/{seen[key]}")
        distinct.append(row)
    return distinct
