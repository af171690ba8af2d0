"""Warnings when the table or a figure used is older than 18 months."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cartcost.estimation import estimate
from cartcost.freshness import months_between, stale_figures
from cartcost.rates import Rates
from cartcost.scenario import Scenario
from tests.clihelp import run


@pytest.mark.parametrize(
    ("earlier", "later", "months"),
    [
        (date(2025, 6, 1), date(2026, 12, 1), 18),
        (date(2025, 6, 2), date(2026, 12, 1), 17),
        (date(2025, 6, 1), date(2026, 12, 2), 18),
        (date(2024, 1, 31), date(2024, 2, 29), 0),
        (date(2020, 1, 1), date(2020, 1, 1), 0),
    ],
)
def test_months_between(earlier: date, later: date, months: int) -> None:
    assert months_between(earlier, later) == months


def test_stale_lines_and_table(mini_rates: Rates) -> None:
    est = estimate(mini_rates, Scenario("CN", "MM", origin="NZ"))
    # Fixture: sources published 2025-06-01 ("off") and 2026-01-01 ("guess"); table 2026-01-01.
    assert stale_figures(mini_rates, est, date(2026, 12, 1)) == []
    later = stale_figures(mini_rates, est, date(2027, 1, 2))
    # Lines citing only "off" (2025-06-01) are 19 months old; the table is 12.
    assert {s.what for s in later} >= {"Lodging near the centre", "Meals and incidentals"}
    assert all(s.months == 19 for s in later)
    assert "the rate table" not in {s.what for s in later}
    much_later = stale_figures(mini_rates, est, date(2028, 1, 1))
    assert much_later[0].what == "the rate table" and much_later[0].months == 24
    # A line citing a fresher source is as fresh as that source.
    assert "Inpatient stay and monitoring" not in {s.what for s in later}


def test_cli_warns_in_table_json_and_stderr_for_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_TODAY", "2028-01-01")
    table = run("estimate", "-c", "CN", "-i", "MM")
    assert "older than 18 months" in table.stdout
    doc = json.loads(run("estimate", "-c", "CN", "-i", "MM", "-F", "json").stdout)
    assert any("older than 18 months" in n for n in doc["notes"])
    csv = run("estimate", "-c", "CN", "-i", "MM", "-F", "csv")
    assert "older than 18 months" in csv.stderr
    assert "older than" not in csv.stdout
    compared = run("compare", "-i", "MM", "-F", "json")
    assert any("older than 18 months" in n for n in json.loads(compared.stdout)["notes"])


def test_no_warning_when_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_TODAY", "2026-02-01")
    assert "older than" not in run("estimate", "-c", "CN", "-i", "MM").stdout


def test_bad_today_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTCOST_TODAY", "yesterday")
    result = run("estimate", "-c", "CN", "-i", "MM")
    assert result.exit_code == 2 and "CARTCOST_TODAY" in result.stderr


def test_an_assumption_does_not_freshen_the_data_beside_it(tmp_path: object) -> None:
    """A figure citing old data and a newer assumption is as old as its data; a figure
    resting on assumptions alone is dated by them."""
    from pathlib import Path

    from cartcost.ratesfile import load_rates

    overlay = Path(str(tmp_path)) / "mixed.toml"
    overlay.write_text(
        "[countries.CN.hospital]\n"
        'inpatient_day = { range = [700, 1400], currency = "CNY", sources = ["off", "guess"] }\n'
    )
    table, _ = load_rates(overlays=[overlay])
    est = estimate(table, Scenario("CN", "MM", origin="NZ"))
    # "off" is official data of 2025-06-01; "guess" an assumption of 2026-01-01.
    stale = {s.what: s for s in stale_figures(table, est, date(2027, 1, 2))}
    assert stale["Inpatient stay and monitoring"].dated == date(2025, 6, 1)
    assert stale["Inpatient stay and monitoring"].months == 19
    # Work-up cites "guess" alone: dated by it, 12 months old, not stale.
    assert "Work-up: consultation, eligibility tests, imaging" not in stale
