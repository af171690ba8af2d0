"""A quote a family can hold: an estimate or a comparison as one self-contained HTML file.

No script, font, style sheet or image is loaded from anywhere: the style is inline, the
charts are inline SVG, and the only URLs are links to the sources. Light by default,
readable on a phone, printable to PDF from any browser (a table's header repeats on each
page, a row is never cut in two). Every text that comes from the rate table, an overlay
or the command line goes through `esc` (html.escape, quotes included), in text, in
attributes and in the SVG alike. No arithmetic but placing bars on a scale: the figures
come from the core, rounded for display by exports/fmt.py as every other format rounds
them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from cartcost import lines as L
from cartcost.estimation import CATEGORIES, Estimate, LineItem
from cartcost.exports.fmt import money_span, span, whole
from cartcost.money import Range
from cartcost.rates import Source
from cartcost.whopays import PERSPECTIVE_WORDS

if TYPE_CHECKING:
    from cartcost.budget import Budget
    from cartcost.comparison import Comparison, Row
    from cartcost.timeline import Timeline

CATEGORY_TITLES = {
    "product": "Product",
    "hospital": "Hospital",
    "living": "Living",
    "travel": "Travel",
    "services": "Services",
}
NUM = ' class="num"'
NOTICE = (
    "An estimate from published figures, not a quote. Prices change after examination; "
    "the hospital's own written quote is what you pay."
)

CSS = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --soft: #f6f8fa; --accent: #0b5cad; --accent-soft: #cfe2f6; --warn: #7a4d00;
  --warn-soft: #fff4d6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 64rem; padding: 1rem; color: var(--ink); background: #fff;
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 1.5rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid var(--line); break-after: avoid; page-break-after: avoid; }
p { margin: 0.4rem 0; }
a { color: var(--accent); overflow-wrap: anywhere; }
.sub, .small, .basis, .src { color: var(--muted); }
.small, .basis, .src { font-size: 0.85rem; }
.notice { background: var(--warn-soft); color: var(--warn); border: 1px solid #e8c76b;
  border-radius: 6px; padding: 0.5rem 0.75rem; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr));
  gap: 0.6rem; margin: 0.75rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 0.75rem;
  background: var(--soft); break-inside: avoid; page-break-inside: avoid; }
.card .k { font-size: 0.85rem; color: var(--muted); }
.card .v { font-size: 1.3rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.card.main { background: var(--accent-soft); border-color: #9cc3ea; }
.card.wide { grid-column: span 2; }
@media (min-width: 48rem) { .cards { grid-template-columns: repeat(4, 1fr); } }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem;
  margin: 0.5rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tfoot { display: table-footer-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.4rem;
  border-bottom: 1px solid var(--line); }
th { font-size: 0.85rem; color: var(--muted); font-weight: 600; background: #fff; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.wrapnum, th.num { white-space: normal; }
tr.cat td { background: var(--soft); font-weight: 700; text-transform: uppercase;
  font-size: 0.8rem; letter-spacing: 0.04em; color: var(--muted); }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
tr.home td { background: #fbfbf2; }
.ni { color: var(--warn); font-style: italic; }
svg { max-width: 100%; height: auto; display: block; }
td.bar { width: 18%; min-width: 8rem; padding-top: 0.6rem; }
table.rows td.lead { min-width: 11rem; }
svg.range { width: 100%; min-width: 8rem; height: 16px; }
svg text { font-family: system-ui, sans-serif; font-size: 13px; fill: var(--muted); }
ol.sources { padding-left: 1.4rem; font-size: 0.92rem; }
ol.milestones { list-style: none; padding: 0; margin: 0.5rem 0; display: grid;
  grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr)); gap: 0.15rem 1rem; }
ol.milestones .day { display: inline-block; min-width: 4.5rem; font-weight: 600;
  font-variant-numeric: tabular-nums; }
figure { margin: 0.75rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 40rem; }
figure.tornado svg { max-width: 100%; }
ol.sources li { margin: 0.35rem 0; break-inside: avoid; page-break-inside: avoid; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.8rem; }
footer { margin-top: 2rem; border-top: 1px solid var(--line); padding-top: 0.5rem; }
@media (max-width: 40rem) {
  body { padding: 0.6rem; font-size: 15px; }
  h1 { font-size: 1.3rem; }
  .card .v { font-size: 1.15rem; }
  dl.facts { gap: 0.25rem 0.6rem; }
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line);
    padding: 0.3rem 0; }
  table.stack td { display: flex; justify-content: space-between; gap: 1rem;
    border: 0; padding: 0.15rem 0.2rem; text-align: right; }
  table.stack td::before { content: attr(data-label); color: var(--muted);
    font-size: 0.85rem; text-align: left; }
  table.stack td.lead { display: block; text-align: left; }
  table.stack td.lead .label { font-weight: 600; }
  table.stack td.half { display: inline-flex; width: 50%; }
  table.stack td.half:nth-child(even) { padding-right: 0.8rem; }
  table.stack td.block { display: block; text-align: left; }
  table.stack td.block::before { content: none; }
  table.stack td.lead::before { content: none; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  @page { margin: 14mm 12mm; }
  a { color: inherit; text-decoration: none; }
  .wrap { overflow: visible; }
  .card.main { background: #eef4fb; }
  .card .v { font-size: 13pt; white-space: nowrap; }
  figure svg { max-width: 30rem; }
  h2 { break-after: avoid; }
  section { break-inside: auto; }
}
"""


def esc(text: object) -> str:
    """Text for HTML: &, <, >, " and ' escaped (safe in text, attributes and SVG)."""
    return html.escape(str(text), quote=True)


def _url(url: str) -> str:
    """A source's URL as a link target: only http(s), anything else is not linked."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def basis(item: LineItem) -> str:
    """How a line was built, in the currency its figure was quoted in (as the table)."""
    if item.quantity is not None and item.rate is not None and item.native_currency:
        return f"{span(item.quantity, item.unit)} × {money_span(item.rate, item.native_currency)}"
    if item.native is not None and item.native_currency:
        return money_span(item.native, item.native_currency)
    return ""


def _page(title: str, body: Iterable[str]) -> str:
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="color-scheme" content="light">\n',
            '<meta name="referrer" content="no-referrer">\n',
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            *body,
            "</body>\n</html>\n",
        ]
    )


def _card(key: str, value: str, main: bool = False, name: str = "", wide: bool = False) -> str:
    cls = "card main" if main else "card"
    cls += " wide" if wide else ""
    data = f' data-figure="{esc(name)}"' if name else ""
    return f'<div class="{cls}"{data}><div class="k">{esc(key)}</div><div class="v">{esc(value)}</div></div>'


def _money(ccy: str, amount: Decimal) -> str:
    return f"{ccy} {whole(amount)}"


def _range(ccy: str, r: Range) -> str:
    return f"{ccy} {whole(r.low)} – {whole(r.high)}"


def _prepared(prepared_by: str | None) -> str:
    if not prepared_by:
        return ""
    return f'<p class="prepared">Prepared by <strong>{esc(prepared_by)}</strong></p>\n'


def _header(title: str, subtitle: str, prepared_by: str | None) -> str:
    return (
        f'<header>\n<p class="notice" id="notice">{esc(NOTICE)}</p>\n'
        f"<h1>{esc(title)}</h1>\n"
        f'<p class="sub">{esc(subtitle)}</p>\n{_prepared(prepared_by)}</header>\n'
    )


def _footer(fx_as_of: str, data_as_of: str, layers: Sequence[str], disclaimer: str) -> str:
    from cartcost import __version__

    parts = [
        '<footer>\n<p class="small" id="dates">',
        f"FX rates of {esc(fx_as_of)}; data as of {esc(data_as_of)}.",
    ]
    if len(layers) > 1:
        parts.append(f" Rates: {esc(' + '.join(layers))}.")
    parts.append("</p>\n")
    parts.append(f'<p class="notice">{esc(disclaimer)}</p>\n')
    parts.append(f'<p class="small">Made with cartcost {esc(__version__)}.</p>\n</footer>\n')
    return "".join(parts)


# ---------------------------------------------------------------- SVG


def histogram_svg(
    counts: Sequence[int], low: str, high: str, marks: Sequence[tuple[str, float]]
) -> str:
    """Bars of the simulated totals from the plain low (left) to the plain high (right);
    `marks`: (label, position 0..1) lines such as P50 and P90."""
    w, h, top, base = 480, 190, 24, 160
    n = max(len(counts), 1)
    peak = max(counts) or 1
    bw = w / n
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Distribution of the simulated totals">'
    ]
    for i, c in enumerate(counts):
        bh = (base - top) * c / peak
        out.append(
            f'<rect x="{i * bw + 1:.1f}" y="{base - bh:.1f}" width="{bw - 2:.1f}" '
            f'height="{bh:.1f}" fill="#7fb0e0"/>'
        )
    out.append(f'<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#57606a"/>')
    for label, pos in marks:
        x = min(max(pos, 0.0), 1.0) * w
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{base}" stroke="#0b5cad" '
            'stroke-dasharray="4 3"/>'
        )
        anchor = "end" if x > w - 40 else "start"
        dx = -3 if anchor == "end" else 3
        out.append(
            f'<text x="{x + dx:.1f}" y="{top - 6 + 10}" text-anchor="{anchor}">{esc(label)}</text>'
        )
    out.append(f'<text x="0" y="{base + 20}">{esc(low)}</text>')
    out.append(f'<text x="{w}" y="{base + 20}" text-anchor="end">{esc(high)}</text>')
    out.append("</svg>")
    return "".join(out)


def range_svg(r: Range, scale: Range, marks: Sequence[Decimal] = (), width: int = 200) -> str:
    """One row's low–high bar on the comparison's common scale; `marks`: P50 (and P90)."""
    h = 16
    lo, hi = scale.low, scale.high
    size = hi - lo

    def x(v: Decimal) -> float:
        return 0.0 if size <= 0 else float((v - lo) / size) * width

    x0, x1 = x(r.low), x(r.high)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" '
        f'preserveAspectRatio="none" class="range" role="img" aria-label="{esc(f"range {whole(r.low)} to {whole(r.high)}")}">',
        f'<rect x="0" y="7" width="{width}" height="2" fill="#d0d7de"/>',
        f'<rect x="{x0:.1f}" y="3" width="{max(x1 - x0, 2):.1f}" height="10" rx="2" fill="#7fb0e0"/>',
    ]
    for i, m in enumerate(marks):
        colour = "#0b5cad" if i == 0 else "#1b1f24"
        out.append(f'<rect x="{x(m) - 1:.1f}" y="1" width="2" height="14" fill="{colour}"/>')
    out.append("</svg>")
    return "".join(out)


def cumulative_svg(tl: Timeline) -> str:
    """The running total by week: P90 (light) behind P50 (dark)."""
    weeks = tl.weeks
    w, h, top, base = 480, 214, 30, 184
    n = max(len(weeks), 1)
    peak = max([wk.cumulative_p90 for wk in weeks] + [Decimal(1)])
    bw = w / n
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Money needed to date, week by week">',
        f'<text x="0" y="16">{esc(tl.currency)} {esc(whole(peak))}: P90 by the last week</text>',
        f'<line x1="0" y1="{top}" x2="{w}" y2="{top}" stroke="#d0d7de" stroke-dasharray="3 3"/>',
    ]
    for i, wk in enumerate(weeks):
        x = i * bw
        for value, colour, inset in (
            (wk.cumulative_p90, "#cfe2f6", 1.0),
            (wk.cumulative_p50, "#0b5cad", bw * 0.22),
        ):
            bh = float(value / peak) * (base - top)
            out.append(
                f'<rect x="{x + inset:.1f}" y="{base - bh:.1f}" '
                f'width="{max(bw - 2 * inset, 1):.1f}" height="{bh:.1f}" fill="{colour}"/>'
            )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{base + 18}" text-anchor="middle">{wk.number}</text>'
        )
    out.append(f'<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#57606a"/>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- sections


def _source_links(ids: Sequence[str]) -> str:
    return ", ".join(f'<a href="#src-{esc(s)}" class="id">{esc(s)}</a>' for s in ids)


def _items_table(est: Estimate, budget: Budget | None) -> str:
    ccy = est.currency
    spread = budget is not None
    heads = ["Item", f"Low {ccy}", f"High {ccy}"]
    if spread:
        heads += ["P50", "P90"]
    out = [
        '<div class="wrap"><table class="items stack" id="items-table">\n<thead><tr>',
        "".join(f'<th{NUM if i else ""} scope="col">{esc(t)}</th>' for i, t in enumerate(heads)),
        "</tr></thead>\n<tbody>\n",
    ]
    cols = len(heads)
    for category in CATEGORIES:
        items = est.by_category(category)
        if not items:
            continue
        out.append(
            f'<tr class="cat"><td colspan="{cols}" class="lead">{esc(CATEGORY_TITLES[category])}</td></tr>\n'
        )
        for item in items:
            b = basis(item)
            cell = [f'<span class="label">{esc(item.label)}</span>']
            if b:
                cell.append(f'<br><span class="basis">{esc(b)}</span>')
            if item.amount is None:
                cell.append(f'<br><span class="ni">not included: {esc(item.note)}</span>')
            elif item.note:
                cell.append(f'<br><span class="small">{esc(item.note)}</span>')
            if item.sources:
                cell.append(f'<br><span class="src">Sources: {_source_links(item.sources)}</span>')
            out.append(
                f'<tr class="item" data-key="{esc(item.key)}"><td class="lead">{"".join(cell)}</td>'
            )
            if item.amount is None:
                out.append(
                    f'<td class="num low half" data-label="{esc(heads[1])}">—</td><td class="num high half" data-label="{esc(heads[2])}">—</td>'
                )
            else:
                out.append(
                    f'<td class="num low half" data-label="{esc(heads[1])}">{esc(whole(item.amount.low))}</td>'
                    f'<td class="num high half" data-label="{esc(heads[2])}">{esc(whole(item.amount.high))}</td>'
                )
            if budget is not None:
                line = budget.line(item.key)
                if line is None:
                    out.append(
                        '<td class="num half" data-label="P50">—</td><td class="num half" data-label="P90">—</td>'
                    )
                else:
                    out.append(
                        f'<td class="num p50 half" data-label="P50">{esc(whole(line.spread.p50))}</td>'
                        f'<td class="num p90 half" data-label="P90">{esc(whole(line.spread.p90))}</td>'
                    )
            out.append("</tr>\n")
    if budget is not None and budget.fx is not None:
        # Not a line of the estimate: no low or high at the table's rates.
        out.append(f'<tr class="cat"><td colspan="{cols}" class="lead">Currency</td></tr>\n')
        out.append(
            '<tr class="item" data-key="fx.moves"><td class="lead">'
            '<span class="label">Exchange-rate moves</span><br><span class="small">'
            "simulated only: what rate moves add by the time bills are paid</span></td>"
            f'<td class="num low half" data-label="{esc(heads[1])}">—</td>'
            f'<td class="num high half" data-label="{esc(heads[2])}">—</td>'
            f'<td class="num p50 half" data-label="P50">{esc(whole(budget.fx.p50))}</td>'
            f'<td class="num p90 half" data-label="P90">{esc(whole(budget.fx.p90))}</td></tr>\n'
        )
    out.append(
        f'<tr class="total"><td class="lead">Total</td>'
        f'<td class="num low half" data-label="{esc(heads[1])}">{esc(whole(est.total.low))}</td>'
        f'<td class="num high half" data-label="{esc(heads[2])}">{esc(whole(est.total.high))}</td>'
    )
    if budget is not None:
        out.append(
            f'<td class="num p50 half" data-label="P50">{esc(whole(budget.total.p50))}</td>'
            f'<td class="num p90 half" data-label="P90">{esc(whole(budget.total.p90))}</td>'
        )
    out.append("</tr>\n</tbody></table></div>\n")
    out.append(
        '<p class="small">Low adds every figure\'s low end, high every high end: the range '
        "the published figures support. The second line of an item shows how it was built, "
        "in the currency its source quoted; it is converted once, at the dated FX rates.</p>\n"
    )
    return "".join(out)


def _you_pay(est: Estimate) -> str:
    """The family's own share: its range where others pay part, else that it is all."""
    if est.you_pay is None:
        return ""
    if est.you_pay == est.total:
        return _card("You pay (no one else pays a part)", "All of it", name="you_pay")
    return _card(
        "You pay (after what others cover)",
        _range(est.currency, est.you_pay),
        name="you_pay",
        wide=True,
    )


def _decision(est: Estimate, budget: Budget | None) -> str:
    ccy = est.currency
    cards: list[str] = []
    # Where others pay part of the bills, what the family pays is the number to decide on.
    others = est.you_pay is not None and est.you_pay != est.total
    main = not others
    if others:
        spread = budget.you_pay if budget is not None else None
        mine = (
            [(spread.p50, spread.p90, "")]
            if spread is not None
            else [
                (lk.p50, lk.p90, f", {lk.pathway} offers" if len(est.you_pay_likely) > 1 else "")
                for lk in est.you_pay_likely
            ]
        )
        for p50, p90, way in mine:
            cards.append(_card(f"You pay, likely{way} (P50)", _money(ccy, p50), True, "you_p50"))
            cards.append(
                _card(f"You pay, to be 90% sure{way} (P90)", _money(ccy, p90), True, "you_p90")
            )
        main = not mine
    of = "Total cost of care, likely (P50)" if others else "Likely total (P50)"
    of90 = "Total cost of care, P90" if others else "To be 90% sure (P90)"
    if budget is not None:
        cards.append(_card(of, _money(ccy, budget.total.p50), main, "p50"))
        cards.append(_card(of90, _money(ccy, budget.total.p90), main, "p90"))
    elif len(est.likely) == 1:
        lk = est.likely[0]
        cards.append(_card(of, _money(ccy, lk.p50), main, "p50"))
        cards.append(_card(of90, _money(ccy, lk.p90), main, "p90"))
    else:
        for lk in est.likely:
            cards.append(
                _card(f"Likely total, {lk.pathway} offers (P50)", _money(ccy, lk.p50), main)
            )
            cards.append(
                _card(f"To be 90% sure, {lk.pathway} offers (P90)", _money(ccy, lk.p90), main)
            )
    cards.append(
        _card("Total cost of care, low – high", _range(ccy, est.total), name="total", wide=True)
    )
    you = _you_pay(est)
    if you:
        cards.append(you)
    cards.append(_card("Stay abroad", span(est.stay_days, "days")))
    cards.append(_card("Days to infusion", span(est.days_to_infusion, "days")))
    if budget is not None:
        how = f"From {budget.draws:,} simulated journeys (seed {budget.seed})."
    elif est.likely:
        lk = est.likely[0]
        how = f"From {lk.draws:,} simulated journeys (seed {lk.seed})."
    else:
        how = ""
    text = (
        '<p class="small">P50: half of the simulated journeys cost less, half more. P90: 9 in '
        f"10 cost less — have this much to be 90% sure. {esc(how)}</p>\n"
    )
    return f'<section id="numbers">\n<h2>The numbers to decide on</h2>\n<div class="cards">{"".join(cards)}</div>\n{text}</section>\n'


def _scenario(est: Estimate) -> str:
    sc = est.scenario
    facts: list[tuple[str, str]] = [
        ("Treatment", f"CAR-T for {sc.indication}"),
        ("Where", f"{est.country_name} ({sc.country})"),
        (
            "From",
            f"{est.origin_name} ({sc.origin})"
            if est.origin_name
            else "not given (no flights or visas)",
        ),
        ("Caregivers", str(sc.caregivers)),
        (
            "Products",
            ", ".join(
                f"{o.brand} ({o.product}, {o.pathway}"
                + (f"; {o.availability}" if o.availability else "")
                + ")"
                for o in est.offers
            ),
        ),
    ]
    if est.choices is not None:
        from cartcost.choices import describe

        sends = any(i.key == L.TRANSFER for i in est.items)
        facts.append(("Choices", describe(est.choices, sends=sends)))
    if sc.lives_nearby:
        facts.append(("Lodging", "lives near the centre: no lodging or local transport"))
    facts.append(("Currency", est.currency))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return f'<section id="scenario">\n<h2>The case and its choices</h2>\n<dl class="facts">{rows}</dl>\n</section>\n'


def _budget_section(budget: Budget) -> str:
    ccy = budget.currency
    hist = budget.histogram
    size = hist.high - hist.low

    def pos(v: Decimal) -> float:
        return 0.0 if size <= 0 else float((v - hist.low) / size)

    svg = histogram_svg(
        hist.counts,
        _money(ccy, hist.low),
        _money(ccy, hist.high),
        [("P50", pos(budget.total.p50)), ("P90", pos(budget.total.p90))],
    )
    t = budget.total
    return (
        '<section id="budget">\n<h2>How the simulated totals spread</h2>\n'
        f'<figure>{svg}<figcaption class="small">Totals of {budget.draws:,} simulated '
        f"journeys, from every low added up (left) to every high added up (right). "
        f"P10 {esc(_money(ccy, t.p10))}, P50 {esc(_money(ccy, t.p50))}, "
        f"P90 {esc(_money(ccy, t.p90))}, mean {esc(_money(ccy, t.mean))}.</figcaption></figure>\n"
        f"{_drivers_figure(budget)}"
        "</section>\n"
    )


def _drivers_figure(budget: Budget) -> str:
    """The tornado chart of the drivers (--drivers), with its bars also as a list for
    screen readers and for copying."""
    if budget.drivers is None:
        return ""
    from cartcost.render.tornado import bars_of, tornado_svg

    shown, _ = bars_of(budget)
    ccy = budget.currency
    items = "".join(
        f"<li>{esc(d.label)}: {esc(_money(ccy, d.at_p10))} to {esc(_money(ccy, d.at_p90))}"
        f"; held fixed, the P10-P90 spread narrows by {esc(_money(ccy, d.shrink))}</li>"
        for d in shown
    )
    return (
        '<h3 id="drivers">What drives the spread</h3>\n'
        f'<figure class="tornado">{tornado_svg(budget)}</figure>\n'
        f'<details><summary>The bars as text</summary><ul class="small">{items}</ul></details>\n'
    )


def _timeline_section(tl: Timeline) -> str:
    from cartcost.render.timeline_view import due_labels, milestone_rows, terms_text

    ccy = tl.currency
    out = [
        '<section id="timeline">\n<h2>When the money is needed</h2>\n',
        f"<p>{esc(terms_text(tl))}",
    ]
    if tl.terms.sources:
        out.append(f' <span class="src">Sources: {_source_links(tl.terms.sources)}</span>')
    out.append("</p>\n")
    if tl.terms.note and not tl.terms.assumed:
        out.append(f'<p class="small">{esc(tl.terms.note)}</p>\n')
    rows = "".join(
        f'<li><span class="day">{esc(v)}</span> {esc(k)}</li>' for k, v in milestone_rows(tl)
    )
    out.append(f'<ol class="milestones">{rows}</ol>\n')
    out.append(
        f'<figure>{cumulative_svg(tl)}<figcaption class="small">Money needed by the end of each week (week 1 starts with the first consultation): P50 (dark) and P90 (light).</figcaption></figure>\n'
    )
    out.append(
        '<div class="wrap"><table class="timeline stack">\n<thead><tr>'
        '<th scope="col">Week</th><th scope="col">What falls due</th>'
        f'<th class="num" scope="col">P50 {esc(ccy)}</th><th class="num" scope="col">P90 {esc(ccy)}</th>'
        '<th class="num" scope="col">To date P50</th><th class="num" scope="col">To date P90</th>'
        "</tr></thead>\n<tbody>\n"
    )
    for wk in tl.weeks:
        due = "<br>".join(esc(label) for label in due_labels(wk))
        out.append(
            f'<tr data-week="{wk.number}"><td class="lead">Week {wk.number} '
            f'<span class="small">(days {wk.first_day}–{wk.first_day + 6})</span></td>'
            f'<td class="due block">{due}</td>'
            f'<td class="num half" data-label="P50">{esc(whole(wk.p50))}</td>'
            f'<td class="num half" data-label="P90">{esc(whole(wk.p90))}</td>'
            f'<td class="num half" data-label="To date P50">{esc(whole(wk.cumulative_p50))}</td>'
            f'<td class="num half" data-label="To date P90">{esc(whole(wk.cumulative_p90))}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    out.append(
        '<p class="small">Days from the first consultation, at the average length of each '
        "phase. Each line at the midpoint of its range, scaled to add up to "
        + ("what the family pays" if tl.money == "family" else "the total")
        + " at its P50 and at its P90; living accrues evenly over the stay; the complications "
        "reserve is settled with the final bill, if it is needed."
        + (
            " The P90 column plans for the larger deposit, so in a week after it the P90 "
            "due can be below the P50."
            if tl.terms.deposit_share is not None
            and tl.terms.deposit_share.low != tl.terms.deposit_share.high
            else ""
        )
        + "</p>\n"
    )
    for n in tl.notes:
        out.append(f'<p class="small">Note: {esc(n)}</p>\n')
    out.append("</section>\n")
    return "".join(out)


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f'<section id="notes">\n<h2>Notes</h2>\n<ul>{items}</ul>\n</section>\n'


def _methods(text: str) -> str:
    return f'<section id="methods">\n<h2>Methods</h2>\n<p>{esc(text)}</p>\n</section>\n'


def _bibliography(ids: Sequence[str], sources: Mapping[str, Source]) -> str:
    out = [
        '<section id="sources">\n<h2>Sources</h2>\n'
        '<p class="small">Every figure above rests on these, each with its date. An '
        'assumption states its basis.</p>\n<ol class="sources">\n'
    ]
    for sid in ids:
        s = sources.get(sid)
        if s is None:
            continue
        parts = [
            f'<li id="src-{esc(sid)}"><span class="id">{esc(sid)}</span> ',
            f"<strong>{esc(s.title)}</strong>. {esc(s.publisher)}, {esc(s.published.isoformat())} ",
            f"({esc(s.kind)}); accessed {esc(s.accessed.isoformat())}.",
        ]
        link = _url(s.url)
        if link:
            parts.append(f'<br><a href="{esc(link)}" rel="noopener noreferrer">{esc(link)}</a>')
        if s.kind == "assumption" and s.note:
            parts.append(f'<br><span class="small">Basis: {esc(s.note)}</span>')
        parts.append("</li>\n")
        out.append("".join(parts))
    out.append("</ol>\n</section>\n")
    return "".join(out)


def _sources_of(est: Estimate) -> list[str]:
    return list(dict.fromkeys(s for item in est.items for s in item.sources))


def _subtitle(est: Estimate) -> str:
    sc = est.scenario
    who = f"from {est.origin_name}" if est.origin_name else "origin not given"
    if sc.domestic:
        who = "living in the country"
    carers = f"{sc.caregivers} caregiver{'s' if sc.caregivers != 1 else ''}"
    return f"{who}, {carers}; amounts in {est.currency}"


# ---------------------------------------------------------------- pages


def estimate_html(
    est: Estimate,
    sources: Mapping[str, Source],
    timeline: Timeline | None = None,
    budget: Budget | None = None,
    prepared_by: str | None = None,
    layers: Sequence[str] = (),
    methods: str | None = None,
) -> str:
    """The estimate as one self-contained page; `methods`: metadata.methods_paragraph's
    words on currency, price date, conversion and simulation (CHEERS 2022 item 15)."""
    sc = est.scenario
    title = f"CAR-T for {sc.indication} in {est.country_name} ({sc.country})"
    ids = _sources_of(est)
    if timeline is not None:
        ids += [s for s in timeline.terms.sources if s not in ids]
    body = [
        _header(title, _subtitle(est), prepared_by),
        _decision(est, budget),
        _scenario(est),
        '<section id="items">\n<h2>Itemised estimate</h2>\n',
        _items_table(est, budget),
        "</section>\n",
        _budget_section(budget) if budget is not None else "",
        _timeline_section(timeline) if timeline is not None else "",
        _notes(budget.notes if budget is not None else est.notes),
        _methods(methods) if methods else "",
        _bibliography(ids, sources),
        _footer(est.fx_as_of.isoformat(), est.data_as_of.isoformat(), layers, est.disclaimer),
    ]
    return _page(f"{title} — cartcost estimate", body)


def _row_cells(cmp: Comparison, row: Row, budget: Budget | None) -> str:
    ccy = cmp.currency
    est = row.estimate
    name = f"{row.country_name} ({row.country})" + (" — home" if row.is_home else "")
    products = ", ".join(row.brands)
    marks: list[Decimal] = []
    likely_class = "num likely"
    # The likely figures of what the bars show: what the family pays, where others pay
    # part of the bills, else the total.
    family = cmp.bars_family
    runs = est.you_pay_likely if family else est.likely
    if budget is not None:
        _, spread = budget.measured(family)
        # Offers on several pathways: the budget draws their mix (the notes say so).
        mixed = "*" if budget.mixes_pathways else ""
        likely = esc(f"{whole(spread.p50)} / {whole(spread.p90)}{mixed}")
        marks = [spread.p50, spread.p90]
    elif len(runs) == 1:
        likely = esc(f"{whole(runs[0].p50)} / {whole(runs[0].p90)}")
        marks = [runs[0].p50, runs[0].p90]
    elif runs:
        # One line per pathway: on one line they widen the table past the page. A narrow
        # page may also break after the pathway's name, never inside the figures.
        likely = "<br>".join(
            esc(f"{lk.pathway}: {whole(lk.p50)}\u00a0/\u00a0{whole(lk.p90)}") for lk in runs
        )
        likely_class = "num wrapnum likely"
    else:
        likely = "—"
    if row.is_home:
        saving = "home"
    elif row.vs_home is not None:
        saving = f"{_signed(row.vs_home.low)} to\u00a0{_signed(row.vs_home.high)}"
    else:
        saving = "—"
    cls = "home" if row.is_home else ""
    return (
        f'<tr class="{cls}" data-country="{esc(row.key)}">'
        f'<td class="lead"><span class="rank">{row.rank}.</span> {esc(name)}'
        f'<br><span class="small">{esc(products)}</span></td>'
        f'<td class="num wrapnum total" data-label="Total {esc(ccy)}">{_breakable(row.total)}</td>'
        + (
            f'<td class="num wrapnum" data-label="You pay {esc(ccy)}">{_breakable(row.bar)}</td>'
            if family
            else ""
        )
        + f'<td class="{likely_class}" data-label="Likely P50 / P90">{likely}</td>'
        + (
            f'<td class="num wrapnum" data-label="Saving vs home">{esc(saving)}</td>'
            if cmp.home is not None
            else ""
        )
        + f'<td class="num" data-label="Days to infusion">{esc(span(row.days_to_infusion))}</td>'
        f'<td class="bar" data-label="Range">{range_svg(row.bar, cmp.bars, marks)}</td></tr>\n'
    )


def _breakable(r: Range) -> str:
    """low – high for a table cell that may break after the dash (never inside a figure
    or before the dash), so that a narrow page stacks the ends rather than scrolling."""
    return esc(f"{whole(r.low)}\u00a0– {whole(r.high)}")


def _likely_p50(row: Row, budget: Budget | None, family: bool) -> Decimal | None:
    """The row's likely P50: of what the family pays (`family`) or of the total; None
    where it has none (several pathways, unknown cover)."""
    if budget is not None:
        if budget.mixes_pathways:  # a mix of pathways' P50 is nobody's
            return None
        spread = budget.you_pay if family else budget.total
        return spread.p50 if spread is not None else None
    runs = row.estimate.you_pay_likely if family else row.estimate.likely
    return runs[0].p50 if len(runs) == 1 else None


def _signed(d: Decimal) -> str:
    return f"+{whole(d)}" if d > 0 else (f"−{whole(-d)}" if d < 0 else "0")


def compare_html(
    cmp: Comparison,
    sources: Mapping[str, Source],
    budgets: Sequence[Budget] | None = None,
    prepared_by: str | None = None,
    layers: Sequence[str] = (),
    methods: str | None = None,
) -> str:
    """The comparison as one self-contained page; `methods`: metadata.comparison_methods's
    words on currency, price date, conversion and simulation."""
    from cartcost.render.compare_view import _title

    sc = cmp.scenario
    title = f"CAR-T for {sc.indication}: where, how much, how long"
    ccy = cmp.currency
    body = [_header(title, _title(cmp).split(": ", 1)[-1], prepared_by)]
    # Where others pay part of some row's bills, what the family pays is what leads.
    family = cmp.bars_family
    what = "you pay" if family else "total"
    if cmp.rows:
        lowest = min(cmp.rows, key=lambda r: r.bar.low)
        cards = [
            _card(f"Lowest {what}: {lowest.country_name}", _range(ccy, lowest.bar), True, wide=True)
        ]
        with_likely = [
            (row, p50)
            for i, row in enumerate(cmp.rows)
            if (p50 := _likely_p50(row, budgets[i] if budgets is not None else None, family))
            is not None
        ]
        if with_likely:
            row, p50 = min(with_likely, key=lambda x: x[1])
            cards.append(
                _card(f"Lowest likely {what} (P50): {row.country_name}", _money(ccy, p50), True)
            )
        cards.append(_card("Rows compared", str(len(cmp.rows))))
        body.append(
            '<section id="numbers">\n<h2>The numbers to decide on</h2>\n<div class="cards">'
            + "".join(cards)
            + "</div>\n</section>\n"
        )
    likely_head = "You pay, likely P50 / P90" if family else "Likely P50 / P90"
    you_head = f'<th class="num" scope="col">You pay {esc(ccy)}</th>' if family else ""
    body.append(
        '<section id="compare">\n<h2>Side by side</h2>\n'
        '<div class="wrap"><table class="rows stack">\n<thead><tr>'
        '<th scope="col">Country and products</th>'
        f'<th class="num" scope="col">Total {esc(ccy)} (low – high)</th>'
        f"{you_head}"
        f'<th class="num" scope="col">{esc(likely_head)}</th>'
        + ('<th class="num" scope="col">Saving vs home</th>' if cmp.home is not None else "")
        + '<th class="num" scope="col">Days to infusion</th>'
        '<th scope="col">Range</th></tr></thead>\n<tbody>\n'
    )
    for i, row in enumerate(cmp.rows):
        body.append(_row_cells(cmp, row, budgets[i] if budgets is not None else None))
    body.append("</tbody></table></div>\n")
    body.append(
        f'<p class="small">Range bars{", of what the family pays" if cmp.bars_family else ""}: '
        f"{esc(_money(ccy, cmp.bars.low))} (left) to "
        f"{esc(_money(ccy, cmp.bars.high))} (right), one scale for every row; the dark "
        f"mark is the likely {'figure' if cmp.bars_family else 'total'} (P50), the black one "
        f"the P90."
        + (
            f" Saving vs home: {esc(PERSPECTIVE_WORDS[cmp.perspective])} at home less "
            "here: + cheaper than treatment at home, − costs more."
            if cmp.home is not None
            else ""
        )
        + "</p>\n"
    )
    if budgets is not None and budgets:
        body.append(
            f'<p class="small">P50 / P90 from {budgets[0].draws:,} simulated journeys per row '
            f"(seed {budgets[0].seed}).</p>\n"
        )
    body.append("</section>\n")
    for i, row in enumerate(cmp.rows):
        body.append(_row_detail(row, budgets[i] if budgets is not None else None))
    if budgets is None:
        notes = list(cmp.notes)
    else:
        from cartcost.budget import compare_notes

        notes = compare_notes(cmp, budgets)
    notes += [f"skipped {s.country}: {s.reason}" for s in cmp.skipped]
    body.append(_notes(notes))
    if methods:
        body.append(_methods(methods))
    ids: list[str] = []
    for row in cmp.rows:
        ids += [s for s in _sources_of(row.estimate) if s not in ids]
    body.append(_bibliography(ids, sources))
    body.append(
        _footer(cmp.fx_as_of.isoformat(), cmp.data_as_of.isoformat(), layers, cmp.disclaimer)
    )
    return _page(f"{title} — cartcost comparison", body)


def _row_detail(row: Row, budget: Budget | None = None) -> str:
    """Each row's lines, folded so the comparison stays one screen; with --drivers, the
    row's tornado chart under them."""
    est = row.estimate
    ccy = est.currency
    lines = []
    for item in est.items:
        amount = (
            "not included"
            if item.amount is None
            else f"{whole(item.amount.low)} – {whole(item.amount.high)}"
        )
        b = basis(item)
        src = _source_links(item.sources)
        lines.append(
            f'<tr data-key="{esc(item.key)}"><td class="lead">{esc(item.label)}'
            + (f'<br><span class="basis">{esc(b)}</span>' if b else "")
            + (f'<br><span class="src">Sources: {src}</span>' if src else "")
            + f'</td><td class="num" data-label="{esc(ccy)}">{esc(amount)}</td></tr>\n'
        )
    return (
        f'<section class="detail" id="row-{esc(row.key)}">\n'
        f"<h2>{esc(row.country_name)} ({esc(row.country)}): line by line</h2>\n"
        '<div class="wrap"><table class="items stack">\n<thead><tr><th scope="col">Item</th>'
        f'<th class="num" scope="col">Low – high {esc(ccy)}</th></tr></thead>\n<tbody>\n'
        + "".join(lines)
        + "</tbody></table></div>\n"
        + (
            _drivers_figure(budget).replace('id="drivers"', f'id="drivers-{esc(row.key)}"')
            if budget is not None
            else ""
        )
        + "</section>\n"
    )
