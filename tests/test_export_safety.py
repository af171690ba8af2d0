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

from cartcost.exports.csvjson import csv_text, safe_cell
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


# ---------------------------------------------------------------- outputs never destroy inputs
#
# An output that is the same file as an input of the command (a batch INPUT, an overlay,
# a scenario or config file, the base table) or as another output is refused with exit
# 2, naming both, before anything is written. Identity is the file's device and inode,
# so a symlink or another spelling of the path is caught too.

BATCH_INPUT = "country,indication\nCN,MM\n"


def _batch_input(tmp_path: Path) -> Path:
    source = tmp_path / "in.csv"
    source.write_text(BATCH_INPUT)
    return source


def _spellings(tmp_path: Path, target: Path) -> list[str]:
    """The same file by several names: as given, relative detour, symlink, hard link."""
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    hard = tmp_path / "hard.csv"
    os.link(target, hard)
    return [
        str(target),
        str(tmp_path / "." / ".." / tmp_path.name / target.name),
        str(link),
        str(hard),
    ]


@pytest.mark.parametrize("option", ["-o", "--errors"])
@pytest.mark.parametrize("spelling", range(4))
def test_batch_never_writes_over_its_input(option: str, spelling: int, tmp_path: Path) -> None:
    source = _batch_input(tmp_path)
    target = _spellings(tmp_path, source)[spelling]
    result = run("batch", str(source), option, target, "--no-progress")
    assert result.exit_code == 2, result.output
    assert "same file as the batch INPUT" in result.stderr
    assert source.read_text() == BATCH_INPUT
    assert _leftovers(tmp_path) == []


def test_batch_input_through_a_link_is_the_same_file(tmp_path: Path) -> None:
    source = _batch_input(tmp_path)
    link = tmp_path / "alias.csv"
    link.symlink_to(source)
    result = run("batch", str(link), "-o", str(source), "--no-progress")
    assert result.exit_code == 2
    assert source.read_text() == BATCH_INPUT


def test_batch_output_and_errors_may_not_be_one_file(tmp_path: Path) -> None:
    source = _batch_input(tmp_path)
    out = tmp_path / "out.csv"
    result = run("batch", str(source), "-o", str(out), "--errors", f"{tmp_path}/./out.csv")
    assert result.exit_code == 2
    assert "same file" in result.stderr and "--errors" in result.stderr
    assert not out.exists()


def test_an_export_never_replaces_the_overlay_it_was_computed_from(tmp_path: Path) -> None:
    overlay = tmp_path / "quote.toml"
    overlay.write_text("[fx.rates]\nCNY = 7\n")
    before = overlay.read_text()
    for args in (
        ["estimate", "-c", "CN", "-i", "MM", "-F", "csv"],
        ["compare", "-i", "MM", "-F", "csv"],
        ["rates", "show", "-F", "toml"],
        ["sources", "-F", "csv"],
    ):
        result = run(*args, "--rates", str(overlay), "-o", str(overlay))
        assert result.exit_code == 2, (args, result.output)
        assert "same file as the overlay" in result.stderr
        assert overlay.read_text() == before


def test_an_export_never_replaces_the_scenario_config_or_base_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "family.toml"
    scenario.write_text('country = "CN"\nindication = "MM"\n')
    result = run("estimate", "--scenario", str(scenario), "-F", "csv", "-o", str(scenario))
    assert result.exit_code == 2 and "same file as the scenario file" in result.stderr
    assert "indication" in scenario.read_text()

    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    config = config_dir / "config.toml"
    config.write_text('[defaults]\nfrom = "NZ"\n')
    monkeypatch.setenv("CARTCOST_CONFIG_DIR", str(config_dir))
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(config))
    assert result.exit_code == 2 and "same file as the config file" in result.stderr
    assert config.read_text() == '[defaults]\nfrom = "NZ"\n'

    base = tmp_path / "base.toml"
    base.write_bytes(MINI.read_bytes())
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(base))
    result = run("countries", "-F", "csv", "-o", str(base))
    assert result.exit_code == 2 and "same file as the rate table" in result.stderr
    assert base.read_bytes() == MINI.read_bytes()


def test_compare_svg_and_output_may_not_be_one_file(tmp_path: Path) -> None:
    target = tmp_path / "x.svg"
    for other in (str(target), f"{tmp_path}/../{tmp_path.name}/x.svg"):
        result = run("compare", "-i", "MM", "--svg", str(target), "-o", other)
        assert result.exit_code == 2, result.output
        # Either refusal names both: the same file by any name, or (an .svg output being
        # the picture itself) one picture under two names.
        err = result.stderr
        assert "--svg" in err and ("same file" in err or "give the picture one name" in err)
        assert not target.exists()
    # A picture and a CSV that are one file through a link are refused as the same file.
    csv = tmp_path / "x.csv"
    result = run("compare", "-i", "MM", "--svg", str(csv), "-o", f"{tmp_path}/./x.csv")
    assert result.exit_code == 2 and "same file" in result.stderr


def test_scenario_init_never_replaces_its_own_input(tmp_path: Path) -> None:
    scenario = tmp_path / "family.toml"
    scenario.write_text('country = "CN"\nindication = "MM"\n')
    result = run("scenario", "init", str(scenario), "--scenario", str(scenario), "--force")
    assert result.exit_code == 2
    assert "same file as the scenario file" in result.stderr
    assert scenario.read_text() == 'country = "CN"\nindication = "MM"\n'


# ---------------------------------------------------------------- exports and links


def _shared_dir(tmp_path: Path) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: sticky, world-writable
    return shared


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a link as another user needs root")
def test_a_link_planted_by_another_user_in_a_shared_dir_is_refused(tmp_path: Path) -> None:
    """The attacker's link in /tmp pointing at the victim's file: writing through it
    would replace a file of the attacker's choosing."""
    shared = _shared_dir(tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    link = shared / "report.csv"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(link))
    assert result.exit_code == 2
    assert "symlink owned by another user" in result.stderr
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in shared.iterdir()) == ["report.csv"]


def test_my_own_link_in_a_shared_dir_is_followed(tmp_path: Path) -> None:
    shared = _shared_dir(tmp_path)
    mine = tmp_path / "mine.csv"
    mine.write_text("old\n")
    link = shared / "latest.csv"
    link.symlink_to(mine)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and mine.read_text().startswith("country,")


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_read_only_file_is_refused_unless_forced(mode: int, tmp_path: Path) -> None:
    target = _previous(tmp_path)
    target.chmod(mode)
    result = run(*ARGS, str(target))
    assert result.exit_code == 2
    assert "is read-only" in result.stderr and "--force" in result.stderr
    target.chmod(0o600)
    assert target.read_text() == PREVIOUS
    target.chmod(mode)
    forced = run(*ARGS, str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert target.stat().st_mode & 0o777 == mode  # replaced, its permissions kept
    target.chmod(0o600)
    assert json.loads(target.read_text())["currency"] == "USD"


@pytest.mark.parametrize("path", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "SAME"])
def test_dev_stdout_appends_as_the_shell_asked(path: str, tmp_path: Path) -> None:
    """`-o /dev/stdout >> log` appended to the log before; now the shell's fd is used."""
    if path.startswith("/proc") and not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    log = tmp_path / "log.csv"
    log.write_text("earlier line\n")
    target = str(log) if path == "SAME" else path
    env = {**os.environ, "PYTHONPATH": SRC, "CARTCOST_BASE_RATES": str(MINI)}
    with log.open("a") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cartcost",
                "estimate",
                "-c",
                "CN",
                "-i",
                "MM",
                "-F",
                "csv",
                "-o",
                target,
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    text = log.read_text()
    assert text.startswith("earlier line\ncountry,indication,")
    assert text.count("country,indication,") == 1
    assert not stat_is_link(log)


def stat_is_link(path: Path) -> bool:
    return path.is_symlink()


def test_stdout_as_output_beside_another_stdout_output_is_one_file(tmp_path: Path) -> None:
    result = run("compare", "-i", "MM", "--svg", "/dev/stdout")
    assert result.exit_code == 2
    assert "same file" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_without_a_reader_is_a_message_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(fifo))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert fifo.exists() and not fifo.is_file()  # still the FIFO


@pytest.mark.parametrize("length", [256, 300])
def test_an_output_name_too_long_is_a_message(length: int, tmp_path: Path) -> None:
    result = run(*ARGS, str(tmp_path / ("a" * length)))
    assert result.exit_code == 2
    assert "file name too long" in result.stderr
    assert "internal error" not in result.stderr


def test_an_output_name_at_the_limit_is_written(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 250)
    assert run(*ARGS, str(target)).exit_code == 0  # the temporary name is shortened
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o"],
        ["rates", "init"],
        ["scenario", "init", "-c", "CN", "-i", "MM"],
    ],
)
def test_a_file_name_that_is_not_utf8_is_written_and_shown_escaped(
    args: list[str], tmp_path: Path
) -> None:
    name = os.fsdecode(b"caf\xe9.out")  # Latin-1 bytes: not UTF-8
    if args[0] == "scenario":
        args = ["scenario", "init", str(tmp_path / name), *args[2:]]
    else:
        args = [*args, str(tmp_path / name)]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "caf\\xe9.out" in result.stderr
    assert (tmp_path / name).exists()


# ---------------------------------------------------------------- init never overwrites


@pytest.mark.parametrize(
    "command", [["rates", "init"], ["scenario", "init", "-c", "CN", "-i", "MM"]]
)
def test_init_never_overwrites_a_file_that_appears_meanwhile(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The existence check comes before the table is loaded; a file made in between
    (another process, another init) is kept: the new file takes its name by os.link."""
    import cartcost.ratesfile

    target = tmp_path / "new.toml"
    real = cartcost.ratesfile.load_rates

    def racing(*args: object, **kwargs: object) -> object:
        target.write_text("# someone else's\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cartcost.ratesfile, "load_rates", racing)
    args = [command[0], command[1], str(target), *command[2:]]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "exists" in result.stderr
    assert target.read_text() == "# someone else's\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "command", [["rates", "init"], ["scenario", "init", "-c", "CN", "-i", "MM"]]
)
def test_init_never_writes_through_a_dangling_link(command: list[str], tmp_path: Path) -> None:
    link = tmp_path / "new.toml"
    link.symlink_to(tmp_path / "elsewhere.toml")
    result = run(command[0], command[1], str(link), *command[2:])
    assert result.exit_code == 2
    assert not (tmp_path / "elsewhere.toml").exists()


@pytest.mark.parametrize("what", ["batch", "overlay"])
def test_stdout_appended_to_an_input_is_refused(what: str, tmp_path: Path) -> None:
    """`batch in.csv >> in.csv` read its own rows back without end; `--rates q.toml >>
    q.toml` appended a CSV to the overlay."""
    env = {**os.environ, "PYTHONPATH": SRC, "CARTCOST_BASE_RATES": str(MINI)}
    if what == "batch":
        target = _batch_input(tmp_path)
        args = ["batch", str(target), "--no-progress"]
    else:
        target = tmp_path / "quote.toml"
        target.write_text("[fx.rates]\nCNY = 7\n")
        args = ["estimate", "-c", "CN", "-i", "MM", "-F", "csv", "--rates", str(target)]
    before = target.read_text()
    with target.open("a") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "cartcost", *args],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2, proc.stderr
    assert "standard output is the same file as the" in proc.stderr
    assert target.read_text() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a link as another user needs root")
def test_a_planted_link_further_down_a_chain_is_refused(tmp_path: Path) -> None:
    """My own link pointing at a link another user planted in /tmp is no safer."""
    shared = _shared_dir(tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    planted = shared / "report.csv"
    planted.symlink_to(victim)
    os.lchown(planted, 65534, 65534)
    mine = tmp_path / "out.csv"
    mine.symlink_to(planted)
    result = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(mine))
    assert result.exit_code == 2
    assert "symlink owned by another user" in result.stderr
    assert victim.read_text() == "keep me\n"


def test_a_chain_of_my_own_links_is_followed_to_its_end(tmp_path: Path) -> None:
    real = _previous(tmp_path)
    first = tmp_path / "a.json"
    second = tmp_path / "sub" / "b.json"
    second.parent.mkdir()
    second.symlink_to(Path("..") / real.name)
    first.symlink_to(second)
    assert run(*ARGS, str(first)).exit_code == 0
    assert first.is_symlink() and second.is_symlink()
    assert json.loads(real.read_text())["currency"] == "USD"
