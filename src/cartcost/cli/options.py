"""Options shared by several commands, so each means the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cartcost.cli import complete
from cartcost.scenario import MAX_CAREGIVERS


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class PathwayOpt(StrEnum):
    commercial = "commercial"
    academic = "academic"
    trial = "trial"


# None: not given (the --output extension, else table, decides: output.pick_format).
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-F",
        case_sensitive=False,
        help="table for people; csv or json for programs. Default: what --output's "
        "extension says (.csv, .json, .txt), else table.",
        show_default=False,
    ),
]
BomOpt = Annotated[
    bool,
    typer.Option(
        "--bom",
        help="Start CSV with a UTF-8 byte-order mark, so that spreadsheets read "
        "characters such as – and € right.",
    ),
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
        "--indication",
        "-i",
        help="MM, LBCL, B-ALL, FL, MCL, CLL, ... (or a name: myeloma).",
        show_default=False,
        autocompletion=complete.indications,
    ),
]
ProductOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--product",
        "-p",
        help="Product id or brand (repeatable or comma-separated); default: all offered.",
        autocompletion=complete.product_list,
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        "-f",
        metavar="CC",
        help="Country the patient travels from (adds flights, visas); a code or a name.",
        autocompletion=complete.countries,
    ),
]
CaregiversOpt = Annotated[
    int,
    typer.Option(
        "--caregivers", min=0, max=MAX_CAREGIVERS, help="Caregivers who travel and stay too."
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        metavar="CCY",
        help="Display currency; default: the --from country's, else USD.",
        autocompletion=complete.currencies,
    ),
]
LivesNearbyOpt = Annotated[
    bool,
    typer.Option("--lives-nearby", help="Lives near the centre: no lodging or local transport."),
]
PathwayOptT = Annotated[
    list[PathwayOpt] | None,
    typer.Option(
        "--pathway",
        help="Only offers on this pathway (repeatable). Default: commercial and academic; "
        "clinical trials only when asked for.",
    ),
]
HospitalOpt = Annotated[
    str | None,
    typer.Option(
        "--hospital",
        metavar="KIND",
        help="public (public or general ward), private (international or private "
        "department) or any (the span of both). [default: the country's usual for "
        "foreign patients]",
        show_default=False,
    ),
]
LivingOpt = Annotated[
    str | None,
    typer.Option(
        "--living",
        metavar="HOW",
        help="budget (long-stay rental, cooking), standard (serviced apartment), comfort "
        "(hotel, restaurants) or any. [default: standard]",
        show_default=False,
    ),
]
TransferOpt = Annotated[
    str | None,
    typer.Option(
        "--transfer",
        metavar="WHO",
        help="Who converts and sends the money abroad: bank (the family's bank), specialist "
        "(a money-transfer provider) or any (the span of both). [default: bank]",
        show_default=False,
    ),
]
CityOpt = Annotated[
    str | None,
    typer.Option(
        "--city",
        metavar="NAME",
        help="City where the table has city figures (e.g. Shanghai, Beijing, Guangzhou, "
        "other). [default: the country's usual]",
        show_default=False,
    ),
]
AgeOpt = Annotated[
    int | None,
    typer.Option(
        "--age",
        metavar="N",
        help="The patient's age: leaves out products whose label excludes it.",
        show_default=False,
    ),
]
CoverOpt = Annotated[
    str | None,
    typer.Option(
        "--cover",
        metavar="COVER",
        help="Who pays at home: public (a public system or statutory insurance), insured "
        "(private or employer insurance) or none. [default: the origin's usual cover]",
        show_default=False,
    ),
]
PerspectiveOpt = Annotated[
    str | None,
    typer.Option(
        "--perspective",
        metavar="WHO",
        help="What to count and rank: family (what the family pays), payer (the total "
        "cost of care) or societal (that plus income lost while away; needs --income). "
        "[default: family]",
        show_default=False,
    ),
]
ReimbursementOpt = Annotated[
    str | None,
    typer.Option(
        "--reimbursement",
        metavar="SCHEME",
        help="Apply a scheme that pays for treatment abroad (e.g. au-mtop, nhs-s2): "
        "subtracts what it pays from what the family pays and shows its conditions.",
        show_default=False,
    ),
]
IncomeOpt = Annotated[
    float | None,
    typer.Option(
        "--income",
        metavar="AMOUNT",
        help="A year's income per person, in the display currency: prices the time away "
        "from work under --perspective societal.",
        show_default=False,
    ),
]
SourcesOpt = Annotated[
    bool, typer.Option("--sources", help="Show the sources behind each line and a bibliography.")
]
# For commands that read a scenario file: None means "not given on the command line", so
# the scenario file, then the config file's [defaults], then the built-in default apply.
ScenarioOpt = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        "-s",
        metavar="PATH",
        help="Read options from a scenario file (see `cartcost scenario init`); "
        "options given here override it.",
        dir_okay=False,
    ),
]
MaybeCaregiversOpt = Annotated[
    int | None,
    typer.Option(
        "--caregivers",
        min=0,
        max=MAX_CAREGIVERS,
        help="Caregivers who travel and stay too. [default: 1, or the scenario/config value]",
        show_default=False,
    ),
]
MaybeLivesNearbyOpt = Annotated[
    bool | None,
    typer.Option(
        "--lives-nearby/--not-nearby",
        help="Lives near the centre: no lodging or local transport. [default: not nearby]",
        show_default=False,
    ),
]

# --budget and its companions (estimate, compare). --draws, --seed and --drivers imply
# --budget; None means "not given" (budget.py holds the defaults and checks the values).
BudgetOpt = Annotated[
    bool,
    typer.Option(
        "--budget",
        help="Simulate the total: P10, P50, P90 and mean beside low/high "
        "(complications weighed by their probability).",
    ),
]
DrawsOpt = Annotated[
    int | None,
    typer.Option(
        "--draws",
        metavar="N",
        help="Simulated journeys for --budget, 1000 to 10000000. [default: 100000]",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="S",
        help="Random seed for --budget: the same seed, the same figures. [default: 2026]",
        show_default=False,
    ),
]
DriversOpt = Annotated[
    bool,
    typer.Option(
        "--drivers",
        help="With --budget: which items drive the range, largest first (implies --budget).",
    ),
]


def split_list(values: list[str] | None) -> tuple[str, ...]:
    """Repeatable options may also be comma-separated: -p axi-cel,relma-cel."""
    out: list[str] = []
    for v in values or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return tuple(dict.fromkeys(out))
