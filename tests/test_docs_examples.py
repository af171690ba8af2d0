"""The outputs README.md and docs/ quote are what cartcost prints today (docs/examples.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

# Re-running every quoted command takes seconds: the slow step runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def examples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "docs" / "examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_quoted_output_is_current() -> None:
    stale = examples().stale()
    assert not stale, "\n".join(
        f"{doc}: `{command}` is stale; run python docs/examples.py --write"
        for doc, command, _, _ in stale
    )


def test_a_block_is_found_by_its_command_line_or_its_lead_in() -> None:
    block = examples().block
    lines = [
        "Intro",
        "```",
        "$ cartcost x",
        "out 1",
        "out 2",
        "```",
        "`cartcost y` (80):",
        "```text",
        "y",
        "```",
    ]
    assert block(lines, "cartcost x") == (3, 5)
    assert block(lines, "cartcost y") == (8, 9)
    with pytest.raises(LookupError):
        block(lines, "cartcost z")
