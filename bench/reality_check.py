"""The figures of docs/reality-check.md. Not a test: prints Markdown (or JSON).

    python bench/reality_check.py                   # every table of the page, as Markdown
    python bench/reality_check.py --json            # the same figures as JSON
    python bench/reality_check.py --update docs/reality-check.md   # rewrite the page's tables
    python bench/reality_check.py --rates overlay.toml             # with an overlay on top

It runs the page's ten scenarios with the default choices (hospital, living, city,
caregivers, pathways: whatever the table and the CLI default to), in USD:

    cartcost estimate -c CC -i IND --from ORIGIN --currency USD -F json

China (MM and LBCL, from NZ, GB, US), India (LBCL, from AE and KE) and the US (LBCL, from
CA and MX). An origin the table does not list (AE and KE, as of November 2026) is added
by a small overlay written to a temporary file (name, region, languages; currency USD so
that no exchange rate is needed); once the table lists it, the table's own entry is used.

Printed, in USD:

  - the set-up: table dates, choices, which origins came from the overlay;
  - "Results at a glance": per scenario the stay (days), the total, the product,
    the non-product lines and each category (hospital, living, travel, services), low-high;
    category figures are the sums of the JSON `items` with that `category`, lines left out
    (`included: false`) ignored; "-" = nothing priced in that category;
  - per destination, each non-product line low-high by scenario, and the line's figure
    per unit (night, person-day, traveller...) in the destination's currency;
  - per destination, the comparisons: each published figure (listed in COMPARISONS below,
    in the currency it was published in) beside the estimate's figure converted to that
    currency with the table's own exchange rates (`cartcost rates show --key fx.rates`),
    and the gap between the midpoints ((low + high) / 2): "within" when it is 30 % or less,
    else "above" or "below"; a published floor ("upwards of X") is compared with the
    estimate's low end; "no overlap" when the two ranges do not touch.

`--update PAGE` replaces, in PAGE, the text between each pair of lines
`<!-- BEGIN reality_check.py: NAME -->` and `<!-- END reality_check.py: NAME -->` by the
block NAME (setup, glance, lines-CN, compare-CN, ...), leaving the prose alone.

Like bench/assumption_share.py it runs the CLI in a subprocess (this checkout's src/ first
on the path and its data/rates.toml as the table; a fresh table cache and an empty config
directory, so neither the caller's cache nor their [defaults] change the figures), and
depends only on the JSON output, not on the cost model's internals.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "data" / "rates.toml"

# (destination, indication, origin), in the page's order.
SCENARIOS: list[tuple[str, str, str]] = [
    ("CN", "MM", "NZ"),
    ("CN", "MM", "GB"),
    ("CN", "MM", "US"),
    ("CN", "LBCL", "NZ"),
    ("CN", "LBCL", "GB"),
    ("CN", "LBCL", "US"),
    ("IN", "LBCL", "AE"),
    ("IN", "LBCL", "KE"),
    ("US", "LBCL", "CA"),
    ("US", "LBCL", "MX"),
]
DESTINATIONS = ["CN", "IN", "US"]

# Origins the page needs that the table may not list: added by an overlay if missing.
OVERLAY_ORIGINS: dict[str, dict[str, Any]] = {
    "AE": {
        "name": "United Arab Emirates",
        "currency": "USD",
        "region": "middle-east",
        "languages": ["ar", "en"],
    },
    "KE": {"name": "Kenya", "currency": "USD", "region": "africa", "languages": ["sw", "en"]},
}

CATEGORIES = ["hospital", "living", "travel", "services"]

# The published figures the page compares with. Each: an id (the page's prose refers to
# it), the scenario whose estimate is compared, what is compared, the published range in
# the currency it was published in (low = high for a single figure), the per-unit basis
# when the figure is per night / person-day / traveller, and a short source label (the
# page's Sources list gives the address).
#   what: "total", "product", "non-product", "hospital", "hospital-before-reserve"
#         (hospital without the complications reserve), "stay" (days), or a line key
#         such as "living.lodging".
#   per_unit: True divides the line by its quantity (room-nights, person-days, travellers).


@dataclass(frozen=True)
class Comparison:
    id: str
    scenario: str  # "CN MM NZ"
    what: str
    low: Decimal
    high: Decimal
    currency: str  # or "days" for a stay
    published: str
    source: str
    per_unit: bool = False
    floor: bool = False  # "upwards of": compare the estimate's low end with it


def _c(
    id: str,
    scenario: str,
    what: str,
    low: str,
    high: str,
    currency: str,
    published: str,
    source: str,
    per_unit: bool = False,
    floor: bool = False,
) -> Comparison:
    return Comparison(
        id,
        scenario,
        what,
        Decimal(low),
        Decimal(high),
        currency,
        published,
        source,
        per_unit,
        floor,
    )


COMPARISONS: list[Comparison] = [
    # China
    _c(
        "cn-total-nz",
        "CN MM NZ",
        "total",
        "150000",
        "150000",
        "NZD",
        'a NZ myeloma patient treated in 2025: "more like $150,000" in China (fundraised)',
        "RNZ, 18 Sep 2025",
    ),
    _c(
        "cn-total-facilitator",
        "CN LBCL NZ",
        "total",
        "1100000",
        "1650000",
        "CNY",
        "the full treatment process CNY 1.1-1.65 M, the product 70-80 % of it",
        "China Med Waypoint (facilitator), Apr 2026",
    ),
    _c(
        "cn-hospital-facilitator",
        "CN LBCL NZ",
        "hospital",
        "220000",
        "495000",
        "CNY",
        "the 20-30 % of CNY 1.1-1.65 M that is not the product: hospital stay, conditioning, "
        "side effects, follow-up",
        "China Med Waypoint (facilitator), Apr 2026",
    ),
    _c(
        "cn-product-facilitator",
        "CN LBCL NZ",
        "product",
        "120000",
        "170000",
        "USD",
        "commercial CAR-T in China, prices from USD 120,000 to 170,000",
        "MedBridgeNZ (facilitator), Feb 2026",
    ),
    _c(
        "cn-stay-trial",
        "CN MM NZ",
        "stay",
        "42",
        "56",
        "days",
        "a CAR-T clinical trial takes about 6-8 weeks",
        "cell-cart.com FAQ (trial programme)",
    ),
    _c(
        "cn-stay-patient",
        "CN MM NZ",
        "stay",
        "90",
        "90",
        "days",
        "a NZ myeloma patient's treatment in Shanghai expected to take about three months",
        "Shanghai Daily, Mar 2025",
    ),
    _c(
        "cn-lodging-flat",
        "CN MM NZ",
        "living.lodging",
        "200",
        "218",
        "CNY",
        "average Shanghai flat rent CNY 6,000-6,550 a month (CNY 200-218 a night)",
        "Shanghai government, 2024",
        per_unit=True,
    ),
    _c(
        "cn-lodging-serviced",
        "CN MM NZ",
        "living.lodging",
        "333",
        "1000",
        "CNY",
        "serviced apartments CNY 10,000-30,000 a month (CNY 333-1,000 a night)",
        "CitiesInsider (also the table's source)",
        per_unit=True,
    ),
    _c(
        "cn-meals-stats",
        "CN MM NZ",
        "living.meals",
        "31",
        "31",
        "CNY",
        "Shanghai residents spent CNY 11,224 a head on food, tobacco and drink in 2020 "
        "(CNY 31 a person-day)",
        "Yicai Global, Dec 2021 (China Statistical Yearbook 2021)",
        per_unit=True,
    ),
    # India
    _c(
        "in-total-lyfsum",
        "IN LBCL AE",
        "total",
        "5000000",
        "5000000",
        "INR",
        "patients from the UAE, Qatar, Kuwait, Bahrain, Kenya: CAR-T about INR 50 lakh "
        "in India, hospital fees included",
        "Moneycontrol, 17 Apr 2025 (facilitator Lyfsum)",
    ),
    _c(
        "in-total-lyfsum-ke",
        "IN LBCL KE",
        "total",
        "5000000",
        "5000000",
        "INR",
        "as above, for a patient from Kenya",
        "Moneycontrol, 17 Apr 2025 (facilitator Lyfsum)",
    ),
    _c(
        "in-total-mint",
        "IN LBCL AE",
        "total",
        "4000000",
        "4500000",
        "INR",
        'NexCAR19 treatment "can currently be done for" INR 40-45 lakh (Indian patients)',
        "Mint, 10 Mar 2024",
    ),
    _c(
        "in-total-medijourney",
        "IN LBCL AE",
        "total",
        "30000",
        "54000",
        "USD",
        "CAR-T in India from USD 30,000-54,000, 10-25 days in hospital",
        "MediJourney (facilitator)",
    ),
    _c(
        "in-total-mtc",
        "IN LBCL KE",
        "total",
        "50000",
        "85000",
        "USD",
        "CAR-T in India USD 50,000-85,000",
        "MedicalTourismCo (facilitator)",
    ),
    _c(
        "in-hospital-mint",
        "IN LBCL AE",
        "hospital",
        "0",
        "1500000",
        "INR",
        "Mint's INR 40-45 lakh minus the product's INR 30-40 lakh leaves INR 0-15 lakh",
        "Mint, 10 Mar 2024",
    ),
    _c(
        "in-lodging-rent",
        "IN LBCL AE",
        "living.lodging",
        "1170",
        "2330",
        "INR",
        "one-bed flats around Lower Parel INR 35,000-70,000 a month (INR 1,170-2,330 a night)",
        "Housystan (property portal), 2025",
        per_unit=True,
    ),
    _c(
        "in-meals-hces",
        "IN LBCL AE",
        "living.meals",
        "93",
        "93",
        "INR",
        "urban MPCE INR 6,996 a month, 40 % of it food (about INR 93 a person-day)",
        "MoSPI, HCES 2023-24",
        per_unit=True,
    ),
    # United States
    _c(
        "us-total-ca",
        "US LBCL CA",
        "total",
        "1000000",
        "1000000",
        "CAD",
        'sending a patient to Pennsylvania or Seattle for CAR-T "can cost upwards of a '
        'million dollars"',
        "House of Commons science committee, 31 Mar 2022 (Dr John Bell)",
        floor=True,
    ),
    _c(
        "us-lodging-fmr",
        "US LBCL CA",
        "living.lodging",
        "38",
        "38",
        "USD",
        "fair market rent, Harris County one-bed, USD 1,135 a month (USD 38 a night)",
        "HUD via Affordable Housing Online (also the table's source)",
        per_unit=True,
    ),
    _c(
        "us-lodging-hotel",
        "US LBCL CA",
        "living.lodging",
        "290",
        "290",
        "USD",
        "hotel stays in the Houston area average USD 290 a night (Hope Lodge is free)",
        "American Cancer Society via KHOU, Jul 2023",
        per_unit=True,
    ),
    _c(
        "us-meals-usda",
        "US LBCL CA",
        "living.meals",
        "8.2",
        "10.3",
        "USD",
        "Thrifty Food Plan, Sep 2025: adult woman 20-50 USD 57.40, man USD 72.10 a week "
        "(USD 8.2-10.3 a day)",
        "USDA FNS, 2025",
        per_unit=True,
    ),
]


@dataclass
class Run:
    country: str
    indication: str
    origin: str
    overlaid: bool
    est: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.country} {self.indication} {self.origin}"

    @property
    def label(self) -> str:
        return f"{self.country} {self.indication} from {self.origin}"


# --- running the CLI ------------------------------------------------------------------


def environment(cache_dir: str, config_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CARTCOST_CACHE_DIR"] = cache_dir
    env["CARTCOST_CONFIG_DIR"] = config_dir
    env["CARTCOST_BASE_RATES"] = str(TABLE)
    env.pop("CARTCOST_RATES", None)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return env


def run_json(args: list[str], env: dict[str, str]) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "cartcost", *args, "-F", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cartcost {' '.join(args)}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def overlay_text(codes: list[str]) -> str:
    out: list[str] = []
    for code in codes:
        entry = OVERLAY_ORIGINS[code]
        out.append(f"[countries.{code}]")
        for k, v in entry.items():
            out.append(f"{k} = {json.dumps(v)}")
        out.append("")
    return "\n".join(out)


def run_all(rates: list[str]) -> tuple[list[Run], dict[str, Decimal], str]:
    with tempfile.TemporaryDirectory(prefix="cc-reality-") as tmp:
        cache, config = Path(tmp, "cache"), Path(tmp, "config")
        cache.mkdir()
        config.mkdir()
        env = environment(str(cache), str(config))
        extra = [x for r in rates for x in ("--rates", str(Path(r).resolve()))]
        listed = {c["code"] for c in run_json(["countries", *extra], env)}
        missing = sorted({o for _, _, o in SCENARIOS if o not in listed})
        unknown = [o for o in missing if o not in OVERLAY_ORIGINS]
        if unknown:
            raise RuntimeError(f"origins neither in the table nor in the overlay: {unknown}")
        overlay_args: list[str] = []
        if missing:
            path = Path(tmp, "origins.toml")
            path.write_text(overlay_text(missing), encoding="utf-8")
            overlay_args = ["--rates", str(path)]
        fx_raw = run_json(["rates", "show", "--key", "fx.rates", *extra], env)
        fx = {k: Decimal(str(v)) for k, v in fx_raw["fx"]["rates"].items()}
        runs: list[Run] = []
        for cc, ind, origin in SCENARIOS:
            over = origin in missing
            run = Run(cc, ind, origin, over)
            args = ["estimate", "-c", cc, "-i", ind, "--from", origin, "--currency", "USD"]
            run.est = run_json([*args, *extra, *(overlay_args if over else [])], env)
            runs.append(run)
        return runs, fx, overlay_text(missing) if missing else ""


# --- figures -----------------------------------------------------------------------------


def D(x: Any) -> Decimal:
    return Decimal(str(x))


@dataclass
class Range:
    low: Decimal
    high: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.low + self.high) / 2

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.high + other.high)

    def scaled(self, factor: Decimal) -> Range:
        return Range(self.low * factor, self.high * factor)


ZERO = Range(Decimal(0), Decimal(0))


def included(run: Run) -> list[dict[str, Any]]:
    return [
        it
        for it in run.est["items"]
        if it.get("included", True) and it.get("low") is not None and it.get("high") is not None
    ]


def category_range(run: Run, category: str) -> Range | None:
    items = [it for it in included(run) if it["category"] == category]
    if not items:
        return None
    return sum((Range(D(it["low"]), D(it["high"])) for it in items), ZERO)


def figure(run: Run, what: str) -> tuple[Range, dict[str, Any] | None]:
    """The estimate's range for a comparison's `what`, in USD (days for "stay"), and the
    line when it is one line."""
    if what == "stay":
        s = run.est["stay_days"]
        return Range(D(s["low"]), D(s["high"])), None
    if what == "total":
        return Range(D(run.est["total"]["low"]), D(run.est["total"]["high"])), None
    if what == "non-product":
        r = ZERO
        for c in CATEGORIES:
            r = r + (category_range(run, c) or ZERO)
        return r, None
    if what == "hospital-before-reserve":
        items = [
            it
            for it in included(run)
            if it["category"] == "hospital" and it["key"] != "hospital.complications"
        ]
        return sum((Range(D(it["low"]), D(it["high"])) for it in items), ZERO), None
    if "." not in what:
        return category_range(run, what) or ZERO, None
    for it in run.est["items"]:
        if it["key"] == what:
            if it.get("low") is None:
                raise KeyError(f"{run.key}: {what} is not priced")
            return Range(D(it["low"]), D(it["high"])), it
    raise KeyError(f"{run.key}: no line {what}")


def per_unit(r: Range, item: dict[str, Any]) -> Range:
    q = item.get("quantity")
    if not q:
        raise KeyError(f"{item['key']} has no quantity")
    return Range(r.low / D(q["low"]), r.high / D(q["high"]))


def money(x: Decimal, fine: bool = False) -> str:
    """Whole units with thousands separators; with `fine`, one decimal below 100 when it
    matters (USD 8.2 a day), never a trailing .0."""
    if fine and abs(x) < 100:
        one = x.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if one != one.to_integral_value():
            return f"{one:,}"
    return f"{x.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def rng(r: Range | None, fine: bool = False) -> str:
    if r is None:
        return "–"
    lo, hi = money(r.low, fine), money(r.high, fine)
    return lo if lo == hi else f"{lo}–{hi}"


def pct(x: Decimal) -> str:
    v = int((x * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{v:+d} %"


@dataclass
class Compared:
    c: Comparison
    label: str
    estimate: Range  # in the published currency (or days)
    gap: Decimal | None  # estimate mid / published mid - 1
    overlap: bool

    @property
    def verdict(self) -> str:
        if self.gap is None:
            return "–"
        if abs(self.gap) <= Decimal("0.30"):
            return "within"
        return "above" if self.gap > 0 else "below"


def compare(runs: dict[str, Run], fx: dict[str, Decimal]) -> list[Compared]:
    out: list[Compared] = []
    for c in COMPARISONS:
        run = runs[c.scenario]
        r, item = figure(run, c.what)
        if c.per_unit:
            if item is None:
                raise KeyError(f"{c.id}: per unit needs a line")
            r = per_unit(r, item)
        if c.currency != "days":
            r = r.scaled(fx[c.currency] / fx["USD"])  # the estimate ran in USD
        pub = Range(c.low, c.high)
        if c.floor:  # "upwards of X": the estimate's low end against X
            gap = r.low / c.low - 1 if c.low else None
            overlap = r.high >= c.low
        else:
            gap = r.mid / pub.mid - 1 if pub.mid else None
            overlap = r.low <= pub.high and pub.low <= r.high
        out.append(Compared(c, run.label, r, gap, overlap))
    return out


# --- blocks ------------------------------------------------------------------------------


def block_setup(runs: list[Run], overlay: str) -> str:
    e = runs[0].est
    lines = [
        f"- Rate table: data as of {e['data_as_of']}, exchange rates of {e['fx_as_of']} "
        f"(table sha256 {e['meta']['rates']['sha256'][:12]}).",
    ]
    for cc in DESTINATIONS:
        r = next(x for x in runs if x.country == cc)
        ch = r.est["choices"]
        lines.append(
            f"- {r.est['country_name']}: hospital `{ch['hospital']}`, living "
            f"`{ch['living']}`, city `{ch['city']}`, caregivers "
            f"{r.est['scenario']['caregivers']}, perspective `{r.est['scenario']['perspective']}`."
        )
    over = [r.origin for r in runs if r.overlaid]
    if over:
        codes = ", ".join(sorted(set(over)))
        lines.append(
            f"- Origins added by an overlay (not in the table): {codes}, with currency USD so "
            "that no exchange rate is needed:"
        )
        lines += ["", "```toml", overlay.rstrip(), "```"]
    else:
        lines.append("- Every origin is in the table; no overlay.")
    return "\n".join(lines)


def block_glance(runs: list[Run]) -> str:
    head = (
        "| scenario | stay (days) | total | product | non-product | "
        + " | ".join(CATEGORIES)
        + " |"
    )
    rows = [head, "|" + "---|" * (5 + len(CATEGORIES))]
    for r in runs:
        stay, _ = figure(r, "stay")
        total, _ = figure(r, "total")
        product = category_range(r, "product")
        non, _ = figure(r, "non-product")
        cats = [rng(category_range(r, c)) for c in CATEGORIES]
        rows.append(
            f"| {r.label} | {rng(stay)} | {rng(total)} | {rng(product)} | {rng(non)} | "
            + " | ".join(cats)
            + " |"
        )
    return "\n".join(rows)


def line_rows(run: Run) -> list[dict[str, Any]]:
    return [it for it in run.est["items"] if it["category"] != "product"]


def unit_text(it: dict[str, Any]) -> str:
    q = it.get("quantity")
    n = it.get("native")
    if not q or not n or it.get("low") is None:
        return ""
    lo = D(n["low"]) / D(q["low"]) if D(q["low"]) else None
    hi = D(n["high"]) / D(q["high"]) if D(q["high"]) else None
    if lo is None or hi is None:
        return ""
    unit = str(q["unit"]).rstrip("s") if q["unit"] != "days" else "day"
    return f"{n['currency']} {rng(Range(lo, hi), fine=True)} a {unit}"


def block_lines(runs: list[Run], cc: str) -> str:
    rs = [r for r in runs if r.country == cc]
    keys: list[tuple[str, str]] = []
    for r in rs:
        for row in line_rows(r):
            if (row["key"], row["item"]) not in keys:
                keys.append((row["key"], row["item"]))
    head = "| line | " + " | ".join(r.label for r in rs) + " | per unit |"
    rows = [head, "|" + "---|" * (len(rs) + 2)]
    for key, name in keys:
        cells: list[str] = []
        units: dict[str, list[str]] = {}  # per-unit text -> origins it applies to
        for r in rs:
            found = [x for x in line_rows(r) if x["key"] == key]
            it = found[0] if found else None
            if it is None:
                cells.append("–")
            elif not it.get("included", True) or it.get("low") is None:
                cells.append("not priced")
            else:
                cells.append(rng(Range(D(it["low"]), D(it["high"]))))
                u = unit_text(it)
                if u and r.origin not in units.setdefault(u, []):
                    units[u].append(r.origin)
        if len(units) == 1:
            unit = next(iter(units))
        else:
            unit = "; ".join(f"{u} (from {', '.join(o)})" for u, o in units.items())
        rows.append(f"| {name} (`{key}`) | " + " | ".join(cells) + f" | {unit} |")
    return "\n".join(rows)


def block_compare(compared: list[Compared], cc: str) -> str:
    rows = [
        "| id | compared | estimate | published | source | gap | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in compared:
        if not x.c.scenario.startswith(cc + " "):
            continue
        what = {
            "total": "total",
            "product": "product",
            "non-product": "non-product lines",
            "hospital": "hospital (with the reserve)",
            "hospital-before-reserve": "hospital (without the reserve)",
            "stay": "stay",
        }.get(x.c.what, f"`{x.c.what}`")
        if x.c.per_unit:
            what += " per unit"
        pub_r = rng(Range(x.c.low, x.c.high), fine=True)
        if x.c.floor:
            pub_r = "from " + pub_r
        if x.c.currency == "days":
            est = f"{rng(x.estimate)} days"
            pub = f"{pub_r} days: {x.c.published}"
        else:
            est = f"{x.c.currency} {rng(x.estimate, fine=True)}"
            pub = f"{x.c.currency} {pub_r}: {x.c.published}"
        gap = "–" if x.gap is None else pct(x.gap) + (" (low end)" if x.c.floor else "")
        verdict = x.verdict + ("" if x.overlap else " (no overlap)")
        rows.append(
            f"| {x.c.id} | {what}, {x.label} | {est} | {pub} | {x.c.source} | {gap} | {verdict} |"
        )
    return "\n".join(rows)


def blocks(runs: list[Run], fx: dict[str, Decimal], overlay: str) -> dict[str, str]:
    by_key = {r.key: r for r in runs}
    compared = compare(by_key, fx)
    out = {"setup": block_setup(runs, overlay), "glance": block_glance(runs)}
    for cc in DESTINATIONS:
        out[f"lines-{cc}"] = block_lines(runs, cc)
        out[f"compare-{cc}"] = block_compare(compared, cc)
    return out


def as_json(runs: list[Run], fx: dict[str, Decimal]) -> dict[str, Any]:
    def jr(r: Range | None) -> dict[str, float] | None:
        return None if r is None else {"low": float(r.low), "high": float(r.high)}

    scen: list[dict[str, Any]] = []
    for r in runs:
        scen.append(
            {
                "scenario": r.label,
                "country": r.country,
                "indication": r.indication,
                "from": r.origin,
                "origin_from_overlay": r.overlaid,
                "choices": r.est["choices"],
                "stay_days": jr(figure(r, "stay")[0]),
                "total": jr(figure(r, "total")[0]),
                "product": jr(category_range(r, "product")),
                "non_product": jr(figure(r, "non-product")[0]),
                "categories": {c: jr(category_range(r, c)) for c in CATEGORIES},
                "lines": [
                    {
                        "key": it["key"],
                        "item": it["item"],
                        "category": it["category"],
                        "included": it.get("included", True),
                        "low": it.get("low"),
                        "high": it.get("high"),
                        "per_unit": unit_text(it) or None,
                    }
                    for it in line_rows(r)
                ],
            }
        )
    comps = [
        {
            "id": x.c.id,
            "scenario": x.label,
            "what": x.c.what,
            "per_unit": x.c.per_unit,
            "currency": x.c.currency,
            "estimate": jr(x.estimate),
            "published": jr(Range(x.c.low, x.c.high)),
            "published_is_floor": x.c.floor,
            "published_text": x.c.published,
            "source": x.c.source,
            "gap": None if x.gap is None else float(x.gap),
            "overlap": x.overlap,
            "verdict": x.verdict,
        }
        for x in compare({r.key: r for r in runs}, fx)
    ]
    e = runs[0].est
    return {
        "currency": "USD",
        "data_as_of": e["data_as_of"],
        "fx_as_of": e["fx_as_of"],
        "rates_sha256": e["meta"]["rates"]["sha256"],
        "scenarios": scen,
        "comparisons": comps,
    }


MARK = re.compile(
    r"(<!-- BEGIN reality_check\.py: (?P<name>[\w-]+) -->\n)(?P<body>.*?)"
    r"(<!-- END reality_check\.py: (?P=name) -->)",
    re.S,
)


def update(page: Path, made: dict[str, str]) -> list[str]:
    text = page.read_text(encoding="utf-8")
    seen: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in made:
            raise KeyError(f"{page}: no block named {name!r}")
        seen.append(name)
        return m.group(1) + made[name] + "\n" + m.group(4)

    new = MARK.sub(sub, text)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return [n for n in made if n not in seen]


TITLES = {
    "setup": "Set-up",
    "glance": "Results at a glance (USD)",
    "lines-CN": "China: non-product lines (USD)",
    "compare-CN": "China: comparisons",
    "lines-IN": "India: non-product lines (USD)",
    "compare-IN": "India: comparisons",
    "lines-US": "United States: non-product lines (USD)",
    "compare-US": "United States: comparisons",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--rates", action="append", default=[], help="overlay table (repeatable)")
    ap.add_argument("--update", metavar="PAGE", help="rewrite the marked blocks of PAGE in place")
    a = ap.parse_args(argv)
    runs, fx, overlay = run_all(a.rates)
    if a.json:
        print(json.dumps(as_json(runs, fx), indent=2, ensure_ascii=False))
        return 0
    made = blocks(runs, fx, overlay)
    if a.update:
        unused = update(Path(a.update), made)
        if unused:
            print(f"blocks without markers in {a.update}: {', '.join(unused)}", file=sys.stderr)
        return 0
    for name, body in made.items():
        print(f"### {TITLES[name]}\n\n{body}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
