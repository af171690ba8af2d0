"""`cartcost batch`: many scenarios from a CSV or JSON Lines file, streamed to CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cartcost.batch_extra import BATCH_DRAWS
from cartcost.cli.options import BomOpt, OutputOpt, RatesOpt, SeedOpt
from cartcost.cli.output import ForceOpt, guard

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import TextIO

    from cartcost.batch import Outcome, Stats
    from cartcost.batch_extra import Layout
    from cartcost.rates import Rates
    from cartcost.ratesfile import Layers

EPILOG = """\
INPUT has one scenario per row, with the fields of `estimate`. A CSV needs a header row
naming its columns, in any order: country and indication are required; product, from,
caregivers, currency, lives_nearby and pathway may be left out and then take the
defaults of `estimate`. JSON Lines has one object per line with the same keys. Several
products or pathways go in one cell separated by commas or semicolons.

OUT has one row per scenario: the row number in INPUT (the header is row 1), the
scenario as resolved, the total, the stay and the days to infusion (low and high), and
an error column. A row that fails is written with its reason and the batch goes on; the
exit code is then 1. Rows that repeat are estimated once and the result reused.

Examples:

  cartcost batch scenarios.csv -o estimates.csv

  cartcost batch scenarios.csv --items -o items.csv

  cartcost batch scenarios.jsonl -o estimates.csv --errors failed.csv

  printf 'country,indication,from\\nCN,MM,NZ\\n' | cartcost batch -

  cartcost batch scenarios.csv --subtotals --budget --seed 7 -F jsonl -o out.jsonl

  cartcost batch scenarios.csv --jobs 0 -o estimates.csv

-F jsonl writes JSON Lines (also chosen by -o FILE.jsonl). --subtotals adds a low/high
pair per category. --budget adds P10/P50/P90 of the total per row (2,000 simulated
journeys a row unless --draws says otherwise), every row drawn with --seed (common
random numbers: rows differ by their scenarios, not by noise); `estimate ... --budget
--draws D --seed S` with the row's values gives the same figures. --jobs N works rows
out in N processes (0: one per CPU) and writes the same output, in input order.
"""

# A batch row's budget draws fewer journeys than `estimate --budget` by default.
BatchDrawsOpt = Annotated[
    int | None,
    typer.Option(
        "--draws",
        metavar="N",
        help=f"Simulated journeys a row for --budget, 1000 to 10000000. [default: {BATCH_DRAWS}]",
        show_default=False,
    ),
]

FLUSH_EVERY = 8192  # rows between flushes (and progress updates); a power of two
SHOW_FAILURES = 5


def register(app: typer.Typer) -> None:
    app.command("batch", epilog=EPILOG)(batch_command)


@guard
def batch_command(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="CSV with a header row, or JSON Lines (one object per line); - reads stdin.",
            show_default=False,
        ),
    ],
    output: OutputOpt = None,
    force: ForceOpt = False,
    items: Annotated[
        bool,
        typer.Option("--items", help="One row per line item (and a total row) per scenario."),
    ] = False,
    errors: Annotated[
        str | None,
        typer.Option(
            "--errors",
            metavar="PATH",
            help="Write failed rows (row, fields, error) here instead of into OUT.",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Estimate every row afresh instead of reusing results of repeated rows "
            "(same output, slower).",
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr; default: when stderr is a terminal.",
            show_default=False,
        ),
    ] = None,
    rates: RatesOpt = None,
    bom: BomOpt = False,
    out_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-F",
            metavar="csv|jsonl",
            help="OUT as CSV or JSON Lines. [default: by OUT's extension, else csv]",
            show_default=False,
        ),
    ] = None,
    subtotals: Annotated[
        bool, typer.Option("--subtotals", help="Add a low/high pair per category.")
    ] = False,
    budget: Annotated[
        bool,
        typer.Option("--budget", help="Add P10/P50/P90 of the total per row (simulated)."),
    ] = False,
    draws: BatchDrawsOpt = None,
    seed: SeedOpt = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Worker processes estimating rows side by side (0: one per CPU); "
            "the same output in the same order.",
        ),
    ] = 1,
    meta: Annotated[
        str | None,
        typer.Option(
            "--meta",
            metavar="PATH",
            help="Also write the run record here as JSON (schema version, cartcost version, "
            "draws and seed, FX date and base, price year, rate table hash).",
        ),
    ] = None,
) -> None:
    """Estimate many scenarios from a CSV or JSON Lines file, one output row each."""
    import contextlib
    import sys

    from cartcost.batch import Stats, open_source, run
    from cartcost.cli.output import BOM, check_outputs, open_output, to_stdout
    from cartcost.errors import UsageProblem
    from cartcost.ratesfile import load_rates

    if errors is not None and to_stdout(errors):
        raise UsageProblem("--errors needs a file path (stdout carries OUT)")
    if meta is not None and to_stdout(meta):
        raise UsageProblem("--meta needs a file path (stdout carries OUT)")
    check_outputs(("--output", output or "-"), ("--errors", errors), ("--meta", meta))
    from cartcost.cli.batch_extra_opts import layout_for

    layout = layout_for(output, out_format, items, subtotals, budget, draws, seed, bom)
    workers = 1
    if jobs != 1:
        from cartcost.batch_parallel import jobs_for

        workers = jobs_for(jobs)
    table, layers = load_rates(rates or [])
    show = sys.stderr.isatty() if progress is None else progress
    stats = Stats()
    failures: list[str] = []
    from cartcost.safeio import shown

    name = "stdin" if input_path == "-" else shown(input_path)
    with (
        contextlib.contextmanager(_open_input)(input_path) as (lines, size),
        contextlib.contextmanager(_stop_on_sigterm)(),
    ):
        counter = _Counter(lines, name)
        source = open_source(counter, name)  # a bad header stops here, before any output
        results = run(
            table,
            source,
            items=items,
            cache_size=0 if no_cache else None,
            stats=stats,
            layout=layout,
            jobs=workers,
        )
        try:
            with (
                open_output(output) as out,
                open_output(errors, "--errors") if errors else contextlib.nullcontext() as bad,
                open_output(meta, "--meta") if meta else contextlib.nullcontext() as record,
            ):
                if bom:
                    out.write(BOM)
                _write_all(
                    results, out, bad, items, failures, counter, size if show else None, layout
                )
                if record is not None:
                    record.write(_meta_text(table, layers, layout))
        except BrokenPipeError:
            # The reader of stdout went away (e.g. `| head`): stop quietly, as `yes` does.
            from cartcost.cli.output import silence_stdout

            silence_stdout()
            raise typer.Exit(141) from None
    _summary(stats, failures, output, errors)
    if stats.failed:
        raise typer.Exit(1)


def _meta_text(table: Rates, layers: Layers, layout: Layout | None) -> str:
    """The batch's run record (docs/methods.md) as JSON."""
    import json

    from cartcost.cli.runmeta import run_meta

    spec = layout.budget if layout is not None else None
    record = run_meta(
        table,
        layers,
        draws=spec.draws if spec is not None else None,
        seed=spec.seed if spec is not None else None,
    )
    return json.dumps(record, indent=2) + "\n"


class _Counter:
    """Passes lines through, counting the characters read (for the progress bar), and
    names INPUT when reading it fails."""

    def __init__(self, lines: Iterable[str], name: str) -> None:
        self.lines = lines
        self.name = name
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        from cartcost.errors import UsageProblem

        try:
            for line in self.lines:
                self.chars += len(line)
                yield line
        except OSError as error:
            raise UsageProblem(f"INPUT {self.name}: cannot read ({error.strerror})") from None


def _csv_row(row: int, text: str) -> str:
    return f"{row},{text}"


def _write_all(
    results: Iterable[tuple[int, Outcome]],
    out: TextIO,
    bad: TextIO | None,
    items: bool,
    failures: list[str],
    counter: _Counter,
    progress_total: int | None,
    layout: Layout | None = None,
) -> None:
    from cartcost.batch import Failure, error_header_line, header_line

    out.write(header_line(items) if layout is None else layout.header)
    if bad is not None:
        bad.write(error_header_line() if layout is None else layout.error_header)
    # CSV text after the row number, or (JSON Lines, subtotals, a budget) as the layout
    # writes its lines.
    line = layout.line if layout is not None else _csv_row
    bar = _Progress(progress_total) if progress_total is not None else None
    write = out.write
    n = 0
    try:
        for row, result in results:
            if type(result) is str:
                write(line(row, result))
            elif isinstance(result, Failure):
                if len(failures) < SHOW_FAILURES:
                    failures.append(f"row {row}: {result.error}")
                if bad is not None:
                    bad.write(line(row, result.error_line))
                else:
                    write(line(row, result.line))
            else:
                assert isinstance(result, tuple)
                for text in result:
                    write(line(row, text))
            n += 1
            if not n % FLUSH_EVERY:
                out.flush()
                if bad is not None:
                    bad.flush()
                if bar is not None:
                    bar.update(n, counter.chars)
    finally:
        if bar is not None:
            bar.close(n)


class _Progress:
    """A Rich progress bar on stderr, by characters of input read."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.total = total or None
        self.progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("batch: 0 rows", total=self.total)
        self.progress.start()

    def update(self, rows: int, chars: int) -> None:
        self.progress.update(self.task, completed=chars, description=f"batch: {rows:,} rows")

    def close(self, rows: int) -> None:
        self.progress.update(self.task, completed=self.total or 0, description=f"{rows:,} rows")
        self.progress.stop()


def _summary(stats: Stats, failures: list[str], output: str | None, errors: str | None) -> None:
    from cartcost.cli.output import err as say
    from cartcost.cli.output import to_stdout

    reused = stats.rows - stats.computed
    counts = f"{stats.rows:,} row{'s' if stats.rows != 1 else ''}, {stats.failed:,} failed"
    if reused > 0:
        counts += f"; {reused:,} repeated row{'s' if reused != 1 else ''} reused"
    where = f"in {errors}" if errors else "in the error column"
    if not to_stdout(output):
        say(f"cartcost: wrote {output}: {counts}" + (f" ({where})" if stats.failed else ""))
    elif stats.failed:
        say(f"cartcost: {stats.failed:,} of {stats.rows:,} rows failed ({where})")
    for line in failures:
        say(f"  {line}")
    if stats.failed > len(failures):
        say(f"  ... and {stats.failed - len(failures):,} more")


def _open_input(path: str) -> Iterator[tuple[Iterable[str], int]]:
    """The input as lines of text (and its size in characters, 0 when unknown).

    UTF-8 with an optional byte-order mark; bytes that are not UTF-8 are kept as
    surrogates so the row that has them fails alone instead of the whole batch. Only a
    regular file (or stdin, as -) is read: a FIFO or device is refused at once. Lines
    are read at most MAX_LINE_CHARS at a time (batch.bounded_lines), so one endless line
    cannot fill memory.
    """
    import io
    import sys

    from cartcost.batch import bounded_lines
    from cartcost.errors import UsageProblem
    from cartcost.safeio import NotRegular, describe_os_error, open_regular, remember, shown

    if path == "-":
        wrapper = io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        try:
            yield bounded_lines(wrapper, "stdin"), 0
        finally:
            wrapper.detach()
        return
    name = shown(path)
    try:
        raw, st = open_regular(path)
    except NotRegular as why:
        raise UsageProblem(
            f"INPUT {name}: {why}", "give a CSV or JSON Lines file, or - to read stdin"
        ) from None
    except OSError as error:
        raise UsageProblem(f"INPUT {name}: {describe_os_error(error)}") from None
    remember("batch INPUT", path, st)
    handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    with handle:
        yield bounded_lines(handle, name), st.st_size


def _stop_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while the batch runs, so the temporary
    output is removed as for Ctrl-C."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
