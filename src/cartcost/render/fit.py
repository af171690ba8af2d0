"""Whether a Rich table fits a width without cutting anything, and a renderable that
picks, at draw time, the first of several layouts that does.

Rich lays a table out wider than the console when its columns cannot shrink enough, and
the console then crops every line: a right-aligned number loses its last digits
(`469,423   85` for 850,398). `cuts_nothing` asks Rich's own layout what widths it would
give each column and says no when any column would be narrower than its content needs:
a column that does not wrap (every number column) narrower than its widest cell, or a
wrapping one narrower than its longest word (a figure such as `1,000,000–1,300,000` in
an item's second line is one word).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table

# Measured as if the console had no edge: a column's own needs, not the console's.
_UNBOUNDED = 10_000


def cuts_nothing(console: Console, options: ConsoleOptions, table: Table, width: int) -> bool:
    """True when Rich would draw `table` within `width` with every column at least as
    wide as its content needs (see the module's docstring)."""
    extra = table._extra_width
    if width - extra < 1:
        return False
    free = options.update_width(_UNBOUNDED)
    needs = [table._measure_column(console, free, column) for column in table.columns]
    if sum(n.minimum for n in needs) + extra > width:
        return False  # Rich could not help cutting something: no need to ask it how
    widths = table._calculate_column_widths(console, options.update_width(width - extra))
    if sum(widths) + extra > width:
        return False
    for got, need, column in zip(widths, needs, table.columns, strict=True):
        if got < (need.maximum if column.no_wrap else need.minimum):
            return False
    return True


class FirstThatFits:
    """The first of `layouts` whose table cuts nothing at the width it is drawn at (the
    last one if none does). Each layout is made only when it is tried: `make(i)` returns
    the renderable to draw and the table to check (often the renderable itself)."""

    def __init__(self, count: int, make: Callable[[int], tuple[RenderableType, Table]]) -> None:
        self.count = count
        self.make = make

    def choose(self, console: Console, options: ConsoleOptions) -> RenderableType:
        width = options.max_width
        chosen: RenderableType | None = None
        for i in range(self.count):
            chosen, table = self.make(i)
            if cuts_nothing(console, options, table, width):
                break
        assert chosen is not None
        return chosen

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.choose(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.choose(console, options))


class TableOrElse:
    """`table` where it cuts nothing at the width drawn at, else `other` (the same
    content laid out another way, e.g. as blocks of lines)."""

    def __init__(self, table: Table, other: RenderableType) -> None:
        self.table = table
        self.other = other

    def choose(self, console: Console, options: ConsoleOptions) -> RenderableType:
        fits = cuts_nothing(console, options, self.table, options.max_width)
        return self.table if fits else self.other

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.choose(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.choose(console, options))


def first_fitting(
    console: Console, width: int, tables: Sequence[Callable[[], Table]]
) -> tuple[int, Table]:
    """The index and table of the first of `tables` that cuts nothing at `width` (the
    last if none does); each is built only when tried."""
    options = console.options.update_width(width)
    last = len(tables) - 1
    for index, build in enumerate(tables):
        table = build()
        if index == last or cuts_nothing(console, options, table, width):
            return index, table
    raise ValueError("no table to choose from")
