"""The core imports neither the command line (typer, cli/) nor the terminal (rich,
render/), and prints nothing: the Python API and batch work without them."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "cartcost"
CORE = sorted([*SRC.glob("*.py"), *(SRC / "exports").glob("*.py")])
FORBIDDEN = ("typer", "rich", "click", "cartcost.cli", "cartcost.render")


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_core_imports_no_cli_and_no_terminal_library() -> None:
    assert len(CORE) > 20
    bad = {
        f"{path.relative_to(SRC)}: {name}"
        for path in CORE
        if path.name != "__main__.py"
        for name in imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert not bad, sorted(bad)


def test_the_core_prints_nothing() -> None:
    printing = []
    for path in CORE:
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                printing.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not printing, printing
