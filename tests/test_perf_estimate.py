"""estimate()'s memo of the complications reserve: worked out once per kind of journey
and table, it must give exactly the estimates worked out afresh, never those of another
table; and resolve() must carry every field of the scenario."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartcost import estimation as model
from cartcost.errors import CartcostError
from cartcost.estimation import Estimate, estimate, resolve
from cartcost.rates import Rates, validate
from cartcost.ratesfile import merge, read_toml
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES, MINI

BASE: dict[str, Any] = tomllib.loads(MINI.read_text(), parse_float=Decimal)


def _rates(**changes: Decimal) -> Rates:
    """mini.toml, optionally with CN's work-up and lodging figures changed."""
    data = merge(BASE, {})
    cn = data["countries"]["CN"]
    if "workup" in changes:
        cn["hospital"]["workup"]["range"] = [changes["workup"], changes["workup"]]
    if "lodging" in changes:
        cn["living"]["lodging_night"]["range"] = [changes["lodging"], changes["lodging"]]
    return validate(data, "mini")


MINI_RATES = _rates()
HOME_RATES = validate(merge(read_toml(MINI), read_toml(FIXTURES / "compare-home.toml")), "home")


def _forget() -> None:
    """Empty every memo of the estimate and the engine (what they keep per figure, line,
    plan's lines, kind of journey)."""
    from cartcost import engine, whopays

    for memo in (
        model._RESERVES,
        model._WORST,
        model._ITEMS,
        model._BASES,
        model._RESERVE_KEYS,
        model._PRODUCTS,
        whopays._MAY,
        model._OFFERS,
        model._CHOICES,
        engine._FIGURES,
        engine._NATIVE,
        engine._ENDS,
        engine._LINES,
        engine._LINES_ENDS,
        engine._MONEY,
        engine._VISA_RULES,
        engine._SHARED,
        engine._DAYS,
        engine._VISAS,
    ):
        memo.clear()


def _fresh(rates: Rates, scenario: Scenario) -> Estimate | str:
    """The estimate with the memo emptied first: worked out from scratch."""
    _forget()
    return _run(rates, scenario)


def _run(rates: Rates, scenario: Scenario) -> Estimate | str:
    try:
        return estimate(rates, scenario)
    except CartcostError as err:
        return f"{type(err).__name__}: {err}"


scenarios = st.builds(
    Scenario,
    country=st.sampled_from(["CN", "US", "GB", "SG", "cn"]),
    indication=st.sampled_from(["MM", "LBCL", "mm"]),
    products=st.sampled_from([(), ("a-cel",), ("a-cel", "b-cel"), ("Bcel",), ("x-cel",)]),
    origin=st.sampled_from([None, "NZ", "GB", "CN", "US", "gb"]),
    caregivers=st.integers(0, 4),
    currency=st.sampled_from([None, "USD", "CNY", "NZD", "GBP", "usd"]),
    lives_nearby=st.booleans(),
    pathways=st.sampled_from([(), ("commercial",), ("academic", "trial")]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(scenarios, min_size=1, max_size=6), st.sampled_from([MINI_RATES, HOME_RATES]))
def test_cached_estimates_equal_fresh_ones(batch: list[Scenario], rates: Rates) -> None:
    fresh = [_fresh(rates, s) for s in batch]
    _forget()
    # Twice over with the cache warm (every line cached the second time), in order.
    assert [_run(rates, s) for s in batch] == fresh
    assert [_run(rates, s) for s in batch] == fresh


def test_a_changed_table_is_never_answered_from_the_cache_of_another() -> None:
    # CN's figures are in CNY: shown in CNY, the amounts are the figures themselves.
    sc = Scenario(country="CN", indication="MM", origin="NZ", currency="CNY")
    cheap, dear = (
        _rates(workup=Decimal(100), lodging=Decimal(10)),
        _rates(workup=Decimal(900), lodging=Decimal(90)),
    )
    for _ in range(3):  # alternate, so each table's cache is warm when the other runs
        a, b = estimate(cheap, sc), estimate(dear, sc)
        workup_a = next(i for i in a.items if i.key == "hospital.workup")
        workup_b = next(i for i in b.items if i.key == "hospital.workup")
        assert workup_a.amount is not None and workup_b.amount is not None
        assert (workup_a.amount.low, workup_b.amount.low) == (100, 900)
        lodging_a = next(i for i in a.items if i.key == "living.lodging")
        lodging_b = next(i for i in b.items if i.key == "living.lodging")
        assert lodging_a.rate is not None and lodging_b.rate is not None
        assert (lodging_a.rate.low, lodging_b.rate.low) == (10, 90)


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget()
    monkeypatch.setattr(model, "_MAX_RESERVES", 3)
    sc = Scenario(country="CN", indication="MM")
    tables = [_rates(workup=Decimal(100 + n)) for n in range(6)]
    for n, rates in enumerate(tables):
        item = next(i for i in estimate(rates, sc).items if i.key == "hospital.workup")
        assert item.amount is not None
        # Fixture FX: 1 USD = 7 CNY; CN's work-up is quoted in CNY, shown in USD.
        assert item.amount.low == Decimal(100 + n) / 7
        assert len(model._RESERVES) <= 3 and len(model._WORST) <= 3


def test_resolve_carries_every_field_of_the_scenario() -> None:
    # resolve() names each field rather than calling _replace: a new field
    # of Scenario must be added there too.
    assert list(Scenario._fields) == [
        "country",
        "indication",
        "products",
        "origin",
        "caregivers",
        "currency",
        "lives_nearby",
        "pathways",
        "hospital",
        "living",
        "city",
        "age",
        "cover",
        "perspective",
        "reimbursement",
        "income",
        "transfer",
    ]
    sc = Scenario(
        country="cn",
        indication="mm",
        products=("Acel",),
        origin="gb",
        caregivers=3,
        currency="nzd",
        lives_nearby=True,
        pathways=("commercial",),
    )
    assert resolve(MINI_RATES, sc) == sc._replace(
        country="CN",
        indication="MM",
        products=("a-cel",),
        origin="GB",
        currency="NZD",
        hospital="private",  # the defaults: mini.toml's CN names no usual kind or city
        living="standard",
        city="other",
        perspective="family",  # the default perspective; the cover stays as given (None)
        transfer="bank",  # the family's own bank sends the money
    )


@pytest.mark.parametrize(("country", "indication"), [("CN", "MM"), ("US", "LBCL")])
def test_repeated_estimates_are_equal(country: str, indication: str) -> None:
    sc = Scenario(country=country, indication=indication, origin="NZ", caregivers=2)
    first = _fresh(MINI_RATES, sc)
    assert isinstance(first, Estimate)
    second = estimate(MINI_RATES, sc)
    assert second == first and second.total == first.total
    assert [i.key for i in second.items] == [i.key for i in first.items]


def _figures_of(est: Estimate) -> tuple[object, ...]:
    """Everything of an estimate but what only a reader needs (notes, bases, the notes of
    the reserve and the transfer fee)."""
    items = tuple(
        (
            i.key,
            i.category,
            i.amount,
            i.native,
            i.native_currency,
            i.quantity,
            i.rate,
            i.paid_by,
            i.figure_paths if i.key != "hospital.complications" else (),
        )
        for i in est.items
    )
    return (
        items,
        est.scenario,
        est.currency,
        est.total,
        est.you_pay,
        est.stay_days,
        est.days_to_infusion,
        est.offers,
        est.choices,
        est.worst_case,
        est.who_pays,
        est.product_low,
        est.product_high,
    )


def _real_rates() -> Rates:
    from tests.conftest import shared_real_rates

    rates: Rates = shared_real_rates()
    return rates


real_scenarios = st.builds(
    Scenario,
    country=st.sampled_from(["CN", "US", "GB", "SG", "IN", "DE", "ES", "AU", "IL", "FR"]),
    indication=st.sampled_from(["MM", "LBCL", "B-ALL"]),
    origin=st.sampled_from([None, "NZ", "GB", "CN", "US", "DE", "SA", "IE", "ES"]),
    caregivers=st.integers(0, 3),
    currency=st.sampled_from([None, "USD", "EUR"]),
    lives_nearby=st.booleans(),
    hospital=st.sampled_from([None, "public", "private", "any"]),
    living=st.sampled_from([None, "budget", "comfort", "any"]),
    cover=st.sampled_from([None, "public", "insured", "none"]),
    perspective=st.sampled_from([None, "family", "payer", "societal"]),
    reimbursement=st.sampled_from([None, "nhs-s2", "eu-cross-border-directive"]),
    income=st.sampled_from([None, Decimal(52000)]),
    transfer=st.sampled_from([None, "bank", "specialist", "any"]),
)


@settings(max_examples=200, deadline=None)
@given(real_scenarios)
def test_an_estimate_without_narrative_has_every_figure_of_the_full_one(sc: Scenario) -> None:
    rates = _real_rates()
    try:
        full = estimate(rates, sc, draws=0)
    except CartcostError as err:
        with pytest.raises(type(err)):
            estimate(rates, sc, draws=0, narrative=False)
        return
    lean = estimate(rates, sc, draws=0, narrative=False)
    assert _figures_of(lean) == _figures_of(full)
    assert set(lean.notes) <= set(full.notes)
    assert all(i.basis == "" for i in lean.items)
