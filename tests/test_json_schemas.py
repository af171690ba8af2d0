"""Every JSON output carries `meta` and matches its schema in docs/schemas/.

The schemas use a small subset of JSON Schema draft 2020-12 (type, enum, required,
properties, items, additionalProperties false); the validator below checks exactly that
subset, so the tests need no extra package."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cartcost.metadata import SCHEMA_VERSION, methods_paragraph, table_digest
from cartcost.rates import Rates
from tests.clihelp import run
from tests.conftest import FIXTURES, MINI, REAL

SCHEMAS = Path(__file__).parents[1] / "docs" / "schemas"
KEYWORDS = {
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "enum",
    "required",
    "properties",
    "items",
    "additionalProperties",
}
TYPES = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def problems(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Where `value` breaks `schema` (the subset above); [] when it matches."""
    unknown = set(schema) - KEYWORDS
    assert not unknown, f"{path}: keyword outside the subset: {unknown}"
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(TYPES[t](value) for t in names):
            return [f"{path}: {type(value).__name__} {value!r:.60} is not {names}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        found += [f"{path}: missing {k!r}" for k in schema.get("required", ()) if k not in value]
        extra = schema.get("additionalProperties")
        if extra is False:
            found += [f"{path}: unexpected {k!r}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                found += problems(props[k], v, f"{path}.{k}")
            elif isinstance(extra, dict):
                found += problems(extra, v, f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            found += problems(schema["items"], v, f"{path}[{i}]")
    return found


def test_the_validator_catches_what_it_should() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "integer"}, "b": {"enum": [1]}},
        "additionalProperties": False,
    }
    assert problems(schema, {"a": 1}) == []
    assert problems(schema, {"a": True})  # a boolean is not an integer
    assert problems(schema, {})
    assert problems(schema, {"a": 1, "c": 2})
    assert problems(schema, {"a": 1, "b": 2})
    assert problems({"type": "array", "items": {"type": "string"}}, ["x", 1])
    by_key = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert problems(by_key, {"x": 1, "y": 2}) == []
    assert problems(by_key, {"x": 1, "y": "2"})


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    assert found["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return found


EVENTS = str(FIXTURES / "budget-events.toml")
PEGS = FIXTURES / "overlay-pegs.toml"
CASES = [
    ("estimate", ["estimate", "-c", "CN", "-i", "MM", "--from", "NZ"]),
    ("estimate", ["estimate", "-c", "US", "-i", "LBCL"]),
    (
        "estimate",
        ["estimate", "-c", "CN", "-i", "MM", "--pathway", "trial", "--pathway", "commercial"],
    ),
    ("estimate-budget", ["estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--draws", "1000"]),
    (
        "estimate-budget",
        ["estimate", "-c", "CN", "-i", "MM", "--budget", "--drivers", "--rates", EVENTS],
    ),
    ("compare", ["compare", "-i", "MM", "--from", "NZ"]),
    ("compare", ["compare", "-i", "MM", "--by", "product"]),
    ("compare-budget", ["compare", "-i", "MM", "--from", "NZ", "--budget", "--draws", "1000"]),
    ("compare-budget", ["compare", "-i", "MM", "--drivers", "--draws", "1000"]),
    (
        "estimate",
        ["estimate", "-c", "CN", "-i", "MM", "--from", "AE", "--rates", str(PEGS)],
    ),
    ("compare", ["compare", "-i", "MM", "--currency", "AED", "--rates", str(PEGS)]),
]


@pytest.mark.parametrize(("name", "args"), CASES)
def test_outputs_match_their_schema_and_say_what_the_run_was(name: str, args: list[str]) -> None:
    result = run(*args, "-F", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert problems(schema(name), out) == []
    meta = out["meta"]
    assert meta["schema_version"] == SCHEMA_VERSION
    assert meta["price_year"] == int(meta["data_as_of"][:4])
    names = [layer["name"] for layer in meta["rates"]["layers"]]
    assert names == out["layers"]
    digest = hashlib.sha256(MINI.read_bytes()).hexdigest()
    assert meta["rates"]["layers"][0]["sha256"] == digest
    if "--rates" not in args:
        assert meta["rates"]["sha256"] == digest  # one layer: `sha256sum` of the file
    if "budget" in name:
        assert meta["draws"] == (1000 if "--draws" in args else 100_000)
        assert meta["seed"] == 2026


def test_the_real_table_matches_too(real_table: Path) -> None:
    for name, args in [
        ("estimate", ["estimate", "-c", "IN", "-i", "LBCL", "--from", "GB", "--hospital", "any"]),
        ("compare-budget", ["compare", "-i", "LBCL", "--from", "GB", "--draws", "1000"]),
    ]:
        out = json.loads(run(*args, "-F", "json").stdout)
        assert problems(schema(name), out) == []
        assert out["meta"]["rates"]["sha256"] == hashlib.sha256(REAL.read_bytes()).hexdigest()


def test_overlays_hash_as_documented() -> None:
    out = json.loads(
        run("estimate", "-c", "CN", "-i", "MM", "--rates", EVENTS, "-F", "json").stdout
    )
    layers = out["meta"]["rates"]["layers"]
    assert len(layers) == 2
    assert layers[1]["sha256"] == hashlib.sha256(Path(EVENTS).read_bytes()).hexdigest()
    joined = "".join(layer["sha256"] + "\n" for layer in layers).encode()
    assert out["meta"]["rates"]["sha256"] == hashlib.sha256(joined).hexdigest()
    assert table_digest([layer["sha256"] for layer in layers]) == out["meta"]["rates"]["sha256"]


def test_the_methods_paragraph_states_currency_date_and_conversion(mini_rates: Rates) -> None:
    from cartcost.estimation import estimate
    from cartcost.scenario import Scenario

    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    text = methods_paragraph(est, mini_rates)
    assert "reported in NZD" in text
    assert f"Price year: {mini_rates.meta.as_of.year}" in text
    assert mini_rates.fx.as_of.isoformat() in text
    assert "converted to NZD" in text and "CNY" in text
    assert "seed 2026" in text
    from cartcost.budget import simulate

    with_budget = methods_paragraph(est, mini_rates, simulate(mini_rates, est, 1000, seed=3))
    assert "1,000 simulated journeys (seed 3)" in with_budget and "400" not in with_budget
    assert "common random numbers" in with_budget


def test_docs_quote_the_paragraph_as_the_core_writes_it(real_table: Path) -> None:
    import cartcost

    rates = cartcost.load_rates()
    est = cartcost.estimate(rates, cartcost.Scenario(country="CN", indication="MM", origin="NZ"))
    doc = (Path(__file__).parents[1] / "docs" / "methods.md").read_text("utf-8")
    quoted = " ".join(line[2:] for line in doc.splitlines() if line.startswith("> "))
    assert quoted == methods_paragraph(est, rates)


def test_batch_rows_and_run_record_match_their_schemas(tmp_path: Path) -> None:
    rows = tmp_path / "in.csv"
    rows.write_text(
        "country,indication,from,caregivers\nCN,MM,NZ,1\nUS,LBCL,GB,0\nCN,MM,NZ,x\n",
        encoding="utf-8",
    )
    row_schema, meta_schema = schema("batch-row"), schema("meta")
    for extra in ((), ("--subtotals", "--budget", "--draws", "1000"), ("--items",)):
        out, meta = tmp_path / "out.jsonl", tmp_path / "run.json"
        args = ("batch", str(rows), "-o", str(out), "--meta", str(meta), "--force", *extra)
        result = run(*args)
        assert result.exit_code == 1, result.stderr  # the third row fails
        lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
        assert lines and any(r["error"] for r in lines) and any(not r["error"] for r in lines)
        for r in lines:
            assert problems(row_schema, r) == [], r
        record = json.loads(meta.read_text("utf-8"))
        assert problems(meta_schema, record) == []
        budget = "--budget" in extra
        assert (record["draws"], record["seed"]) == ((1000, 2026) if budget else (None, None))
    # The schema is not a rubber stamp.
    assert problems(
        row_schema, {"row": 2, "country": "CN", "indication": "MM", "error": None, "x": 1}
    )
    assert problems(row_schema, {"row": 2, "country": "CN", "indication": "MM", "error": 3})
