"""The batch core (cartcost.batch) against tests/fixtures/mini.toml.

Fixture FX: 1 USD = 7 CNY = 2 NZD = 0.5 GBP. Figures for CN/MM from NZ are those computed
by hand in test_estimate_model.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartcost.batch import (
    INPUT_FIELDS,
    ITEM_COLUMNS,
    SUMMARY_COLUMNS,
    Failure,
    InputFormat,
    Outcome,
    Stats,
    header_line,
    json_fields,
    open_source,
    run,
    scenario_from_fields,
)
from cartcost.errors import CartcostError, UsageProblem
from cartcost.estimation import estimate
from cartcost.exports.fmt import plain
from cartcost.rates import Rates
from cartcost.scenario import Scenario


def lines(text: str) -> list[str]:
    return io.StringIO(text, newline="").readlines()


def results(
    rates: Rates, text: str, items: bool = False, cache_size: int | None = None
) -> list[tuple[int, Outcome]]:
    return list(run(rates, open_source(lines(text)), items=items, cache_size=cache_size))


def table(rates: Rates, text: str, items: bool = False, **kw: int) -> list[dict[str, str]]:
    """The output a writer makes of the results, read back as CSV rows."""
    out = [header_line(items)]
    for row, result in results(rates, text, items, **kw):
        if isinstance(result, Failure):
            out.append(f"{row},{result.line}")
        elif isinstance(result, str):
            out.append(f"{row},{result}")
        else:
            out += [f"{row},{line}" for line in result]
    return list(csv.DictReader(io.StringIO("".join(out))))


# ---------------------------------------------------------------- figures


def test_summary_row_has_hand_computed_totals(mini_rates: Rates) -> None:
    rows = table(mini_rates, "country,indication,from,caregivers\nCN,MM,NZ,1\nCN,MM,NZ,2\n")
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    one, two = rows
    assert one["row"] == "2" and two["row"] == "3"
    assert (one["country"], one["indication"], one["from"], one["currency"]) == (
        "CN",
        "MM",
        "NZ",
        "NZD",
    )
    assert one["product"] == "a-cel;b-cel"
    assert (one["total_low"], one["total_high"]) == ("225120", "698900")
    assert (one["stay_days_low"], one["stay_days_high"]) == ("53", "99")
    assert (one["days_to_infusion_low"], one["days_to_infusion_high"]) == ("25", "50")
    assert one["error"] == ""
    # A second caregiver: meals for 53-99 more person-days (USD 20-40 = NZD 40-80),
    # a second room while outside a ward (39-78 nights at NZD 100-200), a flight
    # (NZD 2,000-3,000) and a visa (USD 50 = NZD 100).
    extra_low = 53 * 40 + 39 * 100 + 2_000 + 100
    extra_high = 99 * 80 + 78 * 200 + 3_000 + 100
    assert Decimal(two["total_low"]) == 225_120 + extra_low
    assert Decimal(two["total_high"]) == 698_900 + extra_high


def test_currency_and_defaults_as_in_estimate(mini_rates: Rates) -> None:
    rows = table(mini_rates, "country,indication,from,currency\nCN,MM,GB,GBP\ncn,mm,,\n")
    gb, bare = rows
    assert gb["currency"] == "GBP" and gb["total_low"] == "56630"  # see test_cli_estimate
    # Lower-case codes resolve; no origin: USD, one caregiver, no lives_nearby.
    assert (bare["country"], bare["indication"], bare["from"]) == ("CN", "MM", "")
    assert (bare["currency"], bare["caregivers"], bare["lives_nearby"]) == ("USD", "1", "false")


def test_every_success_row_matches_estimate(mini_rates: Rates) -> None:
    text = (
        "indication,country,product,from,caregivers,lives_nearby,pathway\n"
        "LBCL,US,,US,0,yes,commercial\n"
        "MM,CN,Acel,NZ,3,,\n"
        "LBCL,US,a-cel,NZ,0,no,commercial;academic\n"
    )
    rows = table(mini_rates, text)
    expected = [
        Scenario("US", "LBCL", origin="US", caregivers=0, lives_nearby=True,
                 pathways=("commercial",)),
        Scenario("CN", "MM", products=("Acel",), origin="NZ", caregivers=3),
        Scenario("US", "LBCL", products=("a-cel",), origin="NZ", caregivers=0,
                 pathways=("commercial", "academic")),
    ]  # fmt: skip
    for row, scenario in zip(rows, expected, strict=True):
        est = estimate(mini_rates, scenario)
        assert row["error"] == ""
        assert (row["total_low"], row["total_high"]) == (
            plain(est.total.low),
            plain(est.total.high),
        )
        assert row["stay_days_low"] == plain(est.stay_days.low)
    assert rows[0]["lives_nearby"] == "true" and rows[0]["pathway"] == "commercial"
    assert rows[1]["product"] == "a-cel"
    # US/LBCL from NZ without a caregiver: 63-77 days (test_estimate_model).
    assert (rows[2]["stay_days_low"], rows[2]["stay_days_high"]) == ("63", "77")


def test_items_rows_sum_to_the_total(mini_rates: Rates) -> None:
    rows = table(mini_rates, "country,indication,from\nCN,MM,NZ\nUS,LBCL,\n", items=True)
    assert list(rows[0]) == list(ITEM_COLUMNS)
    for number in ("2", "3"):
        mine = [r for r in rows if r["row"] == number]
        total = mine[-1]
        assert total["category"] == "total" and total["item"] == "Total"
        items = [r for r in mine[:-1] if r["low"]]
        assert sum(Decimal(r["low"]) for r in items) == Decimal(total["low"])
        assert sum(Decimal(r["high"]) for r in items) == Decimal(total["high"])
    cn = [r for r in rows if r["row"] == "2"]
    assert cn[-1]["low"] == "225120" and cn[-1]["currency"] == "NZD"
    inpatient = next(r for r in cn if r["item"] == "Inpatient stay and monitoring")
    assert (inpatient["low"], inpatient["high"]) == ("2800", "8400")
    assert inpatient["sources"] == "guess"
    us_flights = next(r for r in rows if r["row"] == "3" and r["item"] == "Return flights")
    assert us_flights["low"] == "" and us_flights["note"].startswith("not included")


# ---------------------------------------------------------------- bad rows


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("XX,MM,,", "unknown country 'XX'"),
        ("CN,MMX,,", "unknown indication"),
        ("US,MM,,", "no offer for MM in US"),
        ("CN,MM,ZZ,", "unknown origin country"),
        ("CN,MM,NZ,two", "caregivers must be a whole number"),
        ("CN,MM,NZ,11", "caregivers must be 0 to 10"),
        ("CN,MM,NZ,-1", "caregivers must be 0 to 10"),
        (",MM,NZ,", "country is empty"),
        ("CN,,NZ,", "indication is empty"),
        ("CN,MM,NZ", "row has 3 cells; the header has 4"),
        ("CN,MM,NZ,1,1", "row has 5 cells"),
        ("CN," + "M" * 300 + ",NZ,1", "at most 200"),
    ],
)
def test_bad_rows_fail_alone(mini_rates: Rates, row: str, needle: str) -> None:
    text = f"country,indication,from,caregivers\nCN,MM,NZ,1\n{row}\nCN,MM,NZ,1\n"
    out = results(mini_rates, text)
    assert [r for r, _ in out] == [2, 3, 4]
    good1, bad, good2 = (o for _, o in out)
    assert isinstance(bad, Failure)
    assert needle in bad.error
    assert not isinstance(good1, Failure) and good1 == good2
    assert next(csv.reader([bad.line]))[-1] == bad.error


def test_bad_flags_and_pathways(mini_rates: Rates) -> None:
    text = "country,indication,lives_nearby,pathway\nCN,MM,maybe,\nCN,MM,,commercal\n"
    (_, nearby), (_, pathway) = results(mini_rates, text)
    assert isinstance(nearby, Failure) and "lives_nearby must be true or false" in nearby.error
    assert isinstance(pathway, Failure) and "unknown pathway 'commercal'" in pathway.error
    assert "did you mean commercial?" in pathway.error


def test_non_utf8_bytes_fail_only_their_row(mini_rates: Rates) -> None:
    raw = b"country,indication\nCN,MM\nC\xffN,MM\nCN,MM\n"
    text = raw.decode("utf-8", errors="surrogateescape")
    out = results(mini_rates, text)
    assert [isinstance(o, Failure) for _, o in out] == [False, True, False]
    bad = out[1][1]
    assert isinstance(bad, Failure) and "not UTF-8" in bad.error


def test_failed_row_echoes_its_cells_safely(mini_rates: Rates) -> None:
    rows = table(mini_rates, 'country,indication\n"=HYPERLINK(""x"")",MM\n')
    assert rows[0]["country"].startswith("'=")
    assert rows[0]["total_low"] == ""
    assert "unknown country" in rows[0]["error"]


# ---------------------------------------------------------------- reading


def test_rows_are_input_lines_blank_lines_skipped_quoted_newlines_kept(mini_rates: Rates) -> None:
    text = '\n\ncountry,indication,from\nCN,MM,NZ\n\n"CN",MM,"N\nZ"\nCN,MM,NZ\n'
    out = results(mini_rates, text)
    # Header on line 3; records start on lines 4, 6 (spans two lines) and 8.
    assert [r for r, _ in out] == [4, 6, 8]
    assert isinstance(out[1][1], Failure)


def test_header_is_case_and_alias_tolerant_and_bom_is_dropped(mini_rates: Rates) -> None:
    rows = table(mini_rates, "\ufeffCountry, Indication ,Origin,Products\nCN,MM,NZ,b-cel\n")
    assert rows[0]["from"] == "NZ" and rows[0]["product"] == "b-cel"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "is empty"),
        ("\n\n  \n", "is empty"),
        ("country,indication,contry\nCN,MM,CN\n", "unknown column 'contry'"),
        ("CN,MM,NZ\nCN,MM,NZ\n", "unknown columns 'CN', 'MM', 'NZ'"),
        ("country,indication,country\n", "names a column twice: country"),
        ("country,from\nCN,NZ\n", "no indication column"),
        ("indication\nMM\n", "no country column"),
        ("[meta]\nschema = 1\n", "unknown column '[meta]'"),
        ("\x00\x01\x02binary", "not a UTF-8 text file"),
        (b"\xff\xfe,c\n".decode("utf-8", "surrogateescape"), "not a UTF-8 text file"),
    ],
)
def test_malformed_input_is_a_usage_problem(text: str, needle: str) -> None:
    with pytest.raises(UsageProblem, match=re.escape(needle)) as info:
        open_source(lines(text), "in.csv")
    assert "in.csv" in info.value.message


def test_header_without_names_hints_at_a_header_row() -> None:
    with pytest.raises(UsageProblem) as info:
        open_source(["CN,MM,NZ\n"])
    assert "first row must name the columns" in info.value.hint
    with pytest.raises(UsageProblem) as info:
        open_source(["country,indicaton\n"])
    assert "did you mean indication?" in info.value.hint


def test_json_lines_give_the_same_rows_as_csv(mini_rates: Rates) -> None:
    csv_text = "country,indication,product,from,caregivers\nCN,MM,a-cel;b-cel,NZ,2\nUS,LBCL,,,0\n"
    jsonl = (
        '{"country": "CN", "indication": "MM", "products": ["a-cel", "b-cel"],'
        ' "from": "NZ", "caregivers": 2}\n'
        "\n"
        '{"country": "US", "indication": "LBCL", "caregivers": 0, "currency": null}\n'
    )
    source = open_source(lines(jsonl))
    assert source.format is InputFormat.jsonl
    from_csv = [o for _, o in results(mini_rates, csv_text)]
    from_json = results(mini_rates, jsonl)
    assert [o for _, o in from_json] == from_csv
    assert [r for r, _ in from_json] == [1, 3]  # line numbers; the blank line is skipped


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('{"country": "CN", "indication": ', "not valid JSON"),
        ('["CN", "MM"]', "expected a JSON object"),
        ('{"country": "CN", "indication": "MM", "contry": "X"}', "unknown field 'contry'"),
        ('{"country": "CN", "indication": "MM", "from": {"x": 1}}', "from: expected text"),
        ('{"country": "CN", "indication": "MM", "caregivers": true}', "caregivers must be"),
        ('{"country": "CN", "indication": "MM", "caregivers": 1.5}', "caregivers must be"),
        ('{"country": "CN", "indication": "MM", "product": "a", "products": "b"}', "twice"),
        ('{"indication": "MM"}', "country is empty"),
    ],
)
def test_bad_json_lines_fail_alone(mini_rates: Rates, line: str, needle: str) -> None:
    good = '{"country": "CN", "indication": "MM", "from": "NZ"}'
    out = results(mini_rates, f"{good}\n{line}\n{good}\n")
    assert [isinstance(o, Failure) for _, o in out] == [False, True, False]
    bad = out[1][1]
    assert isinstance(bad, Failure) and needle in bad.error


def test_json_fields_text_forms() -> None:
    assert json_fields('{"country": "cn", "indication": "MM", "lives_nearby": true}') == (
        "cn",
        "MM",
        "",
        "",
        "",
        "",
        "true",
        "",
        "",
        "",
        "",
        "",
        *("",) * 5,  # cover, perspective, reimbursement, income, transfer
    )


def test_scenario_from_fields_defaults() -> None:
    more = ("",) * 5  # cover, perspective, reimbursement, income, transfer
    sc = scenario_from_fields(("CN", "MM", "a, b;a", "", "", "", "No", "", "", "", "", "", *more))
    assert sc == Scenario("CN", "MM", products=("a", "b"), origin=None, caregivers=1)
    assert len(INPUT_FIELDS) == 17
    sc = scenario_from_fields(
        ("CN", "MM", "", "", "", "", "", "", "public", "budget", "Shanghai", "42", *more)
    )
    assert (sc.hospital, sc.living, sc.city, sc.age) == ("public", "budget", "Shanghai", 42)
    with pytest.raises(UsageProblem, match="age must be a whole number"):
        scenario_from_fields(("CN", "MM", "", "", "", "", "", "", "", "", "", "4_2", *more))
    sc = scenario_from_fields(
        ("US", "LBCL", "", "GB", "", "", "", "", "", "", "", "", "none", "payer", "", "50000", "")
    )
    assert (sc.cover, sc.perspective, sc.income) == ("none", "payer", Decimal(50000))
    sc = scenario_from_fields(("CN", "MM", *("",) * 14, "specialist"))
    assert sc.transfer == "specialist"


# ---------------------------------------------------------------- streaming and memo


def test_rows_stream_one_at_a_time(mini_rates: Rates) -> None:
    """An endless input still yields results: nothing waits for the end of the input."""

    def endless() -> Iterator[str]:
        yield "country,indication,from\n"
        while True:
            yield "CN,MM,NZ\n"

    first = list(itertools.islice(run(mini_rates, open_source(endless())), 3))
    assert [r for r, _ in first] == [2, 3, 4]


def test_memo_estimates_each_distinct_row_once(mini_rates: Rates) -> None:
    text = "country,indication,from\n" + "CN,MM,NZ\nUS,LBCL,NZ\nXX,MM,\n" * 50
    stats = Stats()
    out = list(run(mini_rates, open_source(lines(text)), stats=stats))
    assert (stats.rows, stats.failed, stats.computed) == (150, 50, 3)
    fresh = Stats()
    again = list(run(mini_rates, open_source(lines(text)), cache_size=0, stats=fresh))
    assert fresh.computed == 150
    assert again == out


def test_tiny_memo_evicts_but_gives_the_same_rows(mini_rates: Rates) -> None:
    text = "country,indication,from,caregivers\n" + "".join(
        f"CN,MM,NZ,{i % 4}\n" for i in range(40)
    )
    stats = Stats()
    tiny = list(run(mini_rates, open_source(lines(text)), cache_size=2, stats=stats))
    assert stats.computed == 40  # 4 distinct rows cycling through 2 slots: every one a miss
    assert tiny == results(mini_rates, text, cache_size=0)


# A small alphabet of cells, valid and not, so rows repeat and fail in every way.
CELLS = {
    "country": ["CN", "cn", "US", "NZ", "XX", ""],
    "indication": ["MM", "LBCL", "mm", "ZZ"],
    "product": ["", "a-cel", "b-cel", "Acel", "a-cel;b-cel", "nope"],
    "from": ["", "NZ", "GB", "US", "CN", "QQ"],
    "caregivers": ["", "0", "1", "3", "x", "12"],
    "currency": ["", "USD", "NZD", "gbp", "XYZ"],
    "lives_nearby": ["", "true", "no", "perhaps"],
    "pathway": ["", "commercial", "trial", "bogus"],
    "hospital": ["", "public", "private", "any", "vip"],
    "living": ["", "budget", "comfort", "any", "palace"],
    "city": ["", "other", "Atlantis"],
    "age": ["", "30", "0", "130", "x"],
    "cover": ["", "public", "none", "bogus"],
    "perspective": ["", "family", "payer", "societal", "x"],
    "reimbursement": ["", "nope"],
    "income": ["", "50000", "x"],
    "transfer": ["", "bank", "specialist", "any", "pigeon"],
}

row_strategy = st.tuples(*(st.sampled_from(v) for v in CELLS.values()))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(row_strategy, min_size=1, max_size=30), st.sampled_from([0, 1, 3, None]))
def test_memo_never_changes_a_row_and_every_row_comes_out(
    mini_rates: Rates, rows: list[tuple[str, ...]], cache_size: int | None
) -> None:
    text = ",".join(CELLS) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    fresh = results(mini_rates, text, cache_size=0)
    assert results(mini_rates, text, cache_size=cache_size) == fresh
    assert [r for r, _ in fresh] == list(range(2, len(rows) + 2))
    for cells, (_, result) in zip(rows, fresh, strict=True):
        try:
            est = estimate(mini_rates, scenario_from_fields(cells))
        except CartcostError as error:
            assert isinstance(result, Failure) and error.message in result.error
            continue
        assert not isinstance(result, Failure)
        assert isinstance(result, str)
        cells_out = next(csv.reader([result]))
        assert cells_out[17:19] == [plain(est.total.low), plain(est.total.high)]
        assert cells_out[-1] == ""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(row_strategy, min_size=1, max_size=10))
def test_json_lines_and_csv_agree(mini_rates: Rates, rows: list[tuple[str, ...]]) -> None:
    text = ",".join(CELLS) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    jsonl = "".join(json.dumps(dict(zip(CELLS, r, strict=True))) + "\n" for r in rows)
    assert [o for _, o in results(mini_rates, jsonl)] == [o for _, o in results(mini_rates, text)]


def test_windows_line_endings(mini_rates: Rates) -> None:
    rows = table(mini_rates, "country,indication,from\r\nCN,MM,NZ\r\nCN,MM,NZ\r\n")
    assert [r["row"] for r in rows] == ["2", "3"]
    assert rows[0]["total_low"] == "225120" and rows[1] == {**rows[0], "row": "3"}
    jsonl = '{"country": "CN", "indication": "MM", "from": "NZ"}\r\n'
    ((_, result),) = results(mini_rates, jsonl)
    assert not isinstance(result, Failure)
