"""`batch -F jsonl`, `--subtotals`, `--budget`: the options checked, and OUT written in
the layout they ask for (src/cartcost/batch_extra.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cartcost.batch_extra import Layout

FORMATS = ("csv", "jsonl")
JSONL_EXTENSIONS = (".jsonl", ".ndjson")


def layout_for(
    output: str | None,
    out_format: str | None,
    items: bool,
    subtotals: bool,
    budget: bool,
    draws: int | None,
    seed: int | None,
    bom: bool,
) -> Layout | None:
    """The layout the options ask for (None: the plain CSV), checked before any work."""
    from cartcost.errors import UsageProblem

    ext = "" if output is None or output == "-" else Path(output).suffix.lower()
    by_ext = "jsonl" if ext in JSONL_EXTENSIONS else ("csv" if ext == ".csv" else None)
    fmt = out_format.lower() if out_format is not None else by_ext or "csv"
    if fmt not in FORMATS:
        raise UsageProblem(f"--format {out_format}: batch writes csv or jsonl")
    if out_format is not None and by_ext is not None and by_ext != fmt:
        raise UsageProblem(
            f"--format {out_format} and --output {output} disagree",
            f"name the file .{fmt}, or leave --format out",
        )
    want_budget = budget or draws is not None or seed is not None
    if items and (subtotals or want_budget):
        raise UsageProblem(
            "--items writes one row per line item: --subtotals and --budget are per scenario",
            "leave out --items",
        )
    if bom and fmt == "jsonl":
        raise UsageProblem("--bom is for CSV read by spreadsheets, not JSON Lines")
    if fmt == "csv" and not subtotals and not want_budget:
        return None
    from cartcost.batch_extra import BATCH_DRAWS, BudgetSpec, Layout

    spec = None
    if want_budget:
        from cartcost.budget import DEFAULT_SEED, check_draws, check_seed

        spec = BudgetSpec(
            draws=check_draws(BATCH_DRAWS if draws is None else draws),
            seed=check_seed(DEFAULT_SEED if seed is None else seed),
        )
    return Layout(jsonl=fmt == "jsonl", items=items, subtotals=subtotals, budget=spec)
