"""`cartcost sources`: the bibliography and which figures use each source."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cartcost.render.listing import source_uses
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"

# Hand count of the citations in tests/fixtures/mini.toml.
# off: CN offers 2 prices + 2 manufacturing, CN lodging + meals, CN visa fees (default, GB),
#      CN visa-free days, US offer price + manufacturing, US nearby_days, US lodging + meals,
#      US visa fee, US visa-free fee, US visa-free days, NZ-CN fare, fx = 19
# guess: CN hospital 7, CN durations 4, CN transport 1, CN services 2, US hospital 5,
#        US durations 4, US transport 1, 4 region fares = 28
USES = {"off": 19, "guess": 28}


def test_json_lists_every_field_and_uses() -> None:
    result = run("sources", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["guess", "off"]
    off = rows[1]
    assert {k: off[k] for k in ("title", "publisher", "url", "published", "accessed", "kind")} == {
        "title": "An official price list",
        "publisher": "Ministry",
        "url": "https://example.org/prices",
        "published": "2025-06-01",
        "accessed": "2026-01-01",
        "kind": "official",
    }
    assert {r["id"]: r["uses"] for r in rows} == USES
    assert all(r["uses"] == len(r["used_by"]) for r in rows)
    assert "fx.rates" in off["used_by"]
    assert "countries.CN.offers.a-cel.price" in off["used_by"]
    assert "countries.CN.entry.visa_free_days" in off["used_by"]
    assert "flights.routes.NZ.CN.fare" in off["used_by"]
    assert rows[0]["note"].startswith("round numbers")
    assert off["layer"] == str(MINI)


def test_uses_agree_with_the_rate_table(mini_rates: object) -> None:
    uses = source_uses(mini_rates)  # type: ignore[arg-type]
    assert {k: len(v) for k, v in uses.items()} == USES


def test_csv() -> None:
    result = run("sources", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "id",
        "kind",
        "title",
        "publisher",
        "url",
        "published",
        "accessed",
        "uses",
        "used_by",
        "note",
        "layer",
    ]
    assert rows[1]["uses"] == "19"
    assert len(rows[1]["used_by"].split(";")) == 19


def test_table() -> None:
    result = run("sources")
    assert result.exit_code == 0
    assert result.stdout.startswith("Sources (2)")
    # One source as a short block: id, title, publisher · date · kind · uses, URL.
    lines = result.stdout.splitlines()
    at = lines.index("off")
    assert lines[at + 1 : at + 4] == [
        "  An official price list",
        "  Ministry · 2025-06-01 · official · cited 19 times",
        "  https://example.org/prices",
    ]


def test_kind_filter() -> None:
    rows = json.loads(run("sources", "--kind", "assumption", "-F", "json").stdout)
    assert [r["id"] for r in rows] == ["guess"]
    rows = json.loads(run("sources", "-k", "assumption", "-k", "official", "-F", "json").stdout)
    assert [r["id"] for r in rows] == ["guess", "off"]


def test_kind_with_no_source_is_exit_1() -> None:
    result = run("sources", "--kind", "paper")
    assert result.exit_code == 1
    assert "no source of kind paper" in result.stderr
    assert "kinds present: assumption, official" in result.stderr
    assert result.stdout == ""


def test_unknown_kind_is_a_usage_error() -> None:
    result = run("sources", "--kind", "rumour")
    assert result.exit_code == 2
    assert "rumour" in result.stderr


def test_overlay_source_is_listed_with_its_layer() -> None:
    rows = json.loads(run("sources", "--rates", str(QUOTE), "-F", "json").stdout)
    quote = next(r for r in rows if r["id"] == "cn-quote")
    assert quote["layer"] == str(QUOTE)
    assert quote["used_by"] == ["countries.CN.hospital.inpatient_day"]
    guess = next(r for r in rows if r["id"] == "guess")
    assert guess["uses"] == USES["guess"] - 1  # the quote displaced one figure
    assert f"layer: {QUOTE}" in run("sources", "--rates", str(QUOTE)).stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_output_file(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"sources.{fmt}"
    result = run("sources", "-F", fmt, "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert "off" in target.read_text()


def test_help() -> None:
    result = run("sources", "-h")
    assert result.exit_code == 0
    assert "Examples" in result.stdout and "--kind" in result.stdout
