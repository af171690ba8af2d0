"""Estimates from the real table in one process.

The estimate keeps per-table memos (a country's resolved choices, a destination's figures
per choice, each source list's date): two tables never see each other's figures or dates,
and asking again gives the same estimate. Product names read once.
"""

from __future__ import annotations

from pathlib import Path

import cartcost
from cartcost.estimation import Estimate
from cartcost.money import Range

OVERLAY = """
[countries.CN.cities.shanghai.living]
lodging_night = { budget = { range = [130, 335], currency = "CNY", sources = ["examinechina-shanghai"] }, standard = { range = [700, 1400], currency = "CNY", sources = ["citiesinsider-shanghai"] }, comfort = { range = [170, 388], currency = "USD", sources = ["statedept-perdiem-2026-04"] } }

[sources.citiesinsider-shanghai]
published = 2019-06-01
"""


def lodging(est: Estimate) -> Range:
    item = next(i for i in est.items if i.key == "living.lodging")
    assert item.rate is not None
    return item.rate


def test_two_tables_in_one_process_keep_their_own_figures(tmp_path: Path, real_table: Path) -> None:
    overlay = tmp_path / "dear.toml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    base = cartcost.load_rates()
    dear = cartcost.load_rates(overlay)
    scenario = cartcost.Scenario(country="CN", indication="MM", origin="NZ")

    first = cartcost.estimate(base, scenario, draws=0)
    other = cartcost.estimate(dear, scenario, draws=0)
    again = cartcost.estimate(base, scenario, draws=0)

    # The overlay's serviced apartment, in its own currency, and only in its own table.
    assert lodging(other) == Range.of(700, 1400)
    assert lodging(first) == lodging(again) != lodging(other)
    assert first.total == again.total
    assert other.total.low > first.total.low
    # The overlay's older source date makes the lodging line stale in its table only.
    assert any("Lodging" in n and "2019-06-01" in n for n in other.notes)
    assert not any("2019-06-01" in n for n in again.notes)
    assert first.notes == again.notes


def test_a_product_without_a_brand_is_named_once(real_table: Path) -> None:
    rates = cartcost.load_rates()
    unbranded = [p for p, rec in rates.products.items() if p in rec.brand]
    assert unbranded, "the table has a product named by its code (satri-cel)"
    est = cartcost.estimate(
        rates, cartcost.Scenario(country="CN", indication="GC", origin="NZ"), draws=0
    )
    label = next(i.label for i in est.items if i.key == "product.price")
    assert label.count("satri-cel") == 1, label


def test_the_output_says_when_a_fare_is_modelled(real_table: Path) -> None:
    from tests.clihelp import run

    rates = cartcost.load_rates()

    def flights(origin: str) -> str:
        est = cartcost.estimate(
            rates, cartcost.Scenario(country="CN", indication="MM", origin=origin), draws=0
        )
        return next(i.modelled for i in est.items if i.key == "travel.flights")

    assert flights("BR") == "modelled fare"  # no BR-CN fare: the distance model alone
    assert flights("NZ") == "fare partly modelled"  # a route fare, its high end modelled
    assert flights("US") == ""  # a route fare from fare data at both ends
    table = run("estimate", "-c", "CN", "-i", "MM", "--from", "BR").stdout
    assert "(modelled fare)" in " ".join(table.split())


def test_germany_keeps_the_general_ward_by_default_and_prices_the_elective_extras(
    real_table: Path,
) -> None:
    """Germany lists two kinds: the DRG general ward ('public', its default) and an
    International Office patient with a single room and chief-physician treatment
    ('private'), whose day is the DRG day plus the room supplement and GOÄ fees."""
    rates = cartcost.load_rates()

    def day(hospital: str | None) -> tuple[str, Range | None]:
        extra = {} if hospital is None else {"hospital": hospital}
        scenario = cartcost.Scenario(country="DE", indication="LBCL", **extra)
        est = cartcost.estimate(rates, scenario, draws=0)
        item = next(i for i in est.items if i.key == "hospital.inpatient")
        return est.choices.hospital, item.rate

    assert day(None) == day("public") == ("public", Range.of(760, 3000))
    assert day("private") == ("private", Range.of(861, 3198))
    assert day("any") == ("any", Range.of(760, 3198))


def test_a_gulf_family_sees_its_own_currency_at_its_peg(real_table: Path) -> None:
    rates = cartcost.load_rates()
    home = cartcost.estimate(rates, cartcost.Scenario("IN", "LBCL", origin="AE"), draws=0)
    usd = cartcost.estimate(
        rates, cartcost.Scenario("IN", "LBCL", origin="AE", currency="USD"), draws=0
    )
    assert home.currency == "AED"
    # The dirham is held at 3.6725 per dollar: the same journey, one fixed factor apart.
    assert abs(home.total.low - usd.total.low * rates.fx.pegs["AED"].rate) < 1
    assert any(n.startswith("AED converted at its fixed rate") for n in home.notes)
    # Shown in dollars, the Dubai fare (quoted in dirhams) still converts at the peg.
    fare = next(i for i in usd.items if i.key == "travel.flights")
    assert fare.native_currency == "AED"
    assert any(n.startswith("AED converted at its fixed rate") for n in usd.notes)
    at_home = cartcost.estimate(rates, cartcost.Scenario("IN", "LBCL", currency="USD"), draws=0)
    assert not any("fixed rate" in n for n in at_home.notes)
    saudi = cartcost.estimate(rates, cartcost.Scenario("CN", "MM", origin="SA"), draws=0)
    assert saudi.currency == "SAR"
