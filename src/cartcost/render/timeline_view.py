"""The payment timeline (timeline.py) as a terminal table, CSV and JSON. No arithmetic
but rounding for display: the schedule and its running totals come from the core."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cartcost.exports.fmt import days, json_number, plain, whole
from cartcost.rates import Source
from cartcost.timeline import Timeline, Week

TIMELINE_CSV_COLUMNS = (
    "country",
    "week",
    "first_day",
    "last_day",
    "due",
    "p50",
    "p90",
    "cumulative_p50",
    "cumulative_p90",
    "currency",
    "money",
)

PRODUCT_DUE_TEXT = {
    "before-manufacturing": "the product is paid before it is manufactured",
    "at-infusion": "the product is paid at the infusion",
    "after-discharge": "the product is paid with the final bill, after discharge",
}


def terms_text(tl: Timeline) -> str:
    """The payment terms in one sentence."""
    t = tl.terms
    parts = [PRODUCT_DUE_TEXT.get(t.product_due, t.product_due)]
    if t.deposit_share is not None:
        lo, hi = (
            f"{(x * 100).normalize():f}%" for x in (t.deposit_share.low, t.deposit_share.high)
        )
        share = lo if lo == hi else f"{lo}–{hi}"
        at = "at the first visit" if t.deposit_due == "first-visit" else "at admission"
        parts.append(f"the hospital takes a deposit of {share} of the expected ward bill {at}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + (" (assumed)" if t.assumed else "") + "."


def milestone_rows(tl: Timeline) -> list[tuple[str, str]]:
    m = tl.milestones
    return [
        ("First consultation (work-up starts)", "day 0"),
        ("Cells collected and manufacturing starts", f"day {days(m.collection)}"),
        ("Admission for lymphodepletion", f"day {days(m.admission)}"),
        ("Infusion", f"day {days(m.infusion)}"),
        ("Discharge", f"day {days(m.discharge)}"),
        ("Home", f"day {days(m.home)}"),
    ]


LIVING = "Living: lodging, meals, local transport"


def due_labels(week: Week) -> list[str]:
    """What falls due in a week, largest first; the living lines, which accrue every
    week, as one."""
    out: list[str] = []
    for key, label, _, _ in sorted(week.due, key=lambda d: -d[2]):
        shown = LIVING if key.startswith("living.") else label
        if shown not in out:
            out.append(shown)
    return out


def due_text(week: Week) -> str:
    return "; ".join(due_labels(week))


def timeline_table(tl: Timeline) -> Any:
    """A Rich renderable: the week-by-week table and its notes."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    ccy = tl.currency
    table = Table(
        title=Text(f"When the money is needed ({ccy}), week by week from the first consultation"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column(Text("Week"), justify="right", no_wrap=True)
    table.add_column(Text("What falls due"), ratio=1, min_width=20, overflow="fold")
    table.add_column(Text("P50"), justify="right", no_wrap=True)
    table.add_column(Text("P90"), justify="right", no_wrap=True)
    table.add_column(Text("To date P50"), justify="right", no_wrap=True)
    table.add_column(Text("To date P90"), justify="right", no_wrap=True)
    for w in tl.weeks:
        table.add_row(
            Text(str(w.number)),
            Text(due_text(w)),
            Text(whole(w.p50)),
            Text(whole(w.p90)),
            Text(whole(w.cumulative_p50)),
            Text(whole(w.cumulative_p90)),
        )
    lines = [
        Text(
            "Milestones: "
            + ", ".join(f"{what.lower()} {when}" for what, when in milestone_rows(tl)[1:])
        ),
        Text("Terms: " + terms_text(tl)),
        Text(scaling_text(tl)),
    ]
    lines += [Text("Note: " + n, style="yellow") for n in tl.notes]
    return Group(table, *lines)


def scaling_text(tl: Timeline) -> str:
    whose = "what the family pays" if tl.money == "family" else "the total"
    return (
        f"Each line at the midpoint of its range, scaled to add up to {whose} at its P50 and "
        "at its P90; living accrues evenly over the stay."
    )


def timeline_csv_rows(tl: Timeline) -> list[list[object]]:
    return [
        [
            tl.country,
            w.number,
            w.first_day,
            w.first_day + 6,
            due_text(w),
            plain(w.p50),
            plain(w.p90),
            plain(w.cumulative_p50),
            plain(w.cumulative_p90),
            tl.currency,
            tl.money,
        ]
        for w in tl.weeks
    ]


def timeline_csv(tl: Timeline) -> str:
    from cartcost.exports.csvjson import csv_text

    return csv_text(TIMELINE_CSV_COLUMNS, timeline_csv_rows(tl))


def timeline_json_obj(tl: Timeline, sources: Mapping[str, Source] | None = None) -> dict[str, Any]:
    t, m = tl.terms, tl.milestones
    return {
        "currency": tl.currency,
        "money": tl.money,
        "p50": json_number(tl.p50),
        "p90": json_number(tl.p90),
        "terms": {
            "product_due": t.product_due,
            "deposit_share": (
                None
                if t.deposit_share is None
                else {"low": float(t.deposit_share.low), "high": float(t.deposit_share.high)}
            ),
            "deposit_due": t.deposit_due,
            "sources": list(t.sources),
            "note": t.note,
            "assumed": t.assumed,
        },
        "milestones": {name: float(days(getattr(m, name))) for name in m._fields},
        "payments": [
            {
                "key": d.key,
                "item": d.label,
                "when": d.when,
                "first_day": float(days(d.first_day)),
                "last_day": float(days(d.last_day)),
                "p50": json_number(d.p50),
                "p90": json_number(d.p90),
            }
            for d in tl.payments
        ],
        "weeks": [
            {
                "week": w.number,
                "first_day": w.first_day,
                "due": [
                    {"key": key, "item": label, "p50": json_number(a), "p90": json_number(b)}
                    for key, label, a, b in w.due
                ],
                "p50": json_number(w.p50),
                "p90": json_number(w.p90),
                "cumulative_p50": json_number(w.cumulative_p50),
                "cumulative_p90": json_number(w.cumulative_p90),
            }
            for w in tl.weeks
        ],
        "notes": list(tl.notes),
    }
