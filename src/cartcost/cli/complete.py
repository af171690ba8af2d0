"""Shell completion of codes: countries, indications and products from the rate table
(the validated-table cache makes reading it cheap). A completion never fails aloud: a
broken table or config completes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cartcost.rates import Rates


def _table() -> Rates | None:
    try:
        from cartcost.ratesfile import load_rates

        return load_rates()[0]
    except Exception:  # completion must not print a traceback into the shell
        return None


def _matching(options: list[tuple[str, str]], incomplete: str) -> list[tuple[str, str]]:
    """Options (value, help) whose value starts with what is typed, in any case."""
    typed = incomplete.casefold()
    return [(v, h) for v, h in options if v.casefold().startswith(typed)]


def _listed(
    complete: Callable[[str], list[tuple[str, str]]],
) -> Callable[[str], list[tuple[str, str]]]:
    """Completion of the last item of a comma-separated list (CN,US,G...)."""

    def last(incomplete: str) -> list[tuple[str, str]]:
        head, _, tail = incomplete.rpartition(",")
        prefix = f"{head}," if head else ""
        return [(prefix + v, h) for v, h in complete(tail)]

    return last


def countries(incomplete: str) -> list[tuple[str, str]]:
    table = _table()
    if table is None:
        return []
    return _matching([(cc, c.name) for cc, c in sorted(table.countries.items())], incomplete)


def destinations(incomplete: str) -> list[tuple[str, str]]:
    table = _table()
    if table is None:
        return []
    found = [(cc, c.name) for cc, c in sorted(table.countries.items()) if c.is_destination]
    return _matching(found, incomplete)


def indications(incomplete: str) -> list[tuple[str, str]]:
    table = _table()
    if table is None:
        return []
    return _matching([(k, i.name) for k, i in sorted(table.indications.items())], incomplete)


def products(incomplete: str) -> list[tuple[str, str]]:
    table = _table()
    if table is None:
        return []
    return _matching([(k, p.brand) for k, p in sorted(table.products.items())], incomplete)


def currencies(incomplete: str) -> list[tuple[str, str]]:
    table = _table()
    if table is None:
        return []
    return _matching([(c, "") for c in sorted(table.fx.rates)], incomplete)


destination_list = _listed(destinations)
product_list = _listed(products)
