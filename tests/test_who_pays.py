"""Who pays: price bases, cover at home, schemes abroad, what the family pays, and the
perspective compare ranks by.

Fixture: tests/fixtures/mini.toml + whopays.toml (USD base; CNY = 7, NZD = 2, GBP = 0.5);
every expectation below is worked out by hand from those files. The last tests run the
four worked examples of docs/coverage-examples.md on the real table.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartcost.cli import app
from cartcost.comparison import compare
from cartcost.errors import UsageProblem
from cartcost.estimation import Estimate, LineItem, estimate
from cartcost.money import Range
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.conftest import FIXTURES

WHO = FIXTURES / "whopays.toml"


@pytest.fixture
def rates() -> Rates:
    table, _ = load_rates(overlays=[WHO])
    return table


def item(est: Estimate, key: str) -> LineItem:
    return next(i for i in est.items if i.key == key)


def run(*args: str, overlay: bool = True) -> tuple[int, str, str]:
    extra = ["--rates", str(WHO)] if overlay else []
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, result.stdout, result.stderr


# A US family treated at home, LBCL (a-cel, list price USD 400,000-500,000), 1 caregiver:
#   treatment: product 400,000-500,000 + work-up 5,000-10,000 + apheresis 10,000-20,000
#     + lymphodepletion 5,000-10,000 + inpatient 10-15 d x 3,000-5,000 (30,000-75,000)
#     + outpatient 14 d x 2/7 = 4 visits x 500-1,000 (2,000-4,000) = 452,000-619,000
#   stay 7+14+10+14 = 45 to 14+21+15+14 = 64 days; outside a ward 35-49, in it 10-15
#   living: lodging 45-64 room-nights x 100-200 (4,500-12,800) + meals (35x2+10 = 80 to
#     49x2+15 = 113 person-days) x 60-80 (4,800-9,040) + transport 45-64 x 20-40
#     (900-2,560) = 10,200-24,400
#   total 462,200-643,400
US_HOME = Scenario("US", "LBCL", origin="US")
US_TOTAL = Range(Decimal(462200), Decimal(643400))
US_LIVING = Range(Decimal(10200), Decimal(24400))


def test_us_insured_family_pays_living_and_up_to_the_cap(rates: Rates) -> None:
    est = estimate(rates, US_HOME)
    assert est.total == US_TOTAL
    # Insured (the usual cover): the plan pays the treatment, the family USD 0-10,000 of
    # it, and its own living costs.
    assert est.you_pay == Range(Decimal(10200), Decimal(24400 + 10000))
    assert item(est, "product.price").paid_by == "insurer"
    assert item(est, "product.price").basis == "list"
    assert item(est, "hospital.inpatient").paid_by == "insurer"
    assert item(est, "living.lodging").paid_by == "family"
    assert est.who_pays is not None and est.who_pays.cover == "insured"
    assert est.you_pay_likely and est.you_pay_likely[0].p50 < est.likely[0].p50


def test_public_cover_with_a_daily_charge_capped_in_days(rates: Rates) -> None:
    est = estimate(rates, US_HOME._replace(cover="public"))
    # 100 + 10 a day x 10 days (low) or 12 days (15, capped at 12: high).
    assert est.who_pays is not None
    assert est.who_pays.share == Range(Decimal(200), Decimal(220))
    assert est.you_pay == Range(Decimal(10200 + 200), Decimal(24400 + 220))
    assert item(est, "product.price").paid_by == "public"


def test_no_cover_the_family_pays_the_cash_price(rates: Rates) -> None:
    # Uninsured at home: the hospital's cash price for the product (USD 800,000) in place
    # of the list price (400,000-500,000), and every line is the family's.
    est = estimate(rates, US_HOME._replace(cover="none"))
    product = item(est, "product.price")
    assert product.amount == Range.of(800000) and product.basis == "cash"
    cash_total = Range(US_TOTAL.low - 400000 + 800000, US_TOTAL.high - 500000 + 800000)
    assert est.you_pay == est.total == cash_total
    assert {i.paid_by for i in est.items if i.amount is not None} == {"family"}


def test_a_foreign_patient_pays_the_cash_price(rates: Rates) -> None:
    est = estimate(rates, Scenario("US", "LBCL", origin="GB", currency="USD"))
    product = item(est, "product.price")
    assert product.amount == Range.of(800000) and product.basis == "cash"
    # Treatment 852,000-919,000 (cash product), living 10,200-24,400, flights GBP
    # 500-800 x 2 (USD 2,000-3,200), visa-free fee 21-40 x 2 (the 45-64 day stay is
    # within GB's 90 visa-free days): 864,242-946,680, all the family's.
    assert est.total == Range(Decimal(864242), Decimal(946680))
    assert est.you_pay == est.total
    assert {i.paid_by for i in est.items if i.amount is not None} == {"family"}
    assert any("At home (GB, public cover): LBCL covered" in n for n in est.notes)


def test_unknown_cover_says_unknown(rates: Rates) -> None:
    est = estimate(rates, Scenario("CN", "MM", origin="CN"))
    assert est.you_pay is None and est.you_pay_likely == ()
    assert any("cover unknown" in n and "unknown" in n for n in est.notes)
    code, out, _ = run("estimate", "-c", "CN", "-i", "MM", "--from", "CN", "-F", "json")
    assert code == 0 and json.loads(out)["you_pay"] is None
    code, out, _ = run("estimate", "-c", "CN", "-i", "MM", "--from", "CN")
    assert code == 0 and "What you pay" in out and "unknown" in out


# An NZ family, MM in China, 1 caregiver, in NZD. Low end (hand-worked in test_batch too):
#   treatment: product 700,000 + work-up 7,000 + apheresis 0 (b-cel includes it) +
#     bridging 0 + lymphodepletion 14,000 + inpatient 14 x 700 + outpatient 4 x 70 +
#     complications 0 = CNY 731,080 = NZD 208,880
#   lodging 53 room-nights x USD 50 = USD 2,650 = NZD 5,300; flights NZD 2,000 x 2;
#   visas (53 days > 30 visa-free) USD 50 x 2 = NZD 200; total NZD 225,120.
NZ_CN = Scenario("CN", "MM", origin="NZ")


def test_a_scheme_that_may_apply_is_named_not_applied(rates: Rates) -> None:
    est = estimate(rates, NZ_CN)
    assert est.total.low == Decimal(225120)
    assert est.you_pay == est.total
    note = next(n for n in est.notes if "nz-half" in n)
    assert "Half-pay scheme" in note and "approved before travel" in note
    assert not any("nz-us" in n for n in est.notes)  # it pays in the US only
    assert any("At home (NZ, public cover): MM not covered" in n for n in est.notes)


def test_an_applied_scheme_subtracts_what_it_pays(rates: Rates) -> None:
    est = estimate(rates, NZ_CN._replace(reimbursement="nz-half"))
    # Half of treatment 208,880 + flights 4,000 + visas 200 + lodging 5,300 = 109,190.
    assert est.you_pay is not None and est.you_pay.low == Decimal(225120 - 109190)
    assert est.who_pays is not None and est.who_pays.reimbursed is not None
    assert est.who_pays.reimbursed.low == Decimal(109190)
    assert est.total.low == Decimal(225120)  # the cost of care is unchanged
    assert est.you_pay_likely and est.you_pay_likely[0].p50 < est.likely[0].p50
    assert any(
        "nz-half" in n and "applied" in n and "not available at home" in n for n in est.notes
    )


def test_a_scheme_that_does_not_apply_is_refused(rates: Rates) -> None:
    with pytest.raises(UsageProblem, match="pays for treatment in US, not in CN"):
        estimate(rates, NZ_CN._replace(reimbursement="nz-us"))
    with pytest.raises(UsageProblem, match="is for patients from NZ, not from GB"):
        estimate(rates, Scenario("CN", "MM", origin="GB", reimbursement="nz-half"))
    code, _, err = run(
        "estimate", "-c", "CN", "-i", "MM", "--from", "GB", "--reimbursement", "nz-half"
    )
    assert code == 2 and "is for patients from NZ, not from GB" in err


def test_societal_perspective_counts_time_away(rates: Rates) -> None:
    est = estimate(rates, US_HOME._replace(perspective="societal", income=Decimal(36500)))
    # USD 36,500 a year = 100 a day; the stay 45-64 days x 2 people = 90-128 person-days.
    time = item(est, "time.away")
    assert time.amount == Range(Decimal(9000), Decimal(12800))
    assert time.quantity == Range(Decimal(90), Decimal(128))
    assert est.total == Range(Decimal(462200 + 9000), Decimal(643400 + 12800))
    assert est.measure("payer") == US_TOTAL
    assert est.you_pay == Range(Decimal(10200 + 9000), Decimal(34400 + 12800))
    with pytest.raises(UsageProblem, match="--income"):
        estimate(rates, US_HOME._replace(perspective="societal"))


def test_societal_perspective_uses_the_origins_average_wage(tmp_path: Path) -> None:
    wage = tmp_path / "wage.toml"
    wage.write_text(
        "[countries.US]\n"
        'average_wage = { range = [36500, 73000], currency = "USD", sources = ["off"] }\n'
    )
    table, _ = load_rates(overlays=[WHO, wage])
    est = estimate(table, US_HOME._replace(perspective="societal"))
    # USD 36,500-73,000 a year = 100-200 a day x 90-128 person-days.
    time = item(est, "time.away")
    assert time.amount == Range(Decimal(9000), Decimal(25600))
    assert time.rate == Range(Decimal(100), Decimal(200))
    assert time.sources == ("off",)
    assert time.figure_paths == ("countries.US.average_wage",)
    assert "average yearly wage in United States (36,500-73,000 USD)" in time.note
    assert est.total == Range(Decimal(462200 + 9000), Decimal(643400 + 25600))
    # Your own income wins over the table's wage.
    mine = estimate(table, US_HOME._replace(perspective="societal", income=Decimal(36500)))
    assert item(mine, "time.away").amount == Range(Decimal(9000), Decimal(12800))
    code, out, err = run(
        "estimate", "-c", "US", "-i", "LBCL", "--from", "US", "--perspective", "societal",
        "-F", "json", "--rates", str(wage),
    )  # fmt: skip
    assert code == 0, err
    away = next(i for i in json.loads(out)["items"] if i["key"] == "time.away")
    assert away["low"] == 9000 and away["high"] == 25600


def test_societal_without_a_wage_names_the_origin() -> None:
    code, _, err = run(
        "estimate", "-c", "US", "-i", "LBCL", "--from", "US", "--perspective", "societal"
    )
    assert code == 2 and "no average wage for US" in err and "--income" in err


def test_compare_ranks_by_the_perspective_and_saves_like_for_like(rates: Rates) -> None:
    base = Scenario("", "LBCL", origin="US")
    family = compare(rates, base, ["US", "CN"])
    assert [r.country for r in family.rows] == ["US", "CN"]  # the insured family pays little
    cn = next(r for r in family.rows if r.country == "CN")
    home = next(r for r in family.rows if r.is_home)
    assert home.measure == Range(Decimal(10200), Decimal(34400))
    assert cn.vs_home is not None and cn.estimate.you_pay is not None
    assert cn.vs_home.low == Decimal(10200) - cn.estimate.you_pay.low
    payer = compare(rates, base._replace(perspective="payer"), ["US", "CN"])
    assert [r.country for r in payer.rows] == ["CN", "US"]  # China's care costs less
    cn = next(r for r in payer.rows if r.country == "CN")
    assert cn.vs_home is not None and cn.vs_home.low == US_TOTAL.low - cn.total.low
    assert payer.perspective == "payer"
    assert any("ranked by the total cost of care" in n for n in payer.notes)


def test_outputs_carry_paid_by_basis_and_what_you_pay(rates: Rates) -> None:
    code, out, _ = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US", "-F", "json")
    doc = json.loads(out)
    assert code == 0 and doc["you_pay"] == {"low": 10200, "high": 34400}
    product = next(i for i in doc["items"] if i["key"] == "product.price")
    assert (product["paid_by"], product["basis"]) == ("insurer", "list")
    assert doc["who_pays"]["cover"] == "insured"
    assert doc["who_pays"]["covered_at_home"] == "yes"
    code, out, _ = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US", "-F", "csv")
    lines = out.splitlines()
    header = lines[0].split(",")
    assert header[-6:] == [
        "paid_by",
        "basis",
        "you_pay_low",
        "you_pay_high",
        "you_pay_p50",
        "you_pay_p90",
    ]
    total = dict(zip(header, lines[-1].split(","), strict=True))
    assert (total["you_pay_low"], total["you_pay_high"]) == ("10200", "34400")
    code, out, _ = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US")
    assert code == 0 and "What you pay" in out and "34,400" in out


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("--cover", "nhs", "public, insured, none"),
        ("--perspective", "me", "family, payer, societal"),
        ("--reimbursement", "nope", "nz-half, nz-us"),
    ],
)
def test_bad_values_list_the_valid_ones(option: str, value: str, valid: str) -> None:
    code, _, err = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US", option, value)
    assert code == 2 and valid in err


def test_scenario_file_carries_who_pays(tmp_path: Path, rates: Rates) -> None:
    case = tmp_path / "case.toml"
    case.write_text(
        'country = "US"\nindication = "LBCL"\nfrom = "US"\ncover = "none"\nperspective = "payer"\n'
    )
    code, out, _ = run("estimate", "--scenario", str(case), "-F", "json")
    doc = json.loads(out)
    assert code == 0 and doc["scenario"]["cover"] == "none"
    assert doc["you_pay"] == {"low": 862200, "high": 943400}  # the cash price, uninsured
    case.write_text('country = "US"\nindication = "LBCL"\ncover = "nhs"\n')
    code, _, err = run("estimate", "--scenario", str(case))
    assert code == 2 and "cover" in err


# ---------------------------------------------------------------- the real table


@pytest.fixture
def real(real_table: Path) -> Rates:
    table, _ = load_rates()
    return table


def test_real_gb_lbcl_nhs_at_home_family_pays_living_china_pays_all(real: Rates) -> None:
    home = estimate(real, Scenario("GB", "LBCL", origin="GB"), draws=0)
    living = sum(
        (i.amount.low for i in home.items if i.category == "living" and i.amount), Decimal(0)
    )
    assert home.you_pay is not None and home.you_pay.low == living  # NHS: GBP 0 of care
    assert item(home, "product.price").paid_by == "public"
    china = estimate(real, Scenario("CN", "LBCL", origin="GB"), draws=0)
    assert china.you_pay == china.total
    assert {i.paid_by for i in china.items if i.amount is not None} == {"family"}
    cmp = compare(real, Scenario("", "LBCL", origin="GB"), ["GB", "CN"])
    assert cmp.rows[0].is_home  # like for like, the NHS family pays least at home
    cn = next(r for r in cmp.rows if r.country == "CN")
    assert cn.vs_home is not None and cn.vs_home.low < 0


def test_real_gb_mm_not_covered_no_home_row(real: Rates) -> None:
    cmp = compare(real, Scenario("", "MM", origin="GB"), ["CN", "GB"])
    assert cmp.home is None and all(r.vs_home is None for r in cmp.rows)
    assert any("At home (GB, public cover): MM not covered" in n for n in cmp.notes)
    assert any("does not offer MM" in n for n in cmp.notes)


def test_real_gb_mm_home_row_is_the_private_cash_price(real_table: Path, tmp_path: Path) -> None:
    # The table has no published UK price for a myeloma CAR-T; this test gives GB one
    # (test data: list GBP 300,000, cash GBP 400,000). The NHS does not pay for MM, so a
    # GB family treated at home pays the cash price, like a foreign patient, and all of it.
    extra = tmp_path / "gb-mm.toml"
    extra.write_text(
        "[countries.GB.offers.cilta-cel-test]\n"
        'product = "cilta-cel"\nindications = ["MM"]\npathway = "commercial"\n'
        'price = { range = [300000, 300000], currency = "GBP", basis = "list", '
        'sources = ["gov-nhs-constitution"] }\n'
        'prices = { cash = { range = [400000, 400000], currency = "GBP", basis = "cash", '
        'sources = ["gov-nhs-constitution"] } }\n'
        'manufacturing_days = { range = [28, 35], sources = ["gov-nhs-constitution"] }\n'
    )
    table, _ = load_rates(overlays=[extra])
    home = estimate(table, Scenario("GB", "MM", origin="GB"), draws=0)
    product = item(home, "product.price")
    assert product.native == Range(Decimal(400000), Decimal(400000))
    assert product.basis == "cash" and product.paid_by == "family"
    assert home.you_pay == home.total
    # With public cover that pays (LBCL), the same family's product is the NHS's, at list.
    lbcl = estimate(table, Scenario("GB", "LBCL", origin="GB"), draws=0)
    assert item(lbcl, "product.price").paid_by == "public"
    assert item(lbcl, "product.price").basis != "cash"
    cmp = compare(table, Scenario("", "MM", origin="GB"), ["CN", "GB"])
    row = next(r for r in cmp.rows if r.is_home)
    assert row.measure == home.total  # like for like: what the family pays at home
    cn = next(r for r in cmp.rows if r.country == "CN")
    assert cn.estimate.you_pay is not None and cn.vs_home is not None
    assert cn.vs_home.low == home.total.low - cn.estimate.you_pay.low


def test_real_us_insured_cap_and_foreign_cash(real: Rates) -> None:
    home = estimate(real, Scenario("US", "LBCL", origin="US"), draws=0)
    living = [i.amount for i in home.items if i.category == "living" and i.amount]
    high = sum((a.high for a in living), Decimal(0))
    assert home.you_pay is not None and home.you_pay.high == high + 10600  # ACA 2026 cap
    foreign = estimate(real, Scenario("US", "LBCL", origin="GB", currency="USD"), draws=0)
    product = item(foreign, "product.price")
    assert product.basis == "cash"
    cash_lows = [
        o.prices["cash"].range[0]
        for o in real.countries["US"].offers.values()
        if "LBCL" in o.indications and o.pathway == "commercial" and "cash" in o.prices
    ]
    assert product.native is not None and product.native.low == min(cash_lows)
    assert foreign.you_pay == foreign.total


def test_real_au_cll_names_mtop_and_applies_it(real: Rates) -> None:
    est = estimate(real, Scenario("US", "CLL", origin="AU"), draws=0)
    note = next(n for n in est.notes if "au-mtop" in n)
    assert "Medical Treatment Overseas Program" in note and "life-threatening condition" in note
    assert any("CLL not covered" in n for n in est.notes)
    applied = estimate(real, Scenario("US", "CLL", origin="AU", reimbursement="au-mtop"), draws=0)
    # MTOP's page says it covers the cost of the approved treatment (pays_share 1) and the
    # travel: what is left to the family is a small part of the total at both ends.
    assert applied.you_pay is not None and applied.you_pay.low < est.total.low / 10
    assert applied.you_pay.high < est.total.high / 10
    with pytest.raises(UsageProblem, match="au-mtop is for patients from AU, not from NZ"):
        estimate(real, Scenario("US", "CLL", origin="NZ", reimbursement="au-mtop"), draws=0)


def test_bad_cover_data_is_named_by_key_path(tmp_path: Path) -> None:
    from cartcost.errors import RatesError

    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[coverage.NZ]\nusual = "public"\n\n'
        '[[coverage.NZ.rules]]\nindication = "MM"\nproducts = ["z-cel"]\n'
        'cover = "public"\ncovered = "maybe"\nwho = "x"\nsources = ["off"]\n\n'
        '[[coverage.NZ.rules]]\nindication = "LBCL"\ncover = "public"\n'
        'covered = "unknown"\nwho = "x"\nsources = ["off"]\n\n'
        '[schemes.s]\nname = "S"\norigins = ["NZ"]\ndestinations = ["XX"]\n'
        'providers = "any"\npays = "all"\nconditions = []\nsources = ["nowhere"]\n'
    )
    with pytest.raises(RatesError) as caught:
        load_rates(overlays=[bad])
    found = {(p.path, p.message.split(";")[0]) for p in caught.value.problems}
    paths = {path for path, _ in found}
    assert "coverage.NZ.rules[0].products" in paths  # unknown product z-cel
    assert "coverage.NZ.rules[0].covered" in paths  # not yes/no/partly/unknown
    assert "coverage.NZ.rules[1]" in paths  # unknown needs a note
    assert "schemes.s.destinations" in paths  # XX is not a country of the table
    assert "schemes.s.conditions" in paths  # at least one
    assert "schemes.s.sources" in paths  # unknown source id


def test_config_default_cover(tmp_path: Path) -> None:
    import os

    config = Path(os.environ["CARTCOST_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('[defaults]\ncover = "none"\n')
    code, out, _ = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US", "-F", "json")
    assert code == 0 and json.loads(out)["you_pay"] == {"low": 862200, "high": 943400}
    # The command line wins over the config.
    code, out, _ = run(
        "estimate", "-c", "US", "-i", "LBCL", "--from", "US", "--cover", "insured", "-F", "json"
    )
    assert json.loads(out)["you_pay"] == {"low": 10200, "high": 34400}
    (config / "config.toml").write_text('[defaults]\ncover = "nhs"\n')
    code, _, err = run("estimate", "-c", "US", "-i", "LBCL", "--from", "US")
    assert code == 2 and "defaults.cover" in err


def test_budget_draws_what_the_family_pays_by_the_same_rule(rates: Rates) -> None:
    import numpy as np

    from cartcost.budget import sample, simulate

    # Insured at home: the family pays its living costs as drawn plus the middle of its
    # share of covered care (USD 0-10,000 -> 5,000; the treatment always costs more).
    est = estimate(rates, US_HOME)
    b = simulate(rates, est, draws=5_000, seed=4)
    s = sample(rates, est, draws=5_000, seed=4)
    living = sum(v for k, v in s.lines.items() if k.startswith("living."))
    want = np.quantile(living + 5_000, (0.1, 0.5, 0.9))
    assert b.you_pay is not None
    got = [b.you_pay.p10, b.you_pay.p50, b.you_pay.p90]
    assert [float(x) for x in got] == pytest.approx(list(want), abs=0.01)
    # Abroad the family pays it all: what it pays is the total, draw for draw.
    cn = estimate(rates, NZ_CN)
    abroad = simulate(rates, cn, draws=5_000, seed=4)
    assert abroad.you_pay == abroad.total


def test_budget_draws_the_price_the_estimate_used(rates: Rates) -> None:
    from cartcost.budget import simulate

    # A foreign patient in the US pays the cash price (USD 800,000 flat): every draw of the
    # product is 800,000, and the budget's percentiles stay inside the plain low-high.
    est = estimate(rates, Scenario("US", "LBCL", origin="GB", currency="USD"))
    b = simulate(rates, est, draws=2_000, seed=1)
    product = b.line("product.price")
    assert product is not None and product.spread.p10 == product.spread.p90 == 800000
    assert est.total.low <= b.total.p10 <= b.total.p90 <= est.total.high
