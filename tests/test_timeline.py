"""When the money is needed (timeline.py, --timeline) and the payment terms it reads."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cartcost.errors import RatesError
from cartcost.estimation import Estimate, estimate
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from cartcost.timeline import DEFAULT_TERMS, schedule
from tests.clihelp import run

TERMS = """\
[countries.CN.payment]
product_due = "{due}"
deposit_share = {{ range = [0.5, 1], sources = ["guess"] }}
deposit_due = "{when}"
sources = ["off"]
note = "test terms"
"""


def _table(tmp_path: Path, due: str = "at-infusion", when: str = "admission") -> Rates:
    overlay = tmp_path / "terms.toml"
    overlay.write_text(TERMS.format(due=due, when=when), encoding="utf-8")
    table, _ = load_rates(overlays=[overlay])
    return table


def _scenario() -> Scenario:
    return Scenario(country="CN", indication="MM", origin="NZ")


def test_weeks_add_up_to_the_likely_total_and_the_p90(mini_rates: Rates) -> None:
    est = estimate(mini_rates, _scenario())
    tl = schedule(mini_rates, est)
    last = tl.weeks[-1]
    assert abs(last.cumulative_p50 - est.likely[0].p50) < Decimal("0.01")
    assert abs(last.cumulative_p90 - est.likely[0].p90) < Decimal("0.01")
    running = Decimal(0)
    for n, week in enumerate(tl.weeks, start=1):
        assert week.number == n and week.first_day == 7 * (n - 1)
        running += week.p50
        assert abs(week.cumulative_p50 - running) < Decimal("1e-9")
        assert week.p50 == sum((d[2] for d in week.due), Decimal(0))
    # Payments in time order; the living lines accrue from day 0 to home.
    days = [d.first_day for d in tl.payments]
    assert days == sorted(days)
    m = tl.milestones
    assert m.collection <= m.admission <= m.infusion <= m.discharge <= m.home
    living = [d for d in tl.payments if d.key.startswith("living.")]
    assert living and all(d.first_day == 0 and d.last_day == m.home for d in living)


def test_without_payment_terms_the_default_is_used_and_said(mini_rates: Rates) -> None:
    tl = schedule(mini_rates, estimate(mini_rates, _scenario()))
    assert tl.terms.assumed
    assert tl.terms.product_due == DEFAULT_TERMS.product_due == "before-manufacturing"
    assert any("assumed" in n for n in tl.notes)
    product = next(d for d in tl.payments if d.key == "product.price")
    assert product.first_day == tl.milestones.collection
    deposit = next(d for d in tl.payments if d.key == "hospital.deposit")
    assert deposit.first_day == tl.milestones.admission
    # The whole expected ward bill is the deposit: no balance left at discharge.
    assert not any(d.key == "hospital.inpatient" for d in tl.payments)


@pytest.mark.parametrize(
    ("due", "milestone"),
    [
        ("before-manufacturing", "collection"),
        ("at-infusion", "infusion"),
        ("after-discharge", "discharge"),
    ],
)
def test_product_falls_due_as_the_terms_say(tmp_path: Path, due: str, milestone: str) -> None:
    table = _table(tmp_path, due=due)
    tl = schedule(table, estimate(table, _scenario()))
    assert not tl.terms.assumed
    assert tl.terms.sources == ("off", "guess")
    product = next(d for d in tl.payments if d.key == "product.price")
    assert product.first_day == getattr(tl.milestones, milestone)


def test_deposit_share_splits_the_ward_bill(tmp_path: Path) -> None:
    table = _table(tmp_path, when="first-visit")
    est = estimate(table, _scenario())
    tl = schedule(table, est)
    deposit = next(d for d in tl.payments if d.key == "hospital.deposit")
    assert deposit.first_day == 0
    balance = next(d for d in tl.payments if d.key == "hospital.inpatient")
    visits = next(d for d in tl.payments if d.key == "hospital.outpatient")
    # P50 at the midpoint share (75%), P90 at the high end (100%): no P90 balance.
    assert balance.p90 == 0 and visits.p90 == 0
    assert abs(deposit.p50 - (balance.p50 + visits.p50) * 3) < Decimal("1e-9")
    assert balance.first_day == tl.milestones.discharge


def test_budget_totals_can_be_the_targets(mini_rates: Rates) -> None:
    est = estimate(mini_rates, _scenario())
    tl = schedule(mini_rates, est, Decimal(300000), Decimal(400000))
    assert abs(tl.weeks[-1].cumulative_p50 - 300000) < Decimal("0.01")
    assert abs(tl.weeks[-1].cumulative_p90 - 400000) < Decimal("0.01")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('product_due = "whenever"\nsources = ["off"]', "product_due"),
        ('product_due = "at-infusion"\nsources = ["nope"]', "unknown source id 'nope'"),
        ('product_due = "at-infusion"', "sources"),
        (
            'product_due = "at-infusion"\nsources = ["off"]\n'
            'deposit_share = { range = [0.5, 1.5], sources = ["off"] }',
            "within 0..1",
        ),
        ('product_due = "at-infusion"\nsources = ["off"]\ndeposit_due = "later"', "deposit_due"),
    ],
)
def test_bad_payment_terms_are_refused(tmp_path: Path, content: str, needle: str) -> None:
    overlay = tmp_path / "bad.toml"
    overlay.write_text("[countries.CN.payment]\n" + content + "\n", encoding="utf-8")
    with pytest.raises(RatesError) as found:
        load_rates(overlays=[overlay])
    assert needle in str([str(p) for p in found.value.problems])


ARGS = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--timeline")


def test_timeline_table() -> None:
    result = run(*ARGS)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Total" in out  # the estimate first
    assert "When the money is needed (NZD)" in out
    assert "To date P50" in out and "Milestones:" in out
    assert "(assumed)" in out  # the fixture table has no payment terms


def test_timeline_csv_ends_at_the_likely_total() -> None:
    result = run(*ARGS, "-F", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "country",
        "week",
        "first_day",
        "last_day",
        "due",
        "p50",
        "p90",
        "cumulative_p50",
        "cumulative_p90",
        "currency",
        "money",
    ]
    assert {r["money"] for r in rows} == {"total"}  # no one else pays: every bill
    plain = json.loads(run(*ARGS[:-1], "-F", "json").stdout)
    assert Decimal(rows[-1]["cumulative_p50"]) == Decimal(str(plain["likely"]["p50"]))
    assert Decimal(rows[-1]["cumulative_p90"]) == Decimal(str(plain["likely"]["p90"]))
    assert "note:" in result.stderr


def test_timeline_json_is_the_estimate_and_its_timeline() -> None:
    result = run(*ARGS, "-F", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["items"] and data["total"]
    tl = data["timeline"]
    assert tl["terms"]["assumed"] is True
    assert tl["weeks"][-1]["cumulative_p50"] == data["likely"]["p50"]
    assert set(tl["milestones"]) == {"collection", "admission", "infusion", "discharge", "home"}


def test_timeline_with_budget_adds_up_to_the_budget() -> None:
    result = run(*ARGS, "--budget", "--draws", "1000", "-F", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["timeline"]["weeks"][-1]["cumulative_p90"] == data["budget"]["total"]["p90"]


def test_real_table_has_terms_for_cn_and_us(real_table: Path) -> None:
    table, _ = load_rates(overlays=[])
    for cc in ("CN", "US"):
        pay = table.countries[cc].payment
        assert pay is not None and pay.sources
        assert all(s in table.sources for s in pay.sources)
    us = table.countries["US"].payment
    assert us is not None and us.deposit_due == "first-visit"


# ---------------------------------------------------------------- whose money

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMES = [str(FIXTURES / "overlay-transfers.toml"), str(FIXTURES / "overlay-direct-scheme.toml")]


def _with_scheme(scheme: str) -> tuple[Rates, Estimate]:
    table, _ = load_rates(overlays=SCHEMES)
    est = estimate(
        table, Scenario(country="CN", indication="MM", origin="NZ", reimbursement=scheme)
    )
    return table, est


def test_a_scheme_paying_the_provider_leaves_only_the_familys_money() -> None:
    table, est = _with_scheme("direct")
    tl = schedule(table, est)
    keys = {d.key for d in tl.payments}
    # The scheme pays the product and the hospital: none of them falls due for the family.
    assert not keys & {"product.price", "hospital.workup", "hospital.inpatient", "hospital.deposit"}
    assert {"living.lodging", "services.transfer"} <= keys
    assert tl.money == "family"
    assert abs(tl.weeks[-1].cumulative_p50 - est.you_pay_likely[0].p50) < Decimal("0.01")
    assert any("pays the provider directly" in n for n in tl.notes)


def test_the_familys_share_of_a_direct_scheme_falls_due_at_discharge() -> None:
    table, est = _with_scheme("half")
    tl = schedule(table, est)
    share = [d for d in tl.payments if d.key == "hospital.your-share"]
    assert len(share) == 1 and share[0].first_day == tl.milestones.discharge
    assert share[0].label == "Your share of covered care" and share[0].p50 > 0
    # Half to all of the treatment paid: the family's midpoint share is a quarter of it.
    assert tl.money == "family"


def test_a_scheme_paying_back_leaves_the_whole_amount_first() -> None:
    table, est = _with_scheme("refund")
    tl = schedule(table, est)
    assert "product.price" in {d.key for d in tl.payments}
    assert tl.money == "total"
    assert abs(tl.weeks[-1].cumulative_p50 - est.likely[0].p50) < Decimal("0.01")
    assert any("pays back" in n and "pays every bill first" in n for n in tl.notes)


def test_covered_at_home_the_timeline_is_the_familys_own_money(real_table: Path) -> None:
    table, _ = load_rates(overlays=[])
    est = estimate(table, Scenario(country="GB", indication="LBCL", origin="GB"))
    tl = schedule(table, est)
    assert est.you_pay_likely and est.likely
    assert not {d.key for d in tl.payments} & {"product.price", "hospital.inpatient"}
    last = tl.weeks[-1]
    assert abs(last.cumulative_p50 - est.you_pay_likely[0].p50) < Decimal("0.01")
    assert last.cumulative_p50 < est.likely[0].p50 / 10  # the NHS pays the rest
    shown = run("estimate", "-c", "GB", "-i", "LBCL", "--from", "GB", "--timeline", "-F", "json")
    assert json.loads(shown.stdout)["timeline"]["money"] == "family"
    table_rows = run(
        "estimate", "-c", "GB", "-i", "LBCL", "--from", "GB", "--timeline", "-F", "csv"
    )
    assert {r["money"] for r in csv.DictReader(io.StringIO(table_rows.stdout))} == {"family"}


def test_with_a_budget_the_family_view_adds_up_to_its_you_pay(real_table: Path) -> None:
    args = ("estimate", "-c", "GB", "-i", "LBCL", "--from", "GB", "--timeline", "--budget")
    data = json.loads(run(*args, "--draws", "1000", "-F", "json").stdout)
    assert data["timeline"]["weeks"][-1]["cumulative_p90"] == data["budget"]["you_pay"]["p90"]


def test_a_scheme_whose_way_of_paying_is_unknown_leaves_the_whole_amount() -> None:
    table, est = _with_scheme("unsaid")
    tl = schedule(table, est)
    assert tl.money == "total" and "product.price" in {d.key for d in tl.payments}
    assert any("is not in the table, so the timeline is the whole amount" in n for n in tl.notes)
    shown = run(
        "estimate",
        "-c",
        "CN",
        "-i",
        "MM",
        "--from",
        "NZ",
        *(f"--rates={p}" for p in SCHEMES),
        "--reimbursement",
        "unsaid",
    )
    assert "Paid by unsaid if approved" in shown.stdout
