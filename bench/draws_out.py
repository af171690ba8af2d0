"""Memory and speed of `--draws-out` as the draws grow. Not a test: prints figures.

    python bench/draws_out.py                        # 100k, 1M and 10M draws, CSV
    python bench/draws_out.py --draws 100000,1000000
    python bench/draws_out.py --format parquet       # with pyarrow installed

For each number of draws it runs, in a fresh process,

    cartcost estimate -c CN -i MM --from NZ --draws N --draws-out DIR/draws.EXT -F json

and prints the wall time, the draws per second, the size of the two files written (the
long table and its .params companion), their rows, and the peak resident memory of the
process (ru_maxrss from wait4). The draws are written chunk by chunk as they are made, so
the peak should stay flat as N grows (issue 17: memory bounded at ten million draws).
The files are deleted after each run unless --keep names a directory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cartcost_command, environment, machine

SCENARIO = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ")


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def run(draws: int, out: Path, env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB) of one run writing the draws to `out`."""
    args = [*cartcost_command(), *SCENARIO, "--draws", str(draws), "--draws-out", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*args, "-F", "json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"cartcost failed at {draws:,} draws: {err.strip()}")
    return wall, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--draws", default="100000,1000000,10000000", help="comma-separated")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--keep", type=Path, help="write the files here and keep them")
    a = ap.parse_args()
    sizes = [int(x) for x in a.draws.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        env, table = environment(Path(tmp) / "cache")
        print(machine())
        print(f"cartcost: {' '.join(cartcost_command())}; {table}")
        print(f"scenario: cartcost {' '.join(SCENARIO)}; --draws-out as .{a.format}\n")
        print(
            f"{'draws':>12} {'wall s':>8} {'draws/s':>10} {'MB written':>11} "
            f"{'rows':>13} {'peak MiB':>9}"
        )
        for n in sizes:
            where = a.keep or Path(tmp)
            where.mkdir(parents=True, exist_ok=True)
            out = where / f"draws-{n}.{a.format}"
            params = where / f"draws-{n}.params.{a.format}"
            wall, peak = run(n, out, env)
            size = (out.stat().st_size + params.stat().st_size) / 1e6
            rows = count_lines(out) - 1 if a.format == "csv" else 0
            print(
                f"{n:>12,} {wall:>8.1f} {n / wall:>10,.0f} {size:>11,.0f} "
                f"{rows:>13,} {peak / 1024:>9.1f}"
            )
            if a.keep is None:
                out.unlink()
                params.unlink()


if __name__ == "__main__":
    main()
