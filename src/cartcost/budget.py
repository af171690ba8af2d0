"""Budget with confidence: P10, P50 and P90 of the whole journey, by simulation.

Adding every low and every high gives a range too wide to plan with. A simulation draws
the journey many times, each figure somewhere in its range, and reports how the totals
spread: P90 is the amount 9 draws in 10 stay under ("raise this much to be 90% sure").

One draw:

- every figure is drawn from a triangular distribution on (low, typical, high); typical
  is the table's `typical`, else the midpoint;
- the phase durations (work-up, manufacturing, inpatient, nearby, visits a week) are
  drawn once and every line that counts them uses that draw, so lodging, meals,
  hospital days, interpreter and visa move together;
- one of the estimate's offers is drawn (each equally likely): its price, its
  manufacturing days, and whether its price includes apheresis, for every line;
- FX is the table's: one set of rates for every line of every draw;
- each ``[events]`` entry: whether it happens, by its probability drawn from its range
  (the same, draw by draw, as the range's mean probability); if it does, its effects are
  drawn and priced as complications.py says, with the same draws of the rates (ward
  day, lodging, ...) the other lines use.

The lines are the estimate's own lines: same keys, same quantities (checked against the
estimate's quantities at both ends of every range on every run). With every range
collapsed to a point and no events, each draw equals the plain estimate.

Numbers: draws are NumPy float64. This is a statistical summary, not money arithmetic;
the figures reported go back to Decimal, rounded to the cent. Totals use every draw;
per-line figures, stay and drivers use the first DETAIL_MAX draws (memory stays bounded
at ten million draws). NumPy is imported only here and only when a budget is asked for.

Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from cartcost import engine
from cartcost.errors import UsageProblem
from cartcost.estimation import (
    Category,
    Estimate,
    FamilyRule,
    LineItem,
    family_rule,
    moves_note,
)
from cartcost.lines import RESERVE as RESERVE_KEY
from cartcost.lines import TIME as TIME_KEY
from cartcost.money import Range
from cartcost.money import total as total_of
from cartcost.rates import Figure, Rates

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from cartcost.comparison import Comparison

    Array = npt.NDArray[np.float64]
    Flags = npt.NDArray[np.bool_]
    Index = npt.NDArray[np.intp]

DEFAULT_DRAWS = 100_000
MIN_DRAWS = 1_000
MAX_DRAWS = 10_000_000
DEFAULT_SEED = 2026
MAX_SEED = 2**63 - 1
CHUNK = 250_000  # draws made at once
DETAIL_MAX = 1_000_000  # draws kept for per-line figures, stay and drivers
HIST_BINS = 32
_Q = (0.1, 0.5, 0.9)
_CENT = Decimal("0.01")


def check_draws(draws: int) -> int:
    if isinstance(draws, bool) or not isinstance(draws, int) or not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise UsageProblem(
            f"--draws must be a whole number from {MIN_DRAWS:,} to {MAX_DRAWS:,}, got {draws}",
            f"with the default, {DEFAULT_DRAWS:,}, P10/P50/P90 move by about 0.1% from one "
            "seed to another",
        )
    return draws


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UsageProblem(f"--seed must be a whole number from 0 to {MAX_SEED}, got {seed}")
    return seed


@dataclass(frozen=True)
class BudgetRequest:
    draws: int
    seed: int
    drivers: bool


def budget_request(
    budget: bool, draws: int | None, seed: int | None, drivers: bool
) -> BudgetRequest | None:
    """What --budget, --draws, --seed and --drivers ask for (any of them asks for a
    budget), checked; None for a plain estimate."""
    if not (budget or drivers or draws is not None or seed is not None):
        return None
    return BudgetRequest(
        draws=check_draws(DEFAULT_DRAWS if draws is None else draws),
        seed=check_seed(DEFAULT_SEED if seed is None else seed),
        drivers=drivers,
    )


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Spread:
    """Percentiles and mean of simulated values (money to the cent, or days)."""

    p10: Decimal
    p50: Decimal
    p90: Decimal
    mean: Decimal

    @property
    def width(self) -> Decimal:
        """P90 - P10: the range 8 draws in 10 fall in."""
        return self.p90 - self.p10


@dataclass(frozen=True)
class LineBudget:
    key: str
    label: str
    category: Category
    plain: Range  # the estimate's low/high for the line
    spread: Spread


@dataclass(frozen=True)
class Driver:
    """How much the total's P10-P90 spread shrinks when one line is held fixed (at any
    fixed value: a constant moves the percentiles, not their distance)."""

    key: str
    label: str
    shrink: Decimal  # display currency; may be slightly negative (noise, or a line
    share: Decimal  # that offsets another); shrink / the total's spread
    # The tornado's bar: the total's P50 with this line moved from its own P50 to its
    # P10 and to its P90, the others unchanged (the lines add up to the total).
    at_p10: Decimal = Decimal(0)
    at_p90: Decimal = Decimal(0)

    @property
    def swing(self) -> Decimal:
        return self.at_p90 - self.at_p10

    @property
    def narrows(self) -> Decimal:
        """What holding the line fixed narrows the spread by, noise below zero as zero."""
        return max(self.shrink, Decimal(0))


@dataclass(frozen=True)
class EventOdds:
    id: str
    label: str
    probability: Range
    typical: Decimal
    happened: Decimal  # share of draws in which it happened


@dataclass(frozen=True)
class Histogram:
    """Counts of simulated totals in equal bins from the plain low to the plain high."""

    low: Decimal
    high: Decimal
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Budget:
    estimate: Estimate
    draws: int
    seed: int
    total: Spread
    lines: tuple[LineBudget, ...]
    stay_days: Spread
    histogram: Histogram
    events: tuple[EventOdds, ...]
    drivers: tuple[Driver, ...] | None  # None when not asked for
    detail_draws: int  # draws behind lines, stay_days, drivers and you_pay
    # What the family pays, from the same journeys (None when the estimate does not know
    # what the family pays).
    you_pay: Spread | None = None
    # What exchange-rate moves add to the total (None: the bills are all in the family's
    # currency, or the table says nothing of moves); `fx_note` says which and how much.
    fx: Spread | None = None
    fx_note: str = ""

    @property
    def currency(self) -> str:
        return self.estimate.currency

    def line(self, key: str) -> LineBudget | None:
        return next((line for line in self.lines if line.key == key), None)

    @property
    def notes(self) -> tuple[str, ...]:
        """The estimate's notes, and the budget's own: what exchange-rate moves add and
        whether the percentiles mix pathways."""
        own = [n for n in (self.fx_note, self.mix_note) if n and n not in self.estimate.notes]
        return (*self.estimate.notes, *own)

    @property
    def pathways(self) -> tuple[str, ...]:
        """The pathways of the offers drawn, in the estimate's order. Each journey takes
        one offer, so with two or more the percentiles mix pathways (mix_note)."""
        return tuple(dict.fromkeys(o.pathway for o in self.estimate.offers))

    @property
    def mixes_pathways(self) -> bool:
        return len(self.pathways) > 1

    @property
    def mix_note(self) -> str:
        """'' where the offers share one pathway; else that the percentiles mix them. The
        plain estimate gives a likely total per pathway, never their mix (an academic
        product at a third of the commercial price would make a P50 nobody pays); a
        budget draws one offer per journey, so it says so and how to see each alone."""
        if not self.mixes_pathways:
            return ""
        ways = self.pathways
        offers = self.estimate.offers
        listed = "; ".join(
            f"{way}: {', '.join(dict.fromkeys(o.brand for o in offers if o.pathway == way))}"
            for way in ways
        )
        return (
            f"the offers are on {len(ways)} pathways ({listed}) and each simulated journey "
            "takes one offer (equally likely), so these percentiles mix the pathways: the "
            f"P50 may be a total nobody pays; --pathway {' or --pathway '.join(ways)} "
            "budgets one alone"
        )

    def measured(self, family: bool) -> tuple[Range, Spread]:
        """Low-high and drawn: of what the family pays (`family`: where a comparison ranks
        by it) if the estimate knows it, else of the total, as a comparison's bars."""
        if family and self.you_pay is not None and self.estimate.you_pay is not None:
            return self.estimate.you_pay, self.you_pay
        return self.estimate.total, self.total

    def to_dict(self, layers: Sequence[str] = ("<embedded>",)) -> dict[str, Any]:
        """What `cartcost estimate --budget -F json` writes, as plain JSON data."""
        import json

        from cartcost.exports.budget import estimate_budget_json_obj
        from cartcost.exports.csvjson import dumps

        found: dict[str, Any] = json.loads(dumps(estimate_budget_json_obj(self, layers)))
        return found


def compare_notes(cmp: Comparison, budgets: Sequence[Budget]) -> list[str]:
    """A comparison's notes under its budgets: those on the plain likely totals give way
    to the budgets' own, which say whose percentiles mix pathways (marked * by a row)."""
    from cartcost.comparison import likely_notes

    plain = set(likely_notes(cmp.rows))
    notes = [n for n in cmp.notes if n not in plain]
    mixed = [(row, b) for row, b in zip(cmp.rows, budgets, strict=True) if b.mixes_pathways]
    if mixed:
        notes.append(
            "* offers on several pathways, and each simulated journey takes one offer "
            "(equally likely), so the row's percentiles mix them: "
            + "; ".join(f"{row.country} {' and '.join(b.pathways)}" for row, b in mixed)
            + "; --pathway NAME budgets one alone, and --by product gives each product its row"
        )
    return notes


# ---------------------------------------------------------------- the draws


def _snap(value: float, low: Decimal, high: Decimal) -> Decimal:
    """A simulated figure as Decimal to the cent; float noise just outside the plain range
    (1e-9 relative) is put back on its edge, nothing more."""
    tol = 1e-9 * max(1.0, abs(float(high)))
    if value < float(low) and float(low) - value <= tol:
        return low.quantize(_CENT, rounding=ROUND_HALF_UP)
    if value > float(high) and value - float(high) <= tol:
        return high.quantize(_CENT, rounding=ROUND_HALF_UP)
    return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def _typical(fig: Figure) -> Decimal:
    low, high = fig.range
    return fig.typical if fig.typical is not None else (low + high) / 2


def _prepared(rates: Rates, est: Estimate) -> engine.Prepared:
    """The engine's plan for the estimate's own scenario and offers."""
    from cartcost.whopays import priced

    # Each offer at the price the estimate used (a foreign patient's cash price, ...).
    sc = est.scenario
    offers = [
        (o.id, priced(rates.countries[sc.country].offers[o.id], sc, rates)) for o in est.offers
    ]
    # Drawn in the table's base currency, whatever the display currency (_run converts
    # what it returns): the same destination's draws are then the same for every family,
    # and NumpyBackend keeps them across the rows of a batch.
    return engine.prepare(
        engine.plan(rates, sc, offers)._replace(display=rates.fx.base), journey=True
    )


def _in_display(
    pr: engine.Prepared, d: engine.Draws, record: dict[str, Any] | None, keys: Sequence[str]
) -> tuple[engine.Draws, dict[str, Any] | None]:
    """The draws in the scenario's display currency: the total, the lines `keys` (every
    line where the draws are recorded) and the money recorded."""
    plan = pr.plan
    display = plan.scenario.currency
    assert display is not None
    if display == plan.display:
        return d, record
    k = float(plan.fx.convert(Decimal(1), plan.display, display))
    wanted = d.lines if record is not None else keys
    lines = {key: d.lines[key] * k for key in wanted}
    if record is not None:
        record = {name: v * k if engine.is_money(name) else v for name, v in record.items()}
    return d._replace(lines=lines, total=d.total * k, fx=d.fx * k), record


# ---------------------------------------------------------------- the summary


def quantiles(values: Array, qs: Sequence[float]) -> list[float]:
    """np.quantile(values, qs) (its default, linear method) without sorting: the order
    statistics needed are found by counting values into bins, then selecting within the
    one bin that holds each. Exact, and about four times faster than np.quantile on a
    line of 100,000 draws, which matters with 20 lines and their drivers."""
    import numpy as np

    n = values.size
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return [lo] * len(qs)
    bins = 4096
    scale = bins / (hi - lo)
    if not np.isfinite(scale):
        # A spread so narrow (subnormal) that binning overflows: sort instead.
        return [float(x) for x in np.quantile(values, qs)]
    idx = ((values - lo) * scale).astype(np.intp)
    np.clip(idx, 0, bins - 1, out=idx)
    counts = np.bincount(idx, minlength=bins)
    ends = np.cumsum(counts)  # ends[b] = how many values are in bins 0..b
    found: dict[int, float] = {}

    def order_stat(k: int) -> float:
        if k not in found:
            b = int(np.searchsorted(ends, k, side="right"))
            members = values[idx == b]
            first = int(ends[b] - counts[b])
            ranks = sorted(j - first for j in range(k - 1, k + 2) if first <= j < ends[b])
            part = np.partition(members, ranks)
            for r in ranks:
                found[first + r] = float(part[r])
        return found[k]

    out = []
    for q in qs:
        h = (n - 1) * q
        k = int(h)
        t = h - k
        a = order_stat(k)
        if t == 0 or k + 1 >= n:
            out.append(a)
            continue
        b = order_stat(k + 1)
        # NumPy's lerp, so the result matches np.quantile to the last bit.
        out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)
    return out


def _summary(values: Array) -> tuple[float, float, float, float]:
    """P10, P50, P90 and mean of the draws."""
    q10, q50, q90 = quantiles(values, _Q)
    return q10, q50, q90, float(values.mean())


def _spread(
    values: Array,
    plain: Range | None = None,
    summary: tuple[float, float, float, float] | None = None,
) -> Spread:
    """The draws' percentiles and mean to the cent, put back on the plain range's edges
    where float noise left them just outside; `summary`: _summary(values), if known."""
    q10, q50, q90, mean = summary if summary is not None else _summary(values)
    if plain is None:
        return Spread(*(Decimal(x).quantize(_CENT, ROUND_HALF_UP) for x in (q10, q50, q90, mean)))
    return Spread(*(_snap(x, plain.low, plain.high) for x in (q10, q50, q90, mean)))


@dataclass(frozen=True)
class Samples:
    """The draws themselves: the total, each line and the stay of every draw (kept), and
    in how many draws each event happened (all draws)."""

    total: Array  # every draw
    lines: dict[str, Array]  # the first `kept` draws
    stay: Array  # the first `kept` draws
    fx: Array | None  # the first `kept` draws of what exchange-rate moves add; None: no moves
    happened: dict[str, int]
    kept: int


# Called with each chunk of draws, its inputs drawn (engine.draw's record) and the
# number of draws before it: how draws_out.py writes every draw without keeping them.
Sink = Callable[[engine.Draws, dict[str, Any], int], None]


def _run(
    pr: engine.Prepared,
    keys: Sequence[str],
    draws: int,
    seed: int,
    keep: int,
    sink: Sink | None = None,
) -> Samples:
    import numpy as np

    totals: list[Array] = []
    detail: dict[str, list[Array]] = {k: [] for k in keys}
    stays: list[Array] = []
    moved: list[Array] = []
    happened = {eid: 0 for eid, _ in pr.plan.events}
    kept = 0
    done = 0
    chunk = 0
    while done < draws:
        n = min(CHUNK, draws - done)
        record: dict[str, Any] | None = {} if sink is not None else None
        d = engine.draw(pr, engine.NumpyBackend(seed, n, chunk), record=record)
        d, record = _in_display(pr, d, record, keys)
        chunk += 1
        if sink is not None and record is not None:
            sink(d, record, done)
        totals.append(np.asarray(d.total, dtype=float))
        for eid, occurs in d.happened.items():
            happened[eid] += int(occurs.sum())
        if kept < keep:
            take = min(n, keep - kept)
            for key in keys:
                values = np.broadcast_to(np.asarray(d.lines[key], dtype=float), (n,))
                detail[key].append(values[:take])
            stays.append(np.asarray(d.stay, dtype=float)[:take])
            if pr.moves is not None:
                moved.append(np.broadcast_to(np.asarray(d.fx, dtype=float), (n,))[:take])
            kept += take
        done += n
    return Samples(
        total=np.concatenate(totals),
        lines={k: np.concatenate(v) for k, v in detail.items()},
        stay=np.concatenate(stays),
        fx=np.concatenate(moved) if moved else None,
        happened=happened,
        kept=kept,
    )


def sample(rates: Rates, est: Estimate, draws: int, seed: int = DEFAULT_SEED) -> Samples:
    """Every draw of every line (memory: 8 bytes x draws x lines), for tests and analysts;
    simulate() summarises the same draws."""
    check_draws(draws)
    check_seed(seed)
    # The time-away line (societal perspective) is priced by the user's income, not
    # drawn by the engine: the budget leaves it out.
    items = [i for i in est.items if i.amount is not None and i.key != TIME_KEY]
    return _run(_prepared(rates, est), [i.key for i in items], draws, seed, keep=draws)


def simulate(
    rates: Rates,
    est: Estimate,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    drivers: bool = False,
    sink: Sink | None = None,
) -> Budget:
    """Simulate the estimate's journey `draws` times; the same inputs and seed give the
    same Budget. sink: given every chunk of draws as it is made (draws_out.py)."""
    import numpy as np

    check_draws(draws)
    check_seed(seed)
    if any(i.key == TIME_KEY for i in est.items):
        # The time-away line (societal perspective) is priced by the user's income, not
        # drawn by the engine: the budget is of the cost of care without it.
        kept_items = tuple(i for i in est.items if i.key != TIME_KEY)
        est = est._replace(
            items=kept_items, total=total_of(i.amount for i in kept_items if i.amount)
        )
    items = [i for i in est.items if i.amount is not None]
    run = _run(_prepared(rates, est), [i.key for i in items], draws, seed, DETAIL_MAX, sink)
    total, lines, kept, happened = run.total, run.lines, run.kept, run.happened
    total_detail = total[:kept]
    plain = est.total
    counts: tuple[int, ...]
    if plain.high > plain.low:
        hist, _ = np.histogram(
            np.clip(total, float(plain.low), float(plain.high)),
            bins=HIST_BINS,
            range=(float(plain.low), float(plain.high)),
        )
        counts = tuple(int(c) for c in hist)
    else:
        counts = (draws,) + (0,) * (HIST_BINS - 1)

    line_budgets = []
    for item in items:
        assert item.amount is not None
        line_budgets.append(
            LineBudget(
                key=item.key,
                label=item.label,
                category=item.category,
                plain=item.amount,
                spread=_spread(lines[item.key], None if item.key == RESERVE_KEY else item.amount),
            )
        )
    found_drivers: tuple[Driver, ...] | None = None
    if drivers:
        found_drivers = _drivers(items, lines, total_detail, run.fx)
    family = family_draws(rates, est, total_detail, lines)
    events = tuple(
        EventOdds(
            id=eid,
            label=ev.label,
            probability=Range(*ev.probability.range),
            typical=_typical(ev.probability),
            happened=(Decimal(happened[eid]) / draws).quantize(Decimal("0.0001")),
        )
        for eid, ev in engine.events_for(rates, est.scenario.indication)
    )
    return Budget(
        estimate=est,
        draws=draws,
        seed=seed,
        total=_spread(total, plain),
        lines=tuple(line_budgets),
        stay_days=_spread(run.stay),
        histogram=Histogram(plain.low, plain.high, counts),
        events=events,
        drivers=found_drivers,
        detail_draws=kept,
        you_pay=None if family is None else _spread(family, est.you_pay),
        fx=None if run.fx is None else _spread(run.fx),
        fx_note=moves_note(rates, [est]) or "",
    )


def family_draws(
    rates: Rates, est: Estimate, total: Array, lines: Mapping[str, Array]
) -> Array | None:
    """What the family pays in each journey (total and lines drawn alike), by the
    estimate's own rule (estimation.family_rule); None when it is unknown."""
    rule = family_of(rates, est, list(lines))
    return None if rule is None else pay_by(rule, total, lines)


def family_of(rates: Rates, est: Estimate, keys: Sequence[str]) -> FamilyRule | None:
    """The estimate's rule for what the family pays of journeys drawn with lines `keys`;
    None when it is unknown. The lines it needs drawn are its `keys`, none for "all"."""
    from cartcost.money import FxTable

    if est.who_pays is None or est.you_pay is None:
        return None
    items = {i.key: i for i in est.items}
    fx = FxTable(rates.fx.base, rates.fx.rates)
    return family_rule(est.who_pays, keys, fx, est.currency, items)


def pay_by(rule: FamilyRule, total: Array, lines: Mapping[str, Array]) -> Array:
    """What the family pays in each journey under `rule`."""
    import numpy as np

    if rule.kind == "all":
        return total
    part = np.zeros_like(total)
    for k in rule.keys:
        part += lines[k]
    if rule.kind == "home":
        found: Array = total - part + np.minimum(rule.amount, part)
        return found
    cut: Array = np.maximum(total - rule.amount * part, 0.0)
    return cut


def _cents(value: float) -> Decimal:
    return Decimal(value).quantize(_CENT, ROUND_HALF_UP) + 0  # never -0


FX_DRIVER = "fx.moves"
FX_DRIVER_LABEL = "Exchange-rate moves"


def _drivers(
    items: Sequence[LineItem],
    lines: Mapping[str, Array],
    total: Array,
    fx: Array | None = None,
) -> tuple[Driver, ...]:
    """For each line, and the exchange-rate moves: the total's P10-P90 spread minus the
    spread with it fixed."""

    def width(values: Array) -> float:
        q10, q90 = quantiles(values, (0.1, 0.9))
        return q90 - q10

    whole = width(total)
    middle = quantiles(total, (0.5,))[0]
    found = []
    parts = [(item.key, item.label, lines[item.key]) for item in items]
    if fx is not None:
        parts.append((FX_DRIVER, FX_DRIVER_LABEL, fx))
    for key, label, line in parts:
        shrink = whole - width(total - line)
        q10, q50, q90 = quantiles(line, (0.1, 0.5, 0.9))
        found.append(
            Driver(
                key=key,
                label=label,
                at_p10=_cents(middle + q10 - q50),
                at_p90=_cents(middle + q90 - q50),
                shrink=Decimal(shrink).quantize(_CENT, ROUND_HALF_UP) + 0,  # never -0
                share=(
                    Decimal(shrink / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP) + 0
                    if whole > 0
                    else Decimal(0)
                ),
            )
        )
    found.sort(key=lambda d: (-d.shrink, d.key))
    return tuple(found)
