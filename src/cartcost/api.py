"""The public Python API: what the command line calls, for scripts and notebooks.

Nothing here prints, reads the user's config or writes their cache unless asked, and
every error is one of cartcost.errors' exceptions (never SystemExit). docs/api.md shows
each function with examples that the tests run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cartcost.errors import UsageProblem

if TYPE_CHECKING:
    from cartcost.budget import Budget
    from cartcost.comparison import By, Comparison, Sort
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates
    from cartcost.scenario import Scenario


def load_rates(*overlays: str | Path, use_config: bool = False, use_cache: bool = False) -> Rates:
    """The embedded rate table with `overlays` (paths of rate-table TOML files) over it,
    validated. use_config=True adds the user's config overlays and CARTCOST_RATES first,
    as the command line does; use_cache=True reads and writes the validated-table cache.
    Raises RatesError naming every problem of a broken table."""
    from cartcost.ratesfile import load_rates as load
    from cartcost.ratesfile import overlay_paths

    paths = [Path(p).expanduser() for p in overlays]
    if use_config:
        from cartcost.config import load_config

        paths = overlay_paths(paths, config_paths=load_config().rates)
    rates, _ = load(overlays=paths, use_cache=use_cache)
    return rates


def estimate(
    rates: Rates,
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    *,
    narrative: bool = True,
) -> Estimate:
    """The itemised low/high estimate with its likely total (`draws` simulated journeys,
    default 400, seed default 2026; draws=0 for none). narrative=False: the figures only,
    without the notes and explanations a reader needs (quicker over many scenarios)."""
    from cartcost.estimation import DEFAULT_SEED, LIKELY_DRAWS
    from cartcost.estimation import estimate as run

    n = LIKELY_DRAWS if draws is None else draws
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100_000:
        raise UsageProblem(f"draws must be a whole number from 0 to 100,000, got {n!r}")
    return run(rates, scenario, n, DEFAULT_SEED if seed is None else seed, narrative=narrative)


def simulate(
    rates: Rates,
    scenario: Scenario,
    draws: int | None = None,
    seed: int | None = None,
    drivers: bool = False,
) -> Budget:
    """The budget (`estimate --budget`): P10/P50/P90 of every line and the total over
    `draws` simulated journeys (default 100,000; NumPy)."""
    from cartcost import budget

    n = budget.check_draws(budget.DEFAULT_DRAWS if draws is None else draws)
    s = budget.check_seed(budget.DEFAULT_SEED if seed is None else seed)
    return budget.simulate(rates, estimate(rates, scenario), n, s, drivers)


def compare(
    rates: Rates,
    scenario: Scenario,
    countries: Sequence[str] | None = None,
    by: By = "country",
    sort: Sort = "low",
) -> Comparison:
    """`estimate()` for each country (default: every one that offers the indication),
    ranked; the scenario's country is ignored."""
    from cartcost.comparison import compare as run

    return run(rates, scenario._replace(country=""), countries, by, sort)
