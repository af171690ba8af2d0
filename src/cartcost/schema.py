"""Checking a rate table: pydantic models of its shape, cross-references, hostile text.

Shape and meaning of every key: docs/rates-schema.md. Loading files and merging overlays
lives in ratesfile.py. This module turns plain data into the immutable records of
rates.py (what the cost model reads), or lists every problem at once. Only a command
that checks a table imports it (and pydantic's model machinery): a cached table skips it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from cartcost import rates as records
from cartcost.errors import Problem, RatesError, suggest
from cartcost.rates import (
    FX_MAX,
    FX_MIN,
    MAX_AGE,
    MAX_AMOUNT,
    MAX_DAYS,
    Basis,
    Cover,
    Covered,
    DepositDue,
    ForeignPatients,
    HospitalItem,
    OnSale,
    Pathway,
    ProductDue,
    Region,
    SourceKind,
)

# Codes and ids are matched whole (fullmatch: `$` alone also matches before a final
# newline, so "USD\n" passed) and in ASCII only (see idents.py).
_CC = re.compile(r"[A-Z]{2}")
_CCY = re.compile(r"[A-Z]{3}")
# Ids (products, offers, sources) and indication codes: printable ASCII, no space at
# either end (idents.WORD). A product id is lower-case and an indication code upper-case,
# as they are looked up.
_ID = re.compile(r"[!-~](?:[ -~]*[!-~])?")
# Text lengths: far above any real entry (the longest note is under 800 characters), far
# below what makes drawing a table or an SVG slow (a 1 MB brand took two minutes).
MAX_NAME = 200
MAX_TEXT = 4000
# A money figure's high end in the base currency (USD in the real table): a thousand
# times the dearest real figure, a product's list price. See check_magnitudes().
MAX_BASE_AMOUNT = Decimal("1e9")


def _correlation(value: Any) -> Decimal:
    """A correlation: a number from -1 to 1."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite() or not -1 <= d <= 1:
        raise ValueError(f"a correlation is from -1 to 1, got {value}")
    return d + 0  # never -0


def _amount(value: Any) -> Decimal:
    """A finite, non-negative, sane number; ints and Decimals only (no strings, no bools)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not d.is_finite():
        raise ValueError(f"expected a finite number, got {value}")
    if d < 0:
        raise ValueError(f"must not be negative, got {d}")
    if d > MAX_AMOUNT:
        raise ValueError(f"{d} is implausibly large (limit {MAX_AMOUNT:,.0f})")
    if d == 0:
        return Decimal(0)  # -0.0 would print as "-0": zero is zero
    return d


def _country_code(value: Any) -> str:
    if not isinstance(value, str) or not _CC.fullmatch(value):
        raise ValueError(f"expected an ISO 3166 alpha-2 code such as CN or GB, got {value!r}")
    return value


def _currency_code(value: Any) -> str:
    if not isinstance(value, str) or not _CCY.fullmatch(value):
        raise ValueError(f"expected an ISO 4217 code such as USD or CNY, got {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__} {value!r}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"text of {len(value):,} characters; at most {MAX_TEXT:,}")
    return value


def _name(value: Any) -> str:
    if isinstance(value, str) and len(value) > MAX_NAME:
        raise ValueError(f"a name of {len(value):,} characters; at most {MAX_NAME}")
    return _text(value)


def _whole_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number of days, got {value!r}")
    if value < 0:
        raise ValueError(f"must not be negative, got {value}")
    return value


def _age(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE:
        raise ValueError(f"expected an age in whole years from 0 to {MAX_AGE}, got {value!r}")
    return value


def _pattern(regex: str, what: str) -> Any:
    compiled = re.compile(regex)

    def check(value: Any) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"expected {what}, got {value!r}")
        return value

    return check


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Age = Annotated[int, BeforeValidator(_age)]
HospitalKind = Annotated[
    str, BeforeValidator(_pattern("public|private", "a kind of hospital: public or private"))
]
CityKey = Annotated[
    str,
    BeforeValidator(
        _pattern("[a-z][a-z0-9]*(-[a-z0-9]+)*", "a city key in lower case such as shanghai")
    ),
]
Language = Annotated[
    str, BeforeValidator(_pattern("[a-z]{2}", "an ISO 639-1 language code such as en or zh"))
]
CountryCode = Annotated[str, BeforeValidator(_country_code)]
Currency = Annotated[str, BeforeValidator(_currency_code)]
Text = Annotated[str, BeforeValidator(_text)]
NonEmptyText = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
Name = Annotated[str, BeforeValidator(_name), Field(min_length=1)]
OptionalName = Annotated[str, BeforeValidator(_name)]
Days = Annotated[int, BeforeValidator(_whole_days)]
SourceIds = Annotated[list[NonEmptyText], Field(min_length=1)]


class Model(BaseModel):
    # defer_build: schemas are built on first validation, not at import, so commands
    # that never validate a table (--version, --help) don't pay for them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Figure(Model):
    """A [low, high] range with its sources; money figures also carry a currency."""

    range: tuple[Amount, Amount]
    sources: SourceIds
    typical: Amount | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> Figure:
        low, high = self.range
        if low > high:
            raise ValueError(f"low {low} is greater than high {high}")
        if self.typical is not None and not low <= self.typical <= high:
            raise ValueError(f"typical {self.typical} is outside the range [{low}, {high}]")
        return self


class Money(Figure):
    currency: Currency
    basis: Basis | None = None


class ByHospital(Model):
    """A money figure keyed by kind of hospital: a public or general ward, or an
    international or private department."""

    public: Money | None = None
    private: Money | None = None

    @model_validator(mode="after")
    def _some(self) -> ByHospital:
        if self.public is None and self.private is None:
            raise ValueError("a figure keyed by kind of hospital needs `public` or `private`")
        return self


class ByLiving(Model):
    """A money figure keyed by how the family lives: a long-stay rental and cooking, a
    serviced apartment, or a hotel and restaurants."""

    budget: Money
    standard: Money
    comfort: Money


def _plain_or_keyed(value: Any) -> str:
    # A table with `range` is one figure; any other table is keyed by choice. The tag
    # names start with "tagged-union" so that error paths leave them out.
    return (
        "tagged-union-plain"
        if isinstance(value, Mapping) and "range" in value
        else "tagged-union-keyed"
    )


HospitalMoney = Annotated[
    Annotated[Money, Tag("tagged-union-plain")] | Annotated[ByHospital, Tag("tagged-union-keyed")],
    Discriminator(_plain_or_keyed),
]
LivingMoney = Annotated[
    Annotated[Money, Tag("tagged-union-plain")] | Annotated[ByLiving, Tag("tagged-union-keyed")],
    Discriminator(_plain_or_keyed),
]


class Duration(Figure):
    """A range of days (or a count such as visits per week): no currency."""

    @model_validator(mode="after")
    def _plausible(self) -> Duration:
        if self.range[1] > MAX_DAYS:
            raise ValueError(f"{self.range[1]} is implausibly long (limit {MAX_DAYS:,}: ten years)")
        return self


class Probability(Figure):
    """A range of probabilities (0..1) with its sources, e.g. an event's incidence."""

    @model_validator(mode="after")
    def _within_unit(self) -> Probability:
        high = self.range[1]
        if high > 1:
            raise ValueError(f"a probability must be within 0..1 (0.25 means 25%), got high {high}")
        return self


class Source(Model):
    title: NonEmptyText
    publisher: Name
    url: Text
    published: date
    accessed: date
    kind: SourceKind
    note: Text = ""

    @model_validator(mode="after")
    def _has_url_or_basis(self) -> Source:
        if self.kind == "assumption":
            if not self.note.strip():
                raise ValueError("an assumption must state its basis in `note`")
        elif not self.url.startswith(("http://", "https://")):
            raise ValueError(f"a source of kind {self.kind} needs an http(s) url, got {self.url!r}")
        return self


class Meta(Model):
    schema_version: int = Field(alias="schema")
    title: Text = ""
    as_of: date


class Peg(Model):
    per: Currency
    rate: Amount
    since: date
    sources: SourceIds
    note: Text = ""


class FxMoves(Model):
    per: Currency
    start: date
    end: date
    sources: SourceIds
    volatility: dict[Currency, Amount]
    correlation: dict[str, Annotated[Decimal, BeforeValidator(_correlation)]]
    note: Text = ""

    @model_validator(mode="after")
    def _complete(self) -> FxMoves:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        for ccy, vol in self.volatility.items():
            if ccy == self.per:
                raise ValueError(f"volatility.{ccy}: moves are measured against {ccy} itself")
            if not 0 <= vol <= 1:
                raise ValueError(f"volatility.{ccy}: {vol} is not a yearly share from 0 to 1")
        codes = sorted(self.volatility)
        for key in self.correlation:
            a, _, b = key.partition("-")
            if a not in self.volatility or b not in self.volatility or not a < b:
                raise ValueError(
                    f"correlation.{key}: expected two currencies of `volatility` in "
                    f"alphabetical order, joined by '-' (such as {'-'.join(codes[:2]) or 'AUD-CNY'})"
                )
        missing = [
            f"{a}-{b}"
            for i, a in enumerate(codes)
            for b in codes[i + 1 :]
            if f"{a}-{b}" not in self.correlation
        ]
        if missing:
            raise ValueError(
                f"correlation: no value for {', '.join(missing[:5])}"
                f"{f' and {len(missing) - 5} more' if len(missing) > 5 else ''}; "
                "every pair of currencies with a volatility needs one"
            )
        from cartcost.fxmoves import cholesky

        matrix = [
            [1.0 if a == b else float(self.correlation[f"{min(a, b)}-{max(a, b)}"]) for b in codes]
            for a in codes
        ]
        if cholesky(matrix) is None:
            raise ValueError(
                "correlation: these correlations cannot hold together (the matrix is not "
                "positive semi-definite); work them out from one set of rates"
            )
        return self


class Fx(Model):
    base: Currency
    as_of: date
    sources: SourceIds
    rates: dict[Currency, Amount]
    pegs: dict[Currency, Peg] = {}
    moves: FxMoves | None = None

    @model_validator(mode="after")
    def _moves_known(self) -> Fx:
        if self.moves is None:
            return self
        known = set(self.rates) | {self.base}
        if self.moves.per not in known:
            raise ValueError(
                f"moves.per: {self.moves.per} has no rate in [fx.rates]{_known(self.moves.per, known)}"
            )
        for ccy in self.moves.volatility:
            if ccy in self.pegs:
                raise ValueError(
                    f"moves.volatility.{ccy}: {ccy} is pegged to {self.pegs[ccy].per} and moves with it"
                )
            if ccy not in self.rates:
                raise ValueError(
                    f"moves.volatility.{ccy}: {ccy} has no rate in [fx.rates]{_known(ccy, self.rates)}"
                )
        return self

    @model_validator(mode="after")
    def _pegs_resolve(self) -> Fx:
        for ccy, peg in self.pegs.items():
            if ccy in self.rates:
                raise ValueError(
                    f"pegs.{ccy}: {ccy} also has a rate in [fx.rates]; give it in one place"
                )
            if peg.per not in self.rates:
                raise ValueError(
                    f"pegs.{ccy}.per: {peg.per} has no rate in [fx.rates]"
                    f"{_known(peg.per, self.rates)}"
                )
            if peg.since > self.as_of:
                raise ValueError(
                    f"pegs.{ccy}.since: {peg.since} is after the rates' date {self.as_of}: "
                    "the peg was not in force then"
                )
            rate = peg.rate * self.rates[peg.per]
            if not FX_MIN <= rate <= FX_MAX:
                raise ValueError(
                    f"pegs.{ccy}: {peg.rate:,} {ccy} per {peg.per} is {rate:,} per 1 {self.base}, "
                    f"outside [{FX_MIN}, {FX_MAX:,.0f}]"
                )
        return self

    @model_validator(mode="after")
    def _base_is_one(self) -> Fx:
        if self.rates.get(self.base) != 1:
            raise ValueError(f"rates.{self.base} (the base) must be 1")
        zero = [c for c, r in self.rates.items() if r == 0]
        if zero:
            raise ValueError(f"rates must be positive; zero for {', '.join(zero)}")
        # What the cost model can convert with, exact to the cent (1e-400 passed before
        # and made every estimate fail).
        wild = [f"{c} {r}" for c, r in self.rates.items() if not FX_MIN <= r <= FX_MAX]
        if wild:
            raise ValueError(
                f"rates must be within [{FX_MIN}, {FX_MAX:,.0f}] units per 1 {self.base}; "
                f"got {', '.join(wild[:5])}"
            )
        return self


class Indication(Model):
    name: Name


class Product(Model):
    generic: Name
    brand: Name
    target: Name
    maker: OptionalName = ""


class Offer(Model):
    product: NonEmptyText
    brand: OptionalName = ""
    indications: Annotated[list[NonEmptyText], Field(min_length=1)]
    pathway: Pathway = "commercial"
    price: Money
    manufacturing_days: Duration
    includes: list[HospitalItem] = []
    note: Text = ""
    prices: dict[Basis, Money] = {}
    age_limits: dict[NonEmptyText, tuple[Age, Age]] = {}
    lines_note: Text = ""
    foreign_patients: ForeignPatients = "unknown"
    status_until: date | None = None
    on_sale: OnSale = "yes"

    @model_validator(mode="after")
    def _consistent(self) -> Offer:
        for ind, (low, high) in self.age_limits.items():
            if low > high:
                raise ValueError(f"age_limits.{ind}: lowest age {low} is above highest {high}")
            if ind not in self.indications:
                raise ValueError(f"age_limits.{ind}: not one of the offer's indications")
        for basis, money in self.prices.items():
            if money.basis is not None and money.basis != basis:
                raise ValueError(f"prices.{basis} says basis = {money.basis!r}")
        return self


class Hospital(Model):
    workup: HospitalMoney
    apheresis: HospitalMoney
    lymphodepletion: HospitalMoney
    inpatient_day: HospitalMoney
    outpatient_visit: HospitalMoney
    bridging: HospitalMoney | None = None
    complications: HospitalMoney | None = None
    icu_day: HospitalMoney | None = None  # per ICU day, for [events]; else inpatient_day x 2


class Durations(Model):
    workup_days: Duration
    inpatient_days: Duration
    nearby_days: Duration
    outpatient_visits_per_week: Duration
    inpatient_days_without_carer: Duration | None = None


class Living(Model):
    lodging_night: LivingMoney
    meals_day: LivingMoney
    local_transport_day: LivingMoney


class CityLiving(Model):
    lodging_night: LivingMoney | None = None
    meals_day: LivingMoney | None = None
    local_transport_day: LivingMoney | None = None


class City(Model):
    name: NonEmptyText
    living: CityLiving = Field(default_factory=CityLiving)


class Services(Model):
    coordinator: HospitalMoney | None = None
    interpreter_day: HospitalMoney | None = None
    hospital_languages: dict[HospitalKind, list[Language]] = {}


class Entry(Model):
    visa: NonEmptyText
    visa_free_sources: list[NonEmptyText] = []
    visa_free_days: dict[CountryCode, Days] = {}
    visa_fee: dict[str, Money]
    visa_free_fee: dict[str, Money] = {}

    @model_validator(mode="after")
    def _complete(self) -> Entry:
        if "default" not in self.visa_fee:
            raise ValueError("visa_fee needs a `default` entry for nationalities not listed")
        if self.visa_free_days and not self.visa_free_sources:
            raise ValueError("visa_free_days needs visa_free_sources naming where they come from")
        return self


class Payment(Model):
    product_due: ProductDue
    sources: SourceIds
    deposit_share: Probability | None = None
    deposit_due: DepositDue = "admission"
    note: Text = ""


def _offers_by_id(value: Any) -> Any:
    """Accept offers as an array of tables too, keyed by product (product-2 on repeats)."""
    if not isinstance(value, list):
        return value
    keyed: dict[str, Any] = {}
    for i, offer in enumerate(value):
        base = offer.get("product") if isinstance(offer, dict) else None
        key = base if isinstance(base, str) and base else f"offer-{i}"
        n = 2
        while key in keyed:
            key = f"{base}-{n}"
            n += 1
        keyed[key] = offer
    return keyed


class Country(Model):
    name: Name
    currency: Currency
    region: Region
    offers: Annotated[dict[str, Offer], BeforeValidator(_offers_by_id)] = {}
    hospital: Hospital | None = None
    durations: Durations | None = None
    living: Living | None = None
    services: Services | None = None
    entry: Entry | None = None
    hospitals: list[HospitalKind] = []
    default_hospital: HospitalKind | None = None
    default_city: CityKey | None = None
    cities: dict[CityKey, City] = {}
    languages: list[Language] = []
    payment: Payment | None = None
    average_wage: Money | None = None

    @model_validator(mode="after")
    def _choices_complete(self) -> Country:
        keyed: list[tuple[str, ByHospital]] = []
        for part, fields in (("hospital", self.hospital), ("services", self.services)):
            if fields is None:
                continue
            for name in type(fields).model_fields:
                value = getattr(fields, name)
                if isinstance(value, ByHospital):
                    keyed.append((f"{part}.{name}", value))
        kinds = list(self.hospitals) or (
            sorted({k for _, v in keyed for k in ("public", "private") if getattr(v, k)})
        )
        for path, value in keyed:
            missing = [k for k in kinds if getattr(value, k) is None]
            if missing:
                raise ValueError(
                    f"{path} has no figure for {', '.join(missing)} "
                    f"(this country's kinds of hospital: {', '.join(kinds)})"
                )
        if self.default_hospital is not None and kinds and self.default_hospital not in kinds:
            raise ValueError(
                f"default_hospital {self.default_hospital!r} is not one of hospitals: "
                + ", ".join(kinds)
            )
        if self.default_city is not None and self.default_city not in self.cities:
            raise ValueError(
                f"default_city {self.default_city!r} has no [cities.{self.default_city}]; "
                f"cities: {', '.join(self.cities) or 'none'}"
            )
        return self

    @model_validator(mode="after")
    def _destination_complete(self) -> Country:
        parts = {
            "offers": bool(self.offers),
            "hospital": self.hospital is not None,
            "durations": self.durations is not None,
            "living": self.living is not None,
            "entry": self.entry is not None,
        }
        if any(parts.values()) and not all(parts.values()):
            missing = ", ".join(k for k, present in parts.items() if not present)
            raise ValueError(
                f"a destination needs offers, hospital, durations, living and entry; missing: {missing}"
            )
        return self


_EVENT_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _event_id(value: Any) -> str:
    if not isinstance(value, str) or not _EVENT_ID.fullmatch(value):
        raise ValueError(f"an event id is lower-case words joined by '-', got {value!r}")
    return value


EventId = Annotated[str, BeforeValidator(_event_id)]


class Event(Model):
    """A complication or setback that may happen: its probability and what it adds.

    Meaning of each effect: docs/rates-schema.md (`[events]`) and engine.py.
    """

    label: Name
    probability: Probability
    # The probability for one indication where it differs (manufacturing failures are
    # three times as common in MCL as in LBCL): by indication code, else `probability`.
    by_indication: dict[NonEmptyText, Probability] = {}
    icu_days: Duration | None = None
    inpatient_days: Duration | None = None
    wait_days: Duration | None = None
    repeat: list[HospitalItem] = []
    cost: Money | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _has_effect(self) -> Event:
        effects = (self.icu_days, self.inpatient_days, self.wait_days, self.cost)
        if all(e is None for e in effects) and not self.repeat:
            raise ValueError(
                "an event needs an effect: icu_days, inpatient_days, wait_days, repeat or cost"
            )
        return self


class Fare(Model):
    fare: Money
    business: Money | None = None


class Flights(Model):
    routes: dict[CountryCode, dict[CountryCode, Fare]] = {}
    regions: dict[Region, dict[Region, Fare]] = {}


class DailyCharge(Model):
    """A charge per inpatient day: a money range, at most `max_days` days."""

    range: tuple[Amount, Amount]
    sources: SourceIds
    currency: Currency
    max_days: Days | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> DailyCharge:
        if self.range[0] > self.range[1]:
            raise ValueError(f"low {self.range[0]} is greater than high {self.range[1]}")
        return self


class CoverRule(Model):
    indication: NonEmptyText
    cover: Annotated[Cover, Field()]
    covered: Covered
    who: NonEmptyText
    sources: SourceIds
    products: list[NonEmptyText] = []
    ages: tuple[Age, Age] | None = None
    since: date | None = None
    note: Text = ""
    patient_pays: Money | None = None
    patient_pays_daily: DailyCharge | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CoverRule:
        if self.cover == "none":
            raise ValueError("cover must be public or insured (a rule says what a cover pays)")
        if self.ages is not None and self.ages[0] > self.ages[1]:
            raise ValueError(f"ages: low {self.ages[0]} is greater than high {self.ages[1]}")
        if self.covered == "unknown" and not self.note.strip():
            raise ValueError('a rule with covered = "unknown" needs a note saying where we looked')
        if self.covered in ("no", "unknown") and (
            self.patient_pays is not None or self.patient_pays_daily is not None
        ):
            raise ValueError(
                f'patient_pays is for covered = "yes" or "partly", not {self.covered!r}'
            )
        return self


class Coverage(Model):
    usual: Cover
    note: Text = ""
    rules: list[CoverRule] = []

    @model_validator(mode="after")
    def _no_overlap(self) -> Coverage:
        rules = self.rules
        for i, a in enumerate(rules):
            for j in range(i + 1, len(rules)):
                b = rules[j]
                if (a.indication, a.cover) != (b.indication, b.cover):
                    continue
                products = not a.products or not b.products or set(a.products) & set(b.products)
                lo_a, hi_a = a.ages or (0, MAX_AGE)
                lo_b, hi_b = b.ages or (0, MAX_AGE)
                if products and lo_a <= hi_b and lo_b <= hi_a:
                    raise ValueError(
                        f"rules[{i}] and rules[{j}] overlap ({a.indication}, {a.cover}): "
                        "give them disjoint products or ages"
                    )
        return self


class Scheme(Model):
    name: NonEmptyText
    origins: Annotated[list[CountryCode], Field(min_length=1)]
    destinations: Annotated[list[CountryCode], Field(min_length=1)]
    providers: NonEmptyText
    pays: NonEmptyText
    conditions: Annotated[list[NonEmptyText], Field(min_length=1)]
    sources: SourceIds
    pays_share: Probability | None = None
    covers_travel: bool | None = None
    note: Text = ""
    settles: Literal["direct", "refund"] | None = None


class Transfers(Model):
    fee: Probability | None = None
    bank: Probability | None = None
    specialist: Probability | None = None

    @model_validator(mode="after")
    def _plausible(self) -> Transfers:
        if self.fee is None and (self.bank is None or self.specialist is None):
            raise ValueError(
                "give fee (any provider), or bank and specialist (each kind of provider)"
            )
        for name in ("fee", "bank", "specialist"):
            fig = getattr(self, name)
            if fig is not None and fig.range[1] > MAX_TRANSFER_FEE:
                raise ValueError(
                    f"{name}: {fig.range[1]} of the amount sent is implausible for a "
                    f"transfer (at most {MAX_TRANSFER_FEE}; 0.02 means 2%)"
                )
        return self


# Banks' exchange-rate margins and wire fees are a few per cent: a quarter is a typo.
MAX_TRANSFER_FEE = Decimal("0.25")


class Rates(Model):
    meta: Meta
    sources: dict[str, Source]
    fx: Fx
    indications: dict[str, Indication]
    products: dict[str, Product]
    countries: dict[CountryCode, Country]
    # A factory, not Flights(): an instance here would build every schema at import.
    flights: Flights = Field(default_factory=Flights)
    events: dict[EventId, Event] = {}
    coverage: dict[CountryCode, Coverage] = {}
    schemes: dict[EventId, Scheme] = {}
    transfers: Transfers | None = None


def _loc_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _toml_kind(value: object) -> str:
    """'integer 5', 'string "x"', 'array': what a user wrote, in TOML's words, short."""
    kinds = {bool: "boolean", int: "integer", Decimal: "number", str: "string", date: "date"}
    kind = kinds.get(type(value))
    if kind is None:
        return "array" if isinstance(value, list) else "table" if _is_node(value) else "value"
    text = repr(value) if kind == "string" else str(value)
    return f"{kind} {text[:40]}{'...' if len(text) > 40 else ''}"


def _pydantic_problems(err: ValidationError, file: str) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        # Pydantic puts the validator's name in loc for Annotated/union members;
        # keep only the real keys of the document.
        loc = tuple(
            p
            for p in e["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
            and p != "[key]"
        )
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] in ("dict_type", "model_type", "model_attributes_type"):
            msg = f"expected a table, got {_toml_kind(e['input'])}"
        elif e["type"] in ("tuple_type", "list_type"):
            msg = f"expected an array, got {_toml_kind(e['input'])}"
        elif e["type"] == "extra_forbidden":
            msg = "unknown key (see docs/rates-schema.md for the keys allowed here)"
        problems.append(Problem(file, _loc_path(loc), msg))
    return problems


def _raw_figures(node: object, path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Figure-like tables (those with a `range`) in raw, possibly invalid, data."""
    if isinstance(node, Mapping):
        if "range" in node:
            yield path, node
            return
        for key, value in node.items():
            yield from _raw_figures(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _raw_figures(value, f"{path}[{i}]")


def _table(node: object, *keys: str) -> Mapping[str, Any]:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _strings(node: object) -> list[str]:
    return [x for x in node if isinstance(x, str)] if isinstance(node, list) else []


def _known(word: str, options: Iterable[str], limit: int = 15) -> str:
    """'; did you mean X? known: a, b, c' — what is valid, for an unknown reference."""
    opts = sorted(options)
    shown = ", ".join(opts[:limit]) + (
        f", ... ({len(opts) - limit} more)" if len(opts) > limit else ""
    )
    hint = suggest(word, opts)
    return f"; {hint + ' ' if hint else ''}known: {shown or 'none'}"


def check_references(data: Mapping[str, Any], file: str) -> list[Problem]:
    """Cross-references pydantic cannot see: ids, codes and currencies that must exist.

    Works on the raw data, so it runs even when the shape is broken elsewhere and the
    user sees every problem at once.
    """
    problems: list[Problem] = []

    def bad(path: str, msg: str) -> None:
        problems.append(Problem(file, path, msg))

    known_sources = set(_table(data, "sources"))
    used: set[str] = set()

    def cite(path: str, ids: list[str]) -> None:
        for sid in ids:
            used.add(sid)
            if sid not in known_sources:
                bad(path, f"unknown source id {sid!r}{_known(sid, known_sources)}")

    fx_rates = _table(data, "fx", "rates")
    pegs = _table(data, "fx", "pegs")
    currencies = set(fx_rates) | set(pegs)
    check_currency = bool(fx_rates)
    for path, fig in _raw_figures({k: v for k, v in data.items() if k != "sources"}):
        cite(f"{path}.sources", _strings(fig.get("sources")))
        ccy = fig.get("currency")
        if check_currency and isinstance(ccy, str) and ccy not in currencies:
            bad(
                f"{path}.currency",
                f"currency {ccy} has no rate in [fx.rates] or [fx.pegs]{_known(ccy, currencies)}",
            )
    cite("fx.sources", _strings(_table(data, "fx").get("sources")))
    for ccy, peg in pegs.items():
        cite(f"fx.pegs.{ccy}.sources", _strings(_table(peg).get("sources")))
    if "moves" in _table(data, "fx"):
        cite("fx.moves.sources", _strings(_table(data, "fx", "moves").get("sources")))

    products = set(_table(data, "products"))
    indications = set(_table(data, "indications"))
    countries = _table(data, "countries")
    for eid, event in _table(data, "events").items():
        by = event.get("by_indication") if isinstance(event, Mapping) else None
        for code in by if isinstance(by, Mapping) else ():
            if code not in indications:
                bad(
                    f"events.{eid}.by_indication.{code}",
                    f"unknown indication {code!r}{_known(code, indications)}",
                )
    problems.extend(check_ids(data, file))
    for cc, country in countries.items():
        if not isinstance(country, Mapping):
            continue
        base = f"countries.{cc}"
        ccy = country.get("currency")
        if check_currency and isinstance(ccy, str) and ccy not in currencies:
            bad(
                f"{base}.currency",
                f"currency {ccy} has no rate in [fx.rates] or [fx.pegs]{_known(ccy, currencies)}",
            )
        offers = country.get("offers")
        entries = (
            offers.items()
            if isinstance(offers, Mapping)
            else enumerate(offers)
            if isinstance(offers, list)
            else []
        )
        for oid, offer in entries:
            if not isinstance(offer, Mapping):
                continue
            where = f"{base}.offers.{oid}" if isinstance(oid, str) else f"{base}.offers[{oid}]"
            product = offer.get("product")
            if isinstance(product, str) and product not in products:
                bad(f"{where}.product", f"unknown product {product!r}{_known(product, products)}")
            for ind in _strings(offer.get("indications")):
                if ind not in indications:
                    bad(
                        f"{where}.indications",
                        f"unknown indication {ind!r}{_known(ind, indications)}",
                    )
        cite(f"{base}.payment.sources", _strings(_table(country, "payment").get("sources")))
        entry = _table(country, "entry")
        cite(f"{base}.entry.visa_free_sources", _strings(entry.get("visa_free_sources")))
        for table in ("visa_free_days", "visa_fee", "visa_free_fee"):
            for key in _table(entry, table):
                if key != "default" and key not in countries:
                    bad(
                        f"{base}.entry.{table}.{key}",
                        f"unknown country {key!r}{_known(key, countries)}",
                    )

    for origin, dests in _table(data, "flights", "routes").items():
        for dest in [origin, *(dests if isinstance(dests, Mapping) else [])]:
            if dest not in countries:
                bad(
                    f"flights.routes.{origin}", f"unknown country {dest!r}{_known(dest, countries)}"
                )

    for cc, cov in _table(data, "coverage").items():
        base = f"coverage.{cc}"
        if cc not in countries:
            bad(base, f"unknown country {cc!r}{_known(cc, countries)}")
        rules = cov.get("rules") if isinstance(cov, Mapping) else None
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, Mapping):
                continue
            where = f"{base}.rules[{i}]"
            cite(f"{where}.sources", _strings(rule.get("sources")))
            code = rule.get("indication")
            if isinstance(code, str) and code not in indications:
                bad(
                    f"{where}.indication",
                    f"unknown indication {code!r}{_known(code, indications)}",
                )
            for pid in _strings(rule.get("products")):
                if pid not in products:
                    bad(f"{where}.products", f"unknown product {pid!r}{_known(pid, products)}")
    for sid_, scheme in _table(data, "schemes").items():
        if not isinstance(scheme, Mapping):
            continue
        base = f"schemes.{sid_}"
        cite(f"{base}.sources", _strings(scheme.get("sources")))
        for dest in _strings(scheme.get("destinations")):
            if dest not in countries:
                bad(f"{base}.destinations", f"unknown country {dest!r}{_known(dest, countries)}")

    for sid in sorted(known_sources - used):
        bad(f"sources.{sid}", "source is never used by any figure")
    return problems


def check_ids(data: Mapping[str, Any], file: str) -> list[Problem]:
    """Ids and codes are exactly what they look like: printable ASCII without spaces; a
    product id in lower case and an indication code in upper case (as they are looked
    up, so each can be selected); no two products under one brand."""
    problems: list[Problem] = []

    def check(path: str, key: object, what: str, case: str = "") -> None:
        if not isinstance(key, str):
            return
        if not _ID.fullmatch(key):
            problems.append(
                Problem(
                    file,
                    path,
                    f"{what} {key[:40]!r} must be printable ASCII, e.g. letters, digits and "
                    "'-' (no look-alike characters, no space at either end)",
                )
            )
        elif case == "lower" and key != key.lower():
            problems.append(
                Problem(file, path, f"{what} {key!r} must be lower case, e.g. {key.lower()!r}")
            )
        elif case == "upper" and key != key.upper():
            problems.append(
                Problem(file, path, f"{what} {key!r} must be upper case, e.g. {key.upper()!r}")
            )

    for key in _table(data, "products"):
        check(f"products.{key}", key, "product id", "lower")
    for key in _table(data, "indications"):
        check(f"indications.{key}", key, "indication code", "upper")
    for key in _table(data, "sources"):
        check(f"sources.{key}", key, "source id")
    for cc, country in _table(data, "countries").items():
        offers = country.get("offers") if isinstance(country, Mapping) else None
        if isinstance(offers, Mapping):
            for oid in offers:
                check(f"countries.{cc}.offers.{oid}", oid, "offer id")
    brands: dict[str, str] = {}
    for key, product in _table(data, "products").items():
        brand = product.get("brand") if isinstance(product, Mapping) else None
        if isinstance(brand, str) and isinstance(key, str):
            other = brands.get(brand.lower())
            if other is not None:
                problems.append(
                    Problem(
                        file,
                        f"products.{key}.brand",
                        f"brand {brand[:40]!r} is also the brand of {other!r}: "
                        "a brand names one product",
                    )
                )
            brands.setdefault(brand.lower(), key)
    return problems


# Characters no rate table needs and a terminal may obey (ESC starts colour, title and
# clipboard sequences): C0 controls but tab and newline, DEL, C1, bidi overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The deepest real key path is about 6 levels (countries.CN.entry.visa_fee.GB.range[0]).
MAX_DEPTH = 32


def _shown(text: str) -> str:
    """Text safe to print: control characters as escapes (\\x1b), the rest as is."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


_SCALARS = frozenset({Decimal, int, float, bool, date})


def _is_node(value: object) -> bool:
    return isinstance(value, Mapping | list)


def _maybe_hostile(data: object) -> bool:
    """The fast pass of check_hostile (about 1.5 ms for the real table): no key paths."""
    search = _CONTROL.search
    stack: list[tuple[object, int]] = [(data, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_DEPTH:
            return True
        values: Iterable[object]
        if isinstance(node, dict | Mapping):
            for key in node:
                if type(key) is not str or search(key):
                    return True
            values = node.values()
        elif type(node) is list:
            values = node
        else:
            continue
        for value in values:
            kind = type(value)
            if kind is str:
                if search(value):
                    return True
            elif kind is dict or kind is list or (kind not in _SCALARS and _is_node(value)):
                push((value, depth + 1))
    return False


def check_hostile(data: Mapping[str, Any], file: str) -> list[Problem]:
    """Control characters in keys or text, and absurd nesting, found without recursion,
    so such data never reaches the recursive checks or a user's terminal."""
    if not _maybe_hostile(data):
        return []
    problems: list[Problem] = []
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(Problem(file, path, f"nested over {MAX_DEPTH} levels deep"))
            continue
        children: list[tuple[object, str, int]] = []
        if isinstance(node, Mapping):
            for key, value in node.items():
                name = _shown(str(key))
                child = f"{path}.{name}" if path else name
                if name != str(key):
                    problems.append(Problem(file, child, "key contains a control character"))
                else:
                    children.append((value, child, depth + 1))
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node)]
        elif isinstance(node, str) and (found := _CONTROL.search(node)):
            char = _shown(found.group())
            where = f"{char} at {found.start()}"
            problems.append(Problem(file, path, f"text contains a control character ({where})"))
        stack.extend(reversed(children))
    return problems


def validate(data: Mapping[str, Any], file: str = "<rates>") -> records.Rates:
    """Plain TOML data -> the table's records, or RatesError listing every problem."""
    hostile = check_hostile(data, file)
    if hostile:
        raise RatesError(hostile)
    problems = check_references(data, file)
    try:
        rates = Rates.model_validate(data)
    except ValidationError as err:
        raise RatesError(_pydantic_problems(err, file) + problems) from None
    found = to_records(rates)
    problems += check_magnitudes(found, file)
    if problems:
        raise RatesError(problems)
    return found


def check_magnitudes(rates: records.Rates, file: str) -> list[Problem]:
    """Every money figure, converted to the base currency, at most MAX_BASE_AMOUNT.

    Each figure is bounded in its own currency (MAX_AMOUNT) and every FX rate too
    ([FX_MIN, FX_MAX]), but a huge amount in a currency with a tiny rate is huger still
    in the base: the cost model multiplies figures by days, people and a display rate, and
    computes to the cent in 28 significant digits. Bounded here, the largest total any
    valid table can give (every figure at its bound, ten years of every duration, ten
    caregivers, the display currency at FX_MAX) stays below 1e25, inside that precision.
    """
    problems: list[Problem] = []
    fx = rates.fx.rates
    for path, fig in records.walk_figures(rates):
        if isinstance(fig, records.Money) and fig.currency in fx:
            base = fig.range[1] / fx[fig.currency]
            if base > MAX_BASE_AMOUNT:
                problems.append(
                    Problem(
                        file,
                        f"{path}.range",
                        also=f"fx.rates.{fig.currency}",
                        message=f"{fig.range[1]:,} {fig.currency} is {base:,.0f} {rates.fx.base} at "
                        f"fx.rates.{fig.currency} = {fx[fig.currency]}: implausibly large "
                        f"(limit {MAX_BASE_AMOUNT:,.0f} {rates.fx.base})",
                    )
                )
    return problems


def build(data: Mapping[str, Any]) -> records.Rates:
    """The records of data known to be valid in shape (no cross-reference checks)."""
    return to_records(Rates.model_validate(data))


def to_records(rates: Rates) -> records.Rates:
    """The validated models as rates.py's records: same names, same fields."""

    def convert(node: Any) -> Any:
        if isinstance(node, BaseModel):
            cls = records.RECORDS[type(node).__name__]
            return cls(**{f: convert(getattr(node, f)) for f in cls._fields})  # type: ignore[attr-defined]
        if isinstance(node, dict):
            return records.FrozenDict({k: convert(v) for k, v in node.items()})
        if isinstance(node, list | tuple):
            return tuple(convert(v) for v in node)
        return node

    found: records.Rates = convert(rates)
    fx = found.fx
    if fx.pegs:
        # A pegged currency converts like any other: its rate per base, from the peg.
        pegged = {c: p.rate * fx.rates[p.per] for c, p in fx.pegs.items()}
        found = found._replace(fx=fx._replace(rates=records.FrozenDict({**fx.rates, **pegged})))
    return found
