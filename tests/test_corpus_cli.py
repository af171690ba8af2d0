"""Bad command lines, and what a crash may show: never a traceback, never a secret.

Each bad command line must exit non-zero (2 for usage, 1 when nothing matches) with a
message on stderr that names what is wrong, fits one screen (40 lines, no line longer
than a few hundred characters), carries no traceback and no raw escape sequence, and
leaves stdout empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import Result

from tests.clihelp import run
from tests.conftest import MINI

ONE_SCREEN = 40
LONG = "X" * 100_000
NO_PROC = not Path("/proc").is_dir()

# (arguments, exit code, what stderr must contain). {tmp} is a fresh temporary directory.
BAD_LINES: list[tuple[list[str], int, str]] = [
    (["nonsense"], 2, "No such command"),
    (["rates", "bogus"], 2, "No such command"),
    (["estimate", "-c", "CN", "-i", "MM", "--bogus"], 2, "No such option"),
    (["countries", "--bogus"], 2, "No such option"),
    (["estimate"], 2, "missing option --country"),
    (["estimate", "-c", "CN"], 2, "missing option --indication"),
    (["estimate", "-c", "", "-i", "MM"], 2, "--country"),
    (["estimate", "-c", "XX", "-i", "MM"], 2, "unknown country 'XX'"),
    (["estimate", "-c", "C", "-i", "MM"], 2, "did you mean CN?"),
    (["estimate", "-c", "中国", "-i", "MM"], 2, "unknown country '中国'"),
    (["estimate", "-c", "\x1b]0;owned\x07CN", "-i", "MM"], 2, "unknown country '\\x1b"),
    (["estimate", "-c", LONG, "-i", "MM"], 2, "argument 3 is 100,000 characters long"),
    (["estimate", "-c", "CN", "-i", "QQ"], 2, "unknown indication 'QQ'"),
    (["estimate", "-c", "CN", "-i", "MM", "--from", "ZZ"], 2, "unknown origin country 'ZZ'"),
    (["estimate", "-c", "CN", "-i", "MM", "--currency", "US$"], 2, "unknown currency 'US$'"),
    (["estimate", "-c", "CN", "-i", "MM", "-p", "nope"], 2, "unknown product 'nope'"),
    (["estimate", "-c", "CN", "-i", "MM", "--caregivers", "-1"], 2, "--caregivers"),
    (["estimate", "-c", "CN", "-i", "MM", "--caregivers", "two"], 2, "--caregivers"),
    (["estimate", "-c", "CN", "-i", "MM", "--caregivers", "11"], 2, "--caregivers"),
    (["estimate", "-c", "CN", "-i", "MM", "--caregivers", "9" * 30], 2, "--caregivers"),
    (["estimate", "-c", "CN", "-i", "MM", "--format", "xml"], 2, "--format"),
    (["estimate", "-c", "CN", "-i", "MM", "--pathway", "bogus"], 2, "--pathway"),
    (["estimate", "-c", "US", "-i", "MM"], 1, "no offer for MM in US"),
    (["estimate", "-c", "NZ", "-i", "MM"], 1, "NZ"),
    (
        ["estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "{tmp}/no/such/dir/x.csv"],
        2,
        "does not exist",
    ),
    (["estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "{tmp}"], 2, "is a directory"),
    (["estimate", "-c", "CN", "-i", "MM", "--rates", "{tmp}/missing.toml"], 2, "file not found"),
    (["estimate", "-c", "CN", "-i", "MM", "--rates", "{tmp}"], 2, "directory"),
    (["estimate", "-c", "CN", "-i", "MM", "--scenario", "{tmp}/missing.toml"], 2, "not found"),
    (["estimate", "-c", "CN", "-i", "MM", "--budget", "--draws", "5"], 2, "--draws"),
    (["estimate", "-c", "CN", "-i", "MM", "--budget", "--seed", "-1"], 2, "--seed"),
    (["compare", "-i", "MM", "-c", "CN,ZZ"], 2, "unknown country 'ZZ'"),
    (["compare", "-i", "MM", "-c", ""], 2, "--countries"),
    (["compare", "-i", "MM", "-c", "CN,US", "--sort", "cheapest"], 2, "--sort"),
    (["sources", "--kind", "rumour"], 2, "--kind"),
    (["products", "-F", "yaml"], 2, "--format"),
    (["batch", "{tmp}/missing.csv"], 2, "not found"),
    (["rates", "validate", "{tmp}/missing.toml"], 2, "file not found"),
    # Identifiers are exactly what they look like: str.upper() folds 'ı' to 'I', 'ſ' to 'S'.
    (["estimate", "-c", "\u0131n", "-i", "MM"], 2, "unknown country '\u0131n'"),
    (["estimate", "-c", "\u017fg", "-i", "MM"], 2, "unknown country '\u017fg'"),
    (["estimate", "-c", "CN", "-i", "\u217fM"], 2, "unknown indication"),
    (["estimate", "-c", "CN", "-i", "MM", "--from", "N\u0396"], 2, "unknown origin country"),
    (["estimate", "-c", "CN", "-i", "MM", "--currency", "USD\n"], 2, "unknown currency"),
    (["estimate", "-c", "CN", "-i", "MM", "-p", "a\u2010cel"], 2, "unknown product"),
    (["compare", "-i", "MM", "-c", "CN,\u0131n"], 2, "unknown country '\u0131n'"),
    (["rates", "show", "-c", "\u0131n"], 2, "unknown country"),
    (["rates", "init", "{tmp}/q.toml", "-c", "\u0131n"], 2, "unknown country"),
    # Inputs are regular files: a device or directory is refused at once, never read.
    (["batch", "/dev/zero"], 2, "not a regular file"),
    (["batch", "{tmp}"], 2, "is a directory"),
    (["estimate", "-c", "CN", "-i", "MM", "--scenario", "/dev/zero"], 2, "not a regular file"),
    (["batch", "-", "--errors", "-"], 2, "--errors needs a file path"),
]


def _fill(args: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in args]


def assert_one_screen(stderr: str) -> None:
    lines = stderr.splitlines()
    assert 0 < len(lines) <= ONE_SCREEN, stderr[:2000]
    assert max(len(line) for line in lines) <= 500, max(len(line) for line in lines)
    assert "Traceback" not in stderr
    assert "\x1b" not in stderr and "\x07" not in stderr


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    BAD_LINES,
    ids=[" ".join(a)[:60] for a, _, _ in BAD_LINES],
)
def test_bad_command_line(args: list[str], code: int, needle: str, tmp_path: Path) -> None:
    result = run(*_fill(args, tmp_path))
    assert result.exit_code == code, (result.exit_code, result.stderr[:2000])
    assert needle in result.stderr, result.stderr[:2000]
    assert result.stdout == ""
    assert_one_screen(result.stderr)


@pytest.mark.skipif(NO_PROC, reason="needs Linux /proc: a directory nobody can write in")
def test_output_where_nothing_can_be_written() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "/proc/cartcost.csv")
    assert result.exit_code == 2
    assert "--output /proc/cartcost.csv: cannot write" in result.stderr
    assert_one_screen(result.stderr)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_device_fails_and_keeps_the_device() -> None:
    """Writing to a device writes in place: it is never renamed over (as root, renaming
    over /dev/full or /dev/null would replace the device with a regular file)."""
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "/dev/full")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert Path("/dev/full").is_char_device()


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_output_to_dev_null_succeeds_and_keeps_the_device() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "json", "-o", "/dev/null")
    assert result.exit_code == 0, result.stderr
    assert Path("/dev/null").is_char_device()


# ---------------------------------------------------------------- stdout that cannot be written


def _cartcost(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[1] / "src"),
        "CARTCOST_BASE_RATES": str(MINI),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "cartcost", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


STDOUT_COMMANDS = [
    ["--version"],
    ["countries"],
    ["estimate", "-c", "CN", "-i", "MM"],
    ["estimate", "-c", "CN", "-i", "MM", "-F", "csv"],
    ["rates", "path"],
    ["batch", "-"],
]


def _closed_stdout_run(args: list[str], how: str) -> subprocess.CompletedProcess[str]:
    """Run with stdout closed (`>&-`) or on /dev/full (`> /dev/full`)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[1] / "src"),
        "CARTCOST_BASE_RATES": str(MINI),
    }
    code = "import os, sys, runpy; " + (
        "os.close(1); "
        if how == "closed"
        else "fd = os.open('/dev/full', os.O_WRONLY); os.dup2(fd, 1); "
    )
    code += f"sys.argv = ['cartcost', *{args!r}]; runpy.run_module('cartcost', run_name='__main__')"
    return subprocess.run(
        [sys.executable, "-c", code],
        input="country,indication\nCN,MM\n",
        stdout=subprocess.DEVNULL if how == "closed" else None,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("how", ["closed", "full"])
@pytest.mark.parametrize("args", STDOUT_COMMANDS, ids=[" ".join(a) for a in STDOUT_COMMANDS])
def test_stdout_closed_or_full_is_a_message(args: list[str], how: str) -> None:
    proc = _closed_stdout_run(args, how)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write to standard output" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert_one_screen(proc.stderr)


def test_an_ascii_only_stdout_is_a_message_naming_the_encoding() -> None:
    proc = _cartcost("estimate", "-c", "CN", "-i", "MM", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 2, proc.stderr
    assert "standard output uses the ascii encoding" in proc.stderr
    assert "PYTHONIOENCODING=utf-8" in proc.stderr
    assert_one_screen(proc.stderr)


@pytest.mark.parametrize("columns", ["0", "5", "19", "99999", "\u0663"])
def test_a_width_no_table_fits_is_a_message(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2
    assert "COLUMNS" in result.stderr and "20 to 4,096" in result.stderr
    assert result.stdout == ""


def test_a_non_numeric_width_is_ignored_as_rich_ignores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "wide")
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 0 and "Total" in result.stdout


# ---------------------------------------------------------------- batch files that are not data


def _batch(tmp_path: Path, content: str | bytes, *extra: str) -> tuple[Result, Path]:
    source = tmp_path / "in.txt"
    if isinstance(content, str):
        source.write_text(content, encoding="utf-8")
    else:
        source.write_bytes(content)
    return run("batch", str(source), "--no-progress", *extra), source


def test_an_unclosed_quote_stops_the_batch_naming_its_row(tmp_path: Path) -> None:
    rows = "".join(f"CN,MM,{i % 3}\n" for i in range(50))
    result, source = _batch(tmp_path, 'country,indication,caregivers\nCN,MM,1\nCN,"MM,1\n' + rows)
    assert result.exit_code == 2
    err = result.stderr
    assert "row 3 opens a quoted cell that is not closed" in err
    assert str(source) in err
    assert_one_screen(err)


def test_a_header_cell_over_128_kb_is_a_message(tmp_path: Path) -> None:
    for header in ('"' + "c" * 140_000 + '"', '"' + "c\n" * 70_000 + '"'):
        result, _ = _batch(tmp_path, header + ",indication\nCN,MM\n")
        assert result.exit_code == 2
        assert "internal error" not in result.stderr
        assert_one_screen(result.stderr)


def test_one_endless_line_is_refused_with_memory_bounded(tmp_path: Path) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = '{"country": "' + "C" * 20_000_000 + '"}\n'  # 20 MB on one line
    result, _ = _batch(tmp_path, '{"country": "CN", "indication": "MM"}\n' + line)
    assert result.exit_code == 2
    assert "line 2 is longer than 16,384 characters" in result.stderr
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 100_000  # well under the 20 MB line (x 4 as text) it never read whole


def test_duplicate_column_check_is_linear(tmp_path: Path) -> None:
    """names.count() for every name took 195 s on a 0.5 MB header; the CLI now stops such
    a header at its line length, and the check itself is linear."""
    import time

    from cartcost.batch import column_layout
    from cartcost.errors import UsageProblem

    header = ["country"] * 60_000 + ["indication"]
    started = time.monotonic()
    with pytest.raises(UsageProblem, match="names a column twice: country"):
        column_layout(header)
    assert time.monotonic() - started < 2
    result, _ = _batch(tmp_path, ",".join(header) + "\nCN,MM\n")
    assert result.exit_code == 2
    assert "line 1 is longer than" in result.stderr


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("CN,MM,1_0", "plain digits, got '1_0'"),
        ("CN,MM,\u0661", "plain digits"),
        ("CN,MM,+1", "plain digits"),
        ("\u0131n,MM,1", "unknown country '\u0131n'"),
        ("CN,\u217fM,1", "unknown indication"),
    ],
)
def test_batch_cells_are_exactly_what_they_look_like(row: str, needle: str, tmp_path: Path) -> None:
    result, _ = _batch(tmp_path, f"country,indication,caregivers\n{row}\n")
    assert result.exit_code == 1
    assert needle in result.stdout


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"country": "CN", "indication": "MM", "country": "US"}', "field 'country' given twice"),
        ('{"country": "CN", "indication": "MM", "caregivers": NaN}', "NaN is not a number"),
        ('{"country": "CN", "indication": "MM", "caregivers": -0.0}', "whole number or text"),
        ('{"country": "CN", "indication": "MM", "caregivers": "1_0"}', "plain digits"),
    ],
)
def test_json_lines_keys_are_unique_and_numbers_plain(
    line: str, needle: str, tmp_path: Path
) -> None:
    result, _ = _batch(tmp_path, line + "\n")
    assert result.exit_code == 1
    assert needle in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_batch_input_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    result = run("batch", str(fifo), "--no-progress")
    assert result.exit_code == 2
    assert "FIFO" in result.stderr and "- to read stdin" in result.stderr


def test_a_negative_zero_figure_exports_as_zero(tmp_path: Path) -> None:
    overlay = tmp_path / "zero.toml"
    overlay.write_text(
        '[countries.CN.hospital.bridging]\nrange = [-0.0, -0.0]\ncurrency = "CNY"\n'
        'sources = ["guess"]\n'
    )
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "--rates", str(overlay))
    assert result.exit_code == 0, result.stderr
    assert "'-0" not in result.stdout and ",-0," not in result.stdout


# ---------------------------------------------------------------- crash output


def test_every_command_is_guarded() -> None:
    """Each command's callback is wrapped by output.guard, so no exception escapes raw."""
    import typer

    from cartcost.cli import app

    def callbacks(t: typer.Typer, prefix: str) -> list[tuple[str, object]]:
        found = [(f"{prefix}{c.name}", c.callback) for c in t.registered_commands]
        for group in t.registered_groups:
            assert group.typer_instance is not None
            found += callbacks(group.typer_instance, f"{prefix}{group.name} ")
        return found

    from cartcost.cli.output import guard

    wrapper_code = guard(lambda: None).__code__
    found = callbacks(app, "")
    assert len(found) >= 5
    for name, callback in found:
        assert getattr(callback, "__code__", None) is wrapper_code, f"{name} is not @guard-ed"


def test_pretty_exceptions_never_show_locals() -> None:
    from cartcost.cli import app

    assert app.pretty_exceptions_show_locals is False


CRASH = textwrap.dedent(
    """
    import sys
    import cartcost.estimation

    def boom(rates, scenario):
        patient_name = "Jane Secretname"  # a local: must never be printed
        raise {error}

    cartcost.estimation.estimate = boom
    from cartcost.cli import main
    sys.argv = ["cartcost", "estimate", "-c", "CN", "-i", "MM", "-F", "json"]
    main()
    """
)


def _crash(error: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CARTCOST_DEBUG")}
    environ.update(
        CARTCOST_BASE_RATES=str(MINI),
        PYTHONPATH=str(Path(__file__).parents[1] / "src"),
        COLUMNS="100",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", CRASH.format(error=error)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "error",
    [
        'RuntimeError("card 4111 1111 1111 1111")',
        "ZeroDivisionError()",
        "RecursionError()",
        "MemoryError()",
        'OSError(28, "No space left on device")',
    ],
)
def test_internal_error_is_short_and_says_report_it(error: str) -> None:
    proc = _crash(error)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert "internal error" in proc.stderr and "report" in proc.stderr
    assert "4111" not in proc.stderr and "Secretname" not in proc.stderr
    assert len(proc.stderr.splitlines()) <= 3
    assert_one_screen(proc.stderr)


def test_debug_traceback_still_hides_locals() -> None:
    """CARTCOST_DEBUG=1 shows the traceback (for a bug report), but never the locals."""
    proc = _crash('RuntimeError("boom")', CARTCOST_DEBUG="1")
    assert proc.returncode != 0
    assert "boom" in proc.stderr  # the traceback is there...
    assert "Secretname" not in proc.stderr  # ...the patient's name is not


def test_keyboard_interrupt_is_one_line_exit_130() -> None:
    proc = _crash("KeyboardInterrupt()")
    assert proc.returncode == 130
    assert proc.stderr.strip() == "cartcost: interrupted"


def test_usage_error_with_an_enormous_value_fits_one_screen() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--format", LONG)
    assert result.exit_code == 2
    assert_one_screen(result.stderr)
