"""`cartcost compare`: where, how much, how long — countries (or products) side by side."""

from __future__ import annotations

from enum import StrEnum
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
    TransferOpt,
    split_list,
)
from cartcost.cli.output import (
    ForceOpt,
    emit_rich,
    emit_text,
    guard,
    output_extension,
)
from cartcost.cli.report_opts import (
    PreparedByOpt,
    ReportFormat,
    ReportFormatOpt,
    check_prepared_by,
    pick_report_format,
    plain_format,
)

if TYPE_CHECKING:
    from cartcost.budget import Budget, BudgetRequest
    from cartcost.comparison import Comparison
    from cartcost.rates import Rates
    from cartcost.ratesfile import Layers
    from cartcost.scenario import Scenario

EPILOG = """\
Examples:

  cartcost compare --indication MM --from NZ

  cartcost compare -i LBCL --countries CN,US,GB --from NZ --caregivers 2

  cartcost compare -i MM --sort days --currency USD

  cartcost compare -i LBCL --by product --countries CN

  cartcost compare -i MM --from NZ --budget --drivers

  cartcost compare -i MM --from NZ --format csv -o mm.csv --svg mm.svg

  cartcost compare -i LBCL --from NZ -c CN,US,SG -F html --prepared-by "Ana Ruiz" -o lbcl.html

Each row is `cartcost estimate` for that country; rows show the low end above the high
end. Saving vs home = home total - row total (+ = cheaper than home).
"""


class By(StrEnum):
    country = "country"
    product = "product"


class Sort(StrEnum):
    low = "low"
    high = "high"
    mid = "mid"
    days = "days"


CountriesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--countries",
        "-c",
        metavar="CC,CC",
        help="Countries to compare (comma-separated or repeated); default: every country "
        "offering the indication.",
        show_default=False,
        autocompletion=complete.destination_list,
    ),
]
ByOpt = Annotated[
    By, typer.Option("--by", help="One row per country, or per product in each country.")
]
SortOpt = Annotated[
    Sort,
    typer.Option(
        "--sort",
        help="Order by total low end, high end, midpoint, or days to infusion.",
    ),
]
SvgOpt = Annotated[
    Path | None,
    typer.Option(
        "--svg",
        metavar="PATH",
        help="Also write the comparison table as an SVG picture (120 columns wide).",
        dir_okay=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("compare", epilog=EPILOG)(compare_command)


def question(
    indication: str | None,
    countries: list[str] | None,
    product: list[str] | None,
    origin: str | None,
    caregivers: int | None,
    currency: str | None,
    lives_nearby: bool | None,
    pathway: list[str] | None,
    scenario_file: Path | None = None,
    rates: list[Path] | None = None,
    hospital: str | None = None,
    living: str | None = None,
    city: str | None = None,
    age: int | None = None,
    cover: str | None = None,
    perspective: str | None = None,
    reimbursement: str | None = None,
    income: float | None = None,
    transfer: str | None = None,
) -> tuple[Scenario, tuple[str, ...] | None, list[Path]]:
    """Options -> (base scenario, countries or None, overlays). The one place compare's
    options become a question: command line > scenario file > config [defaults]."""
    from cartcost.cli.scenario_opts import scenario_from_options
    from cartcost.errors import UsageProblem
    from cartcost.idents import check_word

    listed = split_list(countries) if countries is not None else None
    if countries is not None and not listed:
        raise UsageProblem("--countries is empty; name at least one country, e.g. CN,US")
    for code in listed or ():
        check_word(code, "country", "CN")
    scenario, overlays = scenario_from_options(
        scenario_file=scenario_file,
        rates=rates,
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
        need_country=False,
    )
    # A scenario file's destination is one country; compare asks about many, so it is
    # dropped unless --countries names it.
    return scenario._replace(country=""), listed, overlays


@guard
def compare_command(
    indication: IndicationOpt = None,
    countries: CountriesOpt = None,
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
    by: ByOpt = By.country,
    sort: SortOpt = Sort.low,
    report_fmt: ReportFormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    svg: SvgOpt = None,
    rates: RatesOpt = None,
    scenario_file: ScenarioOpt = None,
    budget: BudgetOpt = False,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    drivers: DriversOpt = False,
    bom: BomOpt = False,
    prepared_by: PreparedByOpt = None,
    draws_out: DrawsOutOpt = None,
) -> None:
    """Compare the all-in cost and time of CAR-T across countries, on one screen."""
    report_fmt = pick_report_format(report_fmt, output, bom, svg=True)
    prepared_by = check_prepared_by(prepared_by, report_fmt)
    if output_extension(output) == ".svg":  # -o cmp.svg: the picture, and only it
        from cartcost.errors import UsageProblem

        if svg is not None:
            raise UsageProblem(f"--svg {svg} and --output {output}: give the picture one name")
        svg, output = Path(str(output)), None
        picture_only = True
    else:
        picture_only = False
    want = None
    if budget or drivers or draws is not None or seed is not None:
        # NumPy and the simulation load only when a budget is asked for.
        from cartcost.budget import budget_request

        want = budget_request(budget, draws, seed, drivers)  # checked before any work
    check_draws_out(draws_out, want, ("--output", output or "-"), ("--svg", svg))
    scenario, listed, overlays = question(
        indication,
        countries,
        product,
        origin,
        caregivers,
        currency,
        lives_nearby,
        [p.value for p in pathway or []],
        scenario_file,
        rates,
        hospital,
        living,
        city,
        age,
        cover,
        perspective,
        reimbursement,
        income,
        transfer,
    )

    from cartcost.cli.output import atomic_write, check_outputs, err, to_stdout
    from cartcost.comparison import compare
    from cartcost.errors import UsageProblem

    if svg is not None and not (svg.parent if str(svg.parent) else Path(".")).is_dir():
        raise UsageProblem(f"--svg {svg}: directory {svg.parent} does not exist")
    check_outputs(("--output", output or "-"), ("--svg", svg))
    from cartcost.ratesfile import load_rates

    table, layers = load_rates(overlays=overlays)
    from cartcost.aliases import resolve_countries
    from cartcost.cli.scenario_opts import say_read_as

    typed = listed or ()
    if listed is not None:
        listed = resolve_countries(table, listed)  # 'UK' is GB; every unknown named at once
    say_read_as(table, scenario, typed)
    cmp = compare(table, scenario, listed, by=by.value, sort=sort.value)

    budgets = None
    fmt = None if report_fmt is ReportFormat.html else plain_format(report_fmt)
    if fmt is None:
        from cartcost.cli.report import emit_compare_report

        emit_compare_report(table, cmp, want, output, prepared_by, layers.names)
    elif want is not None:
        budgets = _emit_budget(table, cmp, want, fmt, output, layers, not picture_only, draws_out)
    elif picture_only:
        pass
    elif fmt is Format.json:
        from cartcost.cli.runmeta import run_meta
        from cartcost.exports.compare import compare_json_obj
        from cartcost.exports.csvjson import dumps
        from cartcost.metadata import likely_run

        runs = [likely_run(r.estimate) for r in cmp.rows]
        meta = run_meta(table, layers, *next((r for r in runs if r[0]), (None, None)))
        emit_text(dumps({"meta": meta, **compare_json_obj(cmp, layers.names)}), output)
    elif fmt is Format.csv:
        from cartcost.exports.compare import compare_csv

        emit_text(compare_csv(cmp), output)
        for s in cmp.skipped:
            err(f"cartcost: skipped {s.country}: {s.reason}")
    else:
        from cartcost.render.compare_view import compare_view
        from cartcost.render.table import make_console

        console = make_console() if to_stdout(output) else make_console(width=100)
        emit_rich(compare_view(cmp, console), output, None if to_stdout(output) else 100)
    if svg is not None:
        if budgets is not None:  # the picture is of the table --budget draws
            from cartcost.render.budget_view import compare_budget_svg

            picture = compare_budget_svg(cmp, budgets)
        else:
            from cartcost.render.compare_view import compare_svg

            picture = compare_svg(cmp)
        atomic_write(svg, picture, option="--svg")
        err(f"cartcost: wrote {svg}")


def _emit_budget(
    table: Rates,
    cmp: Comparison,
    want: BudgetRequest,
    fmt: Format,
    output: str | None,
    stack: Layers,
    emit: bool = True,
    draws_out: str | None = None,
) -> list[Budget]:
    """Each row's budget (--budget): the same draws and seed for every row; written in
    the format asked for unless emit is False (only a picture was asked for)."""
    from cartcost.budget import simulate
    from cartcost.cli.draws_cmd import draws_sinks
    from cartcost.cli.output import err, to_stdout

    rows = [(row.estimate, row.product) for row in cmp.rows]
    with draws_sinks(draws_out, table, rows) as sink_for:
        budgets = [
            simulate(table, row.estimate, want.draws, want.seed, want.drivers, sink_for(i))
            for i, row in enumerate(cmp.rows)
        ]
    if not emit:
        return budgets
    if fmt is Format.json:
        from cartcost.cli.runmeta import run_meta
        from cartcost.exports.budget import compare_budget_json_obj
        from cartcost.exports.csvjson import dumps

        meta = run_meta(table, stack, want.draws, want.seed)
        obj = compare_budget_json_obj(cmp, budgets, stack.names)
        emit_text(dumps({"meta": meta, **obj}), output)
    elif fmt is Format.csv:
        from cartcost.exports.budget import compare_budget_csv

        emit_text(compare_budget_csv(cmp, budgets), output)
        for s in cmp.skipped:
            err(f"cartcost: skipped {s.country}: {s.reason}")
    else:
        from cartcost.render.budget_view import compare_budget_view
        from cartcost.render.table import make_console

        width = None if to_stdout(output) else 100
        console = make_console(width=width)
        emit_rich(compare_budget_view(cmp, budgets, console, width), output, width)
    return budgets
