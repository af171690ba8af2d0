"""A recorded console as an SVG picture."""

from __future__ import annotations

from rich.console import Console


def recorded_svg(console: Console, title: str) -> str:
    return console.export_svg(title=title)
