"""Figures the break-in tests gather; `make test` prints them at the end (tests/conftest.py).

Each figure is a count: tests add to it as they go, and the summary prints one per line.
"""

from collections import Counter

FIGURES: Counter[str] = Counter()
ORDER = [
    "cross-household attempts",
    "cross-household successes",
    "anonymous/revoked/expired attempts",
    "anonymous/revoked/expired successes",
    "API cases fuzzed (schemathesis)",
    "API server errors",
    "API schema violations",
    "hostile query values sent",
    "hostile query server errors",
    "formula cells written to CSV",
    "pages checked for security headers",
    "pages missing a security header",
    "login paths without a second factor",
    "check --deploy issues",
    "token secrets in access logs",
]


def count(name: str, amount: int = 1) -> None:
    """Add amount to the figure called name."""
    FIGURES[name] += amount


def lines() -> list[str]:
    names = [name for name in ORDER if name in FIGURES]
    names += sorted(name for name in FIGURES if name not in ORDER)
    return [f"{name}: {FIGURES[name]}" for name in names]
