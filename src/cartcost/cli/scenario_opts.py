"""Options, scenario file and config defaults -> one Scenario and its overlays.

Precedence, highest first:

    command line  >  scenario file (--scenario)  >  config [defaults]  >  built-in defaults

Overlays, lowest first: config `rates`, CARTCOST_RATES, the scenario file's `rates`,
then each --rates.

Commands pass their raw option values with None for "not given" (use the Maybe* options
in cli/options.py for switches whose default must not hide a scenario file's value).
Imported inside command functions only; it imports no Rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cartcost.config import Config
    from cartcost.rates import Rates
    from cartcost.scenario import Scenario


class ScenarioChoice(NamedTuple):
    scenario: Scenario
    # Every overlay in order, lowest first (config, env, scenario file, --rates): pass it
    # to ratesfile.load_rates(overlays=...).
    overlays: list[Path]


def scenario_from_options(
    *,
    scenario_file: Path | None = None,
    rates: Sequence[Path] | None = None,
    country: str | None = None,
    indication: str | None = None,
    product: Sequence[str] | None = None,
    origin: str | None = None,
    caregivers: int | None = None,
    currency: str | None = None,
    lives_nearby: bool | None = None,
    pathway: Sequence[str] | None = None,
    hospital: str | None = None,
    living: str | None = None,
    city: str | None = None,
    age: int | None = None,
    cover: str | None = None,
    perspective: str | None = None,
    reimbursement: str | None = None,
    income: float | None = None,
    transfer: str | None = None,
    need_country: bool = True,
    config: Config | None = None,
) -> ScenarioChoice:
    """The scenario a command runs, from its options, a scenario file and the config.

    `product` is the raw --product list (comma-separated values allowed); `pathway` the
    pathway names. With need_country=False (compare) a missing country gives country ""
    for the caller to fill in per country.
    """
    from cartcost.cli.options import split_list
    from cartcost.config import load_config
    from cartcost.errors import UsageProblem
    from cartcost.ratesfile import overlay_paths
    from cartcost.scenario import Scenario, ScenarioFile, read_scenario

    cfg = config if config is not None else load_config()
    sf = read_scenario(scenario_file) if scenario_file is not None else ScenarioFile(Path())
    defaults = cfg.defaults
    from_file = " (or set it in the scenario file)" if scenario_file is not None else ""

    chosen_country = country or sf.country
    if not chosen_country and need_country:
        raise UsageProblem(f"missing option --country (-c), e.g. --country CN{from_file}")
    chosen_indication = indication or sf.indication
    if not chosen_indication:
        raise UsageProblem(f"missing option --indication (-i), e.g. --indication MM{from_file}")

    def first(*values: int | None) -> int:
        return next(v for v in values if v is not None)

    from cartcost.estimation import check_choices, check_transfer

    # Checked here too, so a bad value is named before the table loads.
    check_choices_early = Scenario(country="", indication="", hospital=hospital, living=living)
    check_choices(None, "", check_choices_early)
    check_transfer(transfer)
    from decimal import Decimal

    from cartcost import whopays

    whopays.check_cover(cover)
    if perspective is not None:
        whopays.check_perspective(perspective)
    chosen_income = whopays.check_income(Decimal(str(income))) if income is not None else None

    scenario = Scenario(
        country=chosen_country or "",
        indication=chosen_indication,
        products=split_list(list(product or [])) or sf.products,
        origin=origin or sf.origin or defaults.origin,
        caregivers=first(caregivers, sf.caregivers, defaults.caregivers, 1),
        currency=currency or sf.currency or defaults.currency,
        lives_nearby=bool(
            lives_nearby
            if lives_nearby is not None
            else sf.lives_nearby
            if sf.lives_nearby is not None
            else False
        ),
        pathways=tuple(str(p) for p in pathway) if pathway else sf.pathways,
        hospital=hospital or sf.hospital or defaults.hospital,
        living=living or sf.living or defaults.living,
        city=city or sf.city,
        age=first(age, sf.age) if age is not None or sf.age is not None else None,
        cover=cover or sf.cover or defaults.cover,
        perspective=perspective or sf.perspective,
        reimbursement=reimbursement or sf.reimbursement,
        income=chosen_income if chosen_income is not None else sf.income,
        transfer=transfer or sf.transfer or defaults.transfer,
    )
    check_codes(scenario)
    overlays = overlay_paths(rates or (), config_paths=cfg.rates, scenario_paths=sf.rates)
    return ScenarioChoice(scenario, overlays)


def check_codes(scenario: Scenario) -> None:
    """Every code and id as typed is printable ASCII (idents.py): 'ın' must not mean IN
    by way of str.upper(), nor 'ſg' SG."""
    from cartcost.idents import check_word

    if scenario.country:
        check_word(scenario.country, "country", "CN")
    check_word(scenario.indication, "indication", "MM")
    if scenario.origin:
        check_word(scenario.origin, "origin country", "NZ")
    if scenario.currency:
        check_word(scenario.currency, "currency", "USD")
    for product in scenario.products:
        check_word(product, "product", "axi-cel")


def say_read_as(rates: Rates, scenario: Scenario, countries: Sequence[str] = ()) -> None:
    """A note on stderr for each name read as a code ('UK' read as GB (United Kingdom)):
    the estimate runs on the code, and the user sees what was understood."""
    from cartcost.aliases import countries_read_as, read_as
    from cartcost.cli.output import err

    for note in [*read_as(rates, scenario), *countries_read_as(rates, countries)]:
        err(f"cartcost: note: {note}")
