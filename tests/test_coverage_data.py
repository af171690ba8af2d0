"""The coverage sections of data/rates.toml ([coverage.*], [schemes.*]): well formed,
sourced, and consistent with the rest of the table.

The shape is documented in docs/rates-schema.md ("Who pays"); the table's own validation
(schema.py) checks it too. These tests read the file with tomllib only, so they do not
depend on how the code loads the table.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
COVERAGE_PATH = ROOT / "data" / "rates.toml"  # the coverage sections live in the rate table
RATES_PATH = ROOT / "data" / "rates.toml"

COVERED = {"yes", "no", "partly", "unknown"}
COVER = {"public", "insured"}
USUAL = {"public", "insured", "none"}
KINDS = {"official", "paper", "news", "facilitator", "blog", "aggregator", "assumption"}
# rates.toml's indication keys, plus GC (gastric/GEJ adenocarcinoma, satri-cel) which the
# coverage table already uses.
INDICATIONS = {"MM", "LBCL", "B-ALL", "FL", "MCL", "CLL", "MZL", "GC"}
ACCESSED = date(2026, 11, 30)
# The origins the coverage table must describe.
MUST_ORIGINS = {
    "GB", "IE", "DE", "FR", "NL", "ES", "IT", "CH", "AU",
    "NZ", "CA", "US", "SG", "JP", "KR", "IL", "IN", "CN",
}  # fmt: skip
# Schemes the table must describe.
MUST_SCHEMES = {"nhs-s2", "eu-cross-border-directive", "au-mtop", "nz-hctp"}
# Destinations a scheme may name: rates.toml countries with offers, and Hong Kong.
EXTRA_DESTINATIONS = {"HK"}

RULE_KEYS = {
    "indication",
    "products",
    "ages",
    "cover",
    "covered",
    "since",
    "who",
    "note",
    "patient_pays",
    "patient_pays_daily",
    "sources",
}
PAYS_KEYS = {"range", "currency", "sources", "note"}
DAILY_KEYS = PAYS_KEYS | {"max_days"}
SCHEME_KEYS = {
    "name",
    "origins",
    "destinations",
    "providers",
    "pays",
    "pays_share",
    "covers_travel",
    "settles",
    "conditions",
    "note",
    "sources",
}
SHARE_KEYS = {"range", "sources", "note"}
SOURCE_KEYS = {"title", "publisher", "url", "published", "accessed", "kind", "note"}
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


COV = _load(COVERAGE_PATH)
RATES = _load(RATES_PATH)
ALL_SOURCES: dict[str, dict[str, Any]] = COV["sources"]
RULES: list[tuple[str, int, dict[str, Any]]] = [
    (cc, i, rule)
    for cc, table in COV["coverage"].items()
    for i, rule in enumerate(table.get("rules", []))
]
RULE_IDS = [f"{cc}[{i}]" for cc, i, _ in RULES]
SCHEMES: dict[str, dict[str, Any]] = COV["schemes"]


def _cited(obj: Any) -> list[str]:
    """Every source id cited anywhere inside obj (any `sources` list, at any depth)."""
    found: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "sources" and isinstance(value, list):
                found.extend(value)
            else:
                found.extend(_cited(value))
    elif isinstance(obj, list):
        for item in obj:
            found.extend(_cited(item))
    return found


def _check_range(
    rng: Any, where: str, lo_bound: float = 0.0, hi_bound: float | None = None
) -> None:
    assert isinstance(rng, list) and len(rng) == 2, f"{where}: range must be [low, high]"
    low, high = rng
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng), where
    assert lo_bound <= low <= high, f"{where}: need {lo_bound} <= low <= high, got {rng}"
    if hi_bound is not None:
        assert high <= hi_bound, f"{where}: high above {hi_bound}"


def test_coverage_sections_present() -> None:
    assert COV["coverage"] and COV["schemes"]


def test_all_required_origins_present() -> None:
    missing = MUST_ORIGINS - set(COV["coverage"])
    assert not missing, f"origins missing: {sorted(missing)}"


def test_country_tables() -> None:
    for cc, table in COV["coverage"].items():
        assert COUNTRY_CODE.match(cc), cc
        assert set(table) <= {"usual", "note", "rules"}, cc
        assert table["usual"] in USUAL, cc
        assert isinstance(table.get("note", ""), str)
        assert table.get("rules"), f"{cc}: no rules"


@pytest.mark.parametrize(("cc", "i", "rule"), RULES, ids=RULE_IDS)
def test_rule(cc: str, i: int, rule: dict[str, Any]) -> None:
    where = f"coverage.{cc}.rules[{i}]"
    assert set(rule) <= RULE_KEYS, f"{where}: unknown keys {set(rule) - RULE_KEYS}"
    assert rule["indication"] in INDICATIONS, f"{where}: indication {rule['indication']!r}"
    assert rule["cover"] in COVER, f"{where}: cover {rule['cover']!r}"
    assert rule["covered"] in COVERED, f"{where}: covered {rule['covered']!r}"
    assert isinstance(rule["who"], str) and rule["who"].strip(), where
    assert rule["sources"], f"{where}: no sources"
    if rule["covered"] == "unknown":
        assert rule.get("note", "").strip(), (
            f"{where}: 'unknown' needs a note saying where we looked"
        )
    if "since" in rule:
        assert isinstance(rule["since"], date), f"{where}: since must be a date"
        assert rule["since"] <= ACCESSED, f"{where}: since is in the future"
    if "ages" in rule:
        lo, hi = rule["ages"]
        assert isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= 120, where
    products = set(RATES["products"])
    for product in rule.get("products", []):
        assert product in products, f"{where}: unknown product {product!r}"
    currencies = set(RATES["fx"]["rates"])
    for key, allowed in (("patient_pays", PAYS_KEYS), ("patient_pays_daily", DAILY_KEYS)):
        pays = rule.get(key)
        if pays is None:
            continue
        assert rule["covered"] in {"yes", "partly"}, f"{where}: {key} on a rule that does not cover"
        assert set(pays) <= allowed, f"{where}.{key}: unknown keys {set(pays) - allowed}"
        _check_range(pays["range"], f"{where}.{key}")
        assert pays["currency"] in currencies, f"{where}.{key}: currency not in rates.toml fx"
        assert pays["sources"], f"{where}.{key}: no sources"
        if "max_days" in pays:
            assert isinstance(pays["max_days"], int) and pays["max_days"] > 0, where


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Could one patient match both rules? (Same indication and cover, a shared product or
    an unrestricted product list, and intersecting age bands.)"""
    if a["indication"] != b["indication"] or a["cover"] != b["cover"]:
        return False
    pa, pb = set(a.get("products", [])), set(b.get("products", []))
    if pa and pb and not pa & pb:
        return False
    lo_a, hi_a = a.get("ages", [0, 120])
    lo_b, hi_b = b.get("ages", [0, 120])
    return max(lo_a, lo_b) <= min(hi_a, hi_b)


def test_rules_do_not_overlap() -> None:
    """At most one rule applies to a patient of a given age, indication, product and cover."""
    clashes = []
    for cc, table in COV["coverage"].items():
        rules = table["rules"]
        for i, a in enumerate(rules):
            for j in range(i + 1, len(rules)):
                if _overlap(a, rules[j]):
                    clashes.append((cc, i, j, a["indication"], a["cover"]))
    assert not clashes, f"overlapping rules: {clashes}"


def test_rules_do_not_repeat() -> None:
    """No two rules of a country claim the same (indication, cover, products, ages)."""
    keys = Counter(
        (
            cc,
            rule["indication"],
            rule["cover"],
            tuple(sorted(rule.get("products", []))),
            tuple(rule.get("ages", [])),
        )
        for cc, _, rule in RULES
    )
    dupes = [key for key, n in keys.items() if n > 1]
    assert not dupes, f"duplicate rules: {dupes}"


@pytest.mark.parametrize("sid", sorted(SCHEMES))
def test_scheme(sid: str) -> None:
    scheme = SCHEMES[sid]
    where = f"schemes.{sid}"
    assert set(scheme) <= SCHEME_KEYS, f"{where}: unknown keys {set(scheme) - SCHEME_KEYS}"
    for key in ("name", "providers", "pays"):
        assert isinstance(scheme[key], str) and scheme[key].strip(), f"{where}.{key}"
    assert scheme["origins"], where
    for cc in scheme["origins"]:
        assert COUNTRY_CODE.match(cc), f"{where}: origin {cc!r}"
    destinations = set(RATES["countries"]) | EXTRA_DESTINATIONS
    assert scheme["destinations"], where
    for cc in scheme["destinations"]:
        assert cc in destinations, f"{where}: destination {cc!r} not in rates.toml"
    assert scheme["conditions"] and all(isinstance(c, str) and c for c in scheme["conditions"])
    assert scheme["sources"], where
    if "covers_travel" in scheme:
        assert isinstance(scheme["covers_travel"], bool), where
    if "settles" in scheme:
        assert scheme["settles"] in ("direct", "refund"), where
    if "pays_share" in scheme:
        share = scheme["pays_share"]
        assert set(share) <= SHARE_KEYS, where
        _check_range(share["range"], f"{where}.pays_share", 0.0, 1.0)
        assert share["sources"], where


def test_required_schemes_present() -> None:
    missing = MUST_SCHEMES - set(SCHEMES)
    assert not missing, f"schemes missing: {sorted(missing)}"


def test_every_cited_source_exists() -> None:
    cited = _cited(COV["coverage"]) + _cited(SCHEMES)
    missing = sorted(set(cited) - set(ALL_SOURCES))
    assert not missing, f"cited but not in [sources]: {missing}"


# The sources the coverage sections cite (the rest of the table's sources are checked by
# tests/test_data.py). Those shared with the cost figures were read earlier.
SOURCES = {
    sid: ALL_SOURCES[sid]
    for sid in sorted(set(_cited(COV["coverage"]) + _cited(SCHEMES)))
    if sid in ALL_SOURCES
}


@pytest.mark.parametrize("sid", sorted(SOURCES))
def test_source(sid: str) -> None:
    src = SOURCES[sid]
    where = f"sources.{sid}"
    assert set(src) <= SOURCE_KEYS, f"{where}: unknown keys {set(src) - SOURCE_KEYS}"
    for key in ("title", "publisher"):
        assert isinstance(src[key], str) and src[key].strip(), f"{where}.{key}"
    assert src["kind"] in KINDS, f"{where}: kind {src['kind']!r}"
    assert isinstance(src["published"], date), f"{where}: published must be a date"
    assert isinstance(src["accessed"], date), f"{where}: accessed must be a date"
    assert src["accessed"] <= ACCESSED, f"{where}: accessed after {ACCESSED}"
    assert src["published"] <= src["accessed"], f"{where}: published after accessed"
    if src["kind"] == "assumption":
        assert src["url"] == "" or src["url"].startswith("https://"), where
        assert src.get("note", "").strip(), f"{where}: an assumption must state its basis"
    else:
        assert src["url"].startswith("https://"), f"{where}: url must be https"
        assert " " not in src["url"], f"{where}: url has a space"


# ---------------------------------------------------------------------------------------
# The facts docs/coverage-examples.md relies on. If the data changes, update the doc too.
# ---------------------------------------------------------------------------------------


def _rules(cc: str, indication: str, cover: str) -> list[dict[str, Any]]:
    return [
        r
        for r in COV["coverage"][cc]["rules"]
        if r["indication"] == indication and r["cover"] == cover
    ]


def _offer(cc: str, product: str, indication: str) -> dict[str, Any]:
    for offer in RATES["countries"][cc]["offers"]:
        if offer["product"] == product and indication in offer["indications"]:
            return offer
    raise LookupError(f"{cc} {product} {indication}")


def _treatment_bill(cc: str, product: str, indication: str) -> tuple[int, int]:
    """Product + work-up + apheresis (unless included) + bridging + lymphodepletion +
    inpatient days x inpatient-day rate, at the low and at the high end."""
    offer = _offer(cc, product, indication)
    hospital = RATES["countries"][cc]["hospital"]
    days = RATES["countries"][cc]["durations"]["inpatient_days"]["range"]
    items = ["workup", "bridging", "lymphodepletion"]
    if "apheresis" not in offer.get("includes", []):
        items.append("apheresis")

    def end(fig: dict[str, Any], i: int) -> Any:
        # A figure keyed by kind of hospital spans its kinds: cheapest low, dearest high.
        if "range" in fig:
            return fig["range"][i]
        ends = [f["range"][i] for f in fig.values()]
        return min(ends) if i == 0 else max(ends)

    low = offer["price"]["range"][0] + sum(end(hospital[i], 0) for i in items)
    high = offer["price"]["range"][1] + sum(end(hospital[i], 1) for i in items)
    low += days[0] * end(hospital["inpatient_day"], 0)
    high += days[1] * end(hospital["inpatient_day"], 1)
    return int(low), int(high)


def test_example_a_gb_lbcl_home_free_china_cash() -> None:
    axi = [r for r in _rules("GB", "LBCL", "public") if "axi-cel" in r.get("products", [])]
    assert [r["covered"] for r in axi] == ["yes"]
    assert axi[0]["patient_pays"]["range"] == [0, 0]
    assert not any("GB" in s["origins"] and "CN" in s["destinations"] for s in SCHEMES.values())
    assert _treatment_bill("CN", "axi-cel", "LBCL") == (558_000, 1_629_000)


def test_example_b_gb_mm_not_covered_no_home_price() -> None:
    mm = _rules("GB", "MM", "public")
    assert [r["covered"] for r in mm] == ["no"]
    assert not any("MM" in o["indications"] for o in RATES["countries"]["GB"]["offers"])
    assert "routinely" in " ".join(SCHEMES["nhs-s2"]["conditions"])
    assert _treatment_bill("CN", "eque-cel", "MM") == (558_000, 1_719_000)


def test_example_c_us_insured_cap_and_foreign_cash() -> None:
    insured = _rules("US", "LBCL", "insured")
    assert insured[0]["patient_pays"]["range"] == [0, 10600]
    medicare = _rules("US", "LBCL", "public")
    assert medicare[0]["patient_pays"]["range"] == [1736, 1736]
    # Yescarta's list price USD 373,000-503,047 (the high end: CMS's October 2025 payment
    # limit / 1.06) plus the hospital items, 17,532-316,758.
    assert _treatment_bill("US", "axi-cel", "LBCL") == (373_000 + 17_532, 503_047 + 316_758)


def test_example_d_au_cll_not_covered_mtop_applies() -> None:
    assert [r["covered"] for r in _rules("AU", "CLL", "public")] == ["no"]
    mtop = SCHEMES["au-mtop"]
    assert "AU" in mtop["origins"] and "US" in mtop["destinations"]
    assert mtop["covers_travel"] is True
    assert _treatment_bill("US", "liso-cel", "CLL") == (427_832, 847_193)


def test_how_a_scheme_settles_rests_on_its_sources() -> None:
    # "direct": a source (or the scheme's own words) says the provider is paid without the
    # patient paying; "refund": that the patient pays and is reimbursed.
    said = {
        "direct": ("direct", "pays nothing", "nothing to pay", "no payment by the patient"),
        "refund": ("reimburs",),
    }
    settled = {sid: s["settles"] for sid, s in SCHEMES.items() if "settles" in s}
    assert (
        settled.get("nhs-s2") == "direct" and settled.get("eu-cross-border-directive") == "refund"
    )
    for sid, how in settled.items():
        scheme = SCHEMES[sid]
        texts = [scheme["pays"], *(RATES["sources"][s].get("note", "") for s in scheme["sources"])]
        assert any(w in t.lower() for t in texts for w in said[how]), f"schemes.{sid}.settles"
