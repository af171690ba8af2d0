"""A drawn table as an SVG picture that any renderer shows the same way.

The console's lines are cut into phrases (text between runs of two or more spaces, or
where the style changes), and each phrase is placed at its own column: text by its
start, a number by its end (text-anchor="end"), so numbers stay right-aligned whatever
font the viewer substitutes. Bars (█ and ▁..▇) are drawn as rectangles. The font is the
system's monospace (a font stack, nothing fetched: no @font-face, @import or url()).
No arithmetic on amounts: positions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from rich.cells import cell_len
from rich.color import blend_rgb
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

FONT = (
    'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", '
    '"Liberation Mono", monospace'
)
FONT_SIZE = 14
CHAR_WIDTH = 8.4  # 0.6 em: the advance of common monospace fonts
LINE_HEIGHT = 18
PADDING = 12
SPARKS = "▁▂▃▄▅▆▇█"
# A phrase that is a figure: right-aligned on its last column.
_NUMBER = re.compile(r"[+−-]?\d[\d,]*(?:\.\d+)?%?(?:–\d[\d,]*(?:\.\d+)?%?)?")
_PHRASE = re.compile(r"\S+(?: \S+)*")
_BAR = re.compile(r"[▁▂▃▄▅▆▇█]+")


def _hex(style: Style) -> str:
    theme = DEFAULT_TERMINAL_THEME
    color = (
        theme.foreground_color
        if style.color is None or style.color.is_default
        else style.color.get_truecolor(theme)
    )
    if style.dim:
        color = blend_rgb(color, theme.background_color, 0.4)
    return color.hex


def _num(x: float) -> str:
    return format(round(x, 2), "g")


def _phrases(line: Sequence[Segment]) -> Iterable[tuple[int, str, Style]]:
    """(start column, text, style) of each phrase on a line."""
    x = 0
    for text, style, control in line:
        if control:
            continue
        for found in _PHRASE.finditer(text):
            yield x + cell_len(text[: found.start()]), found.group(), style or Style()
        x += cell_len(text)


def _text(x: float, y: float, text: str, style: Style, anchor: str = "") -> str:
    attrs = [f'x="{_num(x)}"', f'y="{_num(y)}"', f'fill="{_hex(style)}"']
    if anchor:
        attrs.append(f'text-anchor="{anchor}"')
    if style.bold:
        attrs.append('font-weight="bold"')
    if style.italic:
        attrs.append('font-style="italic"')
    return f"<text {' '.join(attrs)}>{escape(text, quote=False)}</text>"


def _bars(col: int, row: int, text: str, style: Style) -> list[str]:
    """Block characters as rectangles: █ fills the cell, ▁..▇ a part of its height."""
    out = []
    top = PADDING + row * LINE_HEIGHT
    for i, ch in enumerate(text):
        height = LINE_HEIGHT * (SPARKS.index(ch) + 1) / len(SPARKS)
        out.append(
            f'<rect x="{_num(PADDING + (col + i) * CHAR_WIDTH)}" '
            f'y="{_num(top + LINE_HEIGHT - height)}" width="{_num(CHAR_WIDTH)}" '
            f'height="{_num(height)}" fill="{_hex(style)}"/>'
        )
    return out


def lines_svg(lines: Sequence[Sequence[Segment]], width: int, title: str) -> str:
    """Lines of segments `width` columns wide as an SVG document."""
    body: list[str] = []
    for row, line in enumerate(lines):
        baseline = PADDING + row * LINE_HEIGHT + FONT_SIZE
        for col, phrase, style in _phrases(line):
            if _BAR.fullmatch(phrase):
                body += _bars(col, row, phrase, style)
            elif _NUMBER.fullmatch(phrase):
                end = PADDING + (col + cell_len(phrase)) * CHAR_WIDTH
                body.append(_text(end, baseline, phrase, style, "end"))
            else:
                parts = _BAR.split(phrase)
                if len(parts) == 1:
                    body.append(_text(PADDING + col * CHAR_WIDTH, baseline, phrase, style))
                    continue
                # Text and bars in one phrase (a range bar's dots and blocks).
                at = col
                for found in re.finditer(r"[▁▂▃▄▅▆▇█]+|[^▁▂▃▄▅▆▇█]+", phrase):
                    piece = found.group()
                    if _BAR.fullmatch(piece):
                        body += _bars(at, row, piece, style)
                    else:
                        body.append(_text(PADDING + at * CHAR_WIDTH, baseline, piece, style))
                    at += cell_len(piece)
    w = 2 * PADDING + width * CHAR_WIDTH
    h = 2 * PADDING + len(lines) * LINE_HEIGHT
    theme = DEFAULT_TERMINAL_THEME
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(w)}" height="{_num(h)}" '
        f'viewBox="0 0 {_num(w)} {_num(h)}" font-family="{escape(FONT)}" '
        f'font-size="{FONT_SIZE}" xml:space="preserve">'
    )
    return "\n".join(
        [
            head,
            f"<title>{escape(title, quote=False)}</title>",
            f'<rect width="100%" height="100%" fill="{theme.background_color.hex}"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def renderable_svg(renderable: RenderableType, width: int, title: str) -> str:
    """A renderable drawn `width` columns wide, as an SVG document."""
    import io

    console = Console(width=width, file=io.StringIO(), highlight=False, color_system="truecolor")
    lines = console.render_lines(renderable, console.options, pad=False)
    while lines and not "".join(s.text for s in lines[-1]).strip():
        lines.pop()
    return lines_svg(lines, width, title)
