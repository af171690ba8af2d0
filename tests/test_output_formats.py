"""--output's extension picks the format; --format is case-insensitive; --bom; SVG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clihelp import run

CN = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ")


@pytest.mark.parametrize(
    ("name", "starts"),
    [("quote.csv", "country,indication"), ("quote.json", "{"), ("quote.txt", "CAR-T for MM")],
)
def test_the_extension_picks_the_format(tmp_path: Path, name: str, starts: str) -> None:
    target = tmp_path / name
    result = run(*CN, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith(starts)


def test_an_unknown_extension_keeps_the_default(tmp_path: Path) -> None:
    target = tmp_path / "quote.out"
    assert run(*CN, "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("CAR-T for MM")


def test_a_contradiction_is_a_usage_error_naming_both(tmp_path: Path) -> None:
    target = tmp_path / "quote.csv"
    result = run(*CN, "-F", "json", "-o", str(target))
    assert result.exit_code == 2
    assert "--format json" in result.stderr and f"--output {target}" in result.stderr
    assert not target.exists()
    agreeing = run(*CN, "-F", "csv", "-o", str(target))
    assert agreeing.exit_code == 0


@pytest.mark.parametrize("command", ["sources", "countries", "products", "indications"])
def test_listings_follow_the_extension_too(tmp_path: Path, command: str) -> None:
    target = tmp_path / "list.json"
    assert run(command, "-o", str(target)).exit_code == 0
    assert isinstance(json.loads(target.read_text(encoding="utf-8")), list)


@pytest.mark.parametrize("spelling", ["CSV", "Csv", "JSON", "Table"])
def test_format_is_case_insensitive(spelling: str) -> None:
    result = run(*CN, "--format", spelling)
    assert result.exit_code == 0, result.stderr


def test_estimate_writes_svg_only_of_its_drivers(tmp_path: Path) -> None:
    result = run(*CN, "-o", str(tmp_path / "quote.svg"))
    assert result.exit_code == 2
    assert "tornado chart of the budget's drivers" in result.stderr
    assert "add --drivers" in result.stderr
    assert not (tmp_path / "quote.svg").exists()


def test_bom(tmp_path: Path) -> None:
    target = tmp_path / "quote.csv"
    assert run(*CN, "-o", str(target), "--bom").exit_code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcountry,")
    assert not run(*CN, "-F", "csv").stdout.startswith("\ufeff")  # only when asked
    assert run(*CN, "--bom", "-F", "csv").stdout.startswith("\ufeffcountry,")
    refused = run(*CN, "--bom", "-F", "json")
    assert refused.exit_code == 2 and "--bom is for CSV" in refused.stderr
    batch = tmp_path / "out.csv"
    scenarios = tmp_path / "in.csv"
    scenarios.write_text("country,indication\nCN,MM\n", encoding="utf-8")
    assert run("batch", str(scenarios), "-o", str(batch), "--bom").exit_code == 0
    assert batch.read_bytes().startswith(b"\xef\xbb\xbfrow,")


def test_compare_svg_by_extension_and_with_budget(tmp_path: Path) -> None:
    picture = tmp_path / "cmp.svg"
    result = run("compare", "-i", "MM", "--from", "NZ", "-o", str(picture))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the picture, and only it
    assert picture.read_text(encoding="utf-8").startswith("<svg")
    budget = tmp_path / "budget.svg"
    result = run(
        "compare", "-i", "MM", "--from", "NZ", "--budget", "--draws", "1000", "--svg", str(budget)
    )
    assert result.exit_code == 0, result.stderr
    text = budget.read_text(encoding="utf-8")
    assert "P90" in text and "P50" in text
    both = run("compare", "-i", "MM", "-F", "csv", "-o", str(picture))
    assert both.exit_code == 2 and "--format csv" in both.stderr
