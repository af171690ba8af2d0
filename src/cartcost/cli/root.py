"""The root Typer app: global options and the registry of commands.

Start-up matters (issue 8): Typer builds a Click command, with every option, for each
command it knows, and each command module has to be imported to be known. So `main()`
(the `cartcost` script and `python -m cartcost`) looks at the first argument and, when it
names a command, builds an app holding only that command's module (for --version, one
with no command at all); help, no arguments, shell completion and anything it does not
recognise go to the full app. All are made by make_app(), so they differ only in which
commands they hold.

The full app is `cartcost.cli.app`, built on first use (see cartcost/cli/__init__.py).
This module is not called app.py: a submodule of that name would shadow the attribute.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

HELP = """\
What CAR-T cell therapy really costs, all in: product, hospital, living, travel, visas.

Every figure has a source and a date; cartcost works offline.

  cartcost estimate --country CN --indication MM --from NZ

  cartcost estimate -c US -i LBCL --format csv --output us.csv
"""

# Command modules in the order of --help, each with the command names it registers.
# tests/test_cache_startup.py checks this against what the modules really register.
MODULES: dict[str, tuple[str, ...]] = {
    "estimate_cmd": ("estimate",),
    "compare_cmd": ("compare",),
    "sources_cmd": ("sources",),
    "lists_cmd": ("countries", "products", "indications"),
    "rates_cmd": ("rates",),
    "scenario_cmd": ("scenario",),
    "batch_cmd": ("batch",),
}
COMMANDS: dict[str, str] = {name: module for module, names in MODULES.items() for name in names}
# Set by the shell while completing: completion must see every command.
COMPLETE_ENV_VAR = "_CARTCOST_COMPLETE"
VERSION_OPTIONS = ("--version", "-V")


def _version(value: bool) -> None:
    if value:
        from cartcost import __version__

        typer.echo(f"cartcost {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """What CAR-T cell therapy really costs, all in."""


def make_app(modules: Sequence[str] = tuple(MODULES)) -> typer.Typer:
    """The root app holding the commands of `modules` (all by default), in that order."""
    import importlib

    new = typer.Typer(
        name="cartcost",
        cls=_Group,
        help=HELP,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        # Tracebacks with locals could print a family's scenario or a user's paths.
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
    )
    new.callback()(root)
    for name in modules:
        importlib.import_module(f"cartcost.cli.{name}").register(new)
    return new


_full: typer.Typer | None = None


def full_app() -> typer.Typer:
    """Every command: for help, completion, tests, and whatever main() does not recognise."""
    global _full
    if _full is None:
        _full = make_app()
    return _full


# Longer than any path or list a command takes: such an argument is junk, and Click
# would echo it whole in its error message.
MAX_ARGUMENT = 4096


class _Group(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for i, arg in enumerate(args, 1):
            if len(arg) > MAX_ARGUMENT:
                raise typer.BadParameter(
                    f"argument {i} is {len(arg):,} characters long (starts {arg[:20]!r}); "
                    f"no option takes more than {MAX_ARGUMENT:,}",
                    ctx=ctx,
                )
        return super().parse_args(ctx, args)


def app_for(args: Sequence[str]) -> typer.Typer:
    """The smallest app that runs `args` exactly as the full app would: no command for
    --version (eager: it prints and exits before any command is looked at), the one
    command module when the first argument names a command, else the full app."""
    if not args or COMPLETE_ENV_VAR in os.environ:
        return full_app()
    if args[0] in VERSION_OPTIONS:
        return make_app([])
    module = COMMANDS.get(args[0])
    return full_app() if module is None else make_app([module])


class _Closed(io.TextIOBase):
    """Stands for a standard stream the shell closed (`>&-`): Python gives None, which
    writers would skip silently or crash on; this one fails every write cleanly."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        raise OSError(errno.EBADF, "standard output is closed")

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def main() -> None:
    """Run the command line in sys.argv; ends by raising SystemExit with its code.

    A closed, full or otherwise unwritable stdout (including for --version, which runs
    before any command) ends with a message and exit 2, never a traceback.
    """
    if sys.stdout is None:
        sys.stdout = _Closed()
    # Python's cycle collector runs after every 700 new containers by default: cartcost
    # makes many short-lived, cycle-free small objects (figures, ranges, line items), so
    # the program lets it wait for 20,000 (and the older generations for twice as many
    # young collections as usual): about 2% fewer instructions for compare and
    # for each batch row. The library leaves the collector alone.
    gc.set_threshold(20_000, 20, 20)
    try:
        app_for(sys.argv[1:])()
    except (OSError, UnicodeEncodeError) as error:
        from cartcost.cli.output import report, silence_stdout, stdout_problem

        # Commands turn their own errors into messages (output.guard): what gets here
        # came from printing --version or help.
        problem = stdout_problem(error)
        if isinstance(error, BrokenPipeError):
            silence_stdout()
            raise SystemExit(141) from None
        report(problem)
        raise SystemExit(problem.exit_code) from None


def run() -> None:
    """The `cartcost` program: main(), then out without the interpreter's teardown.

    At exit Python frees every object the process made, Typer's and pydantic's included:
    about 25 ms, more than cartcost's own work on a cached table, paid on every command
    and every TAB of shell completion. Nothing of cartcost's needs it: each file it writes
    is complete, closed and renamed before the command returns, and it registers no exit
    handler. So once stdout and stderr are flushed the process ends with the command's
    code. Under a tracer or profiler (coverage, cProfile), which report at exit, it exits
    the usual way. An exception other than SystemExit also takes the usual way.
    """
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if sys.gettrace() is not None or sys.getprofile() is not None:
        raise SystemExit(code)
    status = _status(code)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # `| head`: the reader has all it wanted
    except (OSError, ValueError) as error:
        if status == 0:
            # Data that never reached stdout (`> /dev/full`) is a failure, not success.
            from cartcost.cli.output import report, silence_stdout, stdout_problem

            problem = stdout_problem(error) if isinstance(error, OSError) else None
            if problem is not None:
                report(problem)
                status = problem.exit_code
        silence_stdout()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status)


def _status(code: object) -> int:
    """The exit status Python would give for SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(OSError, ValueError):
        print(code, file=sys.stderr)
    return 1
