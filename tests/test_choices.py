"""The family's choices: keyed figures, cities, "any", eligibility by age, and how every
output names the choices. Fixture: tests/fixtures/mini.toml + choices.toml (USD base,
CNY = 7); each expectation below is worked out by hand from those files."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from cartcost.cli import app
from cartcost.errors import NothingMatches, UsageProblem
from cartcost.estimation import Estimate, LineItem, estimate
from cartcost.money import Range
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES

CHOICES = FIXTURES / "choices.toml"


@pytest.fixture
def rates() -> Rates:
    table, _ = load_rates(overlays=[CHOICES])
    return table


def item(est: Estimate, key: str) -> LineItem:
    return next(i for i in est.items if i.key == key)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--rates", str(CHOICES)])
    return result.exit_code, result.stdout, result.stderr


def test_hospital_choice_picks_its_own_day_rate(rates: Rates) -> None:
    # MM in CN: inpatient 14-21 days. Public CNY 700 = USD 100 a day: USD 1,400-2,100.
    # Private (the country's usual) CNY 2,100-2,800 = USD 300-400: USD 4,200-8,400.
    sc = Scenario("CN", "MM", currency="USD")
    public = item(estimate(rates, sc._replace(hospital="public")), "hospital.inpatient")
    private = item(estimate(rates, sc), "hospital.inpatient")
    assert public.amount == Range(Decimal(1400), Decimal(2100))
    assert private.amount == Range(Decimal(4200), Decimal(8400))
    assert public.figure_paths == ("countries.CN.hospital.inpatient_day.public",)
    # "any": the span of both, cheapest low to dearest high.
    both = item(estimate(rates, sc._replace(hospital="any")), "hospital.inpatient")
    assert both.amount == Range(Decimal(1400), Decimal(8400))


def test_living_choice_and_city_pick_the_lodging(rates: Rates) -> None:
    # No origin, 1 caregiver, 2 people share 1 room. Outside the ward: work-up 5-10 +
    # manufacturing (a-cel 20-30, b-cel 25-40: 20-40) + nearby 14-28 = 39-78 days, 1 room;
    # inpatient 14-21 days, the caregiver's room: 53-99 room-nights.
    sc = Scenario("CN", "MM", currency="USD")
    lodging = item(estimate(rates, sc), "living.lodging")  # Shanghai, standard
    assert lodging.quantity == Range(Decimal(53), Decimal(99))
    assert lodging.amount == Range(Decimal(53 * 80), Decimal(99 * 120))
    budget_other = item(
        estimate(rates, sc._replace(living="budget", city="other")), "living.lodging"
    )
    assert budget_other.amount == Range(Decimal(53 * 20), Decimal(99 * 20))
    assert budget_other.figure_paths == ("countries.CN.living.lodging_night.budget",)
    span = item(estimate(rates, sc._replace(living="any")), "living.lodging")
    assert span.amount == Range(Decimal(53 * 40), Decimal(99 * 300))


def test_every_output_names_the_choices(rates: Rates) -> None:
    code, out, _ = run("estimate", "-c", "CN", "-i", "LBCL", "-F", "json", "--living", "budget")
    assert code == 0
    doc = json.loads(out)
    assert doc["choices"] == {
        "hospital": "private",
        "living": "budget",
        "city": "shanghai",
        "age": None,
        "transfer": "bank",
    }
    code, out, _ = run("estimate", "-c", "CN", "-i", "LBCL", "-F", "csv", "--hospital", "public")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["hospital"], r["living"], r["city"]) for r in rows} == {
        ("public", "standard", "shanghai")
    }
    total = next(r for r in rows if r["category"] == "total")
    assert Decimal(total["p10"]) <= Decimal(total["p50"]) <= Decimal(total["p90"])
    code, out, _ = run("estimate", "-c", "CN", "-i", "LBCL", "--city", "shanghai")
    assert "Choices: private hospital" in out and "Shanghai" in out
    assert "Likely total" in out and "(P90)" in out


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--hospital", "vip", "valid: public, private, any"),
        ("--living", "palace", "valid: budget, standard, comfort, any"),
        ("--city", "Atlantis", "valid: shanghai, other"),
        ("--age", "200", "from 0 to 120"),
    ],
)
def test_bad_choices_are_usage_errors_listing_what_is_valid(
    option: str, value: str, message: str
) -> None:
    code, out, err = run("estimate", "-c", "CN", "-i", "MM", option, value)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_an_age_outside_the_label_leaves_the_product_out(rates: Rates) -> None:
    sc = Scenario("CN", "MM", currency="USD")
    unaged = estimate(rates, sc)
    assert {o.id for o in unaged.offers} == {"a-cel", "b-cel"}
    assert any(
        "ages 18-65 for MM" in n and "give the patient's age" in " ".join(unaged.notes)
        for n in unaged.notes
    )
    old = estimate(rates, sc._replace(age=70))
    assert {o.id for o in old.offers} == {"b-cel"}
    assert any("left out" in n and "the patient is 70" in n for n in old.notes)
    assert old.choices is not None and old.choices.age == 70
    with pytest.raises(NothingMatches):
        estimate(rates, sc._replace(age=70, products=("a-cel",)))
    with pytest.raises(UsageProblem):
        estimate(rates, sc._replace(age=-1))


def test_collapsed_ranges_make_the_likely_total_the_total(rates: Rates) -> None:
    from tests.test_budget import collapse, variant

    flat = variant(collapse(1))
    est = estimate(flat, Scenario("CN", "MM", products=("a-cel",), origin="GB"))
    (likely,) = est.likely
    assert likely.p10 == likely.p50 == likely.p90 == est.total.high.quantize(Decimal("0.01"))


def test_offers_on_two_pathways_get_a_likely_total_each(rates: Rates, tmp_path: object) -> None:
    from pathlib import Path

    overlay = Path(str(tmp_path)) / "academic.toml"
    overlay.write_text('[countries.CN.offers.a-cel]\npathway = "academic"\n')
    table, _ = load_rates(overlays=[CHOICES, overlay])
    est = estimate(table, Scenario("CN", "MM", currency="USD"))
    assert [lk.pathway for lk in est.likely] == ["academic", "commercial"]
    academic, commercial = est.likely
    # a-cel is CNY 700,000 = USD 100,000; b-cel CNY 1.4-2.1 M = USD 200,000-300,000.
    assert academic.p90 < 200_000 < commercial.p10


def test_an_offer_closed_to_foreign_patients_is_left_out_for_them(tmp_path: object) -> None:
    from pathlib import Path

    overlay = Path(str(tmp_path)) / "closed.toml"
    overlay.write_text('[countries.CN.offers.b-cel]\nforeign_patients = "no"\n')
    table, _ = load_rates(overlays=[CHOICES, overlay])
    abroad = estimate(table, Scenario("CN", "MM", origin="NZ"))
    assert {o.id for o in abroad.offers} == {"a-cel"}
    assert any("b-cel" in n and "not open to patients from abroad" in n for n in abroad.notes)
    at_home = estimate(table, Scenario("CN", "MM", origin="CN"))
    assert {o.id for o in at_home.offers} == {"a-cel", "b-cel"}


def test_offers_not_known_on_sale_or_going_away_are_said(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    from cartcost.comparison import compare

    overlay = Path(str(tmp_path)) / "status.toml"
    overlay.write_text(
        '[countries.CN.offers.b-cel]\non_sale = "unknown"\n'
        "[countries.CN.offers.a-cel]\nstatus_until = 2027-03-31\n"
    )
    table, _ = load_rates(overlays=[CHOICES, overlay])
    monkeypatch.setenv("CARTCOST_TODAY", "2026-11-30")
    # By default an offer not known to be on sale is left out while another answers;
    # named, it is estimated with its note.
    default = estimate(table, Scenario("CN", "MM", origin="NZ"))
    assert [o.id for o in default.offers] == ["a-cel"]
    assert any(
        "(b-cel) left out: approved in CN, but no launch" in n and "--product b-cel" in n
        for n in default.notes
    )
    both = ("a-cel", "b-cel")
    est = estimate(table, Scenario("CN", "MM", origin="NZ", products=both))
    assert not any("left out" in n for n in est.notes)
    assert any("(b-cel) in CN: approved, but no launch" in n for n in est.notes)
    assert any(
        "(a-cel) in CN: offered until 31 March 2027, then to be withdrawn" in n for n in est.notes
    )
    monkeypatch.setenv("CARTCOST_TODAY", "2027-04-01")
    later = estimate(table, Scenario("CN", "MM", origin="NZ"))
    assert any(
        "(a-cel) in CN: offered until 31 March 2027; check it still is" in n for n in later.notes
    )
    assert {o.id: o.availability for o in est.offers} == {
        "a-cel": "until 31 March 2027",
        "b-cel": "not confirmed on sale",
    }
    from cartcost.render.html import estimate_html

    page = estimate_html(est, table.sources)
    assert "(b-cel, commercial; not confirmed on sale)" in page
    side = compare(table, Scenario("CN", "MM", origin="NZ", products=both), ["CN"])
    (note,) = [n for n in side.notes if n.startswith("availability:")]
    assert (
        "CN" in note
        and "(b-cel) not confirmed on sale" in note
        and "(a-cel) until 31 March 2027" in note
    )
    plain, _ = load_rates(overlays=[CHOICES])
    assert not any(
        "launch" in n or "until" in n for n in estimate(plain, Scenario("CN", "MM")).notes
    )
    # When no offer is known to be on sale, none is left out: each keeps its note.
    none_known = Path(str(tmp_path)) / "none.toml"
    none_known.write_text(
        '[countries.CN.offers.b-cel]\non_sale = "unknown"\n'
        '[countries.CN.offers.a-cel]\non_sale = "unknown"\n'
    )
    unsure, _ = load_rates(overlays=[CHOICES, none_known])
    only = estimate(unsure, Scenario("CN", "MM", origin="NZ"))
    assert {o.id for o in only.offers} == {"a-cel", "b-cel"}
    assert sum("approved, but no launch" in n for n in only.notes) == 2
    assert not any("left out" in n for n in only.notes)


def test_an_offer_left_out_as_not_on_sale_earns_no_age_note(tmp_path: object) -> None:
    from pathlib import Path

    overlay = Path(str(tmp_path)) / "aged.toml"
    overlay.write_text(
        '[countries.CN.offers.b-cel]\non_sale = "unknown"\nage_limits = { "MM" = [18, 120] }\n'
    )
    table, _ = load_rates(overlays=[CHOICES, overlay])
    default = estimate(table, Scenario("CN", "MM"))
    assert [o.id for o in default.offers] == ["a-cel"]
    # Left out anyway: its age limit changes nothing, so its note says nothing of ages
    # (a-cel's own limit still earns one).
    assert not any("(b-cel) is for" in n for n in default.notes)
    assert any("(a-cel) is for ages 18-65 for MM" in n for n in default.notes)
    named = estimate(table, Scenario("CN", "MM", products=("b-cel",)))
    assert any("(b-cel) is for age 18 and over for MM" in n for n in named.notes)


def test_on_sale_takes_yes_or_unknown_only(tmp_path: object) -> None:
    from pathlib import Path

    from cartcost.errors import RatesError

    overlay = Path(str(tmp_path)) / "bad.toml"
    overlay.write_text('[countries.CN.offers.b-cel]\non_sale = "maybe"\n')
    with pytest.raises(RatesError) as caught:
        load_rates(overlays=[CHOICES, overlay])
    assert "on_sale" in str(caught.value.problems)
