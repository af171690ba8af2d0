"""The user's config file: default overlays and default scenario options.

It lives at `config.toml` in the platform's config directory (Typer's get_app_dir, e.g.
~/.config/cartcost on Linux), or in CARTCOST_CONFIG_DIR when that is set:

    rates = ["~/quotes/hospital.toml"]   # default overlays, applied before CARTCOST_RATES

    [defaults]                           # used when neither the command line nor a
    from = "NZ"                          # scenario file says otherwise
    caregivers = 2
    currency = "NZD"

Relative overlay paths are relative to the config directory. A missing file is no
config; a broken one is an error naming the file and key, never silently ignored.
Pure: reading and checking only; no printing.
"""

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from cartcost.errors import RatesError, UsageProblem

APP_NAME = "cartcost"
DIR_ENV_VAR = "CARTCOST_CONFIG_DIR"
FILE_NAME = "config.toml"

# Patterns, compiled (and cached by re) on first use: not at import, which every command
# pays.
# ASCII letters only, the whole string (fullmatch: `$` alone would also match before a
# final newline, and str.upper() folds some non-ASCII letters into ASCII ones).
_CC = r"[A-Za-z]{2}"
_CCY = r"[A-Za-z]{3}"

TOP_KEYS = ("rates", "defaults")
DEFAULT_KEYS = ("from", "caregivers", "currency", "hospital", "living", "cover", "transfer")


class Defaults(NamedTuple):
    """Scenario defaults; None means "not set", so the built-in default applies."""

    origin: str | None = None
    caregivers: int | None = None
    currency: str | None = None
    hospital: str | None = None
    living: str | None = None
    cover: str | None = None  # the family's cover at home: public | insured | none
    transfer: str | None = None  # who sends money abroad: bank | specialist | any


class Config(NamedTuple):
    path: Path
    exists: bool = False
    rates: tuple[Path, ...] = ()
    defaults: Defaults = Defaults()


def config_dir() -> Path:
    env = os.environ.get(DIR_ENV_VAR)
    if env:
        from cartcost.safeio import expand

        return expand(env, DIR_ENV_VAR)
    # Where Click's get_app_dir puts it (so existing config files stay found), without
    # importing the command-line toolkit into the core.
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg).expanduser() / APP_NAME


def config_path() -> Path:
    return config_dir() / FILE_NAME


def file_problems(kind: str, path: Path, problems: list[str]) -> UsageProblem:
    """One error listing every problem of a config or scenario file."""
    count = len(problems)
    lines = "\n".join(f"  {path}: {p}" for p in problems)
    return UsageProblem(
        f"{kind} {path} has {count} problem{'s' if count != 1 else ''}:\n{lines}",
    )


def read_file(kind: str, path: Path) -> dict[str, Any]:
    """A config or scenario TOML file, with the same limits as a rate table (5 MB, UTF-8)."""
    from cartcost.ratesfile import read_toml

    try:
        return read_toml(path, kind=kind)
    except RatesError as err:
        raise file_problems(kind, path, [p.message for p in err.problems]) from None


def _is_code(value: object, pattern: str) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value, re.ASCII) is not None


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    problems: list[str] = []
    base = path.parent

    for key in data:
        if key not in TOP_KEYS:
            problems.append(f"{key}: unknown key; allowed: {', '.join(TOP_KEYS)}")

    rates: list[Path] = []
    raw_rates = data.get("rates", [])
    if isinstance(raw_rates, str):
        raw_rates = [raw_rates]
    if isinstance(raw_rates, list) and all(isinstance(r, str) and r.strip() for r in raw_rates):
        from cartcost.safeio import expand

        for r in raw_rates:
            try:
                p = expand(r, "rates")
            except UsageProblem as error:
                problems.append(error.message)
                continue
            rates.append(p if p.is_absolute() else Path(os.path.normpath(base / p)))
    else:
        problems.append(
            'rates: expected a list of overlay file paths, e.g. rates = ["~/quotes/hospital.toml"]'
        )

    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        problems.append("defaults: expected a table: [defaults]")
        raw_defaults = {}
    for key in raw_defaults:
        if key not in DEFAULT_KEYS:
            problems.append(f"defaults.{key}: unknown key; allowed: {', '.join(DEFAULT_KEYS)}")
    origin = raw_defaults.get("from")
    if origin is not None and not _is_code(origin, _CC):
        problems.append(f"defaults.from: expected a country code such as NZ, got {origin!r}")
    currency = raw_defaults.get("currency")
    if currency is not None and not _is_code(currency, _CCY):
        problems.append(
            f"defaults.currency: expected a currency code such as NZD, got {currency!r}"
        )
    from cartcost.scenario import MAX_CAREGIVERS

    carers = raw_defaults.get("caregivers")
    if carers is not None and (
        isinstance(carers, bool) or not isinstance(carers, int) or not 0 <= carers <= MAX_CAREGIVERS
    ):
        problems.append(
            f"defaults.caregivers: expected a whole number from 0 to {MAX_CAREGIVERS}, got {carers!r}"
        )
    from cartcost.choices import ANY, HOSPITAL_KINDS, LIVING_CHOICES, TRANSFER_CHOICES
    from cartcost.whopays import COVER_CHOICES

    choice: dict[str, str | None] = {}
    for key, valid in (
        ("hospital", (*HOSPITAL_KINDS, ANY)),
        ("living", (*LIVING_CHOICES, ANY)),
        ("cover", COVER_CHOICES),
        ("transfer", (*TRANSFER_CHOICES, ANY)),
    ):
        value = raw_defaults.get(key)
        if value is not None and (not isinstance(value, str) or value.lower() not in valid):
            problems.append(f"defaults.{key}: expected one of {', '.join(valid)}, got {value!r}")
            value = None
        choice[key] = value.lower() if isinstance(value, str) else None
    if problems:
        raise file_problems("config file", path, problems)
    defaults = Defaults(
        origin=origin.upper() if isinstance(origin, str) else None,
        caregivers=carers if isinstance(carers, int) else None,
        currency=currency.upper() if isinstance(currency, str) else None,
        hospital=choice["hospital"],
        living=choice["living"],
        cover=choice["cover"],
        transfer=choice["transfer"],
    )
    return Config(path=path, exists=True, rates=tuple(rates), defaults=defaults)


def load_config(path: Path | None = None) -> Config:
    """The user's config, or an empty one when there is no file."""
    target = path or config_path()
    if not os.path.lexists(target):
        return Config(path=target)
    return parse_config(read_file("config file", target), target)
