"""Exchange-rate moves: how much a family's bills in other currencies may change, in
their own currency, before they pay them.

The table's [fx.moves] says how each currency's rate (units per `per`, the dollar) has
moved: the yearly standard deviation of its log change, and the correlation of each
pair's changes (tools/fx_moves.py works them out from the ECB's history). A family
holds its money in its home currency d (its origin's; else the display currency); a
bill of A in currency c costs A x exp(y_c) when it is paid, y_c = x_d - x_c the log
change of c's price in d, x the log change of each rate since the table's date. Over h
years the y are drawn as normal, mean zero (no currency is expected to rise or fall),
with the covariance they get from h x Sigma (Exposure). A currency pegged to another
moves with it; `per` itself does not move.

Flights and visas are bought at home (lines.PAID_AT_HOME): they do not move.

The horizon is the journey's stay, as if every bill were paid at its end: longer than
most money waits (the product is often paid before the cells are made), so the spread
is if anything wide. A family that converts its money when it commits carries none of
this; the estimate's low and high ends are at the table's rates and do not include it.

Pure: no I/O, no printing. The simulation is float; the engine draws it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from cartcost.rates import Rates

# Days in a year, for the horizon: the volatility is per calendar year.
YEAR_DAYS = 365.25
# Rounding of the shipped correlations (three decimals) may leave the smallest
# eigenvalue a hair below zero: tolerated below this.
_TOLERANCE = 1e-9


def cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """L, lower-triangular, with L x L^T = matrix; None if the matrix is not positive
    semi-definite (a set of variances and correlations that cannot hold together)."""
    n = len(matrix)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = float(matrix[i][j]) - sum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if s < -_TOLERANCE:
                    return None
                low[i][i] = math.sqrt(max(s, 0.0))
            elif low[j][j] > 0:
                low[i][j] = s / low[j][j]
            elif abs(s) > _TOLERANCE:
                return None
    return low


class Exposure(NamedTuple):
    """What a journey's bills are exposed to: for each bill currency that moves against
    the family's `home` currency (in order), the log change of its price in `home` is
    drawn, y = x_home - x_bill, with yearly covariance L x L^T (`factor`); `at` gives
    each currency's place among them (-1: priced with home, as home and its pegs)."""

    home: str
    currencies: tuple[str, ...]
    factor: tuple[tuple[float, ...], ...]
    at: Mapping[str, int]


def home_currency(rates: Rates, origin: str | None, display: str) -> str:
    """The currency a family holds its money in: its home country's, else the one it
    asked to see (a family from New Zealand shown US dollars still pays from NZD)."""
    country = rates.countries.get(origin) if origin else None
    return country.currency if country is not None else display


def anchor(rates: Rates, currency: str) -> str:
    """The currency a pegged one moves with (itself if not pegged)."""
    seen = {currency}
    while currency in rates.fx.pegs:
        currency = rates.fx.pegs[currency].per
        if currency in seen:  # a loop of pegs cannot validate; stop rather than spin
            break
        seen.add(currency)
    return currency


def unknown(rates: Rates, currencies: Iterable[str]) -> tuple[str, ...]:
    """The currencies with no record of how they move (none when [fx.moves] is absent:
    then nothing is drawn at all)."""
    moves = rates.fx.moves
    if moves is None:
        return ()
    found = {anchor(rates, c) for c in currencies}
    return tuple(sorted(c for c in found if c != moves.per and c not in moves.volatility))


# Exposures worked out, by table, home currency and bill currencies (a batch asks for
# the same few thousands of times), with the table to tell a reused id apart.
_EXPOSURES: dict[tuple[int, str, frozenset[str]], tuple[Rates, Exposure | None]] = {}
_MAX_EXPOSURES = 4096


def exposure(rates: Rates, home: str, currencies: Iterable[str]) -> Exposure | None:
    """The exposure of bills in `currencies` paid from money held in `home`; None
    when nothing moves against `home`, or the table has no [fx.moves],
    or a currency has no record of its moves (unknown() names it)."""
    wanted = frozenset({home, *currencies})
    key = (id(rates), home, wanted)
    hit = _EXPOSURES.get(key)
    if hit is not None and hit[0] is rates:
        return hit[1]
    found = _exposure(rates, home, wanted)
    if len(_EXPOSURES) >= _MAX_EXPOSURES:
        _EXPOSURES.clear()
    _EXPOSURES[key] = (rates, found)
    return found


def _exposure(rates: Rates, home: str, wanted: frozenset[str]) -> Exposure | None:
    moves = rates.fx.moves
    if moves is None or unknown(rates, wanted):
        return None
    anchors = {c: anchor(rates, c) for c in wanted}
    base = anchors[home]
    drawn = tuple(sorted({a for a in anchors.values() if a != base}))
    if not drawn:
        return None  # every bill in the home currency or one pegged with it

    def cov(a: str, b: str) -> float:
        """Yearly covariance of the log changes of a's and b's rates per `per`."""
        if moves.per in (a, b):
            return 0.0
        corr = 1.0 if a == b else float(moves.correlation[f"{min(a, b)}-{max(a, b)}"])
        return float(moves.volatility[a]) * float(moves.volatility[b]) * corr

    # y_c = x_home - x_c: cov(y_a, y_b) = cov(h, h) - cov(h, b) - cov(a, h) + cov(a, b).
    sigma = [
        [cov(base, base) - cov(base, b) - cov(a, base) + cov(a, b) for b in drawn] for a in drawn
    ]
    factor = cholesky(sigma)
    if factor is None:  # the whole matrix validated, so a part of it is fine too
        raise AssertionError(f"covariance of {', '.join(drawn)} not positive semi-definite")
    return Exposure(
        home=home,
        currencies=drawn,
        factor=tuple(tuple(row) for row in factor),
        at={c: drawn.index(a) if a != base else -1 for c, a in anchors.items()},
    )


def pair_volatility(rates: Rates, home: str, currency: str) -> float | None:
    """The yearly standard deviation of the log change of `currency`'s price in
    `home` (None when either has no record)."""
    found = exposure(rates, home, (currency,))
    if found is None:
        return None if unknown(rates, (home, currency)) else 0.0
    i = found.at[currency]
    return math.sqrt(sum(w * w for w in found.factor[i])) if i >= 0 else 0.0


def moving(rates: Rates, home: str, currencies: Iterable[str]) -> list[str]:
    """The currencies among `currencies` that move against `home` (not it, nor a
    currency pegged with it), in order."""
    return sorted({c for c in currencies if anchor(rates, c) != anchor(rates, home)})


def note(rates: Rates, home: str, currencies: Sequence[str]) -> str | None:
    """What an estimate's simulation says of exchange-rate moves of bills in `currencies`
    paid from money held in `home`, if anything."""
    moves = rates.fx.moves
    if moves is None:
        return None
    others = moving(rates, home, currencies)
    if not others:
        return None
    missing = unknown(rates, (home, *others))
    if missing:
        return (
            f"exchange-rate moves not simulated: no record of how {', '.join(missing)} "
            "moves in the rate table's [fx.moves]"
        )
    swings = []
    for c in others:
        vol = pair_volatility(rates, home, c)
        assert vol is not None
        swings.append(f"{c} {vol * 100:.0f}%")
    return (
        f"simulated totals allow for exchange rates moving while you pay bills in "
        f"{' and '.join(others)} from {home} (a typical year's move against {home}: "
        f"{', '.join(swings)}, from the rates of {moves.start.year}-{moves.end.year}); low and "
        "high are at the rates of the table's date; converting the money when you commit "
        "removes this"
    )
