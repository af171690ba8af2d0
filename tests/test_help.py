"""Every command and subcommand answers -h and --help with examples."""

from __future__ import annotations

import pytest
import typer

from cartcost.cli import app
from tests.clihelp import run


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if prefix:
            paths.append(prefix)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*prefix, name])

    walk(root, [])
    return paths


PATHS = _command_paths()


def test_every_command_is_listed() -> None:
    names = {" ".join(p) for p in PATHS}
    assert {"estimate", "compare", "batch", "sources", "rates validate", "scenario init"} <= names


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_with_examples(path: list[str], flag: str) -> None:
    result = run(*path, flag)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert "Examples" in result.stdout, f"{' '.join(path)} -h has no examples"
    assert "cartcost " + path[0] in result.stdout
