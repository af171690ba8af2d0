"""The user's config file: default overlays and scenario defaults; broken means exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cartcost.config import Config, Defaults, config_dir, config_path, load_config
from cartcost.errors import UsageProblem
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def scenario_of(*args: str) -> dict[str, Any]:
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json", *args)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_location_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_CONFIG_DIR", str(tmp_path / "c"))
    assert config_dir() == tmp_path / "c"
    assert config_path() == tmp_path / "c" / "config.toml"


def test_default_location_is_typer_app_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    monkeypatch.delenv("CARTCOST_CONFIG_DIR")
    assert config_dir() == Path(typer.get_app_dir("cartcost"))


def test_no_file_is_an_empty_config() -> None:
    cfg = load_config()
    assert cfg == Config(path=config_path(), exists=False)
    assert cfg.defaults == Defaults()


def test_full_config_is_read() -> None:
    path = write_config(
        'rates = ["quotes/a.toml", "/abs/b.toml", "~/c.toml"]\n'
        '[defaults]\nfrom = "nz"\ncaregivers = 2\ncurrency = "nzd"\n'
    )
    cfg = load_config()
    assert cfg.exists and cfg.path == path
    assert cfg.rates == (
        path.parent / "quotes" / "a.toml",
        Path("/abs/b.toml"),
        Path("~/c.toml").expanduser(),
    )
    assert cfg.defaults == Defaults(origin="NZ", caregivers=2, currency="NZD")


def test_rates_may_be_one_string() -> None:
    path = write_config('rates = "q.toml"\n')
    assert load_config().rates == (path.parent / "q.toml",)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("rates = 5\n", ["rates: expected a list of overlay file paths"]),
        ('rates = ["a", 3]\n', ["rates: expected a list"]),
        ('colour = "blue"\n', ["colour: unknown key; allowed: rates, defaults"]),
        ("defaults = 3\n", ["defaults: expected a table"]),
        ('[defaults]\nfrom = "NZL"\n', ["defaults.from: expected a country code", "'NZL'"]),
        ("[defaults]\ncurrency = 5\n", ["defaults.currency: expected a currency code"]),
        ("[defaults]\ncaregivers = 11\n", ["defaults.caregivers: expected a whole number"]),
        ("[defaults]\ncaregivers = true\n", ["defaults.caregivers"]),
        ("[defaults]\nhome = 1\n", ["defaults.home: unknown key; allowed: from, caregivers"]),
        ("[defaults\n", ["TOML syntax error"]),
        ("", ["file is empty"]),
        # Codes are ASCII and whole: no final newline, no letter str.upper() folds.
        ('[defaults]\nfrom = "NZ\\n"\n', ["defaults.from: expected a country code", "'NZ\\n'"]),
        ('[defaults]\nfrom = "\u017fg"\n', ["defaults.from: expected a country code"]),
        ('[defaults]\ncurrency = "NZD\\n"\n', ["defaults.currency: expected a currency code"]),
        (
            'rates = ["~nosuchuser-cartcost/q.toml"]\n',
            ["rates: cannot expand '~nosuchuser-cartcost'"],
        ),
    ],
)
def test_broken_config_is_exit_2_naming_file_and_key(text: str, needles: list[str]) -> None:
    path = write_config(text)
    with pytest.raises(UsageProblem) as info:
        load_config()
    for needle in needles:
        assert needle in info.value.message
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}: {needles[0]}" in result.stderr
    assert "Traceback" not in result.output


def test_every_config_problem_at_once() -> None:
    write_config('rates = 5\n[defaults]\nfrom = "NZL"\ncaregivers = -1\n')
    with pytest.raises(UsageProblem) as info:
        load_config()
    assert "has 3 problems" in info.value.message


def test_defaults_apply_when_nothing_else_says() -> None:
    write_config('[defaults]\nfrom = "NZ"\ncaregivers = 2\ncurrency = "GBP"\n')
    sc = scenario_of()["scenario"]
    assert (sc["from"], sc["caregivers"], sc["currency"]) == ("NZ", 2, "GBP")


def test_command_line_beats_config_defaults() -> None:
    write_config('[defaults]\nfrom = "NZ"\ncaregivers = 2\ncurrency = "GBP"\n')
    sc = scenario_of("--from", "GB", "--caregivers", "0", "--currency", "USD")["scenario"]
    assert (sc["from"], sc["caregivers"], sc["currency"]) == ("GB", 0, "USD")


def test_unknown_code_in_config_is_reported() -> None:
    write_config('[defaults]\nfrom = "ZZ"\n')
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "unknown origin country 'ZZ'" in result.stderr


def test_config_overlays_come_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_config(f'rates = ["{QUOTE.as_posix()}"]\n')
    doc = scenario_of()
    assert doc["layers"] == [str(MINI), str(QUOTE)]
    # 14 x 900 CNY / 7 = 1,800 USD from the quote in the config.
    assert next(i for i in doc["items"] if i["key"] == "hospital.inpatient")["low"] == 1800
    other = tmp_path / "other.toml"
    other.write_text(
        "[countries.CN.hospital]\n"
        'inpatient_day = { range = [70, 70], currency = "CNY", sources = ["off"] }\n'
    )
    monkeypatch.setenv("CARTCOST_RATES", str(other))
    doc = scenario_of()
    assert doc["layers"] == [str(MINI), str(QUOTE), str(other)]
    # CARTCOST_RATES is over the config's overlay: 14 x 70 / 7 = 140.
    assert next(i for i in doc["items"] if i["key"] == "hospital.inpatient")["low"] == 140


def test_config_overlay_missing_is_an_error() -> None:
    write_config('rates = ["nope.toml"]\n')
    result = run("countries")
    assert result.exit_code == 2
    assert f"{config_path().parent / 'nope.toml'}: file not found" in result.stderr


def test_rates_path_shows_config_state() -> None:
    result = run("rates", "path")
    assert result.exit_code == 0
    assert f"config file:     {config_path()} (not found)" in result.stdout
    assert f"embedded table:  {MINI} (from CARTCOST_BASE_RATES)" in result.stdout
    write_config(f'rates = ["{QUOTE.as_posix()}"]\n')
    result = run("rates", "path")
    assert f"config file:     {config_path()}\n" in result.stdout
    assert f"config overlay:  {QUOTE}" in result.stdout


def test_rates_path_still_shows_a_broken_config() -> None:
    write_config("rates = 5\n")
    result = run("rates", "path")
    assert result.exit_code == 0
    assert f"{config_path()} (has problems" in result.stdout


def test_rates_path_lists_env_overlays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_RATES", os.pathsep.join(["a.toml", "b.toml"]))
    lines = run("rates", "path").stdout.splitlines()
    assert [ln.split()[-1] for ln in lines if ln.startswith("CARTCOST_RATES")] == [
        "a.toml",
        "b.toml",
    ]


def test_embedded_path_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARTCOST_BASE_RATES")
    line = run("rates", "path").stdout.splitlines()[0]
    assert line.startswith("embedded table:") and line.endswith("rates.toml")
    assert "CARTCOST_BASE_RATES" not in line


def test_who_sends_the_money_can_be_a_config_default() -> None:
    write_config('[defaults]\ntransfer = "specialist"\n')
    assert scenario_of()["scenario"]["transfer"] == "specialist"
    assert scenario_of("--transfer", "bank")["scenario"]["transfer"] == "bank"
    write_config('[defaults]\ntransfer = "pigeon"\n')
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "defaults.transfer: expected one of bank, specialist, any" in result.stderr
