"""Bounded memos of what many estimates share (a batch's rows, a comparison's countries).

The table's records are immutable and estimates reuse the very same objects, so a memo's
key may hold an object's id() rather than the object (hashing a figure or a plan's lines
by value would cost more than it saves). An id can be reused once its object is gone, so
each entry keeps the objects whose ids its key holds (its owners), and a hit must be
those very objects. When a memo reaches its bound it is emptied: what a batch needs next
fills it again, and memory stays flat however many rows go through.
"""

from __future__ import annotations

from collections.abc import Hashable
from operator import is_
from typing import Generic, TypeVar

V = TypeVar("V")

# Entries a memo keeps by default: a batch's peak memory must stay flat (1M rows within
# 1.2x of 10k), and at 1,024 a new row took no more instructions than with 4-20k.
BOUND = 1024


class Memo(Generic[V]):
    __slots__ = ("bound", "entries")

    def __init__(self, bound: int = BOUND) -> None:
        self.bound = bound
        self.entries: dict[Hashable, tuple[tuple[object, ...], V]] = {}

    def get(self, key: Hashable, owners: tuple[object, ...]) -> V | None:
        """The value kept for `key` if it was kept with these very `owners`, else None."""
        hit = self.entries.get(key)
        if hit is None or len(hit[0]) != len(owners) or not all(map(is_, hit[0], owners)):
            return None
        return hit[1]

    def keep(self, key: Hashable, owners: tuple[object, ...], value: V) -> V:
        if len(self.entries) >= self.bound:
            self.entries.clear()
        self.entries[key] = (owners, value)
        return value

    def clear(self) -> None:
        self.entries.clear()

    def __len__(self) -> int:
        return len(self.entries)
