"""Throughput and memory of `cartcost batch`. Not a test: prints figures.

    python bench/batch.py                      # 10k, 100k and 1M rows, memo on
    python bench/batch.py --uncached 10000,100000
    python bench/batch.py --sizes 10000 --keep /tmp/batch-bench
    python bench/batch.py --budget             # --budget --subtotals: 1k and 10k rows
    python bench/batch.py --jobs 0             # rows worked out on every CPU (batch --jobs)

For each size it writes random valid scenarios (fixed seed) to a CSV, runs
`cartcost batch INPUT -o OUT` once in a fresh process, checks that every row came out
without an error, and prints the wall time, rows per second (with and without the
process start-up, measured on a header-only input) and the peak resident memory of the
process (ru_maxrss from wait4).

The scenarios are drawn like a population of patients: a destination and an indication
it offers (uniform); all products offered, or 10% one of them; no origin (10%), at home
(15%; of those 30% live near the centre) or any country of the table (uniform); 0-3
caregivers (10/60/25/5%); the origin's currency, or 10% USD. Such a population repeats: the number of distinct rows is printed, because
`batch` estimates each distinct row once (an exact memo) and reuses the result; runs
with --no-cache (--uncached) show the rate when every row is estimated afresh.

Targets (issue 8): >= 20,000 scenarios/s at 1M rows on one core; peak memory at 1M
within 1.2x of that at 10k; 1M rows take at most 110x the time of 10k.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, cartcost_command, environment, machine

SEED = 20261122
# How cartcost is run: cartcost_command(), or `python -m cartcost` with --src.
COMMAND: list[str] = cartcost_command()
HEADER = ("country", "indication", "product", "from", "caregivers", "currency", "lives_nearby")


def population(table_env: dict[str, str]) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """(destination, indication, products offered for it) and the countries, from the table."""
    os.environ["CARTCOST_BASE_RATES"] = table_env["CARTCOST_BASE_RATES"]
    sys.path.insert(0, str(ROOT / "src"))
    from cartcost.ratesfile import load_rates

    rates, _ = load_rates()
    pairs: dict[tuple[str, str], list[str]] = {}
    for cc in rates.destinations():
        for offer in rates.countries[cc].offers.values():
            if offer.pathway == "trial":
                continue  # estimated only with --pathway trial, which these rows do not ask
            for ind in offer.indications:
                pairs.setdefault((cc, ind), [])
                if offer.product not in pairs[(cc, ind)]:
                    pairs[(cc, ind)].append(offer.product)
    countries = sorted(
        cc
        for cc in rates.countries
        if all(rates.fare(cc, d) is not None for d in rates.destinations() if d != cc)
    )
    return [(cc, ind, prods) for (cc, ind), prods in sorted(pairs.items())], countries


def generate(path: Path, rows: int, env: dict[str, str], seed: int = SEED) -> int:
    """Write `rows` random valid scenarios; return how many distinct rows there are."""
    pairs, countries = population(env)
    rng = random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        for _ in range(rows):
            dest, ind, prods = rng.choice(pairs)
            product = rng.choice(prods) if rng.random() < 0.1 else ""
            r = rng.random()
            origin = "" if r < 0.1 else dest if r < 0.25 else rng.choice(countries)
            nearby = "true" if origin == dest and rng.random() < 0.3 else ""
            carers = rng.choices(("0", "1", "2", "3"), weights=(10, 60, 25, 5))[0]
            currency = "USD" if rng.random() < 0.1 else ""
            row = (dest, ind, product, origin, carers, currency, nearby)
            seen.add(row)
            out.writerow(row)
    return len(seen)


def run_batch(
    args: list[str], env: dict[str, str], input_path: Path, output: Path
) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one `cartcost batch` process."""
    cmd = [*COMMAND, "batch", str(input_path), "-o", str(output), *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    message = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"cartcost batch failed ({proc.returncode}):\n{message}")
    return wall, usage.ru_maxrss / 1024, proc.returncode


def count_rows(path: Path) -> tuple[int, int]:
    """(data rows, rows with an error) of a batch output."""
    rows = bad = 0
    with path.open(newline="") as handle:
        for rec in csv.DictReader(handle):
            rows += 1
            bad += bool(rec["error"])
    return rows, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="default 10000,100000,1000000")
    parser.add_argument(
        "--uncached", default=None, help="sizes to run with --no-cache (default 10000,100000)"
    )
    parser.add_argument(
        "--budget",
        action="store_true",
        help="run `batch --budget --subtotals` (P10/P50/P90 per row; default sizes 1000,10000)",
    )
    parser.add_argument("--draws", type=int, help="with --budget: draws per row")
    parser.add_argument(
        "--jobs", type=int, default=1, help="batch --jobs N: worker processes (0: one per CPU)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the best is kept")
    parser.add_argument("--keep", type=Path, help="write the inputs and outputs here")
    parser.add_argument(
        "--src",
        type=Path,
        help="run cartcost from this source tree (e.g. a copy of src/ before a change) "
        "instead of the installed or checked-out one",
    )
    opts = parser.parse_args()
    if opts.sizes is None:
        opts.sizes = "1000,10000" if opts.budget else "10000,100000,1000000"
    if opts.uncached is None:
        opts.uncached = "1000" if opts.budget else "10000,100000"
    sizes = [int(s) for s in opts.sizes.split(",") if s]
    uncached = [int(s) for s in opts.uncached.split(",") if s]
    extra = ["--budget", "--subtotals"] if opts.budget else []
    if opts.budget and opts.draws:
        extra += ["--draws", str(opts.draws)]
    if opts.jobs != 1:
        extra += ["--jobs", str(opts.jobs)]

    work = opts.keep or Path(tempfile.mkdtemp(prefix="cartcost-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env, table = environment(work / "cache")
    if opts.src:
        env["PYTHONPATH"] = str(opts.src.resolve())
    print(f"machine: {machine()}")
    print(
        f"cartcost: {' '.join(cartcost_command())}{f' from {opts.src}' if opts.src else ''}; {table}"
    )
    print(f"scenarios: random, seed {SEED}{'; batch ' + ' '.join(extra) if extra else ''}")

    empty = work / "empty.csv"
    empty.write_text(",".join(HEADER) + "\n")
    run_batch([], env, empty, work / "empty-out.csv")  # warm the table cache
    startup = min(run_batch([], env, empty, work / "empty-out.csv")[0] for _ in range(5))
    print(f"start-up (header-only input): {startup * 1000:.0f} ms\n")

    print(
        f"{'rows':>9} {'distinct':>9} {'memo':>4} {'wall s':>8} {'rows/s':>9} "
        f"{'net rows/s':>10} {'peak MiB':>8}"
    )
    results: dict[tuple[int, bool], tuple[float, float]] = {}
    for n in sorted(set(sizes) | set(uncached)):
        path = work / f"scenarios-{n}.csv"
        distinct = generate(path, n, env)
        for cached in (True, False):
            if (cached and n not in sizes) or (not cached and n not in uncached):
                continue
            out = work / f"out-{n}{'' if cached else '-nocache'}.csv"
            runs = [
                run_batch([*extra] if cached else [*extra, "--no-cache"], env, path, out)
                for _ in range(opts.repeat)
            ]
            wall = min(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            rows, bad = count_rows(out)
            if rows != n or bad:
                sys.exit(f"{out}: {rows} rows, {bad} with an error; expected {n} without")
            results[(n, cached)] = (wall, peak)
            net = n / (wall - startup) if wall > startup else float("inf")
            print(
                f"{n:>9,} {distinct:>9,} {'on' if cached else 'off':>4} {wall:>8.2f} "
                f"{n / wall:>9,.0f} {net:>10,.0f} {peak:>8.1f}"
            )
            if not opts.keep:
                out.unlink()
        if not opts.keep:
            path.unlink()

    small, big = min(sizes), max(sizes)
    if opts.budget:
        return  # the targets below are the plain batch's
    if small != big and (small, True) in results and (big, True) in results:
        (t_small, m_small), (t_big, m_big) = results[(small, True)], results[(big, True)]
        print()
        rate = big / t_big
        print(f"rows/s at {big:,}: {rate:,.0f} (target >= 20,000: {_ok(rate >= 20_000)})")
        ratio = m_big / m_small
        print(
            f"peak memory {big:,} / {small:,}: {ratio:.2f}x (target <= 1.2x: {_ok(ratio <= 1.2)})"
        )
        scale = big / small
        growth = t_big / t_small
        print(
            f"time {big:,} / {small:,}: {growth:.1f}x for {scale:,.0f}x the rows "
            f"(target <= {scale * 1.1:,.0f}x: {_ok(growth <= scale * 1.1)})"
        )


def _ok(flag: bool) -> str:
    return "met" if flag else "NOT met"


if __name__ == "__main__":
    main()
