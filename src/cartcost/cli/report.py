"""Writing the family's report (--format html) and the payment timeline (--timeline) of
estimate and compare, through the one output path (cli/output.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cartcost.cli.output import emit_rich, emit_text, err, to_stdout
from cartcost.cli.report_opts import ReportFormat

if TYPE_CHECKING:
    from cartcost.budget import Budget, BudgetRequest
    from cartcost.comparison import Comparison
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates
    from cartcost.timeline import Timeline


def _timeline(table: Rates, est: Estimate, budget: Budget | None) -> Timeline:
    from cartcost.timeline import schedule

    if budget is not None:
        you = budget.you_pay
        mine = None if you is None else (you.p50, you.p90)
        return schedule(table, est, budget.total.p50, budget.total.p90, mine)
    return schedule(table, est)


def emit_estimate_report(
    table: Rates,
    est: Estimate,
    want: BudgetRequest | None,
    fmt: ReportFormat,
    output: str | None,
    prepared_by: str | None,
    layers: tuple[str, ...],
    show_sources: bool = False,
) -> None:
    """The estimate as HTML (with its timeline), or with --timeline as table/CSV/JSON."""
    budget = None
    if want is not None:
        from cartcost.budget import simulate

        budget = simulate(table, est, want.draws, want.seed, want.drivers)
    tl = _timeline(table, est, budget)
    if fmt is ReportFormat.html:
        from cartcost.metadata import methods_paragraph
        from cartcost.render.html import estimate_html

        methods = methods_paragraph(est, table, budget)
        html = estimate_html(est, table.sources, tl, budget, prepared_by, layers, methods)
        emit_text(html, output)
        return
    if fmt is ReportFormat.json:
        from cartcost.exports.csvjson import dumps, estimate_json_obj
        from cartcost.render.timeline_view import timeline_json_obj

        obj: dict[str, Any]
        if budget is not None:
            from cartcost.exports.budget import estimate_budget_json_obj

            obj = estimate_budget_json_obj(budget, layers)
        else:
            obj = estimate_json_obj(est, layers)
        obj["timeline"] = timeline_json_obj(tl)
        emit_text(dumps(obj), output)
        return
    if fmt is ReportFormat.csv:
        from cartcost.render.timeline_view import timeline_csv

        for note in (*est.notes, *tl.notes):
            err(f"cartcost: note: {note}")
        emit_text(timeline_csv(tl), output)
        return
    from rich.console import Group
    from rich.text import Text

    from cartcost.render.table import make_console
    from cartcost.render.timeline_view import timeline_table

    width = None if to_stdout(output) else 100
    view: Any
    if budget is not None:
        from cartcost.render.budget_view import budget_view

        view = budget_view(budget, make_console(width=width), width, show_sources, table.sources)
    else:
        from cartcost.render.table import estimate_table

        view = estimate_table(est, show_sources, table.sources)
    parts: list[Any] = [view, Text(""), timeline_table(tl)]
    if len(layers) > 1:
        from cartcost.render.listing import layers_line

        parts.append(layers_line(layers))
    emit_rich(Group(*parts), output, width)


def emit_compare_report(
    table: Rates,
    cmp: Comparison,
    want: BudgetRequest | None,
    output: str | None,
    prepared_by: str | None,
    layers: tuple[str, ...],
) -> None:
    """The comparison as one HTML page (--format html)."""
    from cartcost.render.html import compare_html

    budgets = None
    if want is not None:
        from cartcost.budget import simulate

        budgets = [
            simulate(table, row.estimate, want.draws, want.seed, want.drivers) for row in cmp.rows
        ]
    from cartcost.metadata import comparison_methods

    methods = (
        comparison_methods([row.estimate for row in cmp.rows], table, budgets) if cmp.rows else None
    )
    emit_text(compare_html(cmp, table.sources, budgets, prepared_by, layers, methods), output)
    for s in cmp.skipped:
        err(f"cartcost: skipped {s.country}: {s.reason}")
