"""Time of `--budget` over a plain estimate. Not a test: prints figures.

    python bench/budget.py                 # CN MM from NZ, 2 caregivers; 15 runs each
    python bench/budget.py --runs 31 --draws 100000 -c US -i LBCL --from GB

In one process (the table loaded and NumPy imported once, as a long-running caller
would), it times, as the median of --runs runs:

  1. estimate()                      the plain estimate (the core)
  2. estimate() + simulate()         the same with --draws draws (default 100,000)
  3. the same with --drivers
  4. `cartcost estimate ... -F json` through the CLI (in-process, Typer's test runner),
     without and with --budget: parsing, table load, estimate, render, output

and prints each with its difference over the plain estimate. It also prints what a
fresh process pays once for `import numpy` (only a --budget run imports it).

Target (issue 12; was 150 ms in issue 7): 100,000 draws within 120 ms over the plain
estimate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MINI, REAL, ROOT, machine

TARGET_MS = 120.0


FASTEST: dict[str, float] = {}


def median_ms(fn: Callable[[], object], runs: int, name: str = "") -> float:
    fn()  # warm: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    FASTEST[name] = min(times) * 1000
    return statistics.median(times) * 1000


def numpy_import_ms(runs: int = 5) -> float:
    """A fresh interpreter with `import numpy`, minus one without."""

    def fresh(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    with_np = statistics.median(fresh("import numpy") for _ in range(runs))
    without = statistics.median(fresh("pass") for _ in range(runs))
    return (with_np - without) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("-c", "--country", default="CN")
    parser.add_argument("-i", "--indication", default="MM")
    parser.add_argument("--from", dest="origin", default="NZ")
    parser.add_argument("--caregivers", type=int, default=2)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.pop("CARTCOST_RATES", None)
    table_path = REAL if REAL.is_file() else MINI
    os.environ["CARTCOST_BASE_RATES"] = str(table_path)

    from typer.testing import CliRunner

    from cartcost.budget import simulate
    from cartcost.cli import app
    from cartcost.estimation import estimate
    from cartcost.ratesfile import load_rates
    from cartcost.scenario import Scenario

    rates, _ = load_rates()
    scenario = Scenario(
        args.country, args.indication, origin=args.origin, caregivers=args.caregivers
    )
    est = estimate(rates, scenario)
    print(f"machine: {machine()}")
    print(f"table:   {table_path.relative_to(ROOT)}; events: {', '.join(rates.events) or 'none'}")
    print(
        f"journey: {args.country} {args.indication} from {args.origin}, "
        f"{args.caregivers} caregivers: {len([i for i in est.items if i.amount])} lines, "
        f"{len(est.offers)} offers; median of {args.runs} runs, {args.draws:,} draws"
    )
    print(f"fresh-process `import numpy` (paid once, by --budget only): {numpy_import_ms():.0f} ms")
    print()

    plain = median_ms(lambda: estimate(rates, scenario), args.runs, "plain")
    budget = median_ms(
        lambda: simulate(rates, estimate(rates, scenario), args.draws), args.runs, "budget"
    )
    drivers = median_ms(
        lambda: simulate(rates, estimate(rates, scenario), args.draws, drivers=True),
        args.runs,
        "drivers",
    )
    runner = CliRunner()
    base = [
        "estimate",
        "-c",
        args.country,
        "-i",
        args.indication,
        "--from",
        args.origin,
        "--caregivers",
        str(args.caregivers),
        "-F",
        "json",
    ]

    def cli(*extra: str) -> Callable[[], object]:
        def run() -> object:
            result = runner.invoke(app, [*base, *extra])
            assert result.exit_code == 0, result.output
            return result

        return run

    cli_plain = median_ms(cli(), args.runs, "cli_plain")
    cli_budget = median_ms(cli("--budget", "--draws", str(args.draws)), args.runs, "cli_budget")

    rows = [
        ("core: estimate()", plain, None, "plain"),
        (f"core: estimate() + simulate({args.draws:,})", budget, budget - plain, "budget"),
        ("core: the same with drivers", drivers, drivers - plain, "drivers"),
        ("cli: estimate -F json", cli_plain, None, "cli_plain"),
        ("cli: estimate -F json --budget", cli_budget, cli_budget - cli_plain, "cli_budget"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'median':>11}  {'fastest':>10}")
    for name, ms, extra, key in rows:
        over = "" if extra is None else f"   +{extra:7.1f} ms over plain"
        print(f"{name:<{width}}  {ms:8.1f} ms  {FASTEST[key]:7.1f} ms{over}")
    worst = max(budget - plain, cli_budget - cli_plain)
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"\ntarget: +{TARGET_MS:.0f} ms for {args.draws:,} draws: {verdict} (+{worst:.1f} ms)")


if __name__ == "__main__":
    main()
