"""Start a process of a fault test's Hearth: a Celery worker or beat, or a probe.

    launch.py celery ARGS...      the celery command line
    launch.py PROBE ARGS...       a function of tests.reliability.probes; prints its JSON

With HEARTH_FAKE_NOW set (an ISO instant) the process believes it is then, the clock ticking
on from there (time-machine), so a worker can meet "Monday 07:00" whenever the test runs.

With HEARTH_PAUSE_BEFORE_VALUATIONS set to a file path, the first recompute a worker process
runs writes the process id to that file and sleeps once its ledger step committed and before
its valuations are stored, so a test can kill it there (the moment the issue names). Later
rebuilds, the file being there, run as usual.
"""

import json
import os
import sys

if os.environ.get("HEARTH_FAKE_NOW"):
    import time_machine

    time_machine.travel(os.environ["HEARTH_FAKE_NOW"], tick=True).start()


def _pause_before_valuations(path: str) -> None:
    """Make a worker process pause once, after a recompute's ledger step committed and
    before its valuations are stored (see above), on either path of the chain:

    - one after the other: as ``valuations_rebuild`` starts, in the worker process;
    - beside the ledger (``alerts.services.side_process``, a first or full rebuild): as the
      worker process tells its side process that the ledger is rebuilt, the moment after
      which the side process stores the series. The side process itself never pauses.
    """
    import time
    from pathlib import Path

    from celery.signals import worker_process_init

    @worker_process_init.connect(weak=False)
    def install(**kwargs):
        from alerts.services.side_process import SideProcess
        from reporting.services import valuations

        worker = os.getpid()

        def pause() -> None:
            marker = Path(path)
            if os.getpid() == worker and not marker.exists():
                marker.write_text(str(worker))
                time.sleep(120)

        original = valuations.valuations_rebuild

        def paused(*args, **kw):
            pause()
            return original(*args, **kw)

        for module in list(sys.modules.values()):
            if getattr(module, "valuations_rebuild", None) is original:
                module.valuations_rebuild = paused

        original_tell = SideProcess.tell

        def tell(self, word):
            if word is not None:
                pause()
            return original_tell(self, word)

        SideProcess.tell = tell


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
