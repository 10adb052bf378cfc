"""Locate the published reference cases kept in this folder.

The files are copies of the public cases in the team's shared reference folder (see README.md
here: Portfolio Performance's demo portfolio 03 and the manual's figures), so a fresh clone
runs every test that uses them. A missing file is a broken checkout, never a reason to skip:
`case_file` fails the test that asked for it.
"""

from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parent


def case_file(case: str, name: str) -> Path:
    """Return the path of file ``name`` of reference case ``case``, or fail the test."""
    path = REFERENCE_DIR / case / name
    if not path.is_file():
        pytest.fail(f"reference case file {path} is missing: restore it from git", pytrace=False)
    return path
