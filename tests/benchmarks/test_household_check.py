"""The generator's typical household, imported through the documented commands, ends with
exactly the cash and quantities of the generator's own replay (``summary.json``).

The heavy household gets the same check in ``make bench`` (``benchmarks/household.py``).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from benchmarks.household_check import household_differences
from portfolios.models import Household

GENERATOR = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "gen_household.py"

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="session")
def typical_household(tmp_path_factory) -> Path:
    if not GENERATOR.exists():
        pytest.skip(f"the generator is not at {GENERATOR}")
    out = tmp_path_factory.mktemp("gen") / "typical"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--scale", "typical", "--seed", "1", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def load_through_commands(files: Path, name: str) -> Household:
    """Load the generated files the way a user would, with the documented commands."""
    quiet = {"stdout": StringIO()}
    call_command("create_household", name, "--owner", "alex", "--password", "pw", **quiet)
    with (files / "accounts.csv").open() as handle:
        for row in csv.DictReader(handle):
            call_command(
                "create_account",
                "--household",
                name,
                "--name",
                row["name"],
                "--type",
                row["type"],
                "--lot-method",
                row["lot_method"],
                **quiet,
            )
    # import_securities (the household's classification) changes no cash or quantity; the
    # bench runs it and reports whether it takes the generated file.
    call_command("import_prices", str(files / "prices.csv"), **quiet)
    call_command("import_dividends", str(files / "dividends.csv"), **quiet)
    call_command("import_transactions", "--household", name, files / "transactions.csv", **quiet)
    call_command("recompute", "--household", name, **quiet)
    return Household.objects.get(name=name)


def test_typical_household_ends_with_the_generators_cash_and_quantities(typical_household):
    # given the generator's typical household (6 accounts, 60 securities, ~3,300 rows,
    # specific-id whole-position transfers, funds with two distributions on one ex-date)
    summary = json.loads((typical_household / "summary.json").read_text())

    # when it goes in through the documented commands, as generated
    household = load_through_commands(typical_household, "Typical")

    # then every account's cash and every position's quantity equal the generator's replay
    assert household_differences(household=household, summary=summary) == []
