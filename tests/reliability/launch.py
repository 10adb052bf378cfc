"""Start a process of a fault test's Hearth: a Celery worker or beat, or a probe.

    launch.py celery ARGS...      the celery command line
    launch.py PROBE ARGS...       a function of tests.reliability.probes; prints its JSON

With HEARTH_FAKE_NOW set (an ISO instant) the process believes it is then, the clock ticking
on from there (time-machine), so a worker can meet "Monday 07:00" whenever the test runs.
"""

import json
import os
import sys

if os.environ.get("HEARTH_FAKE_NOW"):
    import time_machine

    time_machine.travel(os.environ["HEARTH_FAKE_NOW"], tick=True).start()

if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "celery":
        from celery.__main__ import main

        sys.argv = ["celery", *arguments]
        sys.exit(main())
    import django

    django.setup()
    from tests.reliability import probes

    result = getattr(probes, command)(*arguments)
    sys.stdout.write(json.dumps(result, default=str, sort_keys=True) + "\n")
