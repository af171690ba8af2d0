"""CSV outputs of different scenarios stack: the same header, every row complete and
saying which scenario it answers, so `tail -n +2` of each file appended under one header
(or R's rbind, pandas.concat) makes one table."""

from __future__ import annotations

import csv
import io

import pytest

from tests.clihelp import run

ESTIMATES = [
    ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ"),
    ("estimate", "-c", "US", "-i", "LBCL", "--from", "GB", "--caregivers", "0"),
    ("estimate", "-c", "CN", "-i", "MM", "--lives-nearby", "--currency", "GBP"),
]
COMPARES = [
    ("compare", "-i", "MM", "--from", "NZ"),
    ("compare", "-i", "LBCL", "--from", "GB", "--caregivers", "2"),
]
# Columns no row may leave empty: they say what the row answers.
KEYS = ("country", "indication", "currency", "caregivers", "fx_as_of", "data_as_of")


def stacked(runs: list[tuple[str, ...]], *extra: str) -> tuple[list[str], list[list[str]]]:
    """The outputs' CSVs concatenated (each file's header dropped after the first), read
    back with Python's csv, and each file's header."""
    headers: list[list[str]] = []
    text = ""
    for args in runs:
        result = run(*args, *extra, "-F", "csv")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines(keepends=True)
        headers.append(next(csv.reader([lines[0]])))
        text += "".join(lines if not text else lines[1:])
    assert all(h == headers[0] for h in headers), "every file has the same header"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == headers[0]
    return rows[0], rows[1:]


@pytest.mark.parametrize("extra", [(), ("--budget", "--draws", "1000")])
def test_estimate_csvs_of_three_scenarios_stack(extra: tuple[str, ...]) -> None:
    header, rows = stacked(ESTIMATES, *extra)
    assert all(len(r) == len(header) for r in rows)
    records = [dict(zip(header, r, strict=True)) for r in rows]
    for rec in records:
        assert all(rec[k] for k in KEYS), rec
    scenarios = {(r["country"], r["indication"], r["from"], r["lives_nearby"]) for r in records}
    assert scenarios == {
        ("CN", "MM", "NZ", "false"),
        ("US", "LBCL", "GB", "false"),
        ("CN", "MM", "", "true"),
    }
    totals = [r for r in records if r["category"] == "total"]
    assert len(totals) == 3


@pytest.mark.parametrize("extra", [(), ("--budget", "--draws", "1000")])
def test_compare_csvs_of_two_scenarios_stack(extra: tuple[str, ...]) -> None:
    header, rows = stacked(COMPARES, *extra)
    assert all(len(r) == len(header) for r in rows)
    records = [dict(zip(header, r, strict=True)) for r in rows]
    for rec in records:
        assert all(rec[k] for k in KEYS), rec
        assert rec["total_low"] and rec["total_high"]
    assert {(r["indication"], r["from"], r["caregivers"]) for r in records} == {
        ("MM", "NZ", "1"),
        ("LBCL", "GB", "2"),
    }
