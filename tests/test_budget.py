"""The simulation (budget.py) against closed forms, the plain estimate and its invariants.

Tables are variants of tests/fixtures/mini.toml (optionally with the events overlay
tests/fixtures/budget-events.toml): every figure rewritten by a function of its key path,
then validated like any table. Fixture FX: 1 USD = 7 CNY = 2 NZD = 0.5 GBP.
"""

from __future__ import annotations

import copy
import math
import random
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cartcost.budget as budget_mod
from cartcost.budget import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    Budget,
    budget_request,
    check_draws,
    check_seed,
    quantiles,
    sample,
    simulate,
)
from cartcost.errors import UsageProblem
from cartcost.estimation import Estimate, estimate
from cartcost.money import Range
from cartcost.rates import Rates, validate
from cartcost.ratesfile import merge, normalise_offers
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES, MINI

EVENTS = FIXTURES / "budget-events.toml"
BASE = normalise_offers(tomllib.loads(MINI.read_text(), parse_float=Decimal))
WITH_EVENTS = merge(BASE, normalise_offers(tomllib.loads(EVENTS.read_text(), parse_float=Decimal)))
CENT = Decimal("0.01")

Fig = dict[str, Any]


def figures(node: object, path: str = "") -> Iterator[tuple[str, Fig]]:
    if isinstance(node, dict):
        if "range" in node:
            yield path, node
            return
        for key, value in node.items():
            yield from figures(value, f"{path}.{key}" if path else str(key))


def variant(rewrite: Callable[[str, Fig], None], events: bool = False) -> Rates:
    """A copy of the fixture with each figure rewritten in place by rewrite(path, fig)."""
    data = copy.deepcopy(WITH_EVENTS if events else BASE)
    for path, fig in figures({k: v for k, v in data.items() if k != "sources"}):
        rewrite(path, fig)
    return validate(data)


def collapse(to: int) -> Callable[[str, Fig], None]:
    """Every range to a point: its low (to=0) or its high (to=1)."""

    def rewrite(path: str, fig: Fig) -> None:
        point = fig["range"][to]
        fig["range"] = [point, point]
        fig.pop("typical", None)

    return rewrite


def only(kept: dict[str, tuple[int, int, int | None]]) -> Callable[[str, Fig], None]:
    """Every figure 0 except those kept: path -> (low, high, typical)."""

    def rewrite(path: str, fig: Fig) -> None:
        fig.pop("typical", None)
        if path in kept:
            low, high, typical = kept[path]
            fig["range"] = [Decimal(low), Decimal(high)]
            if typical is not None:
                fig["typical"] = Decimal(typical)
        else:
            fig["range"] = [Decimal(0), Decimal(0)]

    return rewrite


def cents(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def tri_quantile(p: float, a: float, c: float, b: float) -> float:
    """Closed form: the inverse CDF of the triangular distribution (a, c, b)."""
    if p < (c - a) / (b - a):
        return a + math.sqrt(p * (b - a) * (c - a))
    return b - math.sqrt((1 - p) * (b - a) * (b - c))


# ---------------------------------------------------------------- closed forms


def test_single_triangular_item_matches_the_closed_form() -> None:
    # Only the coordinator varies: USD 1,000-2,000, typical 1,200 (shown in USD).
    rates = variant(only({"countries.CN.services.coordinator": (1000, 2000, 1200)}))
    est = estimate(rates, Scenario("CN", "MM", origin="GB", currency="USD"))
    assert est.total == Range(Decimal(1000), Decimal(2000))
    b = simulate(rates, est, draws=400_000, seed=11)
    # Closed form: F^-1(p) = 1000 + sqrt(p * 1000 * 200) below p = 0.2, else
    # 2000 - sqrt((1 - p) * 1000 * 800): P10 1,141.42, P50 1,367.54, P90 1,717.16.
    assert tri_quantile(0.1, 1000, 1200, 2000) == pytest.approx(1141.42, abs=0.01)
    assert tri_quantile(0.5, 1000, 1200, 2000) == pytest.approx(1367.54, abs=0.01)
    assert tri_quantile(0.9, 1000, 1200, 2000) == pytest.approx(1717.16, abs=0.01)
    tol = 0.004 * 1000  # 0.4% of the range; the Monte Carlo error is about a tenth of that
    assert float(b.total.p10) == pytest.approx(1141.42, abs=tol)
    assert float(b.total.p50) == pytest.approx(1367.54, abs=tol)
    assert float(b.total.p90) == pytest.approx(1717.16, abs=tol)
    # Mean (a + c + b) / 3 = 1,400.
    assert float(b.total.mean) == pytest.approx(1400, abs=tol)


def test_midpoint_is_the_mode_when_no_typical_is_given() -> None:
    rates = variant(only({"countries.CN.services.coordinator": (1000, 2000, None)}))
    est = estimate(rates, Scenario("CN", "MM", origin="GB", currency="USD"))
    b = simulate(rates, est, draws=200_000, seed=3)
    # Symmetric (1000, 1500, 2000): median 1,500; P10 = 1000 + sqrt(0.1 * 1000 * 500) = 1,223.61.
    assert float(b.total.p50) == pytest.approx(1500, abs=4)
    assert float(b.total.p10) == pytest.approx(1223.61, abs=4)
    assert float(b.total.p90) == pytest.approx(1776.39, abs=4)


def test_sum_of_items_has_the_known_mean_and_variance_with_the_hospital_factor() -> None:
    # Three one-off items in USD:
    #   work-up CNY 7,000-14,000 = USD 1,000-2,000, mode 1,500: mean 1,500, var 41,666.67
    #   coordinator USD 1,000-2,000, mode 1,200:                mean 1,400, var 46,666.67
    #   lymphodepletion CNY 0-7,000 = USD 0-1,000, mode 500:    mean   500, var 41,666.67
    # Triangular variance = (a² + b² + c² - ab - ac - bc) / 18.
    # Work-up and lymphodepletion are prices of one hospital: each takes the hospital's
    # shared uniform with probability SHARED = 0.8, so both take it (and move as one)
    # with probability 0.64, else they are independent. Moving as one, both are 1,000 x
    # the same symmetric triangle on [0, 1] (variance 1/24): covariance 1e6/24 =
    # 41,666.67; overall 0.64 x that = 26,666.67, a correlation of 0.64. The
    # coordinator (services) is independent of both.
    #   Var(total) = 41,666.67 + 46,666.67 + 41,666.67 + 2 x 26,666.67 = 183,333.33
    rates = variant(
        only(
            {
                "countries.CN.hospital.workup": (7000, 14000, None),
                "countries.CN.services.coordinator": (1000, 2000, 1200),
                "countries.CN.hospital.lymphodepletion": (0, 7000, None),
            }
        )
    )
    est = estimate(rates, Scenario("CN", "MM", origin="GB", currency="USD"))
    s = sample(rates, est, draws=400_000, seed=5)
    assert s.total.mean() == pytest.approx(1500 + 1400 + 500, rel=0.002)
    assert s.total.var() == pytest.approx(183_333.33, rel=0.02)
    r = np.corrcoef(s.lines["hospital.workup"], s.lines["services.coordinator"])[0, 1]
    assert abs(r) < 0.01
    r = np.corrcoef(s.lines["hospital.workup"], s.lines["hospital.lymphodepletion"])[0, 1]
    assert r == pytest.approx(0.64, abs=0.01)


def test_quantiles_equal_numpy_on_fixed_cases() -> None:
    rng = np.random.default_rng(1)
    cases = [
        rng.random(100_000) * 1e5,
        np.concatenate([np.full(50_000, 2e5), rng.random(50_000) * 4e5]),  # a point mass
        rng.exponential(size=12_345) ** 3,  # heavy tail
        np.round(rng.random(10_000) * 10),  # many ties
        np.array([1.0, 2.0]),
        np.full(7, 3.5),
    ]
    qs = (0.0, 0.1, 0.37, 0.5, 0.9, 1.0)
    for values in cases:
        assert quantiles(values, qs) == [float(x) for x in np.quantile(values, qs)]


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 3000),
        elements=st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
    ),
    st.lists(st.floats(0, 1), min_size=1, max_size=5),
)
def test_quantiles_equal_numpy(values: np.ndarray, qs: list[float]) -> None:
    assert quantiles(values, qs) == [float(x) for x in np.quantile(values, qs)]


# ---------------------------------------------------------------- same structure as estimate()


@pytest.mark.parametrize("to", [0, 1])
@pytest.mark.parametrize(
    "scenario",
    [
        Scenario("CN", "MM", products=("a-cel",), origin="NZ", caregivers=1),
        Scenario("CN", "MM", products=("a-cel",), origin="GB", caregivers=3, currency="CNY"),
        Scenario("US", "LBCL", origin="NZ", caregivers=0),  # without-carer inpatient days
        Scenario("US", "LBCL", origin="US", lives_nearby=True),  # domestic
        Scenario("CN", "LBCL", origin="NZ", caregivers=2),  # offer includes apheresis
        Scenario("CN", "MM", products=("a-cel",)),  # no origin: travel not included
    ],
)
def test_ranges_collapsed_to_a_point_give_the_plain_estimate_in_every_draw(
    scenario: Scenario, to: int
) -> None:
    rates = variant(collapse(to))
    est = estimate(rates, scenario)
    assert est.total.low == est.total.high
    s = sample(rates, est, draws=2_000, seed=1)
    for item in est.items:
        if item.amount is None:
            assert item.key not in s.lines
            continue
        want = float(item.amount.low)
        assert np.all(np.abs(s.lines[item.key] - want) <= 1e-9 * max(1.0, want)), item.key
    total = float(est.total.low)
    assert np.all(np.abs(s.total - total) <= 1e-9 * total)
    assert np.all(s.stay == float(est.stay_days.low))
    b = simulate(rates, est, draws=2_000, seed=1)
    assert b.total.p10 == b.total.p50 == b.total.p90 == b.total.mean == cents(est.total.low)
    for line in b.lines:
        assert line.spread.p10 == line.spread.p90 == cents(line.plain.low), line.key


def test_events_that_always_happen_at_the_high_give_the_plain_high() -> None:
    def worst(path: str, fig: Fig) -> None:
        collapse(1)(path, fig)
        if path.endswith(".probability"):
            fig["range"] = [Decimal(1), Decimal(1)]

    rates = variant(worst, events=True)
    for scenario in (
        Scenario("CN", "MM", products=("a-cel",), origin="NZ"),
        Scenario("US", "LBCL", origin="NZ"),  # the longer stay needs the visa
    ):
        est = estimate(rates, scenario)
        s = sample(rates, est, draws=1_000)
        high = float(est.total.high)
        assert np.all(np.abs(s.total - high) <= 1e-9 * high)
        assert all(n == 1_000 for n in s.happened.values())


def test_events_that_never_happen_cost_nothing() -> None:
    def never(path: str, fig: Fig) -> None:
        collapse(0)(path, fig)
        if path.endswith(".probability"):
            fig["range"] = [Decimal(0), Decimal(0)]

    rates = variant(never, events=True)
    est = estimate(rates, Scenario("CN", "MM", products=("a-cel",), origin="NZ"))
    s = sample(rates, est, draws=1_000)
    assert np.all(s.lines["hospital.complications"] == 0)
    assert np.all(np.abs(s.total - float(est.total.low)) <= 1e-9 * float(est.total.low))
    assert not any(s.happened.values())


# ---------------------------------------------------------------- shared draws


def test_shared_durations_make_lodging_and_meals_move_together() -> None:
    # Per-unit rates fixed, so what varies is the stay: both lines count the same days.
    def fixed_rates(path: str, fig: Fig) -> None:
        if path.startswith("countries.CN.living."):
            collapse(1)(path, fig)

    rates = variant(fixed_rates)
    est = estimate(rates, Scenario("CN", "MM", origin="NZ", caregivers=1))
    s = sample(rates, est, draws=50_000, seed=2)
    lodging, meals = s.lines["living.lodging"], s.lines["living.meals"]
    assert np.corrcoef(lodging, meals)[0, 1] > 0.9
    assert np.corrcoef(lodging, s.lines["living.transport"])[0, 1] > 0.9
    # The interpreter's own rate (USD 0-50 a day) varies more than the stay, yet it
    # still follows it.
    assert np.corrcoef(lodging, s.lines["services.interpreter"])[0, 1] > 0.1
    # A one-off line drawn on its own does not follow the stay.
    assert abs(np.corrcoef(lodging, s.lines["hospital.workup"])[0, 1]) < 0.02


def test_one_offer_per_draw_for_price_days_and_what_it_includes(mini_rates: Rates) -> None:
    # CN MM: a-cel CNY 700,000 (manufacturing 20-30 days, no apheresis included) or b-cel
    # CNY 1.4-2.1 M (25-40 days, apheresis included). In NZD: 200,000 vs 400,000-600,000.
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    s = sample(mini_rates, est, draws=20_000, seed=4)
    price, apheresis = s.lines["product.price"], s.lines["hospital.apheresis"]
    b_cel = price > 300_000
    assert 0.45 < b_cel.mean() < 0.55  # each offer equally likely
    assert np.all(apheresis[b_cel] == 0)  # b-cel's price includes apheresis
    assert np.all(apheresis[~b_cel] == 2_000)  # a-cel: CNY 7,000 = NZD 2,000
    assert np.all(price[~b_cel] == 200_000)


def test_event_shares_follow_their_probabilities() -> None:
    rates = variant(lambda path, fig: None, events=True)
    est = estimate(rates, Scenario("CN", "MM", origin="NZ"))
    b = simulate(rates, est, draws=200_000, seed=9)
    shares = {e.id: float(e.happened) for e in b.events}
    # Mean of a triangular probability (low + typical + high) / 3:
    # icu (0.1, 0.2, 0.3) 0.2; readmission (0.2, 0.3, 0.4) 0.3;
    # manufacturing-failure (0.05, 0.075, 0.1) 0.075; drugs (0, 0.25, 0.5) 0.25.
    assert shares == pytest.approx(
        {"icu": 0.2, "readmission": 0.3, "manufacturing-failure": 0.075, "drugs": 0.25},
        abs=0.005,
    )
    # The stay grows with the events: P90 beyond the plain high is possible, P10 not below.
    assert b.stay_days.p10 >= est.stay_days.low


# ---------------------------------------------------------------- invariants


@st.composite
def tables_and_scenarios(draw: st.DrawFn) -> tuple[Rates, Scenario, int]:
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    events = draw(st.booleans())

    def widen(path: str, fig: Fig) -> None:
        low, high = (float(x) for x in fig["range"])
        if path.endswith(".probability"):
            a, b = sorted((rnd.random(), rnd.random()))
            fig["range"] = [Decimal(str(round(a, 4))), Decimal(str(round(b, 4)))]
        else:
            a = low * rnd.uniform(0.2, 1.0)
            b = max(high, a) * rnd.uniform(1.0, 3.0)
            fig["range"] = [Decimal(round(a)), Decimal(round(b))]
        fig.pop("typical", None)
        lo, hi = fig["range"]
        if rnd.random() < 0.5 and hi > lo:
            fig["typical"] = lo + (hi - lo) * Decimal(str(round(rnd.random(), 3)))

    rates = variant(widen, events=events)
    country, indication = draw(st.sampled_from([("CN", "MM"), ("CN", "LBCL"), ("US", "LBCL")]))
    scenario = Scenario(
        country,
        indication,
        origin=draw(st.sampled_from([None, "NZ", "GB", "CN", "US"])),
        caregivers=draw(st.integers(0, 4)),
        lives_nearby=draw(st.booleans()),
        currency=draw(st.sampled_from([None, "USD", "CNY", "GBP"])),
    )
    return rates, scenario, draw(st.integers(0, 2**32))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables_and_scenarios())
def test_percentiles_are_ordered_and_within_the_plain_range(
    case: tuple[Rates, Scenario, int],
) -> None:
    rates, scenario, seed = case
    est = estimate(rates, scenario)
    b = simulate(rates, est, draws=1_000, seed=seed, drivers=True)
    low, high = cents(est.total.low), cents(est.total.high)
    t = b.total
    assert low <= t.p10 <= t.p50 <= t.p90 <= high
    assert low <= t.mean <= high
    for line in b.lines:
        s = line.spread
        assert s.p10 <= s.p50 <= s.p90, line.key
        if line.key != "hospital.complications" or not rates.events:
            # (The events' reserve may cross the visa line's edge; their sum may not.)
            assert cents(line.plain.low) <= s.p10 and s.p90 <= cents(line.plain.high), line.key
    assert b.stay_days.p10 <= b.stay_days.p50 <= b.stay_days.p90
    assert sum(b.histogram.counts) == b.draws
    assert b.drivers is not None and len(b.drivers) == len(b.lines)


# ---------------------------------------------------------------- determinism, options


def test_the_same_seed_gives_identical_output(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    one = simulate(mini_rates, est, draws=5_000, seed=42, drivers=True)
    two = simulate(mini_rates, est, draws=5_000, seed=42, drivers=True)
    assert one == two
    other = simulate(mini_rates, est, draws=5_000, seed=43, drivers=True)
    assert other.total != one.total


def test_defaults(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("US", "LBCL"))
    b = simulate(mini_rates, est)
    assert (b.draws, b.seed, b.detail_draws) == (DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_DRAWS)
    assert b.drivers is None
    assert b == simulate(mini_rates, est, DEFAULT_DRAWS, DEFAULT_SEED)


def test_many_draws_are_made_in_chunks_and_lines_use_the_first_ones(
    mini_rates: Rates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget_mod, "CHUNK", 1_500)
    monkeypatch.setattr(budget_mod, "DETAIL_MAX", 4_000)
    rates = variant(lambda path, fig: None, events=True)
    est = estimate(rates, Scenario("CN", "MM", origin="NZ"))
    b = simulate(rates, est, draws=10_000, seed=1, drivers=True)
    assert b.draws == 10_000 and b.detail_draws == 4_000
    assert sum(b.histogram.counts) == 10_000
    s = sample(rates, est, draws=10_000, seed=1)  # keeps every draw; same chunks
    assert float(b.total.p50) == pytest.approx(float(np.quantile(s.total, 0.5)), abs=0.01)
    assert sum(s.happened.values()) == sum(round(e.happened * 10_000) for e in b.events)
    line = b.line("living.lodging")
    assert line is not None
    first = s.lines["living.lodging"][:4_000]
    assert float(line.spread.p90) == pytest.approx(float(np.quantile(first, 0.9)), abs=0.01)


def test_drivers_rank_what_varies(mini_rates: Rates) -> None:
    # Product (two offers, NZD 200,000 or 400,000-600,000) dwarfs everything else.
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    b = simulate(mini_rates, est, draws=20_000, drivers=True)
    assert b.drivers is not None
    assert b.drivers[0].key == "product.price" and b.drivers[0].share > Decimal("0.8")
    assert [d.shrink for d in b.drivers] == sorted((d.shrink for d in b.drivers), reverse=True)
    fixed = {d.key: d for d in b.drivers}
    assert fixed["hospital.lymphodepletion"].shrink == 0  # CNY 14,000 exactly
    assert fixed["travel.visa"].shrink == 0


def test_tornado_bars_move_the_total_p50_by_each_lines_own_spread(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    b = simulate(mini_rates, est, draws=20_000, seed=3, drivers=True)
    s = sample(mini_rates, est, draws=20_000, seed=3)  # the same draws, every one kept
    assert b.drivers is not None
    middle = float(np.quantile(s.total, 0.5))
    for d in b.drivers:
        q10, q50, q90 = np.quantile(s.lines[d.key], (0.1, 0.5, 0.9))
        assert float(d.at_p10) == pytest.approx(middle + q10 - q50, abs=0.01)
        assert float(d.at_p90) == pytest.approx(middle + q90 - q50, abs=0.01)
        assert d.at_p10 <= b.total.p50 <= d.at_p90
    fixed = {d.key: d for d in b.drivers}
    lympho = fixed["hospital.lymphodepletion"]  # CNY 14,000 exactly: no bar
    assert lympho.at_p10 == lympho.at_p90 == b.total.p50 and lympho.swing == 0


@pytest.mark.parametrize("draws", [999, 0, -5, 10_000_001, True])
def test_draws_outside_the_limits_name_the_option(draws: int) -> None:
    with pytest.raises(UsageProblem, match="--draws must be a whole number from 1,000"):
        check_draws(draws)


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_bad_seed_names_the_option(seed: int) -> None:
    with pytest.raises(UsageProblem, match="--seed"):
        check_seed(seed)


def test_budget_request() -> None:
    assert budget_request(False, None, None, False) is None
    assert budget_request(True, None, None, False) == budget_mod.BudgetRequest(
        DEFAULT_DRAWS, DEFAULT_SEED, False
    )
    # --draws, --seed or --drivers alone ask for a budget too.
    assert budget_request(False, 5_000, None, False) is not None
    assert budget_request(False, None, 7, False) is not None
    request = budget_request(False, None, None, True)
    assert request is not None and request.drivers
    with pytest.raises(UsageProblem, match="--draws"):
        budget_request(True, 10, None, False)


def test_numpy_is_imported_only_for_a_budget() -> None:
    code = """
import sys
from tests.clihelp import run
result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json")
assert result.exit_code == 0, result.output
assert "numpy" not in sys.modules, "plain estimate imported numpy"
result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json", "--budget", "--draws", "1000")
assert result.exit_code == 0, result.output
assert "numpy" in sys.modules
"""
    root = Path(__file__).parents[1]
    env = {
        "PYTHONPATH": f"{root / 'src'}:{root}",
        "CARTCOST_BASE_RATES": str(MINI),
        "CARTCOST_CONFIG_DIR": "/nonexistent/cartcost-config",
        "CARTCOST_CACHE_DIR": "/nonexistent/cartcost-cache",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_budget_is_plain_data(mini_rates: Rates) -> None:
    import pickle

    est: Estimate = estimate(mini_rates, Scenario("US", "LBCL"))
    b: Budget = simulate(mini_rates, est, draws=1_000)
    assert pickle.loads(pickle.dumps(b)) == b


def test_quantiles_of_a_subnormal_spread() -> None:
    # Found by hypothesis: bins / (hi - lo) overflowed to inf and binning went negative.
    values = np.array([0.0, 5e-324, 5e-324])
    assert quantiles(values, [0.1, 0.5, 0.9]) == [
        float(x) for x in np.quantile(values, [0.1, 0.5, 0.9])
    ]


def test_tornado_without_a_varying_line_says_so(mini_rates: Rates) -> None:
    import dataclasses
    import xml.etree.ElementTree as ET

    from cartcost.render.tornado import bars_of, tornado_svg

    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    b = simulate(mini_rates, est, draws=2_000, seed=1, drivers=True)
    assert b.drivers is not None
    still = tuple(dataclasses.replace(d, at_p10=b.total.p50, at_p90=b.total.p50) for d in b.drivers)
    flat = dataclasses.replace(b, drivers=still)
    assert bars_of(flat) == ([], 0)
    svg = tornado_svg(flat)
    ET.fromstring(svg)  # well-formed
    assert "No line varies" in svg
    # Twelve bars at most; the rest counted in the caption.
    shown, left_out = bars_of(b, most=2)
    assert len(shown) == 2 and left_out == sum(1 for d in b.drivers if d.swing > 0) - 2
    assert f"{left_out} smaller lines not drawn" in tornado_svg(b, most=2)
