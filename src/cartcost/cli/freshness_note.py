"""Freshness warnings added to what a command shows (issue: figures older than 18 months).

The age arithmetic is in cartcost.freshness; this only picks "today" and words the notes.
CARTCOST_TODAY (an ISO date) fixes "today", so outputs can be reproduced byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates

MAX_LISTED = 4


def today() -> date:
    fixed = os.environ.get("CARTCOST_TODAY")
    if fixed:
        from cartcost.errors import UsageProblem

        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise UsageProblem(f"CARTCOST_TODAY={fixed!r} is not a date like 2026-11-22") from None
    return date.today()


def with_freshness(rates: Rates, est: Estimate) -> Estimate:
    """The estimate with a note for the table and each line older than the limit."""
    from cartcost.freshness import STALE_MONTHS, stale_figures

    stale = stale_figures(rates, est, today())
    if not stale:
        return est
    shown = [str(s) for s in stale[:MAX_LISTED]]
    more = len(stale) - len(shown)
    note = f"older than {STALE_MONTHS} months, check before relying on it: " + "; ".join(shown)
    if more > 0:
        note += f"; and {more} more (--sources shows every source and its date)"
    return est._replace(notes=(*est.notes, note))


def stale_count_note(rates: Rates, estimates: Sequence[Estimate]) -> str | None:
    """One line for a comparison: how many lines rest on figures older than the limit."""
    from cartcost.freshness import STALE_MONTHS, stale_figures

    when = today()
    counts = {e.scenario.country: len(stale_figures(rates, e, when)) for e in estimates}
    stale = {cc: n for cc, n in counts.items() if n}
    if not stale:
        return None
    listed = ", ".join(f"{cc} {n}" for cc, n in sorted(stale.items()))
    return (
        f"lines resting on figures older than {STALE_MONTHS} months: {listed} "
        "(`cartcost estimate -c CC ... --sources` shows them)"
    )
