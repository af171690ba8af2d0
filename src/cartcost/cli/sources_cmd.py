"""`cartcost sources`: the bibliography behind every figure."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from cartcost.cli.options import BomOpt, FormatOpt, OutputOpt, RatesOpt
from cartcost.cli.output import ForceOpt, guard, pick_format

EPILOG = """\
Examples:

  cartcost sources

  cartcost sources --kind official --kind paper

  cartcost sources --format csv -o sources.csv

  cartcost sources --format json     # with the key path of every figure citing each

Uses counts the figures (and FX/visa lists) that cite a source; csv and json list their
key paths in used_by. `cartcost estimate --sources` shows the sources of one estimate.
"""


class Kind(StrEnum):
    official = "official"
    paper = "paper"
    news = "news"
    facilitator = "facilitator"
    blog = "blog"
    aggregator = "aggregator"
    assumption = "assumption"


def register(app: typer.Typer) -> None:
    app.command("sources", epilog=EPILOG)(sources_command)


@guard
def sources_command(
    kind: Annotated[
        list[Kind] | None,
        typer.Option("--kind", "-k", help="Only sources of this kind (repeatable)."),
    ] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
    bom: BomOpt = False,
) -> None:
    """List the sources: id, title, publisher, url, dates, kind and which figures use them."""
    fmt = pick_format(fmt, output, bom)
    from cartcost.cli.lists_cmd import emit_listing
    from cartcost.errors import NothingMatches
    from cartcost.ratesfile import load_rates
    from cartcost.render.listing import sources_listing

    table, layers = load_rates(rates or [])
    kinds = [k.value for k in kind or []]
    listing = sources_listing(table, layers, kinds)
    if not listing.rows:
        present = sorted({s.kind for s in table.sources.values()})
        raise NothingMatches(
            f"no source of kind {', '.join(kinds)} in the rate table",
            f"kinds present: {', '.join(present)}",
        )
    emit_listing(listing, fmt, output)
