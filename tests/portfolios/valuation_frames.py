"""``daily_valuation_columns`` as a DataFrame indexed by day, the shape the valuation and
performance tests compare against (the product reads the arrays and imports no pandas)."""

import pandas as pd

from portfolios.calculations.valuation import daily_valuation_columns


def daily_valuation(*, start, end, **inputs) -> pd.DataFrame:
    """Return ``daily_valuation_columns`` as float64 columns indexed by every calendar day
    from ``start`` to ``end`` (a ``DatetimeIndex`` named "date")."""
    columns = daily_valuation_columns(start=start, end=end, **inputs)
    return pd.DataFrame(columns, index=pd.date_range(start, end, freq="D", name="date"))
