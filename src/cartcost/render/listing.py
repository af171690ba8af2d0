"""Listings of what the merged rate table holds: countries, products, indications,
sources, and the table itself key by key. Each is built once as plain rows and drawn as
a Rich table, CSV or JSON. No arithmetic: values are picked and formatted, never computed.

Rich is imported only by the functions that draw a table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType

    from cartcost.rates import Rates
    from cartcost.ratesfile import Layers

Cell = str | int | bool | list[str] | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    in_table: bool = True
    justify: str = "left"
    no_wrap: bool = False
    exported: bool = True  # False: a table-only column, left out of csv and json


@dataclass(frozen=True)
class Listing:
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    footer: tuple[str, ...] = ()
    # For people: a row as a short block of lines (the first unindented, the rest
    # indented under it) instead of a table row; None draws a table.
    block: Callable[[dict[str, Cell]], list[str]] | None = None


def _joined(value: Cell) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return "" if value is None else str(value)


def _layer_line(row: Mapping[str, Cell], shown: bool) -> list[str]:
    return [f"layer: {row['layer']}"] if shown else []


# ---------------------------------------------------------------- builders


def _layer_col(layers: Layers) -> Column:
    # Programs always get the column; people see it only when overlays are in play.
    return Column("layer", "Layer", in_table=len(layers.names) > 1)


def _footer(layers: Layers) -> tuple[str, ...]:
    return (layers_text(layers.names),) if len(layers.names) > 1 else ()


def countries_listing(rates: Rates, layers: Layers, destinations_only: bool = False) -> Listing:
    rows: list[dict[str, Cell]] = []
    for cc, c in sorted(rates.countries.items()):
        if destinations_only and not c.is_destination:
            continue
        offers = list(c.offers.values())
        rows.append(
            {
                "code": cc,
                "name": c.name,
                "currency": c.currency,
                "region": c.region,
                "destination": c.is_destination,
                "indications": sorted({i for o in offers for i in o.indications}),
                "products": sorted({o.product for o in offers}),
                "layer": layers.layer_of(f"countries.{cc}"),
            }
        )
    columns = (
        Column("code", "Code", no_wrap=True),
        Column("name", "Name"),
        Column("currency", "Currency", no_wrap=True),
        Column("region", "Region", in_table=False),
        Column("destination", "Destination", no_wrap=True),
        Column("indications", "Indications"),
        Column("products", "Products"),
        _layer_col(layers),
    )
    overlaid = len(layers.names) > 1

    def block(row: dict[str, Cell]) -> list[str]:
        role = "destination" if row["destination"] else "origin only"
        lines = [f"{row['code']}  {row['name']} · {row['currency']} · {role} · {row['region']}"]
        if row["destination"]:
            lines.append(f"indications: {_joined(row['indications'])}")
            lines.append(f"products: {_joined(row['products'])}")
        return lines + _layer_line(row, overlaid)

    return Listing("Countries", columns, rows, _footer(layers), block)


def products_listing(rates: Rates, layers: Layers) -> Listing:
    rows: list[dict[str, Cell]] = []
    for pid, p in sorted(rates.products.items()):
        where = [
            cc
            for cc, c in sorted(rates.countries.items())
            if any(o.product == pid for o in c.offers.values())
        ]
        local = sorted(
            {
                o.brand
                for c in rates.countries.values()
                for o in c.offers.values()
                if o.product == pid and o.brand and o.brand != p.brand
            }
        )
        rows.append(
            {
                "id": pid,
                "brand": p.brand,
                "generic": p.generic,
                "target": p.target,
                "maker": p.maker,
                "local_brands": local,
                "countries": where,
                "indications": sorted(
                    {
                        i
                        for c in rates.countries.values()
                        for o in c.offers.values()
                        if o.product == pid
                        for i in o.indications
                    }
                ),
                "layer": layers.layer_of(f"products.{pid}"),
            }
        )
    columns = (
        Column("id", "Id", no_wrap=True),
        Column("brand", "Brand"),
        Column("generic", "Generic name"),
        Column("target", "Target", no_wrap=True),
        Column("maker", "Maker", in_table=False),
        Column("local_brands", "Local brands", in_table=False),
        Column("countries", "Offered in"),
        Column("indications", "Indications"),
        _layer_col(layers),
    )
    overlaid = len(layers.names) > 1

    def block(row: dict[str, Cell]) -> list[str]:
        head = f"{row['id']}  {row['brand']} ({row['generic']}) · {row['target']}"
        if row["maker"]:
            head += f" · {row['maker']}"
        lines = [head]
        if row["local_brands"]:
            lines.append(f"also sold as: {_joined(row['local_brands'])}")
        lines.append(f"offered in: {_joined(row['countries'])}")
        lines.append(f"indications: {_joined(row['indications'])}")
        return lines + _layer_line(row, overlaid)

    return Listing("Products", columns, rows, _footer(layers), block)


def indications_listing(rates: Rates, layers: Layers) -> Listing:
    rows: list[dict[str, Cell]] = []
    for code, ind in sorted(rates.indications.items()):
        offers = [
            (cc, o)
            for cc, c in sorted(rates.countries.items())
            for o in c.offers.values()
            if code in o.indications
        ]
        rows.append(
            {
                "code": code,
                "name": ind.name,
                "countries": sorted({cc for cc, _ in offers}),
                "products": sorted({o.product for _, o in offers}),
                "layer": layers.layer_of(f"indications.{code}"),
            }
        )
    columns = (
        Column("code", "Code", no_wrap=True),
        Column("name", "Name"),
        Column("countries", "Offered in"),
        Column("products", "Products"),
        _layer_col(layers),
    )
    overlaid = len(layers.names) > 1

    def block(row: dict[str, Cell]) -> list[str]:
        return [
            f"{row['code']}  {row['name']}",
            f"offered in: {_joined(row['countries'])}",
            f"products: {_joined(row['products'])}",
            *_layer_line(row, overlaid),
        ]

    return Listing("Indications", columns, rows, _footer(layers), block)


def source_uses(rates: Rates) -> dict[str, list[str]]:
    """Source id -> the key paths of the figures (and lists) that cite it."""
    from cartcost.rates import walk_figures

    uses: dict[str, list[str]] = {sid: [] for sid in rates.sources}

    def cite(path: str, ids: Iterable[str]) -> None:
        for sid in ids:
            uses.setdefault(sid, []).append(path)

    for path, fig in walk_figures(rates):
        cite(path, fig.sources)
    cite("fx.rates", rates.fx.sources)
    for ccy, peg in rates.fx.pegs.items():
        cite(f"fx.pegs.{ccy}", peg.sources)
    if rates.fx.moves is not None:
        cite("fx.moves", rates.fx.moves.sources)
    for cc, c in rates.countries.items():
        if c.entry is not None:
            cite(f"countries.{cc}.entry.visa_free_days", c.entry.visa_free_sources)
    return uses


def sources_listing(rates: Rates, layers: Layers, kinds: Sequence[str] = ()) -> Listing:
    uses = source_uses(rates)
    rows: list[dict[str, Cell]] = []
    for sid, s in sorted(rates.sources.items()):
        if kinds and s.kind not in kinds:
            continue
        rows.append(
            {
                "id": sid,
                "kind": s.kind,
                "title": s.title,
                "publisher": s.publisher,
                "url": s.url,
                "published": s.published.isoformat(),
                "accessed": s.accessed.isoformat(),
                "uses": len(uses.get(sid, [])),
                "used_by": uses.get(sid, []),
                "note": s.note,
                "layer": layers.layer_of(f"sources.{sid}"),
                "source": f"{s.title}. {s.publisher}" + (f"\n{s.url}" if s.url else ""),
            }
        )
    columns = (
        Column("id", "Id", no_wrap=True),
        Column("kind", "Kind", no_wrap=True),
        Column("title", "Title", in_table=False),
        Column("publisher", "Publisher", in_table=False),
        Column("url", "URL", in_table=False),
        Column("source", "Source", exported=False),
        Column("published", "Published", no_wrap=True),
        Column("accessed", "Accessed", in_table=False),
        Column("uses", "Uses", justify="right", no_wrap=True),
        Column("used_by", "Used by", in_table=False),
        Column("note", "Note", in_table=False),
        _layer_col(layers),
    )
    overlaid = len(layers.names) > 1

    def block(row: dict[str, Cell]) -> list[str]:
        uses = row["uses"]
        cited = f"cited {uses} time{'s' if uses != 1 else ''}"
        lines = [
            str(row["id"]),
            str(row["title"]),
            f"{row['publisher']} · {row['published']} · {row['kind']} · {cited}",
        ]
        if row["url"]:
            lines.append(str(row["url"]))
        if row["kind"] == "assumption" and row["note"]:
            lines.append(f"basis: {row['note']}")
        return lines + _layer_line(row, overlaid)

    return Listing("Sources", columns, rows, _footer(layers), block)


# ---------------------------------------------------------------- the table, key by key


def number(value: Decimal | int) -> str:
    """An exact number with thousands separators: data is shown as written, not rounded."""
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:,}" if isinstance(value, int) else f"{value:,f}"


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal | int):
        return number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) if value else "(none)"
    return str(value)


def figure_text(fig: Mapping[str, Any]) -> str:
    """'CNY 3,000–8,000 (typical 5,000) [src-a, src-b]' for a figure as written."""
    rng = fig.get("range", [])
    if isinstance(rng, list | tuple) and len(rng) == 2:
        low, high = (_scalar(v) for v in rng)
        text = low if low == high else f"{low}–{high}"
    else:
        text = _scalar(rng)
    if fig.get("currency"):
        text = f"{fig['currency']} {text}"
    if fig.get("typical") is not None:
        text += f" (typical {_scalar(fig['typical'])})"
    text += f" [{_scalar(fig.get('sources', []))}]"
    if fig.get("note"):
        text += f" — {fig['note']}"
    return text


def table_rows(data: Mapping[str, Any], layers: Layers, prefix: str = "") -> list[list[str]]:
    """[key path, value, layer] for every figure and plain value under `data`, which sits
    at `prefix` in the table; key paths are shown relative to it."""
    rows: list[list[str]] = []

    def join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def walk(node: object, rel: str) -> None:
        if isinstance(node, Mapping) and "range" not in node:
            for key, value in node.items():
                walk(value, join(rel, str(key)))
        elif isinstance(node, list) and node and all(isinstance(v, Mapping) for v in node):
            for i, value in enumerate(node):
                walk(value, f"{rel}[{i}]")
        else:
            text = figure_text(node) if isinstance(node, Mapping) else _scalar(node)
            rows.append([rel, text, layers.layer_of(join(prefix, rel) if rel else prefix)])

    walk(data, "")
    return rows


def plain_data(node: object) -> Any:
    """Rate-table data -> JSON-ready values, numbers exact (a float only when its repr
    gives back the same decimal; else the number as a string)."""
    if isinstance(node, Mapping):
        return {str(k): plain_data(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain_data(v) for v in node]
    if isinstance(node, Decimal):
        if node == node.to_integral_value():
            return int(node)
        as_float = float(node)
        return as_float if Decimal(repr(as_float)) == node else str(node)
    if isinstance(node, date):
        return node.isoformat()
    return node


def toml_data(node: object) -> Any:
    """Rate-table data ready for tomli-w: whole Decimals as integers (700, not 700.0)."""
    if isinstance(node, Mapping):
        return {str(k): toml_data(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [toml_data(v) for v in node]
    if isinstance(node, Decimal) and node == node.to_integral_value():
        return int(node)
    return node


# ---------------------------------------------------------------- drawing


def layers_text(names: Sequence[str]) -> str:
    return "Rates: " + " + ".join(names)


def layers_line(names: Sequence[str]) -> RenderableType:
    """The line under an estimate saying which rate tables were layered."""
    from rich.text import Text

    return Text(layers_text(names), style="dim")


def _cell_text(value: Cell) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) if value else "—"
    if value is None:
        return ""
    return str(value)


def listing_blocks(listing: Listing, width: int) -> str:
    """The listing as text for people, `width` columns wide: each row a short block, its
    first line flush left and the rest indented under it. Lines wrap between words only:
    a word longer than the line (a URL) stays whole on a line of its own."""
    import textwrap

    assert listing.block is not None
    width = max(width, 20)
    out = [f"{listing.title} ({len(listing.rows)})", ""]
    for row in listing.rows:
        head, *rest = listing.block(row)
        lead = "  "
        out += _wrap(textwrap, head, width, "", lead)
        for line in rest:
            out += _wrap(textwrap, line, width, lead, lead + "  ")
    out += list(listing.footer)
    return "\n".join(out) + "\n"


def _wrap(textwrap: Any, text: str, width: int, first: str, then: str) -> list[str]:
    lines: list[str] = textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=then,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [first.rstrip()]


def listing_table(listing: Listing) -> RenderableType:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"{listing.title} ({len(listing.rows)})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    shown = [c for c in listing.columns if c.in_table]
    for c in shown:
        table.add_column(
            c.header,
            justify=c.justify,  # type: ignore[arg-type]
            no_wrap=c.no_wrap,
            overflow="fold",
        )
    for row in listing.rows:
        # Text, not str: a title such as "Report [2024]" is not Rich markup.
        table.add_row(*(Text(_cell_text(row.get(c.key))) for c in shown))
    return Group(table, *(Text(line, style="dim") for line in listing.footer))


def _csv_cell(value: Cell) -> str | int:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if value is None:
        return ""
    return value


def listing_csv(listing: Listing) -> str:
    from cartcost.exports.csvjson import csv_text

    columns = [c for c in listing.columns if c.exported]
    return csv_text(
        [c.key for c in columns],
        ([_csv_cell(row.get(c.key)) for c in columns] for row in listing.rows),
    )


def listing_json(listing: Listing) -> str:
    columns = [c for c in listing.columns if c.exported]
    rows = [{c.key: row.get(c.key) for c in columns} for row in listing.rows]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def rates_table(rows: Sequence[Sequence[str]], title: str, names: Sequence[str]) -> RenderableType:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Key", overflow="fold", style="cyan", max_width=44)
    table.add_column("Value", overflow="fold", ratio=1)
    overlaid = len(names) > 1
    if overlaid:
        table.add_column("Layer", overflow="fold", style="dim", max_width=24)
    for key, value, layer in rows:
        table.add_row(Text(key), Text(value), *([Text(layer)] if overlaid else []))
    from rich.padding import Padding

    # Where the table would fold a key or a figure: each key on its own line, its value
    # (and layer) indented under it.
    blocks: list[RenderableType] = []
    for key, value, layer in rows:
        blocks.append(Text(key, style="cyan"))
        blocks.append(Padding(Text(value), (0, 0, 0, 2)))
        if overlaid:
            blocks.append(Padding(Text(f"layer: {layer}", style="dim"), (0, 0, 0, 2)))
    from cartcost.render.fit import TableOrElse

    shown = TableOrElse(table, Group(*blocks))
    return Group(Text(title), shown, Text(layers_text(names), style="dim"))
