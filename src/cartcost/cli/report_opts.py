"""Options of the family's report: --format html, --prepared-by and --timeline (estimate
and compare), checked here so that both commands refuse the same things the same way."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

import typer

from cartcost.cli.options import Format
from cartcost.errors import UsageProblem

MAX_PREPARED_BY = 120
# Control characters (C0 but none allowed, DEL, C1) and bidirectional overrides: a name
# printed on a family's quote must read as it is written.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


ReportFormatOpt = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        "-F",
        case_sensitive=False,
        help="table for people; csv or json for programs; html for one self-contained "
        "page to print or send. Default: what --output's extension says, else table.",
        show_default=False,
    ),
]
PreparedByOpt = Annotated[
    str | None,
    typer.Option(
        "--prepared-by",
        metavar="TEXT",
        help=f"With --format html: the facilitator's name on the report "
        f"(up to {MAX_PREPARED_BY} characters).",
        show_default=False,
    ),
]
TimelineOpt = Annotated[
    bool,
    typer.Option(
        "--timeline",
        help="When the money is needed: week by week from the first consultation, what "
        "falls due and the running total at P50 and P90 (always in --format html).",
    ),
]


def check_prepared_by(prepared_by: str | None, fmt: ReportFormat | None) -> str | None:
    """The facilitator's name, checked: only for HTML, not blank, short, no control
    characters."""
    if prepared_by is None:
        return None
    if fmt is not ReportFormat.html:
        raise UsageProblem(
            "--prepared-by goes on the HTML report only", "add --format html, or drop it"
        )
    name = prepared_by.strip()
    if not name:
        raise UsageProblem("--prepared-by is empty; give a name, e.g. --prepared-by 'Ana Ruiz'")
    if _CONTROL.search(name):
        raise UsageProblem("--prepared-by must not contain control characters")
    if len(name) > MAX_PREPARED_BY:
        raise UsageProblem(
            f"--prepared-by is {len(name):,} characters long; the limit is {MAX_PREPARED_BY}"
        )
    return name


def plain_format(fmt: ReportFormat) -> Format:
    """table, csv or json as the shared Format (html is handled before this)."""
    assert fmt is not ReportFormat.html
    return Format(fmt.value)


HTML_EXTENSIONS = (".html", ".htm")


def pick_report_format(
    fmt: ReportFormat | None, output: str | None, bom: bool = False, svg: bool = False
) -> ReportFormat:
    """--format when given, else what --output's extension says (report.html is HTML,
    quote.csv CSV), else table; a contradiction between the two is a usage error."""
    from cartcost.cli.output import output_extension, pick_format

    ext = output_extension(output)
    if fmt is ReportFormat.html or (fmt is None and ext in HTML_EXTENSIONS):
        if ext not in ("", *HTML_EXTENSIONS) and output not in (None, "-"):
            raise UsageProblem(f"--format html contradicts --output {output}; name the file .html")
        if bom:
            raise UsageProblem("--bom is for CSV; the output here is html")
        return ReportFormat.html
    if ext in HTML_EXTENSIONS:
        assert fmt is not None
        raise UsageProblem(
            f"--format {fmt.value} contradicts --output {output} (an {ext} file is html); "
            "drop one, or make them agree"
        )
    plain = pick_format(None if fmt is None else Format(fmt.value), output, bom, svg)
    return ReportFormat(plain.value)
