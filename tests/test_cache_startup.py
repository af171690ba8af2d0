"""Start-up hygiene (issue 8): what a command imports, and the one-command app of main().

The import checks run the `cartcost` entry point (cli.main) in a fresh interpreter, the
way a user's shell does, and list the modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cartcost.cli import root
from tests.conftest import MINI

# Every check here starts fresh processes: the slow step runs it (python -m pytest -m slow).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]

PROBE = """
import contextlib, io, json, sys
sys.argv = ["cartcost", *json.loads(sys.argv[1])]
from cartcost.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as done:
        code = done.code
print(json.dumps({"code": code or 0, "modules": sorted(sys.modules)}))
"""


def loaded(cache_dir: Path, *args: str) -> set[str]:
    """The modules `cartcost ARGS` imports, in a fresh interpreter."""
    env = {
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "CARTCOST_BASE_RATES": str(MINI),
        "CARTCOST_CONFIG_DIR": str(cache_dir / "no-config"),
        "CARTCOST_CACHE_DIR": str(cache_dir),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0, (args, done.stderr)
    return set(report["modules"])


def tops(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


COMMAND_MODULES = {f"cartcost.cli.{m}" for m in root.MODULES}


def test_version_imports_no_pydantic_no_rich_no_table(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "--version")
    assert not tops(modules) & {"pydantic", "pydantic_core", "rich", "numpy", "tomllib"}
    assert not modules & {"cartcost.rates", "cartcost.ratesfile", "cartcost.cache"}
    assert "importlib.metadata" not in modules  # the version is cartcost.__version__


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_estimate_export_on_a_cache_hit_imports_only_what_it_uses(tmp_path: Path, fmt: str) -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "-F", fmt)
    first = loaded(tmp_path, *args)
    assert "tomllib" in first  # a miss parses the table ...
    modules = loaded(tmp_path, *args)
    assert "tomllib" not in modules  # ... a hit does not
    assert "cartcost.schema" in first and "cartcost.schema" not in modules  # nor checks it
    assert "cartcost.cache" in modules
    assert not tops(modules) & {"rich", "numpy"}
    assert "cartcost.budget" not in modules
    # Only the command that runs: no other command module, no other command's core.
    assert modules & COMMAND_MODULES == {"cartcost.cli.estimate_cmd"}
    assert not modules & {"cartcost.comparison", "cartcost.batch", "cartcost.render.listing"}


def test_compare_export_imports_no_rich_and_no_other_command(tmp_path: Path) -> None:
    args = ("compare", "-i", "MM", "-F", "json")
    loaded(tmp_path, *args)
    modules = loaded(tmp_path, *args)
    assert not tops(modules) & {"rich", "numpy", "tomllib"}
    assert modules & COMMAND_MODULES == {"cartcost.cli.compare_cmd"}


def test_the_table_format_imports_rich(tmp_path: Path) -> None:
    """The other side of the checks above: they would pass vacuously if nothing did."""
    modules = loaded(tmp_path, "estimate", "-c", "CN", "-i", "MM")
    assert "rich" in tops(modules)


# ---------------------------------------------------------------- the one-command app


def names(app: typer.Typer) -> list[str]:
    return [c.name or "" for c in app.registered_commands] + [
        g.name or "" for g in app.registered_groups
    ]


def test_modules_register_exactly_the_commands_listed() -> None:
    for module, listed in root.MODULES.items():
        assert sorted(names(root.make_app([module]))) == sorted(listed), module
    assert sorted(names(root.full_app())) == sorted(root.COMMANDS)


def test_app_for_builds_only_the_command_named() -> None:
    assert names(root.app_for(["estimate", "-c", "CN"])) == ["estimate"]
    assert sorted(names(root.app_for(["products"]))) == ["countries", "indications", "products"]
    assert names(root.app_for(["rates", "validate"])) == ["rates"]


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["-h"], ["estimat"], ["--", "estimate"], ["-h", "--version"]],
    ids=["none", "help", "h", "typo", "dashdash", "help-then-version"],
)
def test_anything_else_gets_the_full_app(args: list[str]) -> None:
    assert root.app_for(args) is root.full_app()


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["-V"],
        ["-V", "--help"],
        ["--version", "estimate"],
        ["--version", "no-such-command"],
        ["--version", "--no-such-option"],
    ],
)
def test_version_needs_no_command_and_says_the_same(args: list[str]) -> None:
    from cartcost import __version__

    lean = root.app_for(args)
    assert names(lean) == []
    assert invoke(lean, *args) == invoke(root.full_app(), *args)
    if "--no-such-option" not in args:
        assert invoke(lean, *args) == (0, f"cartcost {__version__}\n", "")


def test_shell_completion_gets_the_full_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(root.COMPLETE_ENV_VAR, "bash_complete")
    assert root.app_for(["estimate"]) is root.full_app()


def test_the_full_app_is_what_cartcost_cli_app_is() -> None:
    from cartcost.cli import app

    assert app is root.full_app()
    assert isinstance(app, typer.Typer)


def invoke(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), prog_name="cartcost")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", sorted(root.COMMANDS))
def test_one_command_app_behaves_as_the_full_app(command: str) -> None:
    lean = root.make_app([root.COMMANDS[command]])
    full = root.full_app()
    for args in ([command, "--help"], [command, "-h"], [command, "--no-such-option"]):
        assert invoke(lean, *args) == invoke(full, *args), args
    assert invoke(lean, command, "--help")[1].startswith(f"Usage: cartcost {command} ")


def test_one_command_app_gives_the_same_results() -> None:
    lean = root.make_app(["estimate_cmd"])
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "-F", "json")
    code, out, err = invoke(lean, *args)
    assert code == 0, err
    assert (code, out, err) == invoke(root.full_app(), *args)
    assert json.loads(out)["country_name"] == "China"
    # Errors too: an unknown country is exit 2 with the same message either way.
    bad = ("estimate", "-c", "XX", "-i", "MM")
    assert invoke(lean, *bad)[0] == 2
    assert invoke(lean, *bad) == invoke(root.full_app(), *bad)


def test_main_runs_the_command_in_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["cartcost", "estimate", "-c", "CN", "-i", "MM", "-F", "csv"])
    with pytest.raises(SystemExit) as done:
        root.main()
    assert done.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("country,indication,product,category,item,low,high,")
    # mini.toml: CN offers a-cel (700,000 CNY) and b-cel (1.4-2.1M CNY) for MM; CNY = 7.
    product = next(line for line in lines[1:] if ",product," in line)
    assert ",100000,300000,USD," in product
