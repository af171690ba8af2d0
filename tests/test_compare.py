"""The compare core against figures computed by hand from tests/fixtures/mini.toml with
the tests/fixtures/compare-home.toml overlay.

Fixture FX: 1 USD = 7 CNY = 2 NZD = 0.5 GBP = 1.25 SGD.

Hand-computed totals, MM, one caregiver, in GBP:

GB at home (a-cel only): product 100,000; work-up 1,000-2,000; apheresis 2,000;
  lymphodepletion 1,000; stay = work-up 7-14 + manufacturing 21-28 + inpatient 14 + nearby
  14 = 56-70 days; inpatient 14 x 1,000-1,500 = 14,000-21,000; visits 14/7 x 1 = 2 x 200 =
  400; lodging (42+14)-(56+14) = 56-70 nights x 50-100 = 2,800-7,000; meals (84+14)-(112+14)
  = 98-126 person-days x 20-30 = 1,960-3,780; transport 56-70 days x 10 = 560-700.
  Total 123,720 .. 137,880.
CN from GB (a-cel and b-cel): USD 110,460 .. 346,350 = GBP 55,230 .. 173,175 before travel
  (see test_estimate_model), flights GBP 600-900 x 2, visas GBP 100 x 2.
  Total 56,630 .. 175,175.
US from GB (a-cel): USD 462,200 .. 643,400 = GBP 231,100 .. 321,700; flights GBP 500-800 x 2;
  stay 45-64 days is within GB's 90 visa-free days: USD 21-40 x 2 = GBP 21-40.
  Total 232,121 .. 323,340.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartcost.comparison import Comparison, Delta, Row, compare, saving
from cartcost.errors import NothingMatches, UsageProblem
from cartcost.money import Range
from cartcost.rates import Rates, validate
from cartcost.ratesfile import merge, read_toml
from cartcost.render.compare_view import bar_cells
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES, MINI

HOME_OVERLAY = FIXTURES / "compare-home.toml"


@cache
def home_rates() -> Rates:
    """mini.toml + compare-home.toml, validated once (pure: no environment)."""
    return validate(merge(read_toml(MINI), read_toml(HOME_OVERLAY)), "compare-home")


def mm(**kw: object) -> Scenario:
    return Scenario(country="", indication="MM")._replace(**kw)  # type: ignore[arg-type]


def row(cmp: Comparison, country: str, product: str | None = None) -> Row:
    found = [r for r in cmp.rows if r.country == country and r.product == product]
    assert len(found) == 1, [r.key for r in cmp.rows]
    return found[0]


def pair(r: Range | Delta | None) -> tuple[Decimal, Decimal]:
    assert r is not None
    return r.low, r.high


GB_HOME = (123_720, 137_880)
CN_FROM_GB = (56_630, 175_175)
US_FROM_GB = (232_121, 323_340)


def test_totals_match_hand_computed_values() -> None:
    cmp = compare(home_rates(), mm(origin="GB", currency="GBP"))
    assert cmp.currency == "GBP"
    assert pair(row(cmp, "GB").total) == GB_HOME
    assert pair(row(cmp, "CN").total) == CN_FROM_GB
    assert pair(row(cmp, "US").total) == US_FROM_GB


def test_savings_against_home_hand_computed() -> None:
    cmp = compare(home_rates(), mm(origin="GB", currency="GBP"))
    assert cmp.home == "GB"
    home = row(cmp, "GB")
    assert home.is_home and home.vs_home is None
    # Saving = home - row, at each end; positive = cheaper than home.
    assert pair(row(cmp, "CN").vs_home) == (123_720 - 56_630, 137_880 - 175_175)
    assert pair(row(cmp, "CN").vs_home) == (67_090, -37_295)
    assert pair(row(cmp, "US").vs_home) == (-108_401, -185_460)


def test_home_row_is_domestic() -> None:
    cmp = compare(home_rates(), mm(origin="GB"))
    home = row(cmp, "GB")
    assert home.estimate.scenario.domestic
    assert pair(home.subtotals.travel) == (0, 0)
    assert pair(home.subtotals.services) == (0, 0)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        # low ends: CN 56,630 < GB 123,720 < US 232,121
        ("low", ["CN", "GB", "US"]),
        # high ends: GB 137,880 < CN 175,175 < US 323,340
        ("high", ["GB", "CN", "US"]),
        # midpoints: CN 115,902.5 < GB 130,800 < US 277,730.5
        ("mid", ["CN", "GB", "US"]),
        # days to infusion: US 21-35, CN 25-50, GB 28-42
        ("days", ["US", "CN", "GB"]),
    ],
)
def test_ranking(sort: str, order: list[str]) -> None:
    cmp = compare(home_rates(), mm(origin="GB"), sort=sort)  # type: ignore[arg-type]
    assert [r.country for r in cmp.rows] == order
    assert [r.rank for r in cmp.rows] == [1, 2, 3]


def test_subtotals_hand_computed_and_sum_to_total() -> None:
    cmp = compare(home_rates(), mm(origin="GB", currency="GBP"))
    s = row(cmp, "GB").subtotals
    assert pair(s.product) == (100_000, 100_000)
    assert pair(s.hospital) == (
        1_000 + 2_000 + 1_000 + 14_000 + 400,
        2_000 + 2_000 + 1_000 + 21_000 + 400,
    )
    assert pair(s.living) == (2_800 + 1_960 + 560, 7_000 + 3_780 + 700)
    us = row(cmp, "US").subtotals
    # Flights GBP 1,000-1,600 + travel authorisations GBP 21-40.
    assert pair(us.travel) == (1_021, 1_640)


def test_countries_skipped_and_not_offered() -> None:
    cmp = compare(home_rates(), mm(origin="GB"))
    # SG offers MM but has no flight fare from Europe: skipped, with the reason.
    assert [s.country for s in cmp.skipped] == ["SG"]
    assert "no flight fare from GB to SG" in cmp.skipped[0].reason
    assert "SG" not in [r.country for r in cmp.rows]
    # Without --countries, every destination is considered; none lacks MM here.
    assert cmp.not_offered == ()


def test_explicit_countries_list_not_offered_and_adds_home() -> None:
    rates = home_rates()
    cmp = compare(rates, mm(origin="GB")._replace(indication="LBCL"), ["cn", "US", "SG"])
    # LBCL: CN (b-cel) and US (a-cel); SG and GB offer no LBCL.
    assert sorted(r.country for r in cmp.rows) == ["CN", "US"]
    assert cmp.not_offered == ("SG",)
    assert cmp.home is None
    assert any("does not offer" in n for n in cmp.notes)
    # MM with home GB not listed: GB is added to compare against.
    cmp = compare(rates, mm(origin="GB"), ["CN"])
    assert sorted(r.country for r in cmp.rows) == ["CN", "GB"]
    assert any("home (GB) added" in n for n in cmp.notes)


def test_country_names_are_accepted() -> None:
    cmp = compare(home_rates(), mm(), ["china"])
    assert [r.country for r in cmp.rows] == ["CN"]
    assert cmp.asked == ("CN",)


def test_without_origin_travel_is_not_included_and_nothing_is_skipped() -> None:
    cmp = compare(home_rates(), mm())
    assert cmp.currency == "USD"
    assert cmp.home is None and cmp.skipped == ()
    assert {r.country for r in cmp.rows} == {"CN", "GB", "SG", "US"}
    assert all(r.subtotals.travel is None and r.vs_home is None for r in cmp.rows)
    # SG's academic programme: price 0, work-up 1,000-2,000 SGD ... all at 1.25 SGD per USD.
    sg = row(cmp, "SG")
    assert pair(sg.subtotals.product) == (0, 0)


def test_by_product_compares_each_product_against_the_same_product_at_home() -> None:
    cmp = compare(home_rates(), mm(origin="GB", currency="GBP"), by="product")
    assert sorted(r.key for r in cmp.rows) == ["CN:a-cel", "CN:b-cel", "GB:a-cel", "US:a-cel"]
    cn_a = row(cmp, "CN", "a-cel")
    # CN a-cel only: USD 111,460 .. 143,850 = GBP 55,730 .. 71,925; + flights GBP 1,200-1,800
    # + visas GBP 200.
    assert pair(cn_a.total) == (57_130, 73_925)
    assert pair(cn_a.vs_home) == (123_720 - 57_130, 137_880 - 73_925)
    # GB does not offer b-cel: nothing to compare against.
    assert row(cmp, "CN", "b-cel").vs_home is None
    assert row(cmp, "GB", "a-cel").is_home
    assert pair(row(cmp, "US", "a-cel").vs_home) == (-108_401, -185_460)
    assert [(s.country, s.product) for s in cmp.skipped] == [("SG", "a-cel")]


def test_by_product_within_one_country() -> None:
    cmp = compare(home_rates(), mm(origin="NZ", currency="NZD"), ["CN"], by="product")
    assert [r.product for r in cmp.rows] == ["a-cel", "b-cel"]
    assert [r.brands for r in cmp.rows] == [("Acel",), ("Bcel China",)]


def test_pathway_filter() -> None:
    cmp = compare(home_rates(), mm(pathways=("academic",)))
    assert [r.country for r in cmp.rows] == ["SG"]
    assert set(cmp.not_offered) == {"CN", "GB", "US"}


def test_lives_nearby_applies_to_home_only() -> None:
    cmp = compare(home_rates(), mm(origin="GB", lives_nearby=True))
    home_keys = [i.key for i in row(cmp, "GB").estimate.items]
    cn_keys = [i.key for i in row(cmp, "CN").estimate.items]
    assert "living.lodging" not in home_keys
    assert "living.lodging" in cn_keys


def test_saving_sign() -> None:
    assert saving(Range.of(100, 200), Range.of(40, 250)) == Delta(Decimal(60), Decimal(-50))


def test_compare_is_estimate_per_country() -> None:
    from cartcost.estimation import estimate

    rates = home_rates()
    cmp = compare(rates, mm(origin="NZ", caregivers=2))
    for r in cmp.rows:
        direct = estimate(rates, Scenario(r.country, "MM", origin="NZ", caregivers=2))
        assert r.total == direct.total
        assert r.days_to_infusion == direct.days_to_infusion


# ---------------------------------------------------------------- bad input


def test_unknown_countries_are_named_all_at_once_with_suggestions() -> None:
    with pytest.raises(UsageProblem) as info:
        compare(home_rates(), mm(), ["CN", "XX", "UK", "Chna"])
    message = info.value.message
    assert "'XX'" in message and "'UK'" in message and "'Chna'" in message
    assert "unknown countries" in message
    assert "Chna: did you mean CN?" in info.value.hint
    assert "UK: did you mean GB?" in info.value.hint


def test_indication_no_listed_country_offers_names_where_it_is_offered() -> None:
    with pytest.raises(NothingMatches) as info:
        compare(home_rates(), mm()._replace(indication="LBCL"), ["GB", "NZ"])
    assert "none of GB, NZ offers LBCL" in info.value.message
    assert "CN" in info.value.hint and "US" in info.value.hint


def test_product_offered_nowhere() -> None:
    rates = home_rates()
    with pytest.raises(NothingMatches) as info:
        compare(rates, mm()._replace(indication="LBCL", pathways=("trial",)))
    assert "no country in the rate table offers LBCL" in info.value.message
    assert "CN" in info.value.hint


def test_every_country_skipped_is_nothing_matches() -> None:
    with pytest.raises(NothingMatches, match="no flight fare"):
        compare(home_rates(), mm(origin="NZ"), ["SG"])


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"indication": "MMX"}, "unknown indication"),
        ({"products": ("zz-cel",)}, "unknown product"),
        ({"currency": "XYZ"}, "unknown currency"),
        ({"origin": "QQ"}, "unknown origin country"),
        ({"caregivers": -1}, "caregivers"),
    ],
)
def test_bad_scenarios(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(UsageProblem, match=needle):
        compare(home_rates(), mm(**kw))


def test_bad_by_and_sort() -> None:
    with pytest.raises(UsageProblem, match="--by"):
        compare(home_rates(), mm(), by="nope")  # type: ignore[arg-type]
    with pytest.raises(UsageProblem, match="--sort"):
        compare(home_rates(), mm(), sort="cheap")  # type: ignore[arg-type]
    with pytest.raises(UsageProblem, match="empty"):
        compare(home_rates(), mm(), [])


# ---------------------------------------------------------------- properties

_SORT_KEY = {
    "low": lambda r: (r.total.low, r.total.high),
    "high": lambda r: (r.total.high, r.total.low),
    "mid": lambda r: (r.total.low + r.total.high, r.total.low),
    "days": lambda r: (r.days_to_infusion.low, r.days_to_infusion.high, r.total.low),
}


@settings(max_examples=60, deadline=None)
@given(
    origin=st.sampled_from([None, "GB", "NZ", "CN", "US"]),
    caregivers=st.integers(0, 4),
    currency=st.sampled_from([None, "USD", "GBP", "NZD", "CNY", "SGD"]),
    sort=st.sampled_from(["low", "high", "mid", "days"]),
    by=st.sampled_from(["country", "product"]),
)
def test_compare_invariants(
    origin: str | None, caregivers: int, currency: str | None, sort: str, by: str
) -> None:
    cmp = compare(
        home_rates(),
        mm(origin=origin, caregivers=caregivers, currency=currency),
        sort=sort,  # type: ignore[arg-type]
        by=by,  # type: ignore[arg-type]
    )
    rows = cmp.rows
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    keys = [_SORT_KEY[sort](r) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        s = r.subtotals
        parts = [s.product, s.hospital, s.living, s.services]
        if s.travel is not None:
            parts.append(s.travel)
        assert sum(p.low for p in parts) == r.total.low
        assert sum(p.high for p in parts) == r.total.high
        assert cmp.scale.low <= r.total.low <= r.total.high <= cmp.scale.high
        home = [h for h in rows if h.is_home and h.product == r.product]
        if r.is_home or not home:
            assert r.vs_home is None
        else:
            assert r.vs_home == Delta(
                home[0].total.low - r.total.low, home[0].total.high - r.total.high
            )
    assert (cmp.home is not None) == any(r.is_home for r in rows)
    assert all(r.estimate.currency == cmp.currency for r in rows)


@given(
    lo=st.decimals(0, 10**7, places=2),
    width_lo=st.decimals(0, 10**7, places=2),
    extra=st.decimals(0, 10**7, places=2),
    width=st.integers(1, 60),
)
def test_bar_cells_stay_inside_the_bar(
    lo: Decimal, width_lo: Decimal, extra: Decimal, width: int
) -> None:
    scale = Range(lo, lo + width_lo + extra)
    r = Range(lo + width_lo / 2, lo + width_lo)
    start, end = bar_cells(r, scale, width)
    assert 0 <= start < end <= width


def test_bar_cells_ends_of_the_scale() -> None:
    scale = Range.of(100, 200)
    assert bar_cells(Range.of(100, 200), scale, 10) == (0, 10)
    assert bar_cells(Range.of(100, 100), scale, 10) == (0, 1)
    assert bar_cells(Range.of(200, 200), scale, 10) == (9, 10)
    assert bar_cells(Range.of(150, 160), scale, 10) == (5, 6)
    assert bar_cells(Range.of(5, 5), Range.of(5, 5), 8) == (0, 8)


def test_the_bars_show_what_the_family_pays_where_others_pay_part() -> None:
    from cartcost.ratesfile import load_rates
    from tests.clihelp import run
    from tests.conftest import FIXTURES

    direct = FIXTURES / "overlay-direct-scheme.toml"
    rates = load_rates([str(direct)])[0]
    cmp = compare(
        rates, Scenario(country="", indication="LBCL", origin="NZ", reimbursement="direct")
    )
    assert cmp.bars_family
    for r in cmp.rows:
        assert r.bar == (r.estimate.you_pay or r.total)
        assert cmp.bars.low <= r.bar.low <= r.bar.high <= cmp.bars.high
    assert cmp.bars.low == min(r.bar.low for r in cmp.rows)
    # The totals keep their own scale (budget bars are of totals).
    assert cmp.scale.low == min(r.total.low for r in cmp.rows)
    shown = run(
        "compare",
        "-i",
        "LBCL",
        "--from",
        "NZ",
        "--rates",
        str(direct),
        "--reimbursement",
        "direct",
    )
    assert "one scale for all rows, of what the family pays." in " ".join(shown.stdout.split())
    # Where the family pays every bill, the bars are the totals, as before.
    alone = compare(rates, Scenario(country="", indication="LBCL", origin="NZ"))
    assert not alone.bars_family and alone.bars == alone.scale
