"""The root Typer app: global options and the registry of commands."""

from __future__ import annotations

from typing import Annotated

import typer

HELP = """\
What CAR-T cell therapy really costs, all in: product, hospital, living, travel, visas.

Every figure has a source and a date; cartcost works offline.

  cartcost estimate --country CN --indication MM --from NZ

  cartcost estimate -c US -i LBCL --format csv --output us.csv
"""

app = typer.Typer(
    name="cartcost",
    help=HELP,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Tracebacks with locals could print a family's scenario or a user's paths.
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from cartcost import __version__

        typer.echo(f"cartcost {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """What CAR-T cell therapy really costs, all in."""


def _register() -> None:
    # Each module adds its own commands; the order here is the order in --help.
    from cartcost.cli import (
        batch_cmd,
        compare_cmd,
        estimate_cmd,
        lists_cmd,
        rates_cmd,
        scenario_cmd,
        sources_cmd,
    )

    for module in (
        estimate_cmd,
        compare_cmd,
        sources_cmd,
        lists_cmd,
        rates_cmd,
        scenario_cmd,
        batch_cmd,
    ):
        module.register(app)


_register()


def main() -> None:
    app()
