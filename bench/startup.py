"""Start-up time of cartcost against a hello-world Typer app. Not a test: prints figures.

    python bench/startup.py            # 25 interleaved rounds
    python bench/startup.py --runs 50

Each round runs every command once, in the same order, so that a slow patch of the
machine hits all of them alike; the figure is the median wall time over the rounds. A
command that fails (e.g. one not built yet) is reported and skipped, not timed.

Targets, as ratios to the hello-world Typer app: `--version` <= 1.05 (issue 8); the plain
`estimate` with its likely total <= 1.35 and `compare` over every country, each with its
likely total, <= 1.5 (issue 12).

Two rows are for information: the estimate when the table cache cannot be used, and the
estimate ending as a plain Python program does (with the interpreter's teardown, which
the `cartcost` program skips once its output is flushed: see cli/root.py `run`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cartcost_command, environment, machine

HELLO = '''\
import typer

app = typer.Typer()


@app.command()
def main(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
'''

# Issue 12: the plain estimate now draws its likely total (and compare one per country).
TARGETS = {
    "cartcost --version": 1.05,
    "cartcost estimate -c CN -i MM": 1.35,
    "cartcost estimate -c CN -i MM -F json": 1.35,
    "cartcost compare -i MM": 1.5,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25, help="rounds (at least 20)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--baseline",
        metavar="SRC",
        action="append",
        default=[],
        help="also time each cartcost command with this source tree (e.g. a copy of src/ "
        "before a change) on PYTHONPATH, in the same rounds; repeatable",
    )
    opts = parser.parse_args()
    runs = max(opts.runs, 20)

    work = Path(tempfile.mkdtemp(prefix="cartcost-startup-"))
    hello = work / "hello.py"
    hello.write_text(HELLO)
    env, table = environment(work / "cache")
    # An installed package has its bytecode compiled (pip does it); from a checkout, let
    # the warm-up rounds write it, or every round would time compiling the source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cc = cartcost_command()
    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "typer hello world": [sys.executable, str(hello)],
        "cartcost --version": [*cc, "--version"],
        "cartcost estimate -c CN -i MM": [*cc, "estimate", "--country", "CN", "--indication", "MM"],
        "cartcost estimate -c CN -i MM -F json": [
            *cc,
            "estimate",
            "--country",
            "CN",
            "--indication",
            "MM",
            "--format",
            "json",
        ],
        "cartcost compare -i MM": [*cc, "compare", "--indication", "MM"],
    }
    # For information: the same estimate when the validated-table cache cannot be used
    # (a cache directory that cannot exist), so every run parses and validates the table.
    uncached = "estimate -F json, no table cache"
    commands[uncached] = commands["cartcost estimate -c CN -i MM -F json"]
    envs = {uncached: {**env, "CARTCOST_CACHE_DIR": os.path.join(os.devnull, "cache")}}
    # And the table estimate ending as a plain Python program does, freeing every object
    # (cli.main; the `cartcost` program, cli.run, skips that teardown): what it saves.
    teardown = "estimate (table), with interpreter teardown"
    commands[teardown] = [
        sys.executable,
        "-c",
        "from cartcost.cli import main; main()",
        *commands["cartcost estimate -c CN -i MM"][len(cc) :],
    ]
    for src in opts.baseline:
        label = Path(src).resolve().name
        before = {**env, "PYTHONPATH": str(Path(src).resolve())}
        before["CARTCOST_CACHE_DIR"] = str(work / f"cache-{label}")
        for name in [n for n in commands if n.startswith("cartcost ") and "[" not in n]:
            commands[f"{name} [{label}]"] = [
                sys.executable,
                "-m",
                "cartcost",
                *commands[name][len(cc) :],
            ]
            envs[f"{name} [{label}]"] = before
    print(f"machine: {machine()}")
    print(f"cartcost: {' '.join(cc)}; {table}")
    print(f"{runs} interleaved rounds, {opts.warmup} warm-up rounds; median wall time\n")

    live: dict[str, list[str]] = {}
    for name, cmd in commands.items():
        done = subprocess.run(cmd, env=envs.get(name, env), capture_output=True)
        if done.returncode != 0:
            why = (done.stderr.decode().strip().splitlines() or ["no message"])[-1]
            print(f"skipped {name!r}: exit {done.returncode}: {why}")
            continue
        live[name] = cmd
    if "typer hello world" not in live:
        sys.exit("the hello-world Typer app does not run: is typer installed here?")

    times: dict[str, list[float]] = {name: [] for name in live}
    for round_ in range(opts.warmup + runs):
        for name, cmd in live.items():
            start = time.perf_counter()
            subprocess.run(
                cmd, env=envs.get(name, env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if round_ >= opts.warmup:
                times[name].append(time.perf_counter() - start)

    base = statistics.median(times["typer hello world"])
    print(f"{'command':<51} {'median ms':>9} {'vs typer':>8}  target")
    for name, samples in times.items():
        median = statistics.median(samples)
        ratio = median / base
        target = TARGETS.get(name.split(" [")[0])
        verdict = f"<= {target:.2f} {'met' if ratio <= target else 'NOT met'}" if target else ""
        print(f"{name:<51} {median * 1000:>9.1f} {ratio:>8.2f}  {verdict}")


if __name__ == "__main__":
    main()
