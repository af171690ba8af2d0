"""compare's table fitting (issue 8): fit_table measures each column once and adds the
widths up; it must choose exactly what building and measuring every configuration in
turn (fit_table_by_trial) chooses, at every width, and without falling back to it.

The default run tries every twentieth width (and 200); the [all-widths] cases, marked slow,
every width from 40 to 200."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from cartcost.comparison import Comparison, compare
from cartcost.render import compare_view as cv
from cartcost.scenario import Scenario
from tests.test_compare import home_rates


def _comparisons() -> list[Comparison]:
    rates = home_rates()
    base = Scenario(country="", indication="MM")
    return [
        compare(rates, base._replace(origin="GB", currency="GBP")),
        compare(rates, base._replace(origin="GB", currency="GBP"), by="product"),
        compare(rates, base),
        compare(rates, Scenario(country="", indication="LBCL")._replace(origin="NZ")),
    ]


def _console(width: int) -> Console:
    return Console(width=width, file=io.StringIO(), color_system=None, highlight=False)


def _render(console: Console, table: object) -> str:
    console.print(table)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    console.file = io.StringIO()
    return str(out)


@pytest.mark.parametrize(
    "every",
    [
        pytest.param(False, id="some-widths"),
        pytest.param(True, id="all-widths", marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("which", range(4))
def test_arithmetic_fit_chooses_what_trial_and_error_chooses(
    which: int, every: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmp = _comparisons()[which]
    seen: set[tuple[str, ...]] = set()
    widths = range(40, 201) if every else sorted({*range(40 + which, 201, 20), 200})
    for width in widths:
        console = _console(width)
        slow, slow_hidden = cv.fit_table_by_trial(cmp, console, width)
        with monkeypatch.context() as m:

            def no_fallback(*args: object, width: int = width) -> None:
                raise AssertionError(f"fell back to trial and error at width {width}")

            m.setattr(cv, "fit_table_by_trial", no_fallback)
            fast, fast_hidden = cv.fit_table(cmp, console, width)
        assert fast_hidden == slow_hidden, width
        assert _render(console, fast) == _render(console, slow), width
        seen.add(tuple(fast_hidden))
    # The widths exercise many configurations, from everything shown to most hidden.
    assert () in seen
    assert len(seen) >= 6


def test_too_narrow_for_anything_hides_everything_it_can() -> None:
    cmp = _comparisons()[0]
    console = _console(10)
    table, hidden = cv.fit_table(cmp, console, 10)
    slow, slow_hidden = cv.fit_table_by_trial(cmp, console, 10)
    assert hidden == slow_hidden
    assert "bar" in hidden and "product" in hidden
    assert _render(console, table) == _render(console, slow)


def test_where_others_pay_the_familys_column_outlasts_the_total() -> None:
    # A scheme pays the treatment in China: that row's family pays less than the total,
    # and the ranking is by what the family pays, so a narrow table keeps "You pay".
    from cartcost.ratesfile import load_rates
    from tests.conftest import FIXTURES

    rates = load_rates([str(FIXTURES / "overlay-direct-scheme.toml")])[0]
    question = Scenario(country="", indication="LBCL", origin="NZ", reimbursement="direct")
    cmp = compare(rates, question)
    assert any(r.estimate.you_pay != r.total for r in cmp.rows)
    order = cv.drop_order(cmp)
    assert "you_pay" not in order and order.index("total") == cv.DROP_ORDER.index("you_pay")
    narrow = next(
        hidden
        for width in range(200, 39, -1)
        for _, hidden in [cv.fit_table(cmp, _console(width), width)]
        if "total" in hidden or "you_pay" in hidden
    )
    assert "total" in narrow and "you_pay" not in narrow
    # Where the family pays everything, "You pay" repeats the total: it goes first, and
    # the rest keep their order.
    alone = _comparisons()[2]
    assert cv.pays_every_total(alone)
    order = cv.drop_order(alone)
    assert order[0] == "you_pay" and order[1:] == tuple(k for k in cv.DROP_ORDER if k != "you_pay")


def test_a_you_pay_column_that_repeats_the_total_goes_first_and_is_said() -> None:
    alone = _comparisons()[2]
    assert cv.pays_every_total(alone)
    _, wide_hidden = cv.fit_table(alone, _console(400), 400)
    assert "you_pay" not in wide_hidden  # room for everything: shown as before
    width = next(w for w in range(200, 39, -1) if cv.fit_table(alone, _console(w), w)[1])
    _, hidden = cv.fit_table(alone, _console(width), width)
    assert hidden[0] == "you_pay" and "total" not in hidden
    footer = [t.plain for t in cv.footer_lines(alone, hidden)]
    assert "You pay: the whole total, in every row." in footer
    said = next((f for f in footer if f.startswith("Hidden at this width")), "")
    assert "you pay" not in said.lower()
