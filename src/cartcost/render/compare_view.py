"""The terminal (and SVG) view of a comparison: one row per country, range bars.

Each row has two lines: the low end above the high end. Columns are dropped, least
important first, until the table fits the console, and the bar narrows before it goes:
a number is never cut. The bar geometry (which cells are filled) is computed here from
the row's totals and the comparison's common scale; it is presentation, not cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from cartcost.comparison import Comparison, Delta, Row
from cartcost.estimation import Category
from cartcost.exports.fmt import exported_subtotals, span, whole, whole_parts
from cartcost.memo import Memo
from cartcost.money import Range
from cartcost.render.table import TextTable

BAR_WIDTHS = (24, 16, 10)
SVG_WIDTH = 120
FILLED = "█"
EMPTY = "·"

# Columns that may be hidden on a narrow console, least important first.
DROP_ORDER = (
    "offers",  # folds under the country instead
    "rank",
    "services",
    "stay",
    "living",
    "hospital",
    "travel",
    "product",
    "likely",
    "you_pay",
    "infusion",
    "bar",
)


def pays_every_total(cmp: Comparison) -> bool:
    """Whether the family pays the whole total in every row (no cover or scheme pays a
    part anywhere), so that "You pay" repeats "Total"."""
    return all(r.estimate.you_pay is None or r.estimate.you_pay == r.total for r in cmp.rows)


def drop_order(cmp: Comparison) -> tuple[str, ...]:
    """DROP_ORDER for this comparison. Where "You pay" only repeats the total in every
    row, it is the first to go on a narrow console. Where the family pays less than the
    total in some row (a cover or a scheme pays the rest) and the ranking is by what the
    family pays, its column stays to the last and the total goes in its place."""
    if pays_every_total(cmp):
        return ("you_pay", *(k for k in DROP_ORDER if k != "you_pay"))
    if cmp.perspective != "family":
        return DROP_ORDER
    return tuple("total" if k == "you_pay" else k for k in DROP_ORDER)


def bar_cells(r: Range, scale: Range, width: int) -> tuple[int, int]:
    """[start, end) of the filled cells for range r on a bar of `width` cells spanning
    `scale`; at least one cell is filled."""
    if width <= 0:
        return 0, 0
    extent = scale.high - scale.low
    if extent <= 0:
        return 0, width
    start = math.floor((r.low - scale.low) * width / extent)
    end = math.ceil((r.high - scale.low) * width / extent)
    start = max(0, min(start, width - 1))
    end = max(start + 1, min(end, width))
    return start, end


def range_bar(r: Range, scale: Range, width: int, style: str = "") -> Text:
    start, end = bar_cells(r, scale, width)
    text = Text(EMPTY * start, style="dim")
    text.append(FILLED * (end - start), style=style or "bold")
    text.append(EMPTY * (width - end), style="dim")
    return text


def _stacked(r: Range | None) -> Text:
    if r is None:
        return Text("—\n—", style="dim")
    return Text(f"{whole(r.low)}\n{whole(r.high)}")


# Each row's shown subtotals, worked out once for its five subtotal cells (Decimal
# allocation): by id(row).
_SHOWN: Memo[dict[str, tuple[str, str]]] = Memo()


def shown_subtotals(row: Row) -> dict[str, tuple[str, str]]:
    """The row's category subtotals (low, high) as the table shows them: rounded so
    that they add up to the total as shown (fmt.whole_parts)."""
    hit = _SHOWN.get(id(row), (row,))
    if hit is not None:
        return hit
    # From the subtotals as exported, so that the table agrees with CSV and JSON.
    exported = exported_subtotals(row)
    lows = whole_parts([r.low for r in exported.values()], row.total.low)
    highs = whole_parts([r.high for r in exported.values()], row.total.high)
    found = {c: (lo, hi) for c, lo, hi in zip(exported, lows, highs, strict=True)}
    return _SHOWN.keep(id(row), (row,), found)


def _subtotal(category: Category) -> Callable[[Row], Text]:
    def cell(row: Row) -> Text:
        shown = shown_subtotals(row).get(category)
        if shown is None:
            return Text("—\n—", style="dim")
        return Text(f"{shown[0]}\n{shown[1]}")

    return cell


def _signed(d: Decimal) -> Text:
    if d > 0:
        return Text(f"+{whole(d)}", style="green")
    if d < 0:
        return Text(f"−{whole(-d)}", style="red")
    return Text("0")


def _saving(row: Row) -> Text:
    if row.is_home:
        return Text("home\n", style="bold cyan")
    delta: Delta | None = row.vs_home
    if delta is None:
        return Text("—\n", style="dim")
    text = _signed(delta.low)
    text.append("\n")
    text.append_text(_signed(delta.high))
    return text


def _country(row: Row, with_offers: bool = False) -> Text:
    text = Text(row.country, style="bold")
    text.append(" " + row.country_name)
    if with_offers:
        # Narrow consoles: the products fold under the country instead of a column.
        text.append("\n" + ", ".join(row.brands), style="dim")
    return text


def _likely(row: Row) -> Text:
    """P50 above P90; with offers on several pathways, the P50 of each, marked * (a mixed
    percentile would be a total nobody pays; the notes say which is which). Of what the
    family pays under the family perspective, else of the total."""
    est = row.estimate
    family = est.who_pays is not None and est.who_pays.perspective == "family"
    likely = est.you_pay_likely if family else est.likely
    if not likely:
        return Text("—\n—", style="dim")
    if len(likely) == 1:
        return Text(f"{whole(likely[0].p50)}\n{whole(likely[0].p90)}")
    return Text("\n".join(f"{whole(lk.p50)}*" for lk in likely))


def _you_pay(row: Row) -> Text:
    """What the family pays (low above high), or 'unknown'."""
    you = row.estimate.you_pay
    return _stacked(you) if you is not None else Text("unknown")


def _offers(row: Row) -> Text:
    return Text(", ".join(row.brands))


class _Column(NamedTuple):
    key: str
    header: str
    cell: Callable[[Row], Text]
    justify: str = "right"
    wrap: bool = False
    max_width: int | None = None
    min_width: int | None = None  # wrapable columns: narrower would be hard to read


def _columns(cmp: Comparison, fold_offers: bool = False) -> list[_Column]:
    by_product = cmp.by == "product"
    cols = [
        _Column("rank", "#", lambda r: Text(str(r.rank))),
        _Column(
            "country",
            "Country" + ("\nproduct" if by_product else "\nproducts") * fold_offers,
            lambda r: _country(r, fold_offers),
            justify="left",
            wrap=True,
            max_width=16,
            min_width=14 if fold_offers else 10,
        ),
        _Column(
            "offers",
            "Product" if by_product else "Offers",
            _offers,
            justify="left",
            wrap=True,
            max_width=22,
            min_width=10,
        ),
        _Column("product", "CAR-T", _subtotal("product")),
        _Column("hospital", "Hospital", _subtotal("hospital")),
        _Column("living", "Living", _subtotal("living")),
        _Column("travel", "Travel\n+visa", _subtotal("travel")),
        _Column("services", "Services", _subtotal("services")),
        _Column("total", "Total", lambda r: Text(_stacked(r.total).plain, style="bold")),
        _Column("you_pay", "You\npay", _you_pay),
        _Column("likely", "Likely\nP50/P90", _likely),
    ]
    if cmp.home is not None:
        cols.append(_Column("saving", "Saving\nvs home", _saving))
    cols += [
        _Column("stay", "Stay\ndays", lambda r: Text(span(r.stay_days))),
        _Column("infusion", "Days to\ninfusion", lambda r: Text(span(r.days_to_infusion))),
    ]
    return cols


def _build(
    cmp: Comparison,
    hidden: Sequence[str],
    bar_width: int,
    table_type: type[Table] = Table,
    cells: Mapping[str, Sequence[Text]] | None = None,
) -> Table:
    """The table with these columns hidden; `cells` are the columns' cells if already
    made (by key; the country's as hidden calls for, folded or not)."""
    table = table_type(
        box=box.SIMPLE_HEAD, pad_edge=False, leading=1, show_edge=False, collapse_padding=True
    )
    cols = [c for c in _columns(cmp, "offers" in hidden) if c.key not in hidden]
    for c in cols:
        # Text, not str: a str header is scanned for markup and emoji codes (whose table
        # takes a few ms to import), and these have neither; the output is the same.
        table.add_column(
            Text(c.header),
            justify="left" if c.justify == "left" else "right",
            no_wrap=not c.wrap,
            overflow="fold" if c.wrap else "ellipsis",
            max_width=c.max_width,
            min_width=c.min_width,
        )
    show_bar = "bar" not in hidden
    if show_bar:
        table.add_column(Text("Range" if bar_width < 16 else "Range (low–high)"), width=bar_width)
    columns = [cells[c.key] if cells else [c.cell(row) for row in cmp.rows] for c in cols]
    for i, row in enumerate(cmp.rows):
        line: list[RenderableType] = [column[i] for column in columns]
        if show_bar:
            line.append(range_bar(row.bar, cmp.bars, bar_width, "cyan" if row.is_home else ""))
        table.add_row(*line)
    return table


def _fits(console: Console, table: Table, width: int) -> bool:
    # Measured unconstrained: Measurement.get would clamp to the width asked about.
    measured = table.__rich_measure__(console, console.options.update_width(10_000))
    return measured.minimum <= width


def fit_table_by_trial(cmp: Comparison, console: Console, width: int) -> tuple[Table, list[str]]:
    """fit_table the slow way: build and measure every configuration in turn until one
    fits. fit_table must choose what this chooses; it is also fit_table's fallback."""
    present = {c.key for c in _columns(cmp)} | {"bar"}
    order = [k for k in drop_order(cmp) if k in present]
    table = _build(cmp, order, BAR_WIDTHS[-1])
    for n in range(len(order) + 1):
        hidden = order[:n]
        widths = BAR_WIDTHS if "bar" not in hidden else BAR_WIDTHS[:1]
        for bar_width in widths:
            table = _build(cmp, hidden, bar_width)
            if _fits(console, table, width):
                return table, hidden
    return table, order


def _content_minimum(console: Console, col: _Column, cells: Sequence[Text]) -> int:
    """The narrowest a column's cells (header included) can be, padding aside, clamped
    to its min/max width as Rich's Table clamps it: the longest word of any cell, which
    is what Rich measures as a Text's minimum."""
    options = console.options.update_width(10_000)
    narrowest = max(
        min(cell.__rich_measure__(console, options).normalize().minimum, 10_000)
        for cell in (Text(col.header), *cells)
    )
    if col.min_width is not None:
        narrowest = max(narrowest, col.min_width)
    if col.max_width is not None:
        narrowest = min(narrowest, col.max_width)
    return narrowest


def _minimum_width(keys: Sequence[str], minimum: dict[str, int]) -> int:
    """The minimum width of a table holding these columns, in this order, as
    Table.__rich_measure__ gives it for _build's settings (SIMPLE_HEAD without edges, no
    padding at the table's edge, padding collapsed): one cell of padding right of every
    column but the last, and one rule between columns."""
    return sum(minimum[k] for k in keys) + 2 * (len(keys) - 1)


def fit_table(cmp: Comparison, console: Console, width: int) -> tuple[Table, list[str]]:
    """The richest table that fits `width` without cutting a number, and what it hides.

    The configurations are tried in the order of fit_table_by_trial (columns dropped in
    DROP_ORDER, the bar narrowed before it goes), but each column's cells are made and
    measured once and the configurations' widths added up (tests/test_perf_compare_fit.py
    checks that this chooses what trial and error chooses). The table is a TextTable,
    which lays itself out by the same arithmetic, not by measuring every cell again."""
    cols = _columns(cmp)
    country = next(c for c in _columns(cmp, fold_offers=True) if c.key == "country")
    cells = {c.key: [c.cell(row) for row in cmp.rows] for c in cols}
    folded = {"country": [country.cell(row) for row in cmp.rows]}
    minimum = {c.key: _content_minimum(console, c, cells[c.key]) for c in cols}
    minimum_folded = {"country": _content_minimum(console, country, folded["country"])}
    order = [k for k in drop_order(cmp) if k in minimum or k == "bar"]
    keys = [c.key for c in cols]
    for n in range(len(order) + 1):
        hidden = order[:n]
        shown = [k for k in keys if k not in hidden]
        widths = {**minimum, **(minimum_folded if "offers" in hidden else {})}
        for bar_width in BAR_WIDTHS if "bar" not in hidden else BAR_WIDTHS[:1]:
            if "bar" in hidden:
                needed = _minimum_width(shown, widths)
            else:
                needed = _minimum_width([*shown, "bar"], {**widths, "bar": bar_width})
            if needed <= width:
                made = {**cells, **(folded if "offers" in hidden else {})}
                return _build(cmp, hidden, bar_width, TextTable, made), hidden
    return fit_table_by_trial(cmp, console, width)


_HEADERS = {
    "rank": "#",
    "product": "CAR-T",
    "hospital": "hospital",
    "living": "living",
    "travel": "travel+visa",
    "services": "services",
    "stay": "stay days",
    "infusion": "days to infusion",
    "bar": "range bar",
}


def _title(cmp: Comparison) -> str:
    sc = cmp.scenario
    what = f"CAR-T for {sc.indication}"
    if sc.products:
        what += f" ({', '.join(sc.products)})"
    if cmp.by == "product":
        what += ", product by product"
    origin_name = cmp.rows[0].estimate.origin_name if cmp.rows else None
    who = f"from {origin_name or sc.origin}" if sc.origin else "origin not given"
    carers = f"{sc.caregivers} caregiver{'s' if sc.caregivers != 1 else ''}"
    order = {
        "low": "cheapest first (low end)",
        "high": "cheapest first (high end)",
        "mid": "cheapest first (midpoint)",
        "days": "soonest infusion first",
    }[cmp.sort]
    return f"{what}: {who}, {carers}, in {cmp.currency}; {order}"


def footer_lines(cmp: Comparison, hidden: Sequence[str]) -> list[Text]:
    lines = [Text("Each row: low end above high end.", style="dim")]
    if "bar" not in hidden:
        lines.append(
            Text(
                f"Range bar: {cmp.currency} {whole(cmp.bars.low)} (left) to "
                f"{whole(cmp.bars.high)} (right), one scale for all rows"
                + (", of what the family pays." if cmp.bars_family else "."),
                style="dim",
            )
        )
    if cmp.home is not None:
        lines.append(
            Text(
                f"Saving vs home ({cmp.home}), of {cmp.perspective} costs: + cheaper than "
                "treatment at home, − costs more"
                + (" (same product)" if cmp.by == "product" else "")
                + ".",
                style="dim",
            )
        )
    lines.append(
        Text(
            "Likely P50/P90: of what the family pays."
            if cmp.perspective == "family"
            else "Likely P50/P90: of the total.",
            style="dim",
        )
    )
    if cmp.scenario.origin is None:
        lines.append(Text("Travel and visas not included: pass --from COUNTRY.", style="yellow"))
    if cmp.not_offered:
        lines.append(
            Text(f"Not offered for {cmp.scenario.indication}: " + ", ".join(cmp.not_offered))
        )
    for s in cmp.skipped:
        what = f"{s.country} {s.product}" if s.product else s.country
        lines.append(Text(f"Skipped {what}: {s.reason}", style="yellow"))
    dropped = [k for k in hidden if k != "offers"]
    if "you_pay" in dropped and pays_every_total(cmp):
        dropped.remove("you_pay")
        lines.append(Text("You pay: the whole total, in every row.", style="dim"))
    if dropped:
        names = ", ".join(_HEADERS.get(k, k) for k in dropped)
        lines.append(
            Text(
                f"Hidden at this width: {names} (widen the terminal, or use --format csv).",
                style="dim",
            )
        )
    lines += [Text("Note: " + n, style="yellow") for n in cmp.notes]
    lines.append(
        Text(f"FX rates of {cmp.fx_as_of.isoformat()}; data as of {cmp.data_as_of.isoformat()}")
    )
    lines.append(Text(cmp.disclaimer, style="italic"))
    return lines


def compare_view(cmp: Comparison, console: Console, width: int | None = None) -> RenderableType:
    """The comparison as one screen, fitted to `width` (default: the console's)."""
    w = width or console.width
    table, hidden = fit_table(cmp, console, w)
    title = Text(_title(cmp), style="bold")
    return Group(title, table, *footer_lines(cmp, hidden))


def compare_svg(cmp: Comparison, width: int = SVG_WIDTH) -> str:
    """The comparison table as an SVG picture (render/svg.py)."""
    import io

    from cartcost.render.svg import renderable_svg

    console = Console(width=width, file=io.StringIO(), highlight=False)
    view = compare_view(cmp, console, width)
    return renderable_svg(view, width, f"cartcost compare — {cmp.scenario.indication}")
