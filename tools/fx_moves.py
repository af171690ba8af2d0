"""Work out the rate table's [fx.moves] from the ECB's history of euro reference rates.

    python tools/fx_moves.py eurofxref-hist.csv --to 2026-10-30 --years 5 [--currencies AUD,CNY,...]

eurofxref-hist.csv is the ECB's full history (https://www.ecb.europa.eu/stats/eurofxref/
eurofxref-hist.zip, unzipped). For each currency, the rate in units per US dollar is
its euro rate divided by the dollar's euro rate on the same day; the daily change is the
log of one business day's rate over the previous one's, over the `years` before `--to`.
Prints the TOML of [fx.moves.volatility] (the standard deviation of those changes per
year: per day times the square root of the business days in a year) and
[fx.moves.correlation] (each pair once, the two codes in alphabetical order). Days on
which either currency of a pair has no rate are left out of that pair.

By default the currencies are those of [fx.rates] in data/rates.toml, but the dollar.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rates(path: Path, start: date, end: date, codes: list[str]) -> list[dict[str, float]]:
    """Units per USD of each code, one dict per ECB business day in [start, end], oldest
    first (a code without a rate that day is absent)."""
    days: list[tuple[date, dict[str, float]]] = []
    with path.open(newline="") as handle:
        for rec in csv.DictReader(handle):
            day = date.fromisoformat(rec["Date"])
            if not start <= day <= end:
                continue
            usd = rec.get("USD", "N/A")
            if usd in ("", "N/A"):
                continue
            per_usd: dict[str, float] = {}
            for code in codes:
                text = "1" if code == "EUR" else rec.get(code, "N/A")
                if text not in ("", "N/A"):
                    per_usd[code] = float(text) / float(usd)
            days.append((day, per_usd))
    days.sort(key=lambda d: d[0])
    return [d for _, d in days]


def moves(
    path: Path, end: date, years: int, codes: list[str]
) -> tuple[date, dict[str, float], dict[tuple[str, str], float]]:
    start = end.replace(year=end.year - years)
    days = _rates(path, start, end, codes)
    if len(days) < 2:
        sys.exit(f"{path}: fewer than two days of rates between {start} and {end}")
    changes = [
        {c: math.log(b[c] / a[c]) for c in codes if c in a and c in b}
        for a, b in itertools.pairwise(days)
    ]
    per_year = len(days) / years

    def pair(x: str, y: str) -> tuple[float, float, float]:
        both = [(d[x], d[y]) for d in changes if x in d and y in d]
        n = len(both)
        mx = sum(a for a, _ in both) / n
        my = sum(b for _, b in both) / n
        sxx = sum((a - mx) ** 2 for a, _ in both) / (n - 1)
        syy = sum((b - my) ** 2 for _, b in both) / (n - 1)
        sxy = sum((a - mx) * (b - my) for a, b in both) / (n - 1)
        return sxx, syy, sxy

    vol = {c: math.sqrt(pair(c, c)[0] * per_year) for c in codes}
    corr = {}
    for i, x in enumerate(codes):
        for y in codes[i + 1 :]:
            sxx, syy, sxy = pair(x, y)
            corr[(x, y)] = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0
    return start, vol, corr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("history", type=Path, help="eurofxref-hist.csv")
    parser.add_argument("--to", type=date.fromisoformat, required=True)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--currencies", help="comma-separated (default: [fx.rates] but USD)")
    opts = parser.parse_args()
    if opts.currencies:
        codes = sorted(c for c in opts.currencies.split(",") if c)
    else:
        table = tomllib.loads((ROOT / "data" / "rates.toml").read_text())
        codes = sorted(c for c in table["fx"]["rates"] if c != "USD")
    start, vol, corr = moves(opts.history, opts.to, opts.years, codes)
    print(f"# ECB reference rates, {start} to {opts.to}: {len(codes)} currencies")
    print("[fx.moves.volatility]")
    for c in codes:
        print(f"{c} = {vol[c]:.4f}")
    print("\n[fx.moves.correlation]")
    for (x, y), r in corr.items():
        print(f"{x}-{y} = {r:.3f}")


if __name__ == "__main__":
    main()
