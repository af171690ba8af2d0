"""The same inputs give byte-identical CSV and JSON, so exports can be diffed.

Every command runs in two fresh processes with different hash seeds (Python randomises
the order of sets between processes), and each output is compared byte for byte: data,
error messages and files written with --output.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartcost.estimation import estimate
from cartcost.exports.csvjson import dumps, estimate_csv, estimate_json_obj
from cartcost.rates import validate
from tests.conftest import MINI
from tests.test_properties import rate_tables, scenarios

# Every check here starts fresh processes: the slow step runs it (python -m pytest -m slow).
pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "corpus"
HOSTILE = str(CORPUS / "hostile" / "formulas.toml")
BROKEN = str(CORPUS / "overlays" / "unknown-currency.toml")
SRC = str(Path(__file__).parents[1] / "src")

COMMANDS: list[list[str]] = [
    ["estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "-F", "csv"],
    ["estimate", "-c", "CN", "-i", "MM", "--from", "GB", "--caregivers", "2", "-F", "json"],
    ["estimate", "-c", "US", "-i", "LBCL", "--caregivers", "0", "-F", "json"],
    ["estimate", "-c", "CN", "-i", "=MM", "-F", "csv", "--rates", HOSTILE],
    ["estimate", "-c", "CN", "-i", "MM", "--sources", "--from", "NZ"],
    [
        "estimate",
        "-c",
        "CN",
        "-i",
        "MM",
        "--budget",
        "--draws",
        "2000",
        "--seed",
        "7",
        "-F",
        "json",
    ],
    ["compare", "-i", "MM", "-c", "CN,US", "-F", "csv"],
    ["compare", "-i", "LBCL", "-c", "CN,US", "--from", "NZ", "--by", "product", "-F", "json"],
    ["sources", "-F", "csv", "--rates", HOSTILE],
    ["sources", "-F", "json"],
    ["products", "-F", "json"],
    ["indications", "-F", "csv"],
    ["countries", "-F", "json"],
    ["rates", "show", "-F", "json"],
    ["estimate", "-c", "CN", "-i", "MM", "--rates", BROKEN],
    ["estimate", "-c", "XX", "-i", "MM"],
    ["estimate", "-c", "CN", "-i", "MM", "-F", "csv", "-o", "{out}/estimate.csv"],
    ["compare", "-i", "MM", "-c", "CN,US", "-F", "json", "-o", "{out}/compare.json"],
    ["batch", "{batch}", "--items", "--no-progress", "-o", "{out}/batch.csv"],
]

RUNNER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from typer.testing import CliRunner
    from cartcost.cli import app

    commands, out = json.loads(sys.argv[1]), Path(sys.argv[2])
    results = []
    for args in commands:
        r = CliRunner().invoke(app, args)
        results.append([r.exit_code, r.stdout, r.stderr])
    files = {p.name: p.read_text() for p in sorted(out.iterdir())}
    print(json.dumps({"results": results, "files": files}))
    """
)


def _run_all(seed: str, tmp: Path, batch: Path) -> dict[str, Any]:
    out = tmp / f"out-{seed}"
    out.mkdir()
    commands = [
        [a.replace("{out}", str(out)).replace("{batch}", str(batch)) for a in args]
        for args in COMMANDS
    ]
    env = {
        **os.environ,
        "PYTHONHASHSEED": seed,
        "PYTHONPATH": SRC,
        "CARTCOST_BASE_RATES": str(MINI),
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(commands), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    doc: dict[str, Any] = json.loads(proc.stdout)
    # Paths differ between the two runs only by the output directory's name.
    return json.loads(json.dumps(doc).replace(str(out), "<out>"))


def test_outputs_are_byte_identical_across_processes(tmp_path: Path) -> None:
    batch = tmp_path / "in.csv"
    batch.write_text(
        "country,indication,from,caregivers,currency\n"
        "CN,MM,NZ,1,\nCN,MM,GB,2,GBP\nUS,LBCL,NZ,0,USD\nXX,MM,,1,\nCN,MM,NZ,1,\n"
    )
    first = _run_all("1", tmp_path, batch)
    second = _run_all("4242", tmp_path, batch)
    assert len(first["results"]) == len(COMMANDS)
    for args, a, b in zip(COMMANDS, first["results"], second["results"], strict=True):
        assert a == b, " ".join(args)
    assert first["files"] == second["files"]
    assert set(first["files"]) == {"estimate.csv", "compare.json", "batch.csv"}
    # The runs succeeded where they should, so the comparison compared something.
    codes = [r[0] for r in first["results"]]
    assert codes[:14] == [0] * 14 and codes[14:16] == [2, 2]
    # No clock in the output: nothing says today's date (the fixture's dates are older).
    today = date.today().isoformat()
    assert all(today not in r[1] for r in first["results"])
    assert all(today not in text for text in first["files"].values())


def _reversed(node: dict[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(node.items())))


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_exports_do_not_depend_on_the_order_of_lookup_tables(data: st.DataObject) -> None:
    """The bibliography, FX rates, indications, products and fares are look-ups: written
    in another order, the table gives the same bytes out."""
    table = data.draw(rate_tables())
    scenario = data.draw(scenarios(table))
    shuffled = copy.deepcopy(table)
    for key in ("sources", "indications", "products"):
        shuffled[key] = _reversed(shuffled[key])
    shuffled["fx"]["rates"] = _reversed(shuffled["fx"]["rates"])
    shuffled["flights"]["regions"] = _reversed(shuffled["flights"]["regions"])
    one, two = estimate(validate(table), scenario), estimate(validate(shuffled), scenario)
    assert estimate_csv(one) == estimate_csv(two)
    assert dumps(estimate_json_obj(one)) == dumps(estimate_json_obj(two))
