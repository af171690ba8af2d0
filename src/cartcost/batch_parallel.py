"""`batch --jobs N`: rows estimated in N worker processes, written in input order.

    records ──► chunks of CHUNK rows ──► workers: make(rates, fields) for each row
                   │ (memo hits, unreadable rows: answered here)        │
                   └──────────────── in order, at most AHEAD chunks per worker in flight

Every row's outcome is a pure function of the rate table and the row's cells (a budget's
seed comes from the row itself), so which process works a row out cannot change it: the
output is byte for byte that of one process. The memo of repeated rows stays here, in the
reading process; a row repeated while its first copy is still being worked out is worked
out again (the same result). Memory stays bounded: at most AHEAD x jobs chunks are read
ahead of what has been written.

Nothing here prints. Workers ignore Ctrl-C (the reading process stops them), so an
interrupted batch shows one message, not one traceback per worker.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TYPE_CHECKING

from cartcost.batch import (
    BadRecord,
    Failure,
    Outcome,
    Source,
    Stats,
    describe,
    failure,
    outcome,
)
from cartcost.errors import CartcostError, UsageProblem
from cartcost.rates import Rates

if TYPE_CHECKING:
    from cartcost.batch_extra import Layout

CHUNK = 256  # rows sent to a worker at once: large enough that a row's trip costs little
AHEAD = 2  # chunks in flight per worker
MAX_JOBS = 256

Maker = Callable[[Rates, tuple[str, ...]], Outcome]

# A worker's table and row function, set once by _start (the pool's initializer).
_WORKER: tuple[Rates, Maker] | None = None


def jobs_for(jobs: int) -> int:
    """The number of worker processes `--jobs N` asks for (0: one per CPU this process
    may use); a usage error outside 0..MAX_JOBS."""
    if not 0 <= jobs <= MAX_JOBS:
        raise UsageProblem(
            f"--jobs {jobs}: give 1 to {MAX_JOBS} worker processes, or 0 for one per CPU"
        )
    if jobs:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start(rates: Rates, items: bool, layout: Layout | None) -> None:
    import signal

    global _WORKER
    # Ctrl-C reaches the whole process group: the reading process stops the workers. A
    # forked worker inherits the CLI's SIGTERM handler, which raises; the pool stops a
    # worker with SIGTERM and waits for it, so a worker must simply end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    make: Maker = layout.outcome if layout is not None else partial(outcome, items=items)
    _WORKER = (rates, make)


def _work(rows: list[tuple[str, ...]]) -> list[Outcome]:
    assert _WORKER is not None, "a worker runs _start first"
    rates, make = _WORKER
    return [make(rates, fields) for fields in rows]


def _context() -> multiprocessing.context.BaseContext:
    # fork where there is one: workers start at once with the table already loaded;
    # elsewhere spawn, and the table travels to each worker once, pickled.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


# One row of a chunk: its input row number and either the outcome already known (a memo
# hit, a row that could not be read) or its memo key and the index of its fields in the
# worker's list.
_Entry = tuple[int, Outcome | None, str, int]


def _stopped(entries: list[_Entry]) -> CartcostError:
    return CartcostError(
        f"a worker process stopped before finishing rows {entries[0][0]:,}-"
        f"{entries[-1][0]:,}; OUT is not written",
        "run again with fewer --jobs (each worker holds the rate table) or without",
    )


def run_parallel(
    rates: Rates,
    source: Source,
    *,
    jobs: int,
    items: bool,
    cache_size: int,
    stats: Stats,
    layout: Layout | None,
) -> Iterator[tuple[int, Outcome]]:
    """(row, Outcome) for each record of `source`, in order, as batch.run gives them."""
    fail: Callable[[str, tuple[str, ...]], Failure] = partial(failure, items=items)
    if layout is not None:
        fail = layout.failure
    memo: OrderedDict[str, Outcome] = OrderedDict()
    fields_of = source.fields_of
    pending: deque[tuple[list[_Entry], Future[list[Outcome]] | None]] = deque()
    rows = failed = 0

    def remember(key: str, result: Outcome) -> None:
        if cache_size <= 0:
            return
        memo[key] = result
        if len(memo) > cache_size:
            memo.popitem(last=False)

    def prepare(chunk: list[tuple[int, str | BadRecord]]) -> None:
        """Answer what can be answered here; send the rest to a worker; queue the chunk."""
        entries: list[_Entry] = []
        todo: list[tuple[str, ...]] = []
        for row, raw in chunk:
            if not isinstance(raw, str):
                stats.computed += 1
                entries.append((row, fail(raw.error, ()), "", -1))
                continue
            if cache_size > 0 and raw in memo:
                memo.move_to_end(raw)
                entries.append((row, memo[raw], "", -1))
                continue
            stats.computed += 1
            try:
                fields = fields_of(raw)
            except UsageProblem as error:
                result = fail(describe(error), ())
                remember(raw, result)
                entries.append((row, result, "", -1))
                continue
            entries.append((row, None, raw, len(todo)))
            todo.append(fields)
        try:
            future = pool.submit(_work, todo) if todo else None
        except BrokenProcessPool:
            # A worker died before this chunk could even be sent (a pool breaks for good).
            raise _stopped(entries) from None
        pending.append((entries, future))

    def settle() -> Iterator[tuple[int, Outcome]]:
        nonlocal rows, failed
        entries, future = pending.popleft()
        try:
            done = future.result() if future is not None else []
        except BrokenProcessPool:
            # A worker was killed (out of memory, a signal): nothing is written.
            raise _stopped(entries) from None
        for row, known, key, index in entries:
            result = known if known is not None else done[index]
            if known is None:
                remember(key, result)
            rows += 1
            if type(result) is Failure:
                failed += 1
            yield row, result

    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=_context(), initializer=_start, initargs=(rates, items, layout)
    )
    try:
        chunk: list[tuple[int, str | BadRecord]] = []
        for record in source.records:
            chunk.append(record)
            if len(chunk) == CHUNK:
                prepare(chunk)
                chunk = []
                while len(pending) > AHEAD * jobs:
                    yield from settle()
        if chunk:
            prepare(chunk)
        while pending:
            yield from settle()
    finally:
        stats.rows += rows
        stats.failed += failed
        pool.shutdown(wait=True, cancel_futures=True)
