"""The command line: Typer app, its commands and how errors become exit codes.

cli is a package (not one cli.py) so each command lives in a small module of its own;
every module imports only Typer at start and the core inside the command, so
`cartcost --version` and `--help` stay cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cartcost.cli.root import main, run

if TYPE_CHECKING:
    import typer

    app: typer.Typer
else:

    def __getattr__(name: str) -> object:
        # `from cartcost.cli import app` builds the full app then, not at import: the
        # `cartcost` script builds only the command it runs (root.main).
        if name == "app":
            from cartcost.cli.root import full_app

            return full_app()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main", "run"]
