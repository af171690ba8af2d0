"""Options shared by several commands, so each means the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class PathwayOpt(StrEnum):
    commercial = "commercial"
    academic = "academic"
    trial = "trial"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-F", help="table for people; csv or json for programs.")
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="PATH",
        help="Write here (atomically) instead of stdout; - is stdout.",
    ),
]
RatesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--rates",
        metavar="PATH",
        help="Overlay a rate table over the default (repeatable; also CARTCOST_RATES, a path list).",
    ),
]
IndicationOpt = Annotated[
    str | None,
    typer.Option(
        "--indication", "-i", help="MM, LBCL, B-ALL, FL, MCL, CLL, ...", show_default=False
    ),
]
ProductOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--product",
        "-p",
        help="Product id or brand (repeatable or comma-separated); default: all offered.",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from", "-f", metavar="CC", help="Country the patient travels from (adds flights, visas)."
    ),
]
CaregiversOpt = Annotated[
    int, typer.Option("--caregivers", min=0, max=10, help="Caregivers who travel and stay too.")
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        metavar="CCY",
        help="Display currency; default: the --from country's, else USD.",
    ),
]
LivesNearbyOpt = Annotated[
    bool,
    typer.Option("--lives-nearby", help="Lives near the centre: no lodging or local transport."),
]
PathwayOptT = Annotated[
    list[PathwayOpt] | None,
    typer.Option("--pathway", help="Only offers on this pathway (repeatable)."),
]
SourcesOpt = Annotated[
    bool, typer.Option("--sources", help="Show the sources behind each line and a bibliography.")
]


def split_list(values: list[str] | None) -> tuple[str, ...]:
    """Repeatable options may also be comma-separated: -p axi-cel,relma-cel."""
    out: list[str] = []
    for v in values or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return tuple(dict.fromkeys(out))
