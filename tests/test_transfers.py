"""Currency conversion and transfer fees ([transfers]): a share of the money a family
sends abroad, on every line billed in another currency than its own.

Expected numbers are computed by hand from tests/fixtures/mini.toml (USD base; CNY 7,
NZD 2 per USD) and tests/fixtures/overlay-transfers.toml (fee 0.5-3%).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from cartcost import budget, engine
from cartcost.estimation import Estimate, estimate
from cartcost.lines import TRANSFER
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import FIXTURES

TRANSFERS = FIXTURES / "overlay-transfers.toml"


@pytest.fixture
def fees() -> Rates:
    return load_rates([str(TRANSFERS)])[0]


def cn_from_nz(rates: Rates) -> Estimate:
    return estimate(rates, Scenario(country="CN", indication="MM", origin="NZ"))


def line(est: Estimate, key: str) -> Any:
    return next(i for i in est.items if i.key == key)


def test_the_fee_is_a_share_of_every_bill_in_another_currency(fees: Rates) -> None:
    fee = line(cn_from_nz(fees), TRANSFER)
    # In NZD (2 per USD; CNY 7 per USD): every line but the flights and the visas,
    # bought at home. Low ends: product CNY 700,000 = 200,000; work-up CNY 7,000 = 2,000;
    # apheresis and bridging 0; chemotherapy CNY 14,000 = 4,000; inpatient 14 days x
    # CNY 700 = 2,800; outpatient 4 visits x CNY 70 = 80; reserve 0; lodging 53 nights x
    # USD 50 = 5,300; meals 92 person-days x USD 20 = 3,680; transport 53 days x USD 10 =
    # 1,060; coordinator USD 1,000 = 2,000; interpreter 0: NZD 220,920.
    # High ends: 600,000 + 4,000 + 2,000 + 2,000 + 4,000 + 8,400 + 480 + 20,000 + 19,800
    # + 14,160 + 3,960 + 4,000 + 9,900 = NZD 692,700.
    assert fee.amount.low == Decimal("1104.60")  # 0.5% of 220,920
    assert fee.amount.high == Decimal("20781.00")  # 3% of 692,700
    assert fee.category == "services" and fee.sources == ("off",)
    assert "0.5%–3% of NZD 220,920–692,700 paid in CNY and USD from NZD" in fee.note


def test_the_total_counts_the_fee(fees: Rates) -> None:
    est = cn_from_nz(fees)
    assert est.total.low == sum((i.amount.low for i in est.items if i.amount), Decimal(0))
    without = cn_from_nz(load_rates()[0])
    assert est.total.low - without.total.low == Decimal("1104.60")


def test_no_fee_without_the_table_or_without_money_sent_abroad(fees: Rates) -> None:
    assert not any(i.key == TRANSFER for i in cn_from_nz(load_rates()[0]).items)
    at_home = estimate(fees, Scenario(country="US", indication="LBCL", origin="US"))
    assert not any(i.key == TRANSFER for i in at_home.items)


def test_the_simulation_draws_the_fee_on_the_drawn_bills(fees: Rates) -> None:
    est = cn_from_nz(fees)
    pr = budget._prepared(fees, est)
    assert pr.transfer is not None
    sent = pr.transfer.sent
    assert pr.transfer.direct == ()  # no scheme applied
    assert "travel.flights" not in sent and "travel.visa" not in sent
    assert "product.price" in sent
    record: dict[str, Any] = {}
    d = engine.draw(pr, engine.NumpyBackend(5, 2_000), record=record)
    share = record["transfer_fee"]
    assert float(np.min(share)) >= 0.005 and float(np.max(share)) <= 0.03
    base = sum(np.asarray(d.lines[k]) for k in sent)
    assert np.allclose(d.lines[TRANSFER], share * base)
    b = budget.simulate(fees, est, draws=20_000)
    fee = b.line(TRANSFER)
    assert fee is not None
    assert fee.plain.low <= fee.spread.p10 <= fee.spread.p50 <= fee.spread.p90 <= fee.plain.high


def test_every_format_carries_the_fee() -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--rates", str(TRANSFERS))
    shown = run(*args)
    assert shown.exit_code == 0, shown.stderr
    assert "Currency conversion and transfer fees" in shown.stdout
    doc = json.loads(run(*args, "-F", "json").stdout)
    item = next(i for i in doc["items"] if i["key"] == TRANSFER)
    assert (item["low"], item["high"]) == (1104.6, 20781)
    assert "Currency conversion and transfer fees" in run(*args, "-F", "csv").stdout


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("fee = { range = [0.005, 0.4], sources = ['off'] }", "at most 0.25"),
        ("fee = { range = [0.005, 1.5], sources = ['off'] }", "within 0..1"),
        ("fee = { range = [0.005, 0.03], sources = ['nobody'] }", "unknown source id 'nobody'"),
    ],
)
def test_a_bad_fee_is_refused_with_its_key_path(tmp_path: Any, text: str, needle: str) -> None:
    bad = tmp_path / "bad-transfers.toml"
    bad.write_text(f"[transfers]\n{text}\n")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2
    assert "transfers" in result.stderr and "fee" in result.stderr and needle in result.stderr
    assert str(bad) in result.stderr and "Traceback" not in result.output


def test_the_fees_fall_due_with_the_payments(fees: Rates) -> None:
    from cartcost.timeline import schedule

    tl = schedule(fees, cn_from_nz(fees))
    fee = [d for d in tl.payments if d.key == TRANSFER]
    others = [d for d in tl.payments if d.key != TRANSFER]
    # One share of the fee with every other payment, in proportion to it: per time
    # window, the fee's share of what falls due is the same.
    assert len(fee) == len(others) > 1
    assert len({d.first_day for d in fee}) > 1  # not all in the first week
    windows = {(d.first_day, d.last_day) for d in others}
    shares = set()
    for w in windows:
        due_fee = sum((d.p50 for d in fee if (d.first_day, d.last_day) == w), Decimal(0))
        due = sum((d.p50 for d in others if (d.first_day, d.last_day) == w), Decimal(0))
        shares.add(round(due_fee / due, 9))
    assert len(shares) == 1
    # The whole timeline still adds up to the likely total.
    assert sum((d.p50 for d in tl.payments), Decimal(0)) == pytest.approx(tl.p50)


# ---------------------------------------------------------------- schemes that pay directly

DIRECT = FIXTURES / "overlay-direct-scheme.toml"


@pytest.fixture
def schemes() -> Rates:
    return load_rates([str(TRANSFERS), str(DIRECT)])[0]


def with_scheme(rates: Rates, scheme: str) -> Estimate:
    return estimate(
        rates, Scenario(country="CN", indication="MM", origin="NZ", reimbursement=scheme)
    )


def test_no_fee_on_what_a_scheme_pays_the_provider(schemes: Rates) -> None:
    # The scheme pays the treatment (product and hospital lines) to the provider: the
    # family sends only its living and services bills. Low ends (NZD, see above): lodging
    # 5,300 + meals 3,680 + transport 1,060 + coordinator 2,000 + interpreter 0 = 12,040;
    # high ends: 19,800 + 14,160 + 3,960 + 4,000 + 9,900 = 51,820.
    fee = line(with_scheme(schemes, "direct"), TRANSFER)
    assert fee.amount.low == Decimal("60.20")  # 0.5% of 12,040
    assert fee.amount.high == Decimal("1554.60")  # 3% of 51,820
    assert "none on what direct pays the provider directly" in fee.note


def test_a_scheme_that_pays_back_leaves_the_fee_whole(schemes: Rates) -> None:
    # The family pays every bill first, so it sends the treatment's money too.
    fee = line(with_scheme(schemes, "refund"), TRANSFER)
    assert (fee.amount.low, fee.amount.high) == (Decimal("1104.60"), Decimal("20781.00"))


def test_a_direct_share_range_sends_least_at_the_low_end(schemes: Rates) -> None:
    # Half to all of the treatment (NZD 208,880-640,880): the low end sends
    # 220,920 - 208,880 x 1 = 12,040; the high end 692,700 - 640,880 x 0.5 = 372,260.
    fee = line(with_scheme(schemes, "half"), TRANSFER)
    assert fee.amount.low == Decimal("60.20")
    assert fee.amount.high == Decimal("11167.80")  # 3% of 372,260


def test_the_simulation_sends_no_money_a_scheme_pays_directly(schemes: Rates) -> None:
    est = with_scheme(schemes, "direct")
    pr = budget._prepared(schemes, est)
    assert pr.transfer is not None
    assert "product.price" in pr.transfer.direct and "living.lodging" not in pr.transfer.direct
    record: dict[str, Any] = {}
    d = engine.draw(pr, engine.NumpyBackend(5, 2_000), record=record)
    sent = sum(np.asarray(d.lines[k]) for k in pr.transfer.sent if k not in pr.transfer.direct)
    assert np.allclose(d.lines[TRANSFER], record["transfer_fee"] * sent)
    # What the family pays, likely, carries only that fee.
    family = est.you_pay_likely[0].p50
    refunded = with_scheme(schemes, "refund")
    assert family < refunded.you_pay_likely[0].p50


def test_the_scheme_row_says_how_it_pays(schemes: Rates) -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--rates", str(TRANSFERS))
    args = (*args, "--rates", str(DIRECT))
    shown = run(*args, "--reimbursement", "direct")
    assert shown.exit_code == 0, shown.stderr
    assert "Paid by direct to the provider if approved" in shown.stdout
    back = run(*args, "--reimbursement", "refund")
    assert "Paid back by refund if approved" in back.stdout
    doc = json.loads(run(*args, "--reimbursement", "direct", "-F", "json").stdout)
    assert doc["who_pays"]["reimbursement"]["settles"] == "direct"


def test_a_bad_settles_is_refused_with_its_key_path(tmp_path: Any) -> None:
    bad = tmp_path / "bad-scheme.toml"
    bad.write_text(DIRECT.read_text().replace('settles = "refund"', 'settles = "cheque"'))
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2
    assert "schemes.refund.settles" in result.stderr and "direct" in result.stderr
    assert str(bad) in result.stderr and "Traceback" not in result.output


# ---------------------------------------------------------------- who sends the money

PROVIDERS = FIXTURES / "overlay-transfer-providers.toml"


@pytest.mark.parametrize(
    ("transfer", "low", "high", "paths"),
    [
        # NZD 220,920-692,700 sent (see the first test of this file).
        (None, "4418.40", "20781.00", ("transfers.bank",)),  # the default: the bank
        ("bank", "4418.40", "20781.00", ("transfers.bank",)),  # 2% and 3%
        ("specialist", "1104.60", "6927.00", ("transfers.specialist",)),  # 0.5% and 1%
        ("any", "1104.60", "20781.00", ("transfers.bank", "transfers.specialist")),
    ],
)
def test_who_sends_the_money_picks_the_fee(
    transfer: str | None, low: str, high: str, paths: tuple[str, ...]
) -> None:
    rates = load_rates([str(PROVIDERS)])[0]
    est = estimate(rates, Scenario(country="CN", indication="MM", origin="NZ", transfer=transfer))
    fee = line(est, TRANSFER)
    assert (fee.amount.low, fee.amount.high) == (Decimal(low), Decimal(high))
    assert fee.figure_paths == paths
    assert est.choices is not None and est.choices.transfer == (transfer or "bank")


def test_a_single_fee_serves_every_provider(fees: Rates) -> None:
    for transfer in ("bank", "specialist", "any"):
        est = estimate(
            fees, Scenario(country="CN", indication="MM", origin="NZ", transfer=transfer)
        )
        assert line(est, TRANSFER).amount.high == Decimal("20781.00")


def test_the_simulation_draws_the_chosen_providers_fee() -> None:
    rates = load_rates([str(PROVIDERS)])[0]
    est = estimate(
        rates, Scenario(country="CN", indication="MM", origin="NZ", transfer="specialist")
    )
    record: dict[str, Any] = {}
    engine.draw(budget._prepared(rates, est), engine.NumpyBackend(5, 5_000), record=record)
    share = record["transfer_fee"]
    assert float(np.min(share)) >= 0.005 and float(np.max(share)) <= 0.01


def test_an_unknown_provider_is_a_usage_error() -> None:
    from cartcost.errors import UsageProblem

    with pytest.raises(UsageProblem, match="valid: bank, specialist, any"):
        estimate(load_rates()[0], Scenario(country="CN", indication="MM", transfer="pigeon"))


def test_a_table_must_price_every_provider(tmp_path: Any) -> None:
    bad = tmp_path / "one-provider.toml"
    bad.write_text("[transfers]\nbank = { range = [0.02, 0.03], sources = ['off'] }\n")
    result = run("estimate", "-c", "CN", "-i", "MM", "--rates", str(bad))
    assert result.exit_code == 2
    assert "transfers" in result.stderr and "bank and specialist" in result.stderr
    assert str(bad) in result.stderr and "Traceback" not in result.output


def test_the_transfer_option_in_every_command(tmp_path: Any) -> None:
    base = ("-i", "MM", "--from", "NZ", "--rates", str(PROVIDERS))
    doc = json.loads(
        run("estimate", "-c", "CN", *base, "--transfer", "specialist", "-F", "json").stdout
    )
    assert (
        doc["choices"]["transfer"] == "specialist" and doc["scenario"]["transfer"] == "specialist"
    )
    item = next(i for i in doc["items"] if i["key"] == TRANSFER)
    assert (item["low"], item["high"]) == (1104.6, 6927)
    shown = run("estimate", "-c", "CN", *base, "--transfer", "any")
    assert "money sent by any provider" in shown.stdout.replace("\n", " ")
    rows = run("compare", *base, "--transfer", "specialist", "-F", "csv").stdout.splitlines()
    header = rows[0].split(",")
    assert all(r.split(",")[header.index("transfer")] == "specialist" for r in rows[1:] if r)
    for command in (("estimate", "-c", "CN"), ("compare",)):
        bad = run(*command, *base, "--transfer", "pigeon")
        assert bad.exit_code == 2 and "valid: bank, specialist, any" in bad.stderr
        assert "Traceback" not in bad.output
    scenario = tmp_path / "case.toml"
    scenario.write_text('country = "CN"\nindication = "MM"\nfrom = "NZ"\ntransfer = "any"\n')
    doc = json.loads(
        run("estimate", "--scenario", str(scenario), "--rates", str(PROVIDERS), "-F", "json").stdout
    )
    assert doc["choices"]["transfer"] == "any"
    scenario.write_text('country = "CN"\nindication = "MM"\ntransfer = "pigeon"\n')
    bad = run("estimate", "--scenario", str(scenario))
    assert bad.exit_code == 2 and "transfer: expected bank, specialist or any" in bad.stderr
    batch = tmp_path / "rows.csv"
    batch.write_text("country,indication,from,transfer\nCN,MM,NZ,specialist\nCN,MM,NZ,pigeon\n")
    out = run("batch", str(batch), "--rates", str(PROVIDERS)).stdout.splitlines()
    header = out[0].split(",")
    assert out[1].split(",")[header.index("transfer")] == "specialist"
    assert "unknown way of sending money 'pigeon'" in out[2]


def test_compare_says_who_sends_the_money_and_what_a_provider_charges() -> None:
    base = ("compare", "-i", "MM", "--from", "NZ", "--rates", str(PROVIDERS), "-F", "json")
    doc = json.loads(run(*base).stdout)
    assert (
        "money sent abroad by the family's bank: 2%–3% of it; a money-transfer provider "
        "charges 0.5%–1% (--transfer specialist)"
    ) in doc["notes"]
    doc = json.loads(run(*base, "--transfer", "specialist").stdout)
    assert "money sent abroad by a money-transfer provider: 0.5%–1% of it" in doc["notes"]
