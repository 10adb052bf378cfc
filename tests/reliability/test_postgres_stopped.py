"""PostgreSQL stopped in the middle of an import, while the web app serves the household.

A PostgreSQL cluster of this test's own (initdb in a temporary folder, a free loopback port)
and gunicorn in front of it. The import is cut off after it has written rows; then:

- the import is wholly absent (one transaction: nothing of it committed);
- while the database is down, pages and the API answer 503 (the API with its error
  envelope), never a 500;
- once the database is back, the same import run again gives the same ledger as the same
  file imported into a database that never failed.
"""

import http.cookiejar
import json
import re
import subprocess
import urllib.error
import urllib.request
from datetime import date, timedelta

import psycopg
import pytest

from tests.reliability.processes import (
    PYTHON,
    ROOT,
    free_port,
    hearth_env,
    manage,
    postgres_server,
    stop_process,
    wait_for,
)
from tests.reliability.stack import LAUNCHER

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(600)]

ROWS = 2000  # enough that the import is still writing when the test stops the server


def _write_import(path) -> None:
    """Hearth CSV: a deposit of 1,000 then a buy of 5 shares at 100 of one of ten funds, each
    business day from 2010 on, each row with its own id."""
    lines = ["date,account,type,symbol,quantity,price,amount,id"]
    day = date(2010, 1, 4)
    while len(lines) <= ROWS:
        if day.weekday() < 5:
            n = len(lines)
            lines.append(f"{day},Joint,DEPOSIT,,,,1000,d{n}")
            lines.append(f"{day},Joint,BUY,FUND{n % 10},5,100,500,b{n}")
        day += timedelta(days=1)
    path.write_text("\n".join(lines[: ROWS + 1]) + "\n")


class Browser:
    """A household member's browser: a cookie jar, and every answer kept (status, body)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def login(self, username: str, password: str) -> None:
        _, body, _ = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        data = f"login={username}&password={password}&csrfmiddlewaretoken={token.decode()}"
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data.encode(), method="POST"
        )
        with self.opener.open(request, timeout=20) as response:
            assert response.status == 200 and response.url.rstrip("/") == self.base


def _importer_is_writing(server) -> bool:
    """Return True once the import's transaction has inserted transaction rows (with
    INSERT, or COPY for a file of many rows)."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'hearth' "
            "AND (query LIKE 'INSERT INTO \"portfolios_transaction\"%%' "
            "OR query LIKE 'COPY portfolios_transaction %%')"
        ).fetchone()
    return row[0] > 0


def test_import_cut_off_by_a_stopped_database_leaves_nothing_and_the_app_answers_503(
    tmp_path, reliability
):
    with postgres_server() as server:
        # given a household with an account and a read token, on the test's own PostgreSQL
        server.sql("CREATE DATABASE hearth")
        env = hearth_env(DATABASE_URL=server.url("hearth"), HEARTH_VAR_DIR=str(tmp_path / "var"))
        manage("migrate", "--noinput", "-v0", env=env, timeout=300)
        manage(
            "create_household", "Fault Family", "--owner", "alice", "--password", "pw-a-1", env=env
        )
        manage(
            "create_account",
            "--household",
            "Fault Family",
            "--name",
            "Joint",
            "--type",
            "taxable",
            env=env,
        )
        token = manage("create_api_token", "alice", "--scope", "read", env=env).stdout.split()[-1]
        server.sql("CREATE DATABASE clean TEMPLATE hearth")  # the same, to import without fault
        upload = tmp_path / "history.csv"
        _write_import(upload)
        # and the web app in front of it, as docker-compose runs it (gunicorn)
        port = free_port()
        web = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "30"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "web.log").open("wb"),
        )  # fmt: skip
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            wait_for(lambda: _up(browser), timeout=60, what="gunicorn")
            browser.login("alice", "pw-a-1")
            api = {"Authorization": f"Token {token}"}
            assert browser.get("/")[0] == 200
            # when the import is stopped short by the database going down under it
            importer = subprocess.Popen(
                [PYTHON, "manage.py", "import_transactions", "--household", "Fault Family",
                 str(upload)],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            wait_for(lambda: _importer_is_writing(server), timeout=120, interval=0.02,
                     what="the import to write rows")  # fmt: skip
            server.stop(mode="immediate")
            out, _ = importer.communicate(timeout=60)
            assert importer.returncode != 0, out  # it did not finish
            # then while it is down, pages and the API answer 503, the API with its envelope
            answers = {
                "dashboard page": browser.get("/"),
                "holdings page": browser.get("/portfolio/holdings/"),
                "API with a token": browser.get("/api/v1/accounts/", api),
                "API CSV with a token": browser.get("/api/v1/holdings/?format=csv", api),
                "API with the session": browser.get("/api/v1/transactions/"),
            }
            statuses = {name: status for name, (status, _, _) in answers.items()}
            server_errors = sum(
                1 for status in statuses.values() if status >= 500 and status != 503
            )
            reliability.record(server_errors=server_errors)
            assert statuses == dict.fromkeys(answers, 503)
            for name in ("API with a token", "API CSV with a token", "API with the session"):
                status, body, headers = answers[name]
                assert json.loads(body) == {
                    "detail": "The database is unavailable right now; nothing was changed. "
                    "Try again shortly.",
                    "errors": {},
                }, name
                assert headers["Retry-After"] == "30"
            assert b"Hearth is briefly unavailable" in answers["dashboard page"][1]
            # and once it is back, the pages work again without restarting the web app ...
            server.start()
            wait_for(lambda: browser.get("/")[0] == 200, timeout=60, what="the dashboard")
            # ... and nothing of the cut-off import is there
            status, body, _ = browser.get("/api/v1/transactions/", api)
            assert (status, json.loads(body)["count"]) == (200, 0)
            lost_or_partial = json.loads(body)["count"]
            reliability.record(lost=0 if lost_or_partial == 0 else 1)
            # when the import is run again
            clean_env = {**env, "DATABASE_URL": server.url("clean")}
            clean = subprocess.Popen(  # the same file into the database that never failed
                [PYTHON, "manage.py", "import_transactions", "--household", "Fault Family",
                 str(upload)],
                cwd=ROOT, env=clean_env, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            retried = manage("import_transactions", "--household", "Fault Family", str(upload),
                             env=env, timeout=300)  # fmt: skip
            assert clean.wait(timeout=300) == 0
            # then it added every row, and the ledger is the clean import's, row for row
            assert f"added {ROWS}, duplicates 0" in retried.stdout
            found = _ledger(env)
            expected = _ledger(clean_env)
            assert found["transactions"][0] == ROWS
            assert found["lots"][0] == ROWS // 2
            reliability.record(doubled=max(0, found["transactions"][0] - ROWS))
            assert found == expected
        finally:
            stop_process(web)


def _up(browser: Browser) -> bool:
    try:
        return browser.get("/accounts/login/")[0] == 200
    except OSError:
        return False


def _ledger(env: dict) -> dict:
    completed = subprocess.run(
        [PYTHON, LAUNCHER, "ledger_digest"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])
