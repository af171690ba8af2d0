"""The fast table layout (issue 8) draws exactly what Rich's own layout draws.

TextTable measures Text cells by arithmetic instead of asking Rich to measure every cell
at every width it tries; compare's fit_table works out which columns fit the same way
instead of building and measuring every configuration. These tests draw the same tables
both ways, in colour, at many widths, and require the same bytes; and they check that
the fast way does not fall back on Rich's measuring (else they would prove nothing).

The default run draws each case at every 24th width (each starting at another);
the [all-widths] cases, marked slow, at every width.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from rich import box
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cartcost.comparison import Comparison, compare
from cartcost.estimation import Estimate, estimate
from cartcost.rates import Rates
from cartcost.render import compare_view as cv
from cartcost.render import table as tv
from cartcost.scenario import Scenario
from tests.test_compare import home_rates

WIDTHS = [*range(20, 100, 3), 100, 120, 140, 200]
# The made-up tables: every width up to 60 (where the narrow branches are), then a few.
TABLE_WIDTHS = [*range(1, 61), *range(61, 141, 4)]
ALL_WIDTHS = [
    pytest.param(False, id="some-widths"),
    pytest.param(True, id="all-widths", marks=pytest.mark.slow),
]


def _widths(widths: list[int], every: bool, case: int) -> list[int]:
    """Every width, or every twenty-fourth from one that depends on the case."""
    return widths if every else widths[case % 24 :: 24]


def _console(width: int, file: io.StringIO | None = None) -> Console:
    return Console(
        width=width,
        file=file or io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
    )


def _draw(width: int, make: Callable[[Console], RenderableType]) -> str:
    out = io.StringIO()
    console = _console(width, out)
    console.print(make(console))
    return out.getvalue()


@pytest.fixture
def rich_measures(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """The renderables Rich's Measurement.get is asked about, as they are asked."""
    seen: list[object] = []
    original = Measurement.get.__func__  # type: ignore[attr-defined]

    def counting(cls: type, console: Console, options: object, renderable: object) -> object:
        seen.append(renderable)
        return original(cls, console, options, renderable)

    monkeypatch.setattr(Measurement, "get", classmethod(counting))
    yield seen


# --- TextTable against Table, on tables made to reach every branch of the layout ------


def _cells(i: int) -> list[Text]:
    word = "x" * (3 + 7 * (i % 4))  # up to 24 characters: long words fold or are cut
    label = Text(f"Row {i} with a few words and {word}", style="bold" if i % 2 else "")
    label.append(f"\n  second line {i}", style="dim")
    number = Text(f"{i * 12_345:,}\n{i * 67_890:,}")
    return [label, number, Text(""), Text(word, style="cyan"), Text("a\nbb\nccc")]


def _table(kind: type[Table], **settings: object) -> Table:
    table = kind(title=Text("A title long enough to wrap on a narrow console"), **settings)  # type: ignore[arg-type]
    table.add_column(Text("Item"), ratio=1, min_width=12, overflow="fold")
    table.add_column(Text("Low–high"), justify="right", no_wrap=True)
    table.add_column(Text("Empty"), max_width=3)
    table.add_column(Text("Word"), overflow="ellipsis", min_width=4, max_width=15)
    table.add_column(Text("Stack"), width=4)
    for i in range(6):
        table.add_row(*_cells(i))
    if settings.get("show_footer"):
        for column in table.columns:
            column.footer = Text("foot")
    return table


SETTINGS: list[dict[str, object]] = [
    {},
    {"box": box.SIMPLE_HEAD, "pad_edge": False},
    {"box": box.SIMPLE_HEAD, "pad_edge": False, "leading": 1, "collapse_padding": True},
    {"box": box.SIMPLE_HEAD, "show_edge": False, "collapse_padding": True, "pad_edge": False},
    {"padding": (0, 2, 0, 1), "collapse_padding": True},
    {"padding": (1, 1, 0, 3), "pad_edge": False},
    {"padding": 0, "box": None},
    {"show_header": False, "show_footer": True},
]


@pytest.mark.parametrize("every", ALL_WIDTHS)
@pytest.mark.parametrize("case", range(len(SETTINGS)))
def test_text_table_draws_what_table_draws(case: int, every: bool) -> None:
    settings = SETTINGS[case]
    for width in _widths(TABLE_WIDTHS, every, case):
        fast = _draw(width, lambda _: _table(tv.TextTable, **settings))
        slow = _draw(width, lambda _: _table(Table, **settings))
        assert fast == slow, width


@pytest.mark.parametrize("every", ALL_WIDTHS)
@pytest.mark.parametrize("case", range(len(SETTINGS)))
def test_text_table_measures_what_table_measures(case: int, every: bool) -> None:
    settings = SETTINGS[case]
    for width in _widths(TABLE_WIDTHS, every, case):
        console = _console(width)
        fast = Measurement.get(console, console.options, _table(tv.TextTable, **settings))
        slow = Measurement.get(console, console.options, _table(Table, **settings))
        assert fast == slow, width


def test_text_table_measures_no_cell_through_rich(rich_measures: list[object]) -> None:
    for width in (30, 60, 200):
        _draw(width, lambda _: _table(tv.TextTable, box=box.SIMPLE_HEAD))
    assert rich_measures == []
    _draw(60, lambda _: _table(Table, box=box.SIMPLE_HEAD))
    assert rich_measures  # Table does: the check above can fail


def test_a_str_cell_is_measured_by_rich_as_usual(rich_measures: list[object]) -> None:
    def with_markup(kind: type[Table]) -> Table:
        table = _table(kind)
        table.add_row("[bold]marked[/bold] up", "1", "", "[i]w[/i]", "s")
        return table

    for width in (20, 50, 120):
        assert _draw(width, lambda _: with_markup(tv.TextTable)) == _draw(
            width, lambda _: with_markup(Table)
        )
    assert rich_measures


# --- The estimate table --------------------------------------------------------------


def _estimates(rates: Rates) -> list[Estimate]:
    return [
        estimate(rates, Scenario(country="CN", indication="MM")),
        estimate(rates, Scenario(country="CN", indication="MM", origin="NZ", caregivers=2)),
        estimate(rates, Scenario(country="US", indication="LBCL", origin="GB", currency="GBP")),
        estimate(rates, Scenario(country="US", indication="LBCL", origin="NZ", caregivers=0)),
        estimate(rates, Scenario(country="CN", indication="LBCL", origin="GB", caregivers=3)),
    ]


@pytest.mark.parametrize("every", ALL_WIDTHS)
@pytest.mark.parametrize("sources", [False, True])
def test_estimate_table_as_rich_lays_it_out(
    mini_rates: Rates, sources: bool, every: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for case, est in enumerate(_estimates(mini_rates)):
        layers = {p: "quote.toml" for p in est.items[0].figure_paths}
        for width in _widths(WIDTHS, every, case + sources):

            def view(
                _: Console, est: Estimate = est, layers: dict[str, str] = layers
            ) -> RenderableType:
                return tv.estimate_table(est, sources, mini_rates.sources, layers)

            fast = _draw(width, view)
            with monkeypatch.context() as m:
                m.setattr(tv, "TextTable", Table)
                slow = _draw(width, view)
            assert fast == slow, (est.scenario, width)


def test_estimate_table_measures_no_cell_through_rich(
    mini_rates: Rates, rich_measures: list[object]
) -> None:
    for est in _estimates(mini_rates):
        for width in (40, 80, 120):
            _draw(width, lambda _, est=est: tv.estimate_table(est))  # type: ignore[misc]
    assert rich_measures == []


# --- The compare table ---------------------------------------------------------------


def _comparisons() -> list[Comparison]:
    rates = home_rates()
    mm = Scenario(country="", indication="MM")
    return [
        compare(rates, mm),
        compare(rates, mm._replace(origin="GB", currency="GBP")),
        compare(rates, mm._replace(origin="GB"), by="product", sort="high"),
        compare(rates, Scenario(country="", indication="LBCL", origin="NZ"), sort="days"),
    ]


@pytest.mark.parametrize("every", ALL_WIDTHS)
@pytest.mark.parametrize("which", range(4))
def test_compare_view_as_trial_and_error_with_rich_lays_it_out(
    which: int, every: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old way: every configuration built as a Rich Table and measured by Rich until
    one fits (fit_table_by_trial), drawn by Rich's own layout."""
    cmp = _comparisons()[which]
    for width in _widths([10, *WIDTHS], every, which):
        fast = _draw(width, lambda console: cv.compare_view(cmp, console))
        with monkeypatch.context() as m:
            m.setattr(cv, "fit_table", cv.fit_table_by_trial)
            slow = _draw(width, lambda console: cv.compare_view(cmp, console))
        assert fast == slow, width


def test_compare_view_measures_no_cell_through_rich(rich_measures: list[object]) -> None:
    for cmp in _comparisons():
        for width in (40, 60, 80, 120, 200):
            _draw(width, lambda console, cmp=cmp: cv.compare_view(cmp, console))  # type: ignore[misc]
    assert rich_measures == []


def test_compare_svg_as_rich_lays_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    cmp = _comparisons()[1]
    fast = cv.compare_svg(cmp)
    monkeypatch.setattr(cv, "fit_table", cv.fit_table_by_trial)
    assert cv.compare_svg(cmp) == fast
