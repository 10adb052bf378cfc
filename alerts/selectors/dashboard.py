"""The front page and the account page: the household (or a group of its accounts, or one
account) at a glance. Composed here, in the top layer, from each layer's own selectors:

* value, changes and charts: the stored daily series (``reporting.selectors.overview``),
  a group's accounts' series added up; nothing is valued on the request;
* the core-satellite picture: ``portfolios.selectors.allocation.allocation_tree``;
* income: ``income.selectors.overview.income_glance``;
* open alerts and stale prices.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from alerts.models import AlertEpisode
from alerts.selectors.episodes import alert_list
from income.charts import monthly_income_data
from income.selectors.overview import IncomeGlance, income_glance
from portfolios.formatting import (
    asset_class_label,
    band_status_label,
    money_text,
    percent_text,
    points_text,
    sleeve_label,
)
from portfolios.models import Account, Household
from portfolios.selectors.accounts import (
    ALL_ACCOUNTS,
    account_group_choices,
    account_list,
    accounts_in_group,
)
from portfolios.selectors.allocation import AllocationTree, allocation_tree
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import (
    Holding,
    HoldingsReport,
    holdings_report,
    ledger_rebuilt_at,
)
from portfolios.selectors.securities import security_profiles
from reporting.models import ValuationSeries
from reporting.selectors.market import StaleSecurity, held_in_series, stale_securities
from reporting.selectors.overview import (
    CHART_PERIODS,
    DEFAULT_CHART_PERIOD,
    ValueOverview,
    value_overview,
)
from reporting.selectors.series import (
    StoredSeries,
    series_cash_by_account,
    series_combined,
    series_list,
)

Scope = ValuationSeries.Scope
ZERO = Decimal(0)
TOP_ALERTS = 5
STALE_SHOWN = 5
# Slice colours by band status, the pages' status colours lightened so labels stay legible.
STATUS_FILL = {"ok": "#c6f6d5", "over": "#fed7d7", "under": "#feebc8", "untargeted": "#edf2f7"}


@dataclass(frozen=True)
class AccountRow:
    account: Account
    invested: Decimal
    cash: Decimal
    unpriced: bool

    @property
    def total(self) -> Decimal:
        return self.invested + self.cash


@dataclass(frozen=True)
class Callout:
    """A sleeve, or an asset class within a sleeve, outside its band."""

    label: str
    weight: Decimal
    target: Decimal
    drift: Decimal
    status: str


@dataclass
class Glance:
    """What the front page (or an account page) shows, every figure already computed."""

    today: date
    currency: str
    accounts: list[AccountRow]
    report_total: Decimal  # today's holdings and cash of the accounts shown
    cash: Decimal  # today's cash of the accounts shown
    overview: ValueOverview | None  # None before the first valuation
    tree: AllocationTree
    sunburst: dict
    callouts: list[Callout]
    income: IncomeGlance
    income_figure: dict
    security_names: dict[int, str]
    holdings: list[Holding]
    open_alerts: int | None = None  # the household's; None on an account's page
    alerts: list[AlertEpisode] = field(default_factory=list)
    stale: list[StaleSecurity] = field(default_factory=list)
    stale_more: int = 0
    filters: list[tuple[str, str]] = field(default_factory=list)
    show: str = ALL_ACCOUNTS
    show_label: str = "All accounts"

    @property
    def chart_data(self) -> dict:
        """The JSON the page's script draws (value, return, allocation, income)."""
        return {
            "periods": [code for code, _ in CHART_PERIODS],
            "period": DEFAULT_CHART_PERIOD,
            "lines": self.overview.charts if self.overview else {},
            "benchmark": self.overview.benchmark_name if self.overview else "",
            "sunburst": self.sunburst,
            "income": self.income_figure,
        }


def household_glance(*, household: Household, show: str = ALL_ACCOUNTS) -> Glance:
    """Return the front page of the household, or of a group of its accounts (``show``).

    Closed accounts are off the list but their history stays in the value series.
    """
    accounts = list(account_list(household=household))
    filters = account_group_choices(accounts=[a for a in accounts if a.closed_on is None])
    codes = dict(filters)
    if show not in codes:
        show = ALL_ACCOUNTS
    chosen = accounts_in_group(accounts=accounts, code=show)
    stored_all = series_list(household=household, scopes=(Scope.HOUSEHOLD, Scope.ACCOUNT))
    parts = [part for part in stored_all if part.scope == Scope.ACCOUNT]
    whole = next((part for part in stored_all if part.scope == Scope.HOUSEHOLD), None)
    if chosen is None:
        stored = whole
        account_ids = None
        shown = accounts
    else:
        account_ids = {a.pk for a in chosen}
        group = [part for part in parts if int(part.key) in account_ids]
        stored = series_combined(group, label=codes[show])
        shown = chosen
    listed = [a for a in shown if a.closed_on is None]
    glance = _glance(household, stored, listed, account_ids, parts)
    glance.filters, glance.show, glance.show_label = filters, show, codes[show]
    # The top alerts, and their count without a second query when there are fewer.
    open_alerts = alert_list(household=household, status=AlertEpisode.Status.OPEN)
    glance.alerts = list(open_alerts[:TOP_ALERTS])
    glance.open_alerts = (
        len(glance.alerts) if len(glance.alerts) < TOP_ALERTS else open_alerts.count()
    )
    # The held securities as the household series' last valuation lists them.
    held = held_in_series(whole.meta) if whole is not None else None
    stale = stale_securities(household=household, held_ids=held)
    glance.stale, glance.stale_more = stale[:STALE_SHOWN], max(len(stale) - STALE_SHOWN, 0)
    return glance


def account_glance(*, household: Household, account: Account) -> Glance:
    """Return the same picture for one account (its series, holdings, income), closed or
    not."""
    parts = series_list(household=household, scopes=(Scope.ACCOUNT,))
    stored = next((part for part in parts if part.key == str(account.pk)), None)
    return _glance(household, stored, [account], {account.pk}, parts)


def _glance(
    household: Household,
    stored: StoredSeries | None,
    accounts: list[Account],
    account_ids: set[int] | None,
    parts: list[StoredSeries],
) -> Glance:
    """Return the picture of ``account_ids`` (None: the household), listing ``accounts``."""
    today = household_today(household)
    # Every account's cash from the stored series when they are as new as the lots (the
    # grouped query over every transaction is the page's slowest read otherwise).
    cash = series_cash_by_account(
        parts,
        today=today,
        not_older_than=ledger_rebuilt_at(household=household),
    )
    report = holdings_report(household=household, cash_by_account=cash)
    rows = _account_rows(report, accounts)
    tree = allocation_tree(household=household, account_ids=account_ids, report=report)
    income = income_glance(household=household, today=today, account_ids=account_ids)
    # The upcoming payments' securities by name: the holdings' own names, read only for
    # those no longer held.
    held_names = {h.security_id: h.name for h in report.holdings}
    upcoming = {e.security_id for e in income.upcoming if e.security_id is not None}
    names = {pk: held_names[pk] for pk in upcoming if pk in held_names}
    missing = upcoming - set(names)
    if missing:
        names |= {
            pk: view.name
            for pk, view in security_profiles(household=household, security_ids=missing).items()
        }
    return Glance(
        today=today,
        currency=household.base_currency,
        accounts=rows,
        report_total=sum((row.total for row in rows), ZERO),
        cash=sum((row.cash for row in rows), ZERO),
        overview=value_overview(household=household, stored=stored) if stored else None,
        tree=tree,
        sunburst=sunburst_figure(tree, title=household.name, currency=household.base_currency),
        callouts=out_of_band(tree),
        income=income,
        income_figure=monthly_income_data(income.months, target=income.target),
        security_names=names,
        holdings=[h for h in report.holdings if account_ids is None or h.account_id in account_ids],
    )


def _account_rows(report: HoldingsReport, accounts: list[Account]) -> list[AccountRow]:
    invested: dict[int, Decimal] = defaultdict(lambda: ZERO)
    unpriced: set[int] = set()
    for holding in report.holdings:
        if holding.market_value is None:
            unpriced.add(holding.account_id)
        else:
            invested[holding.account_id] += holding.market_value
    return [
        AccountRow(
            account,
            invested[account.pk],
            report.cash_by_account.get(account.pk, ZERO),
            account.pk in unpriced,
        )
        for account in accounts
    ]


def out_of_band(tree: AllocationTree) -> list[Callout]:
    """Return the sleeves and the asset classes within sleeves that are outside their band,
    largest drift first. A sleeve holding nothing is called out alone, not its classes."""
    callouts = []
    for sleeve in tree.sleeves:
        row = sleeve.row
        name = sleeve_label(row.group)
        if row.status in ("over", "under"):
            callouts.append(Callout(name, row.weight, row.target, row.drift, row.status))
        if row.value <= 0:
            continue
        for cls in sleeve.out_of_band:
            callouts.append(
                Callout(
                    f"{asset_class_label(cls.group)} in the {name} sleeve",
                    cls.weight,
                    cls.target,
                    cls.drift,
                    cls.status,
                )
            )
    callouts.sort(key=lambda c: (-abs(c.drift), c.label))
    return callouts


def sunburst_figure(tree: AllocationTree, *, title: str, currency: str) -> dict:
    """Return a Plotly sunburst, household → sleeve → asset class, as plain JSON types.

    Each slice is labelled with its drift against its target ("+2.1 pp") and coloured by
    its band status; hovering tells value, weight, target and status. Negative cash is
    drawn as nothing (a slice cannot be negative); the figures beside the chart count it.
    """
    ids, labels, parents, values, colors, hover = ["all"], ["All"], [""], [0.0], ["#fff"], []
    hover.append(f"{title}<br>{money_text(tree.total, currency)}")
    for sleeve in tree.sleeves:
        row = sleeve.row
        sleeve_id = f"s:{row.group}"
        name = sleeve_label(row.group)
        children = [(cls, max(float(cls.value), 0.0)) for cls in sleeve.classes]
        sleeve_value = sum(value for _, value in children)
        if sleeve_value <= 0:
            continue
        ids.append(sleeve_id)
        labels.append(_slice_label(name, row.drift))
        parents.append("all")
        values.append(sleeve_value)
        colors.append(STATUS_FILL.get(row.status, STATUS_FILL["untargeted"]))
        hover.append(_slice_hover(name, row, currency, "of the whole"))
        values[0] += sleeve_value
        for cls, value in children:
            if value <= 0:
                continue
            ids.append(f"{sleeve_id}/{cls.group}")
            labels.append(_slice_label(asset_class_label(cls.group), cls.drift))
            parents.append(sleeve_id)
            values.append(value)
            colors.append(STATUS_FILL.get(cls.status, STATUS_FILL["untargeted"]))
            hover.append(_slice_hover(asset_class_label(cls.group), cls, currency, f"of {name}"))
    return {
        "data": [
            {
                "type": "sunburst",
                "ids": ids,
                "labels": labels,
                "parents": parents,
                "values": [round(v, 2) for v in values],
                "branchvalues": "total",
                "hovertext": hover,
                "hoverinfo": "text",
                "insidetextorientation": "auto",
                "sort": False,
                "marker": {"colors": colors, "line": {"color": "#fff", "width": 2}},
            }
        ],
        "layout": {
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "uniformtext": {"minsize": 9, "mode": "hide"},
        },
    }


def _slice_label(name: str, drift: Decimal | None) -> str:
    return name if drift is None else f"{name}<br>{points_text(drift)}"


def _slice_hover(name: str, row, currency: str, of_what: str) -> str:
    value = money_text(row.value, currency)
    text = f"<b>{name}</b><br>{value} · {percent_text(row.weight, 1)} {of_what}"
    if row.target is not None:
        text += (
            f"<br>target {percent_text(row.target, 1)}, drift {points_text(row.drift)}"
            f" (band ±{percent_text(row.band, 1)[:-1]} pp): {band_status_label(row.status)}"
        )
    else:
        text += "<br>no target"
    return text
