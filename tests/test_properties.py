"""Invariants of the cost model, checked over generated rate tables and scenarios.

The tables start from tests/fixtures/mini.toml (its shape, ids and sources) and draw every
number: each money figure's range and currency, every duration, the FX rates, the visa-free
days; optional items may be dropped and extra destinations cloned in. Scenarios draw the
destination, origin (or none), caregivers 0..6, display currency and the switches.

Invariants:
- 0 <= low <= high for every line item, the total, the stay and the days to infusion;
- the total is the exact sum of the included items;
- more caregivers, more days or a higher rate never lowers any line or the total;
- ranking destinations by total gives the same order in any display currency;
- a domestic scenario carries no flights, visas or services for foreign patients;
- CSV, JSON and the terminal table show the same numbers.

CARTCOST_PROPERTY_EXAMPLES raises the number of examples per test (default 30).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tomllib
from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cartcost.errors import CartcostError
from cartcost.estimation import Estimate, estimate
from cartcost.exports.csvjson import dumps, estimate_csv, estimate_json_obj
from cartcost.exports.fmt import plain, whole
from cartcost.money import Range
from cartcost.rates import Rates, validate
from cartcost.scenario import Scenario
from tests.conftest import MINI

EXAMPLES = int(os.environ.get("CARTCOST_PROPERTY_EXAMPLES", "30"))
PROPS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASE = tomllib.loads(MINI.read_text(), parse_float=Decimal)
CURRENCIES = ("USD", "CNY", "NZD", "GBP")
ORIGINS = ("NZ", "GB", "CN", "US")
# Extra destinations cloned from CN: (code, region), so flights resolve by region pair.
CLONES = (("JP", "east-asia"), ("DE", "europe"), ("CA", "north-america"))
OPTIONAL_HOSPITAL = ("bridging", "complications")
EXACT = Context(prec=200)


# ---------------------------------------------------------------- generated tables


def money_paths(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Key paths of every figure (a table with a `range`) in raw data."""
    if isinstance(node, dict):
        if "range" in node:
            yield path
            return
        for key, value in node.items():
            yield from money_paths(value, (*path, key))


def at(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node[key]
    return node


amounts = st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-2))  # 0 .. 1,000,000.00
spreads = st.integers(0, 10**7).map(lambda n: Decimal(n).scaleb(-2))
# 0.01 .. 1000: with amounts up to 1.1 million, every figure stays within the schema's
# limit of 1e9 in the base currency (schema.check_magnitudes).
fx_rates = st.integers(100, 10**7).map(lambda n: Decimal(n).scaleb(-4))


@st.composite
def money_range(draw: st.DrawFn) -> list[Decimal]:
    low = draw(amounts)
    return [low, low + draw(spreads)]


@st.composite
def day_range(draw: st.DrawFn, top: int = 60) -> list[int]:
    low = draw(st.integers(0, top))
    return [low, low + draw(st.integers(0, top))]


@st.composite
def rate_tables(draw: st.DrawFn, sane_visa_free_fee: bool = True) -> dict[str, Any]:
    """A valid table in mini.toml's shape with every number drawn.

    sane_visa_free_fee keeps a visa-free travel fee (ESTA-like) no dearer than the visa
    itself, as in every real table; without it the fees are drawn independently.
    """
    data = copy.deepcopy(BASE)
    data["fx"]["rates"] = {"USD": Decimal(1), **{c: draw(fx_rates) for c in CURRENCIES[1:]}}
    for code, region in draw(st.lists(st.sampled_from(CLONES), max_size=3, unique=True)):
        clone = copy.deepcopy(data["countries"]["CN"])
        clone.update(name=f"Clone {code}", region=region, currency="USD")
        data["countries"][code] = clone
    for cc, country in data["countries"].items():
        if "offers" not in country:
            continue
        for key in OPTIONAL_HOSPITAL:
            if key in country["hospital"] and draw(st.booleans()):
                del country["hospital"][key]
        if "services" in country and draw(st.booleans()):
            del country["services"]
        durations = country["durations"]
        for key in ("workup_days", "inpatient_days", "nearby_days"):
            durations[key]["range"] = draw(day_range())
        durations["outpatient_visits_per_week"]["range"] = draw(day_range(top=4))
        if draw(st.booleans()):
            low = max(durations["inpatient_days"]["range"][1], draw(st.integers(0, 40)))
            durations["inpatient_days_without_carer"] = {
                "range": [low, low + draw(st.integers(0, 10))],
                "sources": ["guess"],
            }
        else:
            durations.pop("inpatient_days_without_carer", None)
        for offer in country["offers"].values():
            offer["manufacturing_days"]["range"] = draw(day_range())
            offer["includes"] = draw(
                st.lists(st.sampled_from(["workup", "apheresis", "lymphodepletion"]), unique=True)
            )
        entry = country["entry"]
        entry["visa_free_days"] = {
            o: draw(st.integers(0, 180))
            for o in draw(st.lists(st.sampled_from(ORIGINS), unique=True))
            if o != cc
        }
        if draw(st.booleans()):
            entry["visa_free_fee"] = {
                "default": {"range": [0, 0], "currency": "USD", "sources": ["off"]}
            }
        else:
            entry.pop("visa_free_fee", None)
    # A fare for every region pair, so every origin reaches every destination.
    regions = data["flights"]["regions"]
    used = sorted({c["region"] for c in data["countries"].values()})
    for i, a in enumerate(used):
        for b in used[i:]:
            if b not in regions.get(a, {}) and a not in regions.get(b, {}):
                regions.setdefault(a, {})[b] = {
                    "fare": {"range": [0, 0], "currency": "USD", "sources": ["guess"]}
                }
    for path in money_paths({k: v for k, v in data.items() if k != "sources"}):
        figure = at(data, path)
        if "currency" not in figure:
            continue  # a duration, drawn above
        figure["range"] = draw(money_range())
        figure["currency"] = draw(st.sampled_from(CURRENCIES))
    if sane_visa_free_fee:
        for country in data["countries"].values():
            entry = country.get("entry", {})
            free = entry.get("visa_free_fee", {}).get("default")
            if free is not None:
                # No dearer than the cheapest visa, in USD: [0, cheapest low].
                cheapest = min(
                    EXACT.divide(f["range"][0], data["fx"]["rates"][f["currency"]])
                    for f in entry["visa_fee"].values()
                )
                free["currency"] = "USD"
                free["range"] = [
                    Decimal(0),
                    cheapest.quantize(Decimal("0.01"), rounding="ROUND_DOWN"),
                ]
    return data


@st.composite
def scenarios(draw: st.DrawFn, data: dict[str, Any]) -> Scenario:
    dests = sorted(cc for cc, c in data["countries"].items() if "offers" in c)
    country = draw(st.sampled_from(dests))
    indications = sorted(
        {i for o in data["countries"][country]["offers"].values() for i in o["indications"]}
    )
    return Scenario(
        country=country,
        indication=draw(st.sampled_from(indications)),
        origin=draw(st.sampled_from([None, *ORIGINS, country])),
        caregivers=draw(st.integers(0, 6)),
        currency=draw(st.sampled_from([None, *CURRENCIES])),
        lives_nearby=draw(st.booleans()),
    )


def run(data: dict[str, Any], scenario: Scenario) -> Estimate:
    return estimate(validate(data), scenario)


def items_by_key(est: Estimate) -> dict[str, Range]:
    return {i.key: i.amount for i in est.items if i.amount is not None}


def exact_sum(values: list[Decimal]) -> Decimal:
    acc = Decimal(0)
    for v in values:
        acc = EXACT.add(acc, v)
    return acc


def assert_not_lower(before: Estimate, after: Estimate) -> None:
    """Every line present before is no lower after, and so is the total."""
    a, b = items_by_key(before), items_by_key(after)
    for key, r in a.items():
        assert key in b, key
        assert b[key].low >= r.low, (key, r, b[key])
        assert b[key].high >= r.high, (key, r, b[key])
    assert after.total.low >= before.total.low
    assert after.total.high >= before.total.high


# ---------------------------------------------------------------- the invariants


@PROPS
@given(data=st.data())
def test_low_le_high_and_total_is_exact_sum(data: st.DataObject) -> None:
    table = data.draw(rate_tables(sane_visa_free_fee=False))
    est = run(table, data.draw(scenarios(table)))
    included = [i.amount for i in est.items if i.amount is not None]
    for item in est.items:
        if item.amount is not None:
            assert 0 <= item.amount.low <= item.amount.high, item
        if item.native is not None:
            assert 0 <= item.native.low <= item.native.high, item
    assert 0 <= est.total.low <= est.total.high
    assert 0 <= est.stay_days.low <= est.stay_days.high
    assert est.days_to_infusion.low <= est.days_to_infusion.high
    assert est.days_to_infusion.high <= est.stay_days.high
    assert est.total.low == exact_sum([r.low for r in included])
    assert est.total.high == exact_sum([r.high for r in included])


@PROPS
@given(data=st.data())
def test_more_caregivers_never_lower_any_total(data: st.DataObject) -> None:
    table = data.draw(rate_tables())
    sc = data.draw(scenarios(table))
    rates = validate(table)
    without_carer = rates.countries[sc.country].durations.inpatient_days_without_carer  # type: ignore[union-attr]
    # With no caregiver a longer inpatient stay may apply (NICE: 28 days in hospital
    # without a carer): going from 0 to 1 caregiver may shorten it, on purpose.
    low_c = max(sc.caregivers, 1) if without_carer is not None else sc.caregivers
    more = data.draw(st.integers(low_c + 1, 7))
    before = estimate(rates, sc._replace(caregivers=low_c))
    after = estimate(rates, sc._replace(caregivers=more))
    assert_not_lower(before, after)


DURATION_KEYS = ("workup_days", "inpatient_days", "nearby_days", "outpatient_visits_per_week")


@PROPS
@given(data=st.data())
def test_more_days_never_lower_any_total(data: st.DataObject) -> None:
    table = data.draw(rate_tables())
    sc = data.draw(scenarios(table))
    before = run(table, sc)
    longer = copy.deepcopy(table)
    country = longer["countries"][sc.country]
    which = data.draw(st.sampled_from([*DURATION_KEYS, "manufacturing", "without_carer"]))
    if which == "manufacturing":
        figure = country["offers"][data.draw(st.sampled_from(sorted(country["offers"])))][
            "manufacturing_days"
        ]
    elif which == "without_carer":
        assume("inpatient_days_without_carer" in country["durations"])
        figure = country["durations"]["inpatient_days_without_carer"]
    else:
        figure = country["durations"][which]
    add_low, add_high = data.draw(st.integers(0, 30)), data.draw(st.integers(0, 30))
    low, high = figure["range"]
    figure["range"] = [low + add_low, high + add_low + add_high]
    assert_not_lower(before, run(longer, sc))


@PROPS
@given(data=st.data())
def test_higher_rate_never_lowers_any_total(data: st.DataObject) -> None:
    table = data.draw(rate_tables())
    sc = data.draw(scenarios(table))
    before = run(table, sc)
    dearer = copy.deepcopy(table)
    money = [
        p
        for p in money_paths({k: v for k, v in dearer.items() if k != "sources"})
        if "currency" in at(dearer, p) and "visa_free_fee" not in p
    ]
    figure = at(dearer, data.draw(st.sampled_from(money)))
    add_low, add_high = data.draw(amounts), data.draw(amounts)
    low, high = figure["range"]
    figure["range"] = [low + add_low, high + add_low + add_high]
    assert_not_lower(before, run(dearer, sc))


@PROPS
@given(data=st.data())
def test_ranking_is_the_same_in_every_currency(data: st.DataObject) -> None:
    table = data.draw(rate_tables(sane_visa_free_fee=False))
    rates = validate(table)
    origin = data.draw(st.sampled_from([None, *ORIGINS]))
    caregivers = data.draw(st.integers(0, 6))
    a, b = data.draw(st.lists(st.sampled_from(CURRENCIES), min_size=2, max_size=2, unique=True))

    def totals(currency: str, end: str) -> dict[str, Decimal]:
        out = {}
        for cc in rates.destinations():
            for ind in ("MM", "LBCL"):
                try:
                    est = estimate(
                        rates,
                        Scenario(cc, ind, origin=origin, caregivers=caregivers, currency=currency),
                    )
                except CartcostError:
                    continue
                out[f"{cc}/{ind}"] = getattr(est.total, end)
        return out

    for end in ("low", "high"):
        in_a, in_b = totals(a, end), totals(b, end)
        assert set(in_a) == set(in_b)
        keys = sorted(in_a)
        for x in keys:
            for y in keys:
                # Ties aside: a difference within conversion rounding (28 digits) is a tie.
                gap = in_a[y] - in_a[x]
                if gap > abs(in_a[y]) * Decimal("1e-20"):
                    assert in_b[y] > in_b[x], (end, x, y, in_a, in_b)


@PROPS
@given(data=st.data())
def test_domestic_scenarios_carry_no_flights_or_visas(data: st.DataObject) -> None:
    table = data.draw(rate_tables())
    sc = data.draw(scenarios(table))
    # Codes in any case are the same country.
    domestic = Scenario(
        sc.country.lower(), sc.indication, origin=sc.country, caregivers=sc.caregivers
    )
    est = run(table, domestic)
    assert est.scenario.domestic
    categories = {i.category for i in est.items}
    assert "travel" not in categories and "services" not in categories
    assert not [i for i in est.items if "flight" in i.key or "visa" in i.key]
    assert est.currency == table["countries"][sc.country]["currency"]


def table_numbers(est: Estimate) -> dict[str, tuple[str, str]]:
    """Low/high cells per item label from the rendered terminal table."""
    from cartcost.render.table import estimate_table, make_console

    buf = io.StringIO()
    make_console(width=400, file=buf).print(estimate_table(est))
    found: dict[str, tuple[str, str]] = {}
    labels = {i.label for i in est.items} | {"Total"}
    for line in buf.getvalue().splitlines():
        text = line.strip()
        for label in labels:
            if text.startswith(label + " ") and text[len(label) :].split():
                cells = text[len(label) :].split()
                if len(cells) == 2:
                    found[label] = (cells[0], cells[1])
    return found


@PROPS
@given(data=st.data())
def test_csv_json_and_table_hold_the_same_numbers(data: st.DataObject) -> None:
    table = data.draw(rate_tables(sane_visa_free_fee=False))
    est = run(table, data.draw(scenarios(table)))
    rows = list(csv.DictReader(io.StringIO(estimate_csv(est))))
    # Through text, as a careful reader sees it: JSON numbers read as decimals.
    doc = json.loads(dumps(estimate_json_obj(est)), parse_float=Decimal)
    assert len(rows) == len(est.items) + 1 == len(doc["items"]) + 1
    shown = table_numbers(est)
    for row, item, obj in zip(rows, est.items, doc["items"], strict=False):
        assert row["item"] == obj["item"] == item.label
        if item.amount is None:
            assert row["low"] == row["high"] == "" and obj["low"] is None
            continue
        for end in ("low", "high"):
            exported = Decimal(row[end])
            # To the cent, rounded down or up so that the items add up to the total.
            assert abs(exported - getattr(item.amount, end)) < Decimal("0.01")
            assert Decimal(obj[end]) == exported, (end, obj[end], row[end])
            # The table shows the exported amount to the unit, rounded down or up so
            # that the lines add up to the total as shown.
            near = {
                whole(exported.to_integral_value(rounding=r)) for r in (ROUND_FLOOR, ROUND_CEILING)
            }
            assert shown[item.label][("low", "high").index(end)] in near
    total = rows[-1]
    assert total["category"] == "total"
    for end in ("low", "high"):
        assert Decimal(total[end]) == Decimal(doc["total"][end])
        assert Decimal(total[end]) == Decimal(plain(getattr(est.total, end)))
        assert shown["Total"][("low", "high").index(end)] == whole(Decimal(total[end]))
        added = sum(Decimal(r[end]) for r in rows[:-1] if r[end])
        assert added == Decimal(total[end])


# ---------------------------------------------------------------- the generator itself


def test_generator_makes_valid_tables_of_every_shape() -> None:
    """The strategies above must produce valid tables, or the properties prove nothing."""
    seen: set[str] = set()

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        table = data.draw(rate_tables(sane_visa_free_fee=data.draw(st.booleans())))
        rates: Rates = validate(table)
        seen.update(rates.destinations())
        sc = data.draw(scenarios(table))
        try:
            estimate(rates, sc)
        except CartcostError as err:  # e.g. no fare for a cloned route: a clean refusal
            pytest.fail(f"generated scenario refused: {err.message}")

    check()
    assert {"CN", "US"} <= seen


@given(st.integers(0, 10**30), st.booleans())
def test_json_numbers_are_exact_to_the_cent_at_any_size(cents_: int, negative: bool) -> None:
    """A float holds an amount to the cent only below about 1e13; past that the JSON text
    still carries every digit, as the CSV does (a reader may parse it as a decimal)."""
    from cartcost.exports.fmt import json_number

    amount = Decimal(-cents_ if negative else cents_).scaleb(-2)
    text = dumps({"amount": json_number(amount)})
    assert json.loads(text, parse_float=Decimal)["amount"] == Decimal(plain(amount))
    assert Decimal(text.split(":")[1].strip(" }\n")) == Decimal(plain(amount))
