"""Start a process of a fault test's Hearth: a Celery worker or beat, or a probe.

    launch.py celery ARGS...      the celery command line
    launch.py PROBE ARGS...       a function of tests.reliability.probes; prints its JSON

With HEARTH_FAKE_NOW set (an ISO instant) the process believes it is then, the clock ticking
on from there (time-machine), so a worker can meet "Monday 07:00" whenever the test runs.

With HEARTH_PAUSE_BEFORE_VALUATIONS set to a file path, the first valuation rebuild a worker
process starts writes its process id to that file and sleeps, so a test can kill it there:
after the ledger step of a recompute committed, before the valuations did (the moment the
issue names). Later rebuilds, the file being there, run as usual.
"""

import json
import os
import sys

if os.environ.get("HEARTH_FAKE_NOW"):
    import time_machine

    time_machine.travel(os.environ["HEARTH_FAKE_NOW"], tick=True).start()


def _pause_before_valuations(path: str) -> None:
    """Wrap every reference to ``valuations_rebuild`` so the first call pauses (see above)."""
    import time
    from pathlib import Path

    from celery.signals import worker_process_init

    @worker_process_init.connect(weak=False)
    def install(**kwargs):
        from reporting.services import valuations

        original = valuations.valuations_rebuild

        def paused(*args, **kw):
            marker = Path(path)
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                time.sleep(120)
            return original(*args, **kw)

        for module in list(sys.modules.values()):
            if getattr(module, "valuations_rebuild", None) is original:
                module.valuations_rebuild = paused


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if os.environ.get("HEARTH_PAUSE_BEFORE_VALUATIONS"):
        _pause_before_valuations(os.environ["HEARTH_PAUSE_BEFORE_VALUATIONS"])
    if command == "celery":
        from celery.__main__ import main

        sys.argv = ["celery", *arguments]
        sys.exit(main())
    import django

    django.setup()
    from tests.reliability import probes

    result = getattr(probes, command)(*arguments)
    sys.stdout.write(json.dumps(result, default=str, sort_keys=True) + "\n")
