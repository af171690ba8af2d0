"""Running the CLI in-process for tests, with stdout and stderr apart."""

from __future__ import annotations

from functools import cache
from typing import Any
from unittest import mock

import typer
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from cartcost.cli import app


@cache
def _command(app: typer.Typer) -> object:
    """The Click command Typer builds from an app: about 50 ms of work, done once here
    instead of on every invocation (the app itself is built once too)."""
    return typer.main.get_command(app)


def run(*args: str) -> Result:
    with mock.patch.object(typer.testing, "_get_command", _command):
        return CliRunner().invoke(app, list(args), catch_exceptions=False)


def json_item(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """The line `key` of an estimate's JSON."""
    found: dict[str, Any] = next(i for i in doc["items"] if i["key"] == key)
    return found
