"""What one plain batch row costs once a batch is under way. Not a test: prints figures.

    python bench/batch_rows.py                   # 4,000 rows first, then 2,000 new ones
    python bench/batch_rows.py --src /tmp/old/src
    python bench/batch_rows.py --fresh 0         # only the first rows (see below)

`bench/batch.py` times whole `cartcost batch` processes, which on a busy machine move by
a fifth from run to run. This times, in one process, what a long batch spends on a row it
has never seen: it works out `--warm` random rows (bench/batch.py's population, its own
seed) as a batch does, memo off, so that what rows share is already kept, then
`--fresh` further rows, all different and none seen before, and prints the CPU time per
fresh row (best of --repeat passes over new rows each time).

`--ceiling` also times the same new rows with their estimates worked out beforehand, so
that only what is not the estimate is left: reading the row, making its scenario, the
memo-less batch loop and writing the CSV line (and a dictionary lookup in place of the
estimate). That is the most a faster estimator could ever give in one process.

For a figure that does not depend on the machine's load, count instructions with
valgrind: run once with `--fresh 0` and once with `--fresh 1000 --repeat 1`, each under
`valgrind --tool=callgrind --callgrind-out-file=/dev/null`, and divide the difference of
the "Collected" counts by 1,000.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch import HEADER, generate
from common import ROOT, environment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=4000, help="rows worked out first")
    parser.add_argument("--fresh", type=int, default=2000, help="new rows timed per pass")
    parser.add_argument("--repeat", type=int, default=3, help="passes (the best is kept)")
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--src", type=Path, help="import cartcost from this source tree")
    parser.add_argument(
        "--ceiling", action="store_true", help="also time the rows with estimates made beforehand"
    )
    opts = parser.parse_args()

    # cartcost from --src before anything imports it (generate() would take this tree's).
    sys.path.insert(0, str((opts.src or ROOT / "src").resolve()))
    from cartcost import batch, estimation
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates
    from cartcost.ratesfile import load_rates
    from cartcost.scenario import Scenario

    work = Path(tempfile.mkdtemp(prefix="cartcost-rows-"))
    env, table = environment(work / "cache")
    os.environ["CARTCOST_BASE_RATES"] = env["CARTCOST_BASE_RATES"]
    os.environ["CARTCOST_CACHE_DIR"] = env["CARTCOST_CACHE_DIR"]
    path = work / "rows.csv"
    # Enough rows for the passes once repeats are dropped.
    generate(path, 2 * (opts.warm + opts.fresh * opts.repeat) + 1000, env, seed=opts.seed)
    rows = path.read_text().splitlines(True)[1:]
    warm = rows[: opts.warm]
    seen = set(warm)
    fresh: list[str] = []
    for row in rows[opts.warm :]:
        if row not in seen:
            seen.add(row)
            fresh.append(row)

    rates, _ = load_rates()
    head = ",".join(HEADER) + "\n"

    def run(part: list[str]) -> None:
        source = batch.open_source(iter([head, *part]))
        for _ in batch.run(rates, source, cache_size=0):
            pass

    run(warm)
    if not opts.fresh:
        return
    best = float("inf")
    for i in range(opts.repeat):
        part = fresh[i * opts.fresh : (i + 1) * opts.fresh]
        if len(part) < opts.fresh:
            break
        start = time.process_time()
        run(part)
        best = min(best, (time.process_time() - start) / len(part))
    print(f"cartcost from {Path(batch.__file__).parent}; {table}")
    print(f"{opts.warm:,} rows first, then {opts.fresh:,} new rows a pass, best of {opts.repeat}")
    print(f"CPU time per new row: {best * 1e6:.0f} us ({1 / best:,.0f} rows/s)")
    if opts.ceiling:
        part = fresh[: opts.fresh]
        made: dict[Scenario, Estimate] = {}
        estimate = estimation.estimate

        def made_before(
            rates: Rates,
            scenario: Scenario,
            draws: int = estimation.LIKELY_DRAWS,
            seed: int = estimation.DEFAULT_SEED,
            *,
            narrative: bool = True,
        ) -> Estimate:
            found = made.get(scenario)
            if found is None:
                found = made[scenario] = estimate(rates, scenario, draws, seed, narrative=narrative)
            return found

        # batch.outcome looks estimate up in its module at each call. A first pass makes
        # the estimates; the timed passes find every one made.
        estimation.estimate = made_before
        run(part)
        floor = float("inf")
        for _ in range(opts.repeat):
            start = time.process_time()
            run(part)
            floor = min(floor, (time.process_time() - start) / len(part))
        estimation.estimate = estimate
        print(
            f"the same rows, estimates made beforehand: {floor * 1e6:.1f} us "
            f"({1 / floor:,.0f} rows/s at most, however fast the estimate)"
        )


if __name__ == "__main__":
    main()
