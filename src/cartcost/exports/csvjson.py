"""CSV and JSON exports of estimates: plain numbers, stable order, safe to open.

Amounts are rounded to the cent here and nowhere earlier. JSON amounts are numbers.
CSV text cells that a spreadsheet would run as a formula are neutralised (OWASP).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cartcost.estimation import Estimate, LineItem
from cartcost.exports.fmt import ExactNumber, JsonNumber, exported_amounts, json_number, plain
from cartcost.money import Range
from cartcost.scenario import DEFAULT_PATHWAYS, Scenario

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

# What every row of an estimate's or comparison's CSV repeats, so that a file lifted out
# of context still says what it answers: the scenario's fields beyond those in the row
# (and the dates of the FX rates and of the data).
SCENARIO_CSV_COLUMNS = (
    "from",
    "caregivers",
    "lives_nearby",
    "pathways",
    "hospital",
    "living",
    "city",
    "age",
    "cover",
    "perspective",
    "transfer",
)
LIKELY_CSV_COLUMNS = ("p10", "p50", "p90")
DATE_CSV_COLUMNS = ("fx_as_of", "data_as_of")

ESTIMATE_CSV_COLUMNS = (
    "country",
    "indication",
    "product",
    "category",
    "item",
    "low",
    "high",
    "currency",
    "sources",
    "note",
    *SCENARIO_CSV_COLUMNS,
    *DATE_CSV_COLUMNS,
    *LIKELY_CSV_COLUMNS,
    "paid_by",
    "basis",
    "you_pay_low",
    "you_pay_high",
    "you_pay_p50",
    "you_pay_p90",
)


def safe_cell(text: str) -> str:
    """Prefix a quote to text a spreadsheet would treat as a formula (CWE-1236).

    A carriage return becomes a line feed: the writer ends lines with LF, so it quotes
    a cell holding LF but not one holding a bare CR, which a spreadsheet would take as
    a row break, starting a new row (and maybe a formula) inside the text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(c) if isinstance(c, str) else c for c in row])
    return buf.getvalue()


def bool_text(value: bool) -> str:
    """A boolean as every export writes it (JSON's spelling)."""
    return "true" if value else "false"


def scenario_csv_cells(sc: Scenario) -> list[object]:
    """The SCENARIO_CSV_COLUMNS of a (resolved) scenario; pathways as applied."""
    return [
        sc.origin or "",
        sc.caregivers,
        bool_text(sc.lives_nearby),
        ";".join(sc.pathways or DEFAULT_PATHWAYS),
        sc.hospital or "",
        sc.living or "",
        sc.city or "",
        "" if sc.age is None else sc.age,
        sc.cover or "",
        sc.perspective or "",
        sc.transfer or "",
    ]


def _products(est: Estimate) -> str:
    return ";".join(dict.fromkeys(o.product for o in est.offers))


def estimate_csv_rows(est: Estimate) -> list[list[object]]:
    sc = est.scenario
    context = [*scenario_csv_cells(sc), est.fx_as_of.isoformat(), est.data_as_of.isoformat()]
    amounts = exported_amounts(est)
    rows: list[list[object]] = []
    blank = ["", "", ""]
    for item in est.items:
        amount = amounts.get(item.key)
        rows.append(
            [
                sc.country,
                sc.indication,
                _products(est),
                item.category,
                item.label,
                plain(amount.low) if amount else "",
                plain(amount.high) if amount else "",
                est.currency,
                ";".join(item.sources),
                item.note if item.amount else f"not included: {item.note}",
                *context,
                *blank,
                item.paid_by if item.amount else "",
                item.basis,
                *blank[:2],
                *blank[:2],
            ]
        )
    single = est.likely[0] if len(est.likely) == 1 else None
    rows.append(
        [
            sc.country,
            sc.indication,
            _products(est),
            "total",
            "Total",
            plain(est.total.low),
            plain(est.total.high),
            est.currency,
            "",
            "",
            *context,
            *(
                [plain(single.p10), plain(single.p50), plain(single.p90)]
                if single is not None
                else blank
            ),
            "",
            "",
            *_you_cells(est),
        ]
    )
    if len(est.likely) > 1:
        # Offers on several pathways: a likely total for each, never their average.
        for lk in est.likely:
            rows.append(
                [
                    sc.country,
                    sc.indication,
                    _products(est),
                    "likely",
                    f"Likely total, {lk.pathway} offers",
                    "",
                    "",
                    est.currency,
                    "",
                    f"{lk.draws} simulated journeys, seed {lk.seed}",
                    *context,
                    plain(lk.p10),
                    plain(lk.p50),
                    plain(lk.p90),
                    "",
                    "",
                    "",
                    "",
                    *(
                        [plain(y.p50), plain(y.p90)]
                        if (y := _you_for(est, lk.pathway)) is not None
                        else ["", ""]
                    ),
                ]
            )
    return rows


def _you_for(est: Estimate, pathway: str | None) -> Any:
    return next((y for y in est.you_pay_likely if y.pathway == pathway), None)


def _you_cells(est: Estimate) -> list[object]:
    """What the family pays, on the total row: low, high ('unknown' when not known), and
    its likely total (P50, P90) when there is one."""
    if est.you_pay is None:
        return ["unknown", "unknown", "", ""]
    you = est.you_likely_single
    return [
        plain(est.you_pay.low),
        plain(est.you_pay.high),
        *([plain(you.p50), plain(you.p90)] if you is not None else ["", ""]),
    ]


def estimate_csv(est: Estimate) -> str:
    return csv_text(ESTIMATE_CSV_COLUMNS, estimate_csv_rows(est))


def range_json(r: Range) -> dict[str, JsonNumber]:
    return {"low": json_number(r.low), "high": json_number(r.high)}


def scenario_json(est: Estimate) -> dict[str, Any]:
    sc = est.scenario
    return {
        "country": sc.country,
        "indication": sc.indication,
        "products": list(sc.products),
        "from": sc.origin,
        "caregivers": sc.caregivers,
        "currency": sc.currency,
        "lives_nearby": sc.lives_nearby,
        "pathways": list(sc.pathways),
        "hospital": sc.hospital,
        "living": sc.living,
        "city": sc.city,
        "age": sc.age,
        "cover": sc.cover,
        "perspective": sc.perspective,
        "reimbursement": sc.reimbursement,
        "income": json_number(sc.income) if sc.income is not None else None,
        "transfer": sc.transfer,
    }


def item_json(item: LineItem, amount: Range | None = None) -> dict[str, Any]:
    """An item as JSON; `amount` is its amount as exported (exported_amounts)."""
    amount = amount or item.amount
    out: dict[str, Any] = {
        "category": item.category,
        "key": item.key,
        "item": item.label,
        "included": item.amount is not None,
        "low": json_number(amount.low) if amount else None,
        "high": json_number(amount.high) if amount else None,
        "sources": list(item.sources),
        "note": item.note,
        "paid_by": item.paid_by if item.amount else None,
        "basis": item.basis or None,
    }
    if item.native is not None:
        out["native"] = {**range_json(item.native), "currency": item.native_currency}
    if item.quantity is not None:
        out["quantity"] = {**range_json(item.quantity), "unit": item.unit}
    return out


def estimate_json_obj(est: Estimate, layers: Sequence[str] = ()) -> dict[str, Any]:
    amounts = exported_amounts(est)
    return {
        "scenario": scenario_json(est),
        "country_name": est.country_name,
        "currency": est.currency,
        "fx_as_of": est.fx_as_of.isoformat(),
        "data_as_of": est.data_as_of.isoformat(),
        "layers": list(layers),
        "products": [
            {
                "id": o.id,
                "product": o.product,
                "brand": o.brand,
                "pathway": o.pathway,
                "price": {**range_json(o.price), "currency": o.currency},
                "manufacturing_days": range_json(o.manufacturing_days),
            }
            for o in est.offers
        ],
        "product_low": est.product_low,
        "product_high": est.product_high,
        "items": [item_json(i, amounts.get(i.key)) for i in est.items],
        "total": range_json(est.total),
        "you_pay": range_json(est.you_pay) if est.you_pay is not None else None,
        "who_pays": who_pays_json(est),
        "stay_days": range_json(est.stay_days),
        "days_to_infusion": range_json(est.days_to_infusion),
        "choices": est.choices.to_dict() if est.choices is not None else None,
        "likely": likely_json(est),
        "you_pay_likely": likely_json(est, you=True),
        "complications_worst_case": (
            json_number(est.worst_case) if est.worst_case is not None else None
        ),
        "notes": list(est.notes),
        "disclaimer": est.disclaimer,
    }


def who_pays_json(est: Estimate) -> dict[str, Any] | None:
    """Who pays: the perspective, the family's cover and what it does, the schemes."""
    who = est.who_pays
    if who is None:
        return None
    from cartcost.whopays import PERSPECTIVE_WORDS

    home, rule = who.home, who.home.rule if who.home is not None else None
    return {
        "perspective": who.perspective,
        "measures": PERSPECTIVE_WORDS[who.perspective],
        "cover": who.cover,
        "covered_at_home": home.status if home is not None else None,
        "rule": None
        if rule is None
        else {
            "indication": rule.indication,
            "cover": rule.cover,
            "covered": rule.covered,
            "products": list(rule.products),
            "who": rule.who,
            "note": rule.note,
            "sources": list(rule.sources),
        },
        "abroad": who.abroad,
        "patient_share": range_json(who.share) if who.share is not None else None,
        "reimbursement": None
        if who.scheme is None
        else {
            "scheme": who.scheme,
            "name": who.scheme_name,
            "conditions": list(who.scheme_conditions),
            "pays": range_json(who.reimbursed) if who.reimbursed is not None else None,
            # "direct": to the provider; "refund": back to the family; null: not known.
            "settles": who.scheme_record.settles if who.scheme_record is not None else None,
        },
        "schemes_that_may_apply": list(who.schemes),
    }


def likely_json(est: Estimate, you: bool = False) -> dict[str, Any] | None:
    """{p10, p50, p90, draws, seed}; with offers on several pathways the percentiles are
    given per pathway only (their mix is a total nobody pays). `you`: of what the family
    pays."""
    runs = est.you_pay_likely if you else est.likely
    if not runs:
        return None
    first = runs[0]
    out: dict[str, Any] = {"draws": first.draws, "seed": first.seed}
    if len(runs) == 1:
        out.update(
            p10=json_number(first.p10), p50=json_number(first.p50), p90=json_number(first.p90)
        )
    else:
        out.update(p10=None, p50=None, p90=None)
        out["by_pathway"] = [
            {
                "pathway": lk.pathway,
                "p10": json_number(lk.p10),
                "p50": json_number(lk.p50),
                "p90": json_number(lk.p90),
            }
            for lk in runs
        ]
    return out


def _exact(value: object) -> str:
    if isinstance(value, ExactNumber):
        return f"\0{value.text}\0"  # a placeholder string, unquoted below
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# The placeholder as json writes it: NUL cannot occur in any other string here (a rate
# table's text and every option are refused with control characters in them).
_PLACEHOLDER = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


def dumps(obj: Mapping[str, Any] | list[Any]) -> str:
    """JSON text; every amount written to the cent, as many digits as it has."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=_exact)
    if "\\u0000" in text:
        text = _PLACEHOLDER.sub(r"\1", text)
    return text + "\n"
