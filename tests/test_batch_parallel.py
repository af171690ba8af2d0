"""`batch --jobs N` (cartcost.batch_parallel) against tests/fixtures/mini.toml: rows
worked out in worker processes give the very output of one process, in input order,
failures and repeats included; Ctrl-C stops every process with one message."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cartcost.batch_parallel as parallel
from cartcost.batch import Failure, Stats, open_source, run
from cartcost.batch_extra import BudgetSpec, Layout
from cartcost.rates import Rates
from tests.clihelp import run as cli

ROOT = Path(__file__).parents[1]

GOOD = [
    "CN,MM,,NZ,1,,",
    "CN,MM,,GB,2,GBP,",
    "US,LBCL,,NZ,0,USD,",
    "US,LBCL,,US,1,,true",
    "CN,MM,,,3,,",
    "CN,MM,,US,1,USD,",
]
BAD = [
    "CN,MM,,XX,1,,",  # unknown origin
    "CN,MM,,NZ,two,,",  # not a number
    "too,few",  # wrong number of cells
    "ZZ,MM,,NZ,1,,",  # unknown country
]
HEADER = "country,indication,product,from,caregivers,currency,lives_nearby\n"


def scenarios(n: int) -> str:
    """n rows cycling through good and bad ones, so rows repeat far apart and close by."""
    pool = GOOD + BAD
    return HEADER + "".join(pool[(i * 7) % len(pool)] + "\n" for i in range(n))


def outcomes(
    rates: Rates, text: str, jobs: int, stats: Stats | None = None, **kw: object
) -> list[tuple[int, object]]:
    source = open_source(io.StringIO(text, newline="").readlines())
    return list(run(rates, source, jobs=jobs, stats=stats, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("cache_size", [None, 0])
def test_workers_give_the_output_of_one_process(
    mini_rates: Rates, monkeypatch: pytest.MonkeyPatch, cache_size: int | None
) -> None:
    monkeypatch.setattr(parallel, "CHUNK", 7)  # many chunks, and memo hits between them
    text = scenarios(120)
    one, many = Stats(), Stats()
    expected = outcomes(mini_rates, text, 1, one, cache_size=cache_size)
    got = outcomes(mini_rates, text, 3, many, cache_size=cache_size)
    assert got == expected
    assert [row for row, _ in got] == list(range(2, 122))
    assert sum(isinstance(r, Failure) for _, r in got) == 120 * len(BAD) // len(GOOD + BAD)
    assert (many.rows, many.failed) == (one.rows, one.failed) == (120, 48)
    if cache_size == 0:
        assert many.computed == one.computed == 120
    else:
        # Repeats are reused once their first copy is back from a worker.
        assert one.computed < many.computed <= 120


def test_items_and_layouts_come_out_the_same(mini_rates: Rates) -> None:
    text = scenarios(40)
    assert outcomes(mini_rates, text, 2, items=True) == outcomes(mini_rates, text, 1, items=True)
    layout = Layout(jsonl=True, subtotals=True, budget=BudgetSpec(draws=1000, seed=7))
    assert outcomes(mini_rates, text, 2, layout=layout) == outcomes(
        mini_rates, text, 1, layout=layout
    )


def test_jobs_zero_means_one_per_cpu_and_bad_counts_are_usage_errors(tmp_path: Path) -> None:
    assert parallel.jobs_for(0) >= 1
    assert parallel.jobs_for(5) == 5
    source = tmp_path / "in.csv"
    source.write_text(HEADER + GOOD[0] + "\n")
    for bad in (-1, parallel.MAX_JOBS + 1):
        result = cli("batch", str(source), "--jobs", str(bad))
        assert result.exit_code == 2
        assert "--jobs" in result.stderr and "one per CPU" in result.stderr
        assert result.stdout == ""


def test_cli_jobs_writes_the_same_file(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(scenarios(60))
    one = cli("batch", str(source), "-o", str(tmp_path / "one.csv"))
    two = cli("batch", str(source), "-j", "2", "-o", str(tmp_path / "two.csv"))
    assert one.exit_code == two.exit_code == 1  # some rows fail; the batch goes on
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    assert "60 rows, 24 failed" in one.stderr and "60 rows, 24 failed" in two.stderr


def _big_batch(tmp_path: Path, own_group: bool = False) -> tuple[subprocess.Popen[bytes], Path]:
    """`cartcost batch --jobs 2` on 300,000 rows in a real process (long enough to be
    interrupted): the process and its OUT. own_group: a process group of its own, with
    Ctrl-C's default action, as a shell gives a job in the foreground."""
    source = tmp_path / "big.csv"
    with source.open("w") as handle:
        handle.write(HEADER)
        for i in range(300_000):
            handle.write(f"CN,MM,,NZ,{i % 4},,\n")
    target = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = ["batch", str(source), "-o", str(target), "--no-cache", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cartcost", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=own_group,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if own_group else None,
    )
    return proc, target


def test_ctrl_c_stops_the_workers_with_one_message(tmp_path: Path) -> None:
    proc, target = _big_batch(tmp_path, own_group=True)  # Ctrl-C reaches the whole group
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert stderr.decode().strip() == "cartcost: interrupted"
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("wait", [1.5, 0.0])
def test_a_worker_killed_mid_batch_stops_it_cleanly(tmp_path: Path, wait: float) -> None:
    # 1.5 s: mid-batch. 0: as soon as the first worker exists, while the pool starts
    # (the next chunk's submit then finds the pool broken: it once escaped as an
    # internal error).
    proc, target = _big_batch(tmp_path)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while proc.poll() is None and time.monotonic() < deadline and len(workers) < (2 if wait else 1):
        time.sleep(0.01)
        workers = _children(proc.pid)
    assert proc.poll() is None and workers, "no workers seen"
    time.sleep(wait)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    message = stderr.decode()
    assert "a worker process stopped" in message and "--jobs" in message
    assert "Traceback" not in message
    assert not target.exists()
    # The other worker ends too (gone, or a zombie until init reaps it).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in workers[1:]):
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers[1:])


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _PoolBrokenAtSubmit:
    """A pool whose workers are gone before anything reaches them: submit refuses."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def submit(self, *args: object, **kwargs: object) -> object:
        from concurrent.futures.process import BrokenProcessPool

        raise BrokenProcessPool("A child process terminated abruptly")

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def test_a_pool_broken_before_a_chunk_is_sent_is_the_same_clean_error(
    mini_rates: Rates, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cartcost.errors import CartcostError

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _PoolBrokenAtSubmit)
    with pytest.raises(CartcostError) as info:
        outcomes(mini_rates, scenarios(600), jobs=2)
    assert "a worker process stopped before finishing rows 2-" in info.value.message
    assert "OUT is not written" in info.value.message
