"""The tornado chart of a budget's drivers (`--drivers --svg FILE`, and the HTML report).

One bar per uncertain line, widest swing on top: from the total's P50 with that line at its
own P10 to the total's P50 with it at its P90 (budget.Driver.at_p10 / at_p90), on one
common scale, with a line at the total's P50 and, right of each bar, how much holding the
line fixed would narrow the total's P10-P90. Lines that never vary are left out and
counted in the caption. Plain SVG with no script or external reference, so that it opens
in any browser, embeds in a page and prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cartcost.budget import Budget, Driver
from cartcost.exports.fmt import whole
from cartcost.render.html import esc

# Layout, in SVG user units (pixels at 100 %).
WIDTH = 860
LABEL_W = 300  # the line's name, right-aligned against the bars
NOTE_W = 130  # "narrows P10-P90 by ..." right of the bars
ROW_H = 26
BAR_H = 16
TOP = 96  # title, subtitle and the right column's heading
FOOT = 64  # the scale's ends and the caption
MAX_BARS = 12
LABEL_CHARS = 42
LOW_FILL = "#7fb0e0"  # the line at its P10 (left of the P50)
HIGH_FILL = "#0b5cad"  # the line at its P90 (right of the P50)
TEXT = "#1b1f24"
MUTED = "#57606a"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:13px"


def bars_of(b: Budget, most: int = MAX_BARS) -> tuple[list[Driver], int]:
    """The drivers drawn (those that move the total, widest swing first, at most `most`)
    and how many moving lines were left out."""
    assert b.drivers is not None
    moving = [d for d in b.drivers if d.swing > 0]
    moving.sort(key=lambda d: (-d.swing, d.key))
    return moving[:most], max(len(moving) - most, 0)


def tornado_svg(b: Budget, title: str | None = None, most: int = MAX_BARS) -> str:
    """The chart as a standalone SVG document."""
    est = b.estimate
    ccy = est.currency
    shown, left_out = bars_of(b, most)
    middle = b.total.p50
    lows = [d.at_p10 for d in shown] + [middle]
    highs = [d.at_p90 for d in shown] + [middle]
    lo, hi = min(lows), max(highs)
    span = hi - lo or Decimal(1)
    plot_x0, plot_x1 = LABEL_W + 10, WIDTH - NOTE_W - 10
    plot_w = plot_x1 - plot_x0

    def x(v: Decimal) -> float:
        return plot_x0 + float((v - lo) / span) * plot_w

    rows = max(len(shown), 1)
    height = TOP + rows * ROW_H + FOOT
    heading = title or f"What drives the spread: {est.country_name}, {est.scenario.indication}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{esc(heading)}" '
        f'style="{FONT}">',
        f"<title>{esc(heading)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="24" style="font-size:16px;font-weight:600" fill="{TEXT}">{esc(heading)}</text>',
        f'<text x="12" y="44" fill="{MUTED}">Each bar: the total in {esc(ccy)} when that '
        "line is at its own P10 (left) or P90 (right), the rest at their middle.</text>",
        f'<text x="12" y="62" fill="{MUTED}">The line down the middle is the total\'s P50, '
        f"{esc(whole(middle))} {esc(ccy)}.</text>",
    ]
    if not shown:
        out.append(
            f'<text x="12" y="{TOP + 16}" fill="{TEXT}">No line varies: the total is '
            f"{esc(whole(middle))} {esc(ccy)} in every draw.</text>"
        )
    for i, d in enumerate(shown):
        y = TOP + i * ROW_H
        mid_y = y + ROW_H / 2
        x10, x50, x90 = x(d.at_p10), x(middle), x(d.at_p90)
        out.append(
            f'<text x="{LABEL_W}" y="{mid_y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{esc(_short(d.label, LABEL_CHARS))}</text>"
        )
        top = mid_y - BAR_H / 2
        if x50 > x10:
            out.append(
                f'<rect x="{x10:.1f}" y="{top:.1f}" width="{x50 - x10:.1f}" height="{BAR_H}" '
                f'fill="{LOW_FILL}"><title>{esc(_tip(d, ccy, "P10", d.at_p10))}</title></rect>'
            )
        if x90 > x50:
            out.append(
                f'<rect x="{x50:.1f}" y="{top:.1f}" width="{x90 - x50:.1f}" height="{BAR_H}" '
                f'fill="{HIGH_FILL}"><title>{esc(_tip(d, ccy, "P90", d.at_p90))}</title></rect>'
            )
        out.append(
            f'<text x="{WIDTH - NOTE_W + 4}" y="{mid_y + 4:.1f}" fill="{MUTED}">'
            f"{esc(whole(d.narrows))}</text>"
        )
    axis_y = TOP + rows * ROW_H
    mx = x(middle)
    out.append(
        f'<line x1="{mx:.1f}" y1="{TOP - 6}" x2="{mx:.1f}" y2="{axis_y + 4}" '
        f'stroke="{TEXT}" stroke-width="1.5"/>'
    )
    out.append(
        f'<line x1="{plot_x0}" y1="{axis_y + 4}" x2="{plot_x1}" y2="{axis_y + 4}" '
        f'stroke="{MUTED}"/>'
    )
    out.append(
        f'<text x="{plot_x0}" y="{axis_y + 20}" fill="{MUTED}">{esc(whole(lo))}</text>'
        f'<text x="{mx:.1f}" y="{axis_y + 20}" text-anchor="middle" fill="{TEXT}">P50</text>'
        f'<text x="{plot_x1}" y="{axis_y + 20}" text-anchor="end" fill="{MUTED}">'
        f"{esc(whole(hi))}</text>"
    )
    out.append(
        f'<text x="{WIDTH - NOTE_W + 4}" y="{TOP - 20}" fill="{MUTED}" style="font-size:11px">'
        "held fixed, it narrows</text>"
        f'<text x="{WIDTH - NOTE_W + 4}" y="{TOP - 6}" fill="{MUTED}" style="font-size:11px">'
        f"P10-P90 by ({esc(ccy)})</text>"
    )
    for i, text in enumerate(caption(b, left_out)):
        out.append(
            f'<text x="12" y="{height - 26 + 16 * i}" fill="{MUTED}" style="font-size:11px">'
            f"{esc(text)}</text>"
        )
    out.append("</svg>\n")
    return "".join(out)


def caption(b: Budget, left_out: int) -> tuple[str, str]:
    """The chart's two lines of small print."""
    plural = "line" if left_out == 1 else "lines"
    more = f"; {left_out} smaller {plural} not drawn" if left_out else ""
    return (
        f"{b.draws:,} simulated journeys, seed {b.seed}; drivers from the first "
        f"{b.detail_draws:,}{more}.",
        "Right: how much the total's P10-P90 spread would narrow were that line known exactly.",
    )


def _tip(d: Driver, ccy: str, at: str, value: Decimal) -> str:
    return f"{d.label} at its {at}: total {whole(value)} {ccy}"


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def labels(drivers: Sequence[Driver]) -> list[str]:
    """The bars' labels as drawn (for tests and the HTML report's text alternative)."""
    return [_short(d.label, LABEL_CHARS) for d in drivers]
