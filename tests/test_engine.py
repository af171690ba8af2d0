"""The one engine: both evaluators read the same declarations. Collapsed to points, the
plain-Python draws and the NumPy draws equal the Decimal ends; the worst case is the
draw with every uniform at its top; choices and offers are drawn whole per journey."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest

from cartcost import engine, kept_draws
from cartcost import lines as L
from cartcost.estimation import estimate, resolve, select_offers
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES
from tests.test_budget import collapse, variant


def plan_for(rates: Rates, sc: Scenario) -> engine.Plan:
    sc = resolve(rates, sc)
    return engine.plan(rates, sc, select_offers(rates, sc))


@pytest.mark.parametrize("to", [0, 1])
def test_collapsed_draws_equal_the_ends_in_both_backends(to: int) -> None:
    rates = variant(collapse(to))
    sc = Scenario("CN", "MM", products=("a-cel",), origin="GB", caregivers=2)
    est = estimate(rates, sc, draws=0)
    p = plan_for(rates, sc)
    pr = engine.prepare(p)
    small = engine.draw_small(pr, 50, seed=3)
    many = engine.draw(pr, engine.NumpyBackend(3, 50))
    for item in est.items:
        if item.amount is None:
            continue
        want = float(item.amount.low)
        assert all(abs(x - want) <= 1e-9 * max(1.0, want) for x in small.lines[item.key])
        assert np.allclose(many.lines[item.key], want, rtol=1e-12, atol=1e-9)


def test_the_worst_case_is_every_uniform_at_its_top() -> None:
    rates, _ = load_rates(overlays=[FIXTURES / "budget-events.toml"])
    p = plan_for(rates, Scenario("CN", "MM", origin="NZ", caregivers=1))
    worst = engine.worst(engine.prepare(p))
    # Every line at its high end, as the Decimal evaluator gives it.
    found, _, _ = engine.ends(p)
    for e in found:
        assert worst.lines[e.line.key] == pytest.approx(float(e.amount.high)), e.line.key
    # tests/test_budget_events.py works the reserve out by hand: NZD 22,740.
    assert worst.lines[L.RESERVE] == pytest.approx(22_740)


def test_any_draws_one_combination_per_journey() -> None:
    rates, _ = load_rates(overlays=[FIXTURES / "choices.toml"])
    p = plan_for(rates, Scenario("CN", "MM", currency="USD", hospital="any", living="any"))
    assert len(p.combos) == 6
    d = engine.draw_small(engine.prepare(p), 2000, seed=1)
    ward = [x / q for x, q in zip(d.lines["hospital.inpatient"], [1.0] * 2000, strict=True)]
    # Public (CNY 700 = USD 100 a day) or private (USD 300-400): never in between.
    assert min(ward) >= 14 * 100 and max(ward) <= 21 * 400
    public_like = sum(1 for x in ward if x <= 21 * 100)
    assert 0.4 < public_like / 2000 < 0.6


def test_prices_of_one_city_move_together() -> None:
    rates, _ = load_rates(overlays=[FIXTURES / "choices.toml"])
    p = plan_for(rates, Scenario("CN", "MM", products=("a-cel",), currency="USD"))
    many = engine.draw(engine.prepare(p), engine.NumpyBackend(7, 200_000))
    # Per-unit prices: divide out the quantities (the stay), which are shared anyway.
    lodging = many.lines["living.lodging"]
    meals = many.lines["living.meals"]
    transport = many.lines["living.transport"]
    stay = many.stay
    r = np.corrcoef(meals / stay, transport / stay)[0, 1]
    assert r > 0.3  # independent prices would give about 0
    assert np.corrcoef(lodging, meals)[0, 1] > 0.5


def test_vec_arithmetic_matches_floats() -> None:
    rng = random.Random(1)
    a = engine.Vec([rng.random() for _ in range(10)])
    b = engine.Vec([rng.random() for _ in range(10)])
    assert list(a + b) == [x + y for x, y in zip(a, b, strict=True)]
    assert list(2 * a - b / 4) == [2 * x - y / 4 for x, y in zip(a, b, strict=True)]
    assert list(1.0 - a) == [1.0 - x for x in a]
    assert list(a > 0.5) == [float(x > 0.5) for x in a]
    lb = engine.ListBackend(rng, 10)
    assert list(lb.triangular(a, 1.0, 1.0, 1.0)) == [1.0] * 10
    tri = lb.triangular(a, 0.0, 0.5, 1.0)
    one = engine.Backend(rng)
    assert list(tri) == [one.triangular(x, 0.0, 0.5, 1.0) for x in a]


def test_list_backend_fused_draws_match_the_steps() -> None:
    """ListBackend's one-pass draws (a price from its group's mixed uniform; a choice of
    alternatives per journey) give the floats of the steps they fuse, and draw as many
    numbers."""
    rng = random.Random(8)
    for a, c, hi in ((1.0, 2.0, 4.0), (3.0, 3.0, 9.5), (0.5, 7.0, 7.0), (2.0, 2.0, 2.0)):
        shared = engine.Vec([rng.random() for _ in range(50)])
        fused, steps = (
            engine.ListBackend(random.Random(3), 50),
            engine.ListBackend(random.Random(3), 50),
        )
        got = fused.mixed_triangular(shared, 0.8, "x", a, c, hi)
        want = engine.Backend.mixed_triangular(steps, shared, 0.8, "x", a, c, hi)
        assert type(got) is engine.Vec and got == want
        assert fused.rng.random() == steps.rng.random()
    alts = [engine.Tri(1.0, 2.0, 4.0), engine.Tri(5.0, 5.0, 5.0), engine.Tri(0.0, 3.0, 3.0)]
    lb = engine.ListBackend(rng, 60)
    u = engine.Vec([*(rng.random() for _ in range(58)), 0.0, 1.0])
    which = [rng.randrange(3) for _ in range(60)]
    assert lb.choose(u, alts, which) == engine.Backend.choose(lb, u, alts, which)


def test_decimal_ends_are_exact() -> None:
    rates = variant(collapse(1))
    p = plan_for(rates, Scenario("CN", "MM", products=("a-cel",), origin="GB"))
    found, low, high = engine.ends(p)
    for e in found:
        assert isinstance(e.amount.low, Decimal) and e.amount.low == e.amount.high
    assert low.stay == high.stay


# ---------------------------------------------------------------- common random numbers


def test_a_named_uniform_is_one_stream_whatever_else_is_drawn() -> None:
    first = engine.NumpyBackend(11, 1000)
    a = first.uniform("days.inpatient")
    second = engine.NumpyBackend(11, 1000)
    second.uniform("rate.living.lodging_night")
    assert np.array_equal(second.uniform("days.inpatient"), a)
    for other in (
        engine.NumpyBackend(12, 1000).uniform("days.inpatient"),  # another seed
        engine.NumpyBackend(11, 1000, chunk=1).uniform("days.inpatient"),  # next chunk
        engine.NumpyBackend(11, 1000).uniform("days.nearby"),  # another input
    ):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.15
    assert a.min() >= 0.0 and a.max() < 1.0 and not a.flags.writeable


def test_a_name_drawn_twice_in_one_journey_is_refused() -> None:
    b = engine.NumpyBackend(1, 10)
    b.uniform("price")
    with pytest.raises(AssertionError, match="price"):
        b.uniform("price")


def test_numpy_triangular_is_the_inverse_cdf_of_the_scalar_one() -> None:
    rnd = random.Random(5)
    one = engine.Backend(random.Random(0))
    for _ in range(200):
        a = rnd.uniform(0, 1000)
        hi = a + rnd.choice([0.0, rnd.uniform(0, 5000)])
        c = rnd.choice([a, hi, rnd.uniform(a, hi)])
        b = engine.NumpyBackend(rnd.randrange(100), 64)
        u = b.uniform("x")
        got = b.triangular(u, a, c, hi)
        want = [one.triangular(float(v), a, c, hi) for v in u]
        assert np.allclose(got, want, rtol=1e-9, atol=1e-9)
        assert (got >= a - 1e-9).all() and (got <= hi + 1e-9).all()


def test_kept_draws_give_the_same_journeys_as_fresh_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reusing kept streams across scenarios, or emptying the store mid-journey, changes
    no draw."""
    rates, _ = load_rates(overlays=[FIXTURES / "choices.toml"])
    plans = [
        engine.prepare(plan_for(rates, Scenario("CN", "MM", currency=ccy, hospital="any")))
        for ccy in ("USD", "CNY")
    ]
    kept_draws.clear()
    first = [engine.draw(pr, engine.NumpyBackend(4, 500)) for pr in plans]
    again = [engine.draw(pr, engine.NumpyBackend(4, 500)) for pr in plans]  # all kept
    monkeypatch.setattr(kept_draws, "MAX_BYTES", 3 * 500 * 8)  # a few arrays kept at most
    kept_draws.clear()
    tight = [engine.draw(pr, engine.NumpyBackend(4, 500)) for pr in plans]
    for d1, d2, d3 in zip(first, again, tight, strict=True):
        assert np.array_equal(d1.total, d2.total) and np.array_equal(d1.total, d3.total)
    # The same journeys in two currencies: one conversion apart, draw by draw.
    usd, cny = (np.asarray(d.total) for d in first)
    ratio = cny / usd
    assert np.allclose(ratio, ratio[0], rtol=1e-9)


def test_list_backend_kept_draws_give_the_same_journeys_as_fresh_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plain-Python draws that depend on nothing drawn before them (days, events) are
    kept by where the generator stands: drawing several plans from one seed, with the
    keeping off, on, or its store emptied as it goes, gives the very same floats."""
    rates, _ = load_rates(overlays=[FIXTURES / "budget-events.toml"])
    plans = [
        engine.prepare(plan_for(rates, Scenario("CN", "MM", products, origin, caregivers=k)))
        for products in ((), ("a-cel",))  # two offers (the days follow the pick), or one
        for origin in ("NZ", "GB")
        for k in (0, 1)
    ]
    assert all(pr.events for pr in plans) and len({len(pr.plan.offers) for pr in plans}) == 2

    def run() -> list[tuple[object, ...]]:
        found = []
        for pr in plans * 2:
            b = engine.ListBackend(random.Random(2026), 40)
            d = engine.draw(pr, b)
            found.append((sorted(d.lines.items()), d.stay, sorted(d.happened.items()), d.total))
            found.append((b.rng.random(),))  # the generator ends where a fresh one would
        return found

    monkeypatch.setattr(engine, "_ALONE_MAX_N", 0)  # nothing kept
    fresh = run()
    monkeypatch.setattr(engine, "_ALONE_MAX_N", 1000)
    engine._ALONE.clear()
    kept = run()
    assert len(engine._ALONE) > 0
    monkeypatch.setattr(engine, "_ALONE_MAX", 2)  # the store emptied as it fills
    engine._ALONE.clear()
    tight = run()
    engine._ALONE.clear()
    assert kept == fresh and tight == fresh


def test_drawing_the_reserve_only_gives_the_same_reserve() -> None:
    rates, _ = load_rates(overlays=[FIXTURES / "budget-events.toml"])
    for caregivers in (0, 2):
        p = plan_for(rates, Scenario("CN", "MM", origin="NZ", caregivers=caregivers))
        pr = engine.prepare(p)
        whole = engine.draw_small(pr, 300, seed=11)
        alone = engine.draw_small(pr, 300, seed=11, reserve_only=True)
        assert list(alone.lines) == [L.RESERVE]
        assert alone.lines[L.RESERVE] == whole.lines[L.RESERVE] == alone.total
        assert alone.stay == whole.stay and alone.happened == whole.happened


def test_kept_values_still_count_their_uniforms_as_drawn() -> None:
    rates, _ = load_rates(overlays=[FIXTURES / "budget-events.toml"])
    pr = engine.prepare(plan_for(rates, Scenario("CN", "MM", origin="NZ", caregivers=1)))
    assert pr.events
    kept_draws.clear()
    engine.draw(pr, engine.NumpyBackend(9, 100))
    b = engine.NumpyBackend(9, 100)
    engine.draw(pr, b)  # the days and events come kept
    assert "days.inpatient" in b.used and any(n.startswith("event.") for n in b.used)
    with pytest.raises(AssertionError, match=r"days\.inpatient"):
        b.uniform("days.inpatient")


def test_the_store_drops_the_least_recently_used_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_draws, "MAX_BYTES", 3 * 800)
    kept_draws.clear()
    arrays = {k: np.zeros(100) for k in "abcd"}  # 800 bytes each
    for k in "abc":
        kept_draws.put((k,), arrays[k])
    assert kept_draws.get(("a",)) is arrays["a"]  # a is now the most recent
    kept_draws.put(("d",), arrays["d"])
    assert kept_draws.get(("b",)) is None  # the least recent went
    assert all(kept_draws.get((k,)) is arrays[k] for k in "acd")
    assert kept_draws.kept_bytes() == 3 * 800 and not arrays["a"].flags.writeable
    kept_draws.put(("big",), np.zeros(1000))  # more than the whole store: not kept
    assert kept_draws.get(("big",)) is None
    kept_draws.clear()
