"""CSV and JSON of a budget: the estimate's export with the percentiles added.

CSV: the estimate's (or comparison's) columns, unchanged and in the same order, then
p10, p50, p90, mean (per line item and for the total; empty for a line not included;
where exchange rates move, a "currency" row before the total with what they add, and no
low or high), draws and seed; with --drivers also `narrows_spread_by`, how much the total's P10-P90
spread shrinks when that line is held fixed. Compare CSV adds total_p10, total_p50,
total_p90, total_mean, draws and seed to each row.

JSON: the estimate's (or comparison's) object with a "budget" object added (per row for
compare). Amounts are rounded to the cent here and nowhere earlier.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cartcost.budget import FX_DRIVER, FX_DRIVER_LABEL, Budget, Spread
from cartcost.comparison import Comparison
from cartcost.exports.compare import COMPARE_CSV_COLUMNS, compare_csv_rows, compare_json_obj
from cartcost.exports.csvjson import (
    ESTIMATE_CSV_COLUMNS,
    csv_text,
    estimate_csv_rows,
    estimate_json_obj,
    range_json,
)
from cartcost.exports.fmt import JsonNumber, exported_amounts, json_number, plain

BUDGET_CSV_COLUMNS = ("p10", "p50", "p90", "mean", "draws", "seed")
DRIVER_CSV_COLUMN = "narrows_spread_by"
# What the family pays, from the same journeys (batch --budget's names): empty where the
# estimate does not know it.
COMPARE_BUDGET_CSV_COLUMNS = (
    "total_p10",
    "total_p50",
    "total_p90",
    "total_mean",
    "you_pay_p10",
    "you_pay_p50",
    "you_pay_p90",
    "you_pay_mean",
    "draws",
    "seed",
)
METHOD = (
    "Monte Carlo: each figure drawn from a triangular distribution on low, typical "
    "(else the midpoint) and high; phase durations drawn once per draw and shared by "
    "every line; one offer per draw; events by their probability. Float64 draws, a "
    "statistical summary; figures rounded to the cent."
)


def _number(d: Decimal) -> Decimal:
    # A Decimal, not text, so a negative driver is not taken for a formula (export.py).
    n = Decimal(plain(d))
    return n if n else Decimal(0)


def _spread_cells(s: Spread | None) -> list[object]:
    if s is None:
        return ["", "", "", ""]
    return [_number(s.p10), _number(s.p50), _number(s.p90), _number(s.mean)]


def estimate_budget_csv(b: Budget) -> str:
    """The estimate's CSV rows (items, then the total) with the budget columns added."""
    est = b.estimate
    # The budget's own P10/P50/P90 replace the plain estimate's likely-total columns.
    # (What the family pays is not simulated by the budget: its columns are left out.)
    cut = ESTIMATE_CSV_COLUMNS.index("p10")
    header = [*ESTIMATE_CSV_COLUMNS[:cut], *BUDGET_CSV_COLUMNS]
    drivers = {d.key: d for d in b.drivers} if b.drivers is not None else None
    if drivers is not None:
        header.append(DRIVER_CSV_COLUMN)
    rows = [r[:cut] for r in estimate_csv_rows(est) if r[3] != "likely"]
    keys = [i.key for i in est.items]
    out: list[list[object]] = []
    for i, row in enumerate(rows):
        if i < len(keys):
            line = b.line(keys[i])
            extra = _spread_cells(line.spread if line else None)
            driver = drivers.get(keys[i]) if drivers is not None else None
            shrink: list[object] = [_number(driver.shrink) if driver else ""]
        else:  # the total row, after what exchange-rate moves add (not a line: no ends)
            if b.fx is not None:
                moved = _fx_row(row, b.fx_note)
                driver = drivers.get(FX_DRIVER) if drivers is not None else None
                out.append(
                    [
                        *moved,
                        *_spread_cells(b.fx),
                        b.draws,
                        b.seed,
                        *(
                            [_number(driver.shrink) if driver else ""]
                            if drivers is not None
                            else []
                        ),
                    ]
                )
            extra = _spread_cells(b.total)
            shrink = [""]
        out.append([*row, *extra, b.draws, b.seed, *(shrink if drivers is not None else [])])
    return csv_text(header, out)


def _fx_row(total_row: list[object], note: str) -> list[object]:
    """The exchange-rate moves' row: the total row's scenario and dates, no low or high."""
    row = list(total_row)
    at = ESTIMATE_CSV_COLUMNS.index
    row[at("category")], row[at("item")] = "currency", FX_DRIVER_LABEL
    row[at("low")] = row[at("high")] = row[at("sources")] = ""
    row[at("note")] = note
    return row


def spread_json(s: Spread) -> dict[str, JsonNumber]:
    return {
        "p10": json_number(s.p10),
        "p50": json_number(s.p50),
        "p90": json_number(s.p90),
        "mean": json_number(s.mean),
    }


def budget_json_obj(b: Budget) -> dict[str, Any]:
    """The "budget" object: percentiles of the total, each line and the stay, the
    histogram of totals, how often each event happened, and the drivers when asked."""
    amounts = exported_amounts(b.estimate)  # low and high as the estimate exports them
    return {
        "draws": b.draws,
        "seed": b.seed,
        "detail_draws": b.detail_draws,
        "pathways": list(b.pathways),
        "method": METHOD,
        "total": {**range_json(b.estimate.total), **spread_json(b.total)},
        "you_pay": (
            None
            if b.you_pay is None or b.estimate.you_pay is None
            else {**range_json(b.estimate.you_pay), **spread_json(b.you_pay)}
        ),
        "fx_moves": (None if b.fx is None else {**spread_json(b.fx), "note": b.fx_note}),
        "stay_days": spread_json(b.stay_days),
        "items": [
            {
                "key": line.key,
                "item": line.label,
                **range_json(amounts.get(line.key, line.plain)),
                **spread_json(line.spread),
            }
            for line in b.lines
        ],
        "histogram": {
            "low": json_number(b.histogram.low),
            "high": json_number(b.histogram.high),
            "counts": list(b.histogram.counts),
        },
        "events": [
            {
                "id": e.id,
                "label": e.label,
                "probability": {
                    "low": float(e.probability.low),
                    "typical": float(e.typical),
                    "high": float(e.probability.high),
                },
                "happened": float(e.happened),
            }
            for e in b.events
        ],
        "drivers": (
            None
            if b.drivers is None
            else [
                {
                    "key": d.key,
                    "item": d.label,
                    "narrows_spread_by": json_number(d.shrink),
                    "share": float(d.share),
                    "total_at_p10": json_number(d.at_p10),
                    "total_at_p90": json_number(d.at_p90),
                }
                for d in b.drivers
            ]
        ),
    }


def estimate_budget_json_obj(b: Budget, layers: Sequence[str] = ()) -> dict[str, Any]:
    return {**estimate_json_obj(b.estimate, layers), "budget": budget_json_obj(b)}


def compare_budget_csv(cmp: Comparison, budgets: Sequence[Budget]) -> str:
    """The comparison's CSV with the percentiles of the total and of what the family pays
    on each row (rows in order)."""
    rows = [
        [*row, *_spread_cells(b.total), *_spread_cells(b.you_pay), b.draws, b.seed]
        for row, b in zip(compare_csv_rows(cmp), budgets, strict=True)
    ]
    return csv_text([*COMPARE_CSV_COLUMNS, *COMPARE_BUDGET_CSV_COLUMNS], rows)


def compare_budget_json_obj(
    cmp: Comparison, budgets: Sequence[Budget], layers: tuple[str, ...] = ()
) -> dict[str, Any]:
    obj = compare_json_obj(cmp, layers)
    for row, b in zip(obj["rows"], budgets, strict=True):
        row["budget"] = budget_json_obj(b)
    return obj
