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
from typing import Literal, NamedTuple

from cartcost.aliases import canonical, country_hint, indication_hint
from cartcost.errors import NothingMatches, UsageProblem, suggest
from cartcost.money import FxTable, Range, total
from cartcost.rates import Country, Duration, Money, Offer, Rates
from cartcost.scenario import DEFAULT_PATHWAYS, Scenario

Category = Literal["product", "hospital", "living", "travel", "services"]
CATEGORIES: tuple[Category, ...] = ("product", "hospital", "living", "travel", "services")

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


class OfferChoice(NamedTuple):
    """An offer that entered the estimate."""

    id: str
    product: str
    brand: str
    pathway: str
    price: Range
    currency: str
    manufacturing_days: Range


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

    def by_category(self, category: Category) -> list[LineItem]:
        return [i for i in self.items if i.category == category]


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
    """Whether an offer answers the scenario: its indication, products and pathways
    (DEFAULT_PATHWAYS, i.e. no clinical trials, when it names none)."""
    return (
        scenario.indication in offer.indications
        and (not scenario.products or offer.product in scenario.products)
        and offer.pathway in (scenario.pathways or DEFAULT_PATHWAYS)
    )


def trials_left_out(rates: Rates, scenario: Scenario) -> list[str]:
    """Ids of the country's trial offers for the question that the default left out."""
    if scenario.pathways:
        return []
    return [
        oid
        for oid, o in rates.countries[scenario.country].offers.items()
        if o.pathway == "trial" and wanted(o, scenario._replace(pathways=("trial",)))
    ]


def select_offers(rates: Rates, scenario: Scenario) -> list[tuple[str, Offer]]:
    country = rates.countries[scenario.country]
    chosen = [(oid, o) for oid, o in country.offers.items() if wanted(o, scenario)]
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
    )


# ---------------------------------------------------------------- the model


def _days(d: Duration) -> Range:
    return Range(d.range[0], d.range[1])


def _money(m: Money) -> Range:
    return Range(m.range[0], m.range[1])


# A figure as the model uses it: its range, currency, sources and note.
_Figure = tuple[Range, str, tuple[str, ...], str]


class _Prepared:
    """What one rate table's figures become, worked out once per table, not per estimate.

    A table (Rates) is immutable, so each figure's Range and sources, the FX table, each
    offer's OfferChoice and each line that depends only on a figure and the display
    currency are the same every time they are asked for; batch and compare ask thousands
    of times. Keyed by the objects' ids, each entry holds the object itself so that a
    reused id (the object gone) is never mistaken for it.
    """

    __slots__ = ("choices", "figures", "fixed", "fx", "products", "ranges", "rates", "summary")

    MAX_FIXED = 4096

    def __init__(self, rates: Rates) -> None:
        self.rates = rates
        self.fx = FxTable(rates.fx.base, rates.fx.rates)
        self.figures: dict[int, tuple[Money, _Figure]] = {}
        self.ranges: dict[int, tuple[Duration, Range]] = {}
        self.choices: dict[tuple[int, str], tuple[Offer, OfferChoice]] = {}
        self.fixed: dict[tuple[int, str, str, str, str, str, bool], tuple[Money, LineItem]] = {}
        self.summary: str | None = None  # complications.event_summary, once
        self.products: dict[
            tuple[str, tuple[str, ...]], tuple[tuple[Offer, ...], _ProductLine]
        ] = {}

    def figure(self, m: Money) -> _Figure:
        found = self.figures.get(id(m))
        if found is not None and found[0] is m:
            return found[1]
        fig = (_money(m), m.currency, tuple(m.sources), m.note)
        self.figures[id(m)] = (m, fig)
        return fig

    def days(self, d: Duration) -> Range:
        found = self.ranges.get(id(d))
        if found is not None and found[0] is d:
            return found[1]
        r = _days(d)
        self.ranges[id(d)] = (d, r)
        return r

    def choice(self, oid: str, o: Offer) -> OfferChoice:
        found = self.choices.get((id(o), oid))
        if found is not None and found[0] is o:
            return found[1]
        choice = OfferChoice(
            id=oid,
            product=o.product,
            brand=o.brand or self.rates.products[o.product].brand,
            pathway=o.pathway,
            price=_money(o.price),
            currency=o.price.currency,
            manufacturing_days=_days(o.manufacturing_days),
        )
        self.choices[(id(o), oid)] = (o, choice)
        return choice


_PREPARED: dict[int, _Prepared] = {}
_MAX_PREPARED = 4


def _prepared(rates: Rates) -> _Prepared:
    found = _PREPARED.get(id(rates))
    if found is not None and found.rates is rates:
        return found
    if len(_PREPARED) >= _MAX_PREPARED:
        _PREPARED.clear()
    found = _PREPARED[id(rates)] = _Prepared(rates)
    return found


def _rooms(people: int) -> int:
    # A room or apartment sleeps two.
    return (people + 1) // 2


class _Builder:
    def __init__(self, prep: _Prepared, display: str) -> None:
        self.prep = prep
        self.fx = prep.fx
        self.display = display
        self.items: list[LineItem] = []

    def add(
        self,
        category: Category,
        key: str,
        label: str,
        figure: Money,
        path: str,
        quantity: Range | None = None,
        unit: str = "",
        note: str = "",
        floor_zero: bool = False,
    ) -> None:
        fixed = None
        if quantity is None:
            # A line priced by its figure alone: the same for every scenario.
            fixed = (id(figure), self.display, category, key, label + "\0" + note, path, floor_zero)
            found = self.prep.fixed.get(fixed)
            if found is not None and found[0] is figure:
                self.items.append(found[1])
                return
        rate, currency, sources, figure_note = self.prep.figure(figure)
        native = rate * quantity if quantity is not None else rate
        if floor_zero:
            native = Range(Decimal(0), native.high)
        item = LineItem(
            category=category,
            key=key,
            label=label,
            amount=self.fx.convert_range(native, currency, self.display),
            native=native,
            native_currency=currency,
            quantity=quantity,
            unit=unit,
            rate=rate if quantity is not None else None,
            sources=sources,
            note=note or figure_note,
            figure_paths=(path,),
        )
        self.items.append(item)
        if fixed is not None:
            if len(self.prep.fixed) >= _Prepared.MAX_FIXED:
                self.prep.fixed.clear()
            self.prep.fixed[fixed] = (figure, item)

    def missing(self, category: Category, key: str, label: str, note: str) -> None:
        self.items.append(LineItem(category=category, key=key, label=label, amount=None, note=note))


# The product line but for its amount in the display currency: label, native range and
# currency, sources, note, figure paths; the offers that entered it; the names of the
# offers at its low and high ends.
_ProductLine = tuple[
    str, Range, str, tuple[str, ...], str, tuple[str, ...], tuple[OfferChoice, ...], str, str
]


def _product_item(
    b: _Builder, rates: Rates, scenario: Scenario, chosen: list[tuple[str, Offer]]
) -> tuple[list[OfferChoice], str, str]:
    """Add the product line; return the offers that entered it and the names of the
    offers at its low and high ends. All but the converted amount depends only on the
    offers chosen, so it is worked out once per table for each such choice."""
    key = (scenario.country, tuple(oid for oid, _ in chosen))
    offers = tuple(o for _, o in chosen)
    found = b.prep.products.get(key)
    if found is None or any(a is not o for a, o in zip(found[0], offers, strict=True)):
        line = _build_product_item(b, rates, scenario, chosen)
        if len(b.prep.products) >= _Prepared.MAX_FIXED:
            b.prep.products.clear()
        b.prep.products[key] = (offers, line)
    else:
        line = found[1]
    label, native, native_currency, sources, note, paths, choices, low_name, high_name = line
    b.items.append(
        LineItem(
            category="product",
            key="product.price",
            label=label,
            amount=b.fx.convert_range(native, native_currency, b.display),
            native=native,
            native_currency=native_currency,
            sources=sources,
            note=note,
            figure_paths=paths,
        )
    )
    return list(choices), low_name, high_name


def _build_product_item(
    b: _Builder, rates: Rates, scenario: Scenario, chosen: list[tuple[str, Offer]]
) -> _ProductLine:
    fx = b.fx
    base = rates.fx.base

    def in_base(amount: Decimal, currency: str) -> Decimal:
        return fx.convert(amount, currency, base)

    _low_id, low_offer = min(
        chosen, key=lambda x: in_base(x[1].price.range[0], x[1].price.currency)
    )
    _high_id, high_offer = max(
        chosen, key=lambda x: in_base(x[1].price.range[1], x[1].price.currency)
    )
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

    def name(o: Offer) -> str:
        p = rates.products[o.product]
        return f"{o.brand or p.brand} ({o.product})"

    choices = [b.prep.choice(oid, o) for oid, o in chosen]
    names = list(dict.fromkeys(name(o) for _, o in chosen))
    if len(names) == 1:
        label = f"CAR-T product: {names[0]}"
        note = low_offer.price.note if len(chosen) == 1 else ""
    elif len(names) <= 3:
        label = "CAR-T product: " + ", ".join(names)
        note = _ends(name(low_offer), name(high_offer))
    else:
        label = f"CAR-T product: {len(names)} offers"
        note = _ends(name(low_offer), name(high_offer))
    return (
        label,
        native,
        native_currency,
        tuple(sources),
        note,
        tuple(f"countries.{scenario.country}.offers.{oid}.price" for oid, _ in chosen),
        tuple(choices),
        name(low_offer),
        name(high_offer),
    )


def _ends(low: str, high: str) -> str:
    return f"{low} at both ends" if low == high else f"low end {low}, high end {high}"


def estimate(rates: Rates, scenario: Scenario) -> Estimate:
    """Itemised low/high cost of the scenario's journey, in its display currency."""
    scenario = resolve(rates, scenario)
    dest = rates.countries[scenario.country]
    if not dest.is_destination:
        offering = countries_offering(rates, scenario.indication)
        raise NothingMatches(
            f"{scenario.country} ({dest.name}) has no CAR-T data in the rate table: "
            "it can be an origin only",
            f"countries with an offer for {scenario.indication}: {_listing(offering)}",
        )
    # is_destination guarantees these (validated on load).
    assert dest.hospital and dest.durations and dest.living and dest.entry
    assert scenario.currency is not None
    chosen = select_offers(rates, scenario)
    prep = _prepared(rates)
    b = _Builder(prep, scenario.currency)
    cc = scenario.country
    c = scenario.caregivers
    notes: list[str] = []

    offers, product_low, product_high = _product_item(b, rates, scenario, chosen)
    trials = trials_left_out(rates, scenario)
    if trials:
        notes.append(
            f"a clinical-trial offer ({', '.join(trials)}) is left out; "
            "--pathway trial shows what it would cost"
        )

    # Durations ------------------------------------------------------------------
    dur = dest.durations
    manufacturing = prep.days(chosen[0][1].manufacturing_days)
    for _, o in chosen[1:]:
        manufacturing = manufacturing.span(prep.days(o.manufacturing_days))
    workup = prep.days(dur.workup_days)
    inpatient_fig = dur.inpatient_days
    if c == 0 and dur.inpatient_days_without_carer is not None:
        inpatient_fig = dur.inpatient_days_without_carer
        notes.append("no caregiver: inpatient stay uses the longer without-carer figure")
    inpatient = prep.days(inpatient_fig)
    nearby = prep.days(dur.nearby_days)
    days_to_infusion = workup + manufacturing
    outside = workup + manufacturing + nearby  # days the patient is not in a ward
    stay = outside + inpatient

    # Hospital ---------------------------------------------------------------------
    h = dest.hospital
    hp = f"countries.{cc}.hospital"
    for key, label in (
        ("workup", "Work-up: consultation, eligibility tests, imaging"),
        ("apheresis", "Leukapheresis (cell collection)"),
        ("bridging", "Bridging therapy while cells are made"),
        ("lymphodepletion", "Lymphodepleting chemotherapy"),
    ):
        fig: Money | None = getattr(h, key)
        if fig is None:
            continue
        covered = [key in o.includes for _, o in chosen]
        if all(covered):
            continue
        b.add(
            "hospital",
            f"hospital.{key}",
            label,
            fig,
            f"{hp}.{key}",
            note="some offers include it in the product price" if any(covered) else "",
            floor_zero=any(covered),
        )
    b.add(
        "hospital",
        "hospital.inpatient",
        "Inpatient stay and monitoring",
        h.inpatient_day,
        f"{hp}.inpatient_day",
        inpatient,
        "days",
    )
    visits = (nearby * prep.days(dur.outpatient_visits_per_week)).divide(7)
    b.add(
        "hospital",
        "hospital.outpatient",
        "Outpatient visits while staying nearby",
        h.outpatient_visit,
        f"{hp}.outpatient_visit",
        visits,
        "visits",
    )
    # With [events] in the table the reserve is built from them, after the lines whose
    # stay they lengthen (see complications.py); the per-country figure is the fallback.
    if h.complications is not None and not rates.events:
        b.add(
            "hospital",
            "hospital.complications",
            "Complications reserve (CRS/ICANS, ICU; low = none)",
            h.complications,
            f"{hp}.complications",
        )

    # Living -----------------------------------------------------------------------
    lv = dest.living
    lp = f"countries.{cc}.living"
    if scenario.lives_nearby:
        notes.append("lives near the centre: no lodging or local transport")
    else:
        room_nights = outside * _rooms(1 + c) + inpatient * _rooms(c)
        b.add(
            "living",
            "living.lodging",
            "Lodging near the centre",
            lv.lodging_night,
            f"{lp}.lodging_night",
            room_nights,
            "room-nights",
        )
    person_days = outside * (1 + c) + inpatient * c
    b.add(
        "living",
        "living.meals",
        "Meals and incidentals",
        lv.meals_day,
        f"{lp}.meals_day",
        person_days,
        "person-days",
    )
    if not scenario.lives_nearby:
        b.add(
            "living",
            "living.transport",
            "Local transport (no driving after infusion)",
            lv.local_transport_day,
            f"{lp}.local_transport_day",
            stay,
            "days",
        )

    # Travel -----------------------------------------------------------------------
    travellers = Range.of(scenario.travellers)
    if scenario.origin is None:
        hint = "add --from COUNTRY to include"
        b.missing("travel", "travel.flights", "Return flights", hint)
        b.missing("travel", "travel.visa", "Visas", hint)
    elif not scenario.domestic:
        found = rates.fare(scenario.origin, cc)
        if found is None:
            raise NothingMatches(
                f"no flight fare from {scenario.origin} to {cc} in the rate table",
                f"add [flights.routes.{scenario.origin}.{cc}] in an overlay (see docs/rates-schema.md)",
            )
        fare_path, fare = found
        b.add(
            "travel",
            "travel.flights",
            "Return flights (economy)",
            fare,
            fare_path,
            travellers,
            "travellers",
        )
        _visa_item(b, dest, scenario, stay)

    # Services ---------------------------------------------------------------------
    sv = dest.services
    if sv is not None and not scenario.domestic:
        sp = f"countries.{cc}.services"
        if sv.coordinator is not None:
            b.add(
                "services",
                "services.coordinator",
                "International patient coordinator",
                sv.coordinator,
                f"{sp}.coordinator",
            )
        if sv.interpreter_day is not None:
            b.add(
                "services",
                "services.interpreter",
                "Interpreter",
                sv.interpreter_day,
                f"{sp}.interpreter_day",
                stay,
                "days",
            )

    if rates.events:
        from cartcost.complications import event_summary, reserve_item

        if prep.summary is None:
            prep.summary = event_summary(rates)
        reserve = reserve_item(rates, scenario, b.items, stay, b.fx, b.display, prep.summary)
        last_hospital = max(i for i, it in enumerate(b.items) if it.category == "hospital")
        b.items.insert(last_hospital + 1, reserve)

    return Estimate(
        scenario=scenario,
        currency=scenario.currency,
        items=tuple(b.items),
        total=total(i.amount for i in b.items if i.amount is not None),
        stay_days=stay,
        days_to_infusion=days_to_infusion,
        offers=tuple(offers),
        product_low=product_low,
        product_high=product_high,
        fx_as_of=rates.fx.as_of,
        data_as_of=rates.meta.as_of,
        country_name=dest.name,
        origin_name=rates.countries[scenario.origin].name if scenario.origin else None,
        notes=tuple(notes),
    )


def _visa_item(b: _Builder, dest: Country, scenario: Scenario, stay: Range) -> None:
    assert dest.entry is not None and scenario.origin is not None
    entry = dest.entry
    nationality = scenario.origin
    free_days = entry.visa_free_days.get(nationality, 0)
    fee = entry.visa_fee.get(nationality, entry.visa_fee["default"])
    free_fee = entry.visa_free_fee.get(nationality, entry.visa_free_fee.get("default"))
    travellers = Decimal(scenario.travellers)
    path = f"countries.{scenario.country}.entry"

    def end(stay_days: Decimal, which: int) -> tuple[Decimal, str, tuple[str, ...]]:
        """Per-traveller fee at one end of the range of stays."""
        if stay_days > free_days:
            return fee.range[which], fee.currency, tuple(fee.sources)
        if free_fee is not None:
            return free_fee.range[which], free_fee.currency, tuple(free_fee.sources)
        return Decimal(0), fee.currency, tuple(entry.visa_free_sources)

    low, low_ccy, low_src = end(stay.low, 0)
    high, high_ccy, high_src = end(stay.high, 1)
    if low_ccy != high_ccy:
        low = b.fx.convert(low, low_ccy, high_ccy)
    # A stay range across the visa-free limit may pay either fee: cover both, so a
    # visa-free fee dearer than the visa cannot make low > high.
    alt_low, alt_low_ccy, _ = end(stay.high, 0)
    alt_high, alt_high_ccy, _ = end(stay.low, 1)
    low = min(low, b.fx.convert(alt_low, alt_low_ccy, high_ccy))
    high = max(high, b.fx.convert(alt_high, alt_high_ccy, high_ccy))
    rate = Range(low, high)
    native = rate * travellers
    sources = tuple(dict.fromkeys((*low_src, *high_src, *entry.visa_free_sources)))
    if stay.low > free_days:
        note = f"{entry.visa}; stay exceeds {free_days} visa-free days" if free_days else entry.visa
    elif stay.high > free_days:
        note = f"{entry.visa} needed if the stay exceeds {free_days} visa-free days"
    else:
        note = f"visa-free for up to {free_days} days"
    b.items.append(
        LineItem(
            category="travel",
            key="travel.visa",
            label="Visas",
            amount=b.fx.convert_range(native, high_ccy, b.display),
            native=native,
            native_currency=high_ccy,
            quantity=Range.of(scenario.travellers),
            unit="travellers",
            rate=rate,
            sources=sources,
            note=note,
            figure_paths=(f"{path}.visa_fee",),
        )
    )
