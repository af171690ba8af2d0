"""Complications and setbacks: the rate table's ``[events]`` and what they cost.

An event (ICU admission, severe CRS/ICANS, manufacturing failure, readmission) happens
with a probability and, when it does, adds:

    icu_days        days in intensive care, at hospital.icu_day
                    (else at hospital.inpatient_day x ICU_DAY_FACTOR)
    inpatient_days  extra ward days, at hospital.inpatient_day
    wait_days       extra days outside a ward (e.g. a second manufacturing run)
    repeat          hospital items paid again (e.g. a second apheresis)
    cost            a one-off amount

ICU and ward days lengthen the stay as inpatient days (caregivers keep their room and
meals); wait days lengthen it as days outside a ward (everyone's room and meals). Every
line whose quantity counts days (lodging, meals, local transport, interpreter) grows with
them, and a longer stay may need the visa a shorter one did not.

The plain estimate shows all of it as one line, the complications reserve: low = no event
happens, high = the bad case, every event at once with every effect and rate at its high.
The simulation (budget.py) draws each event by its probability and prices it with the
same functions (`day_units`, `VisaRule`), so both count the same things.

Pure: no I/O. Works on Decimal (plain estimate) and on NumPy arrays (simulation) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from cartcost.money import FxTable, Range
from cartcost.rates import Country, Entry, Hospital, Money, Rates

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from cartcost.estimate import LineItem
    from cartcost.scenario import Scenario

# ICU day cost when the table gives no hospital.icu_day: a multiple of the all-in ward
# day. Basis (docs/rates-schema.md): KTPH Singapore ICU S$1,019 vs A1 ward S$606 and
# non-resident B1 S$361 a day (1.7-2.8x); an assumption, used only as a fallback.
ICU_DAY_FACTOR = Decimal(2)

# Lines whose quantity counts days of the stay; events that lengthen it extend them.
DAY_LINES = ("living.lodging", "living.meals", "living.transport", "services.interpreter")
RESERVE_KEY = "hospital.complications"
RESERVE_LABEL = "Complications reserve (ICU, severe CRS/ICANS, re-collection, readmission)"

Num = TypeVar("Num", Decimal, "npt.NDArray[np.float64]")


def rooms(people: int) -> int:
    """A room or apartment sleeps two."""
    return (people + 1) // 2


def day_units(key: str, outside: Num, inpatient: Num, caregivers: int) -> Num:
    """What a day-driven line buys for `outside` days out of a ward and `inpatient` days in
    one, counted as estimate() counts it: the patient and caregivers share rooms outside a
    ward; while the patient is inpatient only the caregivers need a room and meals."""
    if key == "living.lodging":
        return outside * rooms(1 + caregivers) + inpatient * rooms(caregivers)
    if key == "living.meals":
        return outside * (1 + caregivers) + inpatient * caregivers
    if key in ("living.transport", "services.interpreter"):
        return outside + inpatient
    raise KeyError(f"{key} is not a day-driven line")


class VisaRule(NamedTuple):
    """What one traveller of a nationality pays to enter, by length of stay: the visa fee
    beyond `free_days`, else the visa-free fee (an ESTA or ETA), else nothing."""

    free_days: int
    fee: Money
    free_fee: Money | None

    @classmethod
    def of(cls, entry: Entry, nationality: str) -> VisaRule:
        return cls(
            free_days=entry.visa_free_days.get(nationality, 0),
            fee=entry.visa_fee.get(nationality, entry.visa_fee["default"]),
            free_fee=entry.visa_free_fee.get(nationality, entry.visa_free_fee.get("default")),
        )

    def at(self, stay_days: Decimal, which: int, fx: FxTable, display: str) -> Decimal:
        """Per-traveller fee at a stay length, at one end of the figures (0 low, 1 high),
        in the display currency."""
        if stay_days > self.free_days:
            return fx.convert(self.fee.range[which], self.fee.currency, display)
        if self.free_fee is not None:
            return fx.convert(self.free_fee.range[which], self.free_fee.currency, display)
        return Decimal(0)


class BadCase(NamedTuple):
    """Every event at once, every effect at its high: the reserve's high end."""

    amount: Decimal  # display currency
    extra_outside: Decimal  # days
    extra_inpatient: Decimal  # days (ICU + ward)
    sources: tuple[str, ...]
    figure_paths: tuple[str, ...]


def icu_rate_high(h: Hospital, fx: FxTable, display: str) -> Decimal:
    # resolve_country() has made every figure plain.
    assert isinstance(h.icu_day, Money | None) and isinstance(h.inpatient_day, Money)
    if h.icu_day is not None:
        return fx.convert(h.icu_day.range[1], h.icu_day.currency, display)
    ward = h.inpatient_day
    return fx.convert(ward.range[1], ward.currency, display) * ICU_DAY_FACTOR


def bad_case(
    rates: Rates,
    scenario: Scenario,
    items: Sequence[LineItem],
    stay: Range,
    fx: FxTable,
    display: str,
    dest: Country,
    real: Callable[[str], str],
) -> BadCase:
    """The extra cost if every event happens, each at its worst, at the high rates.

    `items` are the estimate's lines (their rates price the longer stay); `stay` its
    stay without events (the visa may change with the longer one).
    """
    cc = scenario.country
    h = dest.hospital
    assert h is not None
    assert isinstance(h.inpatient_day, Money)
    hp = f"countries.{cc}.hospital"
    ward_high = fx.convert(h.inpatient_day.range[1], h.inpatient_day.currency, display)
    icu_high = icu_rate_high(h, fx, display)
    icu_path = real(f"{hp}.icu_day" if h.icu_day is not None else f"{hp}.inpatient_day")
    icu_fig = h.icu_day or h.inpatient_day
    assert isinstance(icu_fig, Money)
    icu_sources = icu_fig.sources

    amount = Decimal(0)
    extra_out = Decimal(0)
    extra_in = Decimal(0)
    sources: list[str] = []
    paths: list[str] = []

    def cite(path: str, ids: Sequence[str]) -> None:
        paths.append(path)
        sources.extend(ids)

    for eid, ev in rates.events.items():
        ep = f"events.{eid}"
        cite(f"{ep}.probability", ev.probability.sources)
        if ev.icu_days is not None:
            days = ev.icu_days.range[1]
            amount += days * icu_high
            extra_in += days
            cite(f"{ep}.icu_days", ev.icu_days.sources)
            cite(icu_path, icu_sources)
        if ev.inpatient_days is not None:
            days = ev.inpatient_days.range[1]
            amount += days * ward_high
            extra_in += days
            cite(f"{ep}.inpatient_days", ev.inpatient_days.sources)
            cite(real(f"{hp}.inpatient_day"), h.inpatient_day.sources)
        if ev.wait_days is not None:
            extra_out += ev.wait_days.range[1]
            cite(f"{ep}.wait_days", ev.wait_days.sources)
        for name in ev.repeat:
            fig: Money | None = getattr(h, name)
            if fig is not None:
                amount += fx.convert(fig.range[1], fig.currency, display)
                cite(real(f"{hp}.{name}"), fig.sources)
        if ev.cost is not None:
            amount += fx.convert(ev.cost.range[1], ev.cost.currency, display)
            cite(f"{ep}.cost", ev.cost.sources)

    # The longer stay: every day-driven line the estimate has, at its high rate.
    for item in items:
        if item.key in DAY_LINES and item.amount is not None and item.rate is not None:
            assert item.native_currency is not None
            units = day_units(item.key, extra_out, extra_in, scenario.caregivers)
            amount += fx.convert(item.rate.high * units, item.native_currency, display)
            cite(item.figure_paths[0], item.sources)
    # A stay pushed past the visa-free days pays the visa.
    visa = next((i for i in items if i.key == "travel.visa" and i.amount is not None), None)
    if visa is not None and scenario.origin is not None:
        entry = dest.entry
        assert entry is not None
        rule = VisaRule.of(entry, scenario.origin)
        longer = rule.at(stay.high + extra_out + extra_in, 1, fx, display)
        step = longer - rule.at(stay.high, 1, fx, display)
        if step > 0:
            amount += step * scenario.travellers
            cite(visa.figure_paths[0], visa.sources)
    return BadCase(
        amount=amount,
        extra_outside=extra_out,
        extra_inpatient=extra_in,
        sources=tuple(dict.fromkeys(sources)),
        figure_paths=tuple(dict.fromkeys(paths)),
    )


def _pct(p: Decimal) -> str:
    text = f"{(p * 100).normalize():f}"
    return text


def event_summary(rates: Rates) -> str:
    """'ICU admission 16-35%, ...': each event and its probability range."""
    parts = []
    for ev in rates.events.values():
        low, high = ev.probability.range
        odds = f"{_pct(low)}%" if low == high else f"{_pct(low)}–{_pct(high)}%"
        parts.append(f"{ev.label} {odds}")
    return ", ".join(parts)


def reserve_item(
    rates: Rates,
    scenario: Scenario,
    items: Sequence[LineItem],
    stay: Range,
    fx: FxTable,
    display: str,
    summary: str | None = None,
    dest: Country | None = None,
    real: Callable[[str], str] | None = None,
) -> LineItem:
    """The plain estimate's complications reserve built from [events]: low = none
    happens, high = the bad case (see bad_case). `summary`: event_summary(rates), when
    the caller has it already."""
    from cartcost.estimate import LineItem

    worst = bad_case(
        rates,
        scenario,
        items,
        stay,
        fx,
        display,
        rates.countries[scenario.country] if dest is None else dest,
        real or (lambda p: p),
    )
    days = worst.extra_outside + worst.extra_inpatient
    note = (
        f"high = all at once, at their worst (stay up to {days.normalize():f} days longer): "
        f"{event_summary(rates) if summary is None else summary}. --budget weighs them by "
        "probability."
    )
    return LineItem(
        category="hospital",
        key=RESERVE_KEY,
        label=RESERVE_LABEL,
        amount=Range(Decimal(0), worst.amount),
        sources=worst.sources,
        note=note,
        figure_paths=worst.figure_paths,
    )
