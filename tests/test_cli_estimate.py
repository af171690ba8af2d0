"""`cartcost estimate` end to end, every format, against the fixture table."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clihelp import run
from tests.conftest import FIXTURES


def test_table_has_categories_totals_and_dates() -> None:
    result = run("estimate", "--country", "CN", "--indication", "MM", "--from", "NZ")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for word in ("PRODUCT", "HOSPITAL", "LIVING", "TRAVEL", "SERVICES", "Total"):
        assert word in out
    # Hand-computed totals (see test_estimate_model): 225,120 .. 698,900 NZD.
    assert "225,120" in out and "698,900" in out
    assert "Low NZD" in out
    assert "53–99 days" in out and "25–50 days" in out
    assert "2026-01-02" in out and "2026-01-01" in out
    assert "not a quote" in out
    assert result.stderr == ""


def test_table_without_origin_says_travel_not_included() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 0
    assert "add --from" in result.stdout
    assert "Low USD" in result.stdout


def test_table_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run(
        "estimate", "-c", "CN", "-i", "MM", "--from", "GB", "--currency", "GBP", "--sources"
    )
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    # USD items 110,460 x 0.5 = 55,230 GBP, + flights 1,200 + visas 200 GBP.
    assert "56,630" in result.stdout  # total low in GBP, never cut


def test_csv_rows_and_total() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:9] == [
        "country",
        "indication",
        "product",
        "category",
        "item",
        "low",
        "high",
        "currency",
        "sources",
    ]
    total = rows[-1]
    assert total["category"] == "total"
    assert (Decimal(total["low"]), Decimal(total["high"])) == (225_120, 698_900)
    items = rows[:-1]
    assert sum(Decimal(r["low"]) for r in items) == Decimal(total["low"])
    assert all(r["country"] == "CN" and r["currency"] == "NZD" for r in rows)
    assert {r["category"] for r in items} == {"product", "hospital", "living", "travel", "services"}
    assert "," not in total["low"]


def test_csv_marks_not_included_items() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    flights = next(r for r in rows if r["item"] == "Return flights")
    assert flights["low"] == "" and flights["note"].startswith("not included")


def test_json_shape_and_numbers() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    for key in (
        "scenario",
        "currency",
        "fx_as_of",
        "data_as_of",
        "items",
        "total",
        "stay_days",
        "days_to_infusion",
        "disclaimer",
    ):
        assert key in doc
    assert doc["scenario"]["country"] == "CN" and doc["scenario"]["from"] == "NZ"
    assert doc["total"] == {"low": 225120, "high": 698900}
    assert doc["stay_days"] == {"low": 53, "high": 99}
    assert doc["fx_as_of"] == "2026-01-02"
    first = doc["items"][0]
    assert {"category", "item", "low", "high", "sources"} <= set(first)
    assert isinstance(first["low"], int | float)


def test_output_file_is_written_and_stdout_stays_clean(tmp_path: Path) -> None:
    target = tmp_path / "cn.json"
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["currency"] == "USD"
    assert "wrote" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_dash_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "-")
    assert result.stdout.startswith("country,")
    assert not (tmp_path / "-").exists()


def test_table_to_file(tmp_path: Path) -> None:
    target = tmp_path / "cn.txt"
    result = run("estimate", "-c", "CN", "-i", "MM", "-o", str(target))
    assert result.exit_code == 0
    assert "Total" in target.read_text()


def test_sources_flag_shows_bibliography() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--sources")
    assert result.exit_code == 0
    assert "An official price list" in result.stdout
    assert "basis:" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["-c", "XX", "-i", "MM"], 2, "unknown country 'XX'"),
        (["-c", "CN", "-i", "MMX"], 2, "unknown indication"),
        (["-c", "CN", "-i", "MM", "-p", "nope"], 2, "unknown product"),
        (["-c", "CN", "-i", "MM", "--currency", "XYZ"], 2, "unknown currency"),
        (["-c", "US", "-i", "MM"], 1, "no offer for MM in US"),
        (["-i", "MM"], 2, "missing option --country"),
        (["-c", "CN"], 2, "missing option --indication"),
        (["-c", "CN", "-i", "MM", "--caregivers", "-1"], 2, "caregivers"),
        (["-c", "CN", "-i", "MM", "--format", "xml"], 2, "format"),
        (["-c", "CN", "-i", "MM", "--bogus"], 2, "No such option"),
    ],
)
def test_bad_command_lines(args: list[str], code: int, needle: str) -> None:
    result = run("estimate", *args)
    assert result.exit_code == code
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_output_into_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run(
        "estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(tmp_path / "no" / "x.csv")
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_version_and_help() -> None:
    from cartcost import __version__

    assert run("--version").stdout.strip() == f"cartcost {__version__}"
    assert run("-V").exit_code == 0
    for args in (["-h"], ["--help"], ["estimate", "-h"], ["estimate", "--help"]):
        result = run(*args)
        assert result.exit_code == 0
        assert "cartcost" in result.stdout
    assert "Examples" in run("estimate", "-h").stdout


def test_broken_overlay_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[countries.CN.hospital]\ninpatient_day = { range = [900, 100], currency = "CNY", sources = ["off"] }\n'
    )
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr
    assert "countries.CN.hospital.inpatient_day" in result.stderr
    assert "greater than high" in result.stderr


def test_internal_error_is_short_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import cartcost.estimation

    def boom(*_: object) -> None:
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(cartcost.estimation, "estimate", boom)
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 1
    assert "internal error" in result.stderr
    assert "secret patient detail" not in result.output
    assert "Traceback" not in result.output


def test_likely_total_is_said_once_when_the_family_pays_all_of_it() -> None:
    # No cover and no scheme: what the family pays is the total, journey by journey (the
    # table's "What you pay" row repeats the total), so one line says both. Where a
    # scheme pays the provider, each has its own line.
    alone = run("estimate", "-c", "CN", "-i", "LBCL", "--from", "NZ")
    assert alone.exit_code == 0, alone.stderr
    data = json.loads(
        run("estimate", "-c", "CN", "-i", "LBCL", "--from", "NZ", "-F", "json").stdout
    )
    assert data["you_pay_likely"]["p50"] == data["likely"]["p50"]
    assert "Likely total: NZD" in alone.stdout
    assert "What you pay, likely" not in alone.stdout

    direct = FIXTURES / "overlay-direct-scheme.toml"
    args = ("estimate", "-c", "CN", "-i", "LBCL", "--from", "NZ", "--rates", str(direct))
    helped = run(*args, "--reimbursement", "direct")
    assert helped.exit_code == 0, helped.stderr
    assert "Likely total: NZD" in helped.stdout
    assert "What you pay, likely: NZD" in helped.stdout
