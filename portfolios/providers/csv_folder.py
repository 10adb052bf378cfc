"""Closes from a folder of files: `<folder>/<SYMBOL>.csv` with `date,close`, or any `*.csv`
with `symbol,date,close` rows."""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from portfolios.providers.base import Close, PriceProvider, ProviderError


class CsvFolderProvider(PriceProvider):
    name = "csv"

    def __init__(self, folder: str | None = None):
        from django.conf import settings

        self.folder = Path(folder or settings.PRICE_CSV_DIR)

    def fetch_closes(self, symbol: str, start: date, end: date):
        if not self.folder.is_dir():
            raise ProviderError(f"price folder {self.folder} does not exist", permanent=True)
        own = self.folder / f"{symbol.upper()}.csv"
        files = [own] if own.is_file() else sorted(self.folder.glob("*.csv"))
        closes = []
        for path in files:
            closes.extend(self._read(path, symbol, start, end, single=path == own))
        if not closes and own.is_file() is False and not files:
            raise ProviderError(f"no price file for {symbol}", permanent=True, symbol=symbol)
        return sorted(closes, key=lambda c: c.date)

    @staticmethod
    def _read(path: Path, symbol: str, start: date, end: date, *, single: bool):
        import csv

        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = {name.strip().lower(): name for name in reader.fieldnames or []}
            for row in reader:
                row_symbol = symbol if single else row.get(fields.get("symbol", ""), "")
                if row_symbol.strip().upper() != symbol.upper():
                    continue
                try:
                    day = date.fromisoformat(row[fields["date"]].strip())
                    close = Decimal(row[fields["close"]].strip())
                except (KeyError, ValueError, InvalidOperation) as exc:
                    raise ProviderError(f"{path.name}: bad row {row!r}", permanent=True) from exc
                if start <= day <= end:
                    yield Close(symbol, day, close)
