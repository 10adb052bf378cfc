"""The XNYS sessions kept under VAR_DIR (reporting.sessions_store)."""

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import time_machine

from reporting.calculations import risk, sessions
from reporting.sessions_store import session_days

DAYS = np.array(["2023-06-30", "2023-07-03", "2023-07-05"], dtype="datetime64[D]")


def _counting_build(calls):
    def build():
        calls.append(1)
        return DAYS

    return build


def test_the_second_process_reads_the_stored_sessions(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    calls = []
    first = session_days(_counting_build(calls), key="k")
    second = session_days(_counting_build(calls), key="k")
    assert calls == [1]
    assert list(first) == list(DAYS) and list(second) == list(DAYS)
    assert second.dtype == np.dtype("datetime64[D]")


def test_another_key_builds_again_and_replaces_the_old_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    calls = []
    session_days(_counting_build(calls), key="a")
    session_days(_counting_build(calls), key="b")
    assert calls == [1, 1]
    assert len(list((tmp_path / "cache").glob("xnys-sessions-*.npy"))) == 1


def test_a_damaged_file_is_rebuilt(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    calls = []
    session_days(_counting_build(calls), key="k")
    (stored,) = (tmp_path / "cache").glob("xnys-sessions-*.npy")
    stored.write_bytes(b"not numpy")
    assert list(session_days(_counting_build(calls), key="k")) == list(DAYS)
    assert calls == [1, 1]


def test_an_unwritable_directory_still_answers(settings, tmp_path):
    (tmp_path / "cache").write_text("a file where the directory should be")
    settings.VAR_DIR = tmp_path
    assert list(session_days(lambda: DAYS, key="k")) == list(DAYS)


def test_sessions_read_back_from_the_file_are_the_calendars(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    sessions._all_session_days.cache_clear()
    risk._cached_sessions.cache_clear()
    try:
        built = risk.xnys_sessions(date(2023, 6, 30), date(2023, 7, 6))
        sessions._all_session_days.cache_clear()
        risk._cached_sessions.cache_clear()
        read = risk.xnys_sessions(date(2023, 6, 30), date(2023, 7, 6))
    finally:
        sessions._all_session_days.cache_clear()
        risk._cached_sessions.cache_clear()
    # Independence Day (Tuesday 4 July) closed the exchange; 1 and 2 July were a weekend.
    expected = pd.DatetimeIndex(["2023-06-30", "2023-07-03", "2023-07-05", "2023-07-06"])
    assert list(built) == list(expected) and list(read) == list(expected)
    assert read.name == "date"
    assert len(risk.xnys_sessions(date(2046, 1, 1), date(2046, 1, 31))) == 0  # past its end


def test_the_sessions_do_not_depend_on_the_clock(settings, tmp_path):
    # A process whose clock stands in 2020 builds the same far calendar as one in 2026, so
    # a frozen-clock test cannot leave a short calendar behind for the next one.
    settings.VAR_DIR = tmp_path
    sessions._all_session_days.cache_clear()
    risk._cached_sessions.cache_clear()
    try:
        with time_machine.travel(datetime(2020, 3, 2, 12, 0, tzinfo=UTC), tick=False):
            # January 2031: 23 weekdays less New Year's Day and Martin Luther King Jr. Day.
            assert len(risk.xnys_sessions(date(2031, 1, 1), date(2031, 1, 31))) == 21
    finally:
        sessions._all_session_days.cache_clear()
        risk._cached_sessions.cache_clear()
