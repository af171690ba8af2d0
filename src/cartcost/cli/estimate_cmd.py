"""`cartcost estimate`: one country, itemised."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cartcost.cli import complete
from cartcost.cli.draws_cmd import DrawsOutOpt, check_draws_out
from cartcost.cli.options import (
    AgeOpt,
    BomOpt,
    BudgetOpt,
    CityOpt,
    CoverOpt,
    CurrencyOpt,
    DrawsOpt,
    DriversOpt,
    Format,
    FromOpt,
    HospitalOpt,
    IncomeOpt,
    IndicationOpt,
    LivingOpt,
    MaybeCaregiversOpt,
    MaybeLivesNearbyOpt,
    OutputOpt,
    PathwayOptT,
    PerspectiveOpt,
    ProductOpt,
    RatesOpt,
    ReimbursementOpt,
    ScenarioOpt,
    SeedOpt,
    SourcesOpt,
    TransferOpt,
)
from cartcost.cli.output import ForceOpt, emit_rich, emit_text, guard
from cartcost.cli.report_opts import (
    PreparedByOpt,
    ReportFormat,
    ReportFormatOpt,
    TimelineOpt,
    check_prepared_by,
    pick_report_format,
    plain_format,
)

if TYPE_CHECKING:
    from cartcost.budget import BudgetRequest
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates
    from cartcost.ratesfile import Layers

TornadoSvgOpt = Annotated[
    Path | None,
    typer.Option(
        "--svg",
        metavar="PATH",
        help="With --drivers: also write the tornado chart of what drives the budget's "
        "spread, as an SVG picture (or -o PATH.svg for the picture alone).",
        dir_okay=False,
    ),
]

EPILOG = """\
Examples:

  cartcost estimate --country CN --indication MM

  cartcost estimate -c CN -i LBCL --from NZ --caregivers 2 --currency NZD

  cartcost estimate -c CN -i MM --from NZ --hospital public --living budget --city Beijing

  cartcost estimate -c US -i B-ALL --age 40

  cartcost estimate -c US -i MM -p cilta-cel --format json -o us-mm.json

  cartcost estimate -c GB -i LBCL --from DE --sources

  cartcost estimate --scenario family.toml --caregivers 1

  cartcost estimate -c CN -i MM --rates hospital-quote.toml --sources

  cartcost estimate -c CN -i MM --from NZ --budget --drivers
  cartcost estimate -c CN -i MM --from NZ --drivers -o drivers.svg

  cartcost estimate -c US -i LBCL --budget --draws 1000000 --seed 7 -F csv

  cartcost estimate -c CN -i MM --from NZ --timeline

  cartcost estimate -c CN -i MM --from NZ -F html --prepared-by "Ana Ruiz" -o quote.html

  cartcost estimate -c CN -i MM --from NZ --budget --draws-out draws.csv

Options given here override a --scenario file, which overrides the config file's
[defaults] (`cartcost rates path` shows where it is).

Under the table: the likely total (P50) and what to have to be 90% sure (P90), from 400
simulated journeys (seed 2026). --budget simulates 100,000 by default and adds P10, P50,
P90 and the mean to every line and the total.

--hospital, --living, --city and --transfer are the family's choices, not uncertainty:
each picks its own figures; `any` shows the span over every choice.
"""


def register(app: typer.Typer) -> None:
    app.command("estimate", epilog=EPILOG)(estimate_command)


@guard
def estimate_command(
    country: str | None = typer.Option(
        None,
        "--country",
        "-c",
        metavar="CC",
        help="Destination country (ISO code, e.g. CN, or a name).",
        show_default=False,
        autocompletion=complete.destinations,
    ),
    indication: IndicationOpt = None,
    product: ProductOpt = None,
    origin: FromOpt = None,
    caregivers: MaybeCaregiversOpt = None,
    currency: CurrencyOpt = None,
    lives_nearby: MaybeLivesNearbyOpt = None,
    pathway: PathwayOptT = None,
    hospital: HospitalOpt = None,
    living: LivingOpt = None,
    city: CityOpt = None,
    transfer: TransferOpt = None,
    age: AgeOpt = None,
    cover: CoverOpt = None,
    perspective: PerspectiveOpt = None,
    reimbursement: ReimbursementOpt = None,
    income: IncomeOpt = None,
    sources: SourcesOpt = False,
    report_fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rates: RatesOpt = None,
    scenario_file: ScenarioOpt = None,
    budget: BudgetOpt = False,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    drivers: DriversOpt = False,
    bom: BomOpt = False,
    timeline: TimelineOpt = False,
    prepared_by: PreparedByOpt = None,
    draws_out: DrawsOutOpt = None,
    svg: TornadoSvgOpt = None,
) -> None:
    """Itemised low/high cost of CAR-T in one country, from consultation to flying home."""
    if not drivers and output is not None and output.lower().endswith(".svg"):
        from cartcost.errors import UsageProblem

        raise UsageProblem(
            f"--output {output}: the estimate's picture is the tornado chart of the budget's "
            "drivers; use .txt, .csv, .json or .html for the estimate itself",
            "add --drivers for the chart",
        )
    report_fmt = pick_report_format(report_fmt, output, bom, svg=drivers)
    prepared_by = check_prepared_by(prepared_by, report_fmt)
    svg, output, picture_only = _picture(svg, output, drivers, report_fmt, timeline)
    want = None
    if budget or drivers or draws is not None or seed is not None:
        # NumPy and the simulation load only when a budget is asked for.
        from cartcost.budget import budget_request

        want = budget_request(budget, draws, seed, drivers)  # checked before any work
    check_draws_out(draws_out, want, ("--output", output or "-"), ("--svg", svg))

    from cartcost.cli.scenario_opts import say_read_as, scenario_from_options
    from cartcost.estimation import estimate as run_estimate
    from cartcost.ratesfile import load_rates

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
        hospital=hospital,
        living=living,
        city=city,
        age=age,
        cover=cover,
        perspective=perspective,
        reimbursement=reimbursement,
        income=income,
        transfer=transfer,
    )
    table, layers = load_rates(overlays=overlays)
    say_read_as(table, scenario)
    est = run_estimate(table, scenario)
    if report_fmt is ReportFormat.html or timeline:
        from cartcost.cli.report import emit_estimate_report

        emit_estimate_report(
            table, est, want, report_fmt, output, prepared_by, layers.names, sources
        )
        return
    fmt = plain_format(report_fmt)
    if fmt is Format.csv:
        from cartcost.cli.output import err

        for note in est.notes:
            err(f"cartcost: note: {note}")
    if want is not None:
        _emit_budget(table, est, want, fmt, output, sources, layers, draws_out, svg, picture_only)
        return
    if fmt is Format.json:
        from cartcost.cli.runmeta import run_meta
        from cartcost.exports.csvjson import dumps, estimate_json_obj
        from cartcost.metadata import likely_run

        draws, seed = likely_run(est)
        meta = run_meta(table, layers, draws, seed)
        emit_text(dumps({"meta": meta, **estimate_json_obj(est, layers.names)}), output)
    elif fmt is Format.csv:
        from cartcost.exports.csvjson import estimate_csv

        emit_text(estimate_csv(est), output)
    else:
        from cartcost.render.table import estimate_table

        # Which layer a figure came from matters only when overlays are in play, and only
        # for the figures an overlay wrote: the rest come from the table at the bottom.
        overlaid = len(layers.names) > 1
        layer_of = (
            {
                p: layers.layer_of(p)
                for i in est.items
                for p in i.figure_paths
                if layers.layer_of(p) != layers.names[0]
            }
            if overlaid
            else None
        )
        view = estimate_table(est, sources, table.sources, layer_of)
        if overlaid:
            # Imported only here: the listings module costs a few ms at start-up.
            from rich.console import Group

            from cartcost.render.listing import layers_line

            view = Group(view, layers_line(layers.names))
        emit_rich(view, output)


def _emit_budget(
    table: Rates,
    est: Estimate,
    want: BudgetRequest,
    fmt: Format,
    output: str | None,
    sources: bool,
    stack: Layers,
    draws_out: str | None = None,
    svg: Path | None = None,
    picture_only: bool = False,
) -> None:
    """The estimate with its budget (--budget), in the format asked for, and the tornado
    chart of its drivers when --svg names a file."""
    from cartcost.budget import simulate
    from cartcost.cli.output import to_stdout

    layers = stack.names
    from cartcost.cli.draws_cmd import draws_sinks

    with draws_sinks(draws_out, table, [(est, None)]) as sink_for:
        plan = simulate(table, est, want.draws, want.seed, want.drivers, sink_for(0))
    if svg is not None:
        from cartcost.cli.output import atomic_write, err
        from cartcost.render.tornado import tornado_svg

        atomic_write(svg, tornado_svg(plan), option="--svg")
        err(f"cartcost: wrote {svg}")
        if picture_only:
            return
    if fmt is Format.json:
        from cartcost.cli.runmeta import run_meta
        from cartcost.exports.budget import estimate_budget_json_obj
        from cartcost.exports.csvjson import dumps

        meta = run_meta(table, stack, want.draws, want.seed)
        emit_text(dumps({"meta": meta, **estimate_budget_json_obj(plan, layers)}), output)
    elif fmt is Format.csv:
        from cartcost.exports.budget import estimate_budget_csv

        emit_text(estimate_budget_csv(plan), output)
    else:
        from rich.console import Group

        from cartcost.render.budget_view import budget_view
        from cartcost.render.listing import layers_line
        from cartcost.render.table import make_console

        width = None if to_stdout(output) else 100
        view = budget_view(plan, make_console(width=width), width, sources, table.sources)
        emit_rich(Group(view, layers_line(layers)) if len(layers) > 1 else view, output, width)


def _picture(
    svg: Path | None,
    output: str | None,
    drivers: bool,
    report_fmt: ReportFormat,
    timeline: bool,
) -> tuple[Path | None, str | None, bool]:
    """--svg checked, and `-o chart.svg` taken as the picture alone: (svg, output,
    whether the picture is the only output)."""
    from cartcost.cli.output import check_outputs, output_extension
    from cartcost.errors import UsageProblem

    picture_only = False
    if output_extension(output) == ".svg":
        if svg is not None:
            raise UsageProblem(f"--svg {svg} and --output {output}: give the picture one name")
        svg, output, picture_only = Path(str(output)), None, True
    if svg is None:
        return None, output, False
    if not drivers:
        raise UsageProblem(
            f"--svg {svg}: the picture is the tornado chart of the budget's drivers",
            "add --drivers",
        )
    if report_fmt is ReportFormat.html or timeline:
        raise UsageProblem(
            f"--svg {svg}: the HTML report and --timeline draw their own pictures; the "
            "tornado chart goes with the table, CSV or JSON output"
        )
    if not (svg.parent if str(svg.parent) else Path(".")).is_dir():
        raise UsageProblem(f"--svg {svg}: directory {svg.parent} does not exist")
    check_outputs(("--output", output or "-"), ("--svg", svg))
    return svg, output, picture_only
