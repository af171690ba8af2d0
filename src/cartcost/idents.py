"""Identifiers are exactly what they look like.

Codes (countries, currencies, indications) and ids (products, offers, sources) are
ASCII and matched exactly. Python's str.upper() and str.lower() fold some non-ASCII
letters into ASCII ones ('ı'.upper() == 'I', 'ſ'.upper() == 'S', 'K' (Kelvin).lower()
== 'k'), so a code typed with a look-alike would otherwise select another country; and
`$` in a regular expression also matches before a final newline. So every code or id
a user types is checked here before it is looked up: printable ASCII, nothing else.
Pure: no printing.
"""

from __future__ import annotations

import re

from cartcost.errors import UsageProblem

# Printable ASCII, not starting or ending with a space (brands may hold inner spaces).
WORD = re.compile(r"[!-~](?:[ -~]*[!-~])?")


def is_word(value: str) -> bool:
    return WORD.fullmatch(value) is not None


def check_word(value: str, what: str, example: str) -> str:
    """`value` unchanged when it is printable ASCII; else a UsageProblem that quotes it
    escaped ('\\x1b', 'ı') and says what is valid."""
    if is_word(value):
        return value
    raise UsageProblem(
        f"unknown {what} {value[:80]!r}",
        f"codes and ids are plain ASCII letters, digits and '-', e.g. {example}",
    )
