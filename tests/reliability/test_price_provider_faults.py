"""A price provider that times out, answers garbage, or answers a split-adjusted series.

The real Stooq provider talks to a loopback HTTP server of this test's own that plays each
failure for one symbol. Each failing symbol gets a clear status, nothing of it is written,
and the other symbols are refreshed.
"""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.management import call_command

from portfolios.models import Price
from portfolios.providers import http as provider_http
from portfolios.providers import stooq
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, deposit

pytestmark = [pytest.mark.django_db, pytest.mark.fault, pytest.mark.timeout(60)]


class FakeStooq(BaseHTTPRequestHandler):
    """Answers like Stooq's CSV download; ``behaviour`` says what each symbol does."""

    behaviour: dict[str, str] = {}

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        symbol = query["s"][0].removesuffix(".us").upper()
        start = date(int(query["d1"][0][:4]), int(query["d1"][0][4:6]), int(query["d1"][0][6:]))
        end = date(int(query["d2"][0][:4]), int(query["d2"][0][4:6]), int(query["d2"][0][6:]))
        mode = self.behaviour.get(symbol, "good")
        if mode == "slow":
            time.sleep(3)  # beyond the provider's timeout (0.5 s in this test)
        if mode == "html":
            body = b"<html><body>Service temporarily unavailable</body></html>"
        else:
            # 200 until the split; the split-adjusted series halves every close before it
            factor = Decimal("0.5") if mode == "split-adjusted" else Decimal(1)
            rows = ["Date,Open,High,Low,Close,Volume"]
            day = start
            while day <= end:
                if day.weekday() < 5:
                    rows.append(f"{day},1,1,1,{Decimal(200) * factor},1000")
                day += timedelta(days=1)
            if mode == "bad-row":
                rows.insert(2, f"{start},1,1,1,twelve,1000")
            body = ("\n".join(rows) + "\n").encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a slow answer, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stooq(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStooq)
    server.daemon_threads = True
    server.block_on_close = False  # a slow answer's thread ends on its own
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(
        stooq, "DOWNLOAD_URL", f"http://127.0.0.1:{server.server_port}/q/d/l/?{{query}}"
    )
    monkeypatch.setattr(provider_http, "TIMEOUT_SECONDS", 0.5)
    FakeStooq.behaviour = {}
    yield FakeStooq
    server.shutdown()
    server.server_close()


def _closes(symbol: str) -> list[tuple[date, Decimal]]:
    return sorted(Price.objects.filter(security__symbol=symbol).values_list("date", "close"))


def test_each_failing_symbol_gets_a_status_and_the_others_are_refreshed(
    cast, fake_stooq, reliability
):
    # given five held symbols, bought on Monday 2026-03-02, and a first refresh on Wednesday
    # that stored each one's closes from Monday 2026-02-23 (a week before the trade)
    account = AccountFactory(household=cast.household_a, name="Joint")
    deposit(account, "2026-03-02", 10_000)
    symbols = ["GOOD", "SLOW", "JUNK", "BADROW", "SPLIT"]
    for symbol in symbols:
        buy(account, "2026-03-02", SecurityFactory(symbol=symbol), 1, 200)
    with time_machine.travel("2026-03-04 23:00:00+00:00", tick=False):
        call_command("refresh_prices", "--provider", "stooq", "--no-recompute", stdout=StringIO())
    before = {symbol: _closes(symbol) for symbol in symbols}
    # 2026-02-23 .. 2026-03-04: 8 weekdays, each at 200
    assert all(len(rows) == 8 for rows in before.values())
    # when on Friday the provider times out for SLOW, answers an HTML page for JUNK, a CSV
    # with one unreadable close for BADROW, and SPLIT's series split-adjusted (every close
    # halved, 100 instead of the 200 it answered before)
    fake_stooq.behaviour = {
        "SLOW": "slow",
        "JUNK": "html",
        "BADROW": "bad-row",
        "SPLIT": "split-adjusted",
    }
    out, err = StringIO(), StringIO()
    started = time.monotonic()
    with time_machine.travel("2026-03-06 23:00:00+00:00", tick=False):
        call_command(
            "refresh_prices", "--provider", "stooq", "--no-recompute", stdout=out, stderr=err
        )
    elapsed = time.monotonic() - started
    # then GOOD got Thursday and Friday (2 new closes) ...
    assert _closes("GOOD")[-2:] == [(date(2026, 3, 5), 200), (date(2026, 3, 6), 200)]
    assert "GOOD: 2 new closes" in out.getvalue()
    # ... and each failing symbol is named with its reason, none of its closes written
    lines = err.getvalue()
    assert "SLOW: not refreshed: timeout from 127.0.0.1" in lines
    assert "JUNK: not refreshed: JUNK: unexpected answer '<html>" in lines
    assert "BADROW: not refreshed: BADROW: bad row" in lines
    assert "SPLIT: not refreshed: the provider's close on 2026-03-04 is 100.0" in lines
    assert "a split-adjusted series? Nothing written" in lines
    for symbol in ("SLOW", "JUNK", "BADROW", "SPLIT"):
        assert _closes(symbol) == before[symbol], symbol
    # and the timeout was bounded: one 0.5 s wait, not the 3 s the server took
    assert elapsed < 10
    lost = 0 if len(_closes("GOOD")) == 10 else 1
    doubled = Price.objects.count() - (10 + 4 * 8)
    reliability.record(lost=lost, doubled=doubled)
    assert (lost, doubled) == (0, 0)


def test_the_after_close_task_retries_only_the_transient_failure(cast, fake_stooq, monkeypatch):
    # given GOOD and SLOW held, SLOW timing out
    from celery.exceptions import Retry

    from reporting.tasks import refresh_after_close_task

    account = AccountFactory(household=cast.household_a, name="Joint")
    deposit(account, "2026-03-02", 10_000)
    for symbol in ("GOOD", "SLOW"):
        buy(account, "2026-03-02", SecurityFactory(symbol=symbol), 1, 200)
    fake_stooq.behaviour = {"SLOW": "slow"}
    # when the after-close task runs for Friday 2026-03-06
    with pytest.raises(Retry, match="transient failures for SLOW"):
        refresh_after_close_task.apply(args=("stooq", "2026-03-06"), throw=True).get()
    # then GOOD is stored (2026-02-23 .. 2026-03-06: 10 weekdays) and SLOW waits for the retry
    assert len(_closes("GOOD")) == 10
    assert _closes("SLOW") == []
