"""Rows of parsed files as one line each, so tests compare whole files at a glance."""

from __future__ import annotations

from pathlib import Path

from portfolios.imports import ParsedRow, ParseResult, parse_file

BROKERS = Path(__file__).parent / "import_files" / "brokers"


def parse(broker: str, name: str) -> ParseResult:
    path = BROKERS / broker / name
    return parse_file(path.read_bytes(), filename=path.name)


def summary(row: ParsedRow) -> str:
    """Return a row as one line: "7 2024-03-01 @Z12345678 SELL MSFT q=8 p=410.25 a=3282.00
    f=0.05" (line, date, account number, type, symbol, then every field that is set:
    quantity, price, amount, fees, income class, ratio, the other account of a transfer,
    shares a split adds, and the flags the import completes)."""
    parts = [str(row.line), row.trade_date.isoformat()]
    if row.account_number:
        parts.append(f"@{row.account_number}")
    parts.append(row.type)
    if row.symbol:
        parts.append(row.symbol)
    for name, label in (("quantity", "q"), ("price", "p"), ("amount", "a"), ("fees", "f")):
        value = getattr(row, name)
        if value is None or (name == "fees" and value == 0):
            continue
        parts.append(f"{label}={value}")
    if row.income_class:
        parts.append(f"class={row.income_class}")
    if row.split_new is not None:
        parts.append(f"ratio={row.split_new}:{row.split_old}")
    if row.split_shares is not None:
        parts.append(f"adds={row.split_shares}")
    if row.to_account_number:
        parts.append(f"to={row.to_account_number}")
    if row.carry_basis_from:
        parts.append(f"carry={row.carry_basis_from}")
    for flag in ("basis_unknown", "only_if_held", "sell_fraction", "basis_proceeds"):
        if getattr(row, flag):
            parts.append(flag)
    return " ".join(parts)


def summaries(result: ParseResult) -> list[str]:
    return [summary(row) for row in result.rows]
