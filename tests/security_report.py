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
    "CSV cells checked for formulas",
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


# A result figure is printed (0 included) whenever the figure it counts within was.
RESULT_OF = {
    "cross-household successes": "cross-household attempts",
    "anonymous/revoked/expired successes": "anonymous/revoked/expired attempts",
    "API server errors": "API cases fuzzed (schemathesis)",
    "API schema violations": "API cases fuzzed (schemathesis)",
    "hostile query server errors": "hostile query values sent",
    "pages missing a security header": "pages checked for security headers",
    "formula cells written to CSV": "CSV cells checked for formulas",
}


def lines() -> list[str]:
    for result, basis in RESULT_OF.items():
        if basis in FIGURES:
            FIGURES[result] += 0
    names = [name for name in ORDER if name in FIGURES]
    names += sorted(name for name in FIGURES if name not in ORDER)
    return [f"{name}: {FIGURES[name]}" for name in names]
