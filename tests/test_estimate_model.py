"""The cost model against figures computed by hand from tests/fixtures/mini.toml.

Fixture FX: 1 USD = 7 CNY = 2 NZD = 0.5 GBP.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from cartcost.errors import NothingMatches, UsageProblem
from cartcost.estimation import Estimate, LineItem, estimate
from cartcost.money import Range
from cartcost.rates import Rates
from cartcost.scenario import Scenario


def item(est: Estimate, key: str) -> LineItem:
    found = [i for i in est.items if i.key == key]
    assert len(found) == 1, f"{key}: {[i.key for i in est.items]}"
    return found[0]


def amount(est: Estimate, key: str) -> tuple[Decimal, Decimal]:
    a = item(est, key).amount
    assert a is not None
    return a.low, a.high


def keys(est: Estimate) -> list[str]:
    return [i.key for i in est.items]


def test_china_mm_from_new_zealand_one_caregiver_in_nzd(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ", caregivers=1))
    assert est.currency == "NZD"  # default: the origin's currency
    # Durations: work-up 5-10, manufacturing spans a-cel 20-30 and b-cel 25-40 -> 20-40,
    # inpatient 14-21, nearby 14-28.
    assert est.days_to_infusion == Range(Decimal(25), Decimal(50))
    assert est.stay_days == Range(Decimal(53), Decimal(99))
    # Product: a-cel CNY 700,000 (low) .. b-cel CNY 2,100,000 (high); CNY -> NZD is x 2/7.
    assert amount(est, "product.price") == (200_000, 600_000)
    assert est.product_low.startswith("Acel") and est.product_high.startswith("Bcel China")
    # Work-up CNY 7,000-14,000.
    assert amount(est, "hospital.workup") == (2_000, 4_000)
    # Apheresis CNY 7,000, but b-cel includes it: low end 0.
    assert amount(est, "hospital.apheresis") == (0, 2_000)
    assert amount(est, "hospital.bridging") == (0, 2_000)
    assert amount(est, "hospital.lymphodepletion") == (4_000, 4_000)
    # Inpatient 14 x 700 = 9,800 CNY = 2,800 NZD; 21 x 1,400 = 29,400 CNY = 8,400 NZD.
    assert amount(est, "hospital.inpatient") == (2_800, 8_400)
    # Visits: 14/7 x 2 = 4 at CNY 70 = 280 CNY = 80 NZD; 28/7 x 3 = 12 at 140 = 1,680 CNY = 480 NZD.
    assert amount(est, "hospital.outpatient") == (80, 480)
    assert amount(est, "hospital.complications") == (0, 20_000)
    # Outside a ward: 5+20+14 = 39 .. 10+40+28 = 78 days; patient + 1 caregiver share a room,
    # the caregiver keeps it while the patient is inpatient: 39+14 = 53 .. 78+21 = 99 nights.
    # USD 50-100 a night -> NZD x2.
    assert amount(est, "living.lodging") == (53 * 50 * 2, 99 * 100 * 2)
    # Meals: 39 x 2 + 14 x 1 = 92 .. 78 x 2 + 21 = 177 person-days at USD 20-40.
    assert amount(est, "living.meals") == (92 * 20 * 2, 177 * 40 * 2)
    assert amount(est, "living.transport") == (53 * 10 * 2, 99 * 20 * 2)
    # Flights: NZD 2,000-3,000 each, 2 travellers.
    assert amount(est, "travel.flights") == (4_000, 6_000)
    # NZ is visa-free for 30 days; the stay (53-99) exceeds it: USD 50 x 2.
    assert amount(est, "travel.visa") == (200, 200)
    assert amount(est, "services.coordinator") == (2_000, 4_000)
    assert amount(est, "services.interpreter") == (0, 99 * 50 * 2)
    low = (
        200_000
        + 2_000
        + 0
        + 0
        + 4_000
        + 2_800
        + 80
        + 0
        + 5_300
        + 3_680
        + 1_060
        + 4_000
        + 200
        + 2_000
        + 0
    )
    high = (
        600_000
        + 4_000
        + 2_000
        + 2_000
        + 4_000
        + 8_400
        + 480
        + 20_000
        + 19_800
        + 14_160
        + 3_960
        + 6_000
        + 200
        + 4_000
        + 9_900
    )
    assert est.total == Range(Decimal(low), Decimal(high))


def test_total_is_exact_sum_of_items(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", origin="GB", caregivers=2, currency="CNY"))
    lows = sum((i.amount.low for i in est.items if i.amount), Decimal(0))
    highs = sum((i.amount.high for i in est.items if i.amount), Decimal(0))
    assert est.total == Range(lows, highs)


def test_without_origin_travel_is_not_included_and_currency_is_usd(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM"))
    assert est.currency == "USD"
    flights, visa = item(est, "travel.flights"), item(est, "travel.visa")
    assert flights.amount is None and visa.amount is None
    assert "--from" in flights.note
    # Product CNY 700,000 / 7 = USD 100,000.
    assert amount(est, "product.price") == (100_000, 300_000)


def test_domestic_scenario_has_no_flights_visa_or_services(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("US", "LBCL", origin="US"))
    assert not [k for k in keys(est) if k.startswith(("travel.", "services."))]
    assert est.currency == "USD"


def test_caregivers_travel_eat_and_need_visas(mini_rates: Rates) -> None:
    one = estimate(mini_rates, Scenario("CN", "MM", origin="GB", caregivers=1, currency="USD"))
    three = estimate(mini_rates, Scenario("CN", "MM", origin="GB", caregivers=3, currency="USD"))
    # GB visa fee GBP 100 = USD 200 per traveller: 2 vs 4 travellers.
    assert amount(one, "travel.visa") == (400, 400)
    assert amount(three, "travel.visa") == (800, 800)
    # Region-pair fare GBP 600-900 = USD 1,200-1,800 per traveller.
    assert amount(three, "travel.flights") == (4 * 1_200, 4 * 1_800)
    # Meals: 39 x 4 + 14 x 3 = 198 .. 78 x 4 + 21 x 3 = 375 person-days at USD 20-40.
    assert amount(three, "living.meals") == (198 * 20, 375 * 40)
    # Rooms: 4 people outside a ward -> 2 rooms; 3 caregivers while inpatient -> 2 rooms.
    assert amount(three, "living.lodging") == ((39 * 2 + 14 * 2) * 50, (78 * 2 + 21 * 2) * 100)


def test_stay_within_visa_free_days_pays_only_the_travel_authorisation(mini_rates: Rates) -> None:
    # US stay: work-up 7-14 + manufacturing 14-21 + inpatient 10-15 + nearby 14 = 45-64 days,
    # within NZ's 90 visa-free days: ESTA-like fee USD 21-40 each, not the B-2 fee.
    est = estimate(mini_rates, Scenario("US", "LBCL", origin="NZ", caregivers=1, currency="USD"))
    assert est.stay_days == Range(Decimal(45), Decimal(64))
    assert amount(est, "travel.visa") == (42, 80)


def test_stay_longer_than_visa_free_days_needs_the_visa(mini_rates: Rates) -> None:
    # No caregiver: the without-carer inpatient figure (28 days) applies; stay 63-77 days.
    est = estimate(mini_rates, Scenario("US", "LBCL", origin="NZ", caregivers=0, currency="USD"))
    assert est.stay_days == Range(Decimal(63), Decimal(77))
    assert est.notes
    # Still within 90 days; a Chinese patient has no visa-free days: B-2 USD 185-435.
    cn = estimate(mini_rates, Scenario("US", "LBCL", origin="CN", caregivers=0, currency="USD"))
    assert amount(cn, "travel.visa") == (185, 435)


def test_single_product_and_brand_lookup(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", products=("Acel",), origin="NZ"))
    assert [o.product for o in est.offers] == ["a-cel"]
    assert item(est, "hospital.apheresis").amount == Range(Decimal(2000), Decimal(2000))
    assert est.stay_days == Range(Decimal(5 + 20 + 14 + 14), Decimal(10 + 30 + 21 + 28))


def test_lives_nearby_drops_lodging_and_transport(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("US", "LBCL", origin="US", lives_nearby=True))
    assert "living.lodging" not in keys(est) and "living.transport" not in keys(est)
    assert "living.meals" in keys(est)


def test_conversion_happens_once_at_the_end(mini_rates: Rates) -> None:
    # Native amounts stay in the quoted currency; only `amount` is converted.
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    inpatient = item(est, "hospital.inpatient")
    assert inpatient.native_currency == "CNY"
    assert inpatient.native == Range(Decimal(9_800), Decimal(29_400))


@pytest.mark.parametrize(
    ("scenario", "error", "needle"),
    [
        (Scenario("XX", "MM"), UsageProblem, "unknown country"),
        (Scenario("CN", "MMM"), UsageProblem, "unknown indication"),
        (Scenario("CN", "MM", products=("z-cel",)), UsageProblem, "unknown product"),
        (Scenario("CN", "MM", currency="EURO"), UsageProblem, "unknown currency"),
        (Scenario("CN", "MM", origin="ZZ"), UsageProblem, "unknown origin country"),
        (Scenario("US", "MM"), NothingMatches, "no offer for MM in US"),
        (Scenario("NZ", "MM"), NothingMatches, "origin only"),
    ],
)
def test_bad_scenarios(
    mini_rates: Rates, scenario: Scenario, error: type[Exception], needle: str
) -> None:
    with pytest.raises(error, match=needle):
        estimate(mini_rates, scenario)


def test_no_offer_names_where_it_is_offered(mini_rates: Rates) -> None:
    with pytest.raises(NothingMatches) as info:
        estimate(mini_rates, Scenario("US", "MM"))
    assert "CN" in info.value.hint


def test_unknown_country_suggests_nearest(mini_rates: Rates) -> None:
    with pytest.raises(UsageProblem) as info:
        estimate(mini_rates, Scenario("CM", "MM"))
    assert "did you mean" in info.value.hint
    # A country's name is read as its code (aliases.py), in any case.
    assert estimate(mini_rates, Scenario("china", "MM")).scenario.country == "CN"
