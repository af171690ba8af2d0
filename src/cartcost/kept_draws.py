"""What a batch of budgets keeps between scenarios: the random numbers of each named input
and what is worked out from them alone (picks, standard triangular draws, days, event
occurrences, a destination's drawn rates and line amounts), by key, least recently used
first out past a byte budget.

They depend on the seed, the chunk of draws, the number of draws, the input's name and
the table's figures only (engine.NumpyBackend), so a thousand batch rows draw them once.
Values are NumPy arrays, or tuples and Days of them, made read-only as they are kept. An
array kept under several keys (a Days and its longer stay share their phases) is counted
once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from cartcost.lines import Days

MAX_BYTES = 128 * 2**20
MAX_DRAWS = 50_000  # bigger runs (a 10-million-draw budget) are not kept

_KEPT: OrderedDict[tuple[object, ...], tuple[object, tuple[Any, ...]]] = OrderedDict()
_USES: dict[int, tuple[Any, int]] = {}  # id(array) -> (array, how many kept values hold it)
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
    if key in _KEPT:
        return
    arrays = tuple({id(a): a for a in _arrays(value)}.values())
    new = sum(int(a.nbytes) for a in arrays if id(a) not in _USES)
    if new > MAX_BYTES:
        return
    while _KEPT and _size + new > MAX_BYTES:
        _, (_, dropped) = _KEPT.popitem(last=False)
        _release(dropped)
    for a in arrays:
        a.flags.writeable = False
        held = _USES.get(id(a))
        if held is None:
            _USES[id(a)] = (a, 1)
            _size += int(a.nbytes)
        else:
            _USES[id(a)] = (a, held[1] + 1)
    _KEPT[key] = (value, arrays)


def _release(arrays: tuple[Any, ...]) -> None:
    global _size
    for a in arrays:
        held, count = _USES[id(a)]
        if count == 1:
            del _USES[id(a)]
            _size -= int(held.nbytes)
        else:
            _USES[id(a)] = (held, count - 1)


def clear() -> None:
    global _size
    _KEPT.clear()
    _USES.clear()
    _size = 0


def kept_bytes() -> int:
    return _size


def _arrays(value: object) -> list[Any]:
    """The NumPy arrays in a kept value."""
    if isinstance(value, Days):
        return [a for k in Days.__slots__ for a in _arrays(getattr(value, k))]
    if isinstance(value, tuple):
        return [a for v in value for a in _arrays(v)]
    # By type name: NumPy is imported only when a budget is drawn, not by this module.
    return [value] if type(value).__name__ == "ndarray" else []
