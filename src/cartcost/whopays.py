"""Who pays, and which price: cover at home, schemes abroad, the family's share.

The model (docs/who-pays.md):

- A patient treated abroad pays cash: an offer's `cash` price when the table has one,
  else its `price`. Every line is the family's. A scheme of the origin that pays for
  treatment abroad (`[schemes.*]`) is applied only when the scenario names it, and is
  refused, naming the condition it fails, when it cannot apply.
- A patient treated at home is priced at the offer's `price` (a list price or a tariff):
  the total cost of care. Who pays it is the family's cover (`--cover`, else the
  origin's `usual` in `[coverage.<CC>]`): where a rule says the cover pays for the
  indication and product, the treatment lines (product and hospital) are the payer's and
  the family pays the rule's `patient_pays` (and `patient_pays_daily` per inpatient day);
  living costs stay the family's. A rule that says "unknown" makes what the family pays
  unknown.
- Without an origin, the family pays everything at the offer's `price`.

The perspective picks what compare ranks: what the family pays (family), the total cost
of care (payer), or that plus the income the patient and caregivers lose while away
(societal, with a yearly income the user gives).

Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, NamedTuple

from cartcost.errors import UsageProblem, suggest
from cartcost.memo import Memo
from cartcost.money import FxTable, Range
from cartcost.rates import COVERS, CoverRule, Money, Offer, Rates, Scheme

__all__ = ["Scheme", "WhoPays"]

if TYPE_CHECKING:
    from cartcost.scenario import Scenario

Payer = Literal["family", "public", "insurer"]
PAYERS: tuple[Payer, ...] = ("family", "public", "insurer")
Perspective = Literal["family", "payer", "societal"]
PERSPECTIVES: tuple[Perspective, ...] = ("family", "payer", "societal")
DEFAULT_PERSPECTIVE: Perspective = "family"
COVER_CHOICES: tuple[str, ...] = COVERS
# What a cover at home or a scheme abroad pays for: the treatment.
TREATMENT = ("product", "hospital")
# What a scheme that covers travel also pays: fares, visas and lodging.
TRAVEL_KEYS = ("travel.flights", "travel.visa", "living.lodging")
MAX_INCOME = Decimal("1e9")
# A year's income spread over the calendar days of a stay (an assumption: time away is
# counted every day, weekends included, and a year's income over 365 days).
DAYS_A_YEAR = Decimal(365)
PERSPECTIVE_WORDS = {
    "family": "what the family pays out of pocket",
    "payer": "the total cost of care",
    "societal": "the total cost of care and the income lost while away",
}
# Which cover outranks which when several rules match (different products): the family
# would take the covered product.
_RANK = {"yes": 0, "partly": 1, "unknown": 2, "no": 3}


# ---------------------------------------------------------------- checks


def check_cover(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v not in COVER_CHOICES:
        raise UsageProblem(
            f"unknown cover {value!r}; valid: {', '.join(COVER_CHOICES)}",
            suggest(v, list(COVER_CHOICES)),
        )
    return v


def check_perspective(value: str | None) -> Perspective:
    if value is None:
        return DEFAULT_PERSPECTIVE
    v = value.strip().lower()
    for p in PERSPECTIVES:
        if v == p:
            return p
    raise UsageProblem(
        f"unknown perspective {value!r}; valid: {', '.join(PERSPECTIVES)}",
        suggest(v, list(PERSPECTIVES)),
    )


def income_problem(value: object) -> str:
    """Why a yearly income is not acceptable ('' when it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return "a yearly income: a number, e.g. 60000"
    d = Decimal(str(value))
    if not d.is_finite() or d < 0 or d > MAX_INCOME:
        return f"a yearly income from 0 to {MAX_INCOME:,.0f}"
    return ""


def check_income(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    why = income_problem(value)
    if why:
        raise UsageProblem(f"income must be {why}, got {value}")
    return Decimal(value)


def check_scheme_id(rates: Rates, value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v not in rates.schemes:
        raise UsageProblem(
            f"unknown reimbursement scheme {value!r}; valid: "
            + (", ".join(sorted(rates.schemes)) or "none in the rate table"),
            suggest(v, list(rates.schemes)),
        )
    return v


def scheme_failure(rates: Rates, scheme_id: str, scenario: Scenario) -> str:
    """The condition a scheme fails for the scenario ('' when it may apply)."""
    s = rates.schemes[scheme_id]
    if scenario.origin is None:
        return f"{scheme_id} pays for patients from {', '.join(s.origins)}: give the origin"
    if scenario.origin not in s.origins:
        return (
            f"{scheme_id} is for patients from {', '.join(s.origins)}, not from {scenario.origin}"
        )
    if scenario.country == scenario.origin:
        return f"{scheme_id} pays for treatment abroad, not at home in {scenario.origin}"
    if scenario.country not in s.destinations:
        return (
            f"{scheme_id} pays for treatment in {', '.join(s.destinations)}, "
            f"not in {scenario.country}"
        )
    return ""


def check_scheme(rates: Rates, scenario: Scenario) -> None:
    """Refuse a named scheme that cannot apply to the scenario (UsageProblem)."""
    if scenario.reimbursement is None:
        return
    why = scheme_failure(rates, scenario.reimbursement, scenario)
    if why:
        raise UsageProblem(
            f"the scheme {scenario.reimbursement} does not apply: {why}",
            "schemes that may apply: " + (", ".join(schemes_for(rates, scenario)) or "none"),
        )


# schemes_for by the table, the origin and the destination (all scheme_failure reads).
_MAY: Memo[tuple[str, ...]] = Memo()


def schemes_for(rates: Rates, scenario: Scenario) -> list[str]:
    """The schemes the scenario may qualify for (origin and destination in their lists)."""
    key = (id(rates), scenario.origin, scenario.country)
    found = _MAY.get(key, (rates,))
    if found is None:
        found = _MAY.keep(
            key,
            (rates,),
            tuple(sid for sid in sorted(rates.schemes) if not scheme_failure(rates, sid, scenario)),
        )
    return list(found)


def conditions_text(s: Scheme) -> str:
    return "; ".join(s.conditions)


# ---------------------------------------------------------------- prices


def is_abroad(scenario: Scenario) -> bool:
    return scenario.origin is not None and scenario.origin != scenario.country


def priced(offer: Offer, scenario: Scenario, rates: Rates | None = None) -> Offer:
    """The offer at the price this patient pays: the cash price, when the table has one,
    abroad, and at home when the family's cover does not pay for this product (not
    covered, or --cover none): a self-paying patient at a private hospital."""
    cash = offer.prices.get("cash")
    if cash is None or offer.price.basis == "cash":
        return offer
    if is_abroad(scenario) or (rates is not None and _self_paying_at_home(rates, offer, scenario)):
        return offer._replace(price=cash)
    return offer


def _self_paying_at_home(rates: Rates, offer: Offer, scenario: Scenario) -> bool:
    if scenario.origin is None or scenario.origin != scenario.country:
        return False
    home = home_cover(
        rates, scenario.origin, scenario.indication, [offer.product], scenario.age, scenario.cover
    )
    return home.status == "no"


def basis_of(figures: Sequence[Money]) -> str:
    """The basis the figures share ('' when they do not say, or differ)."""
    bases = {m.basis or "" for m in figures}
    return bases.pop() if len(bases) == 1 else ""


# ---------------------------------------------------------------- cover at home


class HomeCover(NamedTuple):
    """What the family's cover at home does for this indication and these products."""

    origin: str
    cover: str  # public | insured | none
    status: str  # yes | no | partly | unknown | not described
    rule: CoverRule | None = None
    described: bool = True  # False: the table has no [coverage] for the origin

    @property
    def payer(self) -> Payer:
        return "public" if self.cover == "public" else "insurer"

    @property
    def pays(self) -> bool:
        return self.status in ("yes", "partly")

    def describe(self, indication: str) -> str:
        where = f"{self.origin}, {self.cover} cover"
        if not self.described:
            return (
                f"at home ({self.origin}): the table does not describe cover there; "
                "counted as none (the family pays)"
            )
        if self.cover == "none":
            return f"at home ({self.origin}), no cover: the family pays"
        if self.rule is None:
            return f"at home ({where}): the table does not say whether {indication} is covered"
        words = {
            "yes": "covered",
            "partly": "partly covered",
            "no": "not covered",
            "unknown": "cover unknown",
        }[self.status]
        text = f"at home ({where}): {indication} {words}"
        if self.status == "unknown" and self.rule.note:
            text += f"; {self.rule.note}"
        return text


def usual_cover(rates: Rates, origin: str) -> str:
    cov = rates.coverage.get(origin)
    return cov.usual if cov is not None else "none"


def home_cover(
    rates: Rates,
    origin: str,
    indication: str,
    products: Sequence[str],
    age: int | None,
    cover: str | None,
) -> HomeCover:
    """The rule of the origin's cover that applies (the best one when products differ)."""
    chosen = cover or usual_cover(rates, origin)
    cov = rates.coverage.get(origin)
    if cov is None and cover is None:
        return HomeCover(origin, "none", "no", described=False)
    if chosen == "none" or cov is None:
        return HomeCover(origin, chosen, "no" if chosen == "none" else "not described")
    found: list[CoverRule] = []
    for rule in cov.rules:
        if rule.indication != indication or rule.cover != chosen:
            continue
        if rule.products and products and not set(rule.products) & set(products):
            continue
        if rule.ages is not None and age is not None and not rule.ages[0] <= age <= rule.ages[1]:
            continue
        found.append(rule)
    if not found:
        return HomeCover(origin, chosen, "not described")
    best = min(found, key=lambda r: _RANK[r.covered])
    return HomeCover(origin, chosen, best.covered, best)


def family_share(
    hc: HomeCover, fx: FxTable, display: str, treatment: Range, inpatient_days: Range
) -> Range | None:
    """What the family pays of covered treatment at home (None: not known)."""
    rule = hc.rule
    if rule is None or rule.patient_pays is None:
        if hc.status == "partly":
            return Range(Decimal(0), treatment.high)
        return None
    m = rule.patient_pays
    share = fx.convert_range(Range(m.range[0], m.range[1]), m.currency, display)
    daily = rule.patient_pays_daily
    if daily is not None:
        days = inpatient_days
        if daily.max_days is not None:
            cap = Decimal(daily.max_days)
            days = Range(min(days.low, cap), min(days.high, cap))
        rate = fx.convert_range(Range(daily.range[0], daily.range[1]), daily.currency, display)
        share = share + rate * days
    return Range(min(share.low, treatment.low), min(share.high, treatment.high))


# ---------------------------------------------------------------- the record


class WhoPays(NamedTuple):
    """Who pays for one estimate, and on what terms."""

    perspective: Perspective
    cover: str | None  # the family's cover at home (None: no origin)
    home: HomeCover | None  # what that cover does for this indication
    abroad: bool
    scheme: str | None = None  # the scheme applied (--reimbursement)
    scheme_name: str = ""
    scheme_conditions: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()  # schemes the scenario may qualify for
    share: Range | None = None  # what the family pays of covered care at home
    reimbursed: Range | None = None  # what the applied scheme pays back
    income: Decimal | None = None
    scheme_record: Scheme | None = None
    scheme_cost: Range | None = None  # what the lines the scheme pays for cost
    scheme_share: Range | None = None  # its share of them (None: not in the table)

    @property
    def home_pays(self) -> bool:
        """Treated at home under a cover that pays for the treatment."""
        return not self.abroad and self.home is not None and self.home.pays


def scheme_share(s: Scheme) -> Range:
    """The share of what it pays for that a scheme pays: its `pays_share`, else anything
    from all (low end of what the family pays) to nothing (high end)."""
    if s.pays_share is not None:
        return Range(s.pays_share.range[0], s.pays_share.range[1])
    return Range(Decimal(0), Decimal(1))


def left_to_family(cost: Range, cut: Range) -> Range:
    """What the family still pays of lines costing `cost` of which a scheme pays the share
    `cut`: at the low end the scheme pays its largest share, at the high end its least."""
    return Range(cost.low * (1 - cut.high), cost.high * (1 - cut.low))


def scheme_row_label(who: WhoPays) -> str:
    """The words for what an applied scheme pays, by how it pays: to the provider, or
    back to the family after it has paid (neither, where the table does not say)."""
    settles = who.scheme_record.settles if who.scheme_record is not None else None
    if settles == "direct":
        return f"Paid by {who.scheme} to the provider if approved (up to)"
    if settles == "refund":
        return f"Paid back by {who.scheme} if approved (up to)"
    return f"Paid by {who.scheme} if approved (up to)"


def scheme_keys(s: Scheme, keys: Sequence[tuple[str, str]]) -> list[str]:
    """The line keys (of (key, category)) a scheme pays for."""
    return [
        k for k, cat in keys if cat in TREATMENT or (s.covers_travel is True and k in TRAVEL_KEYS)
    ]
