"""`cartcost countries`, `products`, `indications`: what the merged table holds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

ADDITIONS = FIXTURES / "overlay-additions.toml"


def rows_json(*args: str) -> list[dict[str, object]]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def rows_csv(*args: str) -> list[dict[str, str]]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_countries_json() -> None:
    rows = rows_json("countries")
    assert [r["code"] for r in rows] == ["CN", "GB", "NZ", "US"]
    assert rows[0] == {
        "code": "CN",
        "name": "China",
        "currency": "CNY",
        "region": "east-asia",
        "destination": True,
        "indications": ["LBCL", "MM"],
        "products": ["a-cel", "b-cel"],
        "layer": str(MINI),
    }
    assert rows[1]["destination"] is False and rows[1]["products"] == []


def test_countries_destinations_only_csv() -> None:
    rows = rows_csv("countries", "--destinations")
    assert [(r["code"], r["destination"], r["indications"]) for r in rows] == [
        ("CN", "true", "LBCL;MM"),
        ("US", "true", "LBCL"),
    ]


def test_countries_table() -> None:
    result = run("countries")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Countries (4)")
    lines = out.splitlines()
    at = lines.index("CN  China · CNY · destination · east-asia")
    assert lines[at + 1 : at + 3] == ["  indications: LBCL, MM", "  products: a-cel, b-cel"]
    assert "NZ  New Zealand · NZD · origin only · oceania" in lines
    assert "layer:" not in out and "Rates:" not in out


def test_countries_with_an_overlay_show_layers() -> None:
    rows = rows_json("countries", "--rates", str(ADDITIONS))
    layer = {r["code"]: r["layer"] for r in rows}
    assert layer["DE"] == str(ADDITIONS)
    assert layer["US"] == str(ADDITIONS)  # the overlay added an offer there
    assert layer["GB"] == str(MINI)
    us = next(r for r in rows if r["code"] == "US")
    assert us["indications"] == ["LBCL", "MM"] and us["products"] == ["a-cel", "c-cel"]
    table = run("countries", "--rates", str(ADDITIONS)).stdout
    assert f"layer: {ADDITIONS}" in table
    assert f"Rates: {MINI} + {ADDITIONS}" in table.replace("\n", "")


def test_products() -> None:
    rows = rows_json("products")
    assert rows == [
        {
            "id": "a-cel",
            "brand": "Acel",
            "generic": "alpha-cel",
            "target": "BCMA",
            "maker": "",
            "local_brands": [],
            "countries": ["CN", "US"],
            "indications": ["LBCL", "MM"],
            "layer": str(MINI),
        },
        {
            "id": "b-cel",
            "brand": "Bcel",
            "generic": "beta-cel",
            "target": "CD19",
            "maker": "",
            "local_brands": ["Bcel China"],
            "countries": ["CN"],
            "indications": ["LBCL", "MM"],
            "layer": str(MINI),
        },
    ]
    assert [r["id"] for r in rows_csv("products", "--rates", str(ADDITIONS))] == [
        "a-cel",
        "b-cel",
        "c-cel",
    ]
    assert "Bcel" in run("products").stdout


def test_indications() -> None:
    assert rows_csv("indications") == [
        {
            "code": "LBCL",
            "name": "Large B-cell lymphoma",
            "countries": "CN;US",
            "products": "a-cel;b-cel",
            "layer": str(MINI),
        },
        {
            "code": "MM",
            "name": "Multiple myeloma",
            "countries": "CN",
            "products": "a-cel;b-cel",
            "layer": str(MINI),
        },
    ]
    rows = rows_json("indications", "--rates", str(ADDITIONS))
    assert rows[1]["countries"] == ["CN", "US"]
    table = run("indications").stdout
    assert "Multiple myeloma" in table and "Indications (2)" in table


def test_csv_cells_are_formula_safe(tmp_path: Path) -> None:
    overlay = tmp_path / "evil.toml"
    overlay.write_text('[indications.MM]\nname = "=HYPERLINK(\\"x\\")"\n')
    rows = rows_csv("indications", "--rates", str(overlay))
    assert rows[1]["name"].startswith("'=")


def test_markup_like_text_is_shown_as_is(tmp_path: Path) -> None:
    overlay = tmp_path / "o.toml"
    overlay.write_text('[indications.MM]\nname = "Myeloma [bold]x[/bold]"\n')
    assert "Myeloma [bold]x[/bold]" in run("indications", "--rates", str(overlay)).stdout


@pytest.mark.parametrize("command", ["countries", "products", "indications"])
def test_output_file_help_and_bad_input(command: str, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = run(command, "-F", "json", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert isinstance(json.loads(target.read_text()), list)
    help_text = run(command, "-h").stdout
    assert "Examples" in help_text and f"cartcost {command}" in help_text
    assert run(command, "--format", "xml").exit_code == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("[countries.CN]\ncurrency = 5\n")
    result = run(command, "--rates", str(broken))
    assert result.exit_code == 2
    assert f"{broken}: countries.CN.currency" in result.stderr
