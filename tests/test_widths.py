"""No number is ever cut: at 40, 60, 80 and 120 columns every command's table shows each
figure of its JSON whole, or drops its whole column and says which.

Each figure is looked for on the line of its row, in column order, as a whole number (a
cut one, `1,41` for 1,416,185, or `85` for 850,398, is a different number). The
listings are checked for every id, date, code and URL whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cartcost.exports.fmt import whole, whole_parts
from tests.clihelp import run

# 60 columns in the default run; 40, 80 and 120 too under the slow marker (every
# table at every width: python -m pytest -m slow).
WIDTHS = (
    pytest.param(40, marks=pytest.mark.slow),
    60,
    pytest.param(80, marks=pytest.mark.slow),
    pytest.param(120, marks=pytest.mark.slow),
)
DRAWS = ("--draws", "1000")
NUMBER = re.compile(r"[+−]?\d+(?:,\d{3})*")
HIDDEN = re.compile(r"Hidden at this width: (.*?) \(widen")


@pytest.fixture(autouse=True)
def real(real_table: Path) -> None:
    """The shipped table: its long names and seven-digit totals are what narrow."""


def _table(args: Sequence[str], width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TERMINAL_WIDTH", str(width))
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        assert len(line) <= width or " " not in line.strip(), (width, line)
    return result.stdout


def _json(args: Sequence[str]) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _d(value: object) -> Decimal:
    return Decimal(str(value))


def _hidden(out: str) -> set[str]:
    found = HIDDEN.search(" ".join(out.split()))
    return set(found.group(1).split(", ")) if found else set()


def _tokens(line: str) -> list[str]:
    return NUMBER.findall(line)


def _in_order(wanted: Sequence[str], tokens: Sequence[str]) -> bool:
    it = iter(tokens)
    return all(any(t == w for t in it) for w in wanted)


def assert_rows(out: str, rows: Iterable[Sequence[str]], width: int) -> None:
    """Each row's figures, in order and whole, on one line of the output."""
    lines = [_tokens(line) for line in out.splitlines()]
    for wanted in rows:
        if wanted:
            assert any(_in_order(wanted, t) for t in lines), (width, wanted, out)


def _allocated(items: Sequence[dict[str, Any]], total: dict[str, Any]) -> dict[str, list[str]]:
    included = [i for i in items if i["included"]]
    lows = whole_parts([_d(i["low"]) for i in included], _d(total["low"]))
    highs = whole_parts([_d(i["high"]) for i in included], _d(total["high"]))
    return {i["key"]: [lo, hi] for i, lo, hi in zip(included, lows, highs, strict=True)}


ESTIMATES = [
    ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ"),
    ("estimate", "-c", "US", "-i", "LBCL", "--from", "NZ", "--caregivers", "2"),
    ("estimate", "-c", "IL", "-i", "LBCL", "--from", "GB", "--sources"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", ESTIMATES, ids=lambda a: "-".join(a[2:5]))
def test_estimate(args: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _json(args)
    out = _table(args, width, monkeypatch)
    shown = _allocated(data["items"], data["total"])
    total = [whole(_d(data["total"]["low"])), whole(_d(data["total"]["high"]))]
    assert_rows(out, [*shown.values(), total], width)
    # The rows add up to the total as shown.
    for end in (0, 1):
        added = sum(int(v[end].replace(",", "")) for v in shown.values())
        assert added == int(total[end].replace(",", ""))


BUDGET_KEYS = ("low", "p10", "p50", "p90", "high", "mean")
BUDGET_NAMES = {"low": "low", "p10": "P10", "p50": "P50", "p90": "P90", "high": "high"}
BUDGET_NAMES["mean"] = "mean"


def _budget_row(values: dict[str, Any], hidden: set[str], ends: Sequence[str]) -> list[str]:
    row = []
    for key in BUDGET_KEYS:
        if BUDGET_NAMES[key] in hidden:
            continue
        if key == "low":
            row.append(ends[0])
        elif key == "high":
            row.append(ends[1])
        else:
            row.append(whole(_d(values[key])))
    return row


@pytest.mark.parametrize("width", WIDTHS)
def test_estimate_budget(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--budget", *DRAWS)
    data = _json(args)
    out = _table(args, width, monkeypatch)
    hidden = _hidden(out)
    assert width >= 120 or hidden  # it is narrower than the full table
    shown = _allocated(data["items"], data["total"])
    rows = [_budget_row(line, hidden, shown[line["key"]]) for line in data["budget"]["items"]]
    total = data["budget"]["total"]
    rows.append(_budget_row(total, hidden, [whole(_d(total["low"])), whole(_d(total["high"]))]))
    assert_rows(out, rows, width)
    assert "P50" in out and "P90" in out


COMPARE_KEYS = ("product", "hospital", "living", "travel", "services")
COMPARE_NAMES = {"product": "CAR-T", "travel": "travel+visa"}


def _compare_rows(row: dict[str, Any], hidden: set[str]) -> list[list[str]]:
    subtotals = row["subtotals"]
    included = [k for k in COMPARE_KEYS if subtotals[k] is not None]
    lows = whole_parts([_d(subtotals[k]["low"]) for k in included], _d(row["total"]["low"]))
    highs = whole_parts([_d(subtotals[k]["high"]) for k in included], _d(row["total"]["high"]))
    parts = dict(zip(included, zip(lows, highs, strict=True), strict=True))
    out: list[list[str]] = [[], []]
    for key in COMPARE_KEYS:
        if COMPARE_NAMES.get(key, key) in hidden or key not in parts:
            continue
        for end in (0, 1):
            out[end].append(parts[key][end])
    # Where others pay part, a narrow table keeps what the family pays over the total.
    shown = row["you_pay"] if "total" in hidden else row["total"]
    for end, name in enumerate(("low", "high")):
        out[end].append(whole(_d(shown[name])))
        if row["vs_home"] is not None:
            saving = _d(row["vs_home"]["saving"][name])
            sign = "+" if saving > 0 else "−" if saving < 0 else ""
            out[end].append(sign + whole(abs(saving)))
    return out


COMPARES = [
    ("compare", "-i", "MM", "--from", "NZ"),
    ("compare", "-i", "LBCL", "--from", "GB", "-c", "CN,IN,US,GB"),
    ("compare", "-i", "LBCL", "--from", "GB", "--by", "product", "-c", "CN,US"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", COMPARES, ids=lambda a: "-".join(a[2:]))
def test_compare(args: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _json(args)
    out = _table(args, width, monkeypatch)
    hidden = _hidden(out)
    rows = [r for row in data["rows"] for r in _compare_rows(row, hidden)]
    assert_rows(out, rows, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_budget(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("compare", "-i", "MM", "--from", "NZ", "--budget", *DRAWS)
    data = _json(args)
    out = _table(args, width, monkeypatch)
    hidden = _hidden(out)
    assert width >= 120 or hidden
    rows = []
    for row in data["rows"]:
        total = row["budget"]["total"]
        rows.append(_budget_row(total, hidden, [whole(_d(total["low"])), whole(_d(total["high"]))]))
    assert_rows(out, rows, width)


LISTINGS = {
    "sources": ("id", "published", "url", "kind"),
    "products": ("id", "brand", "target"),
    "countries": ("code", "currency"),
    "indications": ("code",),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", sorted(LISTINGS))
def test_listing(command: str, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _json((command,))
    out = _table((command,), width, monkeypatch)
    words = set(out.split())
    for row in rows:
        for key in LISTINGS[command]:
            value = row[key]
            if value:
                assert all(w in words or f"{w}," in words for w in value.split()), (key, value)
        for code in row.get("countries", []):
            assert code in words or f"{code}," in words
    if command == "sources" and width >= 80:
        # About five lines a source, not a table squeezed into pieces.
        assert len(out.splitlines()) <= 7 * len(rows), width


@pytest.mark.parametrize("width", WIDTHS)
def test_budget_drivers(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--drivers", *DRAWS)
    data = _json(args)
    out = _table(args, width, monkeypatch)
    listed = [d for d in data["budget"]["drivers"] if d["share"] >= 0.005]
    assert_rows(out, [[whole(_d(d["narrows_spread_by"]))] for d in listed], width)
    for d in listed:
        share = d["share"] * 100
        if share >= 1:
            assert f"{share:.0f}%" in out


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "args",
    [
        ("compare", "-i", "MM", "--from", "NZ", "--drivers", *DRAWS),
        ("rates", "show", "--country", "CN"),
        ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--sources"),
    ],
    ids=["compare-drivers", "rates-show", "sources"],
)
def test_nothing_spills_past_the_width(
    args: tuple[str, ...], width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _table(args, width, monkeypatch)  # checks every line but a lone URL fits
    assert out
