"""Who travels where for what: the input of every estimate, and its TOML file.

A scenario file holds the options `cartcost estimate` takes, under the same names the
JSON export uses:

    country = "CN"
    indication = "MM"
    products = ["axi-cel"]
    from = "NZ"
    caregivers = 2
    currency = "NZD"
    lives_nearby = false
    pathways = ["commercial"]
    hospital = "private"        # public | private | any
    living = "standard"         # budget | standard | comfort | any
    transfer = "bank"           # bank | specialist | any: who sends the money abroad
    city = "Shanghai"
    age = 54
    cover = "public"            # public | insured | none; default: the origin's usual
    perspective = "family"      # family | payer | societal
    reimbursement = "au-mtop"   # a scheme paying for treatment abroad (never implied)
    income = 60000              # a year's income, display currency (societal perspective)
    rates = ["quote.toml"]      # overlays, relative to this file's directory

Every key is optional; command-line options override the file (see cli/scenario_opts.py).
"""

import os
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, get_args

from cartcost.rates import Pathway

SCENARIO_KEYS = (
    "country",
    "indication",
    "products",
    "from",
    "caregivers",
    "currency",
    "lives_nearby",
    "pathways",
    "hospital",
    "living",
    "transfer",
    "city",
    "age",
    "cover",
    "perspective",
    "reimbursement",
    "income",
    "rates",
)
PATHWAYS: tuple[str, ...] = get_args(Pathway)
# What a scenario that names no pathway gets. A clinical trial is not something one
# buys: its "price" is whatever the trial charges (often nothing), so mixing it into a
# default estimate would drag every low end to zero. Trials are shown when asked for.
DEFAULT_PATHWAYS = ("commercial", "academic")
MAX_CAREGIVERS = 10

# Patterns, compiled (and cached by re) on first use: not at import, which every command
# pays.
# ASCII letters only, the whole string: see config.py.
_CC = r"[A-Za-z]{2}"
_CCY = r"[A-Za-z]{3}"
# An indication or product as written: printable ASCII (ids, codes, brands).
_ID = r"[!-~](?:[ -~]*[!-~])?"


class Scenario(NamedTuple):
    """A treatment journey to estimate.

    origin None means "not said": travel and visa are then reported as not included.
    currency None means: the origin's currency, else USD.
    """

    country: str
    indication: str
    products: tuple[str, ...] = ()
    origin: str | None = None
    caregivers: int = 1
    currency: str | None = None
    lives_nearby: bool = False
    pathways: tuple[str, ...] = ()
    hospital: str | None = None  # public | private | any; None: the country's usual
    living: str | None = None  # budget | standard | comfort | any; None: standard
    city: str | None = None  # a city key or name, or "other"; None: the country's usual
    age: int | None = None  # the patient's age in years; None: not said
    cover: str | None = None  # public | insured | none; None: the origin's usual cover
    perspective: str | None = None  # family | payer | societal; None: family
    reimbursement: str | None = None  # a scheme id, applied only when named
    income: Decimal | None = None  # a year's income per person, display currency
    transfer: str | None = None  # bank | specialist | any: who sends money abroad; None: bank

    @property
    def domestic(self) -> bool:
        return self.origin is not None and self.origin == self.country

    @property
    def travellers(self) -> int:
        return 1 + self.caregivers


class ScenarioFile(NamedTuple):
    """What a scenario file says; None (or empty) for every key it does not set."""

    path: Path
    country: str | None = None
    indication: str | None = None
    products: tuple[str, ...] = ()
    origin: str | None = None
    caregivers: int | None = None
    currency: str | None = None
    lives_nearby: bool | None = None
    pathways: tuple[str, ...] = ()
    hospital: str | None = None
    living: str | None = None
    city: str | None = None
    age: int | None = None
    cover: str | None = None
    perspective: str | None = None
    reimbursement: str | None = None
    income: Decimal | None = None
    rates: tuple[Path, ...] = ()
    transfer: str | None = None


def parse_scenario(data: Mapping[str, Any], path: Path) -> ScenarioFile:
    """Check a scenario file's data; every problem is reported at once, by key."""
    from cartcost.config import file_problems

    problems: list[str] = []

    def bad(key: str, expected: str) -> None:
        problems.append(f"{key}: expected {expected}, got {data[key]!r}")

    for key in data:
        if key not in SCENARIO_KEYS:
            problems.append(f"{key}: unknown key; allowed: {', '.join(SCENARIO_KEYS)}")

    def code(key: str, pattern: str, expected: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(pattern, value, re.ASCII):
            return value.upper()
        bad(key, expected)
        return None

    def text(key: str, expected: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(_ID, value.strip()):
            return value.strip()
        bad(key, expected)
        return None

    def strings(key: str, expected: str, pattern: str | None = _ID) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(
            isinstance(v, str)
            and v.strip()
            and (pattern is None or re.fullmatch(pattern, v.strip()))
            for v in value
        ):
            found = tuple(v.strip() for v in value)
            if len(set(found)) != len(found):
                problems.append(f"{key}: names the same value twice")
            return found
        bad(key, expected)
        return ()

    country = code("country", _CC, "a country code such as CN")
    indication = text("indication", "an indication code such as MM")
    products = strings("products", 'a list of product ids, e.g. ["axi-cel"]')
    origin = code("from", _CC, "a country code such as NZ")
    currency = code("currency", _CCY, "a currency code such as NZD")
    pathways = strings("pathways", f"a list of {', '.join(PATHWAYS)}")
    for p in pathways:
        if p not in PATHWAYS:
            problems.append(f"pathways: unknown pathway {p!r}; allowed: {', '.join(PATHWAYS)}")
    rates = strings("rates", 'a list of overlay file paths, e.g. ["quote.toml"]', None)
    from cartcost.choices import ANY, HOSPITAL_KINDS, LIVING_CHOICES, MAX_PATIENT_AGE, MIN_AGE

    hospital = text("hospital", "public, private or any")
    if hospital is not None and hospital.lower() not in (*HOSPITAL_KINDS, ANY):
        bad("hospital", "public, private or any")
        hospital = None
    living = text("living", "budget, standard, comfort or any")
    if living is not None and living.lower() not in (*LIVING_CHOICES, ANY):
        bad("living", "budget, standard, comfort or any")
        living = None
    from cartcost.choices import TRANSFER_CHOICES

    transfer = text("transfer", "bank, specialist or any")
    if transfer is not None and transfer.lower() not in (*TRANSFER_CHOICES, ANY):
        bad("transfer", "bank, specialist or any")
        transfer = None
    city = text("city", "a city name such as Shanghai")
    age = data.get("age")
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not MIN_AGE <= age <= MAX_PATIENT_AGE
    ):
        bad("age", f"a whole number of years from {MIN_AGE} to {MAX_PATIENT_AGE}")
        age = None

    from cartcost.whopays import COVER_CHOICES, PERSPECTIVES, income_problem

    cover = text("cover", "public, insured or none")
    if cover is not None and cover.lower() not in COVER_CHOICES:
        bad("cover", ", ".join(COVER_CHOICES))
        cover = None
    perspective = text("perspective", "family, payer or societal")
    if perspective is not None and perspective.lower() not in PERSPECTIVES:
        bad("perspective", ", ".join(PERSPECTIVES))
        perspective = None
    reimbursement = text("reimbursement", "a scheme id such as au-mtop")
    income = data.get("income")
    if income is not None:
        why = income_problem(income)
        if why:
            bad("income", why)
            income = None
        else:
            income = Decimal(str(income))

    caregivers = data.get("caregivers")
    if caregivers is not None and (
        isinstance(caregivers, bool)
        or not isinstance(caregivers, int)
        or not 0 <= caregivers <= MAX_CAREGIVERS
    ):
        bad("caregivers", f"a whole number from 0 to {MAX_CAREGIVERS}")
        caregivers = None
    lives_nearby = data.get("lives_nearby")
    if lives_nearby is not None and not isinstance(lives_nearby, bool):
        bad("lives_nearby", "true or false")
        lives_nearby = None

    if problems:
        raise file_problems("scenario file", path, problems)
    from cartcost.errors import UsageProblem
    from cartcost.safeio import expand

    here = path.parent
    expanded: list[Path] = []
    for r in rates:
        try:
            expanded.append(expand(r, "rates"))
        except UsageProblem as error:  # an unknown ~user
            problems.append(error.message)
    if problems:
        raise file_problems("scenario file", path, problems)
    return ScenarioFile(
        path=path,
        country=country,
        indication=indication,
        products=products,
        origin=origin,
        caregivers=caregivers,
        currency=currency,
        lives_nearby=lives_nearby,
        pathways=pathways,
        hospital=hospital.lower() if hospital else None,
        living=living.lower() if living else None,
        city=city,
        age=age,
        cover=cover.lower() if cover else None,
        perspective=perspective.lower() if perspective else None,
        reimbursement=reimbursement.lower() if reimbursement else None,
        income=income,
        rates=tuple(p if p.is_absolute() else Path(os.path.normpath(here / p)) for p in expanded),
        transfer=transfer.lower() if transfer else None,
    )


def read_scenario(path: Path) -> ScenarioFile:
    """Read and check a scenario file (5 MB limit, UTF-8, TOML)."""
    from cartcost.config import read_file

    return parse_scenario(read_file("scenario file", path), path)


def relative_to_file(target: Path, scenario_path: Path) -> str:
    """How a scenario file at `scenario_path` should name `target` so it is found again:
    relative to the file's directory when possible, else absolute."""
    from cartcost.safeio import expand

    absolute = expand(target, "--rates").resolve()
    here = expand(scenario_path, "PATH").resolve().parent
    try:
        return Path(os.path.relpath(absolute, here)).as_posix()
    except ValueError:  # another drive on Windows
        return str(absolute)


HEADER = """\
# cartcost scenario: who travels where for what.
# Use:  cartcost estimate --scenario {name}
# Options given on the command line override the values here.
# Keys: country, indication, products, from, caregivers, currency, lives_nearby,
#       pathways, hospital, living, transfer, city, age, cover, perspective,
#       reimbursement, income, rates (overlay files, relative to this file).

"""


def scenario_toml(
    scenario: Scenario, rates: Sequence[str] = (), name: str = "THIS-FILE.toml"
) -> str:
    """The TOML text of a scenario file (tomli-w for the data)."""
    import tomli_w

    data: dict[str, Any] = {}
    if scenario.country:
        data["country"] = scenario.country
    data["indication"] = scenario.indication
    if scenario.products:
        data["products"] = list(scenario.products)
    if scenario.origin:
        data["from"] = scenario.origin
    data["caregivers"] = scenario.caregivers
    if scenario.currency:
        data["currency"] = scenario.currency
    data["lives_nearby"] = scenario.lives_nearby
    if scenario.pathways:
        data["pathways"] = list(scenario.pathways)
    # The choices and who pays, written as they are: "hospital" to "reimbursement".
    start, end = SCENARIO_KEYS.index("hospital"), SCENARIO_KEYS.index("income")
    for key in SCENARIO_KEYS[start:end]:
        value = getattr(scenario, key)
        if value is not None:
            data[key] = value
    if scenario.income is not None:
        data["income"] = (
            int(scenario.income)
            if scenario.income == int(scenario.income)
            else float(scenario.income)
        )
    if rates:
        data["rates"] = list(rates)
    return HEADER.format(name=name) + tomli_w.dumps(data)
