"""Exchange-rate moves ([fx.moves]): drawn in the simulation only, against the family's
currency, from the volatilities and correlations of the table.

Expected numbers are computed by hand from tests/fixtures/overlay-moves.toml over
tests/fixtures/mini.toml: yearly volatilities CNY 0.04, GBP 0.08, NZD 0.1 against USD;
correlations CNY-GBP 0.3, CNY-NZD 0.5, GBP-NZD 0.6.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from cartcost import budget, engine, fxmoves
from cartcost.estimation import Estimate, estimate
from cartcost.rates import Rates
from cartcost.ratesfile import load_rates
from cartcost.scenario import Scenario
from tests.clihelp import run
from tests.conftest import FIXTURES

MOVES = FIXTURES / "overlay-moves.toml"
# CNY against NZD: sqrt(0.1^2 + 0.04^2 - 2 x 0.5 x 0.1 x 0.04) = sqrt(0.0076).
CNY_IN_NZD = math.sqrt(0.0076)


@pytest.fixture
def moving() -> Rates:
    return load_rates([str(MOVES)])[0]


@pytest.fixture
def still() -> Rates:
    return load_rates()[0]


def cn_from_nz(rates: Rates, **kw: Any) -> Estimate:
    return estimate(rates, Scenario(country="CN", indication="MM", origin="NZ", **kw))


def test_cholesky_by_hand() -> None:
    # [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt(2)]].
    found = fxmoves.cholesky([[4.0, 2.0], [2.0, 3.0]])
    assert found is not None
    assert found[0] == [2.0, 0.0]
    assert found[1][0] == 1.0 and found[1][1] == pytest.approx(math.sqrt(2))
    assert fxmoves.cholesky([[1.0, 2.0], [2.0, 1.0]]) is None  # a correlation of 2
    # Perfectly correlated: semi-definite, allowed.
    assert fxmoves.cholesky([[1.0, 1.0], [1.0, 1.0]]) == [[1.0, 0.0], [1.0, 0.0]]


def test_pair_volatility_by_hand(moving: Rates) -> None:
    assert fxmoves.pair_volatility(moving, "NZD", "CNY") == pytest.approx(CNY_IN_NZD)
    assert fxmoves.pair_volatility(moving, "USD", "CNY") == pytest.approx(0.04)
    # GBP against NZD: sqrt(0.08^2 + 0.1^2 - 2 x 0.6 x 0.08 x 0.1) = sqrt(0.0068).
    assert fxmoves.pair_volatility(moving, "NZD", "GBP") == pytest.approx(math.sqrt(0.0068))
    assert fxmoves.pair_volatility(moving, "CNY", "CNY") == 0.0


def test_the_drawn_moves_have_the_tables_spread(moving: Rates) -> None:
    est = cn_from_nz(moving)
    pr = budget._prepared(moving, est)
    assert pr.moves is not None
    # The fixture's Chinese hospital bills in CNY and in US dollars: both move in NZD.
    assert pr.moves.exposure.currencies == ("CNY", "USD")
    record: dict[str, Any] = {}
    n = 200_000
    d = engine.draw(pr, engine.NumpyBackend(2026, n), record=record)
    root = np.sqrt(np.asarray(d.stay) / fxmoves.YEAR_DAYS)
    # The log change of CNY's price in NZD, per square root of a year.
    z = record["fx.CNY"] / root
    assert float(np.std(z)) == pytest.approx(CNY_IN_NZD, rel=0.01)
    assert abs(float(np.mean(z))) < 0.002  # no drift
    # The dollar's price in NZD moves as NZD does against the dollar: 0.1 a year.
    w = record["fx.USD"] / root
    assert float(np.std(w)) == pytest.approx(0.1, rel=0.01)
    # Their covariance: var(NZD) - cov(NZD, CNY) = 0.01 - 0.5 x 0.1 x 0.04 = 0.008.
    assert float(np.mean(z * w)) == pytest.approx(0.008, rel=0.03)


def test_what_moves_add_is_each_line_at_its_moved_rate(moving: Rates) -> None:
    est = cn_from_nz(moving)
    pr = budget._prepared(moving, est)
    record: dict[str, Any] = {}
    d = engine.draw(pr, engine.NumpyBackend(7, 1_000), record=record)
    y = {"NZD": 0.0, "CNY": record["fx.CNY"], "USD": record["fx.USD"]}
    native = {i.key: i.native_currency for i in est.items if i.native_currency}
    native["product.price"] = "CNY"
    native["hospital.complications"] = "CNY"
    native["travel.flights"] = native["travel.visa"] = "NZD"  # bought at home
    expected = sum(
        np.asarray(amount) * (np.exp(y[native[key]]) - 1.0) for key, amount in d.lines.items()
    )
    assert np.allclose(d.fx, expected)
    assert np.allclose(d.total, sum(np.asarray(v) for v in d.lines.values()) + d.fx)


def test_moves_change_the_total_not_the_lines(moving: Rates, still: Rates) -> None:
    with_moves = budget.simulate(moving, cn_from_nz(moving), draws=20_000)
    without = budget.simulate(still, cn_from_nz(still), draws=20_000)
    assert without.fx is None and without.fx_note == ""
    assert with_moves.fx is not None
    # The lines are drawn at the table's rates either way.
    assert [(line.key, line.spread) for line in with_moves.lines] == [
        (line.key, line.spread) for line in without.lines
    ]
    assert with_moves.total.width > without.total.width
    # No drift: the median journey pays at about today's rate.
    assert abs(with_moves.fx.p50) < with_moves.total.p50 / 200
    assert with_moves.fx.p10 < 0 < with_moves.fx.p90


def test_the_same_seed_gives_the_same_moves(moving: Rates) -> None:
    a = budget.simulate(moving, cn_from_nz(moving), draws=5_000, seed=11)
    b = budget.simulate(moving, cn_from_nz(moving), draws=5_000, seed=11)
    c = budget.simulate(moving, cn_from_nz(moving), draws=5_000, seed=12)
    assert a.fx == b.fx and a.total == b.total
    assert a.fx != c.fx


def test_bills_in_the_familys_own_currency_do_not_move(moving: Rates) -> None:
    est = estimate(moving, Scenario(country="US", indication="LBCL", origin="US"))
    b = budget.simulate(moving, est, draws=2_000)
    assert b.fx is None
    assert not any("exchange rates moving" in n for n in est.notes)


def test_the_estimate_says_how_much_rates_move(moving: Rates, still: Rates) -> None:
    note = next(n for n in cn_from_nz(moving).notes if "exchange rates moving" in n)
    # The fixture's Chinese hospital quotes some items in US dollars.
    assert "bills in CNY and USD from NZD" in note
    assert f"CNY {CNY_IN_NZD * 100:.0f}%, USD 10%" in note  # 9%; NZD's own 0.1
    assert "from the rates of 2021-2026" in note
    assert not any("exchange rates moving" in n for n in cn_from_nz(still).notes)
    # No likely total, no simulation: nothing to say.
    bare = estimate(moving, Scenario(country="CN", indication="MM", origin="NZ"), draws=0)
    assert not any("exchange rates moving" in n for n in bare.notes)


def test_a_currency_with_no_record_is_not_simulated(moving: Rates) -> None:
    assert moving.fx.moves is not None
    vols = {k: v for k, v in moving.fx.moves.volatility.items() if k != "NZD"}
    blind = moving._replace(fx=moving.fx._replace(moves=moving.fx.moves._replace(volatility=vols)))
    assert fxmoves.unknown(blind, ["CNY", "NZD"]) == ("NZD",)
    assert fxmoves.exposure(blind, "NZD", ["CNY"]) is None
    found = fxmoves.note(blind, "NZD", ["CNY"])
    assert found is not None and "not simulated" in found and "NZD" in found


def test_a_pegged_currency_moves_with_its_peg(moving: Rates, still: Rates) -> None:
    pegged = moving._replace(
        fx=moving.fx._replace(pegs={"XNZ": still.fx.pegs.get("XNZ") or _peg("NZD")})
    )
    assert fxmoves.anchor(pegged, "XNZ") == "NZD"
    assert fxmoves.pair_volatility(pegged, "XNZ", "CNY") == pytest.approx(CNY_IN_NZD)
    assert fxmoves.exposure(pegged, "XNZ", ["NZD"]) is None  # moves together: no exposure


def _peg(per: str) -> Any:
    from datetime import date
    from decimal import Decimal

    from cartcost.rates import Peg

    return Peg(per=per, rate=Decimal(1), since=date(2000, 1, 1), sources=("off",))


def test_the_budget_shows_and_exports_the_moves() -> None:
    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--budget", "--draws", "5000")
    shown = run(*args, "--rates", str(MOVES), "--drivers")
    assert shown.exit_code == 0, shown.stderr
    table, drivers = shown.stdout.split("What drives the range")
    assert "Exchange-rate moves" in table and "Exchange-rate moves" in drivers
    doc = json.loads(run(*args, "--rates", str(MOVES), "-F", "json").stdout)
    moved = doc["budget"]["fx_moves"]
    assert moved["p10"] < 0 < moved["p90"]
    assert "bills in CNY and USD from NZD" in moved["note"]
    still = json.loads(run(*args, "-F", "json").stdout)
    assert still["budget"]["fx_moves"] is None


def test_the_drawn_moves_are_parameters_of_the_draws_file(moving: Rates) -> None:
    from cartcost.draws_out import param_names

    names = param_names(budget._prepared(moving, cn_from_nz(moving)))
    assert {"fx.CNY", "fx.USD"} <= set(names)
    # A US family in the US: nothing moves, so no such parameter.
    us = estimate(moving, Scenario(country="US", indication="LBCL", origin="US"))
    assert not any(n.startswith("fx.") for n in param_names(budget._prepared(moving, us)))


def test_a_family_shown_dollars_still_pays_from_its_own_currency(moving: Rates) -> None:
    est = cn_from_nz(moving, currency="USD")
    note = next(n for n in est.notes if "exchange rates moving" in n)
    assert "from NZD" in note  # not from USD, the currency shown
    pr = budget._prepared(moving, est)
    assert pr.moves is not None and pr.moves.exposure.home == "NZD"


def test_on_the_real_table_a_dollar_pegged_family_has_no_dollar_moves(real_table: Any) -> None:
    rates = load_rates()[0]
    # A family from the UAE holds dirhams, pegged to the dollar: US bills do not move.
    us = estimate(rates, Scenario(country="US", indication="LBCL", origin="AE"))
    assert budget._prepared(rates, us).moves is None
    assert not any("exchange rates moving" in n for n in us.notes)
    # Chinese bills move against the dirham as the yuan does against the dollar.
    cn = estimate(rates, Scenario(country="CN", indication="MM", origin="AE"))
    assert fxmoves.pair_volatility(rates, "AED", "CNY") == pytest.approx(
        float(rates.fx.moves.volatility["CNY"]) if rates.fx.moves else 0.0
    )
    note = next(n for n in cn.notes if "exchange rates moving" in n)
    bills = note.split("pay bills in ")[1].split(" from AED")[0]
    # Its bills in dollars (some Chinese offers) are not among those that move, nor is
    # the visa (quoted in Australian dollars, but paid at home).
    assert bills == "CNY"
    # ... and the transfer fee is still charged: converting dirhams costs the same.
    assert any(i.key == "services.transfer" for i in us.items)


def test_the_budget_csv_has_a_row_for_the_moves() -> None:
    import csv
    import io

    args = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ", "--budget", "--draws", "2000")
    moved = run(*args, "--rates", str(MOVES), "--drivers", "-F", "csv")
    assert moved.exit_code == 0, moved.stderr
    rows = list(csv.DictReader(io.StringIO(moved.stdout)))
    fx = [r for r in rows if r["category"] == "currency"]
    assert len(fx) == 1 and rows[-1]["category"] == "total"
    row = fx[0]
    assert row["item"] == "Exchange-rate moves" and row["low"] == row["high"] == ""
    assert float(row["p10"]) < 0 < float(row["p90"]) and row["narrows_spread_by"] != ""
    assert "bills in CNY and USD from NZD" in row["note"]
    # Every row has the same columns, the scenario's among them: the file still stacks.
    assert {len(r) for r in rows} == {len(rows[0])} and row["country"] == "CN"
    still = list(csv.DictReader(io.StringIO(run(*args, "-F", "csv").stdout)))
    assert not any(r["category"] == "currency" for r in still)


def test_no_moves_on_what_a_scheme_pays_the_provider() -> None:
    # The family converts only what it sends: with a scheme paying the product and
    # hospital to the provider, only its living and services bills move.
    direct = FIXTURES / "overlay-direct-scheme.toml"
    rates = load_rates([str(MOVES), str(FIXTURES / "overlay-transfers.toml"), str(direct)])[0]
    est = cn_from_nz(rates, reimbursement="direct")
    pr = budget._prepared(rates, est)
    assert pr.moves is not None and "product.price" in pr.moves.direct
    record: dict[str, Any] = {}
    d = engine.draw(pr, engine.NumpyBackend(7, 1_000), record=record)
    y = {"NZD": 0.0, "CNY": record["fx.CNY"], "USD": record["fx.USD"]}
    native = {i.key: i.native_currency for i in est.items if i.native_currency}
    sent = [k for k in d.lines if k not in pr.moves.direct and k in native]
    expected = sum(
        np.asarray(d.lines[k]) * (np.exp(y[native[k]]) - 1.0)
        for k in sent
        if k not in ("travel.flights", "travel.visa", "services.transfer")
    )
    assert np.allclose(d.fx, expected)
    # Paid back after treatment, the family converts it all: the treatment moves too.
    back = cn_from_nz(rates, reimbursement="refund")
    whole = engine.draw(budget._prepared(rates, back), engine.NumpyBackend(7, 1_000))
    assert float(np.std(whole.fx)) > 5 * float(np.std(d.fx))
