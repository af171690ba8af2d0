"""`cartcost rates validate|show|init|path`: make the rate table yours, safely."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cartcost.cli.options import OutputOpt, RatesOpt
from cartcost.cli.output import ForceOpt, guard, say

if TYPE_CHECKING:
    from cartcost.rates import Rates

HELP = """\
Check, show and start rate tables and overlays.

An overlay is a TOML file holding only what it changes: a key in a later layer replaces
the same key below it. Layers, lowest first: the embedded table, the config file's
`rates`, CARTCOST_RATES, a scenario file's `rates`, each --rates.
"""

VALIDATE_EPILOG = """\
Examples:

  cartcost rates validate                    # the table you are using now

  cartcost rates validate my-quote.toml      # an overlay, over the embedded table

  cartcost rates validate a.toml b.toml      # two overlays, b over a

  cartcost rates validate --standalone full-table.toml

Every problem is listed at once as FILE: KEY PATH: what is wrong; exit 0 when valid, 2 not.
"""

SHOW_EPILOG = """\
Examples:

  cartcost rates show --country CN

  cartcost rates show --key fx.rates

  cartcost rates show --country CN --format toml > cn.toml   # a start for an overlay

  cartcost rates show --rates quote.toml --country CN         # which layer wrote what
"""

INIT_EPILOG = """\
Examples:

  cartcost rates init my-quote.toml

  cartcost rates init cn-quote.toml --country CN

  cartcost rates init my-quote.toml --force     # replace an existing file

Then edit it, check it with `cartcost rates validate my-quote.toml`, and use it with
`cartcost estimate --rates my-quote.toml ...`.
"""

PATH_EPILOG = """\
Examples:

  cartcost rates path

The config file (TOML) may hold `rates = ["~/quotes/hospital.toml"]` and a [defaults]
table with from, caregivers and currency. CARTCOST_CONFIG_DIR moves it.
"""


class ShowFormat(StrEnum):
    table = "table"
    json = "json"
    toml = "toml"


GROUP_EPILOG = """\
Examples:

  cartcost rates init quote.toml

  cartcost rates validate quote.toml

  cartcost rates show --country CN --format toml

  cartcost rates path
"""

rates_app = typer.Typer(
    name="rates",
    help=HELP,
    epilog=GROUP_EPILOG,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(rates_app, name="rates")


def _summary(rates: Rates) -> str:
    dest = len(rates.destinations())
    return (
        f"{len(rates.countries)} countries ({dest} destinations), {len(rates.products)} products, "
        f"{len(rates.indications)} indications, {len(rates.sources)} sources, "
        f"{len(rates.fx.rates)} currencies"
    )


@rates_app.command("validate", epilog=VALIDATE_EPILOG)
@guard
def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Overlays to check over the embedded table (default: the table in use).",
            show_default=False,
        ),
    ] = None,
    standalone: Annotated[
        bool,
        typer.Option(
            "--standalone",
            help="The first PATH is a complete table: check it alone, not over the embedded one.",
        ),
    ] = False,
) -> None:
    """Check a rate table or overlay; report every problem at once."""
    from cartcost.cli.output import err
    from cartcost.errors import RatesError, UsageProblem
    from cartcost.ratesfile import (
        check_layers,
        load_layers,
        overlay_paths,
        validate_layers,
    )

    files = list(paths or [])
    if standalone and not files:
        raise UsageProblem("--standalone needs a PATH: the complete table to check")
    if files:
        overlays = files
    else:
        from cartcost.config import load_config

        overlays = overlay_paths(config_paths=load_config().rates)
    try:
        layers = load_layers(overlays, include_default=not standalone)
        problems = check_layers(layers)
    except RatesError as error:
        problems = list(error.problems)
    if problems:
        count = len(problems)
        err(f"cartcost: error: {count} problem{'s' if count != 1 else ''}")
        for problem in problems:
            err(f"  {problem}")
        raise typer.Exit(2)
    rates = validate_layers(layers)
    say(f"ok: {layers.label}")
    say(f"  {_summary(rates)}")


def _select(data: dict[str, Any], key: str) -> Any:
    from cartcost.errors import UsageProblem, suggest
    from cartcost.ratesfile import split_path

    node: Any = data
    done: list[str] = []
    for part in split_path(key):
        if not isinstance(node, dict) or part not in node:
            here = ".".join(done) or "the top level"
            options = [str(k) for k in node] if isinstance(node, dict) else []
            raise UsageProblem(
                f"no key {key!r} in the rate table"
                + (f"; keys under {here}: {', '.join(options)}" if options else ""),
                suggest(part, options),
            )
        node = node[part]
        done.append(part)
    return node


def _wrap(key: str, node: Any) -> dict[str, Any]:
    from cartcost.ratesfile import split_path

    parts = split_path(key)
    if not parts:
        return dict(node)
    out: Any = node
    for part in reversed(parts):
        out = {part: out}
    return dict(out)


@rates_app.command("show", epilog=SHOW_EPILOG)
@guard
def show_command(
    country: Annotated[
        str | None,
        typer.Option("--country", "-c", metavar="CC", help="Only this country's entry."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="KEY.PATH", help="Only this part, e.g. fx.rates."),
    ] = None,
    fmt: Annotated[
        ShowFormat,
        typer.Option("--format", "-F", help="table for people; json or toml for programs."),
    ] = ShowFormat.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
) -> None:
    """Print the merged rate table, or a part of it, with the layer each key came from."""
    from cartcost.cli.output import emit_rich, emit_text
    from cartcost.errors import NothingMatches, UsageProblem
    from cartcost.ratesfile import load_rates

    if country and key:
        raise UsageProblem("give --country or --key, not both")
    table, layers = load_rates(rates or [], with_data=True)
    path = key or ""
    if country:
        from cartcost.estimation import check_country
        from cartcost.idents import check_word

        check_word(country, "country", "CN")
        check_country(table, country)
        path = f"countries.{country.upper()}"
    assert layers.complete  # with_data: the cache does not keep the merged data
    node = _select(layers.data, path)
    if fmt is ShowFormat.json:
        from cartcost.exports.csvjson import dumps
        from cartcost.render.listing import plain_data

        emit_text(dumps(plain_data(_wrap(path, node))), output)
    elif fmt is ShowFormat.toml:
        import tomli_w

        from cartcost.render.listing import toml_data

        emit_text(tomli_w.dumps(toml_data(_wrap(path, node))), output)
    else:
        from cartcost.render.listing import rates_table, table_rows

        if isinstance(node, dict) and "range" not in node:
            rows = table_rows(node, layers, path)
        else:
            rows = table_rows({path: node}, layers)
        title = f"Rate table: {path}" if path else "Rate table"
        if not rows:
            raise NothingMatches(f"{path or 'the rate table'} is empty")
        emit_rich(rates_table(rows, title, layers.names), output)


STARTER_HEADER = """\
# cartcost rate overlay: your own figures over the embedded table.
#
# An overlay holds only what it changes. A key here replaces the same key below it;
# a figure ({{ range, currency, sources }}) is replaced whole, so give all its parts.
# You may add countries, products, offers, sources and FX rates. Every figure names a
# source, and every source you add must be cited by some figure.
#
# Check it:   cartcost rates validate {name}
# Use it:     cartcost estimate -c {cc} -i INDICATION --rates {name} --sources
# Or always:  add it to `rates = [...]` in the config file (cartcost rates path).
# Reference:  docs/rates-schema.md

"""

STARTER_SOURCE = """\
# 1. A source: where your figure comes from (here: a hospital's written quote).
#    kind is one of official, paper, news, facilitator, blog, aggregator, assumption;
#    an assumption may have url = "" but must state its basis in note.
"""

STARTER_FIGURE = """
# 2. Override one figure: the {country} hospital's inpatient day rate, in the currency
#    of the quote. Replace the numbers with the quote's low and high ([low, high]).
#    Embedded value: {was}
"""

STARTER_MORE = """
# 3. More you can do (remove the # to use):
#
# [fx.rates]                 # this year's FX: units per 1 {base}
# {ccy} = {fx_example}
#
# [countries.{cc}.offers.my-offer]   # add an offer (or replace one by its id)
# product = "{product}"   # must be in [products]
# indications = ["{indication}"]   # must be in [indications]
# price = {{ range = [100000, 120000], currency = "{ccy}", sources = ["{sid}"] }}
# manufacturing_days = {{ range = [14, 21], sources = ["{sid}"] }}
"""


def starter_overlay(rates: Rates, country: str, name: str, today: str) -> str:
    """A commented overlay overriding one day rate and adding one source (tomli-w data)."""
    from datetime import date

    import tomli_w

    from cartcost.rates import figure_data
    from cartcost.render.listing import figure_text, toml_data

    c = rates.countries[country]
    assert c.hospital is not None
    from cartcost.choices import default_hospital, pick

    kind, day = pick(c.hospital.inpatient_day, default_hospital(c))[0]
    sid = "my-hospital-quote"
    when = date.fromisoformat(today)
    source = {
        "sources": {
            sid: {
                "title": f"Written quote for CAR-T inpatient care in {c.name}",
                "publisher": "Name of the hospital",
                "url": "https://example.org/replace-with-the-hospital-or-quote-page",
                "published": when,
                "accessed": when,
                "kind": "facilitator",
                "note": "Quote dated ...; what it includes: ward, nursing, monitoring.",
            }
        }
    }
    quote = {
        "range": list(day.range),
        "currency": day.currency,
        "sources": [sid],
        "note": "per inpatient day, from the hospital's quote",
    }
    figure = {
        "countries": {country: {"hospital": {"inpatient_day": ({kind: quote} if kind else quote)}}}
    }
    offer = next(iter(c.offers.values()))
    was = figure_text(figure_data(day))
    return (
        STARTER_HEADER.format(name=name, cc=country)
        + STARTER_SOURCE
        + tomli_w.dumps(toml_data(source))
        + STARTER_FIGURE.format(country=c.name, was=was)
        + tomli_w.dumps(toml_data(figure))
        + STARTER_MORE.format(
            base=rates.fx.base,
            ccy=c.currency,
            fx_example=rates.fx.rates.get(c.currency, 1),
            cc=country,
            product=offer.product,
            indication=offer.indications[0],
            sid=sid,
        )
    )


@rates_app.command("init", epilog=INIT_EPILOG)
@guard
def init_command(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Where to write the overlay.", dir_okay=False)
    ],
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            metavar="CC",
            help="The destination whose day rate to override; default: the first.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
    rates: RatesOpt = None,
) -> None:
    """Write a commented starter overlay: one hospital day rate and one source."""
    import os
    from datetime import date

    from cartcost.cli.output import atomic_write, err
    from cartcost.errors import NothingMatches, UsageProblem
    from cartcost.ratesfile import load_rates
    from cartcost.safeio import shown

    if os.path.lexists(path) and not force:
        raise UsageProblem(f"{shown(path)} exists; pass --force to overwrite it")
    table, _ = load_rates(rates or [])
    if country:
        from cartcost.estimation import check_country
        from cartcost.idents import check_word

        check_word(country, "country", "CN")
        check_country(table, country)
        cc = country.upper()
        if not table.countries[cc].is_destination:
            raise NothingMatches(
                f"{cc} has no hospital figures to override (an origin only)",
                f"destinations: {', '.join(table.destinations())}",
            )
    else:
        if not table.destinations():
            raise NothingMatches("the rate table has no destination to override")
        cc = table.destinations()[0]
    text = starter_overlay(table, cc, shown(path.name), date.today().isoformat())
    # Created exclusively: a file that appeared since the check above is never replaced.
    atomic_write(path, text, option="PATH", exclusive=not force, force=force)
    err(f"cartcost: wrote {shown(path)}")
    err(f"  edit it, then check it: cartcost rates validate {shown(path)}")


@rates_app.command("path", epilog=PATH_EPILOG)
@guard
def path_command() -> None:
    """Print where the embedded table and the config file live, and the overlays in use."""
    import os

    from cartcost.config import config_path, load_config
    from cartcost.errors import CartcostError
    from cartcost.ratesfile import BASE_ENV_VAR, ENV_VAR, embedded_path, env_overlays

    base = embedded_path()
    note = f" (from {BASE_ENV_VAR})" if os.environ.get(BASE_ENV_VAR) else ""
    say(f"embedded table:  {base}{note}")
    try:
        cfg = load_config()
    except CartcostError:
        # Where the broken file is, is exactly what its owner needs to know.
        say(f"config file:     {config_path()} (has problems: any command lists them)")
    else:
        say(f"config file:     {cfg.path}{'' if cfg.exists else ' (not found)'}")
        for p in cfg.rates:
            say(f"config overlay:  {p}")
    for p in env_overlays():
        say(f"{ENV_VAR}:  {p}")
    from cartcost.cache import DIR_ENV_VAR, cache_dir

    found = cache_dir()
    say(
        f"table cache:     {found}"
        if found is not None
        else f"table cache:     none (no home directory; {DIR_ENV_VAR} sets one)"
    )
