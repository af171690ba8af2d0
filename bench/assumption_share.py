"""How much of each estimate rests on assumptions. Not a test: prints a table.

    python bench/assumption_share.py                    # every destination x indication
    python bench/assumption_share.py --from NZ --currency USD --threshold 0.20
    python bench/assumption_share.py --rates overlay.toml -- --pathway trial

For every destination and every indication it offers, it runs

    cartcost estimate -c CC -i IND --from NZ --currency USD -F json

and weighs each line of the estimate by its midpoint ((low + high) / 2). A line whose
sources are all of kind `assumption` counts fully as assumed, a line citing some
assumption sources counts half, a line citing none counts as sourced (the rule of the
November 2026 data audit, section 1.3). Kinds come from `cartcost sources -F json`.
Lines left out of the total (`included: false`) are ignored.

Printed: one row per pair with the midpoint total, the assumed / partly / sourced
shares of it and A+½P (assumed + half of partly), sorted by A+½P; then the number of
pairs whose A+½P is over the threshold (default 20 %). `--json` prints the rows as JSON;
`--category hospital` measures the hospital lines only (their own midpoint total).

It runs the CLI in a subprocess (`python -m cartcost` with this checkout's src/ first on
the path, so this checkout's data/rates.toml is measured; `--installed` runs the
`cartcost` beside this Python instead), with a fresh table cache, so it depends only on
the JSON output, not on the cost model's internals.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


INSTALLED = False  # --installed: run the `cartcost` beside this Python instead


def command() -> list[str]:
    script = Path(sys.executable).parent / "cartcost"
    if INSTALLED and script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "cartcost"]


def environment(cache_dir: str) -> dict[str, str]:
    """This checkout's src/ first on the path (so its data/rates.toml is the table), a
    fresh table cache, and no overlays from the caller's environment."""
    env = dict(os.environ)
    env["CARTCOST_CACHE_DIR"] = cache_dir
    env.pop("CARTCOST_RATES", None)
    env.pop("CARTCOST_BASE_RATES", None)
    if not INSTALLED:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
        )
    return env


def run_json(args: list[str], env: dict[str, str]) -> Any:
    proc = subprocess.run(
        [*command(), *args, "-F", "json"], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"exit {proc.returncode}")
    return json.loads(proc.stdout)


@dataclass
class Row:
    country: str
    indication: str
    total_mid: float
    assumed: float
    partly: float
    sourced: float

    @property
    def share(self) -> float:
        return self.assumed + self.partly / 2


def classify(sources: list[str], kinds: dict[str, str]) -> str:
    if not sources:
        return "assumed"  # a figure with no source rests on nothing but the table's word
    n = sum(1 for s in sources if kinds.get(s) == "assumption")
    if n == len(sources):
        return "assumed"
    if n:
        return "partly"
    return "sourced"


def measure(
    cc: str,
    ind: str,
    extra: list[str],
    kinds: dict[str, str],
    env: dict[str, str],
    category: str | None = None,
) -> Row:
    est = run_json(["estimate", "-c", cc, "-i", ind, *extra], env)
    parts = {"assumed": Decimal(0), "partly": Decimal(0), "sourced": Decimal(0)}
    for item in est["items"]:
        if not item.get("included", True):
            continue
        if category and item.get("category") != category:
            continue
        mid = (Decimal(str(item["low"])) + Decimal(str(item["high"]))) / 2
        parts[classify(list(item.get("sources") or []), kinds)] += mid
    total = sum(parts.values(), Decimal(0))
    if total == 0:
        raise RuntimeError("zero total")
    return Row(
        cc,
        ind,
        float(total),
        float(parts["assumed"] / total),
        float(parts["partly"] / total),
        float(parts["sourced"] / total),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--from", dest="origin", default="NZ", help="origin country (default NZ)")
    ap.add_argument("--currency", default="USD", help="display currency (default USD)")
    ap.add_argument("--threshold", type=float, default=0.20, help="share to count (0.20)")
    ap.add_argument("--rates", action="append", default=[], help="overlay table (repeatable)")
    ap.add_argument(
        "--category",
        help="only lines of this category (product, hospital, living, travel, services)",
    )
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument(
        "--installed",
        action="store_true",
        help="run the installed cartcost (and its table), not this checkout's",
    )
    ap.add_argument("extra", nargs="*", help="more estimate options, after --")
    a = ap.parse_args(argv)
    global INSTALLED
    INSTALLED = a.installed

    with tempfile.TemporaryDirectory(prefix="cc-share-") as tmp:
        env = environment(tmp)
        overlay = [x for r in a.rates for x in ("--rates", r)]
        kinds = {s["id"]: s["kind"] for s in run_json(["sources", *overlay], env)}
        countries = [c for c in run_json(["countries", *overlay], env) if c.get("destination")]
        extra = ["--from", a.origin, "--currency", a.currency, *overlay, *a.extra]
        rows: list[Row] = []
        failed: list[str] = []
        for c in countries:
            for ind in c["indications"]:
                try:
                    rows.append(measure(c["code"], ind, extra, kinds, env, a.category))
                except (RuntimeError, KeyError, ValueError) as e:
                    failed.append(f"{c['code']} {ind}: {str(e).splitlines()[-1][:100]}")

    rows.sort(key=lambda r: (-r.share, r.country, r.indication))
    over = [r for r in rows if r.share > a.threshold]
    if a.json:
        print(json.dumps([asdict(r) | {"share": r.share} for r in rows], indent=2))
    else:
        print(
            f"{'dest':4} {'ind':6} {'midpoint ' + a.currency:>16} {'assumed':>8} "
            f"{'partly':>7} {'sourced':>8} {'A+P/2':>6}"
        )
        for r in rows:
            print(
                f"{r.country:4} {r.indication:6} {r.total_mid:16,.0f} {r.assumed:8.0%} "
                f"{r.partly:7.0%} {r.sourced:8.0%} {r.share:6.0%}"
            )
        if rows:
            mean = sum(r.share for r in rows) / len(rows)
            print(f"\npairs: {len(rows)}; mean A+P/2: {mean:.1%}")
        print(f"pairs over {a.threshold:.0%}: {len(over)} of {len(rows)}")
    for f in failed:
        print(f"not estimated: {f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
