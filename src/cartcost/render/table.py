"""The terminal view of an estimate (Rich). Imported only when a table is drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from cartcost.estimate import CATEGORIES, Estimate, LineItem
from cartcost.rates import Source
from cartcost.render.fmt import money_span, span, whole

_CATEGORY_TITLES = {
    "product": "Product",
    "hospital": "Hospital",
    "living": "Living",
    "travel": "Travel",
    "services": "Services",
}


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
    return f"CAR-T for {sc.indication} in {est.country_name} ({sc.country}), {who}, {carers}"


def estimate_table(
    est: Estimate,
    show_sources: bool = False,
    sources: Mapping[str, Source] | None = None,
    layer_of: Mapping[str, str] | None = None,
) -> RenderableType:
    # Text rather than str throughout, as Rich would make it (style "table.title" for the
    # title): a str is scanned for markup and emoji codes, whose table alone takes a few
    # ms to import, and what cartcost writes here has neither.
    table = Table(
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
    lines = [
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
