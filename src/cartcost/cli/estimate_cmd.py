"""`cartcost estimate`: one country, itemised."""

from __future__ import annotations

import typer

from cartcost.cli.options import (
    CaregiversOpt,
    CurrencyOpt,
    Format,
    FormatOpt,
    FromOpt,
    IndicationOpt,
    LivesNearbyOpt,
    OutputOpt,
    PathwayOptT,
    ProductOpt,
    RatesOpt,
    SourcesOpt,
    split_list,
)
from cartcost.cli.output import emit_rich, emit_text, guard

EPILOG = """\
Examples:

  cartcost estimate --country CN --indication MM

  cartcost estimate -c CN -i LBCL --from NZ --caregivers 2 --currency NZD

  cartcost estimate -c US -i MM -p cilta-cel --format json -o us-mm.json

  cartcost estimate -c GB -i LBCL --from DE --sources
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
        help="Destination country (ISO code, e.g. CN).",
        show_default=False,
    ),
    indication: IndicationOpt = None,
    product: ProductOpt = None,
    origin: FromOpt = None,
    caregivers: CaregiversOpt = 1,
    currency: CurrencyOpt = None,
    lives_nearby: LivesNearbyOpt = False,
    pathway: PathwayOptT = None,
    sources: SourcesOpt = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    rates: RatesOpt = None,
) -> None:
    """Itemised low/high cost of CAR-T in one country, from consultation to flying home."""
    from cartcost.errors import UsageProblem

    if not country:
        raise UsageProblem("missing option --country (-c), e.g. --country CN")
    if not indication:
        raise UsageProblem("missing option --indication (-i), e.g. --indication MM")

    from cartcost.estimate import estimate as run_estimate
    from cartcost.ratesfile import load_rates
    from cartcost.scenario import Scenario

    table, layers = load_rates(rates or [])
    scenario = Scenario(
        country=country,
        indication=indication,
        products=split_list(product),
        origin=origin,
        caregivers=caregivers,
        currency=currency,
        lives_nearby=lives_nearby,
        pathways=tuple(p.value for p in pathway or []),
    )
    est = run_estimate(table, scenario)
    if fmt is Format.json:
        from cartcost.render.export import dumps, estimate_json_obj

        emit_text(dumps(estimate_json_obj(est, layers.names)), output)
    elif fmt is Format.csv:
        from cartcost.render.export import estimate_csv

        emit_text(estimate_csv(est), output)
    else:
        from cartcost.render.table import estimate_table

        # Which layer a figure came from matters only when overlays are in play.
        layer_of = (
            {p: layers.layer_of(p) for i in est.items for p in i.figure_paths}
            if len(layers.names) > 1
            else None
        )
        emit_rich(estimate_table(est, sources, table.sources, layer_of), output)
