"""Display rounding, the only rounding cartcost does."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING

from cartcost.money import Range, allocate

if TYPE_CHECKING:
    from cartcost.comparison import Row
    from cartcost.estimation import Estimate

_CENT = Decimal("0.01")
_UNIT = Decimal(1)
_TENTH = Decimal("0.1")
# Rounding must never fail: the default 28 digits cannot hold the cents of 1e26, and
# products of large figures (1e13 a day, by days, by travellers, by FX) get near that.
_WIDE = Context(prec=200)


def cents(d: Decimal) -> Decimal:
    """Exports carry amounts to the cent."""
    return d.quantize(_CENT, rounding=ROUND_HALF_UP, context=_WIDE)


def plain(d: Decimal) -> str:
    """An export number: no separators, at most two decimals, no trailing zeros."""
    q = cents(d)
    if not q:
        return "0"  # -0.0 (or -0.001) is zero: never "-0", which a CSV would defuse as text
    return f"{q:f}" if q != q.to_integral() else f"{q.to_integral():f}"


def whole(d: Decimal) -> str:
    """A table number: whole units with thousands separators.

    Rounded from the exported cents, so the table never disagrees with CSV/JSON
    (562.499 exports as 562.50, and shows as 563, not 562)."""
    return f"{cents(d).quantize(_UNIT, rounding=ROUND_HALF_UP, context=_WIDE):,f}"


def _unit(d: Decimal) -> Decimal:
    return cents(d).quantize(_UNIT, rounding=ROUND_HALF_UP, context=_WIDE)


def whole_parts(parts: Sequence[Decimal], total: Decimal) -> list[str]:
    """Table numbers for amounts that add up to `total`, adding up to whole(total) as
    shown: each is whole() of it, except that where those would not add up the amounts
    with the largest remainders are rounded the other way (money.allocate)."""
    shown = allocate([cents(p) for p in parts], _unit(total), _UNIT)
    return [f"{d.quantize(_UNIT, context=_WIDE):,f}" for d in shown]


def cent_parts(parts: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Amounts that add up to `total`, to the cent, adding up to cents(total): each is
    cents() of it, except that where those would not add up the amounts with the
    largest remainders are rounded the other way (money.allocate)."""
    return allocate(parts, cents(total), _CENT)


def exported_amounts(est: Estimate) -> dict[str, Range]:
    """Each included item's low and high to the cent as the exports write them (by item
    key): rounded so that they add up to the total to the cent (fmt.cent_parts)."""
    included = [i for i in est.items if i.amount is not None]
    lows = cent_parts([i.amount.low for i in included if i.amount], est.total.low)
    highs = cent_parts([i.amount.high for i in included if i.amount], est.total.high)
    return {i.key: Range(lo, hi) for i, lo, hi in zip(included, lows, highs, strict=True)}


def exported_subtotals(row: Row) -> dict[str, Range]:
    """The row's category subtotals to the cent as the exports write them (by category;
    those included): rounded so that they add up to the total (fmt.cent_parts)."""
    from cartcost.estimation import CATEGORIES

    included = [(c, r) for c in CATEGORIES if (r := row.subtotals.get(c)) is not None]
    lows = cent_parts([r.low for _, r in included], row.total.low)
    highs = cent_parts([r.high for _, r in included], row.total.high)
    return {c: Range(lo, hi) for (c, _), lo, hi in zip(included, lows, highs, strict=True)}


def days(d: Decimal) -> str:
    q = d.quantize(_TENTH, rounding=ROUND_HALF_UP, context=_WIDE)
    return f"{q.to_integral():f}" if q == q.to_integral() else f"{q:f}"


def span(r: Range, unit: str = "") -> str:
    """'14–21 days', or '14 days' when low == high."""
    text = days(r.low) if r.low == r.high else f"{days(r.low)}–{days(r.high)}"
    return f"{text} {unit}".strip()


def money_span(r: Range, currency: str) -> str:
    text = whole(r.low) if r.low == r.high else f"{whole(r.low)}–{whole(r.high)}"
    return f"{currency} {text}"


class ExactNumber:
    """An amount a float cannot hold to the cent (15 or more digits, e.g. 1e13 and up):
    export.dumps writes its digits as a JSON number, exactly as the CSV does."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExactNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


JsonNumber = int | float | ExactNumber


def json_number(d: Decimal) -> JsonNumber:
    """A JSON number for an amount, to the cent: an int when whole, a float when a float
    holds it exactly (below about 1e13), else an ExactNumber."""
    q = cents(d)
    if q == q.to_integral():
        return int(q)
    f = float(q)
    return f if Decimal(repr(f)) == q else ExactNumber(f"{q:f}")
