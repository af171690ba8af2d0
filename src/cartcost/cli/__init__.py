"""The command line: Typer app, its commands and how errors become exit codes.

cli is a package (not one cli.py) so each command lives in a small module of its own;
every module imports only Typer at start and the core inside the command, so
`cartcost --version` and `--help` stay cheap.
"""

from __future__ import annotations

from cartcost.cli.app import app, main

__all__ = ["app", "main"]
