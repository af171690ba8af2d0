"""Fuzzing the real rate table: every mutant gives a valid estimate or a clean error.

The target is the shipped data/rates.toml (tests/fixtures/mini.toml when the real table is
missing or broken, so the test still runs while the table is being written). Each mutant
is either the parsed table with a few structure-aware edits (drop a key, swap a type,
make a number negative, huge, NaN or infinite, change a code, rename or duplicate an id,
nest junk deeply, put control characters in text) or the file's bytes edited (flipped,
deleted, duplicated, truncated). Each one is validated, estimated for a few scenarios and
rendered as CSV, JSON and a table; some go through the whole CLI. Anything raised other
than a cartcost.errors.CartcostError fails the test, with the seed to replay it.

Budget: the default run tries the first 6 mutants ([quick]); the [thorough] case, marked
slow, CARTCOST_FUZZ_EXAMPLES mutants (default 600) within CARTCOST_FUZZ_SECONDS (default
30). CARTCOST_FUZZ_SEED picks another series, e.g.

    CARTCOST_FUZZ_EXAMPLES=20000 CARTCOST_FUZZ_SECONDS=600 CARTCOST_FUZZ_SEED=7 \\
        PYTHONPATH=src python -m pytest -q -m slow tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cartcost.errors import CartcostError
from cartcost.estimation import estimate
from cartcost.exports.csvjson import dumps, estimate_csv, estimate_json_obj
from cartcost.rates import FX_MAX, FX_MIN, MAX_DAYS, Rates, validate
from cartcost.rates import MAX_AMOUNT as MAX
from cartcost.ratesfile import parse_toml
from cartcost.render.table import estimate_table, make_console
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import MINI, REAL

EXAMPLES = int(os.environ.get("CARTCOST_FUZZ_EXAMPLES", "600"))
SECONDS = float(os.environ.get("CARTCOST_FUZZ_SECONDS", "30"))
QUICK_EXAMPLES, QUICK_SECONDS = 6, 2.0
MAX_EXTRA = 60
SEED = int(os.environ.get("CARTCOST_FUZZ_SEED", "0"))
CLI_EVERY = 10  # every tenth mutant also runs through the CLI
BUDGET_EVERY = 4  # every fourth structure mutant also simulates a budget

Path_ = tuple[str | int, ...]


def _target() -> tuple[Path, bytes, dict[str, Any], Rates]:
    """The real table if it loads, else the fixture."""
    for path in (REAL, MINI):
        try:
            raw = path.read_bytes()
            data = parse_toml(raw, str(path))
            return path, raw, data, validate(data, str(path))
        except (OSError, CartcostError):
            continue
    raise AssertionError("neither data/rates.toml nor tests/fixtures/mini.toml loads")


TARGET, RAW, DATA, RATES = _target()


def _scenarios(rates: Rates) -> list[Scenario]:
    """Scenarios that work on the unmutated table: every destination, varied travellers."""
    found = []
    origins = sorted(rates.countries)
    currencies = sorted(rates.fx.rates)
    rng = random.Random(1)
    for cc in rates.destinations():
        indications = sorted(
            {i for o in rates.countries[cc].offers.values() for i in o.indications}
        )
        found.append(
            Scenario(
                cc,
                rng.choice(indications),
                origin=rng.choice([None, cc, *origins]),
                caregivers=rng.randint(0, 3),
                currency=rng.choice([None, *currencies]),
            )
        )
    return found


SCENARIOS = _scenarios(RATES)


# ---------------------------------------------------------------- structure mutations


def _nodes(data: Any) -> Iterator[Path_]:
    """Key paths of the table, not descending into junk a mutation nested deeply."""
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        yield path
        if len(path) > 10:
            continue
        if isinstance(node, dict):
            stack += [(v, (*path, k)) for k, v in node.items()]
        elif isinstance(node, list) and len(node) < 100:
            stack += [(v, (*path, i)) for i, v in enumerate(node)]


def _parent(data: Any, path: Path_) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


JUNK: list[Callable[[random.Random], Any]] = [
    lambda r: -r.randint(1, 10**6),
    lambda r: Decimal("-0.01"),
    lambda r: Decimal("NaN"),
    lambda r: Decimal("Infinity"),
    lambda r: Decimal("-Infinity"),
    lambda r: Decimal("1e400"),
    lambda r: Decimal("1e-400"),
    lambda r: Decimal("9" * 40),
    lambda r: 0,
    lambda r: 10**30,
    lambda r: True,
    lambda r: "",
    lambda r: "ZZ",
    lambda r: "zzz",
    lambda r: "=cmd|' /C calc'!A0",
    lambda r: "\x1b]0;owned\x07",
    lambda r: "\u202e" + "reversed",
    lambda r: "x" * 10_000,
    lambda r: date(1, 1, 1),
    lambda r: [],
    lambda r: {},
    lambda r: [1, 2, 3],
    lambda r: {"range": [1, 2]},
    lambda r: {"range": [2, 1], "currency": "USD", "sources": ["nope"]},
    lambda r: _deep(r.choice([40, 3000])),
    lambda r: list(range(r.choice([3, 10_000]))),
    # Identifiers that look right: a final newline, look-alike letters and hyphens.
    lambda r: "USD\n",
    lambda r: "CN\n",
    lambda r: "\u0131n",  # dotless i: "ın".upper() == "IN"
    lambda r: "a\u2010cel",
    lambda r: Decimal("-0.0"),
]


def _deep(depth: int) -> Any:
    node: Any = 1
    for i in range(depth):
        node = [node] if i % 2 else {"a": node}
    return node


def _mutate_data(rng: random.Random, data: dict[str, Any]) -> str:
    """One structure-aware edit in place; returns what was done, for the failure report."""
    paths = [p for p in _nodes(data) if p]
    ranges = [p for p in paths if p[-1] == "range"]
    fx = [p for p in paths if len(p) == 3 and p[:2] == ("fx", "rates")]
    if fx and rng.random() < 0.1:
        # The FX bounds the validator allows, and just past them.
        path = rng.choice(fx)
        rate = rng.choice([FX_MIN, FX_MAX, FX_MIN / 10, FX_MAX * 10, Decimal("1e-400")])
        _parent(data, path)[path[-1]] = rate
        return f"fx {'.'.join(map(str, path))} = {rate}"
    if ranges and rng.random() < 0.3:
        # Still valid: extreme but legal figures (zero, equal ends, near the limit), so
        # the cost model itself, not only validation, meets odd numbers.
        path = rng.choice(ranges)
        top = rng.choice([MAX, Decimal(MAX_DAYS)])  # a money or a duration limit
        low = rng.choice([Decimal(0), Decimal("0.01"), Decimal(rng.randint(1, 10**6)), top])
        high = rng.choice([low, low + rng.randint(0, 10**6), top])
        _parent(data, path)["range"] = [min(low, high), max(low, high)]
        return f"figure {'.'.join(map(str, path))} = [{low}, {high}]"
    path = rng.choice(paths)
    parent, key = _parent(data, path), path[-1]
    value = parent[key]
    kind = rng.choice(["drop", "junk", "number", "code", "rename", "duplicate", "swap"])
    if kind == "drop":
        del parent[key]
    elif kind == "number" and isinstance(value, int | Decimal) and not isinstance(value, bool):
        parent[key] = rng.choice([-value, value * 10**9, value / 1000, Decimal(0), -1])
    elif kind == "code" and isinstance(value, str):
        parent[key] = rng.choice([value.lower(), value + "X", value[:1], "XX", "XXX", "default"])
    elif kind == "rename" and isinstance(parent, dict):
        parent[rng.choice(["XX", "zz", "default", f"{key}-2", str(key).lower()])] = parent.pop(key)
    elif kind == "duplicate" and isinstance(parent, dict) and paths:
        other = rng.choice(paths)
        # Not a copy of junk nested too deeply for deepcopy, nor of a key just dropped.
        with contextlib.suppress(RecursionError, KeyError, IndexError):
            parent[key] = copy.deepcopy(_parent(data, other)[other[-1]])
    elif kind == "swap" and isinstance(value, list) and len(value) >= 2:
        value.reverse()
    else:
        kind = "junk"
        parent[key] = rng.choice(JUNK)(rng)
    return f"{kind} at {'.'.join(map(str, path))}"


# ---------------------------------------------------------------- byte mutations


def _mutate_bytes(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    buf = bytearray(raw)
    kind = rng.choice(["flip", "delete", "duplicate", "truncate", "insert", "swap-lines"])
    at = rng.randrange(len(buf))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(buf))
            buf[i] = rng.choice([buf[i] ^ (1 << rng.randrange(8)), *b"[]{}=\"',.#\n0-"])
    elif kind == "delete":
        del buf[at : at + rng.randint(1, 200)]
    elif kind == "duplicate":
        buf[at:at] = buf[at : at + rng.randint(1, 500)]
    elif kind == "truncate":
        del buf[at:]
    elif kind == "insert":
        buf[at:at] = rng.choice(
            [
                b"\x00",
                b"\xff\xfe",
                b"\xef\xbb\xbf",
                b"[[",
                b"]]",
                b"\n[countries]\n",
                b"nan",
                b"1e400",
            ]
        )
    else:
        lines = bytes(buf).split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        buf = bytearray(b"\n".join(lines))
    return bytes(buf), f"{kind} at byte {at}"


# ---------------------------------------------------------------- the check


def _exercise(data: Any, budget: bool = False) -> int:
    """Validate and estimate; any error must be a CartcostError. Returns estimates made.

    budget: also simulate the first estimate (1,000 draws) and export it: figures at the
    validator's limits once crashed --budget."""
    try:
        rates = validate(data, "mutant.toml")
    except CartcostError:
        return 0
    made = 0
    for sc in SCENARIOS:
        try:
            est = estimate(rates, sc)
        except CartcostError:
            continue
        made += 1
        for item in est.items:
            if item.amount is not None:
                assert 0 <= item.amount.low <= item.amount.high, item
        assert 0 <= est.total.low <= est.total.high
        estimate_csv(est)
        dumps(estimate_json_obj(est))
        make_console(width=100, file=io.StringIO()).print(estimate_table(est, True, rates.sources))
        if budget and made == 1:
            from cartcost.budget import simulate
            from cartcost.exports.budget import estimate_budget_csv

            estimate_budget_csv(simulate(rates, est, 1000, 7, True))
    return made


def _cli(tmp_path: Path, raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mutant.toml"
    path.write_bytes(raw)
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(path))
    sc = SCENARIOS[0]
    args = ["estimate", "-c", sc.country, "-i", sc.indication, "-F", "json"]
    result = run(*args, *(["--from", sc.origin] if sc.origin else []))
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output


def test_target_is_the_real_table_when_it_loads() -> None:
    if REAL.exists():
        try:
            validate(parse_toml(REAL.read_bytes(), str(REAL)))
        except CartcostError:
            pytest.skip("data/rates.toml does not validate right now: fuzzing the fixture")
        assert TARGET == REAL
    assert len(SCENARIOS) >= 2


@pytest.mark.parametrize(
    "budget",
    [
        pytest.param((QUICK_EXAMPLES, QUICK_SECONDS), id="quick"),
        pytest.param((EXAMPLES, SECONDS), id="thorough", marks=pytest.mark.slow),
    ],
)
def test_mutants_give_an_estimate_or_a_clean_error(
    budget: tuple[int, float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples, seconds = budget
    deadline = time.monotonic() + seconds
    done = estimates = 0
    # Past `examples`, go on (at most MAX_EXTRA more) until one mutant has estimated: which
    # mutants break validation depends on the table's shape, and a few can all break it.
    for n in range(examples + MAX_EXTRA):
        if n >= examples and estimates > 0:
            break
        if time.monotonic() > deadline and done >= 20 and estimates > 0:
            break
        rng = random.Random(f"{SEED}-{n}")
        what = ""
        try:
            if rng.random() < 0.6:
                data = copy.deepcopy(DATA)
                what = "; ".join(_mutate_data(rng, data) for _ in range(rng.randint(1, 3)))
                estimates += _exercise(data, budget=n % BUDGET_EVERY == 0)
                raw = None
            else:
                raw, what = _mutate_bytes(rng, RAW)
                try:
                    data = parse_toml(raw, "mutant.toml")
                except CartcostError:
                    data = None
                if data is not None:
                    estimates += _exercise(data)
            if n % CLI_EVERY == 0:
                if raw is None:
                    import tomli_w

                    try:
                        raw = tomli_w.dumps(data).encode()
                    except (TypeError, ValueError, RecursionError):
                        raw = RAW
                _cli(tmp_path, raw, monkeypatch)
        except Exception as error:
            raise AssertionError(
                f"mutant {n} (CARTCOST_FUZZ_SEED={SEED}) of {TARGET.name}: {what}: "
                f"{type(error).__name__}: {error}"
            ) from error
        done += 1
    assert done >= min(20, examples)
    # Most mutants still estimate: the fuzzing reached the cost model, not only the parser.
    assert estimates > 0


# ---------------------------------------------------------------- batch input
#
# A batch INPUT is the other file users hand to cartcost. Each mutant of a small valid
# CSV or JSON Lines file (line-level edits, hostile cells, oversized lines and headers,
# unclosed quotes, look-alike digits, repeated keys) must give one output row per
# record, or a clean message: exit 0, 1 or 2, never an internal error, never a hang.

BATCH_CSV = "country,indication,from,caregivers\nCN,MM,NZ,1\nCN,LBCL,,2\nCN,MM,GB,0\n"
BATCH_JSONL = (
    '{"country": "CN", "indication": "MM", "from": "NZ", "caregivers": 1}\n'
    '{"country": "CN", "indication": "LBCL", "caregivers": 2}\n'
)
CELLS = [
    "1_0",
    " 1",
    "\u0661",
    "+1",
    "-0",
    "-0.0",
    "1e0",
    "10",
    "11",
    "\u0131n",
    "CN\n",
    '"',
    '""',
    "=1+1",
    "\x00",
    "\x1b[2J",
    "\ud800",
    "x" * 300,
    "\ufeffCN",
    "MM\r",
    "nan",
    "true",
]
JSON_VALUES = [
    "NaN",
    "Infinity",
    "-0.0",
    "1.0",
    "1e400",
    "[1]",
    "{}",
    "null",
    "true",
    '"1_0"',
    '"\\u0131n"',
]


def _batch_mutant(rng: random.Random) -> tuple[bytes, str]:
    if rng.random() < 0.5:
        lines = BATCH_CSV.split("\n")
        kind = rng.choice(["cell", "quote", "long-line", "long-header", "dup-header", "bytes"])
        row = rng.randrange(1, len(lines) - 1)
        if kind == "cell":
            cells = lines[row].split(",")
            cells[rng.randrange(len(cells))] = rng.choice(CELLS)
            lines[row] = ",".join(cells)
        elif kind == "quote":
            lines[row] = lines[row].replace(",", ',"', 1)  # a quote opened, never closed
        elif kind == "long-line":
            lines[row] += "," + "x" * rng.choice([20_000, 200_000])
        elif kind == "long-header":
            lines[0] = rng.choice(['"' + "c" * 140_000 + '"', "country," * 20_000 + "indication"])
        elif kind == "dup-header":
            lines[0] = ",".join(["country"] * rng.choice([2, 50_000]) + ["indication"])
        else:
            blob = bytearray("\n".join(lines).encode())
            blob[rng.randrange(len(blob))] = rng.choice([0, 0xFF, 0x0D, 0x22])
            return bytes(blob), f"csv {kind}"
        return "\n".join(lines).encode("utf-8", "surrogatepass"), f"csv {kind} row {row}"
    lines = BATCH_JSONL.split("\n")
    row = rng.randrange(0, len(lines) - 1)
    kind = rng.choice(["value", "dup-key", "long-line", "junk"])
    if kind == "value":
        lines[row] = lines[row].replace(
            '"caregivers": 1', f'"caregivers": {rng.choice(JSON_VALUES)}'
        )
        lines[row] = lines[row].replace(
            '"caregivers": 2', f'"caregivers": {rng.choice(JSON_VALUES)}'
        )
    elif kind == "dup-key":
        lines[row] = lines[row].replace("{", '{"country": "US", ', 1)
    elif kind == "long-line":
        lines[row] = '{"country": "' + "C" * 300_000 + '"}'
    else:
        lines[row] = rng.choice(["[", "{", '{"a": ' * 5000, "\x00", "{}" * 10])
    return "\n".join(lines).encode(), f"jsonl {kind} row {row}"


def test_batch_inputs_give_rows_or_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARTCOST_BASE_RATES", str(MINI))
    deadline = time.monotonic() + SECONDS
    done = 0
    for n in range(EXAMPLES):
        if time.monotonic() > deadline and done >= 20:
            break
        rng = random.Random(f"batch-{SEED}-{n}")
        raw, what = _batch_mutant(rng)
        source = tmp_path / f"in-{n}.txt"
        source.write_bytes(raw)
        started = time.monotonic()
        result = run("batch", str(source), "--no-progress", "--no-cache")
        took = time.monotonic() - started
        context = f"batch mutant {n} (CARTCOST_FUZZ_SEED={SEED}): {what}"
        assert result.exit_code in (0, 1, 2), (context, result.stderr[:500])
        assert "internal error" not in result.stderr and "Traceback" not in result.output, (
            context,
            result.stderr[:500],
        )
        assert len(result.stderr) < 5000, context
        assert took < 10, (context, took)  # every check is linear in the input
        done += 1
    assert done >= min(20, EXAMPLES)
