"""Ranges of Decimal amounts and currency conversion.

Money is Decimal end to end. Arithmetic on ranges assumes non-negative values (every
figure in the table is >= 0), so low*low and high*high bound a product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal

ZERO = Decimal(0)

# Sums use a wide context so totals are the exact sum of their items (conversion can
# give 28 significant digits; adding many of those must not round).
_EXACT = Context(prec=80)


class Range:
    """A closed interval [low, high] of non-negative Decimals. Immutable.

    Written out rather than a frozen dataclass: defining one costs about 0.5 ms at
    import, which every command pays, and this class is all a dataclass would make.
    """

    __slots__ = ("high", "low")
    low: Decimal
    high: Decimal

    def __init__(self, low: Decimal, high: Decimal) -> None:
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Range is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Range is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is Range:
            return self.low == other.low and self.high == other.high
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.low, self.high))

    def __repr__(self) -> str:
        return f"Range(low={self.low!r}, high={self.high!r})"

    def __reduce__(self) -> tuple[type[Range], tuple[Decimal, Decimal]]:
        return Range, (self.low, self.high)

    @classmethod
    def of(cls, low: Decimal | int, high: Decimal | int | None = None) -> Range:
        lo = Decimal(low)
        return cls(lo, lo if high is None else Decimal(high))

    def __add__(self, other: Range) -> Range:
        return Range(_EXACT.add(self.low, other.low), _EXACT.add(self.high, other.high))

    def __mul__(self, other: Range | Decimal | int) -> Range:
        if isinstance(other, Range):
            return Range(
                _EXACT.multiply(self.low, other.low), _EXACT.multiply(self.high, other.high)
            )
        factor = Decimal(other)
        return Range(_EXACT.multiply(self.low, factor), _EXACT.multiply(self.high, factor))

    def divide(self, divisor: Decimal | int) -> Range:
        d = Decimal(divisor)
        return Range(self.low / d, self.high / d)

    @property
    def mid(self) -> Decimal:
        return _EXACT.divide(_EXACT.add(self.low, self.high), Decimal(2))

    def span(self, other: Range) -> Range:
        """The smallest range covering both."""
        return Range(min(self.low, other.low), max(self.high, other.high))


def total(ranges: Iterable[Range]) -> Range:
    # The same exact additions, in the same order, as adding the Ranges one by one.
    low = high = ZERO
    add = _EXACT.add
    for r in ranges:
        low = add(low, r.low)
        high = add(high, r.high)
    return Range(low, high)


class FxTable:
    """Rates as units of each currency per one unit of a base currency, with their date."""

    def __init__(self, base: str, rates: Mapping[str, Decimal]) -> None:
        self.base = base
        self.rates = dict(rates)

    def convert(self, amount: Decimal, src: str, dst: str) -> Decimal:
        if src == dst:
            return amount
        # Divide last: multiplying first keeps more exact digits of the input.
        return amount * self.rates[dst] / self.rates[src]

    def convert_range(self, r: Range, src: str, dst: str) -> Range:
        return Range(self.convert(r.low, src, dst), self.convert(r.high, src, dst))


def allocate(amounts: Sequence[Decimal], target: Decimal, quantum: Decimal) -> list[Decimal]:
    """Round each amount down or up to a multiple of `quantum` so that they add up to
    `target` (itself a multiple of `quantum`, normally the rounded sum): the largest
    remainders are rounded up (Hamilton's method; ties go to the earlier amount).

    Where rounding each amount on its own already adds up, this gives the same figures
    (rounding half up rounds up exactly the remainders of half a quantum or more). The
    amounts themselves are not changed: this is for showing them. If `target` cannot be
    reached that way (it is further from the sum than the amounts' count allows), each
    amount is rounded half up on its own."""

    def whole(a: Decimal, rounding: str) -> Decimal:
        return _EXACT.multiply(
            _EXACT.divide(a, quantum).to_integral_value(rounding=rounding), quantum
        )

    floors = [whole(a, ROUND_FLOOR) for a in amounts]
    units = _EXACT.divide(_EXACT.subtract(target, total_of(floors)), quantum)
    if units != units.to_integral_value() or not 0 <= units <= len(amounts):
        return [whole(a, ROUND_HALF_UP) for a in amounts]
    order = sorted(range(len(amounts)), key=lambda i: (floors[i] - amounts[i], i))
    up = set(order[: int(units)])
    return [_EXACT.add(f, quantum) if i in up else f for i, f in enumerate(floors)]


def total_of(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of amounts."""
    out = ZERO
    for a in amounts:
        out = _EXACT.add(out, a)
    return out
