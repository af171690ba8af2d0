"""Country and indication names people type, read as the table's codes (aliases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartcost.aliases import (
    canonical,
    country_code,
    country_hint,
    indication_code,
    indication_hint,
    resolve_countries,
)
from cartcost.errors import UsageProblem
from cartcost.rates import Rates
from cartcost.scenario import Scenario
from tests.clihelp import run


@pytest.fixture
def rates(real_table: Path) -> Rates:
    from tests.conftest import shared_real_rates

    table: Rates = shared_real_rates()
    return table


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("UK", "GB"),
        ("uk", "GB"),
        ("England", "GB"),
        ("Britain", "GB"),
        ("great britain", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("America", "US"),
        ("united states", "US"),
        ("china", "CN"),
        ("New Zealand", "NZ"),
        ("new-zealand", "NZ"),
        ("NZL", "NZ"),
        ("Korea", "KR"),
        ("Türkiye", "TR"),
        ("the Netherlands", "NL"),
        ("cn", "CN"),
    ],
)
def test_countries_by_name_and_alias(rates: Rates, typed: str, code: str) -> None:
    assert country_code(rates, typed) == code


def test_unknown_country_suggests_the_nearest(rates: Rates) -> None:
    assert country_code(rates, "Chna") is None
    assert country_hint(rates, "Chna") == "did you mean CN?"
    assert country_hint(rates, "Englnd") == "did you mean GB?"
    assert country_hint(rates, "New Zeland") == "did you mean NZ?"
    assert country_hint(rates, "Qwertyuiop") == ""


def test_country_lists_name_every_unknown(rates: Rates) -> None:
    assert resolve_countries(rates, ["CN", "UK", "britain", "usa"]) == ("CN", "GB", "US")
    assert resolve_countries(rates, ["UAE", "saudi arabia", "KSA"]) == ("AE", "SA")
    with pytest.raises(UsageProblem) as info:
        resolve_countries(rates, ["CN", "XX", "Chna"])
    assert "'XX', 'Chna'" in info.value.message and "known: AE, AU, BR" in info.value.message
    assert "Chna: did you mean CN?" in info.value.hint


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("mm", "MM"),
        ("myeloma", "MM"),
        ("Multiple Myeloma", "MM"),
        ("DLBCL", "LBCL"),
        ("large b-cell lymphoma", "LBCL"),
        ("b all", "B-ALL"),
        ("ALL", "B-ALL"),
        ("follicular", "FL"),
        ("mantle cell", "MCL"),
        ("acute lymphoblastic leukemia", "B-ALL"),
    ],
)
def test_indications_by_name_and_alias(rates: Rates, typed: str, code: str) -> None:
    assert indication_code(rates, typed) == code


@pytest.mark.parametrize(
    ("typed", "choices"),
    [("lymphoma", "FL (Follicular lymphoma), LBCL"), ("leukaemia", "B-ALL"), ("leukemia", "CLL")],
)
def test_ambiguous_indications_are_refused_with_the_choices(
    rates: Rates, typed: str, choices: str
) -> None:
    assert indication_code(rates, typed) is None
    assert "fits several" in indication_hint(rates, typed)
    assert choices in indication_hint(rates, typed)


def test_canonical_leaves_codes_and_unknowns_alone(rates: Rates) -> None:
    sc = Scenario(country="CN", indication="MM", origin="NZ")
    assert canonical(rates, sc) is sc
    odd = Scenario(country="china", indication="myeloma", origin="UK")
    assert canonical(rates, odd) == Scenario(country="CN", indication="MM", origin="GB")
    unknown = Scenario(country="Atlantis", indication="lymphoma")
    assert canonical(rates, unknown) == unknown


@pytest.mark.usefixtures("real_table")
def test_estimate_says_what_it_read() -> None:
    result = run("estimate", "-c", "china", "-i", "myeloma", "--from", "UK", "-F", "json")
    assert result.exit_code == 0, result.stderr
    assert "'UK' read as GB (United Kingdom)" in result.stderr
    assert "'china' read as CN (China)" in result.stderr
    assert "'myeloma' read as MM (Multiple myeloma)" in result.stderr
    assert '"from": "GB"' in result.stdout
    plain = run("estimate", "-c", "CN", "-i", "mm", "--from", "gb", "-F", "json")
    assert "read as" not in plain.stderr  # a code in another case is not news


@pytest.mark.usefixtures("real_table")
def test_unknown_origin_lists_the_codes_and_the_nearest() -> None:
    result = run("estimate", "-c", "CN", "-i", "MM", "--from", "Englnd")
    assert result.exit_code == 2
    assert "known: AE, AU, BR, CA" in result.stderr
    assert "did you mean GB?" in result.stderr


@pytest.mark.usefixtures("real_table")
def test_ambiguous_indication_is_a_usage_error() -> None:
    result = run("estimate", "-c", "US", "-i", "lymphoma")
    assert result.exit_code == 2
    assert "fits several: FL (Follicular lymphoma), LBCL" in result.stderr


@pytest.mark.usefixtures("real_table")
def test_compare_reads_country_names() -> None:
    result = run("compare", "-i", "LBCL", "-c", "China,UK", "--from", "england", "-F", "csv")
    assert result.exit_code == 0, result.stderr
    assert "'UK' read as GB" in result.stderr and "'england' read as GB" in result.stderr
    assert {line.split(",")[1] for line in result.stdout.splitlines()[1:]} == {"CN", "GB"}
