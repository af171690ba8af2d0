"""Exports that stand alone: every row says which scenario and which dates it answers;
booleans are true/false everywhere; the items add up exactly to the total."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clihelp import run

SCENARIOS = [
    ("-c", "CN", "-i", "MM", "--from", "NZ", "--caregivers", "2"),
    ("-c", "US", "-i", "LBCL", "--from", "GB", "--caregivers", "0"),
    ("-c", "CN", "-i", "LBCL", "--lives-nearby"),
]


def _csv(*args: str) -> list[dict[str, str]]:
    result = run(*args, "-F", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.mark.parametrize("args", SCENARIOS)
def test_estimate_rows_carry_the_scenario_and_dates(args: tuple[str, ...]) -> None:
    rows = _csv("estimate", *args)
    data = json.loads(run("estimate", *args, "-F", "json").stdout)
    sc = data["scenario"]
    for row in rows:
        assert row["from"] == (sc["from"] or "")
        assert row["caregivers"] == str(sc["caregivers"])
        assert row["lives_nearby"] == ("true" if sc["lives_nearby"] else "false")
        assert row["pathways"] == "commercial;academic"
        assert row["fx_as_of"] == data["fx_as_of"] and row["data_as_of"] == data["data_as_of"]


@pytest.mark.parametrize("args", SCENARIOS)
@pytest.mark.parametrize("real", [False, True])
def test_items_add_up_to_the_total_to_the_cent(
    args: tuple[str, ...], real: bool, request: pytest.FixtureRequest
) -> None:
    if real:
        request.getfixturevalue("real_table")
    rows = _csv("estimate", *args)
    items, total = [r for r in rows if r["category"] != "total" and r["low"]], rows[-1]
    for end in ("low", "high"):
        assert sum(Decimal(r[end]) for r in items) == Decimal(total[end])
    data = json.loads(run("estimate", *args, "-F", "json").stdout)
    for end in ("low", "high"):
        added = sum(Decimal(str(i[end])) for i in data["items"] if i["included"])
        assert added == Decimal(str(data["total"][end]))


@pytest.mark.usefixtures("real_table")
def test_compare_rows_add_up_and_say_what_they_answer() -> None:
    args = ("compare", "-i", "LBCL", "--from", "GB", "-c", "CN,IN,US,GB")
    rows = _csv(*args)
    for row in rows:
        assert row["home"] in ("true", "false")
        assert (row["indication"], row["from"], row["caregivers"]) == ("LBCL", "GB", "1")
        assert row["lives_nearby"] == "false" and row["fx_as_of"] and row["data_as_of"]
        for end in ("low", "high"):
            parts = [row[f"{c}_{end}"] for c in ("product", "hospital", "living", "travel")]
            parts.append(row[f"services_{end}"])
            assert sum(Decimal(p) for p in parts if p) == Decimal(row[f"total_{end}"])
    assert [r["home"] for r in rows].count("true") == 1
    data = json.loads(run(*args, "-F", "json").stdout)
    for row in data["rows"]:
        for end in ("low", "high"):
            parts = [v[end] for v in row["subtotals"].values() if v is not None]
            assert sum(Decimal(str(p)) for p in parts) == Decimal(str(row["total"][end]))


def test_svg_uses_no_external_font_and_aligns_numbers_right(tmp_path: Path) -> None:
    picture = tmp_path / "cmp.svg"
    assert run("compare", "-i", "MM", "--from", "NZ", "--svg", str(picture)).exit_code == 0
    text = picture.read_text(encoding="utf-8")
    assert "@import" not in text and "url(" not in text and "@font-face" not in text
    assert "monospace" in text
    assert 'text-anchor="end"' in text
