"""The terminal view of a budget (Rich): percentiles beside low/high, range bars, the
histogram of totals, what drives the spread. Imported only when a budget is drawn.

Columns are dropped, least important first, until the table fits the console; a number
is never cut. Bar and histogram geometry (which cell a value falls in) is computed here:
it is presentation, not cost arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cartcost.budget import Budget, Driver, LineBudget, Spread, compare_notes
from cartcost.comparison import Comparison, Row
from cartcost.estimation import CATEGORIES, Estimate
from cartcost.exports.fmt import days, whole
from cartcost.money import Range
from cartcost.rates import Source
from cartcost.render.fit import FirstThatFits, first_fitting

BAR_WIDTH = 10
COMPARE_BAR_WIDTH = 16
FILLED = "█"
EMPTY = "·"
MEDIAN = "│"
SPARKS = " ▁▂▃▄▅▆▇█"
# Columns that may be hidden on a narrow console, least important first.
DROP_ORDER = ("mean", "bar", "p10")
# Then, once the label column is as narrow as its words allow, these too.
LAST_DROPPED = ("low", "high")
HIDDEN_NAMES = {"bar": "range bar", "mean": "mean", "p10": "P10", "low": "low", "high": "high"}
# Drivers narrowing the spread by less than this share are summed up, not listed.
MIN_DRIVER_SHARE = Decimal("0.005")

_CATEGORY_TITLES = {
    "product": "Product",
    "hospital": "Hospital",
    "living": "Living",
    "travel": "Travel",
    "services": "Services",
    "time": "Time away from work",
}

MEANING = (
    "P50: half of the simulated journeys cost less than this, half more. "
    "P90: 9 in 10 cost less; raise this much to be 90% sure. "
    "P10: only 1 in 10 cost less. Mean: the average of all draws."
)


def cell(value: Decimal, low: Decimal, high: Decimal, width: int) -> int:
    """The cell (0..width-1) a value falls in on a bar spanning low..high."""
    extent = high - low
    if extent <= 0:
        return 0
    return max(0, min(width - 1, math.floor((value - low) * width / extent)))


def _bar(
    spread: Spread, scale: Range, width: int, outside: tuple[str, str], span: Range | None = None
) -> Text:
    """Cells of `scale`: the median marked, P10-P90 filled, `span` (if any) drawn as a rule,
    the rest as `outside` (character, style)."""
    start = cell(spread.p10, scale.low, scale.high, width)
    end = cell(spread.p90, scale.low, scale.high, width)
    mid = cell(spread.p50, scale.low, scale.high, width)
    lo, hi = (
        (
            cell(span.low, scale.low, scale.high, width),
            cell(span.high, scale.low, scale.high, width),
        )
        if span is not None
        else (width, -1)
    )
    text = Text()
    for i in range(width):
        if i == mid:
            text.append(MEDIAN, style="bold")
        elif start <= i <= end:
            text.append(FILLED, style="cyan")
        elif lo <= i <= hi:
            text.append("─", style="dim")
        else:
            text.append(*outside)
    return text


def spread_bar(plain: Range, spread: Spread, width: int = BAR_WIDTH) -> Text:
    """low..high as a bar: P10-P90 filled, the median marked."""
    if plain.high <= plain.low:
        return Text("")
    return _bar(spread, plain, width, (EMPTY, "dim"))


def sparkline(counts: Sequence[int]) -> str:
    """Counts as bar heights, the tallest a full block; any draw at all shows."""
    top = max(counts) if counts else 0
    if top == 0:
        return " " * len(counts)
    levels = len(SPARKS) - 1
    return "".join(SPARKS[math.ceil(c * levels / top)] if c else SPARKS[0] for c in counts)


def _title(est: Estimate, draws: int) -> str:
    sc = est.scenario
    who = f"from {est.origin_name}" if est.origin_name else "origin not given"
    if sc.domestic:
        who = "living in the country"
    carers = f"{sc.caregivers} caregiver{'s' if sc.caregivers != 1 else ''}"
    return (
        f"Budget for CAR-T for {sc.indication} in {est.country_name} ({sc.country}), "
        f"{who}, {carers}: {draws:,} simulated journeys"
    )


def _cells(
    plain: Range, spread: Spread, shown: Sequence[str], ends: tuple[str, str] | None = None
) -> list[Text | str]:
    """The row's figures; `ends` are low and high as shown, when rounded with the rest."""
    low, high = ends if ends is not None else (whole(plain.low), whole(plain.high))
    values = {
        "low": low,
        "p10": whole(spread.p10),
        "p50": whole(spread.p50),
        "p90": whole(spread.p90),
        "high": high,
        "mean": whole(spread.mean),
    }
    out: list[Text | str] = [values[k] for k in shown if k != "bar"]
    if "bar" in shown:
        out.append(spread_bar(plain, spread))
    return out


_VALUE_HEADERS = {
    "low": "Low",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
    "high": "High",
    "mean": "Mean",
    "bar": "",
}


def _value_columns(
    table: Table, hidden: Sequence[str], bar_header: str, bar_width: int
) -> list[str]:
    """Add the figure columns not hidden (and the bar); return their keys in order."""
    shown = [k for k in _VALUE_HEADERS if k not in hidden]
    for k in shown:
        if k == "bar":
            table.add_column(bar_header, no_wrap=True, width=bar_width)
        else:
            style = "bold" if k in ("p50", "p90") else ""
            table.add_column(_VALUE_HEADERS[k], justify="right", no_wrap=True, style=style)
    return shown


def _build(b: Budget, hidden: Sequence[str], label_min: int | None = 24) -> Table:
    from cartcost.render.table import shown_amounts

    est = b.estimate
    table = Table(box=box.SIMPLE_HEAD, show_footer=False, pad_edge=False, expand=False)
    table.add_column("Item", ratio=1, min_width=label_min, overflow="fold")
    shown = _value_columns(table, hidden, "low ▸ high", BAR_WIDTH)
    by_key = {line.key: line for line in b.lines}
    ends = shown_amounts(est)
    for category in CATEGORIES:
        items = est.by_category(category)
        if not items:
            continue
        table.add_row(Text(_CATEGORY_TITLES[category].upper(), style="bold cyan"))
        for item in items:
            line: LineBudget | None = by_key.get(item.key)
            if line is None:
                label = Text(item.label)
                label.append("\n  not included: " + item.note, style="italic yellow")
                table.add_row(label, *(["—"] * (len(shown) - ("bar" in shown))))
                continue
            table.add_row(
                Text(item.label), *_cells(line.plain, line.spread, shown, ends.get(item.key))
            )
    if b.fx is not None:
        # Not a line of the estimate: no low or high at the table's rates.
        moved = {"p10": b.fx.p10, "p50": b.fx.p50, "p90": b.fx.p90, "mean": b.fx.mean}
        table.add_row(Text("CURRENCY", style="bold cyan"))
        table.add_row(
            Text(FX_ROW_LABEL),
            *(whole(moved[k]) if k in moved else "" if k == "bar" else "—" for k in shown),
        )
    table.add_section()
    table.add_row(
        Text(f"Total {b.currency}", style="bold"),
        *_cells(est.total, b.total, shown),
    )
    return table


FX_ROW_LABEL = "Exchange-rate moves"


def layouts() -> list[tuple[list[str], int | None]]:
    """The budget tables to try, richest first: (columns hidden, label column's minimum
    width). Columns go in DROP_ORDER; then the label column narrows below its usual
    minimum; then low and high go, leaving P50 and P90 (the figures to plan with)."""
    out: list[tuple[list[str], int | None]] = [
        (list(DROP_ORDER[:n]), 24) for n in range(len(DROP_ORDER) + 1)
    ]
    out += [([*DROP_ORDER, *LAST_DROPPED[:n]], None) for n in range(len(LAST_DROPPED) + 1)]
    return out


def fit_table(b: Budget, console: Console, width: int) -> tuple[Table, list[str]]:
    """The richest budget table that cuts no number at `width`, and which columns it
    hides."""
    tried = layouts()
    builds = [lambda h=h, m=m: _build(b, h, m) for h, m in tried]
    index, table = first_fitting(console, width, builds)
    return table, tried[index][0]


def _percent(share: Decimal) -> str:
    pct = share * 100
    return f"{pct:.0f}%" if pct >= 1 or pct == 0 else "<1%"


def _odds(r: Range) -> str:
    low, high = (f"{x * 100:.0f}" for x in (r.low, r.high))
    return f"{low}%" if low == high else f"{low}–{high}%"


class _Histogram:
    """The sparkline of totals between its low and high on one line, or, where that
    line would not fit, the two ends on one line and the sparkline under them (a line
    wrapped at the sparkline's blanks would scatter it)."""

    def __init__(self, low: str, spark: str, high: str) -> None:
        self.one = f"  {low} ▕{spark}▏ {high}"
        self.two = (f"  {low} (left) to {high} (right):", f"  ▕{spark}▏")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if len(self.one) <= options.max_width:
            yield Text(self.one)
        else:
            yield from (Text(line) for line in self.two)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = len(self.one) if len(self.one) <= options.max_width else len(self.two[0])
        return Measurement(width, width)


def summary_lines(b: Budget) -> list[RenderableType]:
    est = b.estimate
    t = b.total
    ccy = b.currency
    lines: list[RenderableType] = [
        Text.assemble(
            (f"To be 90% sure: {ccy} {whole(t.p90)}", "bold"),
            f"   median (P50) {whole(t.p50)}   P10 {whole(t.p10)}   mean {whole(t.mean)}",
        ),
        Text(
            f"Every low added up: {whole(est.total.low)}; every high added up: "
            f"{whole(est.total.high)}. Totals of the draws, from that low (left) to that high:"
        ),
        _Histogram(whole(est.total.low), sparkline(b.histogram.counts), whole(est.total.high)),
        Text(MEANING, style="dim"),
    ]
    you = b.you_pay
    if you is not None and you != t:
        lines.insert(
            1,
            Text.assemble(
                (f"What the family pays, to be 90% sure: {ccy} {whole(you.p90)}", "bold"),
                f"   median (P50) {whole(you.p50)}   P10 {whole(you.p10)}",
            ),
        )
    if b.events:
        happened = ", ".join(
            f"{e.label} {_percent(e.happened)} (table: {_odds(e.probability)})" for e in b.events
        )
        lines.append(Text(f"Complications, share of journeys they happened in: {happened}."))
    s = b.stay_days
    lines.append(
        Text(
            f"Stay abroad{' with complications' if b.events else ''}: "
            f"P10 {days(s.p10)}, P50 {days(s.p50)}, P90 {days(s.p90)} days"
        )
    )
    return lines


# The drivers table's layouts, widest first: (bar cells, Item's minimum width, header
# of the amount on two lines). The bar narrows, then goes, before a number could be cut.
_DRIVER_LAYOUTS: tuple[tuple[int, int | None, bool], ...] = (
    (20, 20, False),
    (10, 20, False),
    (0, 20, False),
    (0, None, True),
)


def drivers_table(b: Budget, top: int | None = None) -> RenderableType:
    """Lines by how much holding them fixed narrows the P10-P90 spread, largest first;
    drawn in the first layout that cuts nothing at the console's width."""

    def make(i: int) -> tuple[RenderableType, Table]:
        table = _drivers_grid(b, top, *_DRIVER_LAYOUTS[i])
        return table, table

    return FirstThatFits(len(_DRIVER_LAYOUTS), make)


def _drivers_grid(
    b: Budget, top: int | None, bar_width: int, item_min: int | None, stacked: bool
) -> Table:
    assert b.drivers is not None
    spread = b.total.width
    table = Table(
        title=(
            f"What drives the range: the P10–P90 spread is {b.currency} {whole(spread)}; "
            "how much it narrows if one item were known exactly"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Item", overflow="fold", ratio=1, min_width=item_min)
    header = f"Narrows\nby {b.currency}" if stacked else f"Narrows by {b.currency}"
    table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Share", justify="right", no_wrap=True)
    if bar_width:
        table.add_column("", no_wrap=True, width=bar_width)
    listed = [d for d in b.drivers if d.share >= MIN_DRIVER_SHARE]
    shown: Sequence[Driver] = listed if top is None else listed[:top]
    for d in shown:
        cells: list[RenderableType] = [d.label, whole(d.shrink), _percent(d.share)]
        if bar_width:
            filled = max(0, min(bar_width, round(float(d.share) * bar_width)))
            cells.append(Text(FILLED * filled, style="cyan"))
        table.add_row(*cells)
    rest = len(b.drivers) - len(shown)
    if rest:
        table.caption = (
            f"{rest} other item{'s' if rest != 1 else ''} narrow it by less than "
            f"{MIN_DRIVER_SHARE * 100:.1f}% each (--format csv lists all)."
        )
        table.caption_justify = "left"
    return table


def footer_lines(b: Budget, hidden: Sequence[str]) -> list[Text]:
    est = b.estimate
    lines = []
    if hidden:
        lines.append(
            Text(
                "Hidden at this width: "
                + ", ".join(HIDDEN_NAMES[h] for h in hidden)
                + " (widen the terminal, or use --format csv).",
                style="dim",
            )
        )
    elif b.estimate.items:
        lines.append(
            Text(
                f"Bar: each line's low (left) to high (right); {FILLED} P10–P90, {MEDIAN} P50.",
                style="dim",
            )
        )
    detail = (
        ""
        if b.detail_draws == b.draws
        else f"; lines, stay and drivers from the first {b.detail_draws:,}"
    )
    lines.append(
        Text(
            f"{b.draws:,} draws, seed {b.seed}{detail}. A statistical summary: each figure "
            "drawn from low–typical–high, durations shared by every line, one offer per draw.",
            style="dim",
        )
    )
    lines.append(
        Text(f"FX rates of {est.fx_as_of.isoformat()}; data as of {est.data_as_of.isoformat()}")
    )
    lines += [Text("Note: " + n, style="yellow") for n in b.notes]
    lines.append(Text(est.disclaimer, style="italic"))
    return lines


def budget_view(
    b: Budget,
    console: Console,
    width: int | None = None,
    show_sources: bool = False,
    sources: Mapping[str, Source] | None = None,
) -> RenderableType:
    """The budget of one estimate on one screen, fitted to `width` (default: the console's)."""
    table, hidden = fit_table(b, console, width or console.width)
    parts: list[RenderableType] = [
        Text(_title(b.estimate, b.draws), style="bold"),
        table,
        *summary_lines(b),
    ]
    if b.drivers is not None:
        parts.append(drivers_table(b))
    parts += footer_lines(b, hidden)
    if show_sources and sources:
        from cartcost.render.table import bibliography, est_sources

        parts.append(bibliography(est_sources(b.estimate), sources))
    return Group(*parts)


# ---------------------------------------------------------------- compare --budget


def _compare_build(
    rows: Sequence[tuple[str, Budget]],
    hidden: Sequence[str],
    scale: Range,
    label_min: int | None = 18,
    family: bool = False,
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("Country", overflow="fold", min_width=label_min, ratio=1)
    shown = _value_columns(table, hidden, "one scale ▸", COMPARE_BAR_WIDTH)
    for name, b in rows:
        plain, t = b.measured(family)
        values = {
            "low": whole(plain.low),
            "p10": whole(t.p10),
            "p50": whole(t.p50),
            "p90": whole(t.p90),
            "high": whole(plain.high),
            "mean": whole(t.mean),
        }
        cells: list[Text | str] = [values[k] for k in shown if k != "bar"]
        if "bar" in shown:
            cells.append(_scaled_bar(plain, t, scale, COMPARE_BAR_WIDTH))
        table.add_row(name, *cells)
    return table


def _scaled_bar(plain: Range, t: Spread, scale: Range, width: int) -> Text:
    """One row on the comparison's common scale: low..high dotted, P10-P90 filled."""
    return _bar(t, scale, width, (" ", ""), span=plain)


def _compare_title(cmp: Comparison, draws: int) -> str:
    sc = cmp.scenario
    what = f"CAR-T for {sc.indication}"
    if sc.products:
        what += f" ({', '.join(sc.products)})"
    who = f"from {sc.origin}" if sc.origin else "origin not given"
    carers = f"{sc.caregivers} caregiver{'s' if sc.caregivers != 1 else ''}"
    return f"Budget for {what}: {who}, {carers}, in {cmp.currency}; {draws:,} journeys a row"


def _row_name(row: Row) -> str:
    name = f"{row.country} {row.country_name}"
    if row.product:
        name += f": {', '.join(row.brands)}"
    return name + (" (home)" if row.is_home else "")


def compare_budget_view(
    cmp: Comparison,
    budgets: Sequence[Budget],
    console: Console,
    width: int | None = None,
) -> RenderableType:
    """Budgets side by side: one row per compared country (or product), in the
    comparison's order, bars on one scale."""
    w = width or console.width
    # A row whose offers are on several pathways draws their mix: marked, and a note says.
    rows = [
        (_row_name(row) + ("*" if b.mixes_pathways else ""), b)
        for row, b in zip(cmp.rows, budgets, strict=True)
    ]
    # Where a cover or a scheme pays part of some row's bills, the rows are ranked by what
    # the family pays, and that is what each row shows (the plain comparison's bars too).
    family = cmp.bars_family
    scale = cmp.bars if family else cmp.scale
    tried = [(h, 18 if m is not None else None) for h, m in layouts()]
    builds = [lambda h=h, m=m: _compare_build(rows, h, scale, m, family) for h, m in tried]
    index, table = first_fitting(console, w, builds)
    hidden = tried[index][0]
    first = budgets[0]
    parts: list[RenderableType] = [Text(_compare_title(cmp, first.draws), style="bold"), table]
    if family:
        parts.append(
            Text(
                "Every figure is what the family pays: a cover or a scheme pays the rest "
                "(--format csv or json has each row's total too).",
                style="dim",
            )
        )
    if "bar" not in hidden:
        parts.append(
            Text(
                f"Bar: {whole(scale.low)} (left) to {whole(scale.high)} (right), one "
                f"scale; ─ low to high, {FILLED} P10–P90, {MEDIAN} P50.",
                style="dim",
            )
        )
    if hidden:
        parts.append(
            Text(
                "Hidden at this width: "
                + ", ".join(HIDDEN_NAMES[h] for h in hidden)
                + " (widen the terminal, or use --format csv).",
                style="dim",
            )
        )
    parts.append(Text(MEANING, style="dim"))
    if first.events:
        odds = ", ".join(f"{e.label} {_odds(e.probability)}" for e in first.events)
        parts.append(Text(f"Complications weighed in every row: {odds}."))
    if first.drivers is not None:
        for name, b in rows:
            assert b.drivers is not None
            top = ", ".join(
                f"{d.label} {_percent(d.share)}"
                for d in b.drivers[:3]
                if d.share >= MIN_DRIVER_SHARE
            )
            parts.append(Text(f"Drives {name}: {top or 'nothing varies'}", style="dim"))
    if cmp.scenario.origin is None:
        parts.append(Text("Travel and visas not included: pass --from COUNTRY.", style="yellow"))
    for sk in cmp.skipped:
        what = f"{sk.country} {sk.product}" if sk.product else sk.country
        parts.append(Text(f"Skipped {what}: {sk.reason}", style="yellow"))
    parts += [Text("Note: " + n, style="yellow") for n in compare_notes(cmp, budgets)]
    parts.append(
        Text(
            f"{first.draws:,} draws per row, seed {first.seed}, the same draws for every row: "
            "a statistical summary.",
            style="dim",
        )
    )
    parts.append(
        Text(f"FX rates of {cmp.fx_as_of.isoformat()}; data as of {cmp.data_as_of.isoformat()}")
    )
    parts.append(Text(cmp.disclaimer, style="italic"))
    return Group(*parts)


def compare_budget_svg(cmp: Comparison, budgets: Sequence[Budget], width: int = 120) -> str:
    """The budget comparison as an SVG picture, as compare_view.compare_svg draws the
    plain one."""
    import io

    from cartcost.render.svg import renderable_svg

    console = Console(width=width, file=io.StringIO(), highlight=False)
    view = compare_budget_view(cmp, budgets, console, width)
    return renderable_svg(view, width, f"cartcost compare --budget — {cmp.scenario.indication}")
