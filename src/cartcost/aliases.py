"""Names people type for countries and indications, read as the table's codes.

`UK`, `England` or `Britain` mean GB; `USA` or `America` mean US; a country's name in
any case (`china`, `New Zealand`) or its ISO three-letter code (`NZL`) means that
country. An indication may be given by its name or a word of it (`myeloma` is MM) when
exactly one indication in the table matches; `lymphoma` matches several and is refused
with the choices. Each reading is reported (`read_as`) so the command line can say what
it understood. Pure look-ups: nothing here prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cartcost.errors import UsageProblem

if TYPE_CHECKING:
    from cartcost.rates import Rates
    from cartcost.scenario import Scenario

# Common names and codes that are not the table's own, by the code they mean. Only
# those whose code is in the table apply.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "GB": (
        "UK",
        "U K",
        "England",
        "Britain",
        "Great Britain",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "GBR",
    ),
    "US": ("USA", "U S", "U S A", "America", "United States of America", "the States"),
    "KR": ("Korea", "Republic of Korea", "ROK", "KOR"),
    "NL": ("Holland", "NLD"),
    "CN": ("PRC", "Mainland China", "People's Republic of China", "CHN"),
    "TR": ("Turkiye", "TUR"),
    "DE": ("Deutschland", "DEU"),
    "ES": ("Espana", "ESP"),
    "CH": ("Swiss", "Schweiz", "Suisse", "CHE"),
    "NZ": ("Aotearoa", "NZL"),
    "AU": ("AUS",),
    "BR": ("BRA",),
    "CA": ("CAN",),
    "FR": ("FRA",),
    "ID": ("IDN",),
    "IE": ("IRL", "Eire"),
    "IL": ("ISR",),
    "IN": ("IND", "Bharat"),
    "IT": ("ITA", "Italia"),
    "JP": ("JPN", "Nippon"),
    "MX": ("MEX",),
    "MY": ("MYS",),
    "NO": ("NOR",),
    "PH": ("PHL",),
    "SE": ("SWE",),
    "SG": ("SGP",),
    "TH": ("THA",),
    "ZA": ("ZAF",),
    "GR": ("EL",),
    "AE": ("UAE", "U A E", "Emirates", "ARE"),
    "SA": ("KSA", "Saudi", "SAU"),
}

# Indication names and abbreviations that are not the table's codes.
INDICATION_ALIASES: dict[str, tuple[str, ...]] = {
    "LBCL": ("DLBCL", "diffuse large B-cell lymphoma"),
    "B-ALL": ("ALL", "acute lymphoblastic leukaemia"),
    "MM": ("myeloma",),
}


def _plain(text: str) -> str:
    """Case, accents, dots, apostrophes, hyphens and spacing set aside: 'Türkiye' and
    'turkiye', 'U.S.A.' and 'usa', 'b-all' and 'B ALL' read alike."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("leukemia", "leukaemia")
    text = re.sub(r"[.'’]", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    return text[4:] if text.startswith("the ") else text


def _squeezed(text: str) -> str:
    return _plain(text).replace(" ", "")


# ---------------------------------------------------------------- countries


def _country_keys(rates: Rates) -> dict[str, str]:
    """Every way of naming a country in the table, squeezed, -> its code."""
    keys: dict[str, str] = {}
    for code, aliases in COUNTRY_ALIASES.items():
        if code in rates.countries:
            for alias in aliases:
                keys[_squeezed(alias)] = code
    for code, country in rates.countries.items():
        keys[_squeezed(country.name)] = code
        keys[_squeezed(code)] = code
    return keys


def country_code(rates: Rates, text: str) -> str | None:
    """The table's code for a country however it is typed, or None."""
    code = text.strip().upper()
    if code in rates.countries:
        return code
    if not text.isprintable():
        return None  # a line break or control character is a broken cell, not a name
    return _country_keys(rates).get(_squeezed(text))


def country_hint(rates: Rates, text: str) -> str:
    """'did you mean CN?' for the nearest code, name or alias, or ''."""
    import difflib

    code = country_code(rates, text)
    if code is None:
        word = _squeezed(text)
        if len(word) <= 2:
            close = difflib.get_close_matches(word, [c.lower() for c in rates.countries], 1, 0.5)
            code = close[0].upper() if close else None
        else:
            keys = _country_keys(rates)
            close = difflib.get_close_matches(word, list(keys), 1, 0.6)
            code = keys[close[0]] if close else None
    return f"did you mean {code}?" if code else ""


def resolve_countries(rates: Rates, texts: Sequence[str]) -> tuple[str, ...]:
    """Countries however typed -> codes, in order, without repeats; every unknown one
    named at once, with the nearest of each (UsageProblem, exit 2)."""
    found: list[str] = []
    unknown: list[str] = []
    for raw in texts:
        if not raw.strip():
            continue
        code = country_code(rates, raw)
        if code is None:
            unknown.append(raw.strip())
        else:
            found.append(code)
    if unknown:
        hints = [f"{u}: {country_hint(rates, u) or 'no close match'}" for u in unknown]
        listing = ", ".join(repr(u) for u in unknown)
        plural = "countries" if len(unknown) > 1 else "country"
        raise UsageProblem(
            f"unknown {plural} {listing}; known: {', '.join(sorted(rates.countries))}",
            "; ".join(hints),
        )
    return tuple(dict.fromkeys(found))


# ---------------------------------------------------------------- indications


def _indication_matches(rates: Rates, text: str) -> list[str]:
    """Codes of the indications `text` names: by code, alias or full name (one), else
    every indication whose name (or alias) holds it as whole words."""
    code = text.strip().upper()
    if code in rates.indications:
        return [code]
    word = _squeezed(text)
    if not word or not text.isprintable():
        return []
    for code in rates.indications:
        if word == _squeezed(code) or word == _squeezed(rates.indications[code].name):
            return [code]
    for code, aliases in INDICATION_ALIASES.items():
        if code in rates.indications and any(word == _squeezed(a) for a in aliases):
            return [code]
    phrase = _plain(text)
    if len(phrase) < 4:
        return []
    pattern = re.compile(rf"\b{re.escape(phrase)}s?\b")
    return sorted(
        code
        for code, ind in rates.indications.items()
        if any(
            pattern.search(_plain(name)) for name in (ind.name, *INDICATION_ALIASES.get(code, ()))
        )
    )


def indication_code(rates: Rates, text: str) -> str | None:
    """The table's code for an indication however it is typed, or None (also when the
    words fit several: see indication_hint)."""
    matches = _indication_matches(rates, text)
    return matches[0] if len(matches) == 1 else None


def indication_hint(rates: Rates, text: str) -> str:
    """The choices when `text` fits several indications, else the nearest code, or ''."""
    import difflib

    matches = _indication_matches(rates, text)
    if len(matches) > 1:
        choices = ", ".join(f"{c} ({rates.indications[c].name})" for c in matches)
        return f"{text.strip()!r} fits several: {choices}; give one code"
    if len(matches) == 1:
        return f"did you mean {matches[0]}?"
    keys = {_squeezed(c): c for c in rates.indications}
    keys.update({_squeezed(i.name): c for c, i in rates.indications.items()})
    close = difflib.get_close_matches(_squeezed(text), list(keys), 1, 0.5)
    return f"did you mean {keys[close[0]]}?" if close else ""


# ---------------------------------------------------------------- a scenario


def canonical(rates: Rates, scenario: Scenario) -> Scenario:
    """The scenario with its destination, origin and indication read as the table's
    codes wherever they name one (see the module's docstring); anything unknown is left
    as typed, for the checks to report in the user's own spelling."""
    country, origin, indication = scenario.country, scenario.origin, scenario.indication
    if (
        (not country or country.upper() in rates.countries)
        and (origin is None or origin.upper() in rates.countries)
        and indication.upper() in rates.indications
    ):
        return scenario  # the usual case, kept cheap: batch resolves every row
    return scenario._replace(
        country=(country_code(rates, country) or country) if country else country,
        origin=(country_code(rates, origin) or origin) if origin else origin,
        indication=indication_code(rates, indication) or indication,
    )


def read_as(rates: Rates, scenario: Scenario) -> list[str]:
    """What canonical() read differently from how it was typed, said plainly:
    "'UK' read as GB (United Kingdom)". Codes typed in another case are not mentioned."""
    out: list[str] = []
    for text in (scenario.country, scenario.origin):
        if text and text.upper() not in rates.countries:
            code = country_code(rates, text)
            if code:
                out.append(f"{text.strip()!r} read as {code} ({rates.countries[code].name})")
    if scenario.indication and scenario.indication.upper() not in rates.indications:
        code = indication_code(rates, scenario.indication)
        if code:
            name = rates.indications[code].name
            out.append(f"{scenario.indication.strip()!r} read as {code} ({name})")
    return out


def countries_read_as(rates: Rates, texts: Sequence[str]) -> list[str]:
    """read_as for a list of countries (compare --countries)."""
    out = []
    for text in texts:
        if text.strip() and text.strip().upper() not in rates.countries:
            code = country_code(rates, text)
            if code:
                out.append(f"{text.strip()!r} read as {code} ({rates.countries[code].name})")
    return out
