"""CSV and JSON exports of a comparison. Amounts are rounded to the cent here, nowhere
earlier; saving is home total minus row total (positive = cheaper than home).

CSV is wide: one row per compared country (or product), every figure a low and a high
column. Countries not offered or skipped are not rows (JSON lists them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cartcost.comparison import Comparison, Delta, Row
from cartcost.estimation import CATEGORIES
from cartcost.exports.csvjson import (
    LIKELY_CSV_COLUMNS,
    SCENARIO_CSV_COLUMNS,
    bool_text,
    csv_text,
    item_json,
    likely_json,
    range_json,
    scenario_csv_cells,
)
from cartcost.exports.fmt import (
    JsonNumber,
    exported_amounts,
    exported_subtotals,
    json_number,
    plain,
)
from cartcost.money import Range

_PAIRS = (
    "product",
    "hospital",
    "living",
    "travel",
    "services",
    "total",
    "you_pay",
    "saving_vs_home",
    "stay_days",
    "days_to_infusion",
)

COMPARE_CSV_COLUMNS = (
    "rank",
    "country",
    "country_name",
    "products",
    "home",
    "currency",
    *(f"{name}_{end}" for name in _PAIRS for end in ("low", "high")),
    "fx_as_of",
    "data_as_of",
    "indication",
    *SCENARIO_CSV_COLUMNS,
    *LIKELY_CSV_COLUMNS,
)


def _row_context(row: Row) -> list[object]:
    """The row's own scenario (its country's choices, as resolved there) and its likely
    total; with offers on several pathways, none (estimate -F csv has each)."""
    est = row.estimate
    cells = [est.scenario.indication, *scenario_csv_cells(est.scenario)]
    if len(est.likely) == 1:
        lk = est.likely[0]
        return [*cells, _number(lk.p10), _number(lk.p50), _number(lk.p90)]
    return [*cells, "", "", ""]


def _number(d: Decimal) -> Decimal:
    # A Decimal, not text: csv_text neutralises text starting with "-" (a formula to a
    # spreadsheet), which would spoil a negative saving. str() of it equals plain(d).
    n = Decimal(plain(d))
    return n if n else Decimal(0)  # never "-0" for a saving that rounds to nothing


def _pair(r: Range | Delta | None) -> list[object]:
    return ["", ""] if r is None else [_number(r.low), _number(r.high)]


def _products(row: Row) -> str:
    return ";".join(row.products)


def compare_csv_rows(cmp: Comparison) -> list[list[object]]:
    rows: list[list[object]] = []
    for row in cmp.rows:
        s = exported_subtotals(row)
        rows.append(
            [
                row.rank,
                row.country,
                row.country_name,
                _products(row),
                bool_text(row.is_home),
                cmp.currency,
                *_pair(s.get("product")),
                *_pair(s.get("hospital")),
                *_pair(s.get("living")),
                *_pair(s.get("travel")),
                *_pair(s.get("services")),
                *_pair(row.total),
                *(
                    _pair(row.estimate.you_pay)
                    if row.estimate.you_pay is not None
                    else ["unknown", "unknown"]
                ),
                *_pair(row.vs_home),
                *_pair(row.stay_days),
                *_pair(row.days_to_infusion),
                cmp.fx_as_of.isoformat(),
                cmp.data_as_of.isoformat(),
                *_row_context(row),
            ]
        )
    return rows


def compare_csv(cmp: Comparison) -> str:
    return csv_text(COMPARE_CSV_COLUMNS, compare_csv_rows(cmp))


def _delta_json(d: Delta) -> dict[str, JsonNumber]:
    return {"low": json_number(d.low), "high": json_number(d.high)}


def _row_json(cmp: Comparison, row: Row) -> dict[str, Any]:
    est = row.estimate
    subtotals = exported_subtotals(row)
    amounts = exported_amounts(est)
    vs_home: dict[str, Any] | None = None
    if row.vs_home is not None:
        vs_home = {"against": cmp.home, "saving": _delta_json(row.vs_home)}
    return {
        "rank": row.rank,
        "country": row.country,
        "country_name": row.country_name,
        "product": row.product,
        "products": [
            {"product": p, "brand": b} for p, b in zip(row.products, row.brands, strict=True)
        ],
        "home": row.is_home,
        "subtotals": {
            c: (range_json(v) if (v := subtotals.get(c)) is not None else None) for c in CATEGORIES
        },
        "total": range_json(row.total),
        "you_pay": range_json(est.you_pay) if est.you_pay is not None else None,
        "you_pay_likely": likely_json(est, you=True),
        "stay_days": range_json(row.stay_days),
        "days_to_infusion": range_json(row.days_to_infusion),
        "vs_home": vs_home,
        "choices": est.choices.to_dict() if est.choices is not None else None,
        "likely": likely_json(est),
        "items": [item_json(i, amounts.get(i.key)) for i in est.items],
        "notes": list(est.notes),
    }


def compare_json_obj(cmp: Comparison, layers: tuple[str, ...] = ()) -> dict[str, Any]:
    sc = cmp.scenario
    return {
        "currency": cmp.currency,
        "fx_as_of": cmp.fx_as_of.isoformat(),
        "data_as_of": cmp.data_as_of.isoformat(),
        "scenario": {
            "indication": sc.indication,
            "products": list(sc.products),
            "from": sc.origin,
            "caregivers": sc.caregivers,
            "currency": sc.currency,
            "lives_nearby": sc.lives_nearby,
            "pathways": list(sc.pathways),
            "countries": list(cmp.asked) if cmp.asked is not None else None,
            "cover": sc.cover,
            "perspective": sc.perspective,
            "reimbursement": sc.reimbursement,
            "income": json_number(sc.income) if sc.income is not None else None,
            "by": cmp.by,
            "sort": cmp.sort,
        },
        "home": cmp.home,
        "perspective": cmp.perspective,
        "saving_sign": (
            f"saving = home - row, of {cmp.perspective} costs; positive = cheaper than home"
        ),
        "layers": list(layers),
        "rows": [_row_json(cmp, r) for r in cmp.rows],
        "not_offered": list(cmp.not_offered),
        "skipped": [
            {
                "country": s.country,
                "product": s.product,
                "reason": s.reason,
                "hint": s.hint,
            }
            for s in cmp.skipped
        ],
        "notes": list(cmp.notes),
        "disclaimer": cmp.disclaimer,
    }
