"""`--draws-out`: every simulated draw as a tidy long table, and the inputs drawn."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from cartcost import budget
from cartcost.draws_out import params_path, parquet_available
from cartcost.estimation import estimate
from cartcost.rates import Rates
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import FIXTURES

EVENTS = str(FIXTURES / "budget-events.toml")
CN = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_paths_of_the_params_file() -> None:
    assert params_path("draws.csv") == "draws.params.csv"
    assert params_path("out/run.1.parquet") == "out/run.1.params.parquet"
    assert params_path("dir.x/draws") == "dir.x/draws.params"


def test_estimate_writes_every_draw_and_its_inputs(tmp_path: Path, mini_rates: Rates) -> None:
    out = tmp_path / "draws.csv"
    result = run(*CN, "--draws", "1000", "--rates", EVENTS, "--draws-out", str(out), "-F", "json")
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    rows = read(out)
    assert list(rows[0]) == ["scenario", "draw", "line", "category", "amount", "currency"]
    by_draw: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for r in rows:
        assert r["scenario"] == "CN/MM" and r["currency"] == "NZD"
        by_draw[int(r["draw"])][r["line"]] = Decimal(r["amount"])
    assert sorted(by_draw) == list(range(1, 1001))
    lines = {k for d in by_draw.values() for k in d}
    assert "total" in lines and "hospital.complications" in lines
    for d in by_draw.values():
        parts = sum(v for k, v in d.items() if k != "total")
        assert abs(parts - d["total"]) <= Decimal("0.01") * len(d)  # each rounded to the cent
    # The file is the draws the budget summarised: its P50 is the JSON's.
    totals = sorted(float(d["total"]) for d in by_draw.values())
    p50 = json.loads(result.stdout)["budget"]["total"]["p50"]
    assert abs((totals[499] + totals[500]) / 2 - p50) < 0.02
    params = read(tmp_path / "draws.params.csv")
    assert len(params) == 1000 and [p["draw"] for p in params[:3]] == ["1", "2", "3"]
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    assert {p["offer"] for p in params} <= {o.id for o in est.offers}
    events = [c for c in params[0] if c.startswith("event.")]
    assert events and all(p[c] in ("0", "1") for p in params for c in events)
    low, high = (float(x) for x in mini_rates.countries["CN"].durations.workup_days.range)  # type: ignore[union-attr]
    assert all(low <= float(p["days.workup"]) <= high for p in params)


def test_the_draws_do_not_change_the_budget(tmp_path: Path) -> None:
    plain = run(*CN, "--draws", "1000", "-F", "json").stdout
    written = run(*CN, "--draws", "1000", "--draws-out", str(tmp_path / "d.csv"), "-F", "json")
    assert written.stdout == plain


def test_written_chunk_by_chunk(monkeypatch: pytest.MonkeyPatch, mini_rates: Rates) -> None:
    monkeypatch.setattr(budget, "CHUNK", 1000)
    chunks: list[tuple[int, int]] = []

    def sink(d: object, record: dict[str, object], start: int) -> None:
        chunks.append((start, len(record["price"])))  # type: ignore[arg-type]

    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    budget.simulate(mini_rates, est, 3500, sink=sink)
    assert chunks == [(0, 1000), (1000, 1000), (2000, 1000), (3000, 500)]


def test_compare_writes_one_scenario_per_row(tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    args = ("compare", "-i", "LBCL", "--from", "GB", "--budget", "--draws", "1000")
    result = run(*args, "--draws-out", str(out), "-F", "csv")
    assert result.exit_code == 0, result.stderr
    rows = read(out)
    labels = {r["scenario"] for r in rows}
    assert len(labels) == len(result.stdout.splitlines()) - 1  # one per compare row
    for label in labels:
        totals = [r for r in rows if r["scenario"] == label and r["line"] == "total"]
        assert len(totals) == 1000
    params = read(tmp_path / "cmp.params.csv")
    assert {p["scenario"] for p in params} == labels and len(params) == 1000 * len(labels)
    # Common random numbers: draw k is the same quantile of an input in every scenario,
    # so the work-up days of any two destinations rank their draws alike.
    ranks = []
    for label in sorted(labels):
        days = [(float(p["days.workup"]), int(p["draw"])) for p in params if p["scenario"] == label]
        if max(d for d, _ in days) > min(d for d, _ in days):
            ranks.append([k for _, k in sorted(days)])
    assert len(ranks) >= 2 and all(r == ranks[0] for r in ranks)
    by = run(*args, "--by", "product", "--draws-out", str(out), "--force", "-F", "csv")
    assert by.exit_code == 0, by.stderr
    assert all(r["scenario"].count("/") == 2 for r in read(out))  # country/indication/product


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((*CN, "--draws-out", "d.csv"), "needs --budget"),
        ((*CN, "--budget", "--draws-out", "d.xlsx"), "cannot write .xlsx"),
        ((*CN, "--budget", "--draws-out", "d"), "without an extension"),
        ((*CN, "--budget", "--draws-out", "-"), "needs a file path"),
        ((*CN, "--budget", "--draws-out", "nowhere/d.csv"), "does not exist"),
        ((*CN, "--budget", "--draws-out", "d.csv", "-o", "d.csv"), "same file"),
        ((*CN, "--budget", "--draws-out", "d.csv", "-o", "d.params.csv"), "same file"),
        (("compare", "-i", "MM", "--draws-out", "d.csv"), "needs --budget"),
    ],
)
def test_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert not any(tmp_path.iterdir())  # nothing written


def test_parquet_needs_pyarrow(tmp_path: Path) -> None:
    if parquet_available():
        result = run(*CN, "--draws", "1000", "--draws-out", str(tmp_path / "d.parquet"))
        assert result.exit_code == 0, result.stderr
        import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]

        table = pq.read_table(tmp_path / "d.parquet")
        assert table.column_names == ["scenario", "draw", "line", "category", "amount", "currency"]
        assert pq.read_table(tmp_path / "d.params.parquet").num_rows == 1000
        return
    result = run(*CN, "--budget", "--draws-out", str(tmp_path / "d.parquet"))
    assert result.exit_code == 2
    assert "needs pyarrow" in result.stderr and ".csv" in result.stderr


def test_never_over_an_input(tmp_path: Path) -> None:
    overlay = tmp_path / "quote.csv"
    overlay.write_bytes(Path(EVENTS).read_bytes())
    before = overlay.read_bytes()
    result = run(*CN, "--budget", "--rates", str(overlay), "--draws-out", str(overlay))
    assert result.exit_code == 2, result.stderr
    assert overlay.read_bytes() == before
