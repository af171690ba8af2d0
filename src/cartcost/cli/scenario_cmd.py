"""`cartcost scenario init`: save a case as a scenario file, to re-run it later."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cartcost.cli.options import (
    CoverOpt,
    CurrencyOpt,
    FromOpt,
    IncomeOpt,
    IndicationOpt,
    MaybeCaregiversOpt,
    MaybeLivesNearbyOpt,
    PathwayOptT,
    PerspectiveOpt,
    ProductOpt,
    RatesOpt,
    ReimbursementOpt,
    ScenarioOpt,
)
from cartcost.cli.output import guard

HELP = """\
Save a case (who travels where for what) as a scenario file, to re-run it later.
"""

INIT_EPILOG = """\
Examples:

  cartcost scenario init family.toml -c CN -i MM --from NZ --caregivers 2 --currency NZD

  cartcost scenario init quote.toml -c CN -i MM --from NZ --rates hospital-quote.toml

  cartcost scenario init next.toml --scenario family.toml --caregivers 1

Then: cartcost estimate --scenario family.toml (options given there override the file),
or cartcost compare --scenario family.toml. The file is TOML: edit it freely. Values not
given come from the config file's [defaults]; --rates paths are stored relative to the
scenario file. Codes are checked against the rate table before anything is written.
"""

GROUP_EPILOG = """\
Examples:

  cartcost scenario init family.toml -c CN -i MM --from NZ --caregivers 2

  cartcost estimate --scenario family.toml
"""

scenario_app = typer.Typer(
    name="scenario",
    help=HELP,
    epilog=GROUP_EPILOG,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")


@scenario_app.command("init", epilog=INIT_EPILOG)
@guard
def init_command(
    path: Annotated[
        Path,
        typer.Argument(metavar="PATH", help="Where to write the scenario file.", dir_okay=False),
    ],
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            metavar="CC",
            help="Destination country (ISO code, e.g. CN); may be left out for compare.",
            show_default=False,
        ),
    ] = None,
    indication: IndicationOpt = None,
    product: ProductOpt = None,
    origin: FromOpt = None,
    caregivers: MaybeCaregiversOpt = None,
    currency: CurrencyOpt = None,
    lives_nearby: MaybeLivesNearbyOpt = None,
    pathway: PathwayOptT = None,
    cover: CoverOpt = None,
    perspective: PerspectiveOpt = None,
    reimbursement: ReimbursementOpt = None,
    income: IncomeOpt = None,
    rates: RatesOpt = None,
    scenario_file: ScenarioOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Write a scenario file from the options `cartcost estimate` takes."""
    import os

    from cartcost.cli.output import atomic_write, err
    from cartcost.cli.scenario_opts import scenario_from_options
    from cartcost.errors import UsageProblem
    from cartcost.estimation import resolve
    from cartcost.ratesfile import load_rates
    from cartcost.safeio import shown
    from cartcost.scenario import read_scenario, relative_to_file, scenario_toml

    if os.path.lexists(path) and not force:
        raise UsageProblem(f"{shown(path)} exists; pass --force to overwrite it")
    scenario, overlays = scenario_from_options(
        scenario_file=scenario_file,
        rates=rates,
        country=country,
        indication=indication,
        product=product,
        origin=origin,
        caregivers=caregivers,
        currency=currency,
        lives_nearby=lives_nearby,
        pathway=pathway,
        cover=cover,
        perspective=perspective,
        reimbursement=reimbursement,
        income=income,
        need_country=False,
    )
    table, _ = load_rates(overlays=overlays)
    # Check every code now, so the saved case runs later; keep the user's choices
    # (normalised), not derived values such as the origin's currency.
    checked = resolve(
        table, scenario._replace(country=scenario.country or next(iter(table.countries)))
    )
    saved = scenario._replace(
        country=checked.country if scenario.country else "",
        indication=checked.indication,
        products=checked.products,
        origin=checked.origin,
        currency=checked.currency if scenario.currency else None,
    )
    # The scenario file's own overlays and --rates travel with it; config and
    # CARTCOST_RATES overlays stay where they are.
    carried = [*(read_scenario(scenario_file).rates if scenario_file else ()), *(rates or [])]
    text = scenario_toml(saved, [relative_to_file(p, path) for p in carried], name=shown(path.name))
    # Created exclusively: a file that appeared since the check above is never replaced.
    atomic_write(path, text, option="PATH", exclusive=not force, force=force)
    err(f"cartcost: wrote {shown(path)}")
    err(f"  run it: cartcost estimate --scenario {shown(path)}")
