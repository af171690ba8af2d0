"""Overlays: user tables layered over the default, key by key, validated as a whole.

Expected numbers are computed by hand from tests/fixtures/mini.toml (USD base; CNY = 7,
NZD = 2, GBP = 0.5) and the overlay-*.toml fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartcost.ratesfile import Layers, merge, stack
from tests.clihelp import json_item as item
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI

QUOTE = FIXTURES / "overlay-quote.toml"
ADDITIONS = FIXTURES / "overlay-additions.toml"
OFFERS_ARRAY = FIXTURES / "overlay-offers-array.toml"


def estimate_json(*args: str) -> dict[str, Any]:
    result = run("estimate", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# ---------------------------------------------------------------- merge semantics


def test_later_layer_replaces_a_figure_whole_and_keeps_siblings() -> None:
    base = {
        "countries": {
            "CN": {
                "hospital": {
                    "inpatient_day": {"range": [1, 2], "currency": "CNY", "note": "old"},
                    "workup": {"range": [5, 6], "currency": "CNY"},
                }
            }
        }
    }
    over = {"countries": {"CN": {"hospital": {"inpatient_day": {"range": [3, 4]}}}}}
    layers = stack([("base", base), ("over", over)])
    hospital = layers.data["countries"]["CN"]["hospital"]
    # Replaced whole: the old note and currency do not leak into the new figure.
    assert hospital["inpatient_day"] == {"range": [3, 4]}
    assert hospital["workup"] == {"range": [5, 6], "currency": "CNY"}
    assert layers.layer_of("countries.CN.hospital.inpatient_day") == "over"
    # A key the overlay removed by replacing its figure is blamed on the overlay.
    assert layers.layer_of("countries.CN.hospital.inpatient_day.currency") == "over"
    assert layers.layer_of("countries.CN.hospital.workup.range") == "base"


def test_setting_only_part_of_a_figure_does_not_relabel_the_old_range() -> None:
    base = {"f": {"range": [7, 14], "currency": "CNY", "sources": ["a"]}}
    layers = stack([("base", base), ("over", {"f": {"currency": "USD"}})])
    assert layers.data["f"] == {"currency": "USD"}  # invalid, so validation will say so


def test_lists_are_replaced_whole_and_base_is_not_mutated() -> None:
    base = {"fx": {"sources": ["a", "b"], "rates": {"USD": 1, "CNY": 7}}}
    over = {"fx": {"sources": ["c"], "rates": {"CNY": 8}}}
    merged = merge(base, over)
    assert merged == {"fx": {"sources": ["c"], "rates": {"USD": 1, "CNY": 8}}}
    assert base == {"fx": {"sources": ["a", "b"], "rates": {"USD": 1, "CNY": 7}}}


def test_offers_array_is_keyed_by_product_before_merging() -> None:
    base = {"countries": {"CN": {"offers": {"a-cel": {"product": "a-cel", "x": 1}, "b": {"y": 2}}}}}
    over = {"countries": {"CN": {"offers": [{"product": "a-cel", "x": 3}]}}}
    layers = stack([("base", base), ("over", over)])
    offers = layers.data["countries"]["CN"]["offers"]
    assert offers == {"a-cel": {"product": "a-cel", "x": 3}, "b": {"y": 2}}
    assert layers.layer_of("countries.CN.offers.a-cel.x") == "over"
    assert layers.layer_of("countries.CN.offers.b.y") == "base"


def test_layers_label_and_cited_sources() -> None:
    layers = stack(
        [
            ("<embedded>", {"sources": {"a": {}}, "f": {"range": [1, 1], "sources": ["a"]}}),
            (
                "q.toml",
                {
                    "fx": {"sources": ["b"]},
                    "countries": {"CN": {"entry": {"visa_free_sources": ["c"]}}},
                },
            ),
        ]
    )
    assert layers.label == "<embedded> + q.toml"
    assert layers.cited == {"a", "b", "c"}


# Nested tables with small keys, so layers overlap often; leaves are ints or lists.
_keys = st.sampled_from(["a", "b", "c", "d"])
_leaf = st.one_of(st.integers(0, 9), st.lists(st.integers(0, 9), max_size=2))
_tree = st.recursive(_leaf, lambda inner: st.dictionaries(_keys, inner, max_size=3), max_leaves=12)
_table = st.dictionaries(_keys, _tree, max_size=4)


def _leaves(node: object, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """Leaf values by path; an empty table holds no leaf (in an overlay it changes nothing)."""
    if isinstance(node, dict):
        out: dict[tuple[str, ...], object] = {}
        for k, v in node.items():
            out.update(_leaves(v, (*prefix, k)))
        return out
    return {prefix: node}


def _get(node: object, path: tuple[str, ...]) -> object:
    for part in path:
        assert isinstance(node, dict)
        node = node[part]
    return node


@settings(max_examples=200, deadline=None)
@given(_table, _table)
def test_every_overlay_leaf_wins_and_is_attributed_to_the_overlay(
    base: dict[str, Any], over: dict[str, Any]
) -> None:
    layers = stack([("base", base), ("over", over)])
    for path, value in _leaves(over).items():
        if not path:
            continue
        assert _get(layers.data, path) == value
        assert layers.layer_of(path) == "over"


@settings(max_examples=200, deadline=None)
@given(_table, _table)
def test_base_leaves_survive_unless_the_overlay_replaces_them(
    base: dict[str, Any], over: dict[str, Any]
) -> None:
    layers = stack([("base", base), ("over", over)])
    for path, value in _leaves(base).items():
        # Replaced when, at some table on the way down, the overlay has a key whose
        # value or whose base value is not a table (tables merge; all else is replaced).
        replaced = False
        for n in range(1, len(path) + 1):
            try:
                mine = _get(over, path[:n])
            except (KeyError, AssertionError):
                break
            if not isinstance(mine, dict) or not isinstance(_get(base, path[:n]), dict):
                replaced = True
                break
        if path and not replaced:
            assert _get(layers.data, path) == value
            assert layers.layer_of(path) == "base"


@settings(max_examples=200, deadline=None)
@given(_table, _table, _table)
def test_applying_a_layer_twice_changes_nothing_and_empty_is_identity(
    a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]
) -> None:
    once = merge(merge(a, b), c)
    assert merge(once, c) == once
    assert merge(a, {}) == a
    assert merge({}, a) == a


# ---------------------------------------------------------------- overlays end to end


def test_override_one_figure_changes_exactly_that_line() -> None:
    base = estimate_json("-c", "CN", "-i", "MM")
    doc = estimate_json("-c", "CN", "-i", "MM", "--rates", str(QUOTE))
    # 14 days x 900 CNY / 7 = 1,800 USD; 21 x 1,400 / 7 = 4,200 USD.
    inpatient = item(doc, "hospital.inpatient")
    assert (inpatient["low"], inpatient["high"]) == (1800, 4200)
    assert inpatient["sources"] == ["cn-quote"]
    assert (item(base, "hospital.inpatient")["low"], item(base, "hospital.inpatient")["high"]) == (
        1400,
        4200,
    )
    assert doc["total"]["low"] - base["total"]["low"] == 400
    assert doc["total"]["high"] == base["total"]["high"]
    others = [i for i in doc["items"] if i["key"] != "hospital.inpatient"]
    assert others == [i for i in base["items"] if i["key"] != "hospital.inpatient"]
    assert doc["layers"] == [str(MINI), str(QUOTE)]


def test_additions_new_currency_country_product_offer_and_fx_rate() -> None:
    # c-cel in the US: 400,000 EUR / 0.8 = 500,000 USD.
    doc = estimate_json("-c", "US", "-i", "MM", "--rates", str(ADDITIONS))
    product = item(doc, "product.price")
    assert (product["low"], product["high"]) == (500000, 500000)
    assert [p["id"] for p in doc["products"]] == ["c-cel"]

    # From the new country DE, shown in EUR (its currency, added to [fx.rates]):
    # flights europe-north-america 500-800 GBP x 2 travellers = 1,000-1,600 GBP
    #   = 1,600-2,560 EUR (x 0.8 / 0.5); visa 185-435 USD x 2 = 296-696 EUR.
    doc = estimate_json("-c", "US", "-i", "MM", "--from", "DE", "--rates", str(ADDITIONS))
    assert doc["currency"] == "EUR"
    flights = item(doc, "travel.flights")
    assert (flights["low"], flights["high"]) == (1600, 2560)
    visa = item(doc, "travel.visa")
    assert (visa["low"], visa["high"]) == (296, 696)


def test_changed_fx_rate_is_used() -> None:
    # CNY = 8 in the overlay: 14 x 700 / 8 = 1,225 USD; 21 x 1,400 / 8 = 3,675 USD.
    doc = estimate_json("-c", "CN", "-i", "MM", "--rates", str(ADDITIONS))
    inpatient = item(doc, "hospital.inpatient")
    assert (inpatient["low"], inpatient["high"]) == (1225, 3675)


def test_before_the_overlay_the_additions_do_not_exist() -> None:
    assert run("estimate", "-c", "US", "-i", "MM").exit_code == 1
    result = run("estimate", "-c", "CN", "-i", "MM", "--from", "DE")
    assert result.exit_code == 2 and "unknown origin country 'DE'" in result.stderr


def test_offers_array_overlay_replaces_one_offer() -> None:
    doc = estimate_json("-c", "CN", "-i", "MM", "--rates", str(OFFERS_ARRAY))
    assert [p["id"] for p in doc["products"]] == ["a-cel", "b-cel"]
    a_cel = doc["products"][0]
    assert a_cel["price"] == {"low": 350000, "high": 350000, "currency": "CNY"}
    # 350,000 / 7 = 50,000 USD; high end still b-cel's 2,100,000 / 7 = 300,000.
    product = item(doc, "product.price")
    assert (product["low"], product["high"]) == (50000, 300000)


def test_layers_apply_in_order_env_then_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    low = tmp_path / "low.toml"
    high = tmp_path / "high.toml"
    figure = 'inpatient_day = {{ range = [{0}, {0}], currency = "CNY", sources = ["off"] }}\n'
    low.write_text("[countries.CN.hospital]\n" + figure.format(70))
    high.write_text("[countries.CN.hospital]\n" + figure.format(140))
    monkeypatch.setenv("CARTCOST_RATES", os.pathsep.join([str(high), str(low)]))
    # CARTCOST_RATES: high then low, so low (70 CNY x 14 / 7 = 140 USD) wins.
    doc = estimate_json("-c", "CN", "-i", "MM")
    assert item(doc, "hospital.inpatient")["low"] == 140
    assert doc["layers"] == [str(MINI), str(high), str(low)]
    # --rates comes after CARTCOST_RATES: 140 CNY x 14 / 7 = 280 USD.
    doc = estimate_json("-c", "CN", "-i", "MM", "--rates", str(high))
    assert item(doc, "hospital.inpatient")["low"] == 280
    assert doc["layers"][-1] == str(high)


def test_table_says_which_layers_and_sources_say_which_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(QUOTE, tmp_path / "q.toml")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", "q.toml", "--sources")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].strip() == f"Rates: {MINI} + q.toml"
    inpatient = next(line for line in lines if "Inpatient stay" in line)
    assert "cn-quote [q.toml]" in inpatient
    # Figures from the bottom layer carry no mark; the Rates: line names it.
    workup = next(line for line in lines if "Work-up" in line)
    assert workup.rstrip().endswith("guess")
    assert "Written quote, CAR-T inpatient care" in result.stdout  # in the bibliography


def test_without_overlays_no_layers_line() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert "Rates:" not in result.stdout


def test_source_displaced_by_a_later_overlay_is_not_an_error(tmp_path: Path) -> None:
    later = tmp_path / "later.toml"
    later.write_text(
        "[countries.CN.hospital]\n"
        'inpatient_day = { range = [700, 700], currency = "CNY", sources = ["off"] }\n'
    )
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(QUOTE), "--rates", str(later))
    assert result.exit_code == 0, result.stderr
    listed = run("sources", "-F", "json", "--rates", str(QUOTE), "--rates", str(later))
    uses = {s["id"]: s["uses"] for s in json.loads(listed.stdout)}
    assert uses["cn-quote"] == 0


# ---------------------------------------------------------------- broken overlays

OFFER = """
[countries.CN.offers.x]
product = "{product}"
indications = ["{indication}"]
price = {{ range = [1, 2], currency = "CNY", sources = ["off"] }}
manufacturing_days = {{ range = [1, 2], sources = ["off"] }}
"""


@pytest.mark.parametrize(
    ("content", "key", "needles"),
    [
        (
            OFFER.format(product="zzz", indication="MM"),
            "countries.CN.offers.x.product",
            ["unknown product 'zzz'", "known: a-cel, b-cel"],
        ),
        (
            OFFER.format(product="a-cel", indication="QQ"),
            "countries.CN.offers.x.indications",
            ["unknown indication 'QQ'", "known: LBCL, MM"],
        ),
        (
            '[countries.CN.hospital]\ninpatient_day = { range = [1, 2], currency = "XYZ", sources = ["off"] }',
            "countries.CN.hospital.inpatient_day.currency",
            ["currency XYZ has no rate", "known: CNY, GBP, NZD, USD"],
        ),
        (
            '[countries.CN.hospital]\ninpatient_day = { range = [1, 2], currency = "CNY", sources = ["of"] }',
            "countries.CN.hospital.inpatient_day.sources",
            ["unknown source id 'of'", "did you mean off?", "known: guess, off"],
        ),
        (
            '[countries.CN.hospital]\ninpatient_day = { range = [1, 2], sources = ["off"] }',
            "countries.CN.hospital.inpatient_day.currency",
            ["required key is missing"],
        ),
        (
            '[countries.CN.hospital]\nday_rate = { range = [1, 2], currency = "CNY", sources = ["off"] }',
            "countries.CN.hospital.day_rate",
            ["unknown key", "allowed here: workup, apheresis, lymphodepletion, inpatient_day"],
        ),
        ('[fx.rates]\nCNY = "seven"', "fx.rates.CNY", ["expected a number"]),
        ("[fx.rates]\nCNY = 0", "fx", ["must be positive"]),
        (
            '[countries.DE]\nname = "Germany"\ncurrency = "GBP"\nregion = "europe"\n'
            + OFFER.format(product="a-cel", indication="MM").replace("CN", "DE"),
            "countries.DE",
            ["missing: hospital, durations, living, entry"],
        ),
        (
            '[sources.lonely]\ntitle = "t"\npublisher = "p"\nurl = "https://example.org"\n'
            'published = 2026-01-01\naccessed = 2026-01-01\nkind = "news"',
            "sources.lonely",
            ["never used"],
        ),
        ('[countries.CN]\nregion = "mars"', "countries.CN.region", ["Input should be"]),
    ],
)
def test_broken_overlay_names_file_and_key_and_never_falls_back(
    tmp_path: Path, content: str, key: str, needles: list[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content + "\n")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    line = next((ln for ln in result.stderr.splitlines() if f"{bad}: {key}" in ln), None)
    assert line is not None, result.stderr
    for needle in needles:
        assert needle in line, line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"[countries.CN\n", "TOML syntax error"),
        (b"", "file is empty"),
        (b"\xff\xfe[x]", "not UTF-8"),
    ],
)
def test_unreadable_overlay_is_exit_2(tmp_path: Path, content: bytes, needle: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: {needle}" in result.stderr


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    one.write_text("[x\n")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(one), "--rates", str(two))
    assert result.exit_code == 2
    assert f"{one}: TOML syntax error" in result.stderr
    assert f"{two}: file not found" in result.stderr


def test_missing_overlay_in_env_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTCOST_RATES", str(tmp_path / "gone.toml"))
    result = run("countries")
    assert result.exit_code == 2
    assert "gone.toml: file not found" in result.stderr


def test_oversized_overlay_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cartcost.ratesfile

    parse = cartcost.ratesfile.parse_toml

    def guarded(raw: bytes, name: str) -> dict[str, Any]:
        assert not name.endswith("big.toml"), "parsed a file over the limit"
        return parse(raw, name)

    monkeypatch.setattr(cartcost.ratesfile, "parse_toml", guarded)
    big = tmp_path / "big.toml"
    with big.open("wb") as f:
        f.truncate(5 * 1024 * 1024 + 1)
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(big))
    assert result.exit_code == 2
    assert "5,242,881 bytes; the limit is 5,242,880" in result.stderr


def test_directory_as_overlay_is_an_error(tmp_path: Path) -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_layer_of_falls_back_to_the_top_layer_for_unknown_paths() -> None:
    layers = Layers(("a", "b"), {}, {})
    assert layers.layer_of("nowhere.at.all") == "b"
