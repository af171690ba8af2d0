"""Range: an immutable value, equal and hashable by its ends, exact in its sums."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from cartcost.money import FxTable, Range, allocate, total


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


def _d(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


@pytest.mark.parametrize(
    ("amounts", "target", "expected"),
    [
        (("1.4", "1.4", "1.2"), "4", ("2", "1", "1")),  # each rounded alone: 3, not 4
        (("1.6", "1.6", "1.8"), "5", ("2", "1", "2")),  # each rounded alone: 6, not 5
        (("1.6", "1.4"), "3", ("2", "1")),  # already adds up: as rounding alone gives
        (("0.5", "0.5"), "1", ("1", "0")),  # a tie: the earlier one goes up
        (("0", "0"), "0", ("0", "0")),
        ((), "0", ()),
    ],
)
def test_allocate_adds_up_to_the_target(
    amounts: tuple[str, ...], target: str, expected: tuple[str, ...]
) -> None:
    got = allocate(_d(*amounts), Decimal(target), Decimal(1))
    assert got == _d(*expected)
    assert sum(got, Decimal(0)) == Decimal(target)


def test_allocate_to_the_cent_and_a_target_out_of_reach() -> None:
    got = allocate(_d("0.004", "0.004", "0.004"), Decimal("0.01"), Decimal("0.01"))
    assert got == _d("0.01", "0.00", "0.00")
    # Three amounts cannot move 5 units: each is then rounded on its own.
    assert allocate(_d("1.2", "1.2", "1.2"), Decimal(8), Decimal(1)) == _d("1", "1", "1")


def test_allocate_keeps_every_amount_within_one_unit() -> None:
    amounts = [Decimal(i) / 7 for i in range(1, 30)]
    target = sum(amounts, Decimal(0)).quantize(Decimal(1))
    for a, got in zip(amounts, allocate(amounts, target, Decimal(1)), strict=True):
        assert abs(a - got) < 1
