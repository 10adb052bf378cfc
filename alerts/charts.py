"""Small server-side charts for e-mails, drawn with matplotlib's Agg renderer into PNG bytes.

E-mail clients run no scripts, so the e-mail's chart is a picture (attached inline, CID);
the pages draw theirs with Plotly.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

RECEIVED_COLOUR = "#2f6f4f"
PROJECTED_COLOUR = "#a7c4b5"
TARGET_COLOUR = "#b4532a"


@dataclass(frozen=True, slots=True)
class IncomeBar:
    month: date
    amount: Decimal
    received: bool  # False: projected (the current month counts both as received so far)


def income_chart_png(
    bars: list[IncomeBar], *, target: Decimal, currency_symbol: str = "$"
) -> bytes:
    """Return a 600×260 PNG of income by month (received solid, projected light) against
    the monthly target (a line)."""
    # A Figure of its own (not pyplot's global state), so worker threads never share one.
    figure = Figure(figsize=(6, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    labels = [
        f"{bar.month:%b}\n{bar.month:%y}" if bar.month.month == 1 else f"{bar.month:%b}"
        for bar in bars
    ]
    colours = [RECEIVED_COLOUR if bar.received else PROJECTED_COLOUR for bar in bars]
    axes.bar(range(len(bars)), [float(bar.amount) for bar in bars], color=colours)
    if target > 0:
        axes.axhline(float(target), color=TARGET_COLOUR, linewidth=1.5, linestyle="--")
        axes.text(
            len(bars) - 0.5, float(target), " target", color=TARGET_COLOUR,
            va="bottom", ha="right", fontsize=8,
        )  # fmt: skip
    axes.set_xticks(range(len(bars)), labels, fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{currency_symbol}{value:,.0f}"))
    axes.tick_params(axis="y", labelsize=8)
    axes.set_title("Income by month: received (dark), projected (light)", fontsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
