"""Plotly figures of the income pages, as JSON-ready dicts (plotly.js is served by us)."""

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import plotly.graph_objects as go

from income.calculations import IncomeSource, LadderYear
from income.selectors.overview import MonthBySource

SOURCE_LABELS = {
    IncomeSource.QUALIFIED_DIVIDEND: "Qualified dividends",
    IncomeSource.ORDINARY_DIVIDEND: "Ordinary dividends",
    IncomeSource.PREFERRED_DIVIDEND: "Preferred dividends",
    IncomeSource.CAPITAL_GAIN_DISTRIBUTION: "Capital-gain distributions",
    IncomeSource.INTEREST: "Interest",
    IncomeSource.BOND_COUPON: "Bond coupons",
    IncomeSource.OPTION_PREMIUM: "Option premium",
    IncomeSource.RETURN_OF_CAPITAL: "Return of capital",
    IncomeSource.BOND_PRINCIPAL: "Bond principal",
}
SOURCE_COLORS = {
    IncomeSource.QUALIFIED_DIVIDEND: "#b4532a",
    IncomeSource.ORDINARY_DIVIDEND: "#d69e2e",
    IncomeSource.PREFERRED_DIVIDEND: "#805ad5",
    IncomeSource.CAPITAL_GAIN_DISTRIBUTION: "#dd6b20",
    IncomeSource.INTEREST: "#3182ce",
    IncomeSource.BOND_COUPON: "#2c7a7b",
    IncomeSource.OPTION_PREMIUM: "#2f855a",
}
LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
    "legend": {"orientation": "h", "y": -0.2},
    "plot_bgcolor": "#fff",
    "paper_bgcolor": "#fff",
    "font": {"family": "system-ui, sans-serif", "size": 12},
}


def source_label(source: str) -> str:
    """Return a source's name for people."""
    try:
        return SOURCE_LABELS[IncomeSource(source)]
    except ValueError:
        return source.replace("_", " ").capitalize()


def monthly_income_data(months: Sequence[MonthBySource], *, target: Decimal) -> dict:
    """Return stacked monthly bars per source, received then projected, and the target line,
    as plain JSON types (the income page and the front page).

    Projected bars are the source's colour, lighter; the current month can hold both. Built
    without Plotly's figure validation: tens of milliseconds each page saves.
    """
    labels = [month_label(month.month) for month in months]
    data: list[dict] = []
    for kind, opacity in (("received", 1.0), ("projected", 0.45)):
        for source, color in SOURCE_COLORS.items():
            values = [float(getattr(month, kind).get(str(source), 0)) for month in months]
            if not any(values):
                continue
            data.append(
                {
                    "type": "bar",
                    "x": labels,
                    "y": values,
                    "name": f"{SOURCE_LABELS[source]} ({kind})",
                    "marker": {"color": color, "opacity": opacity},
                    "hovertemplate": "%{x}: $%{y:,.2f}<extra>%{fullData.name}</extra>",
                }
            )
    if target > 0:
        data.append(
            {
                "type": "scatter",
                "x": labels,
                "y": [float(target)] * len(labels),
                "name": "Monthly target",
                "mode": "lines",
                "line": {"color": "#1f2933", "dash": "dash", "width": 2},
            }
        )
    layout = {"barmode": "stack", "yaxis": {"title": "per month", "tickprefix": "$"}, **LAYOUT}
    return {"data": data, "layout": layout}


def bond_ladder_figure(years: Sequence[LadderYear]) -> dict:
    """Return the ladder: face value maturing per year (bars) and coupon income (line)."""
    labels = [str(year.year) for year in years]
    figure = go.Figure()
    figure.add_bar(
        x=labels,
        y=[float(year.maturing_face_value) for year in years],
        name="Face value maturing",
        marker={"color": "#2c7a7b"},
    )
    figure.add_scatter(
        x=labels,
        y=[float(year.coupon_income) for year in years],
        name="Coupon income",
        mode="lines+markers",
        yaxis="y2",
        line={"color": "#b4532a"},
    )
    figure.update_layout(
        yaxis={"title": "maturing", "tickprefix": "$", "rangemode": "tozero"},
        yaxis2={
            "title": "coupons",
            "tickprefix": "$",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
        },
        **LAYOUT,
    )
    return _as_dict(figure)


def _as_dict(figure: go.Figure) -> dict:
    """Return the figure as plain JSON types, for `json_script`."""
    return json.loads(figure.to_json())


def month_label(month: date) -> str:
    """Return "Apr 2025" for a month's first day."""
    return month.strftime("%b %Y")
