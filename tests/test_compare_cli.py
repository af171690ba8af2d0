"""`cartcost compare` end to end, every format, against the fixture table plus the
compare-home overlay (hand-computed figures: see test_compare.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clihelp import run
from tests.conftest import FIXTURES

HOME = str(FIXTURES / "compare-home.toml")


def cmp(*args: str) -> tuple[int, str, str]:
    result = run("compare", "--rates", HOME, *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_table_rows_totals_savings_and_footer() -> None:
    code, out, err = cmp("-i", "MM", "--from", "GB", "--currency", "GBP")
    assert code == 0, err
    for figure in ("56,630", "175,175", "123,720", "137,880", "232,121", "323,340"):
        assert figure in out
    assert "+67,090" in out and "−37,295" in out
    assert "−108,401" in out and "−185,460" in out
    assert "home" in out
    assert "Skipped SG: no flight fare from GB to SG" in out
    assert "FX rates of 2026-01-02; data as of 2026-01-01" in out
    assert "not a quote" in out
    # Ranked cheapest first by the low end: CN, GB, US.
    assert out.index("CN China") < out.index("GB United") < out.index("US United")
    assert err == ""


def test_sort_high_changes_the_order() -> None:
    code, out, _ = cmp("-i", "MM", "--from", "GB", "--sort", "high")
    assert code == 0
    assert out.index("GB United") < out.index("CN China") < out.index("US United")


def test_sort_days() -> None:
    code, out, _ = cmp("-i", "MM", "--from", "GB", "--sort", "days")
    assert code == 0
    assert out.index("US United") < out.index("CN China") < out.index("GB United")
    assert "soonest infusion first" in out


def test_without_from_travel_not_included_and_not_offered_line() -> None:
    result = run("compare", "-i", "LBCL")
    assert result.exit_code == 0
    out = result.stdout
    assert "Travel and visas not included" in out
    # mini.toml alone: LBCL in CN and US; no other destination exists.
    assert "CN China" in out and "US United" in out
    code, out, _ = cmp("-i", "LBCL")
    assert code == 0
    assert "Not offered for LBCL: GB, SG" in out


def test_range_bar_uses_one_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = cmp("-i", "MM", "--from", "GB", "--currency", "GBP")
    assert code == 0
    assert "Range bar: GBP 56,630 (left) to 323,340 (right)" in out
    bars = re.findall(r"[·█]{24}", out)
    assert len(bars) == 3
    # CN starts at the left edge; US ends at the right edge.
    assert bars[0].startswith("█") and bars[-1].endswith("█")


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("by", ["country", "product"])
def test_narrow_terminal_never_cuts_a_number(
    monkeypatch: pytest.MonkeyPatch, width: int, by: str
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = cmp("-i", "MM", "--from", "GB", "--currency", "GBP", "--by", by)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= width
    assert "…" not in out
    for figure in ("123,720", "137,880", "232,121", "323,340", "−108,401", "−185,460"):
        assert figure in out
    assert "Hidden at this width" in out


def test_wide_terminal_shows_every_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = cmp("-i", "MM", "--from", "GB")
    assert code == 0
    for header in ("Offers", "Hospital", "Living", "Services", "Stay", "infusion", "Saving"):
        assert header in out
    assert "Hidden" not in out
    assert "Acel, Bcel China" in out


def test_csv_one_row_per_country() -> None:
    code, out, err = cmp("-i", "MM", "--from", "GB", "--currency", "GBP", "-F", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["country"] for r in rows] == ["CN", "GB", "US"]
    cn, gb, us = rows
    assert (Decimal(cn["total_low"]), Decimal(cn["total_high"])) == (56_630, 175_175)
    assert (Decimal(cn["saving_vs_home_low"]), Decimal(cn["saving_vs_home_high"])) == (
        67_090,
        -37_295,
    )
    assert us["saving_vs_home_high"] == "-185460"  # a number, not a neutralised formula
    assert gb["home"] == "true" and cn["home"] == "false" and gb["saving_vs_home_low"] == ""
    assert cn["products"] == "a-cel;b-cel" and cn["currency"] == "GBP"
    for r in rows:
        parts = ("product", "hospital", "living", "travel", "services")
        assert sum(Decimal(r[f"{p}_low"]) for p in parts) == Decimal(r["total_low"])
        assert sum(Decimal(r[f"{p}_high"]) for p in parts) == Decimal(r["total_high"])
    assert "skipped SG" in err


def test_csv_travel_not_included_is_empty() -> None:
    code, out, _ = cmp("-i", "MM", "-F", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert all(r["travel_low"] == "" and r["home"] == "false" for r in rows)


def test_json_shape_and_numbers() -> None:
    code, out, _ = cmp("-i", "MM", "--from", "GB", "--currency", "GBP", "-F", "json")
    assert code == 0
    doc = json.loads(out)
    for key in ("currency", "fx_as_of", "data_as_of", "scenario", "rows"):
        assert key in doc
    assert doc["currency"] == "GBP" and doc["home"] == "GB"
    assert doc["scenario"]["from"] == "GB" and doc["scenario"]["sort"] == "low"
    cn = doc["rows"][0]
    for key in ("country", "products", "total", "stay_days", "days_to_infusion", "vs_home"):
        assert key in cn
    assert cn["country"] == "CN"
    assert cn["total"] == {"low": 56630, "high": 175175}
    assert cn["vs_home"] == {"against": "GB", "saving": {"low": 67090, "high": -37295}}
    assert cn["stay_days"] == {"low": 53, "high": 99}
    assert cn["days_to_infusion"] == {"low": 25, "high": 50}
    assert {p["product"] for p in cn["products"]} == {"a-cel", "b-cel"}
    assert sum(i["low"] for i in cn["items"] if i["included"]) == 56630
    gb = doc["rows"][1]
    assert gb["home"] is True and gb["vs_home"] is None
    assert doc["skipped"][0]["country"] == "SG"
    assert doc["not_offered"] == []


def test_json_by_product() -> None:
    code, out, _ = cmp(
        "-i", "MM", "--from", "GB", "--currency", "GBP", "--by", "product", "-F", "json"
    )
    assert code == 0
    doc = json.loads(out)
    keys = [(r["country"], r["product"]) for r in doc["rows"]]
    assert ("CN", "a-cel") in keys and ("CN", "b-cel") in keys
    cn_a = next(r for r in doc["rows"] if (r["country"], r["product"]) == ("CN", "a-cel"))
    assert cn_a["vs_home"]["saving"] == {"low": 66590, "high": 63955}


def test_svg_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "mm.svg"
    code, out, err = cmp("-i", "MM", "--from", "GB", "-F", "csv", "--svg", str(target))
    assert code == 0
    assert out.startswith("rank,")
    svg = target.read_text()
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "123,720" in svg.replace("&#160;", " ")
    assert f"wrote {target}" in err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_svg_into_missing_directory(tmp_path: Path) -> None:
    code, out, err = cmp("-i", "MM", "--svg", str(tmp_path / "no" / "x.svg"))
    assert code == 2
    assert "--svg" in err and "does not exist" in err
    assert out == ""


def test_table_to_output_file(tmp_path: Path) -> None:
    target = tmp_path / "mm.txt"
    code, out, err = cmp("-i", "MM", "--from", "GB", "-o", str(target))
    assert code == 0 and out == ""
    assert f"wrote {target}" in err
    text = target.read_text()
    assert "123,720" in text and "Saving" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_countries_option_comma_and_repeat() -> None:
    code, out, _ = cmp("-i", "MM", "-c", "CN,US", "--countries", "SG", "-F", "json")
    assert code == 0
    doc = json.loads(out)
    assert sorted(r["country"] for r in doc["rows"]) == ["CN", "SG", "US"]
    assert doc["scenario"]["countries"] == ["CN", "US", "SG"]


def test_help_has_examples() -> None:
    for flag in ("-h", "--help"):
        result = run("compare", flag)
        assert result.exit_code == 0
        assert "Examples" in result.stdout and "cartcost compare" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (["-i", "MM", "-c", "CN,XX,Chna"], 2, ["unknown countries", "'XX'", "'Chna'", "CN?"]),
        (["-i", "LBCL", "-c", "GB,NZ"], 1, ["none of GB, NZ offers LBCL", "offered in: CN, US"]),
        (["-i", "MMX"], 2, ["unknown indication"]),
        (["-c", "CN"], 2, ["missing option --indication"]),
        (["-i", "MM", "-c", ","], 2, ["--countries is empty"]),
        (["-i", "MM", "--sort", "cheap"], 2, ["--sort"]),
        (["-i", "MM", "--by", "city"], 2, ["--by"]),
        (["-i", "MM", "--format", "xml"], 2, ["format"]),
        (["-i", "MM", "--currency", "XYZ"], 2, ["unknown currency"]),
        (["-i", "MM", "-p", "nope"], 2, ["unknown product"]),
        (["-i", "MM", "--from", "NZ", "-c", "SG"], 1, ["no flight fare"]),
    ],
)
def test_bad_command_lines(args: list[str], code: int, needles: list[str]) -> None:
    exit_code, out, err = cmp(*args)
    assert exit_code == code
    for needle in needles:
        assert needle in err
    assert out == ""


def test_compare_reads_a_scenario_file_and_options_override_it(tmp_path: Path) -> None:
    scenario = tmp_path / "family.toml"
    made = run(
        "scenario",
        "init",
        str(scenario),
        "-c",
        "CN",
        "-i",
        "MM",
        "--from",
        "GB",
        "--caregivers",
        "2",
    )
    assert made.exit_code == 0, made.stderr
    doc = json.loads(run("compare", "--scenario", str(scenario), "-F", "json").stdout)
    assert doc["scenario"]["from"] == "GB" and doc["scenario"]["caregivers"] == 2
    assert doc["scenario"]["indication"] == "MM"
    over = json.loads(
        run("compare", "--scenario", str(scenario), "--caregivers", "0", "-F", "json").stdout
    )
    assert over["scenario"]["caregivers"] == 0
