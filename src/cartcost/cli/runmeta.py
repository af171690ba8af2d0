"""The `meta` object of a command's JSON output, from the table and layers it loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cartcost.rates import Rates
    from cartcost.ratesfile import Layers


def run_meta(
    table: Rates, layers: Layers, draws: int | None = None, seed: int | None = None
) -> dict[str, Any]:
    from cartcost.metadata import run_meta as make

    return make(table, names=layers.names, digests=layers.digests, draws=draws, seed=seed)
