"""The embedded demo profile: DEBUG on, SQLite, filesystem broker, console email.

Defaults are set in the environment before the base module reads it, so any variable the
user sets still wins.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "demo-insecure-only-for-the-embedded-demo")

from config.settings.base import *  # noqa: F403
