"""How old the figures behind an estimate are.

A figure is as fresh as the newest source of data it cites (a 2019 launch price confirmed
by a 2026 page is a 2026 figure; a 2015 fare beside this year's assumption is a 2015
figure). The table and any figure older than STALE_MONTHS earn a warning, so nobody plans
a budget on a price list from years ago without knowing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from cartcost.rates import Rates

if TYPE_CHECKING:
    from cartcost.estimation import Estimate

STALE_MONTHS = 18
MAX_LISTED = 4


def today() -> date:
    """Today, or CARTCOST_TODAY (an ISO date), so that outputs can be reproduced."""
    fixed = os.environ.get("CARTCOST_TODAY")
    if fixed:
        from cartcost.errors import UsageProblem

        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise UsageProblem(f"CARTCOST_TODAY={fixed!r} is not a date like 2026-11-22") from None
    return date.today()


def months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


class Staleness(NamedTuple):
    """One warning: what is old, its date and its age in months."""

    what: str
    dated: date
    months: int

    def __str__(self) -> str:
        return f"{self.what} dates from {self.dated.isoformat()} ({self.months} months old)"


# figure_date by (id(rates), source ids), with the table to tell a reused id apart.
_DATES: dict[tuple[int, tuple[str, ...]], tuple[Rates, date | None]] = {}
_MAX_DATES = 4096


def figure_date(rates: Rates, source_ids: tuple[str, ...] | list[str]) -> date | None:
    """The newest publication date among the sources of data cited, or among the
    assumptions where only assumptions are cited (None: none is in the table)."""
    ids = tuple(source_ids)
    hit = _DATES.get((id(rates), ids))
    if hit is not None and hit[0] is rates:
        return hit[1]
    known = [rates.sources[s] for s in ids if s in rates.sources]
    # An assumption written last month does not make a 2015 fare new: where a figure cites
    # data, its date is the newest data's; assumptions date only figures resting on them.
    data = [src.published for src in known if src.kind != "assumption"]
    dates = data or [src.published for src in known]
    found = max(dates) if dates else None
    if len(_DATES) >= _MAX_DATES:
        _DATES.clear()
    _DATES[(id(rates), ids)] = (rates, found)
    return found


def stale_figures(rates: Rates, est: Estimate, today: date) -> list[Staleness]:
    """The table (if old) and each line item whose newest source is older than the limit."""
    found: list[Staleness] = []
    age = months_between(rates.meta.as_of, today)
    if age > STALE_MONTHS:
        found.append(Staleness("the rate table", rates.meta.as_of, age))
    for item in est.items:
        if item.amount is None:
            continue
        dated = figure_date(rates, item.sources)
        if dated is None:
            continue
        months = months_between(dated, today)
        if months > STALE_MONTHS:
            found.append(Staleness(item.label, dated, months))
    return found


def freshness_note(rates: Rates, est: Estimate, when: date | None = None) -> str | None:
    """One note naming the table and the lines older than the limit, or None."""
    stale = stale_figures(rates, est, today() if when is None else when)
    if not stale:
        return None
    shown = [str(s) for s in stale[:MAX_LISTED]]
    more = len(stale) - len(shown)
    note = f"older than {STALE_MONTHS} months, check before relying on it: " + "; ".join(shown)
    if more > 0:
        note += f"; and {more} more (the sources listing shows every source and its date)"
    return note


def stale_count_note(rates: Rates, estimates: Sequence[Estimate]) -> str | None:
    """One line for a comparison: how many lines rest on figures older than the limit."""
    when = today()
    counts = {e.scenario.country: len(stale_figures(rates, e, when)) for e in estimates}
    stale = {cc: n for cc, n in counts.items() if n}
    if not stale:
        return None
    listed = ", ".join(f"{cc} {n}" for cc, n in sorted(stale.items()))
    return (
        f"lines resting on figures older than {STALE_MONTHS} months: {listed} "
        "(each country's estimate names them, and its sources show their dates)"
    )
