"""When the money is needed: an estimate's costs, week by week from the first consultation.

The journey's phases, at the average days the simulation draws for each (the mean of its
triangle: low, typical, high):

    day 0        first consultation: the work-up starts (flights, visas and the
                 coordinator are paid before travel, so on day 0 too)
    W            work-up done: the cells are collected (leukapheresis) and the product
                 is made, for M days
    A = T - 5    admission for lymphodepleting chemotherapy (the labels' schedule puts
                 it on days -5 to -3 before the infusion; never before W)
    T = W + M    infusion
    D = T + I    discharge after I inpatient days
    H = D + N    home, after N days of monitoring nearby

What falls due, and when:

- one-off hospital items on the day they are done: the work-up on day 0, the
  leukapheresis on W, the chemotherapy at admission; bridging therapy accrues while the
  cells are made;
- the product as the destination's payment terms say (`[countries.<CC>.payment]`):
  before manufacturing (W), at the infusion (T) or after discharge (D);
- the hospital's deposit: a share of the expected ward bill (inpatient stay and
  outpatient visits) at the first visit or at admission; the rest of the stay at
  discharge and the rest of the visits as they happen after it;
- the complications reserve at discharge, with the final bill, if it is needed;
- living (lodging, meals, local transport) and an interpreter as they accrue, evenly
  over the stay;
- the currency conversion and transfer fees with each payment, in proportion to it.

Whose money: the family's. Where someone else pays the providers (the cover at home
for a family treated at home, a scheme that pays the provider directly), their lines
are left out and what the family still owes of them (its share of covered care, the
scheme's unpaid share) falls due at discharge; the schedule then adds up to what the
family pays. Where a scheme pays the family back after treatment, the family pays
every bill first: the schedule is the whole amount, with a note of the refund.

Amounts: each line at the midpoint of its low/high range, scaled so that the lines add
up to the likely total (P50), and again to the P90: the cumulative amount in the last
week is the likely total (or the P90). A schedule, not a simulation of when each journey
pays: it says how soon the money is needed, at the journey's average pace.

Pure: no I/O, no printing. Money is Decimal; rounding to the cent happens in render.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from cartcost import engine, whopays
from cartcost import lines as L
from cartcost.estimation import Estimate, Likely, LineItem
from cartcost.money import Range, total
from cartcost.rates import Duration, Payment, Probability, Rates

WEEK = Decimal(7)
# Lymphodepleting chemotherapy on days -5 to -3 before the infusion (fludarabine and
# cyclophosphamide, as the CAR-T labels schedule it): admission five days before.
LYMPHODEPLETION_LEAD = Decimal(5)
# Where a destination has no [payment] table: the earliest terms among the table's
# sourced destinations, so that planning by them has the money ready in time.
DEFAULT_TERMS = Payment(
    product_due="before-manufacturing",
    sources=(),
    deposit_share=Probability((Decimal(1), Decimal(1)), ()),
    deposit_due="admission",
    note=(
        "assumed: no payment terms in the table for this destination, so the earliest "
        "terms of the destinations that have them: the product paid when it is ordered, "
        "before manufacturing (China), and the whole expected ward bill as a deposit "
        "at admission (US hospitals ask self-paying international patients for the full "
        "estimate in advance)"
    ),
)
WHEN = {
    "first-visit": "first consultation",
    "travel": "before travel",
    "before-manufacturing": "cells collected, before manufacturing",
    "admission": "admission (lymphodepletion)",
    "at-infusion": "infusion",
    "after-discharge": "discharge",
    "discharge": "discharge",
    "bridging": "while the cells are made",
    "stay": "over the stay",
    "visits": "visits after discharge",
}


class Terms(NamedTuple):
    """The destination's payment terms as used: the table's, or DEFAULT_TERMS."""

    product_due: str
    deposit_share: Range | None  # 0..1 of the expected ward bill
    deposit_due: str
    sources: tuple[str, ...]
    note: str
    assumed: bool  # True: no [payment] table; DEFAULT_TERMS used


class Milestones(NamedTuple):
    """Days from the first consultation (averages of the simulated phases)."""

    collection: Decimal  # W: work-up done, cells collected
    admission: Decimal  # A
    infusion: Decimal  # T
    discharge: Decimal  # D
    home: Decimal  # H


class Due(NamedTuple):
    """One payment: a line (or the deposit) due on `first_day`, or accruing evenly from
    `first_day` to `last_day`."""

    key: str
    label: str
    when: str
    first_day: Decimal
    last_day: Decimal
    p50: Decimal
    p90: Decimal


class Week(NamedTuple):
    """Week `number` (1 = the week of the first consultation): days first_day..first_day+6."""

    number: int
    first_day: int
    due: tuple[tuple[str, str, Decimal, Decimal], ...]  # (key, label, p50, p90) due in it
    p50: Decimal
    p90: Decimal
    cumulative_p50: Decimal
    cumulative_p90: Decimal


class Timeline(NamedTuple):
    country: str
    currency: str
    terms: Terms
    milestones: Milestones
    payments: tuple[Due, ...]
    weeks: tuple[Week, ...]
    p50: Decimal  # the totals the amounts add up to
    p90: Decimal
    notes: tuple[str, ...]
    # "family": only the family's own money (someone else pays part of the bills);
    # "total": every bill, all of it the family's to pay (or, where what it pays is not
    # known, the total cost of care, as a note says).
    money: str = "total"


# The family's share of care someone else pays for, as one payment at discharge.
SHARE = "hospital.your-share"
SHARE_LABEL = "Your share of covered care"


class FamilyMoney(NamedTuple):
    """The lines the family pays itself, and whether others pay part of the bills."""

    items: tuple[LineItem, ...]
    family: bool  # True: others pay part; the schedule adds up to what the family pays
    notes: tuple[str, ...]


def family_money(est: Estimate) -> FamilyMoney:
    """What the family itself pays the providers, line by line."""
    who = est.who_pays
    items = tuple(i for i in est.items if i.amount is not None)
    if who is None or (not who.home_pays and who.scheme is None):
        return FamilyMoney(items, False, ())
    if est.you_pay is None:
        return FamilyMoney(
            items,
            False,
            ("what the family pays is not known: the timeline is the total cost of care",),
        )
    if who.home_pays:
        keep = tuple(i for i in items if i.category not in whopays.TREATMENT)
        share = () if who.share is None or not who.share.high else (_share_item(who.share),)
        return FamilyMoney(
            (*keep, *share),
            True,
            (
                "the cover at home pays the treatment: the timeline is the family's own "
                "money" + (", its share of covered care at discharge" if share else ""),
            ),
        )
    scheme = who.scheme_record
    assert scheme is not None and who.scheme is not None
    if scheme.settles != "direct":
        back = who.reimbursed
        upto = f" up to {est.currency} {back.high:,.0f}" if back is not None else ""
        how = (
            f"{who.scheme} pays back{upto} after treatment, if approved: the family pays "
            "every bill first"
            if scheme.settles == "refund"
            else f"whether {who.scheme} pays the provider or pays the family back is not in "
            "the table"
        )
        return FamilyMoney(items, False, (f"{how}, so the timeline is the whole amount",))
    paid = set(whopays.scheme_keys(scheme, [(i.key, i.category) for i in items]))
    keep = tuple(i for i in items if i.key not in paid)
    owed = total(i.amount for i in items if i.key in paid and i.amount is not None)
    rest = whopays.left_to_family(owed, whopays.scheme_share(scheme))
    share = (_share_item(rest),) if rest.high else ()
    return FamilyMoney(
        (*keep, *share),
        True,
        (
            f"{who.scheme} pays the provider directly: the timeline is the family's own "
            "money" + (", its share of the treatment at discharge" if share else ""),
        ),
    )


def _share_item(amount: Range) -> LineItem:
    return LineItem(
        category="hospital", key=SHARE, label=SHARE_LABEL, amount=amount, paid_by="family"
    )


def terms_for(rates: Rates, country: str) -> Terms:
    found = rates.countries[country].payment
    pay = found if found is not None else DEFAULT_TERMS
    share = pay.deposit_share
    return Terms(
        product_due=pay.product_due,
        deposit_share=None if share is None else Range(*share.range),
        deposit_due=pay.deposit_due,
        sources=tuple(dict.fromkeys((*pay.sources, *(share.sources if share is not None else ())))),
        note=pay.note,
        assumed=found is None,
    )


def _mean(d: Duration) -> Decimal:
    low, high = d.range
    typical = d.typical if d.typical is not None else (low + high) / 2
    return (low + typical + high) / 3


def milestones(rates: Rates, est: Estimate) -> Milestones:
    """The phases' average days for the estimate's own scenario and offers."""
    country = rates.countries[est.scenario.country]
    offers = [(o.id, country.offers[o.id]) for o in est.offers]
    p = engine.plan(rates, est.scenario, offers)
    workup = _mean(p.workup)
    manufacturing = sum((_mean(o.manufacturing_days) for _, o in offers), Decimal(0)) / len(offers)
    infusion = workup + manufacturing
    discharge = infusion + _mean(p.inpatient)
    return Milestones(
        collection=workup,
        admission=max(workup, infusion - LYMPHODEPLETION_LEAD),
        infusion=infusion,
        discharge=discharge,
        home=discharge + _mean(p.nearby),
    )


def targets(est: Estimate, family: bool = False) -> tuple[Decimal, Decimal, str]:
    """The P50 and P90 the schedule adds up to, and a note when they are not the one
    likely total: the dearest pathway's, or the plain range's midpoint and high end.
    `family`: of what the family pays (its likely total), not of the total cost."""
    likely: tuple[Likely, ...] = est.you_pay_likely if family else est.likely
    of = "what the family pays" if family else "the total"
    if len(likely) == 1:
        return likely[0].p50, likely[0].p90, ""
    if likely:
        return (
            max(lk.p50 for lk in likely),
            max(lk.p90 for lk in likely),
            f"offers on several pathways: the timeline adds up to the dearest pathway's "
            f"likely {of}",
        )
    span = est.you_pay if family and est.you_pay is not None else est.total
    return (
        (span.low + span.high) / 2,
        span.high,
        f"no simulated total: the timeline adds up to the midpoint and high end of {of}",
    )


def _scaled(items: Sequence[LineItem], total: Decimal) -> dict[str, Decimal]:
    """Each line's midpoint, scaled so the lines add up to `total`."""
    mids = {i.key: (i.amount.low + i.amount.high) / 2 for i in items if i.amount is not None}
    whole = sum(mids.values(), Decimal(0))
    if whole == 0:
        return {k: Decimal(0) for k in mids}
    return {k: v * total / whole for k, v in mids.items()}


def _fees(payments: Sequence[Due], f50: Decimal, f90: Decimal, labels: dict[str, str]) -> list[Due]:
    """The transfer fees, due with the payments they are charged on: in proportion to
    each payment (the money paid at home, such as the flights, is so charged too: a
    little early rather than late)."""
    t50 = sum((d.p50 for d in payments), Decimal(0))
    t90 = sum((d.p90 for d in payments), Decimal(0))
    if not (f50 or f90) or not (t50 and t90):
        return []
    return [
        Due(
            L.TRANSFER,
            labels[L.TRANSFER],
            d.when,
            d.first_day,
            d.last_day,
            f50 * d.p50 / t50,
            f90 * d.p90 / t90,
        )
        for d in payments
    ]


def schedule(
    rates: Rates,
    est: Estimate,
    p50: Decimal | None = None,
    p90: Decimal | None = None,
    you: tuple[Decimal, Decimal] | None = None,
) -> Timeline:
    """The family's payments by week. `p50`/`p90`: the totals to add up to (a
    --budget's), and `you` its P50 and P90 of what the family pays; by default the
    estimate's likely totals."""
    mine = family_money(est)
    notes: list[str] = list(mine.notes)
    if mine.family and you is not None:
        p50, p90 = you
    elif mine.family or p50 is None or p90 is None:
        p50, p90, note = targets(est, mine.family)
        if note:
            notes.append(note)
    terms = terms_for(rates, est.scenario.country)
    if terms.assumed:
        notes.append(f"payment terms {terms.note}")
    ms = milestones(rates, est)
    at50 = _scaled(mine.items, p50)
    at90 = _scaled(mine.items, p90)
    labels = {i.key: i.label for i in mine.items}
    zero = Decimal(0)

    payments: list[Due] = []

    def due(
        key: str,
        when: str,
        first: Decimal,
        last: Decimal | None = None,
        f50: Decimal = Decimal(1),
        f90: Decimal = Decimal(1),
        label: str = "",
    ) -> None:
        if key not in at50:
            return
        a50, a90 = at50[key] * f50, at90[key] * f90
        if a50 == 0 and a90 == 0:
            return
        payments.append(
            Due(
                key,
                label or labels[key],
                WHEN[when],
                first,
                first if last is None else last,
                a50,
                a90,
            )
        )

    product_day = {
        "before-manufacturing": ms.collection,
        "at-infusion": ms.infusion,
        "after-discharge": ms.discharge,
    }[terms.product_due]
    share = terms.deposit_share
    s50 = zero if share is None else (share.low + share.high) / 2
    s90 = zero if share is None else share.high
    deposit_day = zero if terms.deposit_due == "first-visit" else ms.admission
    ward = ("hospital.inpatient", "hospital.outpatient")
    for key in at50:
        if key == L.TRANSFER:
            continue  # with each payment, below
        if key == L.PRODUCT:
            due(key, terms.product_due, product_day)
        elif key == "hospital.workup":
            due(key, "first-visit", zero)
        elif key == "hospital.apheresis":
            due(key, "before-manufacturing", ms.collection)
        elif key == "hospital.bridging":
            due(key, "bridging", ms.collection, ms.infusion)
        elif key == "hospital.lymphodepletion":
            due(key, "admission", ms.admission)
        elif key == "hospital.inpatient":
            due(
                key,
                "discharge",
                ms.discharge,
                f50=1 - s50,
                f90=1 - s90,
                label=labels[key] + (" (balance)" if share is not None else ""),
            )
        elif key == "hospital.outpatient":
            due(
                key,
                "visits",
                ms.discharge,
                ms.home,
                f50=1 - s50,
                f90=1 - s90,
                label=labels[key] + (" (balance)" if share is not None else ""),
            )
        elif key == L.RESERVE or key.startswith("hospital."):
            due(key, "discharge", ms.discharge)
        elif key.startswith("living.") or key == "services.interpreter":
            due(key, "stay", zero, ms.home)
        else:
            due(key, "travel", zero)  # flights, visas, coordinator; anything else: early
    if share is not None:
        d50 = sum((at50.get(k, zero) for k in ward), zero) * s50
        d90 = sum((at90.get(k, zero) for k in ward), zero) * s90
        if d50 or d90:
            payments.append(
                Due(
                    "hospital.deposit",
                    "Hospital deposit on the expected ward bill",
                    WHEN[terms.deposit_due],
                    deposit_day,
                    deposit_day,
                    d50,
                    d90,
                )
            )
    payments += _fees(payments, at50.get(L.TRANSFER, zero), at90.get(L.TRANSFER, zero), labels)
    payments.sort(key=lambda d: (d.first_day, d.last_day, d.key))
    return Timeline(
        country=est.scenario.country,
        currency=est.currency,
        terms=terms,
        milestones=ms,
        payments=tuple(payments),
        weeks=weeks(payments, ms.home),
        p50=p50,
        p90=p90,
        notes=tuple(notes),
        money="family" if mine.family else "total",
    )


def _overlap(a: Decimal, b: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    return max(Decimal(0), min(b, hi) - max(a, lo))


def weeks(payments: Sequence[Due], home: Decimal) -> tuple[Week, ...]:
    """Each week from the first consultation to the last payment: what falls due in it
    (an accruing payment split by the days of it in the week) and the running totals."""
    last = max([home, *(d.last_day for d in payments), *(d.first_day for d in payments)])
    count = int(last // WEEK) + 1
    out: list[Week] = []
    run50 = run90 = Decimal(0)
    for n in range(count):
        lo, hi = n * WEEK, (n + 1) * WEEK
        found: list[tuple[str, str, Decimal, Decimal]] = []
        for d in payments:
            if d.last_day > d.first_day:
                part = _overlap(d.first_day, d.last_day, lo, hi) / (d.last_day - d.first_day)
            else:
                part = (
                    Decimal(1)
                    if lo <= d.first_day < hi or (n == count - 1 and d.first_day >= hi)
                    else Decimal(0)
                )
            if part > 0:
                found.append((d.key, d.label, d.p50 * part, d.p90 * part))
        w50 = sum((f[2] for f in found), Decimal(0))
        w90 = sum((f[3] for f in found), Decimal(0))
        run50 += w50
        run90 += w90
        out.append(Week(n + 1, n * 7, tuple(found), w50, w90, run50, run90))
    # Trailing weeks with nothing due are dropped (the stay may end on a week boundary).
    while len(out) > 1 and not out[-1].due:
        out.pop()
    return tuple(out)
