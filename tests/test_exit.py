"""`cartcost` (cli.run) ends without the interpreter's teardown: codes, output and files
must come out exactly as with a normal exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cartcost.cli import root
from tests.conftest import MINI

# Every check here starts fresh processes: the slow step runs it (python -m pytest -m slow).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]


def cartcost(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PYTHONPATH": str(ROOT / "src"),
        "CARTCOST_BASE_RATES": str(MINI),
        "CARTCOST_CACHE_DIR": str(cache),
        "CARTCOST_CONFIG_DIR": str(cache / "no-config"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return subprocess.run(
        [sys.executable, "-m", "cartcost", *args], env=env, capture_output=True, text=True
    )


def test_output_codes_and_files_come_out_whole(tmp_path: Path) -> None:
    done = cartcost("estimate", "-c", "CN", "-i", "MM", "-F", "json", cache=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["total"]["low"] > 0  # the whole document, parsed

    out = tmp_path / "cn.csv"
    done = cartcost("estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", str(out), cache=tmp_path)
    assert done.returncode == 0
    assert out.read_text().splitlines()[-1].startswith("CN,MM,")  # the total row

    done = cartcost("estimate", "-c", "XX", "-i", "MM", cache=tmp_path)
    assert done.returncode == 2 and "unknown country 'XX'" in done.stderr
    done = cartcost("estimate", "-c", "US", "-i", "MM", cache=tmp_path)
    assert done.returncode == 1 and "no offer for MM in US" in done.stderr
    done = cartcost("estimate", "--bogus", cache=tmp_path)
    assert done.returncode == 2 and "No such option" in done.stderr


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CARTCOST_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        f"{sys.executable} -m cartcost sources -F json | head -c 20",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
    )
    assert len(done.stdout) == 20
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


class Exited(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@pytest.mark.parametrize(
    ("raised", "status"), [(None, 0), (0, 0), (1, 1), (2, 2), (256 + 3, 3), ("oops", 1)]
)
def test_run_leaves_with_the_status_python_would_give(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], raised: object, status: int
) -> None:
    def fake_main() -> None:
        raise SystemExit(raised)

    def fake_exit(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(root, "main", fake_main)
    monkeypatch.setattr(root.os, "_exit", fake_exit)
    monkeypatch.setattr(root.sys, "gettrace", lambda: None)
    monkeypatch.setattr(root.sys, "getprofile", lambda: None)
    with pytest.raises(Exited) as left:
        root.run()
    assert left.value.status == status
    assert capsys.readouterr().err == ("oops\n" if raised == "oops" else "")


def test_under_a_tracer_run_exits_the_usual_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_main() -> None:
        raise SystemExit(3)

    def no_exit(code: int) -> None:
        pytest.fail("os._exit under a tracer")

    monkeypatch.setattr(root, "main", fake_main)
    monkeypatch.setattr(root.os, "_exit", no_exit)
    monkeypatch.setattr(root.sys, "gettrace", lambda: object())
    with pytest.raises(SystemExit) as left:
        root.run()
    assert left.value.code == 3
