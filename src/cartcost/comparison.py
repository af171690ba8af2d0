"""Many estimates side by side: `estimate()` for each country (or product), ranked.

Pure: no I/O, no printing. Compare does no cost arithmetic of its own: every figure of a
row is the row's Estimate; the only sums here are per-category subtotals of its items and
the saving against home.

Saving vs home (sign convention): ``saving = home - row``, separately at the low end and
at the high end, of what the perspective measures (docs/who-pays.md): what the family
pays (family, the default), the total cost of care (payer), or that plus the income lost
while away (societal). Like is compared with like: under the family perspective the home
row is what a family with that cover pays at home. Positive means the row is cheaper than
treatment at home (a saving), negative means it costs more. Home is the ``--from``
country when it offers the treatment; its row is a domestic estimate (no flights, visas
or services). Rows are ranked by the same measure.

By product, each row is one product in one country, and its saving is against the home
row of the same product (no saving when home does not offer that product).
"""

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from cartcost import pegs, whopays
from cartcost.choices import find_city
from cartcost.errors import NothingMatches, UsageProblem, suggest
from cartcost.estimation import (
    CATEGORIES,
    DISCLAIMER,
    Category,
    Estimate,
    estimate,
    moves_note,
    resolve,
    transfer_note,
    trials_left_out,
    wanted,
)
from cartcost.money import Range, total
from cartcost.rates import Rates
from cartcost.scenario import Scenario

By = Literal["country", "product"]
Sort = Literal["low", "high", "mid", "days"]
BY_CHOICES: tuple[By, ...] = ("country", "product")
SORT_CHOICES: tuple[Sort, ...] = ("low", "high", "mid", "days")


# Simulated journeys behind each row's likely total: fewer than a single estimate's 400,
# so that comparing every country stays quick (P50/P90 move by about 2-3% from seed to
# seed at this many); `compare --budget` simulates 100,000 per row.
COMPARE_DRAWS = 200


class Delta(NamedTuple):
    """A signed difference at each end of two ranges (not a Range: it may be negative,
    and low may exceed high). Here: home total minus row total; positive = saving."""

    low: Decimal
    high: Decimal


class Subtotals(NamedTuple):
    """A row's items summed per category, in the display currency.

    travel is None when travel was not included (no --from); a category with no items
    (e.g. services at home) is zero.
    """

    product: Range
    hospital: Range
    living: Range
    travel: Range | None
    services: Range
    time: Range | None = None  # time away from work: societal perspective only

    def get(self, category: Category) -> Range | None:
        value: Range | None = getattr(self, category)
        return value


class Row(NamedTuple):
    """One country (or one product in one country) of the comparison."""

    rank: int
    country: str
    country_name: str
    product: str | None  # by product: the product id; by country: None (all offered)
    products: tuple[str, ...]  # product ids that entered the estimate
    brands: tuple[str, ...]  # their display names, same order
    estimate: Estimate
    subtotals: Subtotals
    is_home: bool
    vs_home: Delta | None  # None for the home row and when there is no home to compare

    @property
    def total(self) -> Range:
        return self.estimate.total

    @property
    def measure(self) -> Range | None:
        """What the comparison's perspective counts for this row (None: not known)."""
        return self.estimate.measure()

    @property
    def bar(self) -> Range:
        """What the row's range bar spans: what the perspective counts, else the total."""
        found = self.measure
        return found if found is not None else self.total

    @property
    def stay_days(self) -> Range:
        return self.estimate.stay_days

    @property
    def days_to_infusion(self) -> Range:
        return self.estimate.days_to_infusion

    @property
    def key(self) -> str:
        return f"{self.country}:{self.product}" if self.product else self.country


class Skipped(NamedTuple):
    """A country (or product) the table offers but could not estimate, and why."""

    country: str
    country_name: str
    product: str | None
    reason: str
    hint: str = ""


class Comparison(NamedTuple):
    scenario: Scenario  # resolved; its country is meaningless here ("")
    by: By
    sort: Sort
    currency: str
    rows: tuple[Row, ...]
    home: str | None  # the home country code when its row is in the comparison
    asked: tuple[str, ...] | None  # --countries as resolved, or None for "every offering"
    not_offered: tuple[str, ...]  # considered countries without an offer for the question
    skipped: tuple[Skipped, ...]
    scale: Range  # lowest low to highest high of the totals over all rows
    fx_as_of: date
    data_as_of: date
    notes: tuple[str, ...] = ()
    disclaimer: str = DISCLAIMER
    perspective: str = "family"
    # The common scale of the range bars: lowest low to highest high of the rows' bars
    # (what the perspective counts: what the family pays, by default).
    bar_scale: Range | None = None

    @property
    def bars(self) -> Range:
        """The range bars' common scale."""
        return self.bar_scale if self.bar_scale is not None else self.scale

    @property
    def bars_family(self) -> bool:
        """The bars show what the family pays, and some row's differs from its total."""
        return self.perspective == "family" and any(r.bar != r.total for r in self.rows)

    def to_dict(self, layers: Sequence[str] = ("<embedded>",)) -> dict[str, Any]:
        """What `cartcost compare -F json` writes, as plain JSON data."""
        import json

        from cartcost.exports.compare import compare_json_obj
        from cartcost.exports.csvjson import dumps

        found: dict[str, Any] = json.loads(dumps(compare_json_obj(self, tuple(layers))))
        return found


# ---------------------------------------------------------------- resolving the question


def resolve_base(rates: Rates, base: Scenario) -> Scenario:
    """Normalise everything but the destination; UsageProblem names what is unknown."""
    return resolve(rates, base, with_destination=False)


# Common codes that are not ISO 3166 alpha-2, for hints only.
_ALIASES = {"UK": "GB", "EL": "GR"}


def resolve_countries(rates: Rates, codes: Sequence[str]) -> tuple[str, ...]:
    """Country codes (or names) -> codes; every unknown one named at once (exit 2)."""
    by_name = {c.name.upper(): cc for cc, c in rates.countries.items()}
    found: list[str] = []
    unknown: list[str] = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code in rates.countries:
            found.append(code)
        elif code in by_name:
            found.append(by_name[code])
        else:
            unknown.append(raw.strip())
    if unknown:
        hints = []
        for u in unknown:
            alias = _ALIASES.get(u.upper())
            near = (
                f"did you mean {alias}?"
                if alias in rates.countries
                else suggest(u, list(rates.countries))
            )
            hints.append(f"{u}: {near}" if near else f"{u}: no close match")
        listing = ", ".join(repr(u) for u in unknown)
        plural = "countries" if len(unknown) > 1 else "country"
        raise UsageProblem(
            f"unknown {plural} {listing}; known: {', '.join(sorted(rates.countries))}",
            "; ".join(hints),
        )
    return tuple(dict.fromkeys(found))


def offered_products(rates: Rates, country: str, scenario: Scenario) -> tuple[str, ...]:
    """Product ids the country offers for the scenario's indication, products, pathways."""
    c = rates.countries[country]
    return tuple(sorted({o.product for o in c.offers.values() if wanted(o, scenario)}))


def _what(scenario: Scenario) -> str:
    what = scenario.indication
    if scenario.products:
        what += " with " + ", ".join(scenario.products)
    if scenario.pathways:
        what += " on the " + "/".join(scenario.pathways) + " pathway"
    return what


# ---------------------------------------------------------------- the rows


def subtotals(est: Estimate) -> Subtotals:
    """Per-category sums of an estimate's included items."""

    def of(category: Category) -> Range | None:
        items = est.by_category(category)
        included = [i.amount for i in items if i.amount is not None]
        if items and not included:
            return None  # listed but not included (travel without --from)
        return total(included)

    sums = {c: of(c) for c in CATEGORIES}
    zero = Range.of(0)
    return Subtotals(
        product=sums["product"] or zero,
        hospital=sums["hospital"] or zero,
        living=sums["living"] or zero,
        travel=sums["travel"],
        services=sums["services"] or zero,
        time=sums["time"] if est.by_category("time") else None,
    )


def saving(home: Range, row: Range) -> Delta:
    """Home total minus row total at each end: positive = the row saves money."""
    return Delta(home.low - row.low, home.high - row.high)


_UNKNOWN = Range.of(Decimal("1e30"))  # an unknown measure ranks last


def _m(e: Estimate) -> Range:
    return e.measure() or _UNKNOWN


_SORT_KEYS: dict[Sort, Callable[[Estimate], tuple[Decimal, ...]]] = {
    "low": lambda e: (_m(e).low, _m(e).high),
    "high": lambda e: (_m(e).high, _m(e).low),
    "mid": lambda e: (_m(e).mid, _m(e).low),
    "days": lambda e: (e.days_to_infusion.low, e.days_to_infusion.high, _m(e).low),
}


def _brand(rates: Rates, est: Estimate, product: str) -> str:
    for o in est.offers:
        if o.product == product:
            return o.brand
    return rates.products[product].brand


def compare(
    rates: Rates,
    base_scenario: Scenario,
    countries: Sequence[str] | None = None,
    by: By = "country",
    sort: Sort = "low",
) -> Comparison:
    """`estimate()` for each country (or each product in each country), ranked by `sort`.

    countries None means every country that offers the indication (and --product, and
    --pathway). The home country (the origin, when it offers the treatment) is always
    compared. A country whose estimate fails for lack of data (e.g. no flight fare) is
    skipped with the reason; UsageProblem (unknown codes) is raised.
    """
    if by not in BY_CHOICES:
        raise UsageProblem(f"--by must be one of {', '.join(BY_CHOICES)}, got {by!r}")
    if sort not in SORT_CHOICES:
        raise UsageProblem(f"--sort must be one of {', '.join(SORT_CHOICES)}, got {sort!r}")
    base = resolve_base(rates, base_scenario)
    asked = resolve_countries(rates, countries) if countries is not None else None
    if asked is not None and not asked:
        raise UsageProblem("--countries is empty; name at least one country, e.g. CN,US")
    notes: list[str] = []

    if asked is None:
        considered: tuple[str, ...] = tuple(rates.destinations())
    else:
        considered = asked
    offering = [cc for cc in considered if offered_products(rates, cc, base)]
    not_offered = tuple(cc for cc in considered if cc not in offering)
    everywhere = [cc for cc in sorted(rates.countries) if offered_products(rates, cc, base)]
    if not offering:
        if asked is None or not everywhere:
            raise NothingMatches(
                f"no country in the rate table offers {_what(base)}",
                f"countries with an offer for {base.indication}: "
                + (", ".join(everywhere_for(rates, base.indication)) or "none"),
            )
        raise NothingMatches(
            f"none of {', '.join(asked)} offers {_what(base)} in the rate table",
            f"offered in: {', '.join(everywhere)}",
        )

    home: str | None = None
    if base.origin is not None and base.origin in everywhere:
        home = base.origin
        if home not in offering:
            offering.append(home)
            notes.append(f"home ({home}) added to compare against")
    elif base.origin is not None:
        notes.append(
            f"{base.origin} ({rates.countries[base.origin].name}) does not offer "
            f"{_what(base)}: no home row to compare against"
        )
    if base.origin is not None:
        hc = whopays.home_cover(
            rates, base.origin, base.indication, base.products, base.age, base.cover
        )
        text = hc.describe(base.indication)
        notes.append(text[0].upper() + text[1:])
    perspective = whopays.check_perspective(base.perspective)
    notes.append(
        f"ranked by {whopays.PERSPECTIVE_WORDS[perspective]} ({perspective} perspective)"
        + ("; saving vs home compares it with the same at home" if home is not None else "")
    )
    if base.lives_nearby and home is None:
        notes.append("--lives-nearby applies only to the home row; there is none")
    trials = [cc for cc in considered if trials_left_out(rates, base._replace(country=cc))]
    if trials:
        notes.append(
            f"clinical-trial offers left out ({', '.join(trials)}); "
            "--pathway trial compares what they would cost"
        )

    estimates: list[tuple[str, str | None, Estimate]] = []
    skipped: list[Skipped] = []
    no_city: list[str] = []
    no_scheme: list[str] = []
    for cc in offering:
        country_scenario = base._replace(country=cc, lives_nearby=base.lives_nearby and cc == home)
        if base.reimbursement and whopays.scheme_failure(
            rates, base.reimbursement, country_scenario
        ):
            # A scheme is applied only where it may apply; elsewhere, never silently.
            country_scenario = country_scenario._replace(reimbursement=None)
            no_scheme.append(cc)
        if base.city is not None and find_city(rates.countries[cc], base.city) is None:
            # A city is one country's choice: elsewhere the country's usual city.
            country_scenario = country_scenario._replace(city=None)
            no_city.append(cc)
        jobs: list[tuple[str | None, Scenario]]
        if by == "product":
            jobs = [
                (p, country_scenario._replace(products=(p,)))
                for p in offered_products(rates, cc, base)
            ]
        else:
            jobs = [(None, country_scenario)]
        for product, sc in jobs:
            try:
                estimates.append((cc, product, estimate(rates, sc, draws=COMPARE_DRAWS)))
            except NothingMatches as problem:
                skipped.append(
                    Skipped(cc, rates.countries[cc].name, product, problem.message, problem.hint)
                )
    if no_scheme:
        notes.append(
            f"{base.reimbursement} does not apply in {', '.join(no_scheme)}: not applied there"
        )
    if no_city:
        notes.append(
            f"no figures for {base.city} in {', '.join(no_city)}: their usual city is used"
        )
    if not estimates:
        reasons = "; ".join(s.reason for s in skipped)
        raise NothingMatches(f"no country could be estimated: {reasons}")

    key = _SORT_KEYS[sort]
    estimates.sort(key=lambda t: (*key(t[2]), t[0], t[1] or ""))
    home_totals = {
        product: est.measure() for cc, product, est in estimates if home is not None and cc == home
    }
    rows: list[Row] = []
    for rank, (cc, product, est) in enumerate(estimates, start=1):
        is_home = cc == home
        reference = home_totals.get(product)
        products = tuple(dict.fromkeys(o.product for o in est.offers))
        rows.append(
            Row(
                rank=rank,
                country=cc,
                country_name=est.country_name,
                product=product,
                products=products,
                brands=tuple(_brand(rates, est, p) for p in products),
                estimate=est,
                subtotals=subtotals(est),
                is_home=is_home,
                vs_home=None
                if is_home or reference is None or est.measure() is None
                else saving(reference, est.measure() or reference),
            )
        )
    if home is not None and not any(r.is_home for r in rows):
        notes.append(f"home ({home}) could not be estimated: no saving shown")
        home = None
    notes += likely_notes(rows)
    doubts = [
        f"{r.country} {offer.brand} ({offer.id}) {offer.availability}"
        for r in rows
        for offer in r.estimate.offers
        if offer.availability
    ]
    if doubts:
        notes.append("availability: " + "; ".join(doubts) + " (each country's estimate says more)")
    likely = [r.estimate for r in rows if r.estimate.likely]
    moved = moves_note(rates, likely) if likely else None
    if moved is not None:
        notes.append(moved)
    sent = transfer_note(rates, [r.estimate for r in rows])
    if sent is not None:
        notes.append(sent)
    if rates.fx.pegs:
        fixed = pegs.note(rates, set().union(*(pegs.currencies_of(r.estimate) for r in rows)))
        if fixed is not None:
            notes.append(fixed)
    from cartcost.freshness import stale_count_note

    stale = stale_count_note(rates, [row.estimate for row in rows])
    if stale:
        notes.append(stale)
    scale = rows[0].total
    bars = rows[0].bar
    for r in rows[1:]:
        scale = scale.span(r.total)
        bars = bars.span(r.bar)
    first = rows[0].estimate
    return Comparison(
        scenario=base,
        by=by,
        sort=sort,
        currency=first.currency,
        rows=tuple(rows),
        home=home,
        asked=asked,
        not_offered=not_offered,
        skipped=tuple(skipped),
        scale=scale,
        fx_as_of=first.fx_as_of,
        data_as_of=first.data_as_of,
        notes=tuple(notes),
        perspective=perspective,
        bar_scale=bars,
    )


def likely_notes(rows: Sequence[Row]) -> list[str]:
    """The notes on the rows' likely totals (how many journeys; one per pathway), which a
    budget's own percentiles replace."""
    notes = [
        f"likely totals (P50, P90): {COMPARE_DRAWS} simulated journeys per row, seed "
        f"{rows[0].estimate.likely[0].seed if rows[0].estimate.likely else ''}; "
        "an estimate alone draws 400"
    ]
    split = [r for r in rows if len(r.estimate.likely) > 1]
    if split:
        notes.append(
            "* offers on several pathways: a likely total (P50) for each, never their mix: "
            + "; ".join(
                f"{r.country} {' then '.join(str(lk.pathway) for lk in r.estimate.likely)}"
                for r in split
            )
        )
    return notes


def everywhere_for(rates: Rates, indication: str) -> list[str]:
    """Countries offering the indication at all (any product, any pathway)."""
    return sorted(
        cc
        for cc, c in rates.countries.items()
        if any(indication in o.indications for o in c.offers.values())
    )
