"""`cartcost batch` end to end against the fixture table: files, stdin, errors, interrupts."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clihelp import run
from tests.conftest import FIXTURES

SCENARIOS = FIXTURES / "batch-scenarios.csv"
SCENARIOS_JSONL = FIXTURES / "batch-scenarios.jsonl"
ROOT = Path(__file__).parents[1]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_summary_to_stdout() -> None:
    result = run("batch", str(SCENARIOS))
    assert result.exit_code == 0, result.stderr
    out = rows(result.stdout)
    assert [r["row"] for r in out] == ["2", "3", "4", "5"]
    cn = out[0]
    assert (cn["country"], cn["from"], cn["currency"]) == ("CN", "NZ", "NZD")
    assert (cn["total_low"], cn["total_high"]) == ("225120", "698900")  # test_estimate_model
    assert (cn["stay_days_low"], cn["stay_days_high"]) == ("53", "99")
    assert (cn["days_to_infusion_low"], cn["days_to_infusion_high"]) == ("25", "50")
    assert out[1]["total_low"] == "56630" and out[1]["currency"] == "GBP"
    assert all(r["error"] == "" for r in out)
    assert result.stderr == ""  # nothing to say on success to stdout


def test_json_lines_input_gives_the_same_output() -> None:
    from_csv = run("batch", str(SCENARIOS)).stdout
    result = run("batch", str(SCENARIOS_JSONL))
    assert result.exit_code == 0, result.stderr
    # Same scenarios, one per line from line 1 (the CSV has a header on line 1).
    assert [{**r, "row": ""} for r in rows(result.stdout)] == [
        {**r, "row": ""} for r in rows(from_csv)
    ]
    assert [r["row"] for r in rows(result.stdout)] == ["1", "2", "3", "4"]


def test_items_one_row_per_line_item_and_a_total(tmp_path: Path) -> None:
    result = run("batch", str(SCENARIOS), "--items")
    assert result.exit_code == 0
    out = rows(result.stdout)
    assert list(out[0])[18:24] == ["category", "item", "low", "high", "sources", "note"]
    for number in ("2", "3", "4", "5"):
        mine = [r for r in out if r["row"] == number]
        assert mine[-1]["category"] == "total"
        assert sum(Decimal(r["low"]) for r in mine[:-1] if r["low"]) == Decimal(mine[-1]["low"])
    assert [r for r in out if r["row"] == "2"][-1]["low"] == "225120"


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = run("batch", str(SCENARIOS), "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"cartcost: wrote {target}: 4 rows, 0 failed\n"
    assert len(rows(target.read_text())) == 4
    assert leftovers(tmp_path) == []


def test_failed_rows_are_reported_and_the_batch_goes_on(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "country,indication,from,caregivers\n"
        "CN,MM,NZ,1\nXX,MM,NZ,1\nCN,MM,NZ,lots\nUS,MM,,\nCN,MM,NZ\nCN,MM,NZ,1\n",
    )
    target = tmp_path / "out.csv"
    result = run("batch", str(source), "-o", str(target))
    assert result.exit_code == 1
    out = rows(target.read_text())
    assert [r["row"] for r in out] == ["2", "3", "4", "5", "6", "7"]
    assert [bool(r["error"]) for r in out] == [False, True, True, True, True, False]
    assert out[5]["total_low"] == "225120"
    assert "unknown country 'XX'" in out[1]["error"] and out[1]["country"] == "XX"
    assert "6 rows, 4 failed; 1 repeated row reused (in the error column)" in result.stderr
    assert "row 3: unknown country 'XX'" in result.stderr
    assert "row 5: no offer for MM in US" in result.stderr
    assert "Traceback" not in result.output


def test_errors_file_takes_the_failed_rows(tmp_path: Path) -> None:
    source = write(tmp_path, "country,indication\nCN,MM\nXX,MM\nCN,MM\n")
    target, errors = tmp_path / "out.csv", tmp_path / "bad.csv"
    result = run("batch", str(source), "-o", str(target), "--errors", str(errors))
    assert result.exit_code == 1
    good = rows(target.read_text())
    assert [r["row"] for r in good] == ["2", "4"] and all(not r["error"] for r in good)
    bad = rows(errors.read_text())
    assert list(bad[0]) == [
        "row",
        "country",
        "indication",
        "product",
        "from",
        "caregivers",
        "currency",
        "lives_nearby",
        "pathway",
        "hospital",
        "living",
        "city",
        "age",
        "cover",
        "perspective",
        "reimbursement",
        "income",
        "transfer",
        "error",
    ]
    assert [(r["row"], r["country"]) for r in bad] == [("3", "XX")]
    assert f"3 rows, 1 failed; 1 repeated row reused (in {errors})" in result.stderr


def test_stdin_input() -> None:
    from typer.testing import CliRunner

    from cartcost.cli import app

    result = CliRunner().invoke(app, ["batch", "-"], input="country,indication,from\nCN,MM,NZ\n")
    assert result.exit_code == 0, result.stderr
    assert rows(result.stdout)[0]["total_high"] == "698900"


def test_no_cache_gives_the_same_output() -> None:
    assert run("batch", str(SCENARIOS), "--no-cache").stdout == run("batch", str(SCENARIOS)).stdout


def test_progress_bar_goes_to_stderr_only() -> None:
    plain_run = run("batch", str(SCENARIOS), "--no-progress")
    with_bar = run("batch", str(SCENARIOS), "--progress")
    assert with_bar.exit_code == 0
    assert with_bar.stdout == plain_run.stdout


def test_repeated_rows_are_reused_and_said_so(tmp_path: Path) -> None:
    source = write(tmp_path, "country,indication\n" + "CN,MM\n" * 1000)
    result = run("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0
    assert "1,000 rows, 0 failed; 999 repeated rows reused" in result.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "is empty"),
        ("country,indication,colour\nCN,MM,red\n", "unknown column 'colour'"),
        ("country,from\nCN,NZ\n", "no indication column"),
        ("CN,MM\n", "first row must name the columns"),
    ],
)
def test_malformed_input_is_exit_2_and_writes_nothing(
    tmp_path: Path, content: str, needle: str
) -> None:
    source = write(tmp_path, content)
    target = tmp_path / "out.csv"
    result = run("batch", str(source), "-o", str(target))
    assert result.exit_code == 2
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert not target.exists() and leftovers(tmp_path) == []


def test_binary_input_is_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run("batch", str(source))
    assert result.exit_code == 2
    assert "not a UTF-8 text file" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope.csv"], "file not found"),
        ([str(FIXTURES)], "is a directory"),
        ([str(SCENARIOS), "-o", "no/such/dir/out.csv"], "does not exist"),
        ([str(SCENARIOS), "-o", "same.csv", "--errors", "same.csv"], "same file"),
        ([str(SCENARIOS), "--errors", "-"], "--errors needs a file path"),
        ([], "Missing argument 'INPUT'"),
    ],
)
def test_bad_command_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], needle: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("batch", *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""


def test_interrupt_leaves_no_output_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cartcost.batch

    source = write(
        tmp_path, "country,indication,caregivers\n" + "".join(f"CN,MM,{i % 5}\n" for i in range(50))
    )
    target = tmp_path / "out.csv"
    target.write_text("the user's old file\n")
    real = cartcost.batch.outcome
    calls = {"n": 0}

    def interrupted(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cartcost.batch, "outcome", interrupted)
    result = run("batch", str(source), "-o", str(target), "--errors", str(tmp_path / "e.csv"))
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert target.read_text() == "the user's old file\n"
    assert not (tmp_path / "e.csv").exists()
    assert leftovers(tmp_path) == []


def test_sigterm_mid_batch_leaves_no_half_written_output(tmp_path: Path) -> None:
    """A real process, killed politely while it writes: no OUT, no temporary file."""
    source = tmp_path / "big.csv"
    with source.open("w") as handle:
        handle.write("country,indication,from,caregivers\n")
        for i in range(600_000):
            handle.write(f"CN,MM,NZ,{i % 4}\n")
    target = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cartcost", "batch", str(source), "-o", str(target)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    time.sleep(0.05)  # let it write a while
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_help_has_examples() -> None:
    for flag in ("-h", "--help"):
        result = run("batch", flag)
        assert result.exit_code == 0
        assert "Examples" in result.stdout and "cartcost batch" in result.stdout
        assert "--items" in result.stdout and "--errors" in result.stdout


def test_reader_closing_stdout_early_stops_quietly(tmp_path: Path) -> None:
    """`cartcost batch big.csv | head -1`: no traceback, no 'internal error'."""
    source = tmp_path / "big.csv"
    source.write_text("country,indication\n" + "CN,MM\n" * 200_000)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cartcost", "batch", str(source)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"row,country,")
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert stderr == ""


def test_rows_say_their_dates_and_items_who_pays_them(tmp_path: Path) -> None:
    """A batch file lifted out of context still says its FX and data dates; an --items
    row's paid_by and basis are the estimate's own (not neighbouring columns)."""
    source = tmp_path / "in.csv"
    source.write_text("country,indication,from,caregivers\nCN,MM,NZ,1\n")
    result = run("batch", str(source))
    assert result.exit_code == 0, result.stderr
    (row,) = rows(result.stdout)
    assert row["fx_as_of"] == "2026-01-02" and row["data_as_of"] == "2026-01-01"
    result = run("batch", str(source), "--items")
    items = rows(result.stdout)
    assert {r["fx_as_of"] for r in items} == {"2026-01-02"}
    priced = [r for r in items if r["low"] and r["category"] != "total"]
    assert priced and all(r["paid_by"] in ("family", "public", "insurer") for r in priced)
