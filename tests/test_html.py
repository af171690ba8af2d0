"""The HTML report (--format html): one self-contained page whose figures are the JSON
output's, nothing loaded from the network, every text escaped; --prepared-by checked."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cartcost.exports.fmt import whole
from tests.clihelp import run

ESTIMATE = ("estimate", "-c", "CN", "-i", "MM", "--from", "NZ")
COMPARE = ("compare", "-i", "MM", "--from", "NZ")


class Page(HTMLParser):
    """What a test needs of a page: every start tag with its attributes, the text, the
    text of each element carrying a class, the style sheets and the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        # data-key of the current item row -> {class: text}
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._cell: str | None = None
        self.figures: dict[str, str] = {}
        self._figure: str | None = None
        self._figure_v = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        classes = a.get("class", "").split()
        if tag == "style":
            self._in_style = True
        if tag == "tr" and "data-key" in a:
            self._row = a["data-key"]
            self.rows[self._row] = {}
        if tag == "tr" and "total" in classes:
            self._row = "total"
            self.rows["total"] = {}
        if tag == "td" and self._row is not None:
            for c in ("low", "high", "p50", "p90"):
                if c in classes:
                    self._cell = c
                    self.rows[self._row][c] = ""
        if tag == "div" and "data-figure" in a:
            self._figure = a["data-figure"]
            self.figures[self._figure] = ""
        if tag == "div" and "v" in classes and self._figure is not None:
            self._figure_v = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "td":
            self._cell = None
        if tag == "tr":
            self._row = None
        if tag == "div" and self._figure_v:
            self._figure_v = False
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
            return
        self.text.append(data)
        if self._row is not None and self._cell is not None:
            self.rows[self._row][self._cell] += data
        if self._figure is not None and self._figure_v:
            self.figures[self._figure] += data

    @property
    def all_text(self) -> str:
        return "".join(self.text)

    def hrefs(self) -> list[str]:
        return [a["href"] for t, a in self.tags if t == "a" and "href" in a]


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def html_of(*args: str) -> str:
    result = run(*args, "--format", "html")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def json_of(*args: str) -> dict[str, object]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    return found


def shown(value: object) -> str:
    return whole(Decimal(str(value)))


def test_estimate_page_holds_the_json_figures() -> None:
    page = parse(html_of(*ESTIMATE))
    data = json_of(*ESTIMATE)
    items = data["items"]
    assert isinstance(items, list) and items
    for item in items:
        row = page.rows[item["key"]]
        if item["included"]:
            assert row["low"].strip() == shown(item["low"]), item["key"]
            assert row["high"].strip() == shown(item["high"]), item["key"]
        else:
            assert row["low"].strip() == "—"
    total = data["total"]
    assert isinstance(total, dict)
    assert page.rows["total"]["low"].strip() == shown(total["low"])
    assert page.rows["total"]["high"].strip() == shown(total["high"])
    likely = data["likely"]
    assert isinstance(likely, dict)
    assert page.figures["p50"] == f"NZD {shown(likely['p50'])}"
    assert page.figures["p90"] == f"NZD {shown(likely['p90'])}"
    assert page.figures["total"] == f"NZD {shown(total['low'])} – {shown(total['high'])}"
    text = page.all_text
    assert data["disclaimer"] in text
    assert "not a quote" in text
    assert f"FX rates of {data['fx_as_of']}; data as of {data['data_as_of']}" in text
    for note in data["notes"]:  # type: ignore[attr-defined]
        assert note in text
    # Every source behind a line is listed, linked, with its date.
    ids = {s for item in items for s in item["sources"]}
    anchors = {a["id"] for t, a in page.tags if t == "li" and a.get("id", "").startswith("src-")}
    assert {f"src-{s}" for s in ids} <= anchors
    assert "https://example.org/prices" in page.hrefs()
    assert "2025-06-01" in text
    # The timeline's last week adds up to the likely total.
    assert "When the money is needed" in text
    assert shown(likely["p50"]) in text
    # The methods paragraph (CHEERS 2022 item 15): currency, price date, conversion.
    assert "Methods" in text and "Costs are reported in NZD." in text
    assert f"market exchange rates of {data['fx_as_of']}" in text


def test_estimate_budget_page_holds_the_budget_json() -> None:
    args = (*ESTIMATE, "--budget", "--draws", "2000")
    page = parse(html_of(*args))
    data = json_of(*args)
    budget = data["budget"]
    assert isinstance(budget, dict)
    total = budget["total"]
    assert page.figures["p50"] == f"NZD {shown(total['p50'])}"
    assert page.figures["p90"] == f"NZD {shown(total['p90'])}"
    assert page.rows["total"]["p50"].strip() == shown(total["p50"])
    assert any(t == "svg" for t, _ in page.tags)  # the histogram
    assert "simulated journeys" in page.all_text
    assert "P10, P50 and P90 come from 2,000 simulated journeys (seed 2026)" in page.all_text


def test_compare_page_holds_every_row() -> None:
    html = html_of(*COMPARE)
    page = parse(html)
    data = json_of(*COMPARE)
    text = page.all_text
    rows = data["rows"]
    assert isinstance(rows, list) and rows
    for row in rows:
        low, high = shown(row["total"]["low"]), shown(row["total"]["high"])
        assert f'data-label="Total {data["currency"]}">{low}\u00a0– {high}</td>' in html
        assert row["country_name"] in text
        if row["likely"] and row["likely"]["p50"] is not None:
            assert f"{shown(row['likely']['p50'])} / {shown(row['likely']['p90'])}" in text
    svgs = [a for t, a in page.tags if t == "svg" and "range" in a.get("class", "")]
    assert len(svgs) == len(rows)
    assert data["disclaimer"] in text
    # One methods paragraph for the comparison: its currency and every row's conversions.
    assert f"Costs are reported in {data['currency']}." in text
    assert "simulated journeys per row (seed 2026)" in text


def test_compare_budget_page() -> None:
    page = parse(html_of(*COMPARE, "--budget", "--draws", "1000"))
    assert "simulated journeys per row" in page.all_text
    assert "P10, P50 and P90 come from 1,000 simulated journeys per row (seed 2026)" in (
        page.all_text
    )
    assert not any(a.get("id", "").startswith("drivers-") for _, a in page.tags)


def test_compare_drivers_page_has_a_tornado_per_row() -> None:
    page = parse(html_of(*COMPARE, "--drivers", "--draws", "1000"))
    rows = json_of(*COMPARE)["rows"]
    ids = [a["id"] for _, a in page.tags if a.get("id", "").startswith("drivers-")]
    assert len(ids) == len(rows) == len(set(ids))
    for row in rows:
        assert f"What drives the spread: {row['country_name']}" in page.all_text


_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


@pytest.mark.parametrize(
    "args",
    [ESTIMATE, (*ESTIMATE, "--budget", "--draws", "1000"), COMPARE],
    ids=["estimate", "budget", "compare"],
)
def test_nothing_is_loaded_from_the_network(args: tuple[str, ...]) -> None:
    text = html_of(*args)
    page = parse(text)
    for tag, attrs in page.tags:
        assert tag not in ("script", "iframe", "object", "embed", "img", "base"), tag
        assert "src" not in attrs or not _REMOTE.match(attrs["src"]), (tag, attrs)
        if tag == "link":
            assert not _REMOTE.match(attrs.get("href", "")), attrs
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css
    assert "url(" not in text
    # Links to sources are the only URLs, and only in <a href>.
    assert all(h.startswith(("#", "https://", "http://")) for h in page.hrefs())


HOSTILE_OVERLAY = """\
[sources.off]
title = "<script>alert('t')</script> & co"
publisher = "\\"><img src=x onerror=alert(1)>"
url = "https://example.org/?a=\\"><script>alert(2)</script>"
published = 2025-06-01
accessed = 2026-01-01
kind = "official"

[countries.CN.hospital]
workup = { range = [7000, 14000], currency = "CNY", sources = ["guess"], note = "</td><script>alert(3)</script>" }
"""


def test_hostile_overlay_text_comes_out_escaped(tmp_path: Path) -> None:
    overlay = tmp_path / "hostile.toml"
    overlay.write_text(HOSTILE_OVERLAY, encoding="utf-8")
    text = html_of(*ESTIMATE, "--rates", str(overlay), "--prepared-by", "A <b>x</b> & 'y'")
    page = parse(text)
    assert not any(t in ("script", "img") for t, _ in page.tags)
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; &amp; co" in text
    assert "&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in text
    # The URL survives whole as one attribute value, its quote escaped.
    assert 'href="https://example.org/?a=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in text
    assert 'https://example.org/?a="><script>alert(2)</script>' in page.hrefs()
    assert "A &lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;" in text
    assert "<script>alert('t')</script> & co" in page.all_text


def test_compare_hostile_overlay_escaped(tmp_path: Path) -> None:
    overlay = tmp_path / "hostile.toml"
    overlay.write_text(HOSTILE_OVERLAY, encoding="utf-8")
    text = html_of(*COMPARE, "--rates", str(overlay))
    assert "<script>" not in text and "<img" not in text
    assert not any(t in ("script", "img") for t, _ in parse(text).tags)


def test_html_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "quote.html"
    result = run(*ESTIMATE, "--format", "html", "--prepared-by", "Ana Ruiz", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "Prepared by <strong>Ana Ruiz</strong>" in text
    assert text == html_of(*ESTIMATE, "--prepared-by", "Ana Ruiz")
    assert not list(tmp_path.glob(".quote.html.*"))  # no temporary file left behind
    cmp = tmp_path / "cmp.html"
    result = run(*COMPARE, "-F", "html", "-o", str(cmp))
    assert result.exit_code == 0, result.stderr
    assert "<table" in cmp.read_text(encoding="utf-8")


def test_print_styles_keep_table_headers_and_rows() -> None:
    css = "".join(parse(html_of(*ESTIMATE)).styles)
    assert "thead { display: table-header-group; }" in css
    assert "break-inside: avoid" in css
    assert "@media print" in css
    assert "color-scheme: light" in css
    assert 'name="viewport"' in html_of(*COMPARE)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((*ESTIMATE, "--prepared-by", "Ana"), "--prepared-by goes on the HTML report only"),
        ((*ESTIMATE, "-F", "json", "--prepared-by", "Ana"), "HTML report only"),
        ((*COMPARE, "--prepared-by", "Ana"), "HTML report only"),
        ((*ESTIMATE, "-F", "html", "--prepared-by", "x" * 121), "limit is 120"),
        ((*ESTIMATE, "-F", "html", "--prepared-by", "Ana\x1b[31m"), "control characters"),
        ((*ESTIMATE, "-F", "html", "--prepared-by", "Ana\u202eRuiz"), "control characters"),
        ((*ESTIMATE, "-F", "html", "--prepared-by", "  "), "empty"),
        ((*COMPARE, "-F", "html", "--prepared-by", "x" * 200), "limit is 120"),
    ],
)
def test_prepared_by_refused_where_it_does_not_apply_or_is_bad(
    args: tuple[str, ...], needle: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""


def test_prepared_by_at_the_limit_is_accepted() -> None:
    name = "é" * 120
    assert name in html_of(*ESTIMATE, "--prepared-by", name)


def test_timeline_is_not_a_compare_option() -> None:
    result = run(*COMPARE, "--timeline")
    assert result.exit_code == 2


@pytest.mark.usefixtures("real_table")
def test_compare_gives_each_pathway_its_own_line_in_the_likely_cell() -> None:
    # Israel offers LBCL both as its hospitals' own CAR-T (academic) and commercially.
    args = ("compare", "-i", "LBCL", "-c", "IL,IN")
    html = html_of(*args)
    rows = json_of(*args)["rows"]
    assert isinstance(rows, list)
    split = [r for r in rows if r["likely"] and r["likely"]["p50"] is None]
    assert split, "the fixture has a row with offers on two pathways"
    for row in split:
        parts = [
            f"{lk['pathway']}: {shown(lk['p50'])}\u00a0/\u00a0{shown(lk['p90'])}"
            for lk in row["likely"]["by_pathway"]
        ]
        # One line each, not one long line that widens the table past the page; a
        # narrow page may break after the pathway's name, never inside the figures.
        assert (
            f'<td class="num wrapnum likely" data-label="Likely P50 / P90">{"<br>".join(parts)}</td>'
            in html
        )


def test_saving_vs_home_only_where_there_is_a_home_row() -> None:
    # NZ offers no CAR-T for MM: no row is home, and a column of dashes would only
    # widen the table. The US offers LBCL: its row is home, and the others' saving shows.
    for args, home in (
        (("compare", "-i", "MM", "--from", "NZ"), False),
        (("compare", "-i", "LBCL", "--from", "US"), True),
    ):
        data = json_of(*args)
        assert (data["home"] is not None) is home
        text = parse(html_of(*args)).all_text
        assert ("Saving vs home" in text) is home
        assert ("cheaper than treatment at home" in text) is home


def test_where_a_scheme_pays_the_familys_figures_lead() -> None:
    fixtures = Path(__file__).parent / "fixtures"
    args = (
        *ESTIMATE,
        "--rates",
        str(fixtures / "overlay-transfers.toml"),
        "--rates",
        str(fixtures / "overlay-direct-scheme.toml"),
        "--reimbursement",
        "direct",
    )
    text = html_of(*args)
    page = parse(text)
    data = json_of(*args)
    you, likely = data["you_pay_likely"], data["likely"]
    assert isinstance(you, dict) and isinstance(likely, dict)
    assert page.figures["you_p50"] == f"NZD {shown(you['p50'])}"
    assert page.figures["you_p90"] == f"NZD {shown(you['p90'])}"
    assert page.figures["p50"] == f"NZD {shown(likely['p50'])}"
    # The family's figures are the highlighted ones, and its timeline adds up to them.
    assert text.index('data-figure="you_p50"') < text.index('data-figure="p50"')
    assert 'class="card main" data-figure="you_p50"' in text
    assert 'class="card" data-figure="p50"' in text
    assert "scaled to add up to what the family pays at its P50 and at its P90" in page.all_text


def test_compare_page_leads_with_what_the_family_pays_where_others_pay_part() -> None:
    direct = Path(__file__).parent / "fixtures" / "overlay-direct-scheme.toml"
    args = ("compare", "-i", "LBCL", "--from", "NZ", "--rates", str(direct))
    page = html_of(*args, "--reimbursement", "direct")
    data = json_of(*args, "--reimbursement", "direct")
    rows = data["rows"]
    assert isinstance(rows, list)
    cheapest = min(rows, key=lambda r: r["you_pay"]["low"])
    assert f"Lowest you pay: {cheapest['country_name']}" in page
    assert "You pay, likely P50 / P90" in page and "Range bars, of what the family pays" in page
    for row in rows:
        # The cell may break after the dash on a narrow page, never inside a figure.
        you = row["you_pay"]
        cell = f'data-label="You pay NZD">{shown(you["low"])}\u00a0– {shown(you["high"])}</td>'
        assert cell in page
    # Where the family pays every bill, the page is as before.
    plain = html_of(*args)
    assert "Lowest total:" in plain and "You pay, likely" not in plain


def test_you_pay_card_gives_the_familys_range_or_says_it_is_all() -> None:
    alone = parse(html_of(*ESTIMATE))
    data = json_of(*ESTIMATE)
    assert data["you_pay"] == data["total"]
    assert alone.figures["you_pay"] == "All of it"
    direct = Path(__file__).parent / "fixtures" / "overlay-direct-scheme.toml"
    args = (*ESTIMATE, "--rates", str(direct), "--reimbursement", "direct")
    helped = parse(html_of(*args)).figures["you_pay"]
    you = json_of(*args)["you_pay"]
    assert isinstance(you, dict)
    assert helped == f"NZD {shown(you['low'])} – {shown(you['high'])}"
