"""The cost model: Scenario x Rates -> Estimate. Pure: no I/O, no printing, no state but
a cache of what each rate table's figures become (see _Prepared), which never changes a
result, only how soon it comes.

Phases and their durations (each a low/high range of days):

    work-up -> manufacturing (vein-to-vein) -> inpatient -> nearby monitoring

    days to infusion = work-up + manufacturing
    stay             = work-up + manufacturing + inpatient + nearby

Every line item is computed in the currency its figure was quoted in and converted into
the display currency once, at the end. Totals are exact sums of the converted items.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from cartcost import engine, fxmoves, pegs, whopays
from cartcost import lines as L
from cartcost.aliases import canonical, country_hint, indication_hint
from cartcost.choices import (
    ANY,
    DEFAULT_LIVING,
    DEFAULT_TRANSFER,
    HOSPITAL_KINDS,
    LIVING_CHOICES,
    MAX_PATIENT_AGE,
    MIN_AGE,
    TRANSFER_CHOICES,
    TRANSFER_LABELS,
    Choices,
    age_limit,
    city_keys,
    city_name,
    default_city,
    default_hospital,
    find_city,
    hospital_kinds,
    transfer_fee,
)
from cartcost.errors import NothingMatches, UsageProblem, suggest
from cartcost.lines import CATEGORIES, Category
from cartcost.memo import BOUND, Memo
from cartcost.money import FxTable, Range, total
from cartcost.rates import Country, Event, Offer, Probability, Rates, Transfers
from cartcost.scenario import DEFAULT_PATHWAYS, Scenario

__all__ = ["CATEGORIES", "Category", "Estimate", "LineItem", "estimate"]

DISCLAIMER = (
    "An estimate from published figures, not a quote: prices change after examination, "
    "and a hospital's own quote is what you pay."
)
DEFAULT_CURRENCY = "USD"


class LineItem(NamedTuple):
    """One cost, low/high, in the display currency, with how it was built and from what.

    amount None means "not included" (e.g. travel when no origin was given); note says why.
    """

    category: Category
    key: str
    label: str
    amount: Range | None
    native: Range | None = None
    native_currency: str | None = None
    quantity: Range | None = None
    unit: str = ""
    rate: Range | None = None
    sources: tuple[str, ...] = ()
    note: str = ""
    figure_paths: tuple[str, ...] = ()
    paid_by: str = "family"  # family | public | insurer (whopays.PAYERS)
    basis: str = ""  # the price basis of its figures (list, tariff, cash, ...), '' unsaid

    @property
    def modelled(self) -> str:
        """'modelled fare' when the flights come from the distance model alone (the table
        has no fare for the route), 'fare partly modelled' when a route fare takes one
        end from it; '' for every other line."""
        if self.key != L.FLIGHTS or self.amount is None:
            return ""
        if any(p.startswith("flights.regions.") for p in self.figure_paths):
            return "modelled fare"
        return "fare partly modelled" if FARE_MODEL_SOURCE in self.sources else ""


class OfferChoice(NamedTuple):
    """An offer that entered the estimate."""

    id: str
    product: str
    brand: str
    pathway: str
    price: Range
    currency: str
    manufacturing_days: Range
    on_sale: str = "yes"  # "unknown": approved, no launch found (Offer.on_sale)
    until: date | None = None  # offered until then (Offer.status_until)

    @property
    def availability(self) -> str:
        """'' when nothing is in doubt, else 'until 31 December 2026' or 'not confirmed
        on sale'."""
        if self.until is not None:
            return f"until {long_date(self.until)}"
        return "not confirmed on sale" if self.on_sale == "unknown" else ""


class Likely(NamedTuple):
    """Where the simulated totals fall: P50 is the likely total, P90 what to have to be
    90% sure. `pathway`: the offers' pathway when an estimate shows one per pathway."""

    p10: Decimal
    p50: Decimal
    p90: Decimal
    draws: int
    seed: int
    pathway: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "p10": self.p10,
            "p50": self.p50,
            "p90": self.p90,
            "draws": self.draws,
            "seed": self.seed,
        }
        if self.pathway is not None:
            out["pathway"] = self.pathway
        return out


class Estimate(NamedTuple):
    scenario: Scenario
    currency: str
    items: tuple[LineItem, ...]
    total: Range
    stay_days: Range
    days_to_infusion: Range
    offers: tuple[OfferChoice, ...]
    product_low: str
    product_high: str
    fx_as_of: date
    data_as_of: date
    country_name: str
    origin_name: str | None
    notes: tuple[str, ...] = ()
    disclaimer: str = DISCLAIMER
    choices: Choices | None = None
    likely: tuple[Likely, ...] = ()  # one, or one per pathway when offers span several
    worst_case: Decimal | None = None  # the reserve with every event at its worst at once
    # What the family pays: the family's lines, its share of covered care, less what an
    # applied scheme pays back. None: not known (a cover rule says "unknown").
    you_pay: Range | None = None
    you_pay_likely: tuple[Likely, ...] = ()  # the likely total for what the family pays
    who_pays: whopays.WhoPays | None = None

    @property
    def you_likely_single(self) -> Likely | None:
        """The likely total of what the family pays, when there is one (one pathway)."""
        return self.you_pay_likely[0] if len(self.you_pay_likely) == 1 else None

    def measure(self, perspective: str | None = None) -> Range | None:
        """What the perspective counts: what the family pays (family), the total cost
        (payer; societal, whose total includes the time away from work)."""
        chosen = perspective or (
            self.who_pays.perspective if self.who_pays is not None else "family"
        )
        if chosen == "family":
            return self.you_pay
        if chosen == "payer":
            return total(i.amount for i in self.items if i.amount is not None and i.key != L.TIME)
        return self.total

    def by_category(self, category: Category) -> list[LineItem]:
        return [i for i in self.items if i.category == category]

    def to_dict(self, layers: Sequence[str] = ("<embedded>",)) -> dict[str, Any]:
        """What `cartcost estimate -F json` writes, as plain JSON data. `layers`: the
        rate-table layers to name (the embedded table alone by default)."""
        import json

        from cartcost.exports.csvjson import dumps, estimate_json_obj

        found: dict[str, Any] = json.loads(dumps(estimate_json_obj(self, layers)))
        return found


# ---------------------------------------------------------------- look-ups and errors


def _listing(codes: Sequence[str]) -> str:
    return ", ".join(codes) if codes else "none"


def check_country(rates: Rates, code: str, what: str = "country") -> Country:
    country = rates.countries.get(code.upper())
    if country is None:
        raise UsageProblem(
            f"unknown {what} {code!r}; known: {_listing(sorted(rates.countries))}",
            country_hint(rates, code),
        )
    return country


def check_indication(rates: Rates, code: str) -> str:
    if code.upper() in rates.indications:
        return code.upper()
    raise UsageProblem(
        f"unknown indication {code!r}; known: "
        + ", ".join(f"{k} ({v.name})" for k, v in sorted(rates.indications.items())),
        indication_hint(rates, code),
    )


def check_currency(rates: Rates, code: str) -> str:
    if code.upper() in rates.fx.rates:
        return code.upper()
    raise UsageProblem(
        f"unknown currency {code!r}; known: {_listing(sorted(rates.fx.rates))}",
        suggest(code, list(rates.fx.rates)),
    )


def check_product(rates: Rates, key: str) -> str:
    if key.lower() in rates.products:
        return key.lower()
    by_brand = {p.brand.lower(): k for k, p in rates.products.items()}
    by_generic = {p.generic.lower(): k for k, p in rates.products.items()}
    for table in (by_brand, by_generic):
        if key.lower() in table:
            return table[key.lower()]
    for country in rates.countries.values():
        for offer in country.offers.values():
            if offer.brand and offer.brand.lower() == key.lower():
                return offer.product
    raise UsageProblem(
        f"unknown product {key!r}; known: {_listing(sorted(rates.products))}",
        suggest(key, [*rates.products, *(p.brand for p in rates.products.values())]),
    )


def countries_offering(rates: Rates, indication: str, products: Sequence[str] = ()) -> list[str]:
    return sorted(
        cc
        for cc, c in rates.countries.items()
        if any(
            indication in o.indications and (not products or o.product in products)
            for o in c.offers.values()
        )
    )


def wanted(offer: Offer, scenario: Scenario) -> bool:
    """Whether an offer answers the scenario: its indication, products, pathways
    (DEFAULT_PATHWAYS, i.e. no clinical trials, when it names none) and, when the age is
    known, the label's age limits."""
    return (
        scenario.indication in offer.indications
        and (not scenario.products or offer.product in scenario.products)
        and offer.pathway in (scenario.pathways or DEFAULT_PATHWAYS)
        and age_fits(offer, scenario)
        and not closed_to(offer, scenario)
    )


def closed_to(offer: Offer, scenario: Scenario) -> bool:
    """Whether the table marks the offer as not open to foreign patients and the patient
    comes from abroad."""
    foreign = scenario.origin is not None and scenario.origin != scenario.country
    return foreign and offer.foreign_patients == "no"


def age_fits(offer: Offer, scenario: Scenario) -> bool:
    limits = offer.age_limits.get(scenario.indication)
    return scenario.age is None or limits is None or limits[0] <= scenario.age <= limits[1]


def age_notes(
    rates: Rates, scenario: Scenario, left_out: Sequence[tuple[str, Offer]] = ()
) -> list[str]:
    """What the patient's age did to the offers (or, without an age, which depend on it).
    `left_out`: offers left out for another reason (not known to be on sale), of which
    their own note speaks: an age limit on them changes nothing."""
    country = rates.countries[scenario.country]
    unaged = scenario._replace(age=None)
    skip = {oid for oid, _ in left_out}
    notes = []
    for oid, o in country.offers.items():
        limits = o.age_limits.get(scenario.indication)
        if limits is None or oid in skip or not wanted(o, unaged):
            continue
        name = o.brand or rates.products[o.product].brand
        if scenario.age is None:
            notes.append(f"{name} ({oid}) is for {age_limit(limits)} for {scenario.indication}")
        elif not age_fits(o, scenario):
            notes.append(
                f"{name} ({oid}) left out: its label is for {age_limit(limits)} "
                f"for {scenario.indication}, the patient is {scenario.age}"
            )
    if scenario.age is None and notes:
        notes.append("give the patient's age to leave out offers they are not eligible for")
    for oid, o in country.offers.items():
        if closed_to(o, scenario) and wanted(o, scenario._replace(origin=None)):
            name = o.brand or rates.products[o.product].brand
            notes.append(f"{name} ({oid}) left out: not open to patients from abroad")
    return notes


def long_date(day: date) -> str:
    """'31 December 2026', on every platform (strftime's %-d is not portable)."""
    return f"{day.day} {day:%B %Y}"


def status_notes(
    rates: Rates, scenario: Scenario, chosen: Sequence[tuple[str, Offer]]
) -> list[str]:
    """What the table knows of the chosen offers' availability: an offer going away (its
    date), an approved product not known to be on sale there."""
    from cartcost.freshness import today

    cc = scenario.country
    notes = []
    for oid, o in chosen:
        name = f"{o.brand or rates.products[o.product].brand} ({oid}) in {cc}"
        if o.status_until is not None:
            when = long_date(o.status_until)
            if o.status_until < today():
                notes.append(f"{name}: offered until {when}; check it still is")
            else:
                notes.append(
                    f"{name}: offered until {when}, then to be withdrawn (check the date "
                    "with the centre)"
                )
        if o.on_sale == "unknown":
            notes.append(
                f"{name}: approved, but no launch, price list or treating hospital was "
                "found; ask the centre whether it is given before planning on it"
            )
    return notes


def trials_left_out(rates: Rates, scenario: Scenario) -> list[str]:
    """Ids of the country's trial offers for the question that the default left out."""
    if scenario.pathways:
        return []
    return [
        oid
        for oid, o in rates.countries[scenario.country].offers.items()
        if o.pathway == "trial" and wanted(o, scenario._replace(pathways=("trial",)))
    ]


def unconfirmed_left_out(rates: Rates, scenario: Scenario) -> list[tuple[str, Offer]]:
    """Offers for the question that are not known to be on sale (on_sale "unknown") and
    that the default leaves out: only when the scenario names no product and another
    offer, known to be on sale, answers it. A price nobody can pay for would only widen
    the estimate (and such prices are mostly assumed)."""
    if scenario.products:
        return []
    country = rates.countries[scenario.country]
    offers = [(oid, o) for oid, o in country.offers.items() if wanted(o, scenario)]
    if all(o.on_sale == "unknown" for _, o in offers):
        return []
    return [(oid, o) for oid, o in offers if o.on_sale == "unknown"]


def unconfirmed_notes(
    rates: Rates, scenario: Scenario, left_out: Sequence[tuple[str, Offer]]
) -> list[str]:
    """A note for each offer unconfirmed_left_out() gave."""
    return [
        f"{o.brand or rates.products[o.product].brand} ({oid}) left out: approved in "
        f"{scenario.country}, but no launch, price list or treating hospital was found; "
        f"--product {o.product} includes it"
        for oid, o in left_out
    ]


def select_offers(
    rates: Rates,
    scenario: Scenario,
    left_out: Sequence[tuple[str, Offer]] | None = None,
) -> list[tuple[str, Offer]]:
    """The offers that answer the scenario; `left_out`: unconfirmed_left_out(), if known."""
    country = rates.countries[scenario.country]
    if left_out is None:
        left_out = unconfirmed_left_out(rates, scenario)
    unsure = {oid for oid, _ in left_out}
    chosen = [
        (oid, o) for oid, o in country.offers.items() if wanted(o, scenario) and oid not in unsure
    ]
    if not chosen:
        what = scenario.indication
        if scenario.products:
            what += " with " + ", ".join(scenario.products)
        if scenario.pathways:
            what += " on the " + "/".join(scenario.pathways) + " pathway"
        elif trials_left_out(rates, scenario):
            raise NothingMatches(
                f"no commercial or academic offer for {what} in {scenario.country} "
                f"({country.name}); only a clinical trial",
                "clinical trials are left out unless asked for: add --pathway trial",
            )
        elsewhere = [
            cc
            for cc in countries_offering(rates, scenario.indication, scenario.products)
            if cc != scenario.country
        ]
        raise NothingMatches(
            f"no offer for {what} in {scenario.country} ({country.name}) in the rate table",
            f"offered in: {_listing(elsewhere)}"
            if elsewhere
            else "no country in the table offers it",
        )
    return chosen


# _offers by all that wanted() reads of a scenario (a question no offer answers is not
# kept: it raises each time).
_Selected = tuple[tuple[tuple[str, Offer], ...], tuple[tuple[str, Offer], ...]]
_OFFERS: Memo[_Selected] = Memo()


def _offers(rates: Rates, scenario: Scenario) -> _Selected:
    """(the offers left out as not known to be on sale, the offers that answer)."""
    foreign = scenario.origin is not None and scenario.origin != scenario.country
    key = (
        id(rates),
        scenario.country,
        scenario.indication,
        scenario.products,
        scenario.pathways,
        scenario.age,
        foreign,
    )
    hit = _OFFERS.get(key, (rates,))
    if hit is not None:
        return hit
    unsure = unconfirmed_left_out(rates, scenario)
    return _OFFERS.keep(
        key, (rates,), (tuple(unsure), tuple(select_offers(rates, scenario, unsure)))
    )


def resolve(rates: Rates, scenario: Scenario, with_destination: bool = True) -> Scenario:
    """Normalise codes and fill defaults; raise UsageProblem naming what is unknown.

    with_destination=False (compare's base question) leaves the destination empty."""
    scenario = canonical(rates, scenario)  # 'UK' is GB, 'myeloma' is MM (aliases.py)
    # Checked as typed, so an error quotes the user's own spelling.
    if with_destination:
        check_country(rates, scenario.country)
    dest = scenario.country.upper() if with_destination else ""
    if scenario.origin:
        check_country(rates, scenario.origin, "origin country")
    origin = scenario.origin.upper() if scenario.origin else None
    indication = check_indication(rates, scenario.indication)
    products = tuple(dict.fromkeys(check_product(rates, p) for p in scenario.products))
    if scenario.caregivers < 0:
        raise UsageProblem(f"caregivers must be 0 or more, got {scenario.caregivers}")
    if scenario.currency:
        currency = check_currency(rates, scenario.currency)
    elif origin is not None:
        currency = rates.countries[origin].currency
    else:
        currency = DEFAULT_CURRENCY
    if scenario.age is not None and not MIN_AGE <= scenario.age <= MAX_PATIENT_AGE:
        raise UsageProblem(
            f"age must be a whole number of years from {MIN_AGE} to {MAX_PATIENT_AGE}, "
            f"got {scenario.age}"
        )
    hospital, living, city = check_choices(rates, dest, scenario)
    cover = whopays.check_cover(scenario.cover)
    perspective = whopays.check_perspective(scenario.perspective)
    reimbursement = whopays.check_scheme_id(rates, scenario.reimbursement)
    income = whopays.check_income(scenario.income)
    if perspective == "societal" and income is None:
        wage = rates.countries[origin].average_wage if origin is not None else None
        if wage is None:
            where = f" for {origin}" if origin is not None else " without --from"
            raise UsageProblem(
                "the societal perspective counts the income lost while away, and the table "
                f"has no average wage{where}: give a yearly income (--income AMOUNT, in "
                "the display currency)"
            )
    # Every field named (NamedTuple._replace costs more than the rest of resolve);
    # tests/test_perf_estimate.py fails if Scenario gains a field this does not name.
    return Scenario(
        country=dest,
        indication=indication,
        products=products,
        origin=origin,
        caregivers=scenario.caregivers,
        currency=currency,
        lives_nearby=scenario.lives_nearby,
        pathways=scenario.pathways,
        hospital=hospital,
        living=living,
        city=city,
        age=scenario.age,
        cover=cover,
        perspective=perspective,
        reimbursement=reimbursement,
        income=income,
        transfer=check_transfer(scenario.transfer) or DEFAULT_TRANSFER,
    )


def check_transfer(value: str | None) -> str | None:
    """Who sends the money abroad, checked: bank, specialist or any (None: not said)."""
    if value is None:
        return None
    found = value.strip().lower()
    if found not in (*TRANSFER_CHOICES, ANY):
        raise UsageProblem(
            f"unknown way of sending money {value!r}; valid: "
            + ", ".join((*TRANSFER_CHOICES, ANY)),
            suggest(found, [*TRANSFER_CHOICES, ANY]),
        )
    return found


def check_choices(
    rates: Rates | None, dest: str, scenario: Scenario
) -> tuple[str | None, str | None, str | None]:
    """The scenario's choices, checked (values anywhere; city against the destination)
    and, with a destination, filled with its defaults."""
    hospital = scenario.hospital.lower() if scenario.hospital else None
    living = scenario.living.lower() if scenario.living else None
    if hospital is not None and hospital not in (*HOSPITAL_KINDS, ANY):
        raise UsageProblem(
            f"unknown kind of hospital {scenario.hospital!r}; valid: "
            + ", ".join((*HOSPITAL_KINDS, ANY)),
            suggest(hospital, [*HOSPITAL_KINDS, ANY]),
        )
    if living is not None and living not in (*LIVING_CHOICES, ANY):
        raise UsageProblem(
            f"unknown way of living {scenario.living!r}; valid: "
            + ", ".join((*LIVING_CHOICES, ANY)),
            suggest(living, [*LIVING_CHOICES, ANY]),
        )
    if not dest or rates is None:
        return hospital, living, scenario.city
    country = rates.countries[dest]
    city = default_city(country)
    if scenario.city is not None:
        found = find_city(country, scenario.city)
        if found is None:
            keys = city_keys(country)
            raise UsageProblem(
                f"no city {scenario.city!r} in the table for {dest} ({country.name}); "
                + (f"valid: {', '.join(keys)}" if keys else "it has no figures by city"),
                suggest(scenario.city.lower(), list(keys)) if keys else "",
            )
        city = found
    return hospital or default_hospital(country), living or DEFAULT_LIVING, city


# ---------------------------------------------------------------- the model

# Draws behind the plain estimate's likely total and the complications reserve: one at a
# time in floats (no NumPy to import). P50 and P90 move by about 1-2% from seed to seed
# at this many; `--budget` draws 100,000.
LIKELY_DRAWS = 400
# The source of the distance model's fares (data/rates.toml): a route fare citing it takes
# an end from the model.
FARE_MODEL_SOURCE = "assume-fare-model"
RESERVE_DRAWS = LIKELY_DRAWS
DEFAULT_SEED = 2026
RESERVE_PERCENTILE = 0.95
_CENT = Decimal("0.01")


def _ends(low: str, high: str) -> str:
    return f"{low} at both ends" if low == high else f"low end {low}, high end {high}"


def _offer_name(rates: Rates, o: Offer) -> str:
    """'Carvykti (cilta-cel)'; a product without a brand yet is named once, as its
    record names it ('satri-cel (CT041)')."""
    brand = o.brand or rates.products[o.product].brand
    return brand if o.product in brand else f"{brand} ({o.product})"


# product_item by the table, the destination, the display currency and each offer's id,
# price figure and name.
_PRODUCTS: Memo[tuple[LineItem, str, str]] = Memo()


def product_item(
    rates: Rates, scenario: Scenario, chosen: Sequence[tuple[str, Offer]], fx: FxTable
) -> tuple[LineItem, str, str]:
    """The product line: the offers' prices, cheapest low to dearest high; and the names
    of the offers at its two ends."""
    owners = (rates, *(o.price for _, o in chosen))
    key = (
        id(rates),
        scenario.country,
        scenario.currency,
        tuple((oid, id(o.price), o.brand, o.product) for oid, o in chosen),
    )
    hit = _PRODUCTS.get(key, owners)
    if hit is not None:
        return hit
    return _PRODUCTS.keep(key, owners, _product_item(rates, scenario, chosen, fx))


def _product_item(
    rates: Rates, scenario: Scenario, chosen: Sequence[tuple[str, Offer]], fx: FxTable
) -> tuple[LineItem, str, str]:
    base = rates.fx.base
    display = scenario.currency
    assert display is not None

    def in_base(amount: Decimal, currency: str) -> Decimal:
        return fx.convert(amount, currency, base)

    _, low_offer = min(chosen, key=lambda x: in_base(x[1].price.range[0], x[1].price.currency))
    _, high_offer = max(chosen, key=lambda x: in_base(x[1].price.range[1], x[1].price.currency))
    if low_offer.price.currency == high_offer.price.currency:
        native_currency = low_offer.price.currency
        native = Range(low_offer.price.range[0], high_offer.price.range[1])
    else:
        native_currency = base
        native = Range(
            in_base(low_offer.price.range[0], low_offer.price.currency),
            in_base(high_offer.price.range[1], high_offer.price.currency),
        )
    sources: list[str] = []
    for _, o in chosen:
        sources += [s for s in o.price.sources if s not in sources]
    names = list(dict.fromkeys(_offer_name(rates, o) for _, o in chosen))
    low_name, high_name = _offer_name(rates, low_offer), _offer_name(rates, high_offer)
    if len(names) == 1:
        label = f"CAR-T product: {names[0]}"
        note = low_offer.price.note if len(chosen) == 1 else ""
    elif len(names) <= 3:
        label = "CAR-T product: " + ", ".join(names)
        note = _ends(low_name, high_name)
    else:
        label = f"CAR-T product: {len(names)} offers"
        note = _ends(low_name, high_name)
    item = LineItem(
        category="product",
        key=L.PRODUCT,
        label=label,
        amount=fx.convert_range(native, native_currency, display),
        native=native,
        native_currency=native_currency,
        sources=tuple(sources),
        note=note,
        figure_paths=tuple(f"countries.{scenario.country}.offers.{oid}.price" for oid, _ in chosen),
    )
    return item, low_name, high_name


# offer_choice by the table, the offer and its price figure (the offer as priced for the
# patient is a copy with another price).
_CHOICES: Memo[OfferChoice] = Memo()


def offer_choice(rates: Rates, oid: str, o: Offer) -> OfferChoice:
    key = (id(rates), oid, id(o.price))
    hit = _CHOICES.get(key, (rates, o.price))
    if hit is not None:
        return hit
    return _CHOICES.keep(key, (rates, o.price), _offer_choice(rates, oid, o))


def _offer_choice(rates: Rates, oid: str, o: Offer) -> OfferChoice:
    return OfferChoice(
        id=oid,
        product=o.product,
        brand=o.brand or rates.products[o.product].brand,
        pathway=o.pathway,
        price=Range(*o.price.range),
        currency=o.price.currency,
        manufacturing_days=Range(*o.manufacturing_days.range),
        on_sale=o.on_sale,
        until=o.status_until,
    )


def _pct(p: Decimal) -> str:
    return f"{(p * 100).normalize():f}"


def event_summary(events: Sequence[tuple[str, Event]]) -> str:
    """'ICU admission 16-35%, ...': each event and its probability range."""
    parts = []
    for _, ev in events:
        low, high = ev.probability.range
        odds = f"{_pct(low)}%" if low == high else f"{_pct(low)}–{_pct(high)}%"
        parts.append(f"{ev.label} {odds}")
    return ", ".join(parts)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """The linear-interpolation quantile (NumPy's default) of sorted values."""
    n = len(sorted_values)
    h = (n - 1) * q
    k = int(h)
    if k + 1 >= n:
        return sorted_values[-1]
    a, b = sorted_values[k], sorted_values[k + 1]
    return a + (b - a) * (h - k)


def _cents(x: float | Decimal) -> Decimal:
    return Decimal(x).quantize(_CENT) + 0


def simulate_small(
    p: engine.Plan, draws: int, seed: int, currency: str, reserve_only: bool = False
) -> tuple[list[float], list[float]]:
    """Totals and reserves of `draws` journeys in `currency` (plain Python floats);
    reserve_only: the reserves alone are wanted (the totals are then the reserves)."""
    pr = engine.prepare(p._replace(display=currency))
    d = engine.draw_small(pr, draws, seed, reserve_only=reserve_only)
    return list(d.total), list(d.lines.get(L.RESERVE, [0.0] * draws))


def _likely(
    totals: list[float],
    draws: int,
    seed: int,
    pathway: str | None,
    fx: FxTable,
    base: str,
    display: str,
) -> Likely:
    ordered = sorted(totals)
    q10, q50, q90 = (
        fx.convert(Decimal(_quantile(ordered, q)), base, display).quantize(_CENT) + 0
        for q in (0.1, 0.5, 0.9)
    )
    return Likely(q10, q50, q90, draws, seed, pathway)


# The reserve's high end is the same P95 for every journey whose complications are
# priced alike: drawn once per (table, what those draws depend on), in the table's base
# currency, and kept (bounded). It is drawn from a plan of its own (_reserve_plan) in
# which nothing the complications do not depend on can change the draws: one neutral
# offer (the product and manufacturing do not enter the reserve) and no visa (a visa a
# longer stay may need is the visa line's, at its high end). The table's records are
# immutable and each entry holds the table itself, so an id is never mistaken for
# another table's.
_RESERVES: dict[tuple[object, ...], tuple[Rates, Decimal]] = {}
_MAX_RESERVES = 8192
# Complications' draws depend on the ward, ICU, day-driven and repeated items' figures.
_RESERVE_FIGURES = frozenset({"hospital.inpatient", *L.DAY_LINES})


def _reserve_plan(p: engine.Plan) -> engine.Plan:
    from cartcost.rates import Duration, Money, Offer

    zero = (Decimal(0), Decimal(0))
    neutral = Offer(
        product="",
        indications=(),
        price=Money(zero, (), p.rates.fx.base),
        manufacturing_days=Duration(zero, ()),
    )
    rp = engine.plan(p.rates, p.scenario, [("", neutral)])
    # Only the lines that price complications are drawn: the others cannot change them.
    return rp._replace(visa=None, lines=_complication_lines(rp))


def _complication_lines(p: engine.Plan) -> tuple[engine.PlanLine, ...]:
    """The plan's lines that price complications: the ward, the day-driven lines and the
    hospital items events repeat."""
    return tuple(
        pl for pl in p.lines if pl.line.key in _RESERVE_FIGURES or pl.line.item in p.repeats
    )


# A line's basis by its figures (the alternatives' tuple, kept per table and choices;
# each entry holds it, so that an id is never another tuple's).
_BASES: dict[int, tuple[tuple[engine.Priced, ...], str]] = {}


def _basis(pl: engine.PlanLine) -> str:
    hit = _BASES.get(id(pl.alts))
    if hit is not None and hit[0] is pl.alts:
        return hit[1]
    found = whopays.basis_of([a.money for a in pl.alts])
    if pl.line.part != "fare":  # a fare's figures are the route's, new to every plan
        if len(_BASES) >= _MAX_RESERVES:
            _BASES.clear()
        _BASES[id(pl.alts)] = (pl.alts, found)
    return found


# _reserve_key by the plan's parts it reads (kept by the engine per table, choices and
# indication).
_RESERVE_KEYS: Memo[tuple[object, ...]] = Memo()


def _reserve_key(p: engine.Plan) -> tuple[object, ...]:
    """What the simulated reserve depends on, read off the estimate's own plan: the
    lines that price complications and their figures (the reserve plan draws no other
    line), the repeated items, the kinds of choice, the caregivers, the events'
    probabilities (which may differ by indication)."""
    parts = (p.rates, p.lines, p.events, p.icu, p.repeats)
    memo = (*map(id, parts), p.combos, p.scenario.caregivers)
    hit = _RESERVE_KEYS.get(memo, parts)
    return hit if hit is not None else _RESERVE_KEYS.keep(memo, parts, _reserve_key_of(p))


def _reserve_key_of(p: engine.Plan) -> tuple[object, ...]:
    return (
        id(p.rates),
        tuple(
            (pl.line.key, *(id(a.money) for a in pl.alts))
            for pl in p.lines
            if pl.line.key in _RESERVE_FIGURES
        ),
        p.combos,
        p.scenario.caregivers,
        tuple((ev.probability.range, ev.probability.typical) for _, ev in p.events),
        tuple(id(f.money) if f else None for f in p.icu),
        tuple((k, *(id(a.money) for a in v)) for k, v in p.repeats.items()),
    )


_WORST: dict[tuple[object, ...], tuple[Rates, Decimal]] = {}


def _worst_case(p: engine.Plan, reserve_key: tuple[object, ...]) -> Decimal:
    """Every event at once, each at its worst, in the display currency (kept per kind of
    journey, as the reserve is: with the durations and the offers' waits, which set how
    much longer the stay gets). `reserve_key`: _reserve_key(p)."""
    key = (
        reserve_key,
        id(p.workup),
        id(p.inpatient),
        id(p.nearby),
        tuple(id(o.manufacturing_days) for _, o in p.offers),
    )
    base = p.rates.fx.base
    found = _WORST.get(key)
    if found is None or found[0] is not p.rates:
        # Worked out in the table's base currency, so that every display currency (and
        # every origin) reuses it, from the lines that price complications only: the
        # reserve is the events' costs and the longer stay on those lines; no other
        # line, nor the visa, enters it.
        wp = p._replace(display=base, visa=None, lines=_complication_lines(p))
        worst = Decimal(engine.worst(engine.prepare(wp)).lines[L.RESERVE])
        if len(_WORST) >= _MAX_RESERVES:
            _WORST.clear()
        found = _WORST[key] = (p.rates, worst)
    return _cents(p.fx.convert(found[1], base, p.display))


def _reserve_p95(p: engine.Plan, key: tuple[object, ...]) -> Decimal:
    """P95 of the simulated complications of RESERVE_DRAWS journeys (seed DEFAULT_SEED),
    in the table's base currency. `key`: _reserve_key(p)."""
    found = _RESERVES.get(key)
    if found is not None and found[0] is p.rates:
        return found[1]
    rp = _reserve_plan(p)
    _, reserves = simulate_small(
        rp, RESERVE_DRAWS, DEFAULT_SEED, p.rates.fx.base, reserve_only=True
    )
    value = Decimal(_quantile(sorted(reserves), RESERVE_PERCENTILE))
    if len(_RESERVES) >= _MAX_RESERVES:
        _RESERVES.clear()
    _RESERVES[key] = (p.rates, value)
    return value


def estimate(
    rates: Rates,
    scenario: Scenario,
    draws: int = LIKELY_DRAWS,
    seed: int = DEFAULT_SEED,
    *,
    narrative: bool = True,
) -> Estimate:
    """Itemised low/high cost of the scenario's journey in its display currency, with the
    likely total (P50, P90) of `draws` simulated journeys (0: none, and the reserve's high
    end is then the worst case).

    narrative=False leaves out what only a reader of the estimate needs (its notes, each
    line's price basis, the reserve's and the transfer fee's explanations): every amount,
    range and choice is the same. Batch summary rows, which show none of them, ask so."""
    scenario = resolve(rates, scenario)
    dest = rates.countries[scenario.country]
    if not dest.is_destination:
        offering = countries_offering(rates, scenario.indication)
        raise NothingMatches(
            f"{scenario.country} ({dest.name}) has no CAR-T data in the rate table: "
            "it can be an origin only",
            f"countries with an offer for {scenario.indication}: {_listing(offering)}",
        )
    assert scenario.currency is not None and scenario.hospital and scenario.living
    assert scenario.city is not None
    whopays.check_scheme(rates, scenario)
    unsure, offers = _offers(rates, scenario)
    chosen = [(oid, whopays.priced(o, scenario, rates)) for oid, o in offers]
    cc = scenario.country
    notes: list[str] = []
    trials = trials_left_out(rates, scenario) if narrative else ()
    if trials:
        notes.append(
            f"a clinical-trial offer ({', '.join(trials)}) is left out; "
            "--pathway trial shows what it would cost"
        )
    if narrative:
        notes += age_notes(rates, scenario, unsure)
        notes += unconfirmed_notes(rates, scenario, unsure)
        notes += status_notes(rates, scenario, chosen)
    kinds = hospital_kinds(dest)
    if scenario.hospital != ANY and kinds and scenario.hospital not in kinds:
        notes.append(
            f"{dest.name}'s figures are for {' and '.join(kinds)} hospitals only: {kinds[0]} used"
        )
        scenario = scenario._replace(hospital=kinds[0])
    if (
        scenario.origin is not None
        and not scenario.domestic
        and rates.fare(scenario.origin, cc) is None
    ):
        raise NothingMatches(
            f"no flight fare from {scenario.origin} to {cc} in the rate table",
            f"add [flights.routes.{scenario.origin}.{cc}] in an overlay (see docs/rates-schema.md)",
        )
    p = engine.plan(rates, scenario, chosen)
    notes += p.notes
    fx = p.fx
    display = scenario.currency
    found, low, high = engine.ends(p)
    product, product_low, product_high = product_item(rates, scenario, chosen, fx)
    if narrative:
        product = product._replace(basis=whopays.basis_of([o.price for _, o in chosen]))
    items: dict[str, LineItem] = {L.PRODUCT: product}
    bases = {pl.line.key: _basis(pl) for pl in p.lines} if narrative else {}
    for e in found:
        items[e.line.key] = _line_item(e, bases.get(e.line.key, ""))
    for key, hint in p.missing:
        line = L.BY_KEY.get(key)
        if key == L.VISA:
            label = "Visas"
        elif key == L.FLIGHTS:
            label = "Return flights"
        else:
            assert line is not None
            label = line.label
        items[key] = LineItem(
            category=line.category if line is not None else "travel",
            key=key,
            label=label,
            amount=None,
            note=hint,
        )

    likely: list[Likely] = []
    you_likely: list[Likely] = []
    worst_case: Decimal | None = None
    who, time_item = _who_pays(rates, scenario, items, low, high)
    pathways = list(dict.fromkeys(o.pathway for _, o in chosen))
    base = rates.fx.base
    assert display is not None
    if draws:
        # Drawn in the table's base currency: percentiles convert exactly.
        runs: list[tuple[str | None, engine.Draws]] = []
        if len(pathways) == 1:
            runs.append((None, _simulate(p, draws, seed, base)))
        else:
            # Offers on different pathways (an academic product at a third of the
            # commercial price) would average into a total nobody pays: one per pathway.
            for way in pathways:
                sub = [(oid, o) for oid, o in chosen if o.pathway == way]
                runs.append((way, _simulate(engine.plan(rates, scenario, sub), draws, seed, base)))
        for pathway, run in runs:
            totals = list(run.total)
            lost = [0.0] * len(totals)
            if time_item is not None:
                lost = _time_draws(run, scenario, time_item, fx, base, seed)
                totals = [t + x for t, x in zip(totals, lost, strict=True)]
            likely.append(_likely(totals, draws, seed, pathway, fx, base, display))
            family = _family_draws(run, who, lost, fx, base, items)
            if family is not None:
                you_likely.append(_likely(family, draws, seed, pathway, fx, base, display))
    if rates.events:
        rkey = _reserve_key(p)
        worst_case = _worst_case(p, rkey)
        reserve_high = fx.convert(_reserve_p95(p, rkey), base, display).quantize(_CENT) + 0
        sources, paths, summary = _reserve_text(p, rkey) if narrative else ((), (), "")
        items[L.RESERVE] = LineItem(
            category="hospital",
            key=L.RESERVE,
            label=L.RESERVE_LABEL,
            amount=Range(Decimal(0), min(reserve_high, worst_case)),
            sources=sources,
            note=(
                f"low = none happens; high = P{int(RESERVE_PERCENTILE * 100)} of "
                f"{RESERVE_DRAWS:,} simulated journeys (every event at its worst at once: "
                f"{worst_case:,.0f} {display}): {summary}"
                if narrative
                else ""
            ),
            figure_paths=paths,
        )
    fee = _transfer_item(p, items, display, narrative)
    if fee is not None:
        items[L.TRANSFER] = fee
    if time_item is not None:
        items[L.TIME] = time_item
    ordered = tuple(_paid(items[k], who) for k in (*L.ORDER, L.TIME) if k in items)
    who = _settle(rates, who, ordered, fx, display)
    you_pay = _you_pay(ordered, who)
    if narrative:
        notes += _who_notes(rates, scenario, who)
    assert scenario.hospital and scenario.living and scenario.city and scenario.currency
    choices = Choices(
        hospital=scenario.hospital,
        living=scenario.living,
        city=scenario.city,
        city_name=city_name(dest, scenario.city),
        age=scenario.age,
        transfer=scenario.transfer or DEFAULT_TRANSFER,
    )
    # The resolved scenario says what was assumed: the cover (the origin's usual when
    # none was given) and the perspective.
    shown_currency = scenario.currency
    scenario = scenario._replace(cover=who.cover, perspective=who.perspective)
    found_est = Estimate(
        scenario=scenario,
        currency=shown_currency,
        items=ordered,
        total=total(i.amount for i in ordered if i.amount is not None),
        stay_days=Range(low.stay, high.stay),
        days_to_infusion=Range(low.to_infusion, high.to_infusion),
        offers=tuple(offer_choice(rates, oid, o) for oid, o in chosen),
        product_low=product_low,
        product_high=product_high,
        fx_as_of=rates.fx.as_of,
        data_as_of=rates.meta.as_of,
        country_name=dest.name,
        origin_name=rates.countries[scenario.origin].name if scenario.origin else None,
        notes=tuple(notes),
        choices=choices,
        likely=tuple(likely),
        worst_case=worst_case,
        you_pay=you_pay,
        you_pay_likely=tuple(you_likely) if you_pay is not None else (),
        who_pays=who,
    )
    if not narrative:
        return found_est
    from cartcost.freshness import freshness_note

    moved = moves_note(rates, [found_est]) if likely else None
    fixed = pegs.note(rates, pegs.currencies_of(found_est)) if rates.fx.pegs else None
    stale = freshness_note(rates, found_est)
    extra = tuple(n for n in (moved, fixed, stale) if n)
    return found_est._replace(notes=(*notes, *extra)) if extra else found_est


# _line_item by the line's ends (kept by the engine per line, days and party) and basis.
_ITEMS: Memo[LineItem] = Memo(4 * BOUND)


def _line_item(e: engine.LineEnds, basis: str) -> LineItem:
    hit = _ITEMS.get((id(e), basis), (e,))
    if hit is not None:
        return hit
    found = LineItem(
        category=e.line.category,
        key=e.line.key,
        label=e.line.label,
        amount=e.amount,
        native=e.native,
        native_currency=e.currency,
        quantity=e.quantity,
        unit=e.line.unit if e.quantity is not None else "",
        rate=e.rate if e.quantity is not None else None,
        sources=e.sources,
        note=e.note,
        figure_paths=e.paths,
        basis=basis,
    )
    return _ITEMS.keep((id(e), basis), (e,), found)


def _transfer_item(
    p: engine.Plan, items: dict[str, LineItem], display: str, narrative: bool = True
) -> LineItem | None:
    """Currency conversion and transfer fees: the fee's share of every line billed in
    another currency than the family's (engine.transfer_ends), None when none is;
    without its note unless `narrative`."""
    transfers = p.rates.transfers
    money = engine.journey_money(p)
    if transfers is None or not money.foreign:
        return None
    choice = p.scenario.transfer or DEFAULT_TRANSFER
    fee, paths = transfer_fee(transfers, choice)
    base = engine.money_sent(p, {k: i.amount for k, i in items.items() if i.amount is not None})
    item = LineItem(
        category="services",
        key=L.TRANSFER,
        label=L.TRANSFER_LABEL,
        amount=engine.transfer_ends(p, base),
        sources=fee.sources,
        figure_paths=paths,
    )
    if not narrative:
        return item
    cheaper = _cheaper(transfers, choice, fee)
    cheaper = f"; {cheaper}: --transfer specialist" if cheaper else ""
    direct = (
        f"; none on what {p.scenario.reimbursement} pays the provider directly"
        if money.direct
        else ""
    )
    low, high = fee.range
    home = money.home
    abroad = sorted({c for key, _, cs in money.lines if key in items for c in cs if c != home})
    return item._replace(
        note=(
            f"{_share(low)}–{_share(high)} of {display} {base.low:,.0f}–{base.high:,.0f} "
            f"paid in {' and '.join(abroad)} from {home} (exchange-rate margin and wire "
            f"fees{direct}{cheaper})"
        )
    )


def _share(x: Decimal) -> str:
    return f"{(x * 100).normalize():f}%"


def moves_note(rates: Rates, ests: Sequence[Estimate]) -> str | None:
    """What the simulated totals of these estimates (one family, one display currency)
    say of exchange-rate moves (fxmoves.note), if anything."""
    first = ests[0]
    home = fxmoves.home_currency(rates, first.scenario.origin, first.currency)
    return fxmoves.note(rates, home, [c for e in ests for c in bill_currencies(rates, e)])


def transfer_note(rates: Rates, ests: Sequence[Estimate]) -> str | None:
    """Who these estimates (one family's choice) assume sends the money abroad, and at
    what share, where any of them sends money abroad; with the bank, what a money-transfer
    provider would charge instead."""
    transfers = rates.transfers
    sending = [
        e for e in ests if e.choices is not None and any(i.key == L.TRANSFER for i in e.items)
    ]
    if transfers is None or not sending:
        return None
    choices = sending[0].choices
    assert choices is not None
    fee, _ = transfer_fee(transfers, choices.transfer)
    who = "any provider" if choices.transfer == ANY else TRANSFER_LABELS[choices.transfer]
    note = f"money sent abroad by {who}: {_share(fee.range[0])}–{_share(fee.range[1])} of it"
    cheaper = _cheaper(transfers, choices.transfer, fee)
    return f"{note}; {cheaper} (--transfer specialist)" if cheaper else note


def _cheaper(transfers: Transfers, choice: str, fee: Probability) -> str:
    """What a money-transfer provider charges, where the family's bank was assumed and a
    provider costs less; "" otherwise."""
    other = transfers.specialist
    if choice != "bank" or other is None or other.range[1] >= fee.range[1]:
        return ""
    return f"a money-transfer provider charges {_share(other.range[0])}–{_share(other.range[1])}"


def bill_currencies(rates: Rates, est: Estimate) -> list[str]:
    """The currencies an estimate's bills abroad are in: each priced line's figures'
    currency but the flights' and visas' (paid at home) and its offers' price currencies
    (what exchange-rate moves act on)."""
    found = [
        i.native_currency
        for i in est.items
        if i.native_currency and i.amount is not None and i.key not in L.PAID_AT_HOME
    ]
    offers = rates.countries[est.scenario.country].offers
    found += [offers[o.id].price.currency for o in est.offers if o.id in offers]
    return found


# ---------------------------------------------------------------- who pays


def _simulate(p: engine.Plan, draws: int, seed: int, currency: str) -> engine.Draws:
    """`draws` journeys in `currency` (plain Python floats), every line kept; the total
    with the exchange-rate moves the family's bills are exposed to (fxmoves.py)."""
    return engine.draw_small(
        engine.prepare(p._replace(display=currency), journey=True), draws, seed
    )


def _who_pays(
    rates: Rates,
    scenario: Scenario,
    items: dict[str, LineItem],
    low: L.Days,
    high: L.Days,
) -> tuple[whopays.WhoPays, LineItem | None]:
    """Who pays (before the amounts are settled) and the time-away line, if counted."""
    perspective = whopays.check_perspective(scenario.perspective)
    abroad = whopays.is_abroad(scenario)
    home: whopays.HomeCover | None = None
    cover: str | None = None
    if scenario.origin is not None:
        products = list(dict.fromkeys(_products_of(items, rates, scenario)))
        home = whopays.home_cover(
            rates, scenario.origin, scenario.indication, products, scenario.age, scenario.cover
        )
        cover = home.cover
    scheme = rates.schemes.get(scenario.reimbursement or "")
    may = () if scheme is not None else tuple(whopays.schemes_for(rates, scenario))
    who = whopays.WhoPays(
        perspective=perspective,
        cover=cover,
        home=home,
        abroad=abroad,
        scheme=scenario.reimbursement if scheme is not None else None,
        scheme_name=scheme.name if scheme is not None else "",
        scheme_conditions=scheme.conditions if scheme is not None else (),
        scheme_record=scheme,
        schemes=may,
        income=scenario.income,
    )
    time_item = _time_away(rates, scenario, low, high) if perspective == "societal" else None
    return who, time_item


def _time_away(rates: Rates, scenario: Scenario, low: L.Days, high: L.Days) -> LineItem:
    """The income the patient and caregivers lose while away: the user's yearly income,
    or else the origin's average wage (the table's figure, its range kept)."""
    assert scenario.currency is not None
    line = L.TIME_LINE
    days = Range(line.quantity(low, scenario.caregivers), line.quantity(high, scenario.caregivers))
    sources: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    if scenario.income is not None:
        yearly = Range.of(scenario.income)
        native, native_ccy = yearly, scenario.currency
        whose = f"a yearly income of {scenario.income:,.0f} {scenario.currency} (your figure)"
    else:
        assert scenario.origin is not None
        origin = rates.countries[scenario.origin]
        wage = origin.average_wage
        assert wage is not None
        native = Range(wage.range[0], wage.range[1])
        native_ccy = wage.currency
        yearly = FxTable(rates.fx.base, rates.fx.rates).convert_range(
            native, wage.currency, scenario.currency
        )
        sources, paths = wage.sources, (f"countries.{scenario.origin}.average_wage",)
        whose = (
            f"the average yearly wage in {origin.name} "
            f"({native.low:,.0f}-{native.high:,.0f} {wage.currency})"
        )
    year = whopays.DAYS_A_YEAR
    daily = Range(yearly.low / year, yearly.high / year)
    amount = days * daily
    return LineItem(
        category="time",
        key=L.TIME,
        label=line.label,
        amount=amount,
        native=days * Range(native.low / year, native.high / year),
        native_currency=native_ccy,
        quantity=days,
        unit=line.unit,
        rate=daily,
        sources=sources,
        note=f"the stay x {scenario.travellers} people x {whose} over 365 days",
        figure_paths=paths,
    )


def _products_of(items: dict[str, LineItem], rates: Rates, scenario: Scenario) -> list[str]:
    """The product ids of the offers the estimate priced (from the product line's paths)."""
    found = []
    country = rates.countries[scenario.country]
    for path in items[L.PRODUCT].figure_paths:
        oid = path.split(".offers.", 1)[1].rsplit(".price", 1)[0]
        found.append(country.offers[oid].product)
    return found


def _covered_at_home(who: whopays.WhoPays) -> bool:
    return who.home_pays


def _paid(item: LineItem, who: whopays.WhoPays) -> LineItem:
    if item.amount is not None and item.category in whopays.TREATMENT and _covered_at_home(who):
        assert who.home is not None
        return item._replace(paid_by=who.home.payer)
    return item


def _sum(items: Sequence[LineItem], keys: Sequence[str] | None = None) -> Range:
    return total(
        i.amount for i in items if i.amount is not None and (keys is None or i.key in keys)
    )


def _treatment_keys(items: Sequence[LineItem]) -> list[str]:
    return [i.key for i in items if i.category in whopays.TREATMENT]


def _settle(
    rates: Rates,
    who: whopays.WhoPays,
    items: Sequence[LineItem],
    fx: FxTable,
    display: str,
) -> whopays.WhoPays:
    """The family's share of covered care at home, and what an applied scheme pays."""
    share = None
    if _covered_at_home(who):
        assert who.home is not None
        inpatient = next((i for i in items if i.key == "hospital.inpatient"), None)
        days = inpatient.quantity if inpatient and inpatient.quantity else Range.of(0)
        treatment = _sum(items, _treatment_keys(items))
        share = whopays.family_share(who.home, fx, display, treatment, days)
    if who.scheme is None:
        return who._replace(share=share)
    scheme = rates.schemes[who.scheme]
    cost = _sum(items, whopays.scheme_keys(scheme, [(i.key, i.category) for i in items]))
    cut = whopays.scheme_share(scheme)
    return who._replace(
        share=share,
        scheme_cost=cost,
        scheme_share=cut,
        reimbursed=Range(cost.low * cut.low, cost.high * cut.high),
    )


def _you_pay(items: Sequence[LineItem], who: whopays.WhoPays) -> Range | None:
    """What the family pays at each end (None: not known)."""
    everything = _sum(items)
    if _covered_at_home(who):
        if who.share is None:
            return None
        treatment = set(_treatment_keys(items))
        rest = _sum(items, [i.key for i in items if i.key not in treatment])
        return rest + who.share
    if not who.abroad and who.home is not None and who.home.status in ("unknown", "not described"):
        return None
    if who.scheme is None or who.scheme_cost is None or who.scheme_share is None:
        return everything
    # The family pays least where the scheme pays its largest share of the least cost.
    cost = who.scheme_cost
    left = whopays.left_to_family(cost, who.scheme_share)
    low = everything.low - cost.low + left.low
    high = everything.high - cost.high + left.high
    return Range(max(low, Decimal(0)), max(high, Decimal(0)))


class FamilyRule(NamedTuple):
    """How what the family pays follows from one simulated journey, whatever draws it
    (plain Python for the likely totals, NumPy for --budget):
    - "all": the family pays the whole journey;
    - "home": covered at home: the journey less the treatment lines (`keys`), plus the
      family's share of covered care (`amount`, the middle of its range), never more than
      the treatment drawn;
    - "scheme": an applied scheme pays the share `amount` of the lines `keys`."""

    kind: str
    keys: tuple[str, ...] = ()
    amount: float = 0.0


_category = engine.category_of


def family_rule(
    who: whopays.WhoPays,
    keys: Sequence[str],
    fx: FxTable,
    currency: str,
    items: dict[str, LineItem],
) -> FamilyRule | None:
    """The rule for what the family pays of journeys drawn in `currency` with lines
    `keys`; None when it is not known (cover at home unknown, a scheme's share a range)."""
    if _covered_at_home(who):
        share = _share_mid(who, fx, currency, items)
        if share is None:
            return None
        treat = tuple(k for k in keys if _category(k) in whopays.TREATMENT)
        return FamilyRule("home", treat, share)
    if not who.abroad and who.home is not None and who.home.status in ("unknown", "not described"):
        return None
    if who.scheme is None:
        return FamilyRule("all")
    given = _scheme(who).pays_share
    if given is None or given.range[0] != given.range[1]:
        return None  # the scheme's share is not one figure: no likely total
    paid = whopays.scheme_keys(_scheme(who), [(k, _category(k)) for k in keys])
    return FamilyRule("scheme", tuple(paid), float(given.range[0]))


def _family_draws(
    run: engine.Draws,
    who: whopays.WhoPays,
    lost: list[float],
    fx: FxTable,
    base: str,
    items: dict[str, LineItem],
) -> list[float] | None:
    """What the family pays in each simulated journey (in `base`), from the same draws
    (and the income lost, under the societal perspective). None when it is not known."""
    rule = family_rule(who, list(run.lines), fx, base, items)
    if rule is None:
        return None
    n = len(run.total)
    totals = [t + x for t, x in zip(run.total, lost, strict=True)]
    if rule.kind == "all":
        return totals
    part = [0.0] * n
    for k in rule.keys:
        for j, x in enumerate(run.lines[k]):
            part[j] += x
    if rule.kind == "home":
        share = rule.amount
        return [t - c + min(share, c) for t, c in zip(totals, part, strict=True)]
    cut = rule.amount
    return [max(t - cut * c, 0.0) for t, c in zip(totals, part, strict=True)]


def _scheme(who: whopays.WhoPays) -> whopays.Scheme:
    assert who.scheme_record is not None
    return who.scheme_record


def _share_mid(
    who: whopays.WhoPays, fx: FxTable, base: str, items: dict[str, LineItem]
) -> float | None:
    """The middle of the family's share of covered care, in `base` (floats)."""
    assert who.home is not None
    inpatient = items.get("hospital.inpatient")
    days = inpatient.quantity if inpatient and inpatient.quantity else Range.of(0)
    big = Range.of(Decimal("1e15"))
    share = whopays.family_share(who.home, fx, base, big, days)
    return None if share is None else float(share.mid)


def _time_draws(
    run: engine.Draws, scenario: Scenario, time: LineItem, fx: FxTable, base: str, seed: int
) -> list[float]:
    """The income lost in each journey (its whole stay, every traveller), in `base`: a
    day's income drawn uniformly within the time line's rate (one figure when the user gave
    their income; the table's wage range otherwise), seeded."""
    assert scenario.currency is not None and time.rate is not None
    low = float(fx.convert(time.rate.low, scenario.currency, base))
    high = float(fx.convert(time.rate.high, scenario.currency, base))
    away = [L.person_days_away(s, scenario.caregivers) for s in run.stay]
    if high <= low:
        return [a * low for a in away]
    import random  # only the societal perspective with a wage range draws here

    pick = random.Random(seed).random
    return [a * (low + (high - low) * pick()) for a in away]


def _who_notes(rates: Rates, scenario: Scenario, who: whopays.WhoPays) -> list[str]:
    notes = [f"perspective: {who.perspective}, {whopays.PERSPECTIVE_WORDS[who.perspective]}"]
    if who.home is not None:
        home = who.home.describe(scenario.indication)
        if not who.abroad and _covered_at_home(who) and who.share is None:
            home += "; what the family still pays is not in the table: unknown"
        elif not who.abroad and who.home.status in ("unknown", "not described"):
            home += "; what the family pays: unknown"
        notes.append(home[0].upper() + home[1:])
        if who.abroad:
            notes.append(
                "treated abroad, the family pays every line itself (cash prices where the "
                "table has them), unless a scheme pays"
            )
    for sid in who.schemes:
        s = rates.schemes[sid]
        notes.append(
            f"may qualify for {s.name} ({sid}): it pays {s.pays}; conditions: "
            f"{whopays.conditions_text(s)}; --reimbursement {sid} applies it"
        )
    if who.scheme is not None:
        s = rates.schemes[who.scheme]
        share = (
            f"its share: {s.pays_share.note or 'as the table gives'}"
            if s.pays_share is not None
            else "its share is not in the table: what you pay runs from nothing of what it "
            "covers (low) to all of it (high)"
        )
        notes.append(
            f"{s.name} ({who.scheme}) applied: it pays {s.pays}; {share}; only if "
            f"{whopays.conditions_text(s)}"
        )
    return notes


# The reserve line's sources, key paths and events summary, by what they are read from:
# the reserve key (the lines pricing complications, the ICU figures) and the events. Each
# entry holds its table and events, so that an id is never another table's or event's.
_RESERVE_TEXT: dict[
    tuple[object, ...],
    tuple[Rates, tuple[Event, ...], tuple[str, ...], tuple[str, ...], str],
] = {}


def _reserve_text(
    p: engine.Plan, reserve_key: tuple[object, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(sources, key paths, events summary) of the reserve line. `reserve_key`:
    _reserve_key(p)."""
    events = tuple(ev for _, ev in p.events)
    key = (reserve_key, tuple(id(ev) for ev in events))
    hit = _RESERVE_TEXT.get(key)
    if (
        hit is not None
        and hit[0] is p.rates
        and all(a is b for a, b in zip(hit[1], events, strict=True))
    ):
        return hit[2], hit[3], hit[4]
    sources, paths, summary = _reserve_sources(p), _reserve_paths(p), event_summary(p.events)
    if len(_RESERVE_TEXT) >= _MAX_RESERVES:
        _RESERVE_TEXT.clear()
    _RESERVE_TEXT[key] = (p.rates, events, sources, paths, summary)
    return sources, paths, summary


def _reserve_paths(p: engine.Plan) -> tuple[str, ...]:
    paths: list[str] = []
    for eid, ev in p.events:
        base = f"events.{eid}"
        paths.append(f"{base}.probability")
        for name in ("icu_days", "inpatient_days", "wait_days", "cost"):
            if getattr(ev, name) is not None:
                paths.append(f"{base}.{name}")
    for pl in p.lines:
        if pl.line.key == "hospital.inpatient" or pl.line.key in L.DAY_LINES:
            paths.extend(a.path for a in pl.alts)
    paths.extend(f.path for f in p.icu if f is not None)
    return tuple(dict.fromkeys(paths))


def _reserve_sources(p: engine.Plan) -> tuple[str, ...]:
    sources: list[str] = []
    for _, ev in p.events:
        for fig in (ev.probability, ev.icu_days, ev.inpatient_days, ev.wait_days, ev.cost):
            if fig is not None:
                sources.extend(fig.sources)
    for pl in p.lines:
        if pl.line.key == "hospital.inpatient" or pl.line.key in L.DAY_LINES:
            sources.extend(s for a in pl.alts for s in a.money.sources)
    for f in p.icu:
        if f is not None:
            sources.extend(f.money.sources)
    return tuple(dict.fromkeys(sources))
