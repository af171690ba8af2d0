"""The one cost model: the line declarations of lines.py, evaluated.

    plan(rates, scenario)  -> Plan: the figures each line uses for this scenario's
                              choices, resolved once
    ends(plan)             -> every line at its low and high end, exact Decimal
    draw(plan, backend)    -> every line in one or many simulated journeys (floats, or
                              NumPy arrays), and the complications events

Both evaluators read the same declarations (what a line counts, which figure prices it)
and the same quantity functions; the estimate, the complications reserve, the budget,
compare and batch all go through them. With every range collapsed to a point and no
events, a draw equals the estimate (tests/test_engine.py).

What a simulated journey draws (and only this: what the family chooses is not drawn):
- each phase's days (work-up, inpatient, nearby, visits a week) from a triangular
  distribution on (low, typical, high), typical being the table's or the midpoint;
- one of the offers (equally likely): its price, its manufacturing days and the hospital
  items its price includes;
- each price from its triangle, with a shared factor per group: the prices of one
  hospital move together, and so do those of one city's living (lodging, meals, local
  transport). A price takes its group's uniform with probability SHARED (else its own),
  so each price keeps its own distribution and any two in a group correlate at about
  SHARED: an expensive hospital is expensive across the board, an expensive city for
  lodging is one for meals;
- with `--hospital any` or `--living any`, one combination of choices per journey;
- each event (ICU, severe CRS/ICANS, manufacturing failure, readmission) by its
  probability; its effects lengthen the stay (the day-driven lines and the visa follow)
  and add costs at the journey's own ward and ICU rates. Events count only what falls
  within the stay abroad: the table's probabilities are for that window.
FX is the table's, one set of rates for every line of every journey.

Pure: no I/O, no printing. NumPy is imported only by NumpyBackend.
"""

from __future__ import annotations

import hashlib
import math
import operator
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from itertools import product as combinations
from itertools import repeat
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from cartcost import fxmoves, kept_draws, whopays
from cartcost import lines as L
from cartcost.choices import (
    ANY,
    DEFAULT_TRANSFER,
    HOSPITAL_KINDS,
    LIVING_CHOICES,
    Resolved,
    hospital_kinds,
    resolve_country,
    transfer_fee,
)
from cartcost.lines import Days, Line
from cartcost.memo import Memo
from cartcost.money import FxTable, Range, total
from cartcost.rates import (
    Country,
    Duration,
    Entry,
    Event,
    Money,
    Offer,
    Probability,
    Rates,
    Transfers,
)

if TYPE_CHECKING:
    from cartcost.scenario import Scenario

T = TypeVar("T")

# Within a group (one hospital, one city), a price takes the group's shared uniform with
# this probability: any two prices of the group then correlate at about 0.8.
SHARED = 0.8
GROUPS = ("hospital", "living")
# ICU day cost when the table gives no hospital.icu_day: a multiple of the all-in ward
# day. Basis (docs/rates-schema.md): KTPH Singapore ICU S$1,019 vs A1 ward S$606 and
# non-resident B1 S$361 a day (1.7-2.8x); an assumption, used only as a fallback.
ICU_DAY_FACTOR = Decimal(2)
NOT_PRICED = "no published figure, so not priced"


class Tri(NamedTuple):
    """A triangular distribution (low, mode, high) in floats, in the display currency."""

    a: float
    c: float
    b: float


class Priced(NamedTuple):
    """A money figure as one line uses it for one combination of choices."""

    money: Money
    path: str  # its key path in the table


class PlanLine(NamedTuple):
    line: Line
    alts: tuple[Priced, ...]  # one per combination of choices (or one for all)
    covered: tuple[bool, ...] = ()  # per offer: its price includes this hospital item


class VisaRule(NamedTuple):
    """What one traveller of a nationality pays to enter, by length of stay: the visa fee
    beyond `free_days`, else the visa-free fee (an ESTA or ETA), else nothing."""

    free_days: int
    fee: Money
    free_fee: Money | None
    path: str
    free_sources: tuple[str, ...]
    visa: str

    @classmethod
    def of(cls, entry: Entry, nationality: str, path: str) -> VisaRule:
        key = (id(entry), nationality, path)
        hit = _VISA_RULES.get(key, (entry,))
        if hit is not None:
            return hit
        return _VISA_RULES.keep(
            key,
            (entry,),
            cls(
                free_days=entry.visa_free_days.get(nationality, 0),
                fee=entry.visa_fee.get(nationality, entry.visa_fee["default"]),
                free_fee=entry.visa_free_fee.get(nationality, entry.visa_free_fee.get("default")),
                path=path,
                free_sources=tuple(entry.visa_free_sources),
                visa=entry.visa,
            ),
        )


# VisaRule.of by the entry rules, nationality and key path: visa_ends then finds a rule it
# has priced.
_VISA_RULES: Memo[VisaRule] = Memo()


class Plan(NamedTuple):
    """Everything the evaluators need for one scenario, resolved from the table once."""

    rates: Rates
    scenario: Scenario
    fx: FxTable
    display: str
    country: Country  # as the first combination of choices resolves it
    combos: tuple[tuple[str, str], ...]  # (hospital, living) per combination
    offers: tuple[tuple[str, Offer], ...]
    lines: tuple[PlanLine, ...]
    workup: Duration
    inpatient: Duration
    nearby: Duration
    visits: Duration
    visa: VisaRule | None
    missing: tuple[tuple[str, str], ...]  # (line key, note) of lines not included
    icu: tuple[Priced | None, ...]  # per combination: the ICU day figure, if any
    repeats: dict[str, tuple[Priced, ...]]  # hospital items events repeat: per combination
    events: tuple[tuple[str, Event], ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------- the plan


def combos_for(country: Country, hospital: str, living: str) -> tuple[tuple[str, str], ...]:
    kinds = hospital_kinds(country) or HOSPITAL_KINDS[-1:]
    hospitals = kinds if hospital == ANY else (hospital,)
    livings = LIVING_CHOICES if living == ANY else (living,)
    return tuple(combinations(hospitals, livings))


def _figure(country: Country, part: str, name: str) -> Money | None:
    table = getattr(country, part)
    if table is None:
        return None
    value = getattr(table, name)
    assert value is None or isinstance(value, Money)  # resolve_country made it plain
    return value


# _languages_shared by the table, origin, destination's figures and kind of hospital.
_SHARED: Memo[bool] = Memo()


def _languages_shared(rates: Rates, scenario: Scenario, country: Country, hospital: str) -> bool:
    """Whether the family and the hospital have a language in common (False when the
    table does not say)."""
    if scenario.origin is None or country.services is None:
        return False
    key = (id(rates), scenario.origin, id(country), hospital)
    hit = _SHARED.get(key, (rates, country))
    if hit is not None:
        return hit
    spoken = set(rates.countries[scenario.origin].languages)
    served = country.services.hospital_languages
    kinds = (hospital,) if hospital in served else tuple(served)
    return _SHARED.keep(key, (rates, country), any(spoken & set(served[k]) for k in kinds))


class _Figures(NamedTuple):
    """What a destination's figures are for one set of choices (combinations and city):
    per line of L.LINES its alternatives (None where a combination lacks the figure), and
    the ICU day and repeated items per combination. Independent of who travels."""

    resolved: tuple[Resolved, ...]
    alts: tuple[tuple[Priced, ...] | None, ...]
    icu: tuple[Priced | None, ...]
    repeats: dict[str, tuple[Priced, ...]]


# _figures by (id(country), combos, city), with the country and the rate table to tell a
# reused id apart: a batch plans the same few destinations and choices thousands of times.
_FIGURES: dict[tuple[object, ...], tuple[Country, Rates, _Figures]] = {}
_MAX_FIGURES = 2048


def _figures(
    rates: Rates, cc: str, base: Country, combos: tuple[tuple[str, str], ...], city: str
) -> _Figures:
    key = (id(base), combos, city)
    hit = _FIGURES.get(key)
    if hit is not None and hit[0] is base and hit[1] is rates:
        return hit[2]
    resolved = tuple(resolve_country(base, h, lv, city) for h, lv in combos)
    prefix = f"countries.{cc}."

    def path(i: int, part: str, name: str) -> str:
        p = f"{part}.{name}"
        return prefix + resolved[i].paths.get(p, p)

    alts: list[tuple[Priced, ...] | None] = []
    for line in L.LINES:
        if line.part == "fare":
            alts.append(None)
            continue
        found = [_figure(r.country, line.part, line.field) for r in resolved]
        if any(f is None for f in found):
            alts.append(None)
            continue
        these = tuple(
            Priced(f, path(i, line.part, line.field)) for i, f in enumerate(found) if f is not None
        )
        if all(a.money is these[0].money for a in these):
            these = these[:1]
        alts.append(these)
    icu: list[Priced | None] = []
    for i, r in enumerate(resolved):
        fig = _figure(r.country, "hospital", "icu_day")
        icu.append(None if fig is None else Priced(fig, path(i, "hospital", "icu_day")))
    # Repeated items are billed again even where an offer's price included the first.
    repeats: dict[str, tuple[Priced, ...]] = {}
    for name in sorted({n for ev in rates.events.values() for n in ev.repeat}):
        figs = [_figure(r.country, "hospital", name) for r in resolved]
        if all(f is not None for f in figs):
            repeats[name] = tuple(
                Priced(f, path(i, "hospital", name)) for i, f in enumerate(figs) if f is not None
            )
    found_figures = _Figures(resolved, tuple(alts), tuple(icu), repeats)
    if len(_FIGURES) >= _MAX_FIGURES:
        _FIGURES.clear()
    _FIGURES[key] = (base, rates, found_figures)
    return found_figures


# events_for by (id(table), indication), with the table to tell a reused id apart: the
# same Event objects for every plan of an indication, so what is kept by them is shared.
_EVENTS: dict[tuple[int, str], tuple[Rates, tuple[tuple[str, Event], ...]]] = {}


def events_for(rates: Rates, indication: str) -> tuple[tuple[str, Event], ...]:
    """The table's events with each probability for this indication (an event's
    `by_indication` where it gives one, else its `probability`)."""
    hit = _EVENTS.get((id(rates), indication))
    if hit is not None and hit[0] is rates:
        return hit[1]
    found = tuple(
        (eid, ev._replace(probability=ev.by_indication.get(indication, ev.probability)))
        for eid, ev in rates.events.items()
    )
    if len(_EVENTS) >= 256:
        _EVENTS.clear()
    _EVENTS[(id(rates), indication)] = (rates, found)
    return found


def plan(rates: Rates, scenario: Scenario, offers: Sequence[tuple[str, Offer]]) -> Plan:
    """The figures each line uses for the scenario (resolved: codes checked, choices
    concrete or "any", offers selected)."""
    cc = scenario.country
    base = rates.countries[cc]
    assert scenario.hospital and scenario.living and scenario.city and scenario.currency
    combos = combos_for(base, scenario.hospital, scenario.living)
    figures = _figures(rates, cc, base, combos, scenario.city)
    resolved = figures.resolved
    first = resolved[0].country
    assert first.durations is not None and first.entry is not None
    prefix = f"countries.{cc}."
    notes: list[str] = []

    away = not scenario.lives_nearby
    abroad = scenario.origin is not None and not scenario.domestic
    fare: tuple[str, Money] | None = None
    if abroad:
        assert scenario.origin is not None
        fare = rates.fare(scenario.origin, cc)
    lines, missing = _plan_lines(rates, scenario, figures, combos, offers, fare, away, abroad)

    visa = None
    if abroad:
        assert scenario.origin is not None
        visa = VisaRule.of(first.entry, scenario.origin, f"{prefix}entry")
    elif scenario.origin is None:
        missing = (*missing, (L.VISA, "add --from COUNTRY to include"))
    if scenario.lives_nearby:
        notes.append("lives near the centre: no lodging or local transport")

    dur = first.durations
    inpatient = dur.inpatient_days
    if scenario.caregivers == 0 and dur.inpatient_days_without_carer is not None:
        inpatient = dur.inpatient_days_without_carer
        notes.append("no caregiver: inpatient stay uses the longer without-carer figure")

    return Plan(
        rates=rates,
        scenario=scenario,
        fx=FxTable(rates.fx.base, rates.fx.rates),
        display=scenario.currency,
        country=first,
        combos=combos,
        offers=tuple(offers),
        lines=lines,
        workup=dur.workup_days,
        inpatient=inpatient,
        nearby=dur.nearby_days,
        visits=dur.outpatient_visits_per_week,
        visa=visa,
        missing=missing,
        icu=figures.icu,
        repeats=figures.repeats,
        events=events_for(rates, scenario.indication),
        notes=tuple(notes),
    )


# _plan_lines by the figures (kept by _figures per table and choices), the fare, who
# travels from where and what the offers include: a batch plans the same lines for
# thousands of rows, and ends() then finds them priced already.
_PlanLines = tuple[tuple[PlanLine, ...], tuple[tuple[str, str], ...]]
_LINES: Memo[_PlanLines] = Memo()


def _plan_lines(
    rates: Rates,
    scenario: Scenario,
    figures: _Figures,
    combos: tuple[tuple[str, str], ...],
    offers: Sequence[tuple[str, Offer]],
    fare: tuple[str, Money] | None,
    away: bool,
    abroad: bool,
) -> _PlanLines:
    """The lines the plan prices, each with its figures, and the lines left out with why."""
    resolved = figures.resolved
    # Whether the family shares a language with the hospital of every combination of
    # choices (then no interpreter line): asked only of a family from abroad.
    talk = abroad and all(
        _languages_shared(rates, scenario, r.country, h)
        for r, (h, _) in zip(resolved, combos, strict=True)
    )
    fare_money = fare[1] if fare is not None else None
    key = (
        id(figures),
        id(fare_money),
        fare[0] if fare is not None else "",
        away,
        abroad,
        scenario.origin is None,
        talk,
        tuple(o.includes for _, o in offers),
    )
    hit = _LINES.get(key, (figures, fare_money))
    if hit is not None:
        return hit
    plan_lines: list[PlanLine] = []
    missing: list[tuple[str, str]] = []
    for line, found in zip(L.LINES, figures.alts, strict=True):
        if (line.when == "away" and not away) or (line.when == "no-events" and rates.events):
            continue
        if line.when in ("abroad", "interpreter") and not abroad:
            if line.part == "fare" and scenario.origin is None:
                missing.append((line.key, "add --from COUNTRY to include"))
            continue
        if line.when == "interpreter" and talk:
            continue
        if line.part == "fare":
            if fare is None:
                continue  # estimate() raises for a missing fare before planning
            alts: tuple[Priced, ...] = (Priced(fare[1], fare[0]),)
        elif found is None:
            if not line.optional:
                raise AssertionError(f"{line.key}: validated tables have this figure")
            if line.when in ("abroad", "interpreter"):
                # A service a foreign family may need is never silently 0.
                missing.append((line.key, NOT_PRICED))
            continue
        else:
            alts = found
        covered: tuple[bool, ...] = ()
        if line.item is not None:
            covered = tuple(line.item in o.includes for _, o in offers)
            if all(covered):
                continue
            if not any(covered):
                covered = ()
        plan_lines.append(PlanLine(line, alts, covered))
    return _LINES.keep(key, (figures, fare_money), (tuple(plan_lines), tuple(missing)))


# ---------------------------------------------------------------- the ends, in Decimal


def _low(d: Duration) -> Decimal:
    return d.range[0]


def _high(d: Duration) -> Decimal:
    return d.range[1]


# days_at by the durations (the table's, or an event-free plan's own) and the end. A Days
# is never changed once made.
_DAYS: Memo[Days] = Memo()


def days_at(p: Plan, end: Callable[[Duration], Decimal]) -> Days:
    """The phases at one end of their ranges; manufacturing spans the offers."""
    parts = (
        p.workup,
        p.inpatient,
        p.nearby,
        p.visits,
        *(o.manufacturing_days for _, o in p.offers),
    )
    key = (end, *map(id, parts))
    hit = _DAYS.get(key, parts)
    return hit if hit is not None else _DAYS.keep(key, parts, _days_at(p, end))


def _days_at(p: Plan, end: Callable[[Duration], Decimal]) -> Days:
    pick = min if end is _low else max
    return Days(
        workup=end(p.workup),
        manufacturing=pick(end(o.manufacturing_days) for _, o in p.offers),
        inpatient=end(p.inpatient),
        nearby=end(p.nearby),
        visits_per_week=end(p.visits),
    )


def low_days(p: Plan) -> Days:
    return days_at(p, _low)


def high_days(p: Plan) -> Days:
    return days_at(p, _high)


class LineEnds(NamedTuple):
    """One line at both ends: the rate (per unit, or the one-off amount) in its native
    currency, the quantity, and the amount in the display currency."""

    line: Line
    rate: Range
    currency: str
    quantity: Range | None
    native: Range
    amount: Range
    sources: tuple[str, ...]
    paths: tuple[str, ...]
    note: str


def _rate_range(p: Plan, pl: PlanLine) -> tuple[Range, str]:
    """The line's rate across the combinations of choices: the cheapest low and the
    dearest high, in the figures' currency (the table's base when they differ)."""
    if len(pl.alts) == 1:
        m = pl.alts[0].money
        return Range(m.range[0], m.range[1]), m.currency
    currencies = {a.money.currency for a in pl.alts}
    ccy = currencies.pop() if len(currencies) == 1 else p.fx.base

    def conv(m: Money, i: int) -> Decimal:
        return p.fx.convert(m.range[i], m.currency, ccy)

    return (
        Range(min(conv(a.money, 0) for a in pl.alts), max(conv(a.money, 1) for a in pl.alts)),
        ccy,
    )


class _Native(NamedTuple):
    """A line at both ends in its own currency: all of LineEnds but the amount."""

    rate: Range
    currency: str
    quantity: Range | None
    native: Range
    sources: tuple[str, ...]
    paths: tuple[str, ...]
    note: str


# _native by the line's figures (the alternatives' tuple, kept by _figures per table and
# choices), what it counts at each end and who travels, with the table and the figures to
# tell a reused id apart: the rows of a batch price the same lines over and over.
_NATIVE: dict[tuple[object, ...], tuple[Rates, tuple[Priced, ...], _Native]] = {}
_MAX_NATIVE = 20_000


def _native(p: Plan, pl: PlanLine, low: Days, high: Days, phases: tuple[object, ...]) -> _Native:
    line = pl.line
    cg = p.scenario.caregivers
    ends: tuple[object, ...] = ()
    if line.quantity is not None and line.part != "fare":
        ends = phases
    # A fare's figures are the route's, new to every plan: not kept.
    keep = line.part != "fare"
    key = (id(p.rates), id(pl.alts), line.key, pl.covered, cg, ends)
    hit = _NATIVE.get(key) if keep else None
    if hit is not None and hit[0] is p.rates and hit[1] is pl.alts:
        return hit[2]
    rate, ccy = _rate_range(p, pl)
    quantity: Range | None
    if line.part == "fare":
        quantity = Range.of(p.scenario.travellers)
    elif line.quantity is not None:
        quantity = Range(line.quantity(low, cg), line.quantity(high, cg))
    else:
        quantity = None
    native = rate * quantity if quantity is not None else rate
    note = ""
    if pl.covered:
        native = Range(Decimal(0), native.high)
        note = "some offers include it in the product price"
    elif len(pl.alts) == 1:
        note = pl.alts[0].money.note
    found = _Native(
        rate=rate,
        currency=ccy,
        quantity=quantity,
        native=native,
        sources=tuple(dict.fromkeys(s for a in pl.alts for s in a.money.sources)),
        paths=tuple(dict.fromkeys(a.path for a in pl.alts)),
        note=note,
    )
    if keep:
        if len(_NATIVE) >= _MAX_NATIVE:
            _NATIVE.clear()
        _NATIVE[key] = (p.rates, pl.alts, found)
    return found


# line_ends by its kept native ends and the display currency: the same line of the same
# figures, days and party costs the same in a currency (the table's rates, one set).
_ENDS: dict[tuple[int, str], tuple[_Native, Line, LineEnds]] = {}


def line_ends(p: Plan, pl: PlanLine, low: Days, high: Days, phases: tuple[object, ...]) -> LineEnds:
    """`phases`: the phases' days at both ends (low's, then high's, in _PHASES order)."""
    n = _native(p, pl, low, high, phases)
    key = (id(n), p.display)
    hit = _ENDS.get(key)
    if hit is not None and hit[0] is n and hit[1] is pl.line:
        return hit[2]
    found = LineEnds(
        line=pl.line,
        rate=n.rate,
        currency=n.currency,
        quantity=n.quantity,
        native=n.native,
        amount=p.fx.convert_range(n.native, n.currency, p.display),
        sources=n.sources,
        paths=n.paths,
        note=n.note,
    )
    if pl.line.part != "fare":  # a fare's native ends are new to every plan: not kept
        if len(_ENDS) >= _MAX_NATIVE:
            _ENDS.clear()
        _ENDS[key] = (n, pl.line, found)
    return found


# visa_ends by the rule (kept by VisaRule.of), the stay, who travels and the display
# currency.
_VISAS: Memo[LineEnds] = Memo()


def visa_ends(p: Plan, stay: Range) -> LineEnds:
    """The visa line: at each end, the fee the stay at that end pays, covering both fees
    where the range of stays crosses the visa-free limit."""
    rule = p.visa
    assert rule is not None
    key = (id(rule), id(p.rates), stay.low, stay.high, p.scenario.travellers, p.display)
    owners = (rule, p.rates)
    hit = _VISAS.get(key, owners)
    return hit if hit is not None else _VISAS.keep(key, owners, _visa_ends(p, rule, stay))


def _visa_ends(p: Plan, rule: VisaRule, stay: Range) -> LineEnds:
    fx = p.fx
    travellers = Decimal(p.scenario.travellers)

    def end(stay_days: Decimal, which: int) -> tuple[Decimal, str, tuple[str, ...]]:
        if stay_days > rule.free_days:
            return rule.fee.range[which], rule.fee.currency, tuple(rule.fee.sources)
        if rule.free_fee is not None:
            f = rule.free_fee
            return f.range[which], f.currency, tuple(f.sources)
        return Decimal(0), rule.fee.currency, rule.free_sources

    low, low_ccy, low_src = end(stay.low, 0)
    high, ccy, high_src = end(stay.high, 1)
    if low_ccy != ccy:
        low = fx.convert(low, low_ccy, ccy)
    # A stay range across the visa-free limit may pay either fee: cover both, so a
    # visa-free fee dearer than the visa cannot make low > high.
    alt_low, alt_low_ccy, _ = end(stay.high, 0)
    alt_high, alt_high_ccy, _ = end(stay.low, 1)
    low = min(low, fx.convert(alt_low, alt_low_ccy, ccy))
    high = max(high, fx.convert(alt_high, alt_high_ccy, ccy))
    rate = Range(low, high)
    native = rate * travellers
    free = rule.free_days
    if stay.low > free:
        note = f"{rule.visa}; stay exceeds {free} visa-free days" if free else rule.visa
    elif stay.high > free:
        note = f"{rule.visa} needed if the stay exceeds {free} visa-free days"
    else:
        note = f"visa-free for up to {free} days"
    return LineEnds(
        line=Line(L.VISA, "travel", "Visas", "entry", "visa_fee", unit="travellers"),
        rate=rate,
        currency=ccy,
        quantity=Range.of(p.scenario.travellers),
        native=native,
        amount=fx.convert_range(native, ccy, p.display),
        sources=tuple(dict.fromkeys((*low_src, *high_src, *rule.free_sources))),
        paths=(f"{rule.path}.visa_fee",),
        note=note,
    )


# The lines' ends by the plan's lines (kept by _plan_lines), the phases' days at both
# ends, the caregivers and the display currency.
_LINES_ENDS: Memo[tuple[LineEnds, ...]] = Memo()


def ends(p: Plan) -> tuple[list[LineEnds], Days, Days]:
    """Every ordinary line and the visa at both ends (the product and the reserve are
    built by estimate(), from the offers and from draw())."""
    low, high = low_days(p), high_days(p)
    phases = tuple(getattr(d, k) for d in (low, high) for k in _PHASES)
    key = (id(p.lines), phases, p.scenario.caregivers, p.display)
    kept = _LINES_ENDS.get(key, (p.lines,))
    if kept is None:
        kept = _LINES_ENDS.keep(
            key, (p.lines,), tuple(line_ends(p, pl, low, high, phases) for pl in p.lines)
        )
    found = list(kept)
    if p.visa is not None:
        # At its high end, the stay lengthened by every complication at its worst, so
        # the visa that would need is in the visa line (draw() prices it so too).
        longest = high.stay + sum(
            (
                fig.range[1]
                for _, ev in p.events
                for fig in (ev.icu_days, ev.inpatient_days, ev.wait_days)
                if fig is not None
            ),
            Decimal(0),
        )
        found.append(visa_ends(p, Range(low.stay, longest)))
    return found, low, high


# ---------------------------------------------------------------- draws


class Backend:
    """How draw() gets random numbers and does the few things operators cannot: one
    journey at a time in floats (Python's random), or many at once (NumpyBackend).

    A uniform is a float in [0, 1) here; `pick(k)` which of k alternatives a journey
    uses; `take(values, index)` the chosen one's value. Every uniform is named after the
    input it draws ("days.inpatient", "rate.hospital.inpatient_day"): the plain Python
    backends draw them in turn from one generator and ignore the name; NumpyBackend
    draws each from its own stream, the same for every scenario (common random numbers).
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uniform(self, name: str) -> Any:
        return self.rng.random()

    def pick(self, k: int, name: str) -> Any:
        return min(int(self.rng.random() * k), k - 1)

    def take(self, values: Sequence[float], index: Any) -> Any:
        return values[index]

    def where(self, cond: Any, yes: Any, no: Any) -> Any:
        return yes if cond else no

    def positive(self, x: Any) -> Any:
        return x if x > 0 else 0.0

    def sqrt(self, x: Any) -> Any:
        return math.sqrt(x)

    def expm1(self, x: Any) -> Any:
        return math.expm1(x)

    def normal(self, name: str) -> Any:
        """A standard normal draw (Box-Muller, from the uniforms "<name>.r" and
        "<name>.t")."""
        r, t = self.uniform(f"{name}.r"), self.uniform(f"{name}.t")
        return math.sqrt(-2.0 * math.log1p(-r)) * math.cos(2.0 * math.pi * t)

    def select(self, options: Sequence[Any], index: Any) -> Any:
        """options[index], journey by journey (each option a number or per journey)."""
        return options[index]

    def occurs(self, u: Any, p: float) -> Any:
        return 1.0 if u < p else 0.0

    def zeros(self) -> Any:
        return 0.0

    def total(self, values: Sequence[Any]) -> Any:
        """The sum of the lines, journey by journey."""
        out = self.zeros()
        for v in values:
            out = out + v
        return out

    def mixed(self, shared: Any, p: float, name: str) -> Any:
        """A uniform that is `shared` with probability p, else a fresh one: one uniform
        u decides and, above p, gives the fresh one, (u - p) / (1 - p)."""
        u = self.uniform(name)
        return self.where(u < p, shared, (u - p) / (1.0 - p))

    def mixed_triangular(self, shared: Any, p: float, name: str, a: Any, c: Any, hi: Any) -> Any:
        """The triangular draw (a, c, hi) from the uniform mixed(shared, p, name)."""
        return self.triangular(self.mixed(shared, p, name), a, c, hi)

    def memo(
        self,
        key: tuple[object, ...],
        names: Sequence[str],
        make: Callable[[], T],
        alone: bool = False,
    ) -> T:
        """make(), which draws the uniforms `names` and depends on nothing but them and
        `key`: NumpyBackend keeps what it gives for the next scenario. alone: make()
        uses nothing drawn before it either (no pick, no shared uniform), so ListBackend
        may keep it by where its generator stands."""
        return make()

    def choose(self, u: Any, alts: Sequence[Tri], which: Any) -> Any:
        """A triangular draw from u of the alternative `which` picks, journey by journey."""
        return self.triangular(
            u,
            self.take([t.a for t in alts], which),
            self.take([t.c for t in alts], which),
            self.take([t.b for t in alts], which),
        )

    def triangular(self, u: Any, a: Any, c: Any, hi: Any) -> Any:
        """Inverse CDF of a triangular distribution; a point (a == hi) gives a exactly,
        and u = 1 gives hi exactly."""
        w = hi - a
        if w <= 0:
            return a
        if u >= 1.0:
            return hi
        if u < (c - a) / w:
            return a + math.sqrt(u * w * (c - a))
        return hi - math.sqrt((1.0 - u) * w * (hi - c))


class EndBackend(Backend):
    """Every uniform at its top (1.0) and every event happening: the worst case, every
    figure and effect at its high end, in the dearest alternative."""

    def __init__(self) -> None:
        super().__init__(random.Random(0))

    def uniform(self, name: str) -> Any:
        return 1.0

    def pick(self, k: int, name: str) -> Any:
        return -1  # "the dearest": take() picks the largest value

    def take(self, values: Sequence[float], index: Any) -> Any:
        return max(values) if index == -1 else values[index]

    def occurs(self, u: Any, p: float) -> Any:
        return 1.0

    def normal(self, name: str) -> Any:
        return 0.0  # the worst case is of the figures, at the table's exchange rates


def triangular(b: Backend, u: Any, a: Any, c: Any, hi: Any) -> Any:
    """A triangular draw (a, c, hi) from the uniform u, by the backend."""
    return b.triangular(u, a, c, hi)


def _tri(fig: Money | Duration | Probability, to: Callable[[Decimal], Decimal] | None) -> Tri:
    if to is None:
        return _plain_tri(fig)
    low, high = fig.range
    typical = fig.typical if fig.typical is not None else (low + high) / 2
    return Tri(float(to(low)), float(to(typical)), float(to(high)))


# A figure's triangle as it stands (days, probabilities), by id(figure), with the
# figure to tell a reused id apart: a batch of budgets prepares the same ones each row.
_PLAIN_TRIS: dict[int, tuple[Money | Duration | Probability, Tri]] = {}


def _plain_tri(fig: Money | Duration | Probability) -> Tri:
    hit = _PLAIN_TRIS.get(id(fig))
    if hit is not None and hit[0] is fig:
        return hit[1]
    low, high = fig.range
    typical = fig.typical if fig.typical is not None else (low + high) / 2
    found = Tri(float(low), float(typical), float(high))
    if len(_PLAIN_TRIS) >= _MAX_TRIS:
        _PLAIN_TRIS.clear()
    _PLAIN_TRIS[id(fig)] = (fig, found)
    return found


_PHASES = ("workup", "manufacturing", "inpatient", "nearby", "visits_per_week")


class Draws(NamedTuple):
    """One draw (floats) or many (arrays) of every line, in the display currency."""

    lines: dict[str, Any]  # line key -> amount (the reserve included)
    stay: Any
    happened: dict[str, Any]  # event id -> 1.0/0.0 (or a flag array)
    total: Any  # the lines and `fx`
    # What exchange-rate moves add to the lines (at the table's rates) by the time they
    # are paid: 0.0 when the plan was prepared without moves (fxmoves.py).
    fx: Any = 0.0


class Moves(NamedTuple):
    """The exchange-rate moves a plan's journeys are exposed to: the exposure, and per
    line its currency's index into the exposure, per alternative ("offer": by the offer
    drawn; "combo": by the combination of choices). Like the transfer fee, they fall on
    the money the family sends: not on the share of the lines `direct` that a scheme
    pays the provider directly (`direct_share`)."""

    exposure: fxmoves.Exposure
    lines: tuple[tuple[str, str, tuple[int, ...]], ...]  # (line key, selector, indices)
    direct: tuple[str, ...] = ()
    direct_share: float = 0.0


class JourneyMoney(NamedTuple):
    """Which currencies a journey's bills are in, and which it sends abroad."""

    home: str  # the family's own currency
    # (line key, selector, currency per alternative) of every line a journey pays abroad
    # (not the flights and visas: lines.PAID_AT_HOME): each in its figures' currency
    # ("offer": by the offer; "combo": by the combination of choices); the reserve in
    # the ward day's, as most of it is hospital days.
    lines: tuple[tuple[str, str, tuple[str, ...]], ...]
    # The lines billed (for some offer or choice) in another currency than the family's:
    # the money it converts and sends abroad, on which transfer fees fall. A pegged
    # currency is still another currency: converting costs the same.
    foreign: tuple[str, ...]
    # Of those, the treatment lines an applied scheme pays the provider for directly
    # (`settles = "direct"`: the S2 routes), and the share it pays (the middle of its
    # range): the family sends none of that share, so no fee falls on it.
    direct: tuple[str, ...] = ()
    direct_share: float = 0.0


# The last plan's JourneyMoney: estimate() and prepare() ask for the same plan in turn.
_LAST_MONEY: list[tuple[Plan, JourneyMoney]] = []
# journey_money by what it reads of a plan: its lines (kept by _plan_lines), the offers'
# price currencies, the family's currency and the scheme.
_MONEY: Memo[JourneyMoney] = Memo()


def journey_money(p: Plan) -> JourneyMoney:
    if _LAST_MONEY and _LAST_MONEY[0][0] is p:
        return _LAST_MONEY[0][1]
    display = p.scenario.currency
    assert display is not None
    home = fxmoves.home_currency(p.rates, p.scenario.origin, display)
    key = (
        id(p.lines),
        id(p.rates),
        tuple(o.price.currency for _, o in p.offers),
        home,
        p.scenario.reimbursement,
        bool(p.events),
    )
    hit = _MONEY.get(key, (p.lines, p.rates))
    if hit is not None:
        _LAST_MONEY[:] = [(p, hit)]
        return hit
    per_line: list[tuple[str, str, tuple[str, ...]]] = [
        (L.PRODUCT, "offer", tuple(o.price.currency for _, o in p.offers))
    ]
    per_line += [
        (pl.line.key, "combo", tuple(a.money.currency for a in pl.alts))
        for pl in p.lines
        if pl.line.key not in L.PAID_AT_HOME
    ]
    ward = next((pl for pl in p.lines if pl.line.key == "hospital.inpatient"), None)
    if p.events and ward is not None:
        per_line.append((L.RESERVE, "combo", tuple(a.money.currency for a in ward.alts)))
    foreign = tuple(key for key, _, cs in per_line if any(c != home for c in cs))
    direct, share = direct_payment(p, foreign)
    found = JourneyMoney(home, tuple(per_line), foreign, direct, share)
    _LAST_MONEY[:] = [(p, found)]
    return _MONEY.keep(key, (p.lines, p.rates), found)


def direct_payment(p: Plan, keys: Sequence[str]) -> tuple[tuple[str, ...], float]:
    """The lines of `keys` the scenario's applied scheme pays the provider for directly,
    and the middle of its share; ((), 0.0) when no scheme settles so. Only the treatment
    (product and hospital): what a scheme pays towards travel and lodging reaches the
    family, which pays those bills itself."""
    scheme = p.rates.schemes.get(p.scenario.reimbursement or "")
    if scheme is None or scheme.settles != "direct":
        return (), 0.0
    paid = tuple(k for k in keys if category_of(k) in whopays.TREATMENT)
    cut = whopays.scheme_share(scheme)
    return paid, float((cut.low + cut.high) / 2)


def category_of(key: str) -> str:
    """The category of a drawn line's key (the lines of lines.py and the ones ends() and
    draw() add: the product, the visa, the reserve, the transfer fee)."""
    if key == L.PRODUCT:
        return "product"
    if key == L.VISA:
        return "travel"
    if key == L.RESERVE:
        return "hospital"
    if key == L.TRANSFER:
        return "services"
    return L.BY_KEY[key].category


def transfer_share(p: Plan) -> Tri | None:
    """The transfer fee's share of the money sent (low, typical, high), if the table
    prices transfers and the journey sends money abroad."""
    transfers = p.rates.transfers
    if transfers is None or not journey_money(p).foreign:
        return None
    return _tri(_fee(transfers, p), None)


def _fee(transfers: Transfers, p: Plan) -> Probability:
    return transfer_fee(transfers, p.scenario.transfer or DEFAULT_TRANSFER)[0]


def money_sent(p: Plan, amounts: dict[str, Range]) -> Range:
    """The money the family sends abroad at the low and high ends, from the lines'
    `amounts`: every line billed in another currency (journey_money), less what a scheme
    pays the provider directly, as what the family pays counts it (the least sent where
    the scheme pays its largest share). draw() sends the same in each journey."""
    money = journey_money(p)
    sent = total(amounts[k] for k in money.foreign if k in amounts)
    if not money.direct:
        return sent
    scheme = p.rates.schemes[p.scenario.reimbursement or ""]
    paid = total(amounts[k] for k in money.direct if k in amounts)
    left = whopays.left_to_family(paid, whopays.scheme_share(scheme))
    return Range(sent.low - paid.low + left.low, sent.high - paid.high + left.high)


def transfer_ends(p: Plan, sent: Range) -> Range:
    """The transfer fee at the low and high ends: the fee's low share of the low ends of
    the money sent abroad (`sent`: the foreign lines' total), its high share of their
    high ends. draw() prices it so in each journey, at a share drawn once."""
    transfers = p.rates.transfers
    assert transfers is not None
    low, high = _fee(transfers, p).range
    return Range(low * sent.low, high * sent.high)


def _moves_of(p: Plan) -> Moves | None:
    """The plan's exposure to exchange-rate moves, None if it has none."""
    money = journey_money(p)
    per_line = money.lines
    found = fxmoves.exposure(p.rates, money.home, {c for _, _, cs in per_line for c in cs})
    if found is None:
        return None
    return Moves(
        found,
        tuple((key, sel, tuple(found.at[c] for c in cs)) for key, sel, cs in per_line),
        money.direct,
        money.direct_share,
    )


class Prepared(NamedTuple):
    """The plan's figures as floats in the display currency, ready to draw."""

    plan: Plan
    prices: tuple[Tri, ...]  # per offer
    manufacturing: tuple[Tri, ...]  # per offer
    workup: Tri
    inpatient: Tri
    nearby: Tri
    visits: Tri
    rates: tuple[tuple[Tri, ...], ...]  # per plan line: per alternative
    keep: tuple[
        tuple[float, ...], ...
    ]  # per plan line, per offer: 0.0 where its price includes the item
    fee: Tri | None
    free_fee: Tri | None
    icu: tuple[Tri | None, ...]
    events: tuple[tuple[str, float, Tri | None, Tri | None, Tri | None, Tri | None], ...]
    repeats: dict[str, tuple[int | None, tuple[Tri, ...]]]  # item -> its plan line, figure
    moves: Moves | None = None  # None: drawn at the table's exchange rates
    transfer: Transfer | None = None  # None: no transfer fee drawn


# A money figure's triangle in a display currency, by (id(table), id(figure), currency),
# with the table and the figure to tell a reused id apart: a batch of budgets prepares
# the same figures thousands of times, and converting them is Decimal work.
_TRIS: dict[tuple[int, int, str], tuple[Rates, Money, Tri]] = {}
_MAX_TRIS = 20_000


def prepare(p: Plan, journey: bool = False) -> Prepared:
    """The plan's figures as floats in its display currency. `journey`: the family's
    whole journey, so its draws also count the transfer fees and the exchange-rate moves
    against the family's own currency (fxmoves.py); the complications reserve and the
    worst case, which are of the figures alone, need neither."""
    fx, display, table = p.fx, p.display, p.rates

    def money(m: Money) -> Tri:
        key = (id(table), id(m), display)
        hit = _TRIS.get(key)
        if hit is not None and hit[0] is table and hit[1] is m:
            return hit[2]
        found = _tri(m, lambda x: fx.convert(x, m.currency, display))
        if len(_TRIS) >= _MAX_TRIS:
            _TRIS.clear()
        _TRIS[key] = (table, m, found)
        return found

    events = []
    for eid, ev in p.events:
        prob = _tri(ev.probability, None)
        events.append(
            (
                eid,
                (prob.a + prob.c + prob.b) / 3,
                None if ev.icu_days is None else _tri(ev.icu_days, None),
                None if ev.inpatient_days is None else _tri(ev.inpatient_days, None),
                None if ev.wait_days is None else _tri(ev.wait_days, None),
                None if ev.cost is None else money(ev.cost),
            )
        )
    return Prepared(
        plan=p,
        prices=tuple(money(o.price) for _, o in p.offers),
        manufacturing=tuple(_tri(o.manufacturing_days, None) for _, o in p.offers),
        workup=_tri(p.workup, None),
        inpatient=_tri(p.inpatient, None),
        nearby=_tri(p.nearby, None),
        visits=_tri(p.visits, None),
        rates=tuple(tuple(money(a.money) for a in pl.alts) for pl in p.lines),
        keep=tuple(tuple(0.0 if c else 1.0 for c in pl.covered) for pl in p.lines),
        fee=None if p.visa is None else money(p.visa.fee),
        free_fee=None if p.visa is None or p.visa.free_fee is None else money(p.visa.free_fee),
        icu=tuple(None if f is None else money(f.money) for f in p.icu),
        events=tuple(events),
        repeats={
            item: (
                next((i for i, pl in enumerate(p.lines) if pl.line.item == item), None),
                tuple(money(a.money) for a in alts),
            )
            for item, alts in p.repeats.items()
        },
        moves=_moves_of(p) if journey else None,
        transfer=_transfer_of(p) if journey else None,
    )


def _transfer_of(p: Plan) -> Transfer | None:
    share = transfer_share(p)
    if share is None:
        return None
    money = journey_money(p)
    return Transfer(share, money.foreign, money.direct, money.direct_share)


class Transfer(NamedTuple):
    """What a journey's transfer fee falls on: the fee's share of the money sent, the
    lines sent abroad, and of those the ones a scheme pays the provider for directly
    (at `direct_share`), which the family does not send."""

    share: Tri
    sent: tuple[str, ...]
    direct: tuple[str, ...] = ()
    direct_share: float = 0.0


def _choose(b: Backend, u: Any, alts: Sequence[Tri], which: Any) -> Any:
    if len(alts) == 1:
        t = alts[0]
        return triangular(b, u, t.a, t.c, t.b)
    return b.choose(u, alts, which)


def draw(
    pr: Prepared,
    b: Backend,
    events: bool = True,
    record: dict[str, Any] | None = None,
    reserve_only: bool = False,
) -> Draws:
    """One journey (Backend) or many (NumpyBackend): every line, the stay and the events.

    The reserve (events) counts the ICU and ward days at this journey's rates, repeated
    hospital items, one-off costs and the longer stay on every day-driven line; the visa
    line is priced for the stay as it turned out.

    record: filled with the inputs drawn, by name (draws_out.py): "offer" and "choice"
    (indices), "price", "days.<phase>", "rate.<line key>", "visa_fee", "icu_day" and
    "event.<id>" (1.0/0.0); amounts in the display currency. Drawing is unchanged.

    reserve_only: only the complications reserve is wanted (its P95): the same draws, but
    no line's amount nor the total is worked out; the reserve is the only line and the
    total."""
    p = pr.plan
    caregivers = p.scenario.caregivers
    travellers = float(p.scenario.travellers)
    combo = b.pick(len(p.combos), "choice") if len(p.combos) > 1 else 0
    offer = b.pick(len(p.offers), "offer") if len(p.offers) > 1 else 0
    shared = {g: b.uniform(f"shared.{g}") for g in GROUPS}

    def u_for(group: str, name: str) -> Any:
        if group not in shared:
            return b.uniform(name)
        return b.mixed(shared[group], SHARED, name)

    price = _choose(b, b.uniform("price"), pr.prices, offer)
    # NumpyBackend keeps what is drawn across scenarios, by keys naming everything it
    # depends on (the figures as floats, the picks, who travels): the days here, each
    # line's rate and amount, the events and the longer stay they make.
    days_key = ("days", pr.workup, pr.manufacturing, pr.inpatient, pr.nearby, pr.visits)
    days = b.memo(
        days_key,
        _DAY_NAMES,
        lambda: Days(
            workup=triangular(b, b.uniform("days.workup"), *pr.workup),
            manufacturing=_choose(b, b.uniform("days.manufacturing"), pr.manufacturing, offer),
            inpatient=triangular(b, b.uniform("days.inpatient"), *pr.inpatient),
            nearby=triangular(b, b.uniform("days.nearby"), *pr.nearby),
            visits_per_week=triangular(b, b.uniform("days.visits_per_week"), *pr.visits),
        ),
        alone=len(pr.manufacturing) == 1,  # else the offer picked sets the manufacturing
    )

    amounts: dict[str, Any] = {L.PRODUCT: price}
    if record is not None:
        record.update(offer=offer, choice=combo, price=price)
        record.update({f"days.{k}": getattr(days, k) for k in _PHASES})

    def rate_for(group: str, name: str, alts: tuple[Tri, ...]) -> Any:
        if group in shared and len(alts) == 1:
            t = alts[0]
            return b.mixed_triangular(shared[group], SHARED, name, t.a, t.c, t.b)
        return _choose(b, u_for(group, name), alts, combo)

    # Each line's quantity over the planned days, as its amount counted it: the reserve
    # counts the day-driven lines again, over the longer stay less these.
    planned: dict[str, Any] = {}

    def amount_of(line: Line, rate: Any, keep: tuple[float, ...]) -> Any:
        """The line's amount in each journey, from its rate."""
        if line.part == "fare":
            amount = rate * travellers
        elif line.quantity is not None:
            q = planned[line.key] = line.quantity(days, caregivers)
            amount = rate * q
        else:
            amount = rate
        if keep:
            amount = amount * b.take(keep, offer)
        return amount

    rate_of: list[Any] = []
    for pl, alts, keep in zip(p.lines, pr.rates, pr.keep, strict=True):
        line = pl.line
        name = f"rate.{line.key}"
        # The rate per line and figures (a budget draws in the table's base currency, so
        # every family's shares them); the amount also per who travels and the days.
        rate_key = ("rate", line.key, alts, len(p.combos))
        rate = b.memo(
            rate_key,
            (name,),
            partial(rate_for, line.group, name, alts),
        )
        rate_of.append(rate)
        if record is not None:
            record[name] = rate
        if reserve_only:  # what the reserve reads of a line is its rate
            continue
        counts = line.part == "fare" or line.quantity is not None
        amount = (
            b.memo(
                (
                    "amount",
                    rate_key,
                    keep,
                    len(p.offers),
                    (caregivers, travellers, days_key) if counts else None,
                ),
                (),
                partial(amount_of, line, rate, keep),
            )
            if counts or keep
            else rate
        )
        amounts[line.key] = amount

    fee: Any = 0.0
    fee_free: Any = 0.0
    free_days = p.visa.free_days if p.visa is not None else 0
    if pr.fee is not None:
        fee = triangular(b, u_for("travel", "visa_fee"), *pr.fee)
        if pr.free_fee is not None:
            fee_free = triangular(b, u_for("travel", "visa_free_fee"), *pr.free_fee)

    def visa_at(stay: Any) -> Any:
        return b.where(stay > free_days, fee, fee_free) * travellers

    stay = days.stay
    if pr.fee is not None:
        amounts[L.VISA] = visa_at(stay)
        if record is not None:
            record["visa_fee"] = fee

    happened: dict[str, Any] = {}
    if events and pr.events:
        ward = rate_of[
            next(i for i, pl in enumerate(p.lines) if pl.line.key == "hospital.inpatient")
        ]
        icu_alts = [t for t in pr.icu if t is not None]
        if len(icu_alts) == len(pr.icu) and icu_alts:
            icu = _choose(b, u_for("hospital", "icu_day"), icu_alts, combo)
        else:
            icu = ward * float(ICU_DAY_FACTOR)
        if record is not None:
            record["icu_day"] = icu
        extra_in = b.zeros()
        extra_out = b.zeros()
        direct = b.zeros()
        for eid, prob, icu_days, ward_days, wait_days, cost in pr.events:
            occurs, in_icu, in_ward, waits = b.memo(
                ("event", eid, prob, icu_days, ward_days, wait_days),
                [f"event.{eid}{part}" for part in _EVENT_PARTS],
                partial(_event_days, b, eid, prob, icu_days, ward_days, wait_days),
                alone=True,
            )
            happened[eid] = occurs
            if record is not None:
                record[f"event.{eid}"] = occurs
            if in_icu is not None:
                extra_in = extra_in + in_icu
                direct = direct + in_icu * icu
            if in_ward is not None:
                extra_in = extra_in + in_ward
                direct = direct + in_ward * ward
            if waits is not None:
                extra_out = extra_out + waits
            ev = p.rates.events[eid]
            for item in ev.repeat:
                if item in pr.repeats:
                    i, alts = pr.repeats[item]
                    again = (
                        rate_of[i]
                        if i is not None
                        else _choose(b, u_for("hospital", f"event.{eid}.{item}"), alts, combo)
                    )
                    direct = direct + again * occurs
            if cost is not None:
                direct = direct + triangular(b, b.uniform(f"event.{eid}.cost"), *cost) * occurs
        events_key = ("events", tuple(e[:5] for e in pr.events))
        longer_key = ("longer", days_key, events_key)
        longer = b.memo(longer_key, (), lambda: days.longer(extra_out, extra_in))

        reserve = direct
        for pl, rate in zip(p.lines, rate_of, strict=True):
            if pl.line.key in L.DAY_LINES:
                q = pl.line.quantity
                before = planned.get(pl.line.key)
                if before is None:  # its amount came kept (NumpyBackend)
                    before = q(days, caregivers)
                reserve = reserve + rate * (q(longer, caregivers) - before)
        if pr.fee is not None:
            # The visa the stay actually needs: a longer stay may need one the planned
            # stay did not (the visa line's high end covers that, see ends()).
            amounts[L.VISA] = visa_at(longer.stay)
        amounts[L.RESERVE] = reserve
        stay = longer.stay
    if reserve_only:
        reserve = amounts.get(L.RESERVE, b.zeros())
        return Draws({L.RESERVE: reserve}, stay, happened, reserve)
    if pr.transfer is None and pr.moves is None:
        return Draws(amounts, stay, happened, b.total(list(amounts.values())))
    # The lines' total first: the fee and the moves are each worked out from it less the
    # few lines they do not touch (a budget draws thousands of journeys at once).
    lines_total = b.total(list(amounts.values()))
    total = lines_total
    if pr.transfer is not None:
        # The fee on the money sent abroad, at the table's rates: what moves add to the
        # bills is a second-order change to it, left out.
        tr = pr.transfer
        share = triangular(b, b.uniform("transfer_fee"), *tr.share)
        if record is not None:
            record["transfer_fee"] = share
        kept = [v for k, v in amounts.items() if k not in tr.sent]
        sent = lines_total - _sum(b, kept) if kept else lines_total
        if tr.direct and tr.direct_share:
            sent = sent - _sum(b, [amounts[k] for k in tr.direct if k in amounts]) * (
                tr.direct_share
            )
        fee = sent * share
        amounts[L.TRANSFER] = fee
        total = total + fee
    fx: Any = 0.0
    if pr.moves is not None:
        fx = _moved(b, pr.moves, amounts, lines_total, stay, offer, combo, record)
        total = total + fx
    return Draws(amounts, stay, happened, total, fx)


def _moved(
    b: Backend,
    m: Moves,
    amounts: dict[str, Any],
    lines_total: Any,
    stay: Any,
    offer: Any,
    combo: Any,
    record: dict[str, Any] | None,
) -> Any:
    """What exchange-rate moves add to the lines over a horizon of the journey's stay:
    each line times (exp(y) - 1), y the log change of its currency's price in the
    family's own (fxmoves.Exposure). `lines_total`: the sum of `amounts` before the
    transfer fee (which is paid at home). record: "fx.<currency>", each y drawn."""
    if m.direct and m.direct_share:
        # What the scheme pays the provider does not pass through the family's hands.
        paid = [amounts[k] for k in m.direct if k in amounts]
        lines_total = lines_total - _sum(b, paid) * m.direct_share
        amounts = {
            k: v * (1.0 - m.direct_share) if k in m.direct else v for k, v in amounts.items()
        }
    ex = m.exposure
    root = b.sqrt(stay)  # the horizon in days; the weights are per square-root day
    per_day = 1.0 / math.sqrt(fxmoves.YEAR_DAYS)
    eps = [b.normal(f"fx.{c}") for c in ex.currencies]
    y: list[Any] = []
    for row in ex.factor:
        yi: Any = None
        for weight, e in zip(row, eps, strict=False):
            if weight:
                term = e * (weight * per_day)
                yi = term if yi is None else yi + term
        y.append(yi * root if yi is not None else b.zeros())
    if record is not None:
        record.update({f"fx.{c}": yi for c, yi in zip(ex.currencies, y, strict=True)})
    d = -1  # the home currency's place: it does not move against itself
    gains: dict[int, Any] = {}

    def gain(i: int) -> Any:
        """exp(y) - 1: what a bill in currency i gains per unit, in the home currency."""
        if i not in gains:
            gains[i] = 0.0 if i < 0 else b.expm1(y[i])
        return gains[i]

    # Lines in one currency move together: one factor per currency, on their sum. The
    # biggest group (most lines: the destination's currency) is the lines' total less
    # the others, so that only the few other lines are added up.
    groups: dict[int, list[str]] = {}
    mixed: list[tuple[str, Any]] = []
    for key, selector, indices in m.lines:
        if key not in amounts:
            continue
        if len(set(indices)) == 1:
            groups.setdefault(indices[0], []).append(key)
        else:
            which = offer if selector == "offer" else combo
            mixed.append((key, b.select([gain(i) for i in indices], which)))
    listed = {k for keys in groups.values() for k in keys} | {k for k, _ in mixed}
    unlisted = [k for k in amounts if k not in listed and k != L.TRANSFER]
    if unlisted:  # a line with no currency of its own moves with nothing: home
        groups.setdefault(d, []).extend(unlisted)
    moving = [i for i in groups if i != d]
    parts = [amounts[k] * g for k, g in mixed]
    if moving:
        big = max(moving, key=lambda i: len(groups[i]))
        others = [amounts[k] for i, keys in groups.items() if i != big for k in keys]
        others += [amounts[k] for k, _ in mixed]
        rest = lines_total - _sum(b, others) if others else lines_total
        parts.append(rest * gain(big))
        for i in moving:
            if i != big:
                parts.append(_sum(b, [amounts[k] for k in groups[i]]) * gain(i))
    return _sum(b, parts) if parts else b.zeros()


def _sum(b: Backend, values: list[Any]) -> Any:
    """The values added up; one or two without the backend's running total from zero
    (each step a new array of every journey)."""
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return values[0] + values[1]
    return b.total(values)


def is_money(name: str) -> bool:
    """Whether an input draw() records (its `record`) is an amount of money."""
    return name == "price" or name.startswith("rate.") or name in ("visa_fee", "icu_day")


_DAY_NAMES = tuple(f"days.{k}" for k in _PHASES)
_EVENT_PARTS = ("", ".icu_days", ".ward_days", ".wait_days")


def _event_days(
    b: Backend,
    eid: str,
    prob: float,
    icu_days: Tri | None,
    ward_days: Tri | None,
    wait_days: Tri | None,
) -> tuple[Any, Any, Any, Any]:
    """Whether the event happens in each journey, and the ICU, ward and waiting days it
    adds (None where it adds none): what no price enters."""
    occurs = b.occurs(b.uniform(f"event.{eid}"), prob)

    def days(tri: Tri | None, part: str) -> Any:
        if tri is None:
            return None
        return triangular(b, b.uniform(f"event.{eid}.{part}"), *tri) * occurs

    return (
        occurs,
        days(icu_days, "icu_days"),
        days(ward_days, "ward_days"),
        days(wait_days, "wait_days"),
    )


_NAME_KEYS: dict[str, int] = {}


def _name_key(name: str) -> int:
    """A stable 64-bit number for an input's name (its stream's spawn key)."""
    key = _NAME_KEYS.get(name)
    if key is None:
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        key = _NAME_KEYS[name] = int.from_bytes(digest, "big")
    return key


class NumpyBackend(Backend):
    """n journeys at once, as NumPy arrays (imported here, only when a budget is asked).

    Each named uniform is its own stream, from the seed, the chunk of draws and the name
    (NumPy's SeedSequence spawn keys): draw k of "rate.living.lodging_night" is the same
    uniform in every scenario drawn with that seed, so two destinations, or two sets of
    choices, differ by what differs between them and not by simulation noise (common
    random numbers, as a probabilistic sensitivity analysis draws one parameter set for
    every strategy). A name drawn twice in one journey would repeat its stream: refused."""

    def __init__(self, seed: int, n: int, chunk: int = 0) -> None:
        import numpy as np

        self.np = np
        self.n = n
        self.seed = seed
        self.chunk = chunk
        self.used: set[str] = set()
        # id(array) -> (its cache key, the array): holding the array keeps its id from
        # being reused by another array while this backend draws.
        self.keys: dict[int, tuple[tuple[object, ...], Any]] = {}

    def _kept(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        if self.n > kept_draws.MAX_DRAWS:
            # Too big to keep, and nothing is derived from it by key: each array goes as
            # soon as the journey is done with it (a 250,000-draw chunk of a big budget).
            return make()
        full = (self.seed, self.chunk, self.n, *key)
        found = kept_draws.get(full)
        if found is None:
            found = make()
            kept_draws.put(full, found)
        self.keys[id(found)] = (key, found)
        return found

    def _key_of(self, array: Any) -> tuple[object, ...] | None:
        """The cache key of an array this backend kept (None for any other array)."""
        entry = self.keys.get(id(array))
        return entry[0] if entry is not None and entry[1] is array else None

    def _mark(self, name: str) -> None:
        """Note the uniform `name` as drawn in this journey (twice is a bug: refused)."""
        if name in self.used:
            raise AssertionError(f"the uniform {name!r} is drawn twice in one journey")
        self.used.add(name)

    def _stream(self, name: str, normal: bool = False) -> Any:
        """The stream `name` of this seed and chunk: uniforms, or standard normals."""
        self._mark(name)
        np = self.np

        def make() -> Any:
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.chunk, _name_key(name)))
            draw = np.random.Generator(np.random.PCG64(seq))
            return draw.standard_normal(self.n) if normal else draw.random(self.n)

        return self._kept(("n" if normal else "u", name), make)

    def uniform(self, name: str) -> Any:
        return self._stream(name)

    def memo(
        self,
        key: tuple[object, ...],
        names: Sequence[str],
        make: Callable[[], T],
        alone: bool = False,
    ) -> T:
        full = (self.seed, self.chunk, self.n, "memo", *key)
        found = kept_draws.get(full)
        if found is None:
            made = make()
            if self.n <= kept_draws.MAX_DRAWS:
                kept_draws.put(full, made)
            return made
        for name in names:  # drawn by the scenario that made it: drawn here too
            self._mark(name)
        result: T = found  # type: ignore[assignment]
        return result

    def pick(self, k: int, name: str) -> Any:
        np = self.np
        u = self._stream(name)
        return self._kept(("pick", name, k), lambda: np.minimum((u * k).astype(np.intp), k - 1))

    def mixed(self, shared: Any, p: float, name: str) -> Any:
        # One stream does both: below p the journey takes the shared uniform; above it,
        # (u - p) / (1 - p) is a fresh uniform, independent of the shared one. Half the
        # streams of drawing the choice and the fresh uniform apart, which counts when a
        # batch draws every stream afresh for each row's seed.
        np = self.np
        u = self._stream(name)
        origin = self._key_of(shared)

        def make() -> Any:
            return np.where(u < p, shared, (u - p) / (1.0 - p))

        if origin is None:
            return make()
        return self._kept(("mixed", name, origin, p), make)

    def take(self, values: Sequence[float], index: Any) -> Any:
        return self.np.asarray(values, dtype=float)[index]

    def where(self, cond: Any, yes: Any, no: Any) -> Any:
        return self.np.where(cond, yes, no)

    def positive(self, x: Any) -> Any:
        return self.np.maximum(x, 0.0)

    def sqrt(self, x: Any) -> Any:
        return self.np.sqrt(x)

    def expm1(self, x: Any) -> Any:
        return self.np.expm1(x)

    def total(self, values: Sequence[Any]) -> Any:
        # In place: the same sums in the same order as Backend.total, without a new
        # array for every line added.
        out = self.np.zeros(self.n)
        for v in values:
            out += v
        return out

    def normal(self, name: str) -> Any:
        return self._stream(name, normal=True)  # NumPy's own normals: one stream

    def select(self, options: Sequence[Any], index: Any) -> Any:
        np = self.np
        return np.choose(index, [np.broadcast_to(o, (self.n,)) for o in options])

    def occurs(self, u: Any, p: float) -> Any:
        origin = self._key_of(u)

        def make() -> Any:
            return (u < p).astype(float)

        if origin is None:
            return make()
        return self._kept(("occurs", origin, p), make)

    def zeros(self) -> Any:
        return self.np.zeros(self.n)

    def _standard(self, u: Any, mode: float) -> Any:
        """The triangular (0, mode, 1) at the uniforms u: kept per stream and mode."""
        np = self.np

        def make() -> Any:
            return np.where(u < mode, np.sqrt(u * mode), 1.0 - np.sqrt((1.0 - u) * (1.0 - mode)))

        origin = self._key_of(u)
        if origin is None:
            return make()
        return self._kept(("tri", origin, mode), make)

    def triangular(self, u: Any, a: Any, c: Any, hi: Any) -> Any:
        np = self.np
        if isinstance(a, float) and isinstance(c, float) and isinstance(hi, float):
            # One distribution for every journey: a + width x the standard triangular of
            # the mode's place, rounded so that a figure converted to another currency
            # finds the same standard draws (and gives the same whichever came first).
            w = hi - a
            if w <= 0:
                return np.full(self.n, a)
            return a + w * self._standard(u, round((c - a) / w, 12))
        a = np.broadcast_to(np.asarray(a, dtype=float), (self.n,))
        c = np.broadcast_to(np.asarray(c, dtype=float), (self.n,))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), (self.n,))
        w = hi - a
        fc = np.divide(c - a, w, out=np.zeros_like(w), where=w > 0)
        left = a + np.sqrt(u * w * (c - a))
        right = hi - np.sqrt((1.0 - u) * w * (hi - c))
        return np.where(w > 0, np.where(u < fc, left, right), a)

    def choose(self, u: Any, alts: Sequence[Tri], which: Any) -> Any:
        # Each alternative drawn from the same uniforms, then the picked one per journey:
        # the same draws as taking the parameters first, and each reuses kept draws.
        return self.np.choose(which, [self.triangular(u, t.a, t.c, t.b) for t in alts])


_add, _sub, _mul = operator.add, operator.sub, operator.mul


class Vec(list[float]):
    """n floats with elementwise arithmetic: what draw() needs of an array, in plain
    Python, for the few hundred journeys of the plain estimate (importing NumPy would
    cost more than drawing them)."""

    __slots__ = ()

    # map() over operator functions: about twice as fast as a comprehension over zip().
    def __add__(self, o: Any) -> Vec:  # type: ignore[override]
        if isinstance(o, list):
            return Vec(map(_add, self, o))
        return Vec(map(_add, self, repeat(o, len(self))))

    __radd__ = __add__

    def __sub__(self, o: Any) -> Vec:
        if isinstance(o, list):
            return Vec(map(_sub, self, o))
        return Vec(map(_sub, self, repeat(o, len(self))))

    def __rsub__(self, o: Any) -> Vec:
        return Vec(map(_sub, repeat(o, len(self)), self))

    def __mul__(self, o: Any) -> Vec:
        if isinstance(o, list):
            return Vec(map(_mul, self, o))
        if o == 1 and (type(o) is int or type(o) is float):
            return Vec(self)  # x * 1 is x, exactly (a room for one: lines.rooms)
        return Vec(map(_mul, self, repeat(o, len(self))))

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Vec:
        return Vec([x / o for x in self])

    def __gt__(self, o: Any) -> Vec:  # type: ignore[override]
        return Vec([float(x > o) for x in self])

    def __lt__(self, o: Any) -> Vec:  # type: ignore[override]
        return Vec([float(x < o) for x in self])


# ListBackend's draws that depend on nothing drawn before them (Backend.memo, alone), by
# (journeys, the generator's state, key), for the few hundred journeys of a likely total
# or a reserve; the draws are never changed in place. Bounded: an entry (two states of
# 625 numbers, an event's four columns) is about 80 KB at 400 journeys, and a compare
# of every country keeps about 35.
_ALONE: dict[tuple[object, ...], tuple[Any, tuple[Any, ...]]] = {}
_ALONE_MAX = 64
_ALONE_MAX_N = 1000


class ListBackend(Backend):
    """n journeys at once as Vecs of floats (Python's random, seeded)."""

    def __init__(self, rng: random.Random, n: int) -> None:
        super().__init__(rng)
        self.n = n

    def uniform(self, name: str) -> Any:
        # The same n calls of rng.random, in order, without a Python-level loop.
        return Vec(map(random.Random.random, repeat(self.rng, self.n)))

    def pick(self, k: int, name: str) -> Any:
        r = self.rng.random
        return [min(int(r() * k), k - 1) for _ in range(self.n)]

    def take(self, values: Sequence[float], index: Any) -> Any:
        return Vec([values[i] for i in index])

    def where(self, cond: Any, yes: Any, no: Any) -> Any:
        n = self.n
        ys = yes if isinstance(yes, list) else [yes] * n
        ns = no if isinstance(no, list) else [no] * n
        return Vec([y if c else z for c, y, z in zip(cond, ys, ns, strict=True)])

    def positive(self, x: Any) -> Any:
        return Vec([v if v > 0 else 0.0 for v in x])

    def sqrt(self, x: Any) -> Any:
        return Vec(map(math.sqrt, x)) if isinstance(x, list) else math.sqrt(x)

    def expm1(self, x: Any) -> Any:
        return Vec(map(math.expm1, x)) if isinstance(x, list) else math.expm1(x)

    def normal(self, name: str) -> Any:
        r, t = self.uniform(f"{name}.r"), self.uniform(f"{name}.t")
        sqrt, log1p, cos, tau = math.sqrt, math.log1p, math.cos, 2.0 * math.pi
        return Vec([sqrt(-2.0 * log1p(-a)) * cos(tau * c) for a, c in zip(r, t, strict=True)])

    def select(self, options: Sequence[Any], index: Any) -> Any:
        n = self.n
        cols = [o if isinstance(o, list) else [o] * n for o in options]
        return Vec([cols[i][j] for j, i in enumerate(index)])

    def occurs(self, u: Any, p: float) -> Any:
        return Vec([1.0 if v < p else 0.0 for v in u])

    def zeros(self) -> Any:
        return Vec([0.0] * self.n)

    def mixed(self, shared: Any, p: float, name: str) -> Any:
        r = self.rng.random
        return Vec([s if r() < p else r() for s in shared])

    def total(self, values: Sequence[Any]) -> Any:
        n = self.n
        columns = [v if isinstance(v, list) else [v] * n for v in values]
        return Vec([sum(t) for t in zip(*columns, strict=True)])

    def mixed_triangular(self, shared: Any, p: float, name: str, a: Any, c: Any, hi: Any) -> Any:
        w = hi - a
        if not isinstance(shared, list) or isinstance(a, list) or w <= 0:
            return super().mixed_triangular(shared, p, name, a, c, hi)
        # mixed() and triangular() in one pass: the same numbers drawn in the same order,
        # the same operations on them (a price's draw, the hot loop of compare).
        r = self.rng.random
        fc, wl, wr, sqrt = (c - a) / w, w * (c - a), w * (hi - c), math.sqrt
        return Vec(
            [
                a + sqrt(v * wl)
                if (v := (s if r() < p else r())) < fc
                else hi - sqrt((1.0 - v) * wr)
                for s in shared
            ]
        )

    def memo(
        self,
        key: tuple[object, ...],
        names: Sequence[str],
        make: Callable[[], T],
        alone: bool = False,
    ) -> T:
        # What make() gives depends on the key, the number of journeys and the numbers
        # the generator gives from where it stands: the rows of a comparison start from
        # one seed and often reach their days and events at the same place. A draw kept
        # is given again, and the generator moved on to where making it left it.
        if not alone or self.n > _ALONE_MAX_N:
            return make()
        rng = self.rng
        where = (self.n, rng.getstate(), key)
        found = _ALONE.get(where)
        if found is not None:
            rng.setstate(found[1])
            result: T = found[0]
            return result
        made = make()
        if len(_ALONE) >= _ALONE_MAX:
            _ALONE.clear()
        _ALONE[where] = (made, rng.getstate())
        return made

    def choose(self, u: Any, alts: Sequence[Tri], which: Any) -> Any:
        if not (isinstance(u, list) and isinstance(which, list)):
            return super().choose(u, alts, which)
        # Backend.triangular journey by journey, each alternative's constants worked out
        # once: the same operations on the same floats.
        sqrt = math.sqrt
        consts = []
        for t in alts:
            a, c, hi = t.a, t.c, t.b
            w = hi - a
            consts.append((a, hi, w, (c - a) / w if w > 0 else 0.0, c - a, hi - c, w <= 0))
        out: list[float] = []
        add = out.append
        for v, i in zip(u, which, strict=True):
            a, hi, w, fc, ca, hc, point = consts[i]
            if point:
                add(a)
            elif v >= 1.0:
                add(hi)
            elif v < fc:
                add(a + sqrt(v * w * ca))
            else:
                add(hi - sqrt((1.0 - v) * w * hc))
        return Vec(out)

    def triangular(self, u: Any, a: Any, c: Any, hi: Any) -> Any:
        if isinstance(a, list):
            one = Backend.triangular
            return Vec([one(self, *args) for args in zip(u, a, c, hi, strict=True)])
        # The scalar formula of Backend.triangular, inlined: this is the hot loop of
        # the plain estimate.
        w = hi - a
        if w <= 0:
            return Vec([a] * len(u))
        fc, wl, wr, sqrt = (c - a) / w, w * (c - a), w * (hi - c), math.sqrt
        return Vec([a + sqrt(v * wl) if v < fc else hi - sqrt((1.0 - v) * wr) for v in u])


def draw_small(
    pr: Prepared, n: int, seed: int, events: bool = True, reserve_only: bool = False
) -> Draws:
    """n journeys in plain Python (ListBackend): for the few hundred draws of the plain
    estimate's likely total and reserve."""
    return draw(pr, ListBackend(random.Random(seed), n), events, reserve_only=reserve_only)


def worst(pr: Prepared) -> Draws:
    """Every event at once, every effect and figure at its high end."""
    return draw(pr, EndBackend())
