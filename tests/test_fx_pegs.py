"""Pegged currencies ([fx.pegs]): converted at the fixed rate, and said so.

Expected numbers are computed by hand from tests/fixtures/mini.toml (USD base; CNY = 7,
GBP = 0.5) and tests/fixtures/overlay-pegs.toml (AED 3.6725 per USD; FKP 1 per GBP).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cartcost.metadata import fx_record, methods_paragraph
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from tests.clihelp import json_item as item
from tests.clihelp import run
from tests.conftest import FIXTURES

PEGS = FIXTURES / "overlay-pegs.toml"


def rates_with_pegs() -> Rates:
    rates, _ = load_rates([str(PEGS)])
    return rates


def estimate_json(*args: str) -> dict[str, Any]:
    result = run("estimate", "-c", "CN", "-i", "MM", *args, "--rates", str(PEGS), "-F", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_a_peg_becomes_a_rate_per_base() -> None:
    fx = rates_with_pegs().fx
    assert fx.rates["AED"] == Decimal("3.6725")
    # FKP is at par with GBP, which is 0.5 per USD.
    assert fx.rates["FKP"] == Decimal("0.5")
    assert set(fx.pegs) == {"AED", "FKP"}
    assert fx.pegs["AED"].per == "USD" and fx.pegs["AED"].sources == ("cb",)


def test_amounts_convert_at_the_peg() -> None:
    usd = estimate_json("--currency", "USD")
    aed = estimate_json("--currency", "AED")
    # Inpatient: 14-21 days x CNY 700-1,400: CNY 9,800 / 7 = USD 1,400 = AED 5,141.50.
    inpatient = item(aed, "hospital.inpatient")
    assert inpatient["low"] == 5141.5
    assert item(usd, "hospital.inpatient")["low"] == 1400
    assert aed["currency"] == "AED"
    assert aed["total"]["low"] == round(usd["total"]["low"] * 3.6725, 2)


def test_an_origin_with_a_pegged_currency_shows_it_by_default() -> None:
    doc = estimate_json("--from", "AE")
    assert doc["currency"] == "AED"
    # Middle East to East Asia: AED 1,000-2,000 a traveller, patient and one caregiver.
    flights = item(doc, "travel.flights")
    assert (flights["low"], flights["high"]) == (2000, 4000)


def test_the_estimate_says_which_amounts_convert_at_a_fixed_rate() -> None:
    aed = estimate_json("--currency", "AED")
    fixed = [n for n in aed["notes"] if "fixed rate" in n]
    assert fixed == [
        "AED converted at its fixed rate, not a market rate: "
        "AED 3.6725 per USD (A Central Bank, fixed since 1997)"
    ]
    assert not any("fixed rate" in n for n in estimate_json("--currency", "USD")["notes"])


def test_the_run_record_carries_the_pegs() -> None:
    rates = rates_with_pegs()
    record = fx_record(rates)
    assert record["pegs"]["AED"] == {
        "per": "USD",
        "rate": 3.6725,
        "since": "1997-11-01",
        "sources": ["cb"],
    }
    doc = estimate_json("--currency", "AED")
    assert doc["meta"]["fx"]["pegs"]["FKP"]["per"] == "GBP"
    plain = json.loads(run("estimate", "-c", "CN", "-i", "MM", "-F", "json").stdout)
    assert "pegs" not in plain["meta"]["fx"]


def test_the_methods_paragraph_names_the_peg() -> None:
    from cartcost.estimation import estimate
    from cartcost.scenario import Scenario

    rates = rates_with_pegs()
    text = methods_paragraph(estimate(rates, Scenario("CN", "MM", currency="AED")), rates)
    assert "AED was converted instead at the fixed rate its central bank holds" in text
    assert "AED 3.6725 per USD" in text
    # The market rates listed are the market ones only.
    assert "USD 1 = AED" not in text and "USD 1 = CNY 7" in text


def test_sources_lists_the_peg_as_used() -> None:
    result = run("sources", "--rates", str(PEGS), "-F", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    rows = rows["sources"] if isinstance(rows, dict) else rows
    cb = next(r for r in rows if r["id"] == "cb")
    assert "fx.pegs.AED" in json.dumps(cb)


def test_an_unknown_currency_lists_the_pegged_ones_as_valid() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--currency", "XYZ", "--rates", str(PEGS))
    assert result.exit_code == 2
    assert "AED" in result.stderr and "FKP" in result.stderr


def test_compare_says_so_once_for_every_row() -> None:
    result = run("compare", "-i", "MM", "--currency", "AED", "--rates", str(PEGS), "-F", "json")
    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert [n for n in notes if "fixed rate" in n] == [
        "AED converted at its fixed rate, not a market rate: "
        "AED 3.6725 per USD (A Central Bank, fixed since 1997)"
    ]
    usd = json.loads(run("compare", "-i", "MM", "--rates", str(PEGS), "-F", "json").stdout)
    assert not any("fixed rate" in n for n in usd["notes"])
