"""Complications as events: the [events] schema, and the plain estimate's reserve line
computed by hand from tests/fixtures/mini.toml + tests/fixtures/budget-events.toml.

Fixture FX: 1 USD = 7 CNY = 2 NZD = 0.5 GBP. Events (each effect's high in brackets):
ICU 2-4 days [4] at CN icu_day CNY 2,100-3,500 (US: no icu_day, inpatient_day x 2);
readmission 1-3 ward days [3]; manufacturing failure 10-20 days' wait [20] and
apheresis + bridging again; drugs USD 100-300 [300].
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cartcost.engine import ICU_DAY_FACTOR, VisaRule
from cartcost.errors import RatesError
from cartcost.estimation import Estimate, LineItem, estimate
from cartcost.lines import Days, person_days, room_nights, rooms, stay_days
from cartcost.money import Range
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES

EVENTS = FIXTURES / "budget-events.toml"


@pytest.fixture
def rates() -> Rates:
    table, _ = load_rates(overlays=[EVENTS])
    return table


def item(est: Estimate, key: str) -> LineItem:
    found = [i for i in est.items if i.key == key]
    assert len(found) == 1, [i.key for i in est.items]
    return found[0]


def test_reserve_china_by_hand(rates: Rates, mini_rates: Rates) -> None:
    est = estimate(rates, Scenario("CN", "MM", origin="NZ", caregivers=1), draws=0)
    reserve = item(est, "hospital.complications")
    # The worst case, every event at once at its worst. In NZD (CNY x 2/7, USD x 2), all four events at their high:
    #   ICU 4 days x CNY 3,500                 = CNY 14,000 = 4,000
    #   readmission 3 ward days x CNY 1,400    = CNY  4,200 = 1,200
    #   apheresis CNY 7,000 + bridging 7,000   = CNY 14,000 = 4,000
    #   drugs USD 300                                       =   600
    # The stay grows by 20 days outside a ward and 7 in one (patient + 1 carer):
    #   lodging (20 x 1 room + 7 x 1 room) x USD 100        = 5,400
    #   meals (20 x 2 + 7 x 1 people) x USD 40               = 3,760
    #   transport 27 days x USD 20                           = 1,080
    #   interpreter 27 days x USD 50                         = 2,700
    # Visa: the stay (53-99 days) already exceeds NZ's 30 visa-free days: no change.
    assert est.worst_case == 22_740
    # The reserve's high end is the P95 of simulated journeys, below the worst case; it
    # replaces the per-country figure (CNY 0-70,000 = NZD 0-20,000) in the total.
    assert reserve.amount is not None and 0 < reserve.amount.high < 22_740
    plain = estimate(mini_rates, Scenario("CN", "MM", origin="NZ", caregivers=1))
    assert plain.total == Range(Decimal(225_120), Decimal(698_900))
    assert est.total == Range(Decimal(225_120), Decimal(698_900 - 20_000) + reserve.amount.high)
    assert "ev" in reserve.sources and "guess" not in reserve.sources[:1]
    assert "events.icu.icu_days" in reserve.figure_paths
    assert "countries.CN.hospital.icu_day" in reserve.figure_paths
    assert "countries.CN.hospital.complications" not in reserve.figure_paths
    assert "ICU admission 10–30%" in reserve.note and "22,740 NZD" in reserve.note
    assert "P95 of 400 simulated journeys" in reserve.note
    # The same reserve with or without the likely total's draws, in any currency.
    drawn = estimate(rates, Scenario("CN", "MM", origin="NZ", caregivers=1))
    assert item(drawn, "hospital.complications").amount == reserve.amount
    in_usd = estimate(rates, Scenario("CN", "MM", origin="NZ", caregivers=1, currency="USD"))
    usd = item(in_usd, "hospital.complications").amount
    assert usd is not None and abs(usd.high * 2 - reserve.amount.high) <= Decimal("0.02")


def test_reserve_us_uses_twice_the_ward_day_for_icu_and_pays_the_visa(rates: Rates) -> None:
    est = estimate(
        rates, Scenario("US", "LBCL", origin="NZ", caregivers=1, currency="USD"), draws=0
    )
    # ICU 4 days x (USD 5,000 ward day x 2)  = 40,000
    # readmission 3 x 5,000                  = 15,000
    # apheresis again (no bridging in US)    = 20,000
    # drugs                                  =    300
    # lodging 27 x 200 = 5,400; meals 47 x 80 = 3,760; transport 27 x 40 = 1,080
    # = 85,540. The visa is the visa line's: the stay (45-64 days) is within NZ's 90
    # visa-free days (ESTA-like USD 21-40), but 64 + 27 = 91 days needs the B-2 visa
    # (USD 185-435), so the visa line runs from 2 x 21 = 42 to 2 x 435 = 870.
    assert ICU_DAY_FACTOR == 2
    assert est.worst_case == 85_540
    assert item(est, "travel.visa").amount == Range(Decimal(42), Decimal(870))
    assert "countries.US.hospital.inpatient_day" in item(est, "hospital.complications").figure_paths


def test_reserve_at_home_near_the_centre(rates: Rates) -> None:
    est = estimate(rates, Scenario("US", "LBCL", origin="US", lives_nearby=True), draws=0)
    # No lodging, transport, visa or services: 40,000 + 15,000 + 20,000 + 300 + meals 3,760.
    assert est.worst_case == 79_060


def test_reserve_sits_after_the_hospital_lines(rates: Rates) -> None:
    est = estimate(rates, Scenario("CN", "MM", origin="NZ"))
    keys = [i.key for i in est.items]
    at = keys.index("hospital.complications")
    assert keys[at - 1] == "hospital.outpatient" and keys[at + 1] == "living.lodging"


def test_without_events_the_country_figure_is_the_reserve(mini_rates: Rates) -> None:
    assert not mini_rates.events
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    reserve = item(est, "hospital.complications")
    assert reserve.amount == Range(Decimal(0), Decimal(20_000))
    assert reserve.figure_paths == ("countries.CN.hospital.complications",)


def test_day_driven_quantities_count_rooms_and_people() -> None:
    # Outside a ward the patient and 2 caregivers share 2 rooms; inpatient, 2 carers 1 room.
    assert rooms(3) == 2 and rooms(2) == 1 and rooms(0) == 0
    d = Days(Decimal(3), Decimal(5), Decimal(4), Decimal(2), Decimal(1))  # 10 out, 4 in
    assert room_nights(d, 2) == 10 * 2 + 4 * 1
    assert person_days(d, 2) == 10 * 3 + 4 * 2
    assert stay_days(d, 2) == 14
    longer = d.longer(Decimal(20), Decimal(7))
    assert room_nights(longer, 1) - room_nights(d, 1) == 27


def test_visa_rule_by_nationality(rates: Rates) -> None:
    entry = rates.countries["US"].entry
    assert entry is not None
    rule = VisaRule.of(entry, "NZ", "countries.US.entry")
    assert rule.free_days == 90
    assert rule.free_fee is not None and rule.free_fee.range[1] == 40  # the ESTA-like fee
    assert rule.fee.range == (185, 435)


# ---------------------------------------------------------------- the schema


def overlay(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.toml"
    path.write_text(
        '[sources.t]\ntitle = "t"\npublisher = "p"\nurl = ""\npublished = 2026-01-01\n'
        'accessed = 2026-01-01\nkind = "assumption"\nnote = "test"\n\n' + text
    )
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RatesError) as info:
        load_rates(overlays=[overlay(tmp_path, text)])
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def test_probability_above_one_names_the_key_path(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\nprobability = { range = [0.2, 1.5], sources = ["t"] }\n'
        'icu_days = { range = [1, 2], sources = ["t"] }\n',
    )
    assert found == [
        "events.icu.probability: a probability must be within 0..1 (0.25 means 25%), got high 1.5"
    ]


def test_percent_written_as_a_whole_number_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\nprobability = { range = [16, 35], sources = ["t"] }\n'
        'icu_days = { range = [1, 2], sources = ["t"] }\n',
    )
    assert len(found) == 1 and found[0].startswith("events.icu.probability: a probability")


def test_typical_outside_the_range_names_the_key_path(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\n'
        'probability = { range = [0.1, 0.3], typical = 0.5, sources = ["t"] }\n'
        'icu_days = { range = [2, 4], typical = 9, sources = ["t"] }\n',
    )
    assert sorted(found) == [
        "events.icu.icu_days: typical 9 is outside the range [2, 4]",
        "events.icu.probability: typical 0.5 is outside the range [0.1, 0.3]",
    ]


def test_negative_probability_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\nprobability = { range = [-0.1, 0.3], sources = ["t"] }\n'
        'cost = { range = [1, 2], currency = "USD", sources = ["t"] }\n',
    )
    assert found == ["events.icu.probability.range[0]: must not be negative, got -0.1"]


def test_event_without_effect_and_bad_references(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.nothing]\nlabel = "Nothing"\nprobability = { range = [0, 1], sources = ["t"] }\n\n'
        '[events.bad]\nlabel = "Bad"\nprobability = { range = [0, 1], sources = ["nope"] }\n'
        'repeat = ["massage"]\n'
        'cost = { range = [1, 2], currency = "XYZ", sources = ["t"] }\n\n'
        '[events.Bad_Id]\nlabel = "x"\nprobability = { range = [0, 1], sources = ["t"] }\n'
        'wait_days = { range = [1, 2], sources = ["t"] }\n',
    )
    text = "\n".join(found)
    assert "events.nothing: an event needs an effect" in text
    assert "events.bad.repeat[0]:" in text and "apheresis" in text
    assert "events.bad.probability.sources: unknown source id 'nope'" in text
    assert "events.bad.cost.currency: currency XYZ has no rate in [fx.rates]" in text
    assert "an event id is lower-case words joined by '-', got 'Bad_Id'" in text


def test_unknown_key_in_an_event(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\nprobability = { range = [0, 1], sources = ["t"] }\n'
        'icu_days = { range = [1, 2], sources = ["t"] }\nicu_nights = 3\n',
    )
    assert len(found) == 1
    assert found[0].startswith("events.icu.icu_nights: unknown key; allowed here: label,")


def test_the_real_table_has_sourced_events(real_table: Path) -> None:
    table, _ = load_rates()
    assert set(table.events) == {"icu", "severe-crs-icans", "manufacturing-failure", "readmission"}
    for ev in table.events.values():
        low, high = ev.probability.range
        assert 0 < low < high < 1
        for sid in ev.probability.sources:
            assert table.sources[sid].kind != "assumption"  # incidences are all sourced
    assert table.events["manufacturing-failure"].repeat == ("apheresis",)
    est = estimate(table, Scenario("CN", "MM", origin="NZ"))
    reserve = item(est, "hospital.complications")
    assert reserve.amount is not None and reserve.amount.low == 0 < reserve.amount.high
    assert "car-icu-trends-2024" in reserve.sources


def test_an_event_may_have_its_own_probability_for_an_indication(tmp_path: Path) -> None:
    """by_indication: MM's manufacturing failure always happens, LBCL keeps 5-10%."""
    table, _ = load_rates(
        overlays=[
            EVENTS,
            overlay(
                tmp_path,
                "[events.manufacturing-failure.by_indication]\n"
                'MM = { range = [1, 1], sources = ["t"] }\n',
            ),
        ]
    )
    from cartcost.budget import simulate
    from cartcost.engine import events_for

    odds = {eid: ev.probability.range for eid, ev in events_for(table, "MM")}
    assert odds["manufacturing-failure"] == (Decimal(1), Decimal(1))
    other = {eid: ev.probability.range for eid, ev in events_for(table, "LBCL")}
    assert other["manufacturing-failure"] == (Decimal("0.05"), Decimal("0.1"))
    mm = estimate(table, Scenario("CN", "MM", origin="NZ"), draws=0)
    b = simulate(table, mm, 2000, seed=1)
    failed = {e.id: e.happened for e in b.events}["manufacturing-failure"]
    assert failed == 1  # every journey re-collects and waits again
    # The reserve's note gives the indication's own odds.
    assert "Manufacturing failure 100%" in item(mm, "hospital.complications").note


def test_by_indication_names_an_unknown_indication(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[events.icu]\nlabel = "ICU"\nprobability = { range = [0.1, 0.3], sources = ["t"] }\n'
        'icu_days = { range = [1, 2], sources = ["t"] }\n'
        'by_indication = { XYZ = { range = [0.1, 0.2], sources = ["t"] } }\n',
    )
    assert len(found) == 1 and found[0].startswith(
        "events.icu.by_indication.XYZ: unknown indication 'XYZ'"
    ), found
