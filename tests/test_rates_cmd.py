"""`cartcost rates validate|show|init|path`."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"
ADDITIONS = FIXTURES / "overlay-additions.toml"


# ---------------------------------------------------------------- validate


def test_validate_the_table_in_use() -> None:
    result = run("rates", "validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"ok: {MINI}",
        "  4 countries (2 destinations), 2 products, 2 indications, 2 sources, 4 currencies",
    ]


def test_validate_an_overlay() -> None:
    result = run("rates", "validate", str(ADDITIONS))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"ok: {MINI} + {ADDITIONS}",
        "  5 countries (2 destinations), 3 products, 2 indications, 3 sources, 5 currencies",
    ]


def test_validate_several_overlays_layered() -> None:
    result = run("rates", "validate", str(QUOTE), str(ADDITIONS))
    assert result.exit_code == 0
    assert f"{QUOTE} + {ADDITIONS}" in result.stdout


def test_validate_reports_every_problem_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[countries.CN.hospital]\n"
        'inpatient_day = { range = [9, 1], currency = "CNY", sources = ["off"] }\n'
        'workup = { range = [1, 2], currency = "XYZ", sources = ["nope"] }\n'
        "bogus = 1\n"
    )
    other = tmp_path / "other.toml"
    other.write_text("[products.q]\ngeneric = 'q'\n")
    result = run("rates", "validate", str(bad), str(other))
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("cartcost: error: 6 problems\n")
    for needle in (
        f"{bad}: countries.CN.hospital.inpatient_day: low 9 is greater than high 1",
        f"{bad}: countries.CN.hospital.workup.currency: currency XYZ has no rate",
        f"{bad}: countries.CN.hospital.workup.sources: unknown source id 'nope'",
        f"{bad}: countries.CN.hospital.bogus: unknown key; allowed here: workup,",
        f"{other}: products.q.brand: required key is missing",
        f"{other}: products.q.target: required key is missing",
    ):
        assert needle in err, err


def test_validate_lists_more_than_the_usual_25(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[countries.CN.hospital]\n" + "".join(f"bogus{i} = 1\n" for i in range(30)))
    result = run("rates", "validate", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("unknown key") == 30
    assert "and 5 more" not in result.stderr
    # Other commands cut the list short and point here.
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert "and 5 more (`cartcost rates validate` lists them all)" in result.stderr


def test_validate_unreadable_files_all_at_once(tmp_path: Path) -> None:
    one = tmp_path / "one.toml"
    one.write_text("x = [\n")
    result = run("rates", "validate", str(one), str(tmp_path / "two.toml"))
    assert result.exit_code == 2
    assert f"{one}: TOML syntax error" in result.stderr
    assert "two.toml: file not found" in result.stderr


def test_validate_standalone_table(tmp_path: Path) -> None:
    result = run("rates", "validate", "--standalone", str(MINI))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"ok: {MINI}\n")
    # An overlay is not a complete table.
    result = run("rates", "validate", "--standalone", str(QUOTE))
    assert result.exit_code == 2
    assert f"{QUOTE}: meta: required key is missing" in result.stderr
    assert f"{QUOTE}: fx: required key is missing" in result.stderr
    # A whole table with a problem.
    data = tomllib.loads(MINI.read_text(), parse_float=Decimal)
    data["countries"]["US"]["living"]["meals_day"]["range"] = [80, 60]
    broken = tmp_path / "table.toml"
    broken.write_text(tomli_w.dumps(data))
    result = run("rates", "validate", "--standalone", str(broken))
    assert result.exit_code == 2
    assert f"{broken}: countries.US.living.meals_day: low 80 is greater than high 60" in (
        result.stderr
    )


def test_validate_standalone_needs_a_path() -> None:
    result = run("rates", "validate", "--standalone")
    assert result.exit_code == 2
    assert "--standalone needs a PATH" in result.stderr


def test_validate_uses_config_and_env_overlays_without_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[indications.XX]\n")
    monkeypatch.setenv("CARTCOST_RATES", str(bad))
    result = run("rates", "validate")
    assert result.exit_code == 2
    assert f"{bad}: indications.XX.name: required key is missing" in result.stderr
    # With a PATH, only that file over the embedded table is checked.
    assert run("rates", "validate", str(QUOTE)).exit_code == 0


# ---------------------------------------------------------------- show


def test_show_country_table() -> None:
    result = run("rates", "show", "--country", "cn")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Rate table: countries.CN\n")
    lines = out.splitlines()
    row = next(ln for ln in lines if ln.strip().startswith("hospital.inpatient_day"))
    assert "CNY 700–1,400 [guess]" in row
    assert any("offers.b-cel.includes" in ln and "apheresis" in ln for ln in lines)
    assert "Layer" not in out  # only one layer
    assert lines[-1].strip() == f"Rates: {MINI}"


def test_show_names_the_layer_of_each_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q.toml").write_text(QUOTE.read_text())
    result = run("rates", "show", "-c", "CN", "--rates", "q.toml")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    day = next(ln for ln in lines if ln.strip().startswith("hospital.inpatient_day"))
    assert "CNY 900–1,400 [cn-quote]" in day and day.rstrip().endswith("q.toml")
    workup = next(ln for ln in lines if ln.strip().startswith("hospital.workup"))
    assert "q.toml" not in workup


def test_show_json_is_exact_and_wrapped_at_its_path() -> None:
    result = run("rates", "show", "--key", "fx", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "fx": {
            "base": "USD",
            "as_of": "2026-01-02",
            "sources": ["off"],
            "rates": {"USD": 1, "CNY": 7, "NZD": 2, "GBP": 0.5},
        }
    }


def test_show_toml_is_a_usable_overlay(tmp_path: Path) -> None:
    result = run("rates", "show", "--country", "CN", "--format", "toml")
    assert result.exit_code == 0
    data = tomllib.loads(result.stdout, parse_float=Decimal)
    assert list(data) == ["countries"] and list(data["countries"]) == ["CN"]
    assert data["countries"]["CN"]["hospital"]["inpatient_day"]["range"] == [700, 1400]
    overlay = tmp_path / "cn.toml"
    overlay.write_text(result.stdout)
    assert run("rates", "validate", str(overlay)).exit_code == 0


def test_show_whole_table_json_round_trips_to_a_valid_table(tmp_path: Path) -> None:
    result = run("rates", "show", "--format", "toml")
    path = tmp_path / "whole.toml"
    path.write_text(result.stdout)
    assert run("rates", "validate", "--standalone", str(path)).exit_code == 0
    doc = json.loads(run("rates", "show", "-F", "json").stdout)
    assert set(doc) == {"meta", "sources", "fx", "indications", "products", "countries", "flights"}


def test_show_one_value() -> None:
    result = run("rates", "show", "--key", "countries.US.durations.nearby_days")
    assert result.exit_code == 0
    assert "countries.US.durations.nearby_days   14 [off]" in result.stdout
    assert json.loads(run("rates", "show", "--key", "fx.base", "-F", "json").stdout) == {
        "fx": {"base": "USD"}
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--country", "XX"], "unknown country 'XX'"),
        (["--key", "fx.nope"], "no key 'fx.nope' in the rate table; keys under fx: base, as_of"),
        (["--key", "countries.CN.hospital.workup.range.x"], "no key"),
        (["--country", "CN", "--key", "fx"], "not both"),
        (["--format", "yaml"], "yaml"),
    ],
)
def test_show_bad_input(args: list[str], needle: str) -> None:
    result = run("rates", "show", *args)
    assert result.exit_code == 2
    assert needle in result.stderr


def test_show_to_file(tmp_path: Path) -> None:
    target = tmp_path / "fx.json"
    result = run("rates", "show", "--key", "fx.rates", "-F", "json", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["fx"]["rates"]["CNY"] == 7


# ---------------------------------------------------------------- init


def test_init_writes_a_commented_valid_overlay(tmp_path: Path) -> None:
    path = tmp_path / "quote.toml"
    result = run("rates", "init", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {path}" in result.stderr
    text = path.read_text()
    assert text.startswith("# cartcost rate overlay")
    assert "cartcost rates validate quote.toml" in text
    data = tomllib.loads(text, parse_float=Decimal)
    assert list(data) == ["sources", "countries"]
    source = data["sources"]["my-hospital-quote"]
    assert source["kind"] == "facilitator" and source["url"].startswith("https://")
    figure = data["countries"]["CN"]["hospital"]["inpatient_day"]
    assert figure["range"] == [700, 1400]
    assert figure["currency"] == "CNY"
    assert figure["sources"] == ["my-hospital-quote"]
    assert "Embedded value: CNY 700–1,400 [guess]" in text
    # It validates as is, and becomes valid use once its numbers are edited.
    assert run("rates", "validate", str(path)).exit_code == 0
    path.write_text(text.replace("    700,", "    900,"))
    doc = json.loads(
        run("estimate", "-c", "CN", "-i", "MM", "--rates", str(path), "-F", "json").stdout
    )
    inpatient = next(i for i in doc["items"] if i["key"] == "hospital.inpatient")
    assert inpatient["low"] == 1800  # 14 x 900 CNY / 7
    assert inpatient["sources"] == ["my-hospital-quote"]


def test_init_commented_examples_are_valid_once_uncommented(tmp_path: Path) -> None:
    path = tmp_path / "quote.toml"
    run("rates", "init", str(path))
    lines = path.read_text().splitlines()
    start = lines.index("# 3. More you can do (remove the # to use):")
    uncommented = [ln[2:] if ln.startswith("# ") else "" for ln in lines[start + 2 :]]
    path.write_text("\n".join([*lines[:start], *uncommented]) + "\n")
    result = run("rates", "validate", str(path))
    assert result.exit_code == 0, result.stderr


def test_init_for_another_country(tmp_path: Path) -> None:
    path = tmp_path / "us.toml"
    assert run("rates", "init", str(path), "--country", "us").exit_code == 0
    data = tomllib.loads(path.read_text())
    assert data["countries"]["US"]["hospital"]["inpatient_day"]["currency"] == "USD"
    assert run("rates", "validate", str(path)).exit_code == 0


@pytest.mark.parametrize(
    ("country", "code", "needle"),
    [("NZ", 1, "NZ has no hospital figures"), ("XX", 2, "unknown country 'XX'")],
)
def test_init_bad_country(tmp_path: Path, country: str, code: int, needle: str) -> None:
    path = tmp_path / "q.toml"
    result = run("rates", "init", str(path), "--country", country)
    assert result.exit_code == code
    assert needle in result.stderr
    assert not path.exists()


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text("mine\n")
    result = run("rates", "init", str(path))
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert path.read_text() == "mine\n"
    assert run("rates", "init", str(path), "--force").exit_code == 0
    assert path.read_text().startswith("# cartcost rate overlay")
    assert [p.name for p in tmp_path.iterdir()] == ["q.toml"]


@pytest.mark.parametrize("step", ["link", "replace"])
def test_init_never_leaves_a_half_written_file(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new file takes its name by os.link (exclusive); --force replaces by os.replace."""
    import os

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    target = tmp_path / "q.toml"
    if step == "replace":
        target.write_text("# mine\n")
    monkeypatch.setattr(os, step, boom)
    result = run("rates", "init", str(target), *(["--force"] if step == "replace" else []))
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    if step == "replace":
        assert [p.name for p in tmp_path.iterdir()] == ["q.toml"]
        assert target.read_text() == "# mine\n"
    else:
        assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("sub", ["validate", "show", "init", "path"])
def test_every_subcommand_has_help_with_examples(sub: str) -> None:
    for flag in ("-h", "--help"):
        result = run("rates", sub, flag)
        assert result.exit_code == 0
        assert "Examples" in result.stdout
        assert f"cartcost rates {sub}" in result.stdout


def test_rates_group_help() -> None:
    result = run("rates")  # like `cartcost` alone: usage, exit 2
    assert "validate" in result.output and "init" in result.output
    assert run("rates", "-h").exit_code == 0


def test_rates_path_shows_the_table_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CARTCOST_CACHE_DIR", str(tmp_path / "cachehere"))
    result = run("rates", "path")
    assert result.exit_code == 0
    assert f"table cache:     {tmp_path / 'cachehere'}" in result.stdout
