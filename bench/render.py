"""Time spent in Rich drawing the terminal tables. Not a test: prints figures.

    python bench/render.py            # 50 runs each
    python bench/render.py --runs 200

Times building and printing the table of `cartcost estimate -c CN -i MM` and of
`cartcost compare -i MM` (the view only: the estimate and the comparison are computed
once, beforehand) to a Console writing to an io.StringIO, at widths 80 and 120, and
prints the median over the runs in milliseconds. The real table (data/rates.toml) is
used if it loads, else the test fixture.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import MINI, REAL, ROOT, machine

WIDTHS = (80, 120)


def _median_ms(draw: Callable[[], None], runs: int) -> float:
    draw()  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.pop("CARTCOST_RATES", None)
    os.environ.setdefault("CARTCOST_BASE_RATES", str(REAL))
    from cartcost.errors import CartcostError
    from cartcost.ratesfile import load_rates

    try:
        rates, _ = load_rates()
        table = os.environ["CARTCOST_BASE_RATES"]
    except CartcostError:
        os.environ["CARTCOST_BASE_RATES"] = str(MINI)
        rates, _ = load_rates()
        table = f"{MINI} (the real table did not load)"

    from cartcost.comparison import compare
    from cartcost.estimation import estimate
    from cartcost.render.compare_view import compare_view
    from cartcost.render.table import estimate_table, make_console
    from cartcost.scenario import Scenario

    est = estimate(rates, Scenario(country="CN", indication="MM"))
    cmp = compare(rates, Scenario(country="", indication="MM"), None)

    print(f"{machine()}\nrate table: {table}\nmedian of {args.runs} runs, build + print, ms")
    for width in WIDTHS:

        def draw_estimate(width: int = width) -> None:
            console = make_console(width=width, file=io.StringIO())
            console.print(estimate_table(est))

        def draw_compare(width: int = width) -> None:
            console = make_console(width=width, file=io.StringIO())
            console.print(compare_view(cmp, console))

        e = _median_ms(draw_estimate, args.runs)
        c = _median_ms(draw_compare, args.runs)
        print(f"  width {width:>3}: estimate -c CN -i MM {e:6.2f}   compare -i MM {c:6.2f}")


if __name__ == "__main__":
    main()
