"""docs/analysis.md's Python walk-through runs as written, in order, on the shipped table.

Blocks marked ```python pandas run only where pandas is installed, ```python plot only
where matplotlib is; ```python skip blocks (reading files the page's commands write) are
not run."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "analysis.md"
NEEDS = {"pandas": "pandas", "plot": "matplotlib"}


def blocks() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(tag, code) for tag, code in re.findall(r"```python(?: (\w+))?\n(.*?)```", text, re.S)]


def test_the_page_has_a_walkthrough() -> None:
    tags = [tag for tag, _ in blocks()]
    assert tags.count("") >= 5 and "pandas" in tags and "plot" in tags


def test_every_block_runs_in_order(
    real_table: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    ran: list[str] = []
    for tag, code in blocks():
        if tag == "skip":
            continue
        needs = NEEDS.get(tag)
        if needs is not None and importlib.util.find_spec(needs) is None:
            continue
        exec(compile(code, str(DOC), "exec"), namespace)
        ran.append(tag)
    out = capsys.readouterr().out
    assert "Costs are reported in USD" in out
    records = namespace["records"]
    assert isinstance(records, list) and len(records) > 100
    assert {r["indication"] for r in records} == {"LBCL", "MM", "B-ALL"}
    assert {r["from"] for r in records} == {"NZ", "GB", "US", "DE", "SG"}
    assert all(r["low"] <= r["high"] for r in records)
    assert all(r["p50"] is None or r["low"] <= r["p50"] <= r["high"] for r in records)
    if "plot" in ran:
        assert (tmp_path / "lbcl-from-gb.png").stat().st_size > 0
