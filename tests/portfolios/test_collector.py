"""The cycle collector around start-up (``portfolios.collector``): ``manage.py`` holds it
off while Django starts; once the apps are ready, start-up's objects are frozen and it runs
again. Elsewhere (this test process among them) start-up is left as it was."""

import gc
import os
import subprocess
import sys
from pathlib import Path

from portfolios.collector import start_up_collection_held, start_up_objects_frozen

ROOT = Path(__file__).resolve().parents[2]


def test_start_up_objects_frozen_does_nothing_when_start_up_did_not_hold_the_collector():
    # given a process that started with the collector on (as the tests did)
    frozen = gc.get_freeze_count()
    # when
    start_up_objects_frozen()
    # then
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_held_collector_runs_again_with_the_objects_made_so_far_frozen():
    # given
    start_up_collection_held()
    assert not gc.isenabled()
    kept = [object() for _ in range(3)]  # tracked by the collector: lists are
    try:
        # when
        start_up_objects_frozen()
        # then
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        start_up_objects_frozen()  # a second call has nothing left to do
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
    assert kept


def test_a_command_runs_with_the_collector_on_and_start_up_frozen():
    # given a command run through manage.py, as a user runs it
    code = (
        "import gc, runpy, sys\n"
        "sys.argv = ['manage.py', 'shell', '--no-imports', '-c',"
        " 'import gc; print(gc.isenabled(), gc.get_freeze_count() > 10000)']\n"
        "runpy.run_path('manage.py', run_name='__main__')\n"
    )
    # when
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # then
    assert output.split() == ["True", "True"]
