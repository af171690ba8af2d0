"""cartcost: what CAR-T cell therapy really costs, all in, per country.

The Python API (docs/api.md) is what the command line calls::

    import cartcost
    rates = cartcost.load_rates()
    s = cartcost.Scenario(country="CN", indication="MM", origin="NZ", caregivers=2)
    e = cartcost.estimate(rates, s)          # e.to_dict() == `estimate -F json`
    b = cartcost.simulate(rates, s, draws=20_000, seed=1)
    c = cartcost.compare(rates, s, countries=["CN", "US"])

Names load on first use, so `import cartcost` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "CartcostError",
    "NothingMatches",
    "RatesError",
    "Scenario",
    "UsageProblem",
    "__version__",
    "compare",
    "estimate",
    "load_rates",
    "simulate",
]

if TYPE_CHECKING:
    from cartcost.api import compare, estimate, load_rates, simulate
    from cartcost.errors import CartcostError, NothingMatches, RatesError, UsageProblem
    from cartcost.scenario import Scenario

_LAZY = {
    "load_rates": "cartcost.api",
    "estimate": "cartcost.api",
    "simulate": "cartcost.api",
    "compare": "cartcost.api",
    "Scenario": "cartcost.scenario",
    "CartcostError": "cartcost.errors",
    "UsageProblem": "cartcost.errors",
    "NothingMatches": "cartcost.errors",
    "RatesError": "cartcost.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cartcost' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
