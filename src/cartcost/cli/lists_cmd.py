"""`cartcost countries`, `cartcost products`, `cartcost indications`: what the merged
rate table holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cartcost.cli.options import BomOpt, Format, FormatOpt, OutputOpt, RatesOpt
from cartcost.cli.output import ForceOpt, emit_rich, emit_text, guard, output_width, pick_format

if TYPE_CHECKING:
    from cartcost.render.listing import Listing

COUNTRIES_EPILOG = """\
Examples:

  cartcost countries

  cartcost countries --destinations --format csv

  cartcost countries --rates my-countries.toml --format json

A destination has CAR-T offers and costs; other countries are origins only (flights,
visas, currency).
"""

PRODUCTS_EPILOG = """\
Examples:

  cartcost products

  cartcost products --format json -o products.json
"""

INDICATIONS_EPILOG = """\
Examples:

  cartcost indications

  cartcost indications --format csv
"""


def register(app: typer.Typer) -> None:
    app.command("countries", epilog=COUNTRIES_EPILOG)(countries_command)
    app.command("products", epilog=PRODUCTS_EPILOG)(products_command)
    app.command("indications", epilog=INDICATIONS_EPILOG)(indications_command)


def emit_listing(listing: Listing, fmt: Format, output: str | None) -> None:
    """A listing in the asked format, to stdout or --output."""
    from cartcost.render import listing as render

    if fmt is Format.json:
        emit_text(render.listing_json(listing), output)
    elif fmt is Format.csv:
        emit_text(render.listing_csv(listing), output)
    elif listing.block is not None:
        emit_text(render.listing_blocks(listing, output_width(output)), output)
    else:
        emit_rich(render.listing_table(listing), output)


@guard
def countries_command(
    destinations: Annotated[
        bool,
        typer.Option("--destinations", help="Only countries with CAR-T offers and costs."),
    ] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
    bom: BomOpt = False,
) -> None:
    """List the countries in the rate table: code, name, currency, region, offers."""
    fmt = pick_format(fmt, output, bom)
    from cartcost.ratesfile import load_rates
    from cartcost.render.listing import countries_listing

    table, layers = load_rates(rates or [])
    emit_listing(countries_listing(table, layers, destinations), fmt, output)


@guard
def products_command(
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
    bom: BomOpt = False,
) -> None:
    """List the CAR-T products in the rate table and where each is offered."""
    fmt = pick_format(fmt, output, bom)
    from cartcost.ratesfile import load_rates
    from cartcost.render.listing import products_listing

    table, layers = load_rates(rates or [])
    emit_listing(products_listing(table, layers), fmt, output)


@guard
def indications_command(
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
    bom: BomOpt = False,
) -> None:
    """List the indications (diseases) in the rate table and where each is treated."""
    fmt = pick_format(fmt, output, bom)
    from cartcost.ratesfile import load_rates
    from cartcost.render.listing import indications_listing

    table, layers = load_rates(rates or [])
    emit_listing(indications_listing(table, layers), fmt, output)
