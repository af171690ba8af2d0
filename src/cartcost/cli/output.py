"""The one output path every command uses, and how errors reach the user.

Data goes to stdout (or --output, written atomically); messages go to stderr.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, ParamSpec, TextIO, TypeVar, cast

import typer

from cartcost.cli.options import Format
from cartcost.errors import CartcostError, RatesError, UsageProblem

P = ParamSpec("P")
T = TypeVar("T")

MAX_PROBLEMS_SHOWN = 25
MAX_LINE = 400


def err(message: str) -> None:
    typer.echo(message, err=True)


def _clip(line: str) -> str:
    """One message line, cut short: a 100,000-character argument echoed back must not
    scroll the message off the screen."""
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 20] + f"... ({len(line):,} chars)"


def report(error: CartcostError) -> None:
    err(_clip(f"cartcost: error: {error.message}"))
    if isinstance(error, RatesError):
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            err(_clip(f"  {problem}"))
        hidden = len(error.problems) - MAX_PROBLEMS_SHOWN
        if hidden > 0:
            err(f"  ... and {hidden} more (`cartcost rates validate` lists them all)")
    if error.hint:
        err(_clip(f"  hint: {error.hint}"))


def guard(fn: Callable[P, T]) -> Callable[P, T]:
    """Run a command; turn cartcost errors into messages and exit codes, never tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        _WITH_BOM.set(False)
        try:
            return fn(*args, **kwargs)
        except CartcostError as error:
            report(error)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err("cartcost: interrupted")
            raise typer.Exit(130) from None
        except Exception as error:
            if os.environ.get("CARTCOST_DEBUG"):
                raise
            # Only the type: a message could carry a user's paths or figures.
            err(f"cartcost: internal error ({type(error).__name__}). This is a bug in cartcost.")
            err("  Please report it with the command you ran; set CARTCOST_DEBUG=1 for details.")
            raise typer.Exit(1) from None

    return wrapper


def _destination(path: Path, option: str) -> Path | None:
    """The file an export replaces, or None to write in place.

    A device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written in place:
    renaming over it would put a regular file where the device was (as root, over
    /dev/null itself). A symlink is followed: the link stays, its target is replaced.
    """
    if path.is_dir():
        raise UsageProblem(f"{option} {path}: is a directory")
    if path.exists() and not path.is_file():
        return None
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageProblem(f"{option} {path}: directory {directory} does not exist")
    return target


def _mode_for(target: Path) -> int:
    """Keep a replaced file's permissions; a new file gets the usual ones (umask)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def _written(path: Path, option: str, binary: bool) -> Iterator[IO[Any]]:
    """A handle whose content lands at `path` whole or not at all (see _destination)."""
    target = _destination(path, option)
    if target is None:
        try:
            with path.open("wb") if binary else path.open("w", encoding="utf-8", newline="") as h:
                yield h
        except OSError as error:
            raise UsageProblem(f"{option} {path}: cannot write ({error.strerror})") from None
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageProblem(f"{option} {path}: cannot write there ({error.strerror})") from None
    try:
        os.fchmod(fd, _mode_for(target))
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise UsageProblem(f"{option} {path}: cannot write ({error.strerror})") from None
        raise


def atomic_write(path: Path, data: str | bytes, option: str = "--output") -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    with _written(path, option, binary=True) as handle:
        handle.write(blob)


@contextlib.contextmanager
def open_output(output: str | None, option: str = "--output") -> Iterator[TextIO]:
    """A text stream for data written bit by bit: stdout, or a temporary file beside
    `output` that takes its name only when the block ends without an error (an
    interrupted or failed run removes it: never a half-written file under the name)."""
    if to_stdout(output):
        yield sys.stdout
        sys.stdout.flush()
        return
    assert output is not None
    with _written(Path(output), option, binary=False) as handle:
        yield cast(TextIO, handle)


def to_stdout(output: str | None) -> bool:
    return output is None or output == "-"


# What an --output file's extension says its format is (commands that write SVG also
# take .svg; see pick_format).
FORMAT_OF_EXTENSION = {".csv": "csv", ".json": "json", ".txt": "table"}
BOM = "\ufeff"
# Set by pick_format for the command running (guard resets it): whether emit_text starts
# CSV with a byte-order mark.
_WITH_BOM: ContextVar[bool] = ContextVar("with_bom", default=False)


def output_extension(output: str | None) -> str:
    return "" if to_stdout(output) or output is None else Path(output).suffix.lower()


def pick_format(
    fmt: Format | None, output: str | None, bom: bool = False, svg: bool = False
) -> Format:
    """The format to write: --format when given, else what --output's extension says
    (quote.csv is CSV), else the default. A contradiction between the two is a usage
    error naming both; so is .svg where the command draws no picture (svg=False), and
    --bom for anything but CSV. The answer for --bom is kept for emit_text. `fmt` is
    None when --format was not given."""
    ext = output_extension(output)
    implied = FORMAT_OF_EXTENSION.get(ext)
    if ext == ".svg":
        if not svg:
            raise UsageProblem(
                f"--output {output}: this command writes no SVG; use .txt, .csv or .json",
                "`cartcost compare` draws its table as SVG (--svg PATH, or -o PATH.svg)",
            )
        if fmt is not None:
            raise UsageProblem(
                f"--format {fmt.value} contradicts --output {output} (an .svg file is a "
                "picture of the table); drop --format, or name the file for its format"
            )
        implied = "table"
    if implied is not None:
        if fmt is not None and fmt.value != implied:
            raise UsageProblem(
                f"--format {fmt.value} contradicts --output {output} (a {ext} file is "
                f"{implied}); drop one, or make them agree"
            )
        fmt = Format(implied)
    chosen = fmt if fmt is not None else Format.table
    if bom and chosen.value != "csv":
        raise UsageProblem(f"--bom is for CSV; the output here is {chosen.value}")
    _WITH_BOM.set(bom)
    return chosen


def _bom() -> str:
    return BOM if _WITH_BOM.get() else ""


def emit_text(text: str, output: str | None) -> None:
    """CSV/JSON (or a pre-rendered table) to stdout or to --output (CSV with a
    byte-order mark first when --bom was given: see pick_format)."""
    text = _bom() + text
    if to_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        assert output is not None
        atomic_write(Path(output), text)
        err(f"cartcost: wrote {output}")


FILE_WIDTH = 100  # the width of a table written to a file (--output)


def output_width(output: str | None) -> int:
    """The width to lay text out at: the terminal's (COLUMNS when set, as Rich reads it)
    for stdout, FILE_WIDTH for a file."""
    if not to_stdout(output):
        return FILE_WIDTH
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def emit_rich(renderable: Any, output: str | None, width: int | None = None) -> None:
    """A Rich renderable to the terminal, or as plain text to --output."""
    from cartcost.render.table import make_console

    # Not cropped: a table is laid out to fit, and the one line that may be longer, a
    # URL, is whole for the terminal to wrap (render/table.py bibliography).
    if to_stdout(output):
        make_console(width=width).print(renderable, crop=False)
        return
    import io

    buf = io.StringIO()
    console = make_console(width=width or 100, file=buf)
    console.print(renderable, crop=False)
    emit_text(buf.getvalue(), output)
