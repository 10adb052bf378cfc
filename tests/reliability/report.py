"""The reliability report printed at the end of `make test`, fed by the fault and bad-input tests.

A test marked ``@pytest.mark.fault`` that passes counts as a fault survived. Tests record
what they measured through the ``reliability`` fixture before asserting on it, so a failing
test still shows its losses in the report:

    reliability.record(lost=0, doubled=0)
    reliability.bad_file(partial=False, server_error=False)

Registered from ``tests/conftest.py`` (``pytest_plugins``); kept apart from other report
plugins so each can change on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pytest

FIGURES = (
    ("faults_survived", "faults survived"),
    ("lost", "lost (tasks, e-mails, alerts, rows)"),
    ("doubled", "doubled (tasks, e-mails, alerts, rows)"),
    ("bad_files", "bad files tried"),
    ("bad_files_accepted", "bad files accepted (should be refused)"),
    ("partial_imports", "partial imports"),
    ("server_errors", "server errors"),
)


@dataclass
class ReliabilityTally:
    """The figures of one test session."""

    faults_survived: int = 0
    faults_run: int = 0
    lost: int = 0
    doubled: int = 0
    bad_files: int = 0
    bad_files_accepted: int = 0
    partial_imports: int = 0
    server_errors: int = 0

    def record(self, *, lost: int = 0, doubled: int = 0, server_errors: int = 0) -> None:
        """Add what a fault test counted as lost, done twice, or answered with a 5xx other
        than 503."""
        self.lost += lost
        self.doubled += doubled
        self.server_errors += server_errors

    def bad_file(self, *, partial: bool, server_error: bool, accepted: bool = False) -> None:
        """Count one bad file or fuzzed file offered to an import."""
        self.bad_files += 1
        self.bad_files_accepted += int(accepted)
        self.partial_imports += int(partial)
        self.server_errors += int(server_error)

    def lines(self) -> list[str]:
        width = max(len(label) for _, label in FIGURES)
        rows = []
        for attribute, label in FIGURES:
            value = getattr(self, attribute)
            suffix = f" of {self.faults_run}" if attribute == "faults_survived" else ""
            rows.append(f"{label:<{width}}  {value}{suffix}")
        return rows


_TALLY = pytest.StashKey[ReliabilityTally]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fault: a fault-injection test; passing counts as a fault survived"
    )
    config.stash[_TALLY] = ReliabilityTally()


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> ReliabilityTally:
    """The session's reliability figures, for a test to add what it measured."""
    return request.config.stash[_TALLY]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call" and item.get_closest_marker("fault") is not None:
        tally = item.config.stash[_TALLY]
        tally.faults_run += 1
        if report.passed and not hasattr(report, "wasxfail"):
            tally.faults_survived += 1
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand this process's figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability"] = asdict(session.config.stash[_TALLY])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the pytest-xdist controller: add a finished worker's figures to the session's."""
    figures = getattr(node, "workeroutput", {}).get("reliability")
    if figures:
        tally = node.config.stash[_TALLY]
        for figure in fields(ReliabilityTally):
            setattr(tally, figure.name, getattr(tally, figure.name) + figures[figure.name])


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is None:
        return
    terminalreporter.write_sep("=", "reliability report")
    for line in tally.lines():
        terminalreporter.write_line(line)
