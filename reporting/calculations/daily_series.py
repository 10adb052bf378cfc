"""A scope's stored daily series: the arrays of every calendar day, packed into one blob.

One row per scope instead of one row per day, so a page reads a household in a query. Money
columns are int64 ten-thousandths (the stored precision of ``portfolios.fields.MONEY``, so
no float ever stands for money in the database). The cumulative TWR index is not stored: it
is a function of value, inflow and outflow (DESIGN §7), derived when read, so a series
rebuilt from a checkpoint and one rebuilt from scratch give the same index to the last bit.
Packing, for size:

1. money columns are stored as day-to-day differences (flows, income and fees are zero most
   days, so they compress to almost nothing);
2. each column in the narrowest integer type that holds its changes;
3. the days before the checkpoint (``split``) and the recent days are packed apart and
   stored in two columns, so the nightly rebuild neither compresses nor rewrites the long
   history, only a few weeks;
4. zlib, behind a small JSON header naming the columns.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from reporting.calculations.twr import twr_daily

FORMAT_VERSION = 4
MONEY_SCALE = 10_000  # ten-thousandths, as portfolios.fields.MONEY (4 places)

MONEY_COLUMNS = (
    "value",  # at each day's close: positions x prices x FX + cash
    "cash",
    "inflow",  # external flows of the day (DESIGN §7), positive magnitudes
    "outflow",
    "cost",  # cash and open cost basis as booked (see reporting.calculations.replay)
    "income",  # cumulative from the first day
    "fees",
    "taxes",
    "realized",
    "carried",  # cumulative unrealized gain brought across the scope's edge in kind
)


@dataclass
class DailySeries:
    """Money arrays of equal length, one entry per calendar day from ``start``."""

    start: date
    money: dict[str, np.ndarray]  # int64 ten-thousandths
    _index: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.money["value"])

    @property
    def end(self) -> date:
        return self.start + timedelta(days=len(self) - 1)

    @property
    def twr_index(self) -> np.ndarray:
        """Return the cumulative TWR index: 1.0 on the first day, then the product of 1 + r_t
        with r_t = (V_t + out_t) / (V_{t-1} + in_t) - 1 (DESIGN §7)."""
        if self._index is None:
            returns = twr_daily(
                self.amounts("value"), self.amounts("inflow"), self.amounts("outflow")
            )
            self._index = np.cumprod(1.0 + np.asarray(returns, dtype=np.float64))
        return self._index

    def position(self, day: date) -> int:
        """Return the index of ``day``, clamped to the series."""
        return min(max((day - self.start).days, 0), len(self) - 1)

    def amounts(self, column: str) -> np.ndarray:
        """Return a money column in currency units, as float64 (for ratios and charts)."""
        return self.money[column] / MONEY_SCALE


def to_money(amounts: np.ndarray) -> np.ndarray:
    """Return float amounts as int64 ten-thousandths, rounded half away from zero."""
    scaled = np.asarray(amounts, dtype=np.float64) * MONEY_SCALE
    return (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64)


@dataclass(frozen=True)
class PackedSeries:
    """A series as stored: the days before ``split`` apart from the recent ones."""

    history: bytes  # compressed changes of the days before the split
    recent: bytes  # header, then the compressed changes from the split on


def encode_series(
    series: DailySeries, *, split: int = 0, history: bytes | None = None
) -> PackedSeries:
    """Return the packed series (see the module docstring).

    The days before ``split`` and those from it are compressed apart. A rebuild that only
    changed days from ``split`` on passes the stored ``history`` (packed with the same
    split, see ``stored_split``) and it is kept as it is, neither compressed nor rewritten.
    """
    length = len(series)
    columns = []
    for name in MONEY_COLUMNS:
        column = np.asarray(series.money[name], dtype=np.int64)
        if len(column) != length:
            raise ValueError(f"column {name} has {len(column)} days, expected {length}")
        columns.append(np.diff(column, prepend=np.int64(0)))
    if history is None:
        history = _compress_part([delta[:split] for delta in columns])
    header = json.dumps(
        {"version": FORMAT_VERSION, "length": length, "money": list(MONEY_COLUMNS), "split": split},
        separators=(",", ":"),
    ).encode()
    late = _compress_part([delta[split:] for delta in columns])
    return PackedSeries(
        history=bytes(history), recent=struct.pack("<I", len(header)) + header + late
    )


def _compress_part(deltas: list[np.ndarray]) -> bytes:
    """Return day-to-day changes, each column in its narrowest integer type, zlib level 1."""
    widths = [_narrowest(delta) for delta in deltas]
    header = json.dumps(widths, separators=(",", ":")).encode()
    body = b"".join(
        delta.astype(width).tobytes() for delta, width in zip(deltas, widths, strict=True)
    )
    return zlib.compress(struct.pack("<I", len(header)) + header + body, 1)


def _decompress_part(chunk: bytes, count: int, columns: int) -> list[np.ndarray]:
    raw = zlib.decompress(chunk)
    (header_length,) = struct.unpack_from("<I", raw, 0)
    widths = json.loads(raw[4 : 4 + header_length])
    offset = 4 + header_length
    parts = []
    for width in widths[:columns]:
        parts.append(np.frombuffer(raw, dtype=width, count=count, offset=offset).astype(np.int64))
        offset += np.dtype(width).itemsize * count
    return parts


def _narrowest(values: np.ndarray) -> str:
    low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
    for width in ("<i1", "<i2", "<i4"):
        limits = np.iinfo(np.dtype(width))
        if limits.min <= low and high <= limits.max:
            return width
    return "<i8"


def _header(blob: bytes) -> tuple[dict, int]:
    (header_length,) = struct.unpack_from("<I", blob, 0)
    return json.loads(bytes(blob[4 : 4 + header_length])), 4 + header_length


def stored_split(recent: bytes) -> int:
    """Return the split a stored series was packed with."""
    return _header(bytes(recent))[0]["split"]


def decode_series(recent: bytes, history: bytes, start: date) -> DailySeries:
    """Return the series packed by ``encode_series``."""
    recent = bytes(recent)
    header, offset = _header(recent)
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(f"unknown series format {header.get('version')!r}")
    length, split, names = header["length"], header["split"], header["money"]
    early = _decompress_part(bytes(history), split, len(names))
    late = _decompress_part(recent[offset:], length - split, len(names))
    money = {
        name: np.cumsum(np.concatenate((first, second)), dtype=np.int64)
        for name, first, second in zip(names, early, late, strict=True)
    }
    return DailySeries(start=start, money=money)


FLOW_COLUMNS = ("inflow", "outflow")


def combine_series(parts: list[DailySeries]) -> DailySeries:
    """Return the sum of several scopes' series (a group of accounts) as one series.

    1. The days run from the earliest start to the latest end; before its start a part is 0,
       after its end it holds its last balances (and no flows).
    2. Money columns add up; flows are netted per day (inflow - outflow, then split by sign),
       so a transfer between two accounts of the group is not a flow of the group.
    """
    if not parts:
        raise ValueError("combine at least one series")
    start = min(part.start for part in parts)
    end = max(part.end for part in parts)
    length = (end - start).days + 1
    money = {name: np.zeros(length, dtype=np.int64) for name in MONEY_COLUMNS}
    for part in parts:
        offset = (part.start - start).days
        size = len(part)
        for name in MONEY_COLUMNS:
            column = part.money[name]
            money[name][offset : offset + size] += column
            if offset + size < length and name not in FLOW_COLUMNS:
                money[name][offset + size :] += column[-1]
    net = money["inflow"] - money["outflow"]
    money["inflow"] = np.maximum(net, 0)
    money["outflow"] = np.maximum(-net, 0)
    return DailySeries(start=start, money=money)
