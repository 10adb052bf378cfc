"""Locust scenario of `make load`: household members browsing, spreadsheets pulling the API.

Each simulated user signs in once (not measured), then spends its time on the dashboard, the
main pages and the token API of the heavy household, with a think time of 1-2 s between
requests. The run is driven by ``benchmarks/load/run.py`` (headless, bounded in users, time
and host).
"""

import os
import re

import requests
from locust import HttpUser, between, task

USERNAME = os.environ.get("LOAD_USERNAME", "load")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
TOKEN = os.environ.get("LOAD_TOKEN", "")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HouseholdMember(HttpUser):
    wait_time = between(1, 2)

    def on_start(self):
        """Sign in once, outside the statistics: the password hash is deliberately slow
        (PBKDF2) and a member signs in once per session, not once per page."""
        browser = requests.Session()
        page = browser.get(f"{self.host}/accounts/login/", timeout=120)
        token = CSRF.search(page.text).group(1)
        signed_in = browser.post(
            f"{self.host}/accounts/login/",
            data={"login": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            timeout=120,
        )
        signed_in.raise_for_status()
        self.client.cookies.update(browser.cookies)
        self.api = {"Authorization": f"Token {TOKEN}"}

    @task(4)
    def dashboard(self):
        self.client.get("/", name="/ (dashboard)")

    @task(2)
    def holdings(self):
        self.client.get("/portfolio/holdings/")

    @task(1)
    def transactions(self):
        self.client.get("/portfolio/transactions/")

    @task(1)
    def gains(self):
        self.client.get("/portfolio/gains/")

    @task(1)
    def allocation(self):
        self.client.get("/portfolio/allocation/")

    @task(2)
    def performance(self):
        self.client.get("/performance/")

    @task(1)
    def income(self):
        self.client.get("/income/")

    @task(1)
    def alerts(self):
        self.client.get("/alerts/")

    @task(2)
    def api_holdings_csv(self):
        self.client.get("/api/v1/holdings/?format=csv", headers=self.api, name="API holdings csv")

    @task(1)
    def api_transactions(self):
        self.client.get("/api/v1/transactions/", headers=self.api, name="API transactions")

    @task(1)
    def api_performance(self):
        self.client.get("/api/v1/performance/", headers=self.api, name="API performance")

    @task(1)
    def api_income(self):
        self.client.get(
            "/api/v1/income/?group_by=month", headers=self.api, name="API income by month"
        )
