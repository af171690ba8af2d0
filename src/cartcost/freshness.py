"""How old the figures behind an estimate are.

A figure is as fresh as the newest source it cites (a 2019 launch price confirmed by a
2026 page is a 2026 figure). The table and any figure older than STALE_MONTHS earn a
warning, so nobody plans a budget on a price list from years ago without knowing.
"""

from datetime import date
from typing import NamedTuple

from cartcost.estimation import Estimate
from cartcost.rates import Rates

STALE_MONTHS = 18


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


def figure_date(rates: Rates, source_ids: tuple[str, ...] | list[str]) -> date | None:
    dates = [rates.sources[s].published for s in source_ids if s in rates.sources]
    return max(dates) if dates else None


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
