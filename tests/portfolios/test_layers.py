"""``portfolios`` is the ground layer: it never imports ``income``, ``reporting`` or
``alerts``, not even inside a function (TEAM.md, "Layers")."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "portfolios"
HIGHER = {"income", "reporting", "alerts"}


def test_portfolios_imports_no_higher_layer():
    found = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [
                f"{path.relative_to(APP.parent)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in HIGHER
            ]
    assert found == []
