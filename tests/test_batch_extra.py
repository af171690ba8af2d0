"""`batch -F jsonl`, `--subtotals` and `--budget`: rows for analysts."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cartcost.batch_extra import BATCH_DRAWS
from tests.clihelp import run
from tests.conftest import FIXTURES

ROWS = "country,indication,from,caregivers\nCN,MM,NZ,1\nCN,MM,XX,1\nUS,LBCL,GB,0\nCN,MM,NZ,1\n"


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_has_the_csv_columns_typed(scenarios: Path) -> None:
    result = run("batch", str(scenarios), "-F", "jsonl")
    assert result.exit_code == 1  # one row fails
    rows = lines(result.stdout)
    assert [r["row"] for r in rows] == [2, 3, 4, 5]
    header = run("batch", str(scenarios)).stdout.splitlines()[0].split(",")
    assert all(list(r) == header for r in rows)
    ok = rows[0]
    assert ok["caregivers"] == 1 and ok["lives_nearby"] is False and ok["error"] is None
    assert isinstance(ok["product"], list) and isinstance(ok["total_low"], int | float)
    bad = rows[1]
    assert bad["total_low"] is None and "XX" in str(bad["error"])
    assert bad["from"] == "XX"  # as given


def test_jsonl_by_extension_and_errors_file(scenarios: Path, tmp_path: Path) -> None:
    out, errors = tmp_path / "out.jsonl", tmp_path / "bad.jsonl"
    result = run("batch", str(scenarios), "-o", str(out), "--errors", str(errors))
    assert result.exit_code == 1
    assert [r["row"] for r in lines(out.read_text("utf-8"))] == [2, 4, 5]
    (failed,) = lines(errors.read_text("utf-8"))
    assert failed["row"] == 3 and "XX" in str(failed["error"]) and "total_low" not in failed


def test_subtotals_add_up_to_the_total(scenarios: Path) -> None:
    result = run("batch", str(scenarios), "--subtotals")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert "hospital_low" in rows[0] and "services_high" in rows[0]
    for r in rows:
        if r["error"]:
            assert r["product_low"] == ""
            continue
        for end in ("low", "high"):
            parts = [
                r[f"{c}_{end}"] for c in ("product", "hospital", "living", "travel", "services")
            ]
            assert sum(Decimal(p) for p in parts if p) == Decimal(r[f"total_{end}"])


def test_budget_rows_rerun_alone_and_match_estimate(scenarios: Path, tmp_path: Path) -> None:
    result = run("batch", str(scenarios), "--budget", "--seed", "7", "-F", "jsonl")
    rows = lines(result.stdout)
    first, repeat = rows[0], rows[3]
    assert first["draws"] == BATCH_DRAWS
    assert {k: v for k, v in first.items() if k != "row"} == {
        k: v for k, v in repeat.items() if k != "row"
    }
    assert rows[1]["total_p50"] is None and rows[1]["error"]
    us = rows[2]
    assert float(us["total_low"]) <= float(us["total_p10"]) <= float(us["total_p50"])  # type: ignore[arg-type]
    assert float(us["total_p50"]) <= float(us["total_p90"]) <= float(us["total_high"])  # type: ignore[arg-type]
    # Alone, in another file, at another row: the same figures.
    alone = tmp_path / "alone.jsonl"
    alone.write_text('{"country": "US", "indication": "LBCL", "from": "GB", "caregivers": 0}\n')
    (again,) = lines(run("batch", str(alone), "--budget", "--seed", "7", "-F", "jsonl").stdout)
    assert {k: again[k] for k in ("total_p10", "total_p50", "total_p90", "seed")} == {
        k: us[k] for k in ("total_p10", "total_p50", "total_p90", "seed")
    }
    # And what `estimate --budget` gives with the row's draws and seed.
    est = run(
        "estimate", "-c", "US", "-i", "LBCL", "--from", "GB", "--caregivers", "0",
        "--draws", str(us["draws"]), "--seed", str(us["seed"]), "-F", "json",
    )  # fmt: skip
    budget = json.loads(est.stdout)["budget"]
    total, you = budget["total"], budget["you_pay"]
    assert [total["p10"], total["p50"], total["p90"]] == [
        us["total_p10"],
        us["total_p50"],
        us["total_p90"],
    ]
    # A GB patient treated in the US pays it all: the same draws, the same figures.
    assert (
        [you["p10"], you["p50"], you["p90"]]
        == [
            us["you_pay_p10"],
            us["you_pay_p50"],
            us["you_pay_p90"],
        ]
        == [us["total_p10"], us["total_p50"], us["total_p90"]]
    )
    # Another global seed, other figures.
    other = lines(run("batch", str(alone), "--budget", "--seed", "8", "-F", "jsonl").stdout)[0]
    assert other["seed"] == 8 and us["seed"] == 7
    assert other["total_p50"] != us["total_p50"]


def test_budget_rows_give_what_the_family_pays_as_estimate_does(tmp_path: Path) -> None:
    # The who-pays fixture: a US family insured at home pays its living costs and up to
    # the plan's cap, USD 10,200-34,400 of a USD 462,200-643,400 total (test_who_pays).
    who = str(FIXTURES / "whopays.toml")
    rows = tmp_path / "home.jsonl"
    rows.write_text('{"country": "US", "indication": "LBCL", "from": "US"}\n')
    out = run("batch", str(rows), "--budget", "--draws", "1000", "-F", "jsonl", "--rates", who)
    (row,) = lines(out.stdout)
    est = run(
        "estimate", "-c", "US", "-i", "LBCL", "--from", "US", "--rates", who,
        "--draws", "1000", "--seed", str(row["seed"]), "-F", "json",
    )  # fmt: skip
    you = json.loads(est.stdout)["budget"]["you_pay"]
    got = [row["you_pay_p10"], row["you_pay_p50"], row["you_pay_p90"]]
    assert got == [you["p10"], you["p50"], you["p90"]]
    assert 10_200 <= float(you["p10"]) <= float(you["p90"]) <= 34_400
    assert float(row["total_p10"]) >= 462_200  # type: ignore[arg-type]


def test_budget_rows_share_their_draws(tmp_path: Path) -> None:
    """Common random numbers: every row draws with the global seed, so the same journey
    shown in two currencies has percentiles one conversion apart (independent draws per
    row would put them some tenths of a percent apart at 2,000 draws)."""
    both = tmp_path / "both.csv"
    both.write_text("country,indication,from,currency\nCN,MM,NZ,NZD\nCN,MM,NZ,USD\n")
    nzd, usd = lines(run("batch", str(both), "--budget", "--seed", "5", "-F", "jsonl").stdout)
    assert nzd["seed"] == usd["seed"] == 5
    rate = Decimal(str(nzd["total_p50"])) / Decimal(str(usd["total_p50"]))
    for q in ("total_p10", "total_p90", "total_low", "total_high"):
        converted = Decimal(str(usd[q])) * rate
        assert abs(converted - Decimal(str(nzd[q]))) <= Decimal("0.02") + abs(converted) / 10**7


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--items", "--budget"), "--items"),
        (("--items", "--subtotals"), "--items"),
        (("-F", "xml"), "csv or jsonl"),
        (("-F", "jsonl", "--bom"), "--bom"),
        (("-F", "csv", "-o", "out.jsonl"), "disagree"),
        (("--budget", "--draws", "5"), "--draws"),
        (("--meta", "-"), "--meta needs a file path"),
        (("--meta", "in.csv"), "is the same file as the batch INPUT"),
    ],
)
def test_usage_errors(
    scenarios: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("batch", str(scenarios), *args)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_help_gives_the_batch_default_for_draws() -> None:
    text = " ".join(run("batch", "--help").stdout.split())
    assert f"[default: {BATCH_DRAWS}]" in text and "[default: 100000]" not in text
