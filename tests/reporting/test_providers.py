"""Network providers parse recorded answers; failures map to permanent or transient errors.

Nothing here reaches the network: the providers' `fetch_url` is replaced by the recorded
bodies in tests/reporting/recorded/, and the HTTP mapping is tested on a fake `urlopen`.
"""

import io
import urllib.error
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from portfolios.providers import ProviderError, get_provider
from portfolios.providers import http as provider_http
from portfolios.providers import stooq as stooq_module
from portfolios.providers import yfinance as yfinance_module
from portfolios.providers.demo import DemoProvider
from portfolios.providers.stooq import StooqProvider, stooq_symbol
from portfolios.providers.yfinance import YFinanceProvider, yahoo_symbol

RECORDED = Path(__file__).parent / "recorded"


def _recorded(monkeypatch, module, name: str, calls: list | None = None):
    body = (RECORDED / name).read_bytes()

    def fake_fetch(url, *, symbol=None, timeout=None):
        if calls is not None:
            calls.append(url)
        return body

    monkeypatch.setattr(module, "fetch_url", fake_fetch)


def test_registry_builds_both_network_providers():
    assert isinstance(get_provider("yfinance"), YFinanceProvider)
    assert isinstance(get_provider("stooq"), StooqProvider)


def test_yahoo_closes_are_turned_back_into_traded_prices_across_a_split(monkeypatch):
    """NVDA split 10:1 effective 2024-06-10; Yahoo serves every close divided by 10.

    Yahoo's split-adjusted close on 2024-06-07 is 120.888 (float32 120.88800048828125, 7
    significant digits); the price actually traded was 120.888 x 10 = 1208.88. From the
    split day on, closes are as traded (121.79 on 2024-06-10).
    """
    # given
    calls = []
    _recorded(monkeypatch, yfinance_module, "yahoo_chart_nvda_2024-06.json", calls)
    # when
    closes = YFinanceProvider().fetch_closes("NVDA", date(2024, 6, 3), date(2024, 6, 12))
    # then
    by_day = {close.date: close.close for close in closes}
    assert len(closes) == 8
    assert by_day[date(2024, 6, 3)] == Decimal("1150.000")  # 115.0000 x 10
    assert by_day[date(2024, 6, 7)] == Decimal("1208.880")
    assert by_day[date(2024, 6, 10)] == Decimal("121.7900")
    assert by_day[date(2024, 6, 12)] == Decimal("125.2000")
    assert "period1=1717372800" in calls[0]  # 2024-06-03 00:00 UTC
    assert "events=div%2Csplits" in calls[0]


def test_yahoo_dividends_and_splits_are_parsed_with_exchange_dates(monkeypatch):
    # given the recorded NVDA chart: split 10:1 and a $0.01 dividend going ex on 2024-06-11
    _recorded(monkeypatch, yfinance_module, "yahoo_chart_nvda_2024-06.json")
    provider = YFinanceProvider()
    # when
    splits = provider.fetch_splits("NVDA", date(2024, 6, 1), date(2024, 6, 30))
    dividends = provider.fetch_dividends("NVDA", date(2024, 6, 1), date(2024, 6, 30))
    # then (timestamps are 09:30 New York, so the dates are New York's)
    assert [(s.date, s.ratio_new, s.ratio_old) for s in splits] == [
        (date(2024, 6, 10), Decimal("10.00000"), Decimal("1.000000"))
    ]
    assert [(d.ex_date, d.pay_date, d.amount) for d in dividends] == [
        (date(2024, 6, 11), date(2024, 6, 11), Decimal("0.01000000"))
    ]


def test_yahoo_skips_a_session_without_a_close(monkeypatch):
    # given VTI's chart where 2024-06-20 has a null close
    _recorded(monkeypatch, yfinance_module, "yahoo_chart_vti_2024-06.json")
    # when
    closes = YFinanceProvider().fetch_closes("VTI", date(2024, 6, 17), date(2024, 6, 21))
    # then
    assert [(c.date.day, c.close) for c in closes] == [
        (17, Decimal("264.2200")),
        (18, Decimal("264.6900")),
        (21, Decimal("263.5400")),
    ]


def test_yahoo_fx_is_quote_per_base(monkeypatch):
    # given EURUSD=X: US dollars per euro
    calls = []
    _recorded(monkeypatch, yfinance_module, "yahoo_chart_eurusd_2024-06.json", calls)
    # when
    rates = YFinanceProvider().fetch_fx("EUR", "USD", date(2024, 6, 3), date(2024, 6, 5))
    # then
    assert "/chart/EURUSD=X?" in calls[0]
    first = rates[0]
    assert (first.base, first.quote, first.date.day, first.rate) == (
        "EUR",
        "USD",
        3,
        Decimal("1.084952"),
    )
    assert len(rates) == 3


def test_yahoo_error_payload_is_permanent(monkeypatch):
    _recorded(monkeypatch, yfinance_module, "yahoo_chart_unknown_404.json")
    with pytest.raises(ProviderError) as raised:
        YFinanceProvider().fetch_closes("NOPE", date(2024, 6, 3), date(2024, 6, 12))
    assert raised.value.permanent
    assert "delisted" in str(raised.value)


def test_symbols_are_spelled_for_each_provider():
    assert yahoo_symbol("brk.b") == "BRK-B"
    assert stooq_symbol("BRK.B") == "brk-b.us"


def test_stooq_csv_closes(monkeypatch):
    # given
    calls = []
    _recorded(monkeypatch, stooq_module, "stooq_vti_us_2024-06.csv", calls)
    # when
    closes = StooqProvider().fetch_closes("VTI", date(2024, 6, 17), date(2024, 6, 21))
    # then
    assert calls == ["https://stooq.com/q/d/l/?s=vti.us&d1=20240617&d2=20240621&i=d"]
    assert [(c.date.day, c.close) for c in closes] == [
        (17, Decimal("264.22")),
        (18, Decimal("264.69")),
        (20, Decimal("263.13")),
        (21, Decimal("263.54")),
    ]


def test_stooq_fx_pair(monkeypatch):
    calls = []
    _recorded(monkeypatch, stooq_module, "stooq_eurusd_2024-06.csv", calls)
    rates = StooqProvider().fetch_fx("EUR", "USD", date(2024, 6, 3), date(2024, 6, 5))
    assert "s=eurusd&" in calls[0]
    assert [(r.base, r.quote, r.rate) for r in rates][-1] == ("EUR", "USD", Decimal("1.08699"))


def test_stooq_no_data_is_unknown_over_a_long_range_and_empty_over_a_few_days(monkeypatch):
    # given Stooq's answer for an unknown symbol and for a range without sessions alike
    _recorded(monkeypatch, stooq_module, "stooq_no_data.txt")
    provider = StooqProvider()
    # when / then: a month without data means the symbol is unknown (permanent)
    with pytest.raises(ProviderError) as raised:
        provider.fetch_closes("NOPE", date(2024, 6, 1), date(2024, 6, 30))
    assert raised.value.permanent
    # a weekend without data is just nothing new
    assert provider.fetch_closes("VTI", date(2024, 6, 22), date(2024, 6, 23)) == []


def test_stooq_daily_limit_is_transient(monkeypatch):
    _recorded(monkeypatch, stooq_module, "stooq_limit.txt")
    with pytest.raises(ProviderError) as raised:
        StooqProvider().fetch_closes("VTI", date(2024, 6, 1), date(2024, 6, 30))
    assert not raised.value.permanent


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


@pytest.mark.parametrize(
    ("failure", "permanent"),
    [
        (urllib.error.HTTPError("u", 404, "Not Found", {}, None), True),
        (urllib.error.HTTPError("u", 500, "Server Error", {}, None), False),
        (urllib.error.HTTPError("u", 503, "Unavailable", {}, None), False),
        (urllib.error.HTTPError("u", 429, "Too Many Requests", {}, None), False),
        (TimeoutError("timed out"), False),
        (urllib.error.URLError("Name or service not known"), False),
        (ConnectionResetError("reset"), False),
    ],
)
def test_http_failures_are_permanent_only_for_missing_symbols(monkeypatch, failure, permanent):
    # given urlopen failing the way the network does
    def fake_urlopen(request, timeout):
        raise failure

    monkeypatch.setattr(provider_http.urllib.request, "urlopen", fake_urlopen)
    # when
    with pytest.raises(ProviderError) as raised:
        provider_http.fetch_url("https://stooq.com/q/d/l/?s=vti.us", symbol="VTI")
    # then
    assert raised.value.permanent is permanent
    assert raised.value.symbol == "VTI"


def test_http_sends_an_agent_and_returns_the_body(monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen["agent"] = request.get_header("User-agent")
        seen["timeout"] = timeout
        return _FakeResponse(b"Date,Close\n")

    monkeypatch.setattr(provider_http.urllib.request, "urlopen", fake_urlopen)
    assert provider_http.fetch_url("https://example.test/x") == b"Date,Close\n"
    assert seen["agent"].startswith("Mozilla/5.0")
    assert seen["timeout"] == provider_http.TIMEOUT_SECONDS


def test_demo_fx_is_deterministic_and_inverse_both_ways():
    # given
    provider = DemoProvider()
    # when
    eur_usd = provider.fetch_fx("EUR", "USD", date(2024, 1, 1), date(2024, 1, 5))
    usd_eur = provider.fetch_fx("USD", "EUR", date(2024, 1, 1), date(2024, 1, 5))
    # then: weekdays only, the same on every call, and USD->EUR is 1 / (EUR->USD)
    assert [r.date.day for r in eur_usd] == [1, 2, 3, 4, 5]
    assert eur_usd == provider.fetch_fx("EUR", "USD", date(2024, 1, 1), date(2024, 1, 5))
    for forward, back in zip(eur_usd, usd_eur, strict=True):
        assert float(forward.rate) * float(back.rate) == pytest.approx(1, abs=2e-6)


def test_providers_without_corporate_actions_return_none():
    assert list(StooqProvider().fetch_dividends("VTI", date(2024, 1, 1), date(2024, 2, 1))) == []
    assert list(StooqProvider().fetch_splits("VTI", date(2024, 1, 1), date(2024, 2, 1))) == []
