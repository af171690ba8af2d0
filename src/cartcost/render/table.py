"""The terminal view of an estimate (Rich). Imported only when a table is drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from cartcost import whopays
from cartcost.estimation import CATEGORIES, Estimate, LineItem
from cartcost.exports.fmt import exported_amounts, money_span, span, whole, whole_parts
from cartcost.lines import TRANSFER
from cartcost.rates import Source
from cartcost.render.fit import FirstThatFits

_CATEGORY_TITLES = {
    "product": "Product",
    "hospital": "Hospital",
    "living": "Living",
    "travel": "Travel",
    "services": "Services",
    "time": "Time away from work",
}


class TextTable(Table):
    """A Rich Table that measures its columns by arithmetic when every cell is Text.

    Rich lays a table out by measuring every cell of every column (Measurement.get on
    the cell wrapped in its Padding), once for each width it tries: most of the time a
    table takes to draw. A Text cell's measurement does not depend on the width (its
    longest word and longest line), so a column's comes down to that of its widest cell,
    padded and clamped as Rich pads and clamps it. Same numbers, so the same layout and
    the same output (tests/test_render_speed_identity.py checks it against Table); a
    column with any other kind of cell (a str is markup) is measured by Rich as usual.
    """

    # The widest word and line of each column's cells, or None if a cell is not Text: kept
    # for one draw (Rich measures a column again when it has to narrow the table).
    _widest: dict[int, tuple[int, int] | None] | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self._widest = {}
        yield from super().__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        self._widest = {}
        return super().__rich_measure__(console, options)

    def _widest_cell(
        self, console: Console, options: ConsoleOptions, column: Column
    ) -> tuple[int, int] | None:
        if self._widest is not None and column._index in self._widest:
            return self._widest[column._index]
        cells: list[object] = list(column.cells)
        if self.show_header:
            cells.append(column.header)
        if self.show_footer:
            cells.append(column.footer)
        widest: tuple[int, int] | None = None
        if cells and all(type(cell) is Text for cell in cells):
            measured = [
                cast(Text, cell).__rich_measure__(console, options).normalize() for cell in cells
            ]
            widest = max(m.minimum for m in measured), max(m.maximum for m in measured)
        if self._widest is not None:
            self._widest[column._index] = widest
        return widest

    def _measure_column(
        self, console: Console, options: ConsoleOptions, column: Column
    ) -> Measurement:
        max_width = options.max_width
        if max_width < 1 or column.width is not None:  # Rich measures no cell for these
            return super()._measure_column(console, options, column)
        widest = self._widest_cell(console, options, column)
        if widest is None:
            return super()._measure_column(console, options, column)
        widest_word, widest_line = widest
        # The padding of each cell, as Table._get_cells gives it (left and right only).
        first, last = column._index == 0, column._index == len(self.columns) - 1
        _, right, _, left = self.padding
        if self.collapse_padding and not first:
            left = max(0, left - right)
        if not self.pad_edge:
            left = 0 if first else left
            right = 0 if last else right
        padded = any(self.padding)
        if padded and max_width - (left + right) < 1:
            lo = hi = max_width  # Padding.__rich_measure__: no room for the content
        else:
            extra = left + right if padded else 0
            lo = min(min(widest_word, max_width) + extra, max_width)
            hi = min(min(widest_line, max_width) + extra, max_width)
        padding_width = self._get_padding_width(column._index)
        return Measurement(lo, hi).clamp(
            None if column.min_width is None else column.min_width + padding_width,
            None if column.max_width is None else column.max_width + padding_width,
        )


_PAYER_WORDS = {"public": "public cover", "insurer": "insurer"}


def _basis(item: LineItem) -> str:
    if item.key == TRANSFER:
        return item.note  # a share of other lines: its note says of what
    if item.quantity is not None and item.rate is not None and item.native_currency:
        return f"{span(item.quantity, item.unit)} × {money_span(item.rate, item.native_currency)}"
    if item.native is not None and item.native_currency:
        return money_span(item.native, item.native_currency)
    return ""


def _title(est: Estimate) -> str:
    sc = est.scenario
    who = f"from {est.origin_name}" if est.origin_name else "origin not given"
    if sc.domestic:
        who = "living in the country"
    carers = f"{sc.caregivers} caregiver{'s' if sc.caregivers != 1 else ''}"
    title = f"CAR-T for {sc.indication} in {est.country_name} ({sc.country}), {who}, {carers}"
    if est.choices is not None:
        from cartcost.choices import describe

        sends = any(i.key == TRANSFER for i in est.items)
        title += "\nChoices: " + describe(est.choices, sends=sends)
    return title


def likely_lines(est: Estimate) -> list[str]:
    """'Likely total (P50) ...; to be 90% sure (P90) ...', one line per pathway shown,
    and the same of what the family pays unless it is the total (the table's "What you
    pay" row then shows the total again)."""
    out = []
    same = est.you_pay == est.total and [(lk.p50, lk.p90) for lk in est.likely] == [
        (lk.p50, lk.p90) for lk in est.you_pay_likely
    ]
    for lk in est.likely:
        what = f" ({lk.pathway} offers)" if lk.pathway else ""
        out.append(
            f"Likely total{what}: {est.currency} {whole(lk.p50)} (P50); "
            f"to be 90% sure: {est.currency} {whole(lk.p90)} (P90)"
        )
    for lk in () if same else est.you_pay_likely:
        what = f" ({lk.pathway} offers)" if lk.pathway else ""
        out.append(
            f"What you pay, likely{what}: {est.currency} {whole(lk.p50)} (P50); "
            f"to be 90% sure: {est.currency} {whole(lk.p90)} (P90)"
        )
    if est.likely:
        lk = est.likely[0]
        out.append(
            f"From {lk.draws:,} simulated journeys (seed {lk.seed}); --budget simulates more "
            "and shows each line."
        )
    return out


def shown_amounts(est: Estimate) -> dict[str, tuple[str, str]]:
    """Each included item's low and high as the table shows them (by item key), rounded
    so that they add up to the total as shown (fmt.whole_parts)."""
    # From the amounts as exported, so that the table agrees with CSV and JSON.
    exported = exported_amounts(est)
    lows = whole_parts([r.low for r in exported.values()], est.total.low)
    highs = whole_parts([r.high for r in exported.values()], est.total.high)
    return {key: (lo, hi) for key, lo, hi in zip(exported, lows, highs, strict=True)}


def _sources_text(item: LineItem, layer_of: Mapping[str, str] | None) -> str:
    src = ", ".join(item.sources)
    if layer_of:
        layers = sorted({layer_of.get(p, "") for p in item.figure_paths} - {""})
        if layers:
            src += f" [{', '.join(layers)}]"
    return src


def _estimate_grid(
    est: Estimate,
    show_sources: bool,
    layer_of: Mapping[str, str] | None,
    item_min: int | None,
    sources_column: bool,
) -> Table:
    """The estimate's table. With item_min None the Item column may narrow to its
    longest word; without sources_column the sources go under each item's label."""
    # Text rather than str throughout, as Rich would make it (style "table.title" for the
    # title): a str is scanned for markup and emoji codes, whose table alone takes a few
    # ms to import, and what cartcost writes here has neither.
    table = TextTable(
        title=Text(_title(est), style="table.title"),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_footer=False,
        pad_edge=False,
        expand=False,
    )
    column = show_sources and sources_column
    table.add_column(Text("Item"), ratio=1, min_width=item_min, overflow="fold")
    table.add_column(Text(f"Low {est.currency}"), justify="right", no_wrap=True)
    table.add_column(Text(f"High {est.currency}"), justify="right", no_wrap=True)
    if column:
        table.add_column(Text("Sources"), overflow="fold", max_width=28, style="dim")
    shown = shown_amounts(est)
    for category in CATEGORIES:
        items = est.by_category(category)
        if not items:
            continue
        table.add_row(
            Text(_CATEGORY_TITLES[category].upper(), style="bold cyan"),
            Text(""),
            Text(""),
            *([Text("")] if column else []),
        )
        for item in items:
            label = Text(item.label)
            basis = _basis(item)
            tags = []
            if item.basis and item.amount is not None:
                tags.append(f"{item.basis} price")
            if item.modelled:
                tags.append(item.modelled)
            if item.paid_by != "family" and item.amount is not None:
                tags.append(f"paid by {_PAYER_WORDS.get(item.paid_by, item.paid_by)}")
            if tags:
                basis = f"{basis}  ({'; '.join(tags)})" if basis else f"({'; '.join(tags)})"
            if basis:
                label.append("\n  " + basis, style="dim")
            if item.amount is None:
                label.append("\n  not included: " + item.note, style="italic yellow")
                cells = [Text("—"), Text("—")]
            else:
                low, high = shown[item.key]
                cells = [Text(low), Text(high)]
            extra = []
            if show_sources:
                # Text, not str: layer names like [quote.toml] are not Rich markup.
                src = _sources_text(item, layer_of)
                if column:
                    extra = [Text(src)]
                elif src:
                    label.append("\n  sources: " + src, style="dim")
            table.add_row(label, *cells, *extra)
    table.add_section()
    table.add_row(
        Text("Total", style="bold"),
        Text(whole(est.total.low), style="bold"),
        Text(whole(est.total.high), style="bold"),
        *([Text("")] if column else []),
    )
    who = est.who_pays
    if who is not None and who.scheme is not None and who.reimbursed is not None:
        table.add_row(
            Text(whopays.scheme_row_label(who)),
            Text(whole(who.reimbursed.low)),
            Text(whole(who.reimbursed.high)),
            *([Text("")] if column else []),
        )
    if est.you_pay is not None:
        you = [
            Text(whole(est.you_pay.low), style="bold"),
            Text(whole(est.you_pay.high), style="bold"),
        ]
    else:
        you = [Text("unknown", style="bold"), Text("unknown", style="bold")]
    table.add_row(Text("What you pay", style="bold"), *you, *([Text("")] if column else []))
    return table


# The estimate's layouts, widest first: (Item column's minimum width, sources column).
_LAYOUTS: tuple[tuple[int | None, bool], ...] = (
    (24, True),
    (None, True),
    (24, False),
    (None, False),
)


def estimate_table(
    est: Estimate,
    show_sources: bool = False,
    sources: Mapping[str, Source] | None = None,
    layer_of: Mapping[str, str] | None = None,
) -> RenderableType:
    """The estimate as a table with its footer. Drawn at the console's width, in the
    first layout that cuts nothing: the Item column narrows below 24 characters, then
    (with sources) the sources move under each label, before a number could be cut."""
    layouts = _LAYOUTS if show_sources else _LAYOUTS[:2]

    def make(i: int) -> tuple[RenderableType, Table]:
        item_min, column = layouts[i]
        grid = _estimate_grid(est, show_sources, layer_of, item_min, column)
        return grid, grid

    table = FirstThatFits(len(layouts), make)
    lines = [
        *likely_lines(est),
        f"Stay abroad: {span(est.stay_days, 'days')}   "
        f"Days to infusion: {span(est.days_to_infusion, 'days')}",
    ]
    if est.product_low != est.product_high:
        lines.append(f"Products: low end {est.product_low}, high end {est.product_high}")
    lines.append(f"FX rates of {est.fx_as_of.isoformat()}; data as of {est.data_as_of.isoformat()}")
    footer = [Text(line) for line in lines]
    footer += [Text("Note: " + n, style="yellow") for n in est.notes]
    footer.append(Text(est.disclaimer, style="italic"))
    parts: list[RenderableType] = [table, *footer]
    if show_sources and sources:
        parts.append(bibliography(est_sources(est), sources))
    return Group(*parts)


def est_sources(est: Estimate) -> list[str]:
    return list(dict.fromkeys(s for item in est.items for s in item.sources))


def bibliography(ids: Sequence[str], sources: Mapping[str, Source]) -> RenderableType:
    """The sources behind an estimate, each a short block as `cartcost sources` lists
    them: id; title; publisher · date · kind; the URL whole on a line of its own (a
    terminal wraps it, unbroken, so it can still be copied); for an assumption, its
    basis."""
    from rich.padding import Padding

    parts: list[RenderableType] = [Text("Sources", style="table.title")]
    for sid in ids:
        s = sources.get(sid)
        if s is None:
            continue
        parts.append(Text(sid, style="cyan"))
        parts.append(Padding(Text(s.title), (0, 0, 0, 2)))
        about = f"{s.publisher} · {s.published.isoformat()} · {s.kind}"
        about += f" · accessed {s.accessed.isoformat()}"
        parts.append(Padding(Text(about, style="dim"), (0, 0, 0, 2)))
        if s.url:
            parts.append(Text("  " + s.url, style="dim", no_wrap=True, overflow="ignore"))
        if s.kind == "assumption" and s.note:
            parts.append(Padding(Text(f"basis: {s.note}", style="dim"), (0, 0, 0, 2)))
    return Group(*parts)


# What a terminal width may be (COLUMNS): narrower than this, no table can be drawn (at 0
# Rich drew nothing at all, and the command still "succeeded"); wider, every line would
# be padded to megabytes.
MIN_COLUMNS = 20
MAX_COLUMNS = 4096


def terminal_width() -> int | None:
    """COLUMNS when set to a width a table can be drawn at; None when unset (Rich asks the
    terminal). Raises UsageProblem for a COLUMNS no table fits."""
    import os

    from cartcost.errors import UsageProblem

    env = os.environ.get("COLUMNS")
    if env is None or not env.strip():
        return None
    text = env.strip()
    if not env.isdigit():
        return None  # Rich ignores it too and asks the terminal
    if not text.isascii() or not MIN_COLUMNS <= int(text) <= MAX_COLUMNS:
        raise UsageProblem(
            f"COLUMNS={env[:20]!r} is not a width a table can be drawn at",
            f"set COLUMNS to the terminal's width, {MIN_COLUMNS} to {MAX_COLUMNS:,} "
            "(or unset it), or use --format csv",
        )
    return int(text)


def make_console(width: int | None = None, record: bool = False, file: object = None) -> Console:
    kwargs: dict[str, object] = {"highlight": False, "record": record}
    if width is None and file is None:
        width = terminal_width()
    if width:
        kwargs["width"] = width
    if file is not None:
        kwargs["file"] = file
    return Console(**kwargs)  # type: ignore[arg-type]
