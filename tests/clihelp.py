"""Running the CLI in-process for tests, with stdout and stderr apart."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from cartcost.cli import app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)
