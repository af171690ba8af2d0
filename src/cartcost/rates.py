"""The rate table: pydantic models, validation and cross-reference checks.

Shape and meaning of every key: docs/rates-schema.md. Loading files and merging overlays
lives in ratesfile.py; this module only turns plain data into a validated ``Rates``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cartcost.errors import Problem, RatesError

# Larger than any plausible figure in any currency (KRW and IDR included): a value above
# it is a typo such as 1e400, not a price.
MAX_AMOUNT = Decimal("1e13")

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

_CC = re.compile(r"^[A-Z]{2}$")
_CCY = re.compile(r"^[A-Z]{3}$")


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
    return d


def _country_code(value: Any) -> str:
    if not isinstance(value, str) or not _CC.match(value):
        raise ValueError(f"expected an ISO 3166 alpha-2 code such as CN or GB, got {value!r}")
    return value


def _currency_code(value: Any) -> str:
    if not isinstance(value, str) or not _CCY.match(value):
        raise ValueError(f"expected an ISO 4217 code such as USD or CNY, got {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__} {value!r}")
    return value


def _whole_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number of days, got {value!r}")
    if value < 0:
        raise ValueError(f"must not be negative, got {value}")
    return value


Amount = Annotated[Decimal, BeforeValidator(_amount)]
CountryCode = Annotated[str, BeforeValidator(_country_code)]
Currency = Annotated[str, BeforeValidator(_currency_code)]
Text = Annotated[str, BeforeValidator(_text)]
NonEmptyText = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
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


class Duration(Figure):
    """A range of days (or a count such as visits per week): no currency."""


class Source(Model):
    title: NonEmptyText
    publisher: NonEmptyText
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
            raise ValueError(f"a {self.kind} source needs an http(s) url, got {self.url!r}")
        return self


class Meta(Model):
    schema_version: int = Field(alias="schema")
    title: Text = ""
    as_of: date


class Fx(Model):
    base: Currency
    as_of: date
    sources: SourceIds
    rates: dict[Currency, Amount]

    @model_validator(mode="after")
    def _base_is_one(self) -> Fx:
        if self.rates.get(self.base) != 1:
            raise ValueError(f"rates.{self.base} (the base) must be 1")
        zero = [c for c, r in self.rates.items() if r == 0]
        if zero:
            raise ValueError(f"rates must be positive; zero for {', '.join(zero)}")
        return self


class Indication(Model):
    name: NonEmptyText


class Product(Model):
    generic: NonEmptyText
    brand: NonEmptyText
    target: NonEmptyText
    maker: Text = ""


class Offer(Model):
    product: NonEmptyText
    brand: Text = ""
    indications: Annotated[list[NonEmptyText], Field(min_length=1)]
    pathway: Pathway = "commercial"
    price: Money
    manufacturing_days: Duration
    includes: list[HospitalItem] = []
    note: Text = ""


class Hospital(Model):
    workup: Money
    apheresis: Money
    lymphodepletion: Money
    inpatient_day: Money
    outpatient_visit: Money
    bridging: Money | None = None
    complications: Money | None = None


class Durations(Model):
    workup_days: Duration
    inpatient_days: Duration
    nearby_days: Duration
    outpatient_visits_per_week: Duration
    inpatient_days_without_carer: Duration | None = None


class Living(Model):
    lodging_night: Money
    meals_day: Money
    local_transport_day: Money


class Services(Model):
    coordinator: Money | None = None
    interpreter_day: Money | None = None


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
    name: NonEmptyText
    currency: Currency
    region: Region
    offers: Annotated[dict[str, Offer], BeforeValidator(_offers_by_id)] = {}
    hospital: Hospital | None = None
    durations: Durations | None = None
    living: Living | None = None
    services: Services | None = None
    entry: Entry | None = None

    @property
    def is_destination(self) -> bool:
        return bool(self.offers)

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


class Fare(Model):
    fare: Money


class Flights(Model):
    routes: dict[CountryCode, dict[CountryCode, Fare]] = {}
    regions: dict[Region, dict[Region, Fare]] = {}


class Rates(Model):
    meta: Meta
    sources: dict[str, Source]
    fx: Fx
    indications: dict[str, Indication]
    products: dict[str, Product]
    countries: dict[CountryCode, Country]
    flights: Flights = Flights()

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


def _loc_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _pydantic_problems(err: ValidationError, file: str) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        # Pydantic puts the validator's name in loc for Annotated/union members;
        # keep only the real keys of the document.
        loc = tuple(
            p
            for p in e["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
        )
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown key (see docs/rates-schema.md for the keys allowed here)"
        problems.append(Problem(file, _loc_path(loc), msg))
    return problems


def walk_figures(rates: Rates) -> Iterator[tuple[str, Figure]]:
    """Every figure in a validated table with its key path."""

    def walk(node: object, path: str) -> Iterator[tuple[str, Figure]]:
        if isinstance(node, Figure):
            yield path, node
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                yield from walk(getattr(node, name), f"{path}.{name}" if path else name)
        elif isinstance(node, Mapping):
            for key, value in node.items():
                yield from walk(value, f"{path}.{key}")

    yield from walk(rates, "")


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
                bad(path, f"unknown source id {sid!r}")

    fx_rates = _table(data, "fx", "rates")
    currencies = set(fx_rates)
    check_currency = bool(fx_rates)
    for path, fig in _raw_figures({k: v for k, v in data.items() if k != "sources"}):
        cite(f"{path}.sources", _strings(fig.get("sources")))
        ccy = fig.get("currency")
        if check_currency and isinstance(ccy, str) and ccy not in currencies:
            bad(f"{path}.currency", f"currency {ccy} has no rate in [fx.rates]")
    cite("fx.sources", _strings(_table(data, "fx").get("sources")))

    products = set(_table(data, "products"))
    indications = set(_table(data, "indications"))
    countries = _table(data, "countries")
    for cc, country in countries.items():
        if not isinstance(country, Mapping):
            continue
        base = f"countries.{cc}"
        ccy = country.get("currency")
        if check_currency and isinstance(ccy, str) and ccy not in currencies:
            bad(f"{base}.currency", f"currency {ccy} has no rate in [fx.rates]")
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
                bad(f"{where}.product", f"unknown product {product!r}")
            for ind in _strings(offer.get("indications")):
                if ind not in indications:
                    bad(f"{where}.indications", f"unknown indication {ind!r}")
        entry = _table(country, "entry")
        cite(f"{base}.entry.visa_free_sources", _strings(entry.get("visa_free_sources")))
        for table in ("visa_free_days", "visa_fee", "visa_free_fee"):
            for key in _table(entry, table):
                if key != "default" and key not in countries:
                    bad(f"{base}.entry.{table}.{key}", f"unknown country {key!r}")

    for origin, dests in _table(data, "flights", "routes").items():
        for dest in [origin, *(dests if isinstance(dests, Mapping) else [])]:
            if dest not in countries:
                bad(f"flights.routes.{origin}", f"unknown country {dest!r}")

    for sid in sorted(known_sources - used):
        bad(f"sources.{sid}", "source is never used by any figure")
    return problems


def validate(data: Mapping[str, Any], file: str = "<rates>") -> Rates:
    """Plain TOML data -> Rates, or RatesError listing every problem at once."""
    problems = check_references(data, file)
    try:
        rates = Rates.model_validate(data)
    except ValidationError as err:
        problems = _pydantic_problems(err, file) + problems
    if problems:
        raise RatesError(problems)
    return rates
