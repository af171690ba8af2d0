"""The family's choices, and the figures they pick out of the table.

A figure in the table may be keyed by a choice (docs/rates-schema.md): hospital figures
by the kind of hospital (a public or general ward, or an international or private
department), living figures by how the family lives (a long-stay rental and cooking, a
serviced apartment, a hotel and restaurants), and living figures again by city. What a
family chooses is not uncertain once chosen, so a choice picks one figure; "any" asks
for the span over every choice instead.

Pure: no I/O. One home for the choices' names, defaults and limits.
"""

from collections.abc import Sequence
from typing import Literal, NamedTuple

from cartcost.rates import (
    MAX_AGE,
    ByHospital,
    ByLiving,
    CityLiving,
    Country,
    HospitalMoney,
    LivingMoney,
    Money,
    Probability,
    Transfers,
)

HOSPITAL_KINDS: tuple[str, ...] = ("public", "private")
LIVING_CHOICES: tuple[str, ...] = ("budget", "standard", "comfort")
ANY = "any"
# Where a country names no usual kind of hospital for foreign patients.
DEFAULT_HOSPITAL = "private"
# A serviced apartment: what a family staying 6-14 weeks most often takes.
DEFAULT_LIVING = "standard"
OTHER_CITY = "other"
MIN_AGE = 0
MAX_PATIENT_AGE = MAX_AGE

# Who converts and sends the money abroad: the family's own bank, or a specialist
# money-transfer provider. Most families use their bank unless told otherwise.
TRANSFER_CHOICES: tuple[str, ...] = ("bank", "specialist")
DEFAULT_TRANSFER = "bank"
TRANSFER_LABELS = {
    "bank": "the family's bank",
    "specialist": "a money-transfer provider",
}

LIVING_LABELS = {
    "budget": "long-stay rental, cooking",
    "standard": "serviced apartment",
    "comfort": "hotel, restaurants",
}
HOSPITAL_LABELS = {
    "public": "public or general ward",
    "private": "international or private department",
}

Which = Literal["hospital", "living"]


class Choices(NamedTuple):
    """The choices an estimate assumed, each a concrete value or "any"."""

    hospital: str
    living: str
    city: str  # a city key of the country, or "other"
    city_name: str
    age: int | None = None
    transfer: str = DEFAULT_TRANSFER  # who sends the money abroad: bank, specialist, any

    def to_dict(self) -> dict[str, object]:
        return {
            "hospital": self.hospital,
            "living": self.living,
            "city": self.city,
            "age": self.age,
            "transfer": self.transfer,
        }


def transfer_fee(transfers: Transfers, choice: str) -> tuple[Probability, tuple[str, ...]]:
    """The fee a choice of provider picks, and its key paths: the provider's own figure,
    else the table's `fee`; "any" spans every provider (the lowest low to the highest
    high, with all their sources)."""
    if choice != ANY:
        own: Probability | None = getattr(transfers, choice)
        if own is not None:
            return own, (f"transfers.{choice}",)
        assert transfers.fee is not None  # the validator asks for fee or every provider
        return transfers.fee, ("transfers.fee",)
    picked = dict(transfer_fee(transfers, c) for c in TRANSFER_CHOICES)
    if len(picked) == 1:
        return next(iter(picked.items()))
    figs = list(picked)
    return (
        Probability(
            (min(f.range[0] for f in figs), max(f.range[1] for f in figs)),
            tuple(dict.fromkeys(s for f in figs for s in f.sources)),
        ),
        tuple(dict.fromkeys(p for paths in picked.values() for p in paths)),
    )


def hospital_kinds(country: Country) -> tuple[str, ...]:
    """The kinds of hospital the country's figures distinguish ((): none)."""
    if country.hospitals:
        return country.hospitals
    found: set[str] = set()
    for part in (country.hospital, country.services):
        if part is None:
            continue
        for value in part:
            if isinstance(value, ByHospital):
                found.update(k for k in HOSPITAL_KINDS if getattr(value, k) is not None)
    return tuple(k for k in HOSPITAL_KINDS if k in found)


def default_hospital(country: Country) -> str:
    kinds = hospital_kinds(country)
    if country.default_hospital:
        return country.default_hospital
    if not kinds or DEFAULT_HOSPITAL in kinds:
        return DEFAULT_HOSPITAL
    return kinds[0]


def default_city(country: Country) -> str:
    return country.default_city or OTHER_CITY


def city_keys(country: Country) -> tuple[str, ...]:
    return (*country.cities, OTHER_CITY) if country.cities else ()


def find_city(country: Country, name: str) -> str | None:
    """A city key from a key or a name as typed (case-insensitive), or None."""
    wanted = name.strip().lower()
    if wanted == OTHER_CITY and country.cities:
        return OTHER_CITY
    for key, city in country.cities.items():
        if wanted in (key, city.name.lower()):
            return key
    return None


def city_name(country: Country, key: str) -> str:
    if key == OTHER_CITY:
        return "other cities" if country.cities else ""
    return country.cities[key].name


def options(fig: HospitalMoney | LivingMoney) -> dict[str, Money]:
    """A figure's options by choice ({"": fig} when it is not keyed)."""
    if isinstance(fig, Money):
        return {"": fig}
    names = HOSPITAL_KINDS if isinstance(fig, ByHospital) else LIVING_CHOICES
    return {k: m for k in names if (m := getattr(fig, k)) is not None}


def pick(fig: HospitalMoney | LivingMoney, choice: str) -> list[tuple[str, Money]]:
    """The figure(s) a choice picks, with the key each adds to the figure's path ("" when
    the figure is not keyed). "any" picks every option; a concrete choice picks one (a
    keyed hospital figure missing the kind falls back to the other kind, which the
    validator allows only where the country lists a single kind)."""
    opts = options(fig)
    if "" in opts:
        return [("", opts[""])]
    if choice == ANY:
        return list(opts.items())
    if choice in opts:
        return [(choice, opts[choice])]
    return list(opts.items())[:1]


def living_figure(
    country: Country, city: str, name: str
) -> tuple[str, LivingMoney] | tuple[None, None]:
    """A living figure for a city: the city's own, else the country's; with its path
    below countries.CC."""
    if city != OTHER_CITY and city in country.cities:
        own: CityLiving = country.cities[city].living
        fig = getattr(own, name)
        if fig is not None:
            return f"cities.{city}.living.{name}", fig
    if country.living is None:
        return None, None
    value: LivingMoney = getattr(country.living, name)
    return f"living.{name}", value


def is_keyed(fig: object) -> bool:
    return isinstance(fig, ByHospital | ByLiving)


def age_limit(limits: Sequence[int] | None) -> str:
    if not limits:
        return ""
    low, high = limits
    if low == 0:
        return f"up to age {high}"
    if high >= MAX_AGE:
        return f"age {low} and over"
    return f"ages {low}-{high}"


class Resolved(NamedTuple):
    """A destination with every keyed figure resolved for one set of concrete choices:
    plain figures only, and the real key path of each resolved figure (below
    countries.CC), e.g. "hospital.inpatient_day" -> "hospital.inpatient_day.public"."""

    country: Country
    paths: dict[str, str]


# resolve_country's results by (id(country), hospital, living, city), with the country
# itself to tell a reused id apart: a batch resolves the same few choices thousands of times.
_RESOLVED: dict[tuple[int, str, str, str], tuple[Country, Resolved]] = {}
_MAX_RESOLVED = 4096


def resolve_country(country: Country, hospital: str, living: str, city: str) -> Resolved:
    """The country as one family's choices see it (each choice concrete, not "any").

    A pure function of its arguments, kept per country object: callers only read the
    result (its paths dict included)."""
    key = (id(country), hospital, living, city)
    hit = _RESOLVED.get(key)
    if hit is not None and hit[0] is country:
        return hit[1]
    found = _resolve_country(country, hospital, living, city)
    if len(_RESOLVED) >= _MAX_RESOLVED:
        _RESOLVED.clear()
    _RESOLVED[key] = (country, found)
    return found


def _resolve_country(country: Country, hospital: str, living: str, city: str) -> Resolved:
    paths: dict[str, str] = {}

    def one(part: str, name: str, fig: HospitalMoney | LivingMoney, choice: str) -> Money:
        key, money = pick(fig, choice)[0]
        if key:
            paths[f"{part}.{name}"] = f"{part}.{name}.{key}"
        return money

    hosp = country.hospital
    if hosp is not None:
        hosp = hosp._replace(
            **{
                n: one("hospital", n, v, hospital)
                for n, v in zip(hosp._fields, hosp, strict=True)
                if v is not None
            }
        )
    services = country.services
    if services is not None:
        services = services._replace(
            coordinator=None
            if services.coordinator is None
            else one("services", "coordinator", services.coordinator, hospital),
            interpreter_day=None
            if services.interpreter_day is None
            else one("services", "interpreter_day", services.interpreter_day, hospital),
        )
    living_rec = country.living
    if living_rec is not None:
        values = {}
        for name in living_rec._fields:
            where, fig = living_figure(country, city, name)
            assert where is not None and fig is not None
            money = one("living", name, fig, living)
            if where != f"living.{name}":
                paths[f"living.{name}"] = where + paths.get(f"living.{name}", "").removeprefix(
                    f"living.{name}"
                )
            values[name] = money
        living_rec = living_rec._replace(**values)
    return Resolved(country._replace(hospital=hosp, services=services, living=living_rec), paths)


def describe(choices: Choices, kinds: Sequence[str] = (), sends: bool = False) -> str:
    """'private hospital (international or private department), standard living
    (serviced apartment), Shanghai': the choices an estimate assumed, in words; with
    `sends` (the family sends money abroad), who sends it."""
    if choices.hospital == ANY:
        hospital = "any kind of hospital"
    else:
        hospital = f"{choices.hospital} hospital ({HOSPITAL_LABELS[choices.hospital]})"
    if choices.living == ANY:
        living = "any way of living"
    else:
        living = f"{choices.living} living ({LIVING_LABELS[choices.living]})"
    parts = [hospital, living]
    if choices.city_name:
        parts.append(choices.city_name)
    if choices.age is not None:
        parts.append(f"patient aged {choices.age}")
    if sends:
        parts.append(
            "money sent by any provider"
            if choices.transfer == ANY
            else f"money sent by {TRANSFER_LABELS[choices.transfer]}"
        )
    return ", ".join(parts)
