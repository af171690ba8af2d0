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
from typing import IO, Annotated, Any, ParamSpec, TextIO, TypeVar, cast

import typer

from cartcost.cli.options import Format
from cartcost.errors import CartcostError, RatesError, UsageProblem

P = ParamSpec("P")
T = TypeVar("T")

MAX_PROBLEMS_SHOWN = 25
MAX_LINE = 400


def err(message: str) -> None:
    # A file name that is not UTF-8 arrives with surrogates: shown as \x escapes.
    if not message.isascii():
        message = message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
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
        from cartcost.safeio import forget_inputs

        forget_inputs()
        cache = sys.modules.get("cartcost.cache")
        if cache is not None:
            cache.NOTES.clear()  # left by an earlier command in this process (tests)
        _WITH_BOM.set(False)
        try:
            return _guarded(fn, *args, **kwargs)
        finally:
            _cache_notes()

    return wrapper


def _guarded(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
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
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, as `yes` does.
        silence_stdout()
        raise typer.Exit(141) from None
    except Exception as error:
        if os.environ.get("CARTCOST_DEBUG"):
            raise
        # Only the type: a message could carry a user's paths or figures.
        err(f"cartcost: internal error ({type(error).__name__}). This is a bug in cartcost.")
        err("  Please report it with the command you ran; set CARTCOST_DEBUG=1 for details.")
        raise typer.Exit(1) from None


def _cache_notes() -> None:
    """Why the table cache was passed over (a directory or entry not ours alone), once."""
    cache = sys.modules.get("cartcost.cache")
    if cache is None:
        return
    notes: list[str] = cache.NOTES
    for note in notes:
        err(f"cartcost: note: {note}")
    notes.clear()


def stdout_problem(error: OSError | UnicodeEncodeError) -> UsageProblem:
    """The message for a failed write to stdout: closed (`>&-`), full (`> /dev/full`),
    or an encoding that cannot carry the text (PYTHONIOENCODING=ascii)."""
    if isinstance(error, UnicodeEncodeError):
        char = error.object[error.start : error.start + 1] if error.object else ""
        shown = f" {char!r} (U+{ord(char):04X})" if char else ""
        return UsageProblem(
            f"standard output uses the {error.encoding} encoding, which cannot carry{shown} "
            "in this output",
            "set PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or write a file with --output",
        )
    return UsageProblem(
        f"cannot write to standard output ({error.strerror or 'closed'})",
        "write to a file with --output, or give the command a working stdout",
    )


def _refuse_stdout_as_input() -> None:
    """stdout redirected onto an input (`batch in.csv >> in.csv` would read its own rows
    back forever; `estimate --rates q.toml >> q.toml` would append to the overlay)."""
    from cartcost.safeio import FileId, inputs

    try:
        st = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return
    if not stat.S_ISREG(st.st_mode):
        return
    found = next((f for f in inputs() if f.id == FileId(st.st_dev, st.st_ino)), None)
    if found is not None:
        raise UsageProblem(
            f"standard output is the same file as the {found.label} {_name(found.path)}, "
            "which this command reads; writing it would destroy that input",
            "redirect the output to another file",
        )


@contextlib.contextmanager
def writing_stdout() -> Iterator[None]:
    """Around every write to stdout: a failure becomes a message, not a traceback
    (a reader that left, BrokenPipeError, is left to the guard: exit 141 quietly).
    stdout that is an input of the command is refused before anything is written."""
    _refuse_stdout_as_input()
    try:
        yield
    except BrokenPipeError:
        raise
    except (OSError, UnicodeEncodeError) as error:
        raise stdout_problem(error) from None


def say(text: str) -> None:
    """One line of data on stdout (a path that is not UTF-8 shown escaped)."""
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    with writing_stdout():
        typer.echo(text)


def silence_stdout() -> None:
    """After the reader of stdout went away (`| head`): drop what is left, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests)
        pass
    finally:
        os.close(devnull)


# ---------------------------------------------------------------- where an output goes
#
# The policy (docs/safety.md, "Outputs never destroy inputs"):
#
# - an output that is the same file as an input of the command (scenario, overlay,
#   config, base table, batch INPUT) or as another output is refused, naming both;
# - /dev/stdout, /dev/stderr, /dev/fd/N (and any path that is the file stdout already
#   is) are written through the descriptor the shell opened, so `>> log` appends;
# - another character device, a FIFO or a socket is written in place, never replaced;
# - a symlink is followed only when it is ours, or sits in a directory nobody else can
#   write to: a link another user planted in /tmp (sticky, world-writable) is refused;
# - a read-only file (no write permission for us, or no write bit at all) is refused
#   unless --force;
# - anything else is written to a temporary file beside the real target and renamed
#   over it: complete or not at all.

_force = False


def set_force(value: bool) -> bool:
    """The --force of the command being parsed (a Typer callback): replace read-only
    destinations."""
    global _force
    _force = bool(value)
    return value


ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace a read-only --output file (never an input, never through a planted link).",
        callback=set_force,
    ),
]

_FD_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _fd_path(path: Path) -> int | None:
    """The descriptor a /dev/stdout-like path names, or None."""
    text = os.fspath(path)
    if text in _FD_PATHS:
        return _FD_PATHS[text]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        rest = text.removeprefix(prefix)
        if rest != text and rest.isascii() and rest.isdigit():
            return int(rest)
    return None


def _stdout_id() -> tuple[int, int] | None:
    try:
        st = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _same_as_stdout(path: Path) -> bool:
    found = _stdout_id()
    if found is None:
        return False
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    # A terminal or /dev/null shared with stdout is still written in place, by name:
    # only a regular file, pipe or the like that *is* stdout goes through fd 1.
    return (st.st_dev, st.st_ino) == found and not stat.S_ISCHR(st.st_mode)


def _name(path: Path | str) -> str:
    """A path for a message: not-UTF-8 bytes escaped, a very long one cut in the middle
    (so the reason after it still shows)."""
    from cartcost.safeio import shown

    text = shown(path)
    return text if len(text) <= 160 else f"{text[:60]}...{text[-60:]} ({len(text):,} chars)"


def _fail(option: str, path: Path, why: str, hint: str = "") -> UsageProblem:
    return UsageProblem(f"{option} {_name(path)}: {why}", hint)


def _refuse_inputs(path: Path, option: str) -> None:
    from cartcost.safeio import same_as_input

    found = same_as_input(path)
    if found is not None:
        raise _fail(
            option,
            path,
            f"is the same file as the {found.label} {_name(found.path)}, which this command "
            "reads; writing it would destroy that input",
            "write the output to another file",
        )


def _shared_dir(directory: str) -> bool:
    """Whether others may create files in `directory` (sticky, group- or world-writable)."""
    try:
        st = os.stat(directory)
    except OSError:
        return False
    return bool(st.st_mode & (stat.S_ISVTX | stat.S_IWGRP | stat.S_IWOTH))


class _Plan:
    """Where an export goes: `fd` (write through an open descriptor), `direct` (open the
    path and write in place) or `target` (temporary file beside it, then rename)."""

    def __init__(self, fd: int | None = None, direct: bool = False, target: Path | None = None):
        self.fd = fd
        self.direct = direct
        self.target = target


def _plan(path: Path, option: str, force: bool) -> _Plan:
    import errno

    fd = _fd_path(path)
    if fd is not None or _same_as_stdout(path):
        if fd == 0:
            raise _fail(option, path, "is standard input; write to a file or to stdout (-)")
        return _Plan(fd=1 if fd is None else fd)
    _refuse_inputs(path, option)
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        lst = None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise _fail(option, path, "file name too long") from None
        raise _fail(option, path, f"cannot write ({error.strerror})") from None
    target = path
    if lst is not None and stat.S_ISLNK(lst.st_mode):
        target = _follow_links(path, option)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise _fail(option, path, "file name too long") from None
        raise _fail(option, path, f"cannot write ({error.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise _fail(option, path, "is a directory")
        if not stat.S_ISREG(st.st_mode):
            # A device, FIFO or socket: renaming over it would put a regular file where
            # the device was (as root, over /dev/null itself).
            return _Plan(direct=True, target=target)
        if not force and (st.st_mode & 0o222 == 0 or not os.access(target, os.W_OK)):
            raise _fail(option, path, "is read-only", "pass --force to replace it anyway")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise _fail(option, path, f"directory {_name(directory)} does not exist")
    if len(os.fsencode(target.name)) > 255:
        raise _fail(option, path, "file name too long (at most 255 bytes)")
    return _Plan(target=target)


def _follow_links(path: Path, option: str) -> Path:
    """Where a chain of symlinks leads, refusing any link on the way that another user
    owns in a directory others may write to (as Linux's protected_symlinks does)."""
    me = os.geteuid() if hasattr(os, "geteuid") else None
    here = Path(os.path.abspath(path))
    for _ in range(40):
        try:
            lst = os.lstat(here)
        except OSError:
            # The end of the chain does not exist yet: it is made there.
            return Path(os.path.realpath(here))
        if not stat.S_ISLNK(lst.st_mode):
            return Path(os.path.realpath(here))
        if me is not None and lst.st_uid != me and _shared_dir(str(here.parent)):
            raise _fail(
                option,
                path,
                f"leads through a symlink owned by another user (uid {lst.st_uid}) in a "
                f"shared directory ({_name(here)}); refusing to write through it",
                "write to a path of your own",
            )
        here = Path(os.path.realpath(here.parent)) / os.readlink(here)
    raise _fail(option, path, "too many levels of symbolic links")


def _mode_for(target: Path) -> int:
    """Keep a replaced file's permissions; a new file gets the usual ones (umask)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _open_direct(target: Path, option: str, path: Path) -> int:
    """A descriptor on a device or FIFO, opened without blocking on a FIFO's reader."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target, flags)
    except OSError as error:
        raise _fail(option, path, f"cannot write ({error.strerror})") from None
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _wrap(fd: int, binary: bool) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


@contextlib.contextmanager
def _written(
    path: Path, option: str, binary: bool, exclusive: bool = False, force: bool | None = None
) -> Iterator[IO[Any]]:
    """A handle whose content lands at `path` whole or not at all (see _plan).

    exclusive: the file must not exist; it is created by a hard link from the finished
    temporary file, so a file that appeared meanwhile is never overwritten.
    """
    plan = _plan(path, option, (_force if force is None else force) and not exclusive)
    if plan.fd is not None or plan.direct:
        if exclusive:
            raise _fail(option, path, "exists; pass --force to overwrite it")
        if plan.fd is not None:
            if plan.fd == 1:
                with contextlib.suppress(AttributeError, OSError, ValueError):
                    sys.stdout.flush()
            try:
                fd = os.dup(plan.fd)
            except OSError as error:
                raise _fail(option, path, f"cannot write ({error.strerror})") from None
        else:
            assert plan.target is not None
            fd = _open_direct(plan.target, option, path)
        try:
            with _wrap(fd, binary) as handle:
                yield handle
        except OSError as error:
            raise _fail(option, path, f"cannot write ({error.strerror})") from None
        return
    target = plan.target
    assert target is not None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:40]}.", suffix=".tmp")
    except OSError as error:
        raise _fail(option, path, f"cannot write there ({error.strerror})") from None
    try:
        os.fchmod(fd, _mode_for(target))
        handle = _wrap(fd, binary)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            _link_new(tmp, target, option, path)
        else:
            os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, FileExistsError):
            raise _fail(option, path, "exists; pass --force to overwrite it") from None
        if isinstance(error, OSError):
            raise _fail(option, path, f"cannot write ({error.strerror})") from None
        raise


def _link_new(tmp: str, target: Path, option: str, path: Path) -> None:
    """Give the finished temporary file the name `target` only if nothing has it yet."""
    import errno

    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (some network and FAT file systems): create exclusively.
        with open(tmp, "rb") as src, open(target, "xb") as dst:
            dst.write(src.read())
    os.unlink(tmp)


def atomic_write(
    path: Path,
    data: str | bytes,
    option: str = "--output",
    exclusive: bool = False,
    force: bool | None = None,
) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file.

    exclusive: refuse if `path` exists, even if it appears while the data is written.
    force: replace a read-only file (default: the command's --force)."""
    blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    with _written(path, option, binary=True, exclusive=exclusive, force=force) as handle:
        handle.write(blob)


@contextlib.contextmanager
def open_output(output: str | None, option: str = "--output") -> Iterator[TextIO]:
    """A text stream for data written bit by bit: stdout, or a temporary file beside
    `output` that takes its name only when the block ends without an error (an
    interrupted or failed run removes it: never a half-written file under the name)."""
    if to_stdout(output):
        with writing_stdout():
            yield sys.stdout
            sys.stdout.flush()
        return
    assert output is not None
    with _written(Path(output), option, binary=False) as handle:
        yield cast(TextIO, handle)


def _identity(output: str | Path) -> tuple[object, ...]:
    """What decides whether two outputs are one file: stdout, (device, inode) of an
    existing file (through links), else the absolute real path it would be made at."""
    if str(output) == "-":
        return ("stdout",)
    path = Path(output)
    fd = _fd_path(path)
    if fd is not None:
        return ("stdout",) if fd == 1 else ("fd", fd)
    if _same_as_stdout(path):
        return ("stdout",)
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return ("path", os.path.realpath(path))
    return ("file", st.st_dev, st.st_ino)


def check_outputs(*outputs: tuple[str, str | Path | None]) -> None:
    """Refuse two outputs that are one file (`compare --svg X -o X`), naming both.

    Each is (option, value): value None is an option not given, "-" stdout."""
    seen: dict[tuple[object, ...], tuple[str, str | Path | None]] = {}
    for option, value in outputs:
        if value is None:
            continue
        key = _identity(value)
        if key in seen:
            first, first_value = seen[key]
            shown_first = "(stdout)" if str(first_value) == "-" else _name(first_value or "")
            shown_now = "(stdout)" if str(value) == "-" else _name(value)
            raise UsageProblem(
                f"{option} {shown_now} and {first} {shown_first} are the same file; "
                "one would replace the other",
                "give each output its own file",
            )
        seen[key] = (option, value)


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
        with writing_stdout():
            sys.stdout.write(text)
            sys.stdout.flush()
    else:
        assert output is not None
        atomic_write(Path(output), text)
        err(f"cartcost: wrote {_name(output)}")


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
        with writing_stdout():
            make_console(width=width).print(renderable, crop=False)
        return
    import io

    buf = io.StringIO()
    console = make_console(width=width or 100, file=buf)
    console.print(renderable, crop=False)
    emit_text(buf.getvalue(), output)
