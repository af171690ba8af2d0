"""Clinical-trial offers: left out of estimates and comparisons unless asked for.

A trial's "price" is what the trial charges (often nothing), so a default estimate that
mixed it in would drag every low end towards zero. The fixture adds trial offers to
mini.toml: CN a-cel for MM at CNY 0-70,000, and the only MM offer of the US.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from cartcost.comparison import compare
from cartcost.errors import NothingMatches
from cartcost.estimation import estimate
from cartcost.rates import Rates, validate
from cartcost.ratesfile import merge, read_toml
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import MINI

TRIALS = """\
[countries.CN.offers.a-cel-trial]
product = "a-cel"
indications = ["MM"]
pathway = "trial"
price = { range = [0, 70000], currency = "CNY", sources = ["guess"] }
manufacturing_days = { range = [20, 30], sources = ["guess"] }

[countries.US.offers.a-cel-trial]
product = "a-cel"
indications = ["MM"]
pathway = "trial"
price = { range = [0, 0], currency = "USD", sources = ["guess"] }
manufacturing_days = { range = [14, 21], sources = ["guess"] }
"""


@pytest.fixture(scope="module")
def rates() -> Rates:
    return validate(merge(read_toml(MINI), tomllib.loads(TRIALS, parse_float=Decimal)), "trials")


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    path = tmp_path / "trials.toml"
    path.write_text(TRIALS, encoding="utf-8")
    return path


def price(est: object) -> tuple[Decimal, Decimal]:
    item = next(i for i in est.items if i.key == "product.price")  # type: ignore[attr-defined]
    assert item.amount is not None
    return item.amount.low, item.amount.high


def test_default_estimate_leaves_the_trial_out_and_says_so(rates: Rates) -> None:
    est = estimate(rates, Scenario("CN", "MM"))
    # Commercial a-cel and b-cel only: CNY 700,000 .. 2,100,000 at 7 CNY per USD.
    assert price(est) == (100_000, 300_000)
    assert [o.id for o in est.offers] == ["a-cel", "b-cel"]
    assert any("clinical-trial offer (a-cel-trial) is left out" in n for n in est.notes)


def test_asking_for_the_trial_gives_its_price(rates: Rates) -> None:
    est = estimate(rates, Scenario("CN", "MM", pathways=("trial",)))
    # CNY 0 .. 70,000 = USD 0 .. 10,000.
    assert price(est) == (0, 10_000)
    assert [(o.id, o.pathway) for o in est.offers] == [("a-cel-trial", "trial")]
    assert not any("clinical-trial" in n for n in est.notes)
    both = estimate(rates, Scenario("CN", "MM", pathways=("commercial", "trial")))
    assert price(both) == (0, 300_000)


def test_a_country_with_only_a_trial_says_how_to_see_it(rates: Rates) -> None:
    with pytest.raises(NothingMatches) as info:
        estimate(rates, Scenario("US", "MM"))
    assert "only a clinical trial" in info.value.message
    assert "--pathway trial" in info.value.hint
    est = estimate(rates, Scenario("US", "MM", pathways=("trial",)))
    assert price(est) == (0, 0)


def test_compare_counts_trials_only_when_asked(rates: Rates) -> None:
    mm = Scenario(country="", indication="MM")
    default = compare(rates, mm)
    assert [r.country for r in default.rows] == ["CN"]
    assert default.not_offered == ("US",)
    assert any("clinical-trial offers left out (CN, US)" in n for n in default.notes)
    with_trials = compare(rates, mm._replace(pathways=("commercial", "trial")))
    assert sorted(r.country for r in with_trials.rows) == ["CN", "US"]
    assert not any("clinical-trial" in n for n in with_trials.notes)
    us = next(r for r in with_trials.rows if r.country == "US")
    assert us.subtotals.product.low == 0 and us.subtotals.product.high == 0


def test_cli_trial_pathway_and_default(overlay: Path) -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(overlay), "-F", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [o["id"] for o in doc["products"]] == ["a-cel", "b-cel"]
    assert any("clinical-trial" in n for n in doc["notes"])

    result = run("estimate", "-c", "US", "-i", "MM", "--rates", str(overlay))
    assert result.exit_code == 1
    assert "only a clinical trial" in result.stderr and "--pathway trial" in result.stderr

    result = run(
        "estimate",
        "-c",
        "US",
        "-i",
        "MM",
        "--rates",
        str(overlay),
        "--pathway",
        "trial",
        "-F",
        "csv",
    )
    assert result.exit_code == 0, result.stderr
    product = next(
        r for r in csv.DictReader(io.StringIO(result.stdout)) if r["category"] == "product"
    )
    assert (product["product"], product["low"], product["high"]) == ("a-cel", "0", "0")
