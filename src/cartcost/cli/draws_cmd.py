"""`--draws-out FILE` of `estimate --budget` and `compare --budget`: every simulated draw
written as the simulation makes it (src/cartcost/draws_out.py says what is in the files).

Both files are written like every output: to a temporary file beside the target,
renamed when complete; never over an input of the command."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cartcost.budget import BudgetRequest, Sink
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates

DrawsOutOpt = Annotated[
    str | None,
    typer.Option(
        "--draws-out",
        metavar="FILE",
        help=(
            "With --budget: write every simulated draw to FILE (.csv, or .parquet with "
            "pyarrow), one row per line and draw, and the inputs drawn to FILE's stem "
            "+ .params + its extension."
        ),
        show_default=False,
    ),
]


def check_draws_out(
    draws_out: str | None, want: BudgetRequest | None, *others: tuple[str, str | Path | None]
) -> None:
    """Refuse, before any work, a --draws-out that cannot be written (exit 2)."""
    if draws_out is None:
        return
    from cartcost.cli.output import check_outputs
    from cartcost.draws_out import FORMATS, params_path, parquet_available
    from cartcost.errors import UsageProblem

    if want is None:
        raise UsageProblem(
            "--draws-out writes the simulated draws: it needs --budget (or --draws or --seed)",
            "add --budget",
        )
    if draws_out == "-" or not draws_out.strip():
        raise UsageProblem("--draws-out needs a file path (two files are written)")
    ext = Path(draws_out).suffix.lower()
    if ext not in FORMATS:
        raise UsageProblem(
            f"--draws-out {draws_out}: cannot write {ext or 'a file without an extension'}",
            "name it .csv, or .parquet (with pyarrow installed)",
        )
    if ext == ".parquet" and not parquet_available():
        raise UsageProblem(
            f"--draws-out {draws_out}: writing Parquet needs pyarrow, which is not installed",
            "pip install pyarrow, or name the file .csv",
        )
    parent = Path(draws_out).parent
    if not parent.is_dir():
        raise UsageProblem(f"--draws-out {draws_out}: directory {parent} does not exist")
    check_outputs(*others, ("--draws-out", draws_out), ("--draws-out", params_path(draws_out)))


@contextlib.contextmanager
def draws_sinks(
    draws_out: str | None,
    table: Rates,
    estimates: Sequence[tuple[Estimate, str | None]],
) -> Iterator[Callable[[int], Sink | None]]:
    """sink_for(i): the budget.Sink that writes scenario i's draws (None without
    --draws-out). estimates: each scenario's estimate and product (by-product rows)."""
    if draws_out is None:
        yield lambda i: None
        return
    from cartcost import draws_out as out
    from cartcost.budget import _prepared
    from cartcost.cli.output import _written

    scenarios = [
        out.Scenario(out.scenario_label(est, product), est, _prepared(table, est))
        for est, product in estimates
    ]
    parquet = Path(draws_out).suffix.lower() == ".parquet"
    second = out.params_path(draws_out)
    with (
        _written(Path(draws_out), "--draws-out", binary=parquet) as long,
        _written(Path(second), "--draws-out", binary=parquet) as params,
    ):
        writer = out.DrawsWriter(scenarios, long, params, parquet)
        try:
            yield writer.sink
        finally:
            writer.close()
    from cartcost.cli.output import err

    err(f"cartcost: wrote {draws_out} ({writer.rows:,} rows) and {second}")
