"""Range: an immutable value, equal and hashable by its ends, exact in its sums."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from cartcost.money import FxTable, Range, total


def test_a_range_is_equal_and_hashes_by_its_ends() -> None:
    a = Range(Decimal("1.5"), Decimal(3))
    b = Range(Decimal("1.50"), Decimal("3.0"))
    assert a == b and hash(a) == hash(b)
    assert a != Range(Decimal("1.5"), Decimal(4))
    assert a != (Decimal("1.5"), Decimal(3))  # not a tuple
    assert len({a, b, Range.of(2)}) == 2


def test_a_range_cannot_be_changed() -> None:
    r = Range.of(1, 2)
    with pytest.raises(AttributeError, match="immutable"):
        r.low = Decimal(0)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del r.high
    with pytest.raises(AttributeError):
        r.other = 1  # type: ignore[attr-defined]
    assert r == Range(Decimal(1), Decimal(2))


def test_a_range_survives_pickle_and_copy() -> None:
    r = Range(Decimal("0.1"), Decimal("0.30"))
    for again in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert again == r
        assert str(again.high) == "0.30"
    assert repr(r) == "Range(low=Decimal('0.1'), high=Decimal('0.30'))"


def test_sums_and_products_are_exact() -> None:
    third = Range(Decimal(1) / 3, Decimal(2) / 3)
    # 28 significant digits each; the sum keeps every one of them.
    s = third + third + third
    assert s.low == Decimal("0.9999999999999999999999999999")
    assert total([third, third, third]) == s
    assert (Range.of(2, 3) * Range.of(4, 5)) == Range.of(8, 15)
    assert Range.of(2, 3) * 10 == Range.of(20, 30)
    assert Range.of(1, 4).span(Range.of(2, 9)) == Range.of(1, 9)
    assert Range.of(1, 4).mid == Decimal("2.5")


def test_conversion_multiplies_first_then_divides() -> None:
    fx = FxTable("USD", {"USD": Decimal(1), "CNY": Decimal(7), "GBP": Decimal("0.75")})
    assert fx.convert(Decimal(70), "CNY", "GBP") == Decimal("7.5")
    assert fx.convert_range(Range.of(7, 14), "CNY", "USD") == Range.of(1, 2)
