"""What an output says about currencies converted at a fixed (pegged) rate.

The table's market rates are one dated set ([fx.rates], the ECB's reference rates of
`fx.as_of`). A currency its central bank holds at a fixed rate to another ([fx.pegs]:
the UAE dirham, the Saudi riyal) converts at that rate instead, and the outputs say so
wherever its amounts appear. Pure: no printing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates


def pegged(rates: Rates, currencies: Iterable[str]) -> list[str]:
    """The pegged currencies among `currencies`, sorted, each once."""
    return sorted({c for c in currencies if c in rates.fx.pegs})


def phrase(rates: Rates, currency: str) -> str:
    """'AED 3.6725 per USD (Central Bank of the UAE, fixed since 1997)': the year only,
    which is what the sources of a decades-old peg give."""
    peg = rates.fx.pegs[currency]
    source = rates.sources.get(peg.sources[0]) if peg.sources else None
    who = f"{source.publisher}, " if source is not None and source.publisher else ""
    return f"{currency} {peg.rate} per {peg.per} ({who}fixed since {peg.since.year})"


def note(rates: Rates, currencies: Iterable[str]) -> str | None:
    """An estimate's note on the pegged currencies it converts, or None."""
    found = pegged(rates, currencies)
    if not found:
        return None
    return (
        f"{' and '.join(found)} converted at {'their' if len(found) > 1 else 'its'} fixed "
        f"rate, not a market rate: {'; '.join(phrase(rates, c) for c in found)}"
    )


def currencies_of(est: Estimate) -> set[str]:
    """The currencies an estimate shows or converts from."""
    return {
        est.currency,
        *(i.native_currency for i in est.items if i.native_currency),
        *(o.currency for o in est.offers),
    }
