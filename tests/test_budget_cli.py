"""`estimate --budget` and `compare --budget` end to end, every format, on the fixture."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cartcost.budget import simulate
from cartcost.estimation import estimate
from cartcost.exports.fmt import whole
from cartcost.rates import Rates
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import FIXTURES

EVENTS = str(FIXTURES / "budget-events.toml")
CN = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ")


def test_table_shows_percentiles_beside_low_and_high(
    mini_rates: Rates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "140")
    result = run(*CN, "--budget")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert result.stderr == ""
    for header in ("Low", "P10", "P50", "P90", "High", "Mean", "low ▸ high"):
        assert header in out
    b = simulate(mini_rates, estimate(mini_rates, Scenario("CN", "MM", origin="NZ")))
    total_row = next(line for line in out.splitlines() if line.strip().startswith("Total NZD"))
    for value in (225_120, b.total.p10, b.total.p50, b.total.p90, 698_900, b.total.mean):
        assert whole(Decimal(value)) in total_row
    assert f"To be 90% sure: NZD {whole(b.total.p90)}" in out
    assert "9 in 10 cost less" in out  # what the percentiles mean, in plain words
    assert "100,000 draws, seed 2026" in out
    assert "Stay abroad: P10" in out
    assert "not a quote" in out


def test_table_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run(*CN, "--budget", "--drivers", "--draws", "2000", "--sources")
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "Hidden at this width" in result.stdout
    assert "P90" in result.stdout and "Sources" in result.stdout


def test_drivers_listed_largest_first_with_bars() -> None:
    result = run(*CN, "--drivers", "--draws", "5000")  # --drivers implies --budget
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "What drives the range" in out
    after = out.split("What drives the range", 1)[1]
    first = next(line for line in after.splitlines() if "CAR-T product" in line)
    assert "█" in first and "%" in first


def test_events_in_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    result = run(*CN, "--budget", "--rates", EVENTS, "--draws", "20000")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Complications reserve" in out
    assert "ICU admission" in out and "(table: 10–30%)" in out
    assert "Stay abroad with complications" in out
    assert "budget-events.toml" in out  # the layers line, with an overlay


def test_csv_adds_percentile_columns() -> None:
    result = run(*CN, "--budget", "--draws", "5000", "-F", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = list(rows[0])
    assert header[:10] == [
        "country",
        "indication",
        "product",
        "category",
        "item",
        "low",
        "high",
        "currency",
        "sources",
        "note",
    ]
    assert header[10:23] == [
        "from",
        "caregivers",
        "lives_nearby",
        "pathways",
        "hospital",
        "living",
        "city",
        "age",
        "cover",
        "perspective",
        "transfer",
        "fx_as_of",
        "data_as_of",
    ]
    assert header[23:] == ["p10", "p50", "p90", "mean", "draws", "seed"]
    for row in rows:
        if row["low"] == "":
            assert row["p10"] == ""
            continue
        low, p10, p50, p90, high = (Decimal(row[k]) for k in ("low", "p10", "p50", "p90", "high"))
        assert low <= p10 <= p50 <= p90 <= high, row["item"]
    total = rows[-1]
    assert total["category"] == "total" and (total["low"], total["high"]) == ("225120", "698900")
    assert total["draws"] == "5000" and total["seed"] == "2026"


def test_csv_with_drivers_has_the_shrink_column() -> None:
    result = run(*CN, "--drivers", "--draws", "5000", "-F", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[-1] == "narrows_spread_by"
    by_item = {r["category"] + ":" + r["item"][:12]: r["narrows_spread_by"] for r in rows}
    assert Decimal(by_item["product:CAR-T produc"]) > 100_000
    assert rows[-1]["narrows_spread_by"] == ""
    # A negative value stays a number, not a neutralised formula.
    assert all(not r["narrows_spread_by"].startswith("'") for r in rows)


def test_json_carries_a_budget_object(mini_rates: Rates) -> None:
    result = run(*CN, "--budget", "--draws", "4000", "--seed", "7", "-F", "json")
    assert result.exit_code == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["total"] == {"low": 225120, "high": 698900}  # the estimate's, unchanged
    b = obj["budget"]
    assert (b["draws"], b["seed"], b["detail_draws"]) == (4000, 7, 4000)
    want = simulate(mini_rates, estimate(mini_rates, Scenario("CN", "MM", origin="NZ")), 4000, 7)
    assert b["total"]["p50"] == float(want.total.p50)
    assert b["total"]["low"] == 225120 and b["total"]["high"] == 698900
    assert [i["key"] for i in b["items"]] == [i["key"] for i in obj["items"] if i["included"]]
    assert sum(b["histogram"]["counts"]) == 4000
    assert b["events"] == [] and b["drivers"] is None
    assert set(b["stay_days"]) == {"p10", "p50", "p90", "mean"}
    assert "triangular" in b["method"]


def test_json_events_and_drivers() -> None:
    result = run(*CN, "--drivers", "--rates", EVENTS, "--draws", "4000", "-F", "json")
    b = json.loads(result.stdout)["budget"]
    assert [e["id"] for e in b["events"]] == [
        "icu",
        "readmission",
        "manufacturing-failure",
        "drugs",
    ]
    icu = b["events"][0]
    assert icu["probability"] == {"low": 0.1, "typical": 0.2, "high": 0.3}
    assert 0.15 < icu["happened"] < 0.25
    assert b["drivers"][0]["key"] == "product.price"
    assert {"key", "item", "narrows_spread_by", "share", "total_at_p10", "total_at_p90"} == set(
        b["drivers"][0]
    )


def test_the_same_seed_gives_identical_output() -> None:
    one = run(*CN, "--budget", "--draws", "3000", "--seed", "5", "--drivers")
    two = run(*CN, "--budget", "--draws", "3000", "--seed", "5", "--drivers")
    assert one.exit_code == 0 and one.stdout == two.stdout
    other = run(*CN, "--budget", "--draws", "3000", "--seed", "6", "--drivers")
    assert other.stdout != one.stdout


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "budget.json"
    result = run(*CN, "--budget", "--draws", "1000", "-F", "json", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "budget" in json.loads(target.read_text())
    text = tmp_path / "budget.txt"
    assert run(*CN, "--budget", "--draws", "1000", "-o", str(text)).exit_code == 0
    assert "P90" in text.read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--draws", "999"), "--draws must be a whole number from 1,000 to 10,000,000, got 999"),
        (("--draws", "10000001"), "--draws must be"),
        (("--budget", "--seed", "-1"), "--seed must be a whole number from 0"),
    ],
)
def test_bad_budget_options_exit_2_naming_the_option(args: tuple[str, ...], needle: str) -> None:
    result = run(*CN, *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_draws_not_a_number_is_a_usage_error() -> None:
    result = run(*CN, "--draws", "lots")
    assert result.exit_code == 2 and "--draws" in result.stderr


def test_help_lists_the_budget_options() -> None:
    for command in ("estimate", "compare"):
        result = run(command, "-h")
        assert result.exit_code == 0
        for option in ("--budget", "--draws", "--seed", "--drivers"):
            assert option in result.stdout, (command, option)
        assert "--budget" in result.stdout.split("Examples:", 1)[1]


# ---------------------------------------------------------------- compare --budget


def test_compare_table(monkeypatch: pytest.MonkeyPatch, mini_rates: Rates) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    result = run("compare", "-i", "LBCL", "--from", "NZ", "--budget", "--draws", "5000")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for header in ("Low", "P10", "P50", "P90", "High", "Mean"):
        assert header in out
    us = simulate(mini_rates, estimate(mini_rates, Scenario("US", "LBCL", origin="NZ")), 5000)
    us_row = next(line for line in out.splitlines() if "US United States" in line)
    assert whole(us.total.p90) in us_row and whole(us.total.p50) in us_row
    assert "the same draws for every row" in out


def test_compare_table_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run("compare", "-i", "LBCL", "--from", "NZ", "--drivers", "--draws", "2000")
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "Drives CN China" in result.stdout


def test_compare_csv_and_json() -> None:
    args = ("compare", "-i", "LBCL", "--from", "NZ", "--budget", "--draws", "2000")
    rows = list(csv.DictReader(io.StringIO(run(*args, "-F", "csv").stdout)))
    assert [r["country"] for r in rows] == ["CN", "US"]
    assert list(rows[0])[-10:] == [
        "total_p10",
        "total_p50",
        "total_p90",
        "total_mean",
        "you_pay_p10",
        "you_pay_p50",
        "you_pay_p90",
        "you_pay_mean",
        "draws",
        "seed",
    ]
    for r in rows:
        for what in ("total", "you_pay"):
            low, p10, p50, p90, high = (
                Decimal(r[f"{what}_{k}"]) for k in ("low", "p10", "p50", "p90", "high")
            )
            assert low <= p10 <= p50 <= p90 <= high
    obj = json.loads(run(*args, "-F", "json").stdout)
    by_country = {row["country"]: row for row in obj["rows"]}
    for r in rows:
        budget = by_country[r["country"]]["budget"]
        assert budget["total"]["p50"] == float(r["total_p50"])
        assert budget["you_pay"]["p50"] == float(r["you_pay_p50"])


def test_compare_bad_draws() -> None:
    result = run("compare", "-i", "LBCL", "--draws", "100")
    assert result.exit_code == 2 and "--draws" in result.stderr


def test_drivers_draw_a_tornado_chart(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    picture = tmp_path / "drivers.svg"
    result = run(*CN, "--drivers", "--draws", "2000", "-o", str(picture))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"wrote {picture}" in result.stderr  # the picture alone
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(picture).getroot()
    texts = ["".join(t.itertext()) for t in root.iterfind(".//s:text", ns)]
    assert texts[0] == "What drives the spread: China, MM"
    assert any(t.startswith("CAR-T product") for t in texts)  # the widest bar
    bars = root.findall("./s:rect[@height='16']", ns)
    tips = [b.findtext("s:title", namespaces=ns) or "" for b in bars]
    assert tips and all(" at its P10: total " in t or " at its P90: total " in t for t in tips)
    # With --svg the table goes to stdout as usual, and the picture beside it.
    both = tmp_path / "both.svg"
    result = run(*CN, "--drivers", "--draws", "2000", "-F", "json", "--svg", str(both))
    assert result.exit_code == 0 and both.read_text().startswith("<svg")
    drivers = json.loads(result.stdout)["budget"]["drivers"]
    top = max(drivers, key=lambda d: d["total_at_p90"] - d["total_at_p10"])
    assert top["key"] == "product.price"


def test_the_html_report_shows_the_tornado_with_drivers(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    assert run(*CN, "--drivers", "--draws", "2000", "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert 'id="drivers"' in html and "What drives the spread: China, MM" in html
    plain = tmp_path / "p.html"
    assert run(*CN, "--budget", "--draws", "2000", "-o", str(plain)).exit_code == 0
    assert 'id="drivers"' not in plain.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--svg", "{d}/a.svg"), "add --drivers"),
        (("-o", "{d}/a.svg"), "add --drivers for the chart"),
        (("--drivers", "--svg", "{d}/a.svg", "-o", "{d}/a.svg"), "give the picture one name"),
        (("--drivers", "--svg", "{d}/none/a.svg"), "does not exist"),
        (("--drivers", "--svg", "{d}/a.svg", "-F", "html"), "draw their own pictures"),
        (("--drivers", "--svg", "{d}/a.svg", "--timeline"), "draw their own pictures"),
    ],
)
def test_bad_svg_requests_are_usage_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(*CN, *(a.format(d=tmp_path) for a in args))
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "a.svg").exists()


def test_compare_table_shows_what_the_family_pays_where_others_pay_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A scheme pays the provider in China: the rows are ranked by what the family pays,
    # so each row's figures are of that, not of the total (its JSON has both).
    monkeypatch.setenv("COLUMNS", "120")
    direct = FIXTURES / "overlay-direct-scheme.toml"
    args = ("compare", "-i", "LBCL", "--from", "NZ", "--rates", str(direct))
    args = (*args, "--reimbursement", "direct", "--budget", "--draws", "2000")
    shown = run(*args)
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(run(*args, "-F", "json").stdout)
    lines = shown.stdout.splitlines()
    paid_part = 0
    for row in data["rows"]:
        you, total = row["budget"]["you_pay"], row["budget"]["total"]
        figures = [
            whole(Decimal(str(you[k]))) for k in ("low", "p10", "p50", "p90", "high", "mean")
        ]
        line = next(x for x in lines if x.split()[:1] == [row["country"]])
        assert line.split()[-7:-1] == figures  # the last cell is the bar
        paid_part += you["p50"] < total["p50"]
    assert paid_part, "a scheme pays part of some row"
    assert "Every figure is what the family pays" in shown.stdout
    # Where the family pays everything, the figures are the total's, as before.
    alone = run("compare", "-i", "LBCL", "--from", "NZ", "--budget", "--draws", "2000")
    assert "Every figure is what the family pays" not in alone.stdout


@pytest.mark.usefixtures("real_table")
def test_a_budget_over_offers_on_two_pathways_says_it_mixes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Israel offers LBCL as its hospitals' own CAR-T (academic) and commercially. The
    # plain estimate gives a likely total per pathway; a budget draws one offer per
    # journey, so its percentiles mix them, and it must say so.
    monkeypatch.setenv("COLUMNS", "400")  # notes on one line each
    args = ("estimate", "-c", "IL", "-i", "LBCL", "--budget", "--draws", "2000")
    mixed = "each simulated journey takes one offer (equally likely), so these percentiles"
    shown = run(*args)
    assert shown.exit_code == 0, shown.stderr
    assert mixed in shown.stdout
    assert "--pathway academic or --pathway commercial budgets one alone" in shown.stdout
    assert json.loads(run(*args, "-F", "json").stdout)["budget"]["pathways"] == [
        "academic",
        "commercial",
    ]
    assert mixed in run(*args, "-F", "html").stdout  # the report's notes too
    alone = (*args, "--pathway", "academic")
    assert mixed not in run(*alone).stdout
    assert json.loads(run(*alone, "-F", "json").stdout)["budget"]["pathways"] == ["academic"]

    both = ("compare", "-i", "LBCL", "-c", "IL,IN", "--budget", "--draws", "2000")
    table = run(*both).stdout
    assert "IL Israel*" in table and "IN India*" not in table
    assert "the row's percentiles mix them: IL academic and commercial" in table
    assert "--by product gives each product its row" in table
    by_product = run(*both, "--by", "product").stdout
    assert "*" not in by_product.split("Bar:")[0]  # one offer a row: nothing mixes
    # The plain comparison's notes on its likely totals do not apply to the budgets.
    assert "never their mix" not in table and "200 simulated journeys" not in table
    page = run(*both, "-F", "html").stdout
    assert page.count("*</td>") == 1 and "IL academic and commercial" in page
