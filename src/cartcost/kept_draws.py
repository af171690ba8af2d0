"""What a batch of budgets keeps between scenarios: the random numbers of each named input
and what is worked out from them alone (picks, standard triangular draws, days, event
occurrences, quantities), by key, least recently used first out past a byte budget.

They depend on the seed, the chunk of draws, the number of draws and the input's name
only (engine.NumpyBackend), so a thousand batch rows draw them once. Values are NumPy
arrays, or tuples and Days of them, made read-only as they are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from cartcost.lines import Days

MAX_BYTES = 128 * 2**20
MAX_DRAWS = 50_000  # bigger runs (a 10-million-draw budget) are not kept

_KEPT: OrderedDict[tuple[object, ...], tuple[object, int]] = OrderedDict()
_size = 0


def get(key: tuple[object, ...]) -> object | None:
    found = _KEPT.get(key)
    if found is None:
        return None
    _KEPT.move_to_end(key)
    return found[0]


def put(key: tuple[object, ...], value: object) -> None:
    """Keep value (read-only from now on), dropping the least recently used past
    MAX_BYTES."""
    global _size
    size = _nbytes(value)
    if size > MAX_BYTES:
        return
    while _KEPT and _size + size > MAX_BYTES:
        _, (_, dropped) = _KEPT.popitem(last=False)
        _size -= dropped
    _KEPT[key] = (value, size)
    _size += size


def clear() -> None:
    global _size
    _KEPT.clear()
    _size = 0


def kept_bytes() -> int:
    return _size


def _nbytes(value: object) -> int:
    if isinstance(value, Days):
        return sum(_nbytes(getattr(value, k)) for k in Days.__slots__)
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    flags = getattr(value, "flags", None)
    if flags is None:
        return 0
    flags.writeable = False
    return int(getattr(value, "nbytes", 0))
