"""The rate table as the cost model reads it: plain, immutable records.

schema.py checks a table (pydantic models, cross-references, hostile text) and turns
it into these records; the cost model, the renderers and the validated-table cache
only ever see these. They are NamedTuples rather than pydantic models because every
command pays for defining its classes at start-up: twenty pydantic models cost about
6 ms to define, these about 1 ms, and unpickle about twice as fast. Fields mirror the
schema's models one for one (tests/test_rates_model.py holds the two together).
"""

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple, NoReturn, TypeVar

# Larger than any plausible figure in any currency (KRW and IDR included): a value above
# it is a typo such as 1e400, not a price.
MAX_AMOUNT = Decimal("1e13")
# A duration (days, or visits a week) above ten years is a typo, and would make totals
# of 1e26 out of valid figures.
MAX_DAYS = 3650
# The oldest patient age the model accepts (a label's age limits use the same bound).
MAX_AGE = 120

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A dict no one can change: the table's mappings, so that nothing computed from a
    table (a memo, a cached estimate) can go stale under a caller's in-place edit."""

    __slots__ = ()

    def _immutable(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("rate-table records are immutable; build a new table instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable
    __ior__ = _immutable

    def __reduce__(self) -> tuple[type["FrozenDict[K, V]"], tuple[dict[K, V]]]:
        return (FrozenDict, (dict(self),))


EMPTY: Mapping[Any, Any] = FrozenDict()

# FX rates (units per 1 of the base currency): every real one is within 1e-4..1e5; beyond
# these a conversion leaves the range Decimal arithmetic and the budget's floats keep
# exact to the cent.
FX_MIN = Decimal("1e-6")
FX_MAX = Decimal("1e9")

SourceKind = Literal["official", "paper", "news", "facilitator", "blog", "aggregator", "assumption"]
Pathway = Literal["commercial", "academic", "trial"]
Region = Literal[
    "east-asia",
    "southeast-asia",
    "south-asia",
    "oceania",
    "europe",
    "middle-east",
    "north-america",
    "latin-america",
    "africa",
]
HospitalItem = Literal["workup", "apheresis", "bridging", "lymphodepletion"]
# What a price is: a list price, what a public payer pays, an insurer's negotiated rate,
# what a self-paying patient is charged, or what a clinical trial charges.
Basis = Literal["list", "tariff", "negotiated", "cash", "trial"]
BASES: tuple[Basis, ...] = ("list", "tariff", "negotiated", "cash", "trial")
ForeignPatients = Literal["yes", "no", "unknown"]
# Whether an approved product is known to be sold there: "unknown" where no launch, price
# list or treating hospital was found (the estimate then says so).
OnSale = Literal["yes", "unknown"]
# When the product must be paid: before the cells are manufactured, at infusion, or with
# the final bill after discharge.
ProductDue = Literal["before-manufacturing", "at-infusion", "after-discharge"]
PRODUCT_DUE: tuple[ProductDue, ...] = ("before-manufacturing", "at-infusion", "after-discharge")
# When the hospital takes its deposit on the expected ward bill: at the first visit (the
# work-up) or at admission.
DepositDue = Literal["first-visit", "admission"]
# Who pays for care at home: a public system (tax-funded or statutory insurance), a
# private or employer insurer, or nobody (the family pays cash).
Cover = Literal["public", "insured", "none"]
COVERS: tuple[Cover, ...] = ("public", "insured", "none")
Covered = Literal["yes", "no", "partly", "unknown"]


class Money(NamedTuple):
    """A [low, high] amount in the currency its sources quoted."""

    range: tuple[Decimal, Decimal]
    sources: tuple[str, ...]
    currency: str
    typical: Decimal | None = None
    note: str = ""
    basis: Basis | None = None


class ByHospital(NamedTuple):
    """A money figure keyed by the kind of hospital the family chooses."""

    public: Money | None = None
    private: Money | None = None


class ByLiving(NamedTuple):
    """A money figure keyed by how the family lives near the centre."""

    budget: Money
    standard: Money
    comfort: Money


HospitalMoney = Money | ByHospital
LivingMoney = Money | ByLiving


class Duration(NamedTuple):
    """A [low, high] range of days (or a count such as visits per week)."""

    range: tuple[Decimal, Decimal]
    sources: tuple[str, ...]
    typical: Decimal | None = None
    note: str = ""


class Probability(NamedTuple):
    """A [low, high] range of probabilities (0..1), e.g. an event's incidence."""

    range: tuple[Decimal, Decimal]
    sources: tuple[str, ...]
    typical: Decimal | None = None
    note: str = ""


Figure = Money | Duration | Probability
FIGURES = (Money, Duration, Probability)


class Source(NamedTuple):
    title: str
    publisher: str
    url: str
    published: date
    accessed: date
    kind: SourceKind
    note: str = ""


class Meta(NamedTuple):
    schema_version: int
    as_of: date
    title: str = ""


class Peg(NamedTuple):
    """A currency its central bank holds at a fixed rate to another: `rate` units per 1
    `per`, since `since`. Such a currency has no market reference rate (the ECB publishes
    none for the Gulf currencies), and needs none."""

    per: str
    rate: Decimal
    since: date
    sources: tuple[str, ...]
    note: str = ""


class FxMoves(NamedTuple):
    """How exchange rates move: from the daily changes of each currency's rate in units
    per `per` from `start` to `end`, the standard deviation of the change over a year
    (`volatility`, by currency) and the correlation of each pair's changes (key
    "AUD-CNY", the two codes in alphabetical order). A pegged currency moves with its
    peg; `per` does not move against itself."""

    per: str
    start: date
    end: date
    sources: tuple[str, ...]
    volatility: Mapping[str, Decimal]
    correlation: Mapping[str, Decimal]
    note: str = ""


class Transfers(NamedTuple):
    """What converting and sending money abroad costs a family, as a share of the amount
    sent (exchange-rate margin and wire fees), by who converts it: `bank` (the family's
    own bank) and `specialist` (a money-transfer provider); `fee` for any provider, and
    for one the table does not price on its own (choices.transfer_fee)."""

    fee: Probability | None = None
    bank: Probability | None = None
    specialist: Probability | None = None


class Fx(NamedTuple):
    base: str
    as_of: date
    sources: tuple[str, ...]
    # Units per 1 base: the reference rates of `as_of`, and every pegged currency's rate
    # worked out from its peg (schema.to_records).
    rates: Mapping[str, Decimal]
    pegs: Mapping[str, Peg] = EMPTY
    moves: FxMoves | None = None


class Indication(NamedTuple):
    name: str


class Product(NamedTuple):
    generic: str
    brand: str
    target: str
    maker: str = ""


class Offer(NamedTuple):
    product: str
    indications: tuple[str, ...]
    price: Money
    manufacturing_days: Duration
    brand: str = ""
    pathway: Pathway = "commercial"
    includes: tuple[HospitalItem, ...] = ()
    note: str = ""
    prices: Mapping[str, Money] = EMPTY  # the same offer at other bases, by basis
    age_limits: Mapping[str, tuple[int, int]] = EMPTY  # indication -> inclusive ages
    lines_note: str = ""
    foreign_patients: ForeignPatients = "unknown"
    status_until: date | None = None
    on_sale: OnSale = "yes"


class Hospital(NamedTuple):
    workup: HospitalMoney
    apheresis: HospitalMoney
    lymphodepletion: HospitalMoney
    inpatient_day: HospitalMoney
    outpatient_visit: HospitalMoney
    bridging: HospitalMoney | None = None
    complications: HospitalMoney | None = None
    icu_day: HospitalMoney | None = None  # per ICU day, for [events]; else inpatient_day x 2


class Durations(NamedTuple):
    workup_days: Duration
    inpatient_days: Duration
    nearby_days: Duration
    outpatient_visits_per_week: Duration
    inpatient_days_without_carer: Duration | None = None


class Living(NamedTuple):
    lodging_night: LivingMoney
    meals_day: LivingMoney
    local_transport_day: LivingMoney


class CityLiving(NamedTuple):
    """A city's own living figures; the country's fill what a city leaves out."""

    lodging_night: LivingMoney | None = None
    meals_day: LivingMoney | None = None
    local_transport_day: LivingMoney | None = None


class City(NamedTuple):
    name: str
    living: CityLiving = CityLiving()


class Services(NamedTuple):
    coordinator: HospitalMoney | None = None
    interpreter_day: HospitalMoney | None = None
    hospital_languages: Mapping[str, tuple[str, ...]] = EMPTY


class Entry(NamedTuple):
    visa: str
    visa_fee: Mapping[str, Money]
    visa_free_sources: tuple[str, ...] = ()
    visa_free_days: Mapping[str, int] = EMPTY
    visa_free_fee: Mapping[str, Money] = EMPTY


class Payment(NamedTuple):
    """When a destination's hospitals want their money (docs/rates-schema.md,
    `[countries.<CC>.payment]`); timeline.py schedules the journey's costs by it."""

    product_due: ProductDue
    sources: tuple[str, ...]
    deposit_share: Probability | None = None  # of the expected ward bill, 0..1
    deposit_due: DepositDue = "admission"
    note: str = ""


class Country(NamedTuple):
    name: str
    currency: str
    region: Region
    offers: Mapping[str, Offer] = EMPTY
    hospital: Hospital | None = None
    durations: Durations | None = None
    living: Living | None = None
    services: Services | None = None
    entry: Entry | None = None
    hospitals: tuple[str, ...] = ()  # kinds of hospital offered; () = not distinguished
    default_hospital: str | None = None
    default_city: str | None = None
    cities: Mapping[str, City] = EMPTY
    languages: tuple[str, ...] = ()
    payment: Payment | None = None
    # A worker's average yearly gross wage: prices the time away from work (societal
    # perspective) when the user gives no income of their own.
    average_wage: Money | None = None

    @property
    def is_destination(self) -> bool:
        return bool(self.offers)


class Event(NamedTuple):
    """A complication or setback that may happen: its probability and what it adds.

    Meaning of each effect: docs/rates-schema.md (`[events]`) and engine.py.
    """

    label: str
    probability: Probability
    by_indication: Mapping[str, Probability] = EMPTY  # indication -> its probability
    icu_days: Duration | None = None
    inpatient_days: Duration | None = None
    wait_days: Duration | None = None
    repeat: tuple[HospitalItem, ...] = ()
    cost: Money | None = None
    note: str = ""


class Fare(NamedTuple):
    fare: Money
    business: Money | None = None


class Flights(NamedTuple):
    routes: Mapping[str, Mapping[str, Fare]] = EMPTY
    regions: Mapping[str, Mapping[str, Fare]] = EMPTY


class DailyCharge(NamedTuple):
    """A charge per inpatient day the patient pays on top, for at most `max_days`."""

    range: tuple[Decimal, Decimal]
    sources: tuple[str, ...]
    currency: str
    max_days: int | None = None
    note: str = ""


class CoverRule(NamedTuple):
    """Whether one cover at home pays for a CAR-T for one indication (and products,
    ages), and what the patient still pays when it does."""

    indication: str
    cover: Cover
    covered: Covered
    who: str
    sources: tuple[str, ...]
    products: tuple[str, ...] = ()
    ages: tuple[int, int] | None = None
    since: date | None = None
    note: str = ""
    patient_pays: Money | None = None
    patient_pays_daily: DailyCharge | None = None


class Coverage(NamedTuple):
    """Cover at home in one origin country: the usual cover and its rules."""

    usual: Cover
    rules: tuple[CoverRule, ...] = ()
    note: str = ""


class Scheme(NamedTuple):
    """A scheme of an origin country that pays for treatment abroad, on conditions."""

    name: str
    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    providers: str
    pays: str
    conditions: tuple[str, ...]
    sources: tuple[str, ...]
    pays_share: Probability | None = None
    covers_travel: bool | None = None
    note: str = ""
    # How its share reaches the provider: "direct" (the scheme pays the provider: the
    # family sends none of it), "refund" (the family pays, then is paid back), or None
    # (not known: treated as a refund, so the family has the money ready).
    settles: str | None = None


class Rates(NamedTuple):
    meta: Meta
    sources: Mapping[str, Source]
    fx: Fx
    indications: Mapping[str, Indication]
    products: Mapping[str, Product]
    countries: Mapping[str, Country]
    flights: Flights = Flights()
    events: Mapping[str, Event] = EMPTY
    coverage: Mapping[str, Coverage] = EMPTY  # origin -> cover at home
    schemes: Mapping[str, Scheme] = EMPTY  # id -> a scheme paying for treatment abroad
    transfers: Transfers | None = None  # None: transfer fees not estimated

    def destinations(self) -> list[str]:
        return sorted(cc for cc, c in self.countries.items() if c.is_destination)

    def fare(self, origin: str, destination: str) -> tuple[str, Money] | None:
        """Return-fare figure and its key path: route, reverse route, region pair, reverse."""
        routes = self.flights.routes
        for a, b in ((origin, destination), (destination, origin)):
            found = routes.get(a, {}).get(b)
            if found is not None:
                return f"flights.routes.{a}.{b}.fare", found.fare
        ra, rb = self.countries[origin].region, self.countries[destination].region
        regions = self.flights.regions
        for a2, b2 in ((ra, rb), (rb, ra)):
            found = regions.get(a2, {}).get(b2)
            if found is not None:
                return f"flights.regions.{a2}.{b2}.fare", found.fare
        return None


# Every record class, by name: what schema.py builds and the cache may unpickle.
RECORDS: dict[str, type[tuple[Any, ...]]] = {
    cls.__name__: cls
    for cls in (
        Money,
        ByHospital,
        ByLiving,
        Duration,
        Probability,
        Source,
        Meta,
        Peg,
        FxMoves,
        Transfers,
        Fx,
        Indication,
        Product,
        Offer,
        Hospital,
        Durations,
        Living,
        CityLiving,
        City,
        Services,
        Entry,
        Payment,
        Country,
        Event,
        Fare,
        Flights,
        DailyCharge,
        CoverRule,
        Coverage,
        Scheme,
        Rates,
    )
}


def walk_figures(rates: Rates) -> Iterator[tuple[str, Figure]]:
    """Every figure in a table with its key path."""

    def walk(node: object, path: str) -> Iterator[tuple[str, Figure]]:
        if isinstance(node, FIGURES):
            yield path, node
        elif type(node) in _RECORD_TYPES:
            record: Any = node
            for name, value in zip(record._fields, record, strict=True):
                yield from walk(value, f"{path}.{name}" if path else name)
        elif isinstance(node, Mapping):
            for key, value in node.items():
                yield from walk(value, f"{path}.{key}")

    yield from walk(rates, "")


_RECORD_TYPES = frozenset(RECORDS.values())


def figure_data(fig: Figure) -> dict[str, Any]:
    """A figure as the table writes it: the keys it sets, none left at its default."""
    data: dict[str, Any] = {"range": list(fig.range)}
    if isinstance(fig, Money):
        data["currency"] = fig.currency
    data["sources"] = list(fig.sources)
    if fig.typical is not None:
        data["typical"] = fig.typical
    if fig.note:
        data["note"] = fig.note
    if isinstance(fig, Money) and fig.basis is not None:
        data["basis"] = fig.basis
    return data


def validate(data: Mapping[str, Any], file: str = "<rates>") -> Rates:
    """Plain TOML data -> Rates, or RatesError listing every problem at once.

    The checking lives in schema.py (pydantic), imported only when a table is checked."""
    from cartcost.schema import validate as check

    return check(data, file)
