"""memo.Memo: a hit only for the very owners it was kept with; emptied at its bound."""

from __future__ import annotations

from cartcost.memo import Memo


def test_a_hit_needs_the_very_owners_it_was_kept_with() -> None:
    memo: Memo[str] = Memo(8)
    owner = [1, 2]
    twin = [1, 2]  # equal, but another object (what a reused id would point at)
    key = (id(owner), "x")
    assert memo.get(key, (owner,)) is None
    assert memo.keep(key, (owner,), "kept") == "kept"
    assert memo.get(key, (owner,)) == "kept"
    assert memo.get(key, (twin,)) is None
    assert memo.get(key, (owner, owner)) is None  # another number of owners
    assert memo.get((id(owner), "y"), (owner,)) is None


def test_a_memo_at_its_bound_is_emptied_before_keeping_more() -> None:
    memo: Memo[int] = Memo(3)
    for i in range(3):
        memo.keep(i, (), i)
    assert len(memo) == 3 and memo.get(0, ()) == 0
    memo.keep(3, (), 3)
    assert len(memo) == 1
    assert memo.get(0, ()) is None and memo.get(3, ()) == 3
    memo.clear()
    assert len(memo) == 0
