"""Scenario files: written from estimate's options, read back to the same estimate;
command line > scenario file > config defaults > built-in defaults."""

from __future__ import annotations

import json
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartcost.cli.scenario_opts import scenario_from_options
from cartcost.config import config_path
from cartcost.errors import UsageProblem
from cartcost.scenario import Scenario, ScenarioFile, parse_scenario, scenario_toml
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"


def estimate_json(*args: str) -> dict[str, Any]:
    result = run("estimate", *args, "-F", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def init(path: Path, *args: str) -> None:
    result = run("scenario", "init", str(path), *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {path}" in result.stderr


# ---------------------------------------------------------------- round trip


OPTIONS = [
    ("-c", "CN", "-i", "MM"),
    ("-c", "CN", "-i", "MM", "--from", "NZ", "--caregivers", "2", "--currency", "GBP"),
    ("-c", "cn", "-i", "mm", "-p", "Bcel", "--from", "gb", "--lives-nearby"),
    ("-c", "US", "-i", "LBCL", "--from", "NZ", "--caregivers", "0", "--pathway", "commercial"),
    ("-c", "CN", "-i", "LBCL", "--from", "CN"),
]


@pytest.mark.parametrize("options", OPTIONS)
def test_written_and_read_back_gives_the_same_estimate(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    path = tmp_path / "case.toml"
    init(path, *options)
    assert estimate_json("--scenario", str(path)) == estimate_json(*options)


_origins = st.sampled_from([None, "NZ", "GB", "CN", "US"])
_currencies = st.sampled_from([None, "USD", "NZD", "GBP", "CNY"])


@st.composite
def cli_options(draw: st.DrawFn) -> list[str]:
    country, indication = draw(st.sampled_from([("CN", "MM"), ("CN", "LBCL"), ("US", "LBCL")]))
    args = ["-c", country, "-i", indication]
    origin = draw(_origins)
    if origin:
        args += ["--from", origin]
    args += ["--caregivers", str(draw(st.integers(0, 10)))]
    currency = draw(_currencies)
    if currency:
        args += ["--currency", currency]
    if draw(st.booleans()):
        args.append("--lives-nearby")
    if country == "CN" and draw(st.booleans()):
        args += ["-p", "b-cel"]
    return args


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(options=cli_options())
def test_round_trip_property(tmp_path: Path, options: list[str]) -> None:
    path = tmp_path / "case.toml"
    init(path, *options, "--force")
    assert estimate_json("--scenario", str(path)) == estimate_json(*options)


@given(
    st.builds(
        Scenario,
        country=st.sampled_from(["", "CN", "US"]),
        indication=st.sampled_from(["MM", "LBCL", "B-ALL"]),
        products=st.lists(st.sampled_from(["a-cel", "b-cel"]), unique=True).map(tuple),
        origin=_origins,
        caregivers=st.integers(0, 10),
        currency=_currencies,
        lives_nearby=st.booleans(),
        pathways=st.lists(st.sampled_from(["commercial", "academic", "trial"]), unique=True).map(
            tuple
        ),
        hospital=st.sampled_from([None, "public", "private", "any"]),
        living=st.sampled_from([None, "budget", "standard", "comfort", "any"]),
        city=st.sampled_from([None, "Shanghai", "other"]),
        age=st.one_of(st.none(), st.integers(0, 120)),
        cover=st.sampled_from([None, "public", "insured", "none"]),
        perspective=st.sampled_from([None, "family", "payer", "societal"]),
        reimbursement=st.sampled_from([None, "au-mtop"]),
        income=st.sampled_from([None, Decimal(0), Decimal(60000), Decimal("45000.5")]),
        transfer=st.sampled_from([None, "bank", "specialist", "any"]),
    )
)
def test_scenario_toml_parses_back_to_the_same_values(scenario: Scenario) -> None:
    text = scenario_toml(scenario, ["q.toml"])
    back = parse_scenario(tomllib.loads(text), Path("/cases/s.toml"))
    assert back == ScenarioFile(
        path=Path("/cases/s.toml"),
        country=scenario.country or None,
        indication=scenario.indication,
        products=scenario.products,
        origin=scenario.origin,
        caregivers=scenario.caregivers,
        currency=scenario.currency,
        lives_nearby=scenario.lives_nearby,
        pathways=scenario.pathways,
        hospital=scenario.hospital,
        living=scenario.living,
        city=scenario.city,
        age=scenario.age,
        cover=scenario.cover,
        perspective=scenario.perspective,
        reimbursement=scenario.reimbursement,
        income=scenario.income,
        rates=(Path("/cases/q.toml"),),
        transfer=scenario.transfer,
    )


def test_file_is_commented_toml_with_normalised_codes(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    init(path, "-c", "cn", "-i", "mm", "-p", "Acel", "--from", "nz", "--caregivers", "2")
    text = path.read_text()
    assert text.startswith("# cartcost scenario")
    assert "cartcost estimate --scenario case.toml" in text
    data = tomllib.loads(text)
    assert data == {
        "country": "CN",
        "indication": "MM",
        "products": ["a-cel"],  # the brand Acel resolved to its id
        "from": "NZ",
        "caregivers": 2,
        "lives_nearby": False,
    }
    # The currency was not chosen, so it is not frozen: it follows --from later.
    assert "currency" not in data


# ---------------------------------------------------------------- precedence


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    init(path, "-c", "CN", "-i", "MM", "--from", "NZ", "--caregivers", "2", "--lives-nearby")
    sc = estimate_json(
        "--scenario", str(path), "--caregivers", "0", "--not-nearby", "--from", "GB"
    )["scenario"]
    assert (sc["caregivers"], sc["lives_nearby"], sc["from"], sc["currency"]) == (
        0,
        False,
        "GB",
        "GBP",
    )
    sc = estimate_json("--scenario", str(path), "-c", "US", "-i", "LBCL")["scenario"]
    assert (sc["country"], sc["indication"], sc["caregivers"]) == ("US", "LBCL", 2)


def test_file_overrides_config_which_overrides_built_ins(tmp_path: Path) -> None:
    cfg = config_path()
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[defaults]\nfrom = "GB"\ncaregivers = 3\ncurrency = "CNY"\n')
    path = tmp_path / "case.toml"
    path.write_text('country = "CN"\nindication = "MM"\ncaregivers = 1\n')
    choice = scenario_from_options(scenario_file=path)
    # caregivers from the file; from and currency from the config; the rest built in.
    assert choice.scenario == Scenario(
        country="CN", indication="MM", origin="GB", caregivers=1, currency="CNY"
    )
    choice = scenario_from_options(scenario_file=path, caregivers=0, currency="USD")
    assert (choice.scenario.caregivers, choice.scenario.currency) == (0, "USD")


def test_built_in_defaults() -> None:
    choice = scenario_from_options(country="CN", indication="MM")
    assert choice.scenario == Scenario(country="CN", indication="MM")
    assert choice.overlays == []


def test_country_may_be_left_out_for_compare() -> None:
    choice = scenario_from_options(indication="MM", need_country=False)
    assert choice.scenario.country == ""
    with pytest.raises(UsageProblem, match="missing option --country"):
        scenario_from_options(indication="MM")
    with pytest.raises(UsageProblem, match="missing option --indication"):
        scenario_from_options(country="CN")


def test_product_and_pathway_lists(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    path.write_text('indication = "MM"\nproducts = ["a-cel"]\npathways = ["trial"]\n')
    sc = scenario_from_options(scenario_file=path, need_country=False).scenario
    assert (sc.products, sc.pathways) == (("a-cel",), ("trial",))
    sc = scenario_from_options(
        scenario_file=path, product=["b-cel,a-cel"], pathway=["academic"], need_country=False
    ).scenario
    assert (sc.products, sc.pathways) == (("b-cel", "a-cel"), ("academic",))


def test_overlay_order_config_env_scenario_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config_path()
    cfg.parent.mkdir(parents=True)
    cfg.write_text('rates = ["c.toml"]\n')
    monkeypatch.setenv("CARTCOST_RATES", str(tmp_path / "e.toml"))
    path = tmp_path / "sub" / "case.toml"
    path.parent.mkdir()
    path.write_text('indication = "MM"\nrates = ["s.toml", "../t.toml"]\n')
    choice = scenario_from_options(scenario_file=path, rates=[Path("r.toml")], need_country=False)
    assert choice.overlays == [
        cfg.parent / "c.toml",
        tmp_path / "e.toml",
        tmp_path / "sub" / "s.toml",
        tmp_path / "t.toml",
        Path("r.toml"),
    ]


# ---------------------------------------------------------------- overlays travel with the case


def test_rates_are_stored_relative_to_the_scenario_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(QUOTE, tmp_path / "quote.toml")
    (tmp_path / "cases").mkdir()
    init(Path("cases/family.toml"), "-c", "CN", "-i", "MM", "--rates", "quote.toml")
    data = tomllib.loads((tmp_path / "cases" / "family.toml").read_text())
    assert data["rates"] == ["../quote.toml"]
    # From another directory, the overlay is still found and used.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    doc = estimate_json("--scenario", "../cases/family.toml")
    assert doc["layers"] == [str(MINI), "../quote.toml"]
    # 14 x 900 CNY / 7 = 1,800 USD: the quote's day rate.
    assert next(i for i in doc["items"] if i["key"] == "hospital.inpatient")["low"] == 1800


def test_init_from_a_scenario_keeps_its_overlays(tmp_path: Path) -> None:
    shutil.copy(QUOTE, tmp_path / "quote.toml")
    first = tmp_path / "first.toml"
    init(
        first, "-c", "CN", "-i", "MM", "--caregivers", "2", "--rates", str(tmp_path / "quote.toml")
    )
    second = tmp_path / "second.toml"
    init(second, "--scenario", str(first), "--caregivers", "1")
    data = tomllib.loads(second.read_text())
    assert (data["caregivers"], data["country"], data["rates"]) == (1, "CN", ["quote.toml"])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('country = "CHN"\n', "country: expected a country code such as CN, got 'CHN'"),
        ("indication = 5\n", "indication: expected an indication code"),
        ('products = "a-cel"\ncaregivers = "two"\n', "caregivers: expected a whole number"),
        ("caregivers = 11\n", "caregivers: expected a whole number from 0 to 10"),
        ('lives_nearby = "yes"\n', "lives_nearby: expected true or false"),
        ('pathways = ["private"]\n', "pathways: unknown pathway 'private'"),
        ("rates = [1]\n", "rates: expected a list of overlay file paths"),
        ('contry = "CN"\n', "contry: unknown key; allowed: country, indication"),
        ("country = \n", "TOML syntax error"),
        ("", "file is empty"),
        # Codes are ASCII and whole: no final newline, no letter str.upper() folds.
        ('country = "CN\\n"\n', "country: expected a country code such as CN, got 'CN\\n'"),
        ('country = "\u0131n"\n', "country: expected a country code"),
        ('currency = "USD\\n"\n', "currency: expected a currency code"),
        ('indication = "M\u041c"\n', "indication: expected an indication code"),
        ('products = ["a\u2010cel"]\n', "products: expected a list of product ids"),
        ('products = ["a-cel", "a-cel"]\n', "products: names the same value twice"),
        (
            'rates = ["~nosuchuser-cartcost/q.toml"]\n',
            "rates: cannot expand '~nosuchuser-cartcost'",
        ),
    ],
)
def test_broken_scenario_names_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "case.toml"
    path.write_text(text)
    result = run("estimate", "--scenario", str(path), "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}: {needle}" in result.stderr
    assert "Traceback" not in result.output


def test_missing_scenario_file(tmp_path: Path) -> None:
    result = run("estimate", "--scenario", str(tmp_path / "none.toml"))
    assert result.exit_code == 2
    assert "none.toml: file not found" in result.stderr


def test_oversized_scenario_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    with path.open("wb") as f:
        f.truncate(5 * 1024 * 1024 + 1)
    result = run("estimate", "--scenario", str(path))
    assert result.exit_code == 2
    assert "the limit is 5,242,880" in result.stderr


def test_scenario_without_country_needs_one_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    init(path, "-i", "MM", "--from", "NZ")
    assert "country" not in tomllib.loads(path.read_text())
    result = run("estimate", "--scenario", str(path))
    assert result.exit_code == 2
    assert "missing option --country (-c), e.g. --country CN (or set it in the scenario file)" in (
        result.stderr
    )
    assert estimate_json("--scenario", str(path), "-c", "CN")["scenario"]["from"] == "NZ"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-c", "XX", "-i", "MM"], "unknown country 'XX'"),
        (["-c", "CN", "-i", "QQ"], "unknown indication 'QQ'"),
        (["-c", "CN", "-i", "MM", "-p", "zzz"], "unknown product 'zzz'"),
        (["-c", "CN", "-i", "MM", "--currency", "XYZ"], "unknown currency 'XYZ'"),
        (["-c", "CN"], "missing option --indication"),
        (["-c", "CN", "-i", "MM", "--caregivers", "11"], "caregivers"),
    ],
)
def test_init_checks_codes_before_writing(tmp_path: Path, args: list[str], needle: str) -> None:
    path = tmp_path / "case.toml"
    result = run("scenario", "init", str(path), *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    path.write_text("precious\n")
    result = run("scenario", "init", str(path), "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "exists; pass --force" in result.stderr
    assert path.read_text() == "precious\n"
    init(path, "-c", "CN", "-i", "MM", "--force")
    assert tomllib.loads(path.read_text())["country"] == "CN"


def test_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    path = tmp_path / "case.toml"
    path.write_text("precious\n")

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    result = run("scenario", "init", str(path), "-c", "CN", "-i", "MM", "--force")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert path.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.toml"]


def test_init_into_missing_directory(tmp_path: Path) -> None:
    result = run("scenario", "init", str(tmp_path / "no" / "case.toml"), "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_help() -> None:
    for args in (["scenario", "-h"], ["scenario", "init", "-h"], ["scenario", "init", "--help"]):
        result = run(*args)
        assert result.exit_code == 0
        assert "scenario" in result.stdout
    assert "Examples" in run("scenario", "init", "-h").stdout
    assert "--scenario" in run("estimate", "-h").stdout
