"""Exports are safe to open and never half-written.

- CSV text cells that a spreadsheet would run as a formula (starting with =, +, -, @,
  tab or carriage return) are prefixed with a quote (OWASP CSV injection); numbers stay
  plain numbers. tests/corpus/hostile/formulas.toml is a valid overlay whose every name,
  id, title and note is a formula: every CSV export of every command must defuse it.
- --output is written to a temporary file beside the target and renamed: a failure or an
  interruption at any point leaves the previous file as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartcost.render.export import csv_text, safe_cell
from tests.clihelp import run
from tests.conftest import MINI

HOSTILE = Path(__file__).parent / "corpus" / "hostile" / "formulas.toml"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
SRC = str(Path(__file__).parents[1] / "src")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except InvalidOperation:
        return False
    return cell.strip() == cell and cell[:1].isdigit()


def assert_csv_safe(text: str) -> list[list[str]]:
    rows = cells(text)
    assert len(rows) >= 2
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), (cell, row)
    return rows


# ---------------------------------------------------------------- CSV injection


@given(st.text(max_size=30))
def test_safe_cell_defuses_exactly_the_formula_starts(text: str) -> None:
    out = safe_cell(text)
    assert not out.startswith(FORMULA_START)
    assert "\r" not in out  # a bare CR would split the row in a spreadsheet
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(FORMULA_START):
        assert out == "'" + text  # kept whole, one quote in front
    else:
        assert out == text
    # Through a real CSV writer and reader, the cell comes back whole, in one row.
    rows = list(csv.reader(io.StringIO(csv_text(["h"], [[text + "\r=1"]]), newline="")))
    assert rows == [["h"], [safe_cell(text + "\r=1")]]


def test_numbers_are_never_quoted() -> None:
    rows = cells(csv_text(["a", "b", "c"], [[Decimal("-1.5"), 0, "12.50"]]))
    assert rows[1] == ["-1.5", "0", "12.50"]


HOSTILE_COMMANDS = [
    ["estimate", "-c", "CN", "-i", "=MM"],
    ["estimate", "-c", "CN", "-i", "=MM", "--from", "GB", "--sources"],
    ["estimate", "-c", "CN", "-i", "=MM", "--budget", "--draws", "1000", "--seed", "1"],
    ["compare", "-i", "=MM", "-c", "CN"],
    ["compare", "-i", "MM", "-c", "CN", "--by", "product"],
    ["sources"],
    ["products"],
    ["indications"],
    ["countries"],
]


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=[" ".join(a) for a in HOSTILE_COMMANDS])
def test_hostile_overlay_is_defused_in_every_csv(args: list[str]) -> None:
    result = run(*args, "-F", "csv", "--rates", str(HOSTILE))
    assert result.exit_code == 0, result.stderr
    rows = assert_csv_safe(result.stdout)
    text = result.stdout
    # The hostile text is there, whole, behind its quote: nothing was dropped.
    assert any(c.startswith(("'=", "'+", "'-", "'@", "'\t")) for row in rows for c in row), text


def test_hostile_estimate_keeps_numbers_as_numbers() -> None:
    result = run("estimate", "-c", "CN", "-i", "=MM", "-F", "csv", "--rates", str(HOSTILE))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    product = rows[0]
    assert product["indication"] == "'=MM"
    assert product["product"] == "'+evil-cel"
    assert product["sources"].startswith("'=cmd|")
    assert product["note"] == "'-1+1"
    # CNY 700,000-900,000 at 7 CNY/USD.
    assert (product["low"], product["high"]) == ("100000", "128571.43")
    for row in rows:
        for column in ("low", "high"):
            assert row[column] == "" or is_number(row[column]), row
    notes = {r["item"]: r["note"] for r in rows}
    assert notes["Lymphodepleting chemotherapy"] == "'\t=1"
    assert notes["Inpatient stay and monitoring"] == "'+44 20 7946 0000"


def test_hostile_text_is_plain_data_in_json() -> None:
    result = run("estimate", "-c", "CN", "-i", "=MM", "-F", "json", "--rates", str(HOSTILE))
    doc = json.loads(result.stdout)
    assert doc["scenario"]["indication"] == "=MM"  # JSON is data: no quote added
    assert doc["items"][0]["note"] == "-1+1"
    assert isinstance(doc["items"][0]["low"], int | float)


def test_hostile_batch_input_is_defused_in_output_and_errors(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "country,indication,from,caregivers\n"
        "CN,=MM,GB,1\n"
        '"=HYPERLINK(""https://evil.example"")",MM,,1\n'
        "@SUM(1),MM,,1\n"
    )
    errors = tmp_path / "errors.csv"
    result = run(
        "batch", str(source), "--rates", str(HOSTILE), "--errors", str(errors), "--no-progress"
    )
    assert result.exit_code == 1  # two rows fail: unknown countries
    assert_csv_safe(result.stdout)
    assert_csv_safe(errors.read_text())
    assert "evil.example" in errors.read_text()


def test_terminal_table_never_carries_escape_sequences() -> None:
    result = run("estimate", "-c", "CN", "-i", "=MM", "--sources", "--rates", str(HOSTILE))
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "=HYPERLINK" in result.stdout  # shown as the text it is


# ---------------------------------------------------------------- never half-written

ARGS = ["estimate", "-c", "CN", "-i", "MM", "-F", "json", "-o"]
PREVIOUS = '{"the": "previous export"}\n'


def _previous(tmp_path: Path) -> Path:
    target = tmp_path / "export.json"
    target.write_text(PREVIOUS)
    return target


def _leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))


def test_export_replaces_the_previous_file_whole(tmp_path: Path) -> None:
    target = _previous(tmp_path)
    target.chmod(0o640)
    result = run(*ARGS, str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["scenario"]["country"] == "CN"
    assert _leftovers(tmp_path) == []
    assert target.stat().st_mode & 0o777 == 0o640  # its permissions are kept


def test_new_export_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        result = run(*ARGS, str(tmp_path / "new.json"))
    finally:
        os.umask(umask)
    assert result.exit_code == 0
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644


def test_export_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = _previous(tmp_path)
    link = tmp_path / "latest.json"
    link.symlink_to(real.name)
    assert run(*ARGS, str(link)).exit_code == 0
    assert link.is_symlink()
    assert json.loads(real.read_text())["currency"] == "USD"


@pytest.mark.parametrize(
    ("where", "error", "code", "message"),
    [
        ("fsync", OSError(28, "No space left on device"), 2, "No space left on device"),
        ("replace", OSError(13, "Permission denied"), 2, "Permission denied"),
        ("fsync", KeyboardInterrupt(), 130, "interrupted"),
        ("replace", KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_failed_export_leaves_the_previous_file_intact(
    where: str,
    error: BaseException,
    code: int,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = _previous(tmp_path)

    def fail(*_: object) -> None:
        raise error

    monkeypatch.setattr(os, where, fail)
    result = run(*ARGS, str(target))
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert target.read_text() == PREVIOUS
    assert _leftovers(tmp_path) == []


def test_interrupted_streaming_export_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch writes row by row: an interruption after some rows keeps the old file."""
    import cartcost.estimation

    source = tmp_path / "in.csv"
    source.write_text("country,indication,caregivers\n" + "CN,MM,1\nCN,MM,2\nCN,MM,3\n" * 20)
    target = tmp_path / "out.csv"
    target.write_text(PREVIOUS)
    real = cartcost.estimation.estimate
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cartcost.estimation, "estimate", flaky)
    result = run("batch", str(source), "-o", str(target), "--no-cache", "--no-progress")
    assert result.exit_code == 130
    assert calls["n"] == 5
    assert target.read_text() == PREVIOUS
    assert _leftovers(tmp_path) == []


SLOW_WRITER = textwrap.dedent(
    """
    import os, sys, time, pathlib
    marker, target = pathlib.Path(sys.argv[1]), sys.argv[2]
    real_fsync = os.fsync

    def slow_fsync(fd):
        real_fsync(fd)
        marker.write_text("temporary file written")
        time.sleep(60)  # killed here, between writing and renaming

    os.fsync = slow_fsync
    from cartcost.cli import main
    sys.argv = ["cartcost", "estimate", "-c", "CN", "-i", "MM", "-F", "json", "-o", target]
    main()
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_export_leaves_the_previous_file(sig: signal.Signals, tmp_path: Path) -> None:
    target = _previous(tmp_path)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": SRC, "CARTCOST_BASE_RATES": str(MINI)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(marker), str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert marker.exists(), proc.communicate()[1]
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert target.read_text() == PREVIOUS  # the rename never happened
    assert "Traceback" not in stderr
    leftovers = _leftovers(tmp_path)
    if sig == signal.SIGINT:
        # Interrupted: cartcost cleans up after itself.
        assert proc.returncode == 130
        assert leftovers == []
    else:
        # Killed outright: nothing can run, but the half-done work is a hidden temporary
        # file beside the target, never the target itself.
        assert proc.returncode == -sig
        assert all(name.startswith(".export.json.") for name in leftovers)
