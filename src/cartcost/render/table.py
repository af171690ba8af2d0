"""The terminal view of an estimate (Rich). Imported only when a table is drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from cartcost.estimation import CATEGORIES, Estimate, LineItem
from cartcost.rates import Source
from cartcost.render.fmt import money_span, span, whole

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

        title += "\nChoices: " + describe(est.choices)
    return title


def likely_lines(est: Estimate) -> list[str]:
    """'Likely total (P50) ...; to be 90% sure (P90) ...', one line per pathway shown."""
    out = []
    for lk in est.likely:
        what = f" ({lk.pathway} offers)" if lk.pathway else ""
        out.append(
            f"Likely total{what}: {est.currency} {whole(lk.p50)} (P50); "
            f"to be 90% sure: {est.currency} {whole(lk.p90)} (P90)"
        )
    for lk in est.you_pay_likely:
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


def estimate_table(
    est: Estimate,
    show_sources: bool = False,
    sources: Mapping[str, Source] | None = None,
    layer_of: Mapping[str, str] | None = None,
) -> RenderableType:
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
    table.add_column(Text("Item"), ratio=1, min_width=24, overflow="fold")
    table.add_column(Text(f"Low {est.currency}"), justify="right", no_wrap=True)
    table.add_column(Text(f"High {est.currency}"), justify="right", no_wrap=True)
    if show_sources:
        table.add_column(Text("Sources"), overflow="fold", max_width=28, style="dim")
    for category in CATEGORIES:
        items = est.by_category(category)
        if not items:
            continue
        table.add_row(
            Text(_CATEGORY_TITLES[category].upper(), style="bold cyan"),
            Text(""),
            Text(""),
            *([Text("")] if show_sources else []),
        )
        for item in items:
            label = Text(item.label)
            basis = _basis(item)
            tags = []
            if item.basis and item.amount is not None:
                tags.append(f"{item.basis} price")
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
                cells = [Text(whole(item.amount.low)), Text(whole(item.amount.high))]
            extra = []
            if show_sources:
                src = ", ".join(item.sources)
                if layer_of:
                    layers = sorted({layer_of.get(p, "") for p in item.figure_paths} - {""})
                    if layers:
                        src += f" [{', '.join(layers)}]"
                # Text, not str: layer names like [quote.toml] are not Rich markup.
                extra = [Text(src)]
            table.add_row(label, *cells, *extra)
    table.add_section()
    table.add_row(
        Text("Total", style="bold"),
        Text(whole(est.total.low), style="bold"),
        Text(whole(est.total.high), style="bold"),
        *([Text("")] if show_sources else []),
    )
    who = est.who_pays
    if who is not None and who.scheme is not None and who.reimbursed is not None:
        table.add_row(
            Text(f"Paid back by {who.scheme} if approved (up to)"),
            Text(whole(who.reimbursed.low)),
            Text(whole(who.reimbursed.high)),
            *([Text("")] if show_sources else []),
        )
    if est.you_pay is not None:
        you = [
            Text(whole(est.you_pay.low), style="bold"),
            Text(whole(est.you_pay.high), style="bold"),
        ]
    else:
        you = [Text("unknown", style="bold"), Text("unknown", style="bold")]
    table.add_row(Text("What you pay", style="bold"), *you, *([Text("")] if show_sources else []))
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
    table = Table(
        title="Sources", box=box.SIMPLE, title_justify="left", show_header=True, pad_edge=False
    )
    table.add_column("Id", no_wrap=True, style="cyan")
    table.add_column("Source", overflow="fold")
    for sid in ids:
        s = sources.get(sid)
        if s is None:
            continue
        text = Text(f"{s.title}. {s.publisher}, {s.published.isoformat()} ({s.kind})")
        if s.url:
            text.append(f"\n{s.url}", style="dim")
        text.append(f"\naccessed {s.accessed.isoformat()}", style="dim")
        if s.kind == "assumption" and s.note:
            text.append(f"\nbasis: {s.note}", style="dim")
        table.add_row(sid, text)
    return table


def make_console(width: int | None = None, record: bool = False, file: object = None) -> Console:
    kwargs: dict[str, object] = {"highlight": False, "record": record}
    if width:
        kwargs["width"] = width
    if file is not None:
        kwargs["file"] = file
    return Console(**kwargs)  # type: ignore[arg-type]
