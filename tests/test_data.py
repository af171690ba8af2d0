"""The shipped table, data/rates.toml: complete, sourced, consistent and usable everywhere."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cartcost.errors import NothingMatches
from cartcost.estimation import estimate
from cartcost.money import FxTable
from cartcost.rates import Money, Rates, walk_figures
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.conftest import REAL

# A CAR-T product below this is not a real price (the cheapest, India's NexCAR19, is about
# USD 36,000); above the upper bound is a typo (US list prices peak near USD 600,000).
PRICE_BAND_USD = (Decimal(20_000), Decimal(1_000_000))
# What a clinical trial charges for the product: often nothing, and a trial asking more
# than this is not what the table means by a trial.
TRIAL_BAND_USD = (Decimal(0), Decimal(100_000))

MUST_DESTINATIONS = {
    "CN",
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "CH",
    "IL",
    "JP",
    "KR",
    "SG",
    "AU",
    "IN",
}
MUST_INDICATIONS = {"MM", "LBCL", "B-ALL", "FL", "MCL", "CLL"}


@pytest.fixture(scope="module")
def rates() -> Rates:
    import os

    saved = os.environ.pop("CARTCOST_BASE_RATES", None)
    try:
        table, _ = load_rates()
    finally:
        if saved is not None:
            os.environ["CARTCOST_BASE_RATES"] = saved
    return table


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return tomllib.loads(REAL.read_text(encoding="utf-8"), parse_float=Decimal)


def test_coverage(rates: Rates) -> None:
    assert set(rates.destinations()) >= MUST_DESTINATIONS
    assert len(rates.countries) >= 25
    assert set(rates.indications) >= MUST_INDICATIONS
    for cc in ("CN", "US", "GB", "DE"):
        offered = {i for o in rates.countries[cc].offers.values() for i in o.indications}
        assert "LBCL" in offered, cc
    assert "MM" in {i for o in rates.countries["CN"].offers.values() for i in o.indications}
    pathways = Counter(o.pathway for c in rates.countries.values() for o in c.offers.values())
    assert pathways["commercial"] and pathways["academic"] and pathways["trial"]


def test_every_figure_is_sourced_and_every_source_used(rates: Rates) -> None:
    used: set[str] = set(rates.fx.sources)
    for peg in rates.fx.pegs.values():  # a pegged currency cites its central bank
        used.update(peg.sources)
    if rates.fx.moves is not None:  # how rates move: the ECB's history
        used.update(rates.fx.moves.sources)
    for path, fig in walk_figures(rates):
        assert fig.sources, path
        for sid in fig.sources:
            assert sid in rates.sources, f"{path}: {sid}"
        used.update(fig.sources)
    for country in rates.countries.values():
        if country.entry:
            used.update(country.entry.visa_free_sources)
    # Who pays: the cover rules and the schemes cite their own sources.
    for cov in rates.coverage.values():
        for rule in cov.rules:
            used.update(rule.sources)
            for fig in (rule.patient_pays, rule.patient_pays_daily):
                if fig is not None:
                    used.update(fig.sources)
    for scheme in rates.schemes.values():
        used.update(scheme.sources)
    assert set(rates.sources) == used


def test_sources_are_complete_and_assumptions_say_why(rates: Rates) -> None:
    for sid, s in rates.sources.items():
        assert s.title and s.publisher, sid
        assert s.published <= s.accessed, sid
        assert s.accessed <= date(2026, 12, 31), sid
        if s.kind == "assumption":
            assert len(s.note) > 40, f"{sid}: an assumption must state its basis"
        else:
            assert s.url.startswith(("http://", "https://")), sid


def test_every_currency_converts(rates: Rates) -> None:
    fx = FxTable(rates.fx.base, rates.fx.rates)
    for path, fig in walk_figures(rates):
        if isinstance(fig, Money):
            assert fx.convert(Decimal(100), fig.currency, "USD") > 0, path
    for cc, country in rates.countries.items():
        assert country.currency in rates.fx.rates, cc


def test_references_resolve(rates: Rates) -> None:
    for cc, country in rates.countries.items():
        for oid, offer in country.offers.items():
            assert offer.product in rates.products, f"{cc}.{oid}"
            assert set(offer.indications) <= set(rates.indications), f"{cc}.{oid}"


def test_product_prices_within_sanity_band(rates: Rates) -> None:
    fx = FxTable(rates.fx.base, rates.fx.rates)
    for cc, country in rates.countries.items():
        for oid, offer in country.offers.items():
            lo, hi = TRIAL_BAND_USD if offer.pathway == "trial" else PRICE_BAND_USD
            low = fx.convert(offer.price.range[0], offer.price.currency, "USD")
            high = fx.convert(offer.price.range[1], offer.price.currency, "USD")
            assert lo <= low <= high <= hi, f"{cc}.{oid}: USD {low:.0f}-{high:.0f}"


def test_durations_are_plausible(rates: Rates) -> None:
    for cc in rates.destinations():
        d = rates.countries[cc].durations
        assert d is not None
        assert d.inpatient_days.range[0] >= 1 and d.inpatient_days.range[1] <= 60, cc
        assert d.nearby_days.range[1] <= 120, cc
        for oid, offer in rates.countries[cc].offers.items():
            assert (
                offer.manufacturing_days.range[0] >= 5 and offer.manufacturing_days.range[1] <= 120
            ), f"{cc}.{oid}"


def test_every_destination_estimable_from_every_origin(rates: Rates) -> None:
    count = 0
    for dest in rates.destinations():
        indications = sorted(
            {i for o in rates.countries[dest].offers.values() for i in o.indications}
        )
        for origin in sorted(rates.countries):
            for ind in indications:
                # draws=0: the low/high of every pair, without the likely total's draws
                est = estimate(rates, Scenario(dest, ind, origin=origin, caregivers=1), draws=0)
                assert est.total.low <= est.total.high
                assert est.total.low > 0
                count += 1
    assert count > 300


def test_no_offer_is_a_clean_nothing_matches(rates: Rates) -> None:
    offered = {i for o in rates.countries["GB"].offers.values() for i in o.indications}
    missing = sorted(set(rates.indications) - offered)
    if not missing:
        pytest.skip("GB offers every indication")
    with pytest.raises(NothingMatches):
        estimate(rates, Scenario("GB", missing[0]))


def test_no_duplicate_urls_under_different_ids(raw: dict[str, Any]) -> None:
    urls = Counter(s["url"] for s in raw["sources"].values() if s.get("url"))
    dupes = {u: n for u, n in urls.items() if n > 1}
    assert not dupes, dupes
