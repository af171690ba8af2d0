"""Estimates as data: CSV rows, JSON objects and the rounding every output shares.

These are part of the core (no Rich, no Typer): `Estimate.to_dict()` and the other
results' are built here, and batch streams its rows from here. render/ draws tables,
SVG and HTML from the same numbers.
"""
