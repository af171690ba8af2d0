"""Many scenarios at once: CSV or JSON Lines in, CSV rows of estimates out, streaming.

    lines of text ──► open_source() ──► Source (column layout + raw records)
                                           │
                      run(rates, source) ──► (row, Outcome), one input record at a time

Nothing here opens a file or prints: the CLI hands in an iterable of text lines and
writes what comes out. Memory does not grow with the input: records are read, estimated
and yielded one at a time, and the only state kept is a bounded memo.

The memo: estimate() is a pure function of (rates, scenario) and a scenario is a pure
function of the raw cells of its row, so the finished CSV text of a row can be reused for
every later row with the same raw cells. It is an LRU of at most `cache_size` entries,
keyed by the row's raw text, so results are exactly those of estimating each row afresh.

Output rows are CSV text (the row number is prefixed by the writer): amounts are rounded
to the cent by exports.fmt, the one place cartcost rounds, and text cells are made safe for
spreadsheets by exports.csvjson.safe_cell.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from cartcost.errors import CartcostError, UsageProblem, suggest
from cartcost.rates import Rates
from cartcost.scenario import MAX_CAREGIVERS, PATHWAYS, Scenario

if TYPE_CHECKING:
    from cartcost.batch_extra import Layout
    from cartcost.estimation import Estimate

INPUT_FIELDS = (
    "country",
    "indication",
    "product",
    "from",
    "caregivers",
    "currency",
    "lives_nearby",
    "pathway",
    "hospital",
    "living",
    "city",
    "age",
    "cover",
    "perspective",
    "reimbursement",
    "income",
    "transfer",
)
REQUIRED_FIELDS = ("country", "indication")
# Other spellings a header (or a JSON key) may use for the same field.
ALIASES = {
    "origin": "from",
    "products": "product",
    "pathways": "pathway",
    "lives-nearby": "lives_nearby",
}

SCENARIO_COLUMNS = ("row", *INPUT_FIELDS)
SUMMARY_COLUMNS = (
    *SCENARIO_COLUMNS,
    "total_low",
    "total_high",
    "you_pay_low",
    "you_pay_high",
    "stay_days_low",
    "stay_days_high",
    "days_to_infusion_low",
    "days_to_infusion_high",
    "fx_as_of",
    "data_as_of",
    "error",
)
ITEM_COLUMNS = (
    *SCENARIO_COLUMNS,
    "category",
    "item",
    "low",
    "high",
    "sources",
    "note",
    "paid_by",
    "basis",
    "fx_as_of",
    "data_as_of",
    "error",
)
ERROR_COLUMNS = (*SCENARIO_COLUMNS, "error")

MAX_FIELD_CHARS = 200
# A real row is a few hundred characters. Lines are read at most this many characters at
# a time, so one endless line (a 200 MB JSON line, a file of NULs) cannot fill memory.
MAX_LINE_CHARS = 16_384
# No cell holds a line break (every field is a code, a number or a short list), so a
# CSV record running over this many lines is an unclosed quote, not data: it would
# swallow the rest of the file as one "row".
MAX_RECORD_LINES = 8
# Column names are short words: a header cell longer than this is not a header.
MAX_HEADER_CELL = 64
# Memo entries: a summary row is about 0.37 KB (its key, its text and the LRU's link),
# an --items entry (a dozen rows) ~4 KB. A new row costs ~0.8 ms and a reused one ~7 us,
# so misses dominate: 1M random rows of the real table hold 35k distinct scenarios, and
# an LRU of 16k entries estimates 101k rows (92 s), one of 28k 40k (~40 s) at 1.16x the
# peak memory of 10k rows (target 1.2x); one of 32k 36k, at 1.17-1.20x: too near it.
DEFAULT_CACHE_SIZE = 28_672
ITEMS_CACHE_SIZE = 4_096
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})
_SEP = "\x1f"  # joins a CSV row's cells into its memo key (unit separator)


class InputFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@dataclass(frozen=True, slots=True)
class Failure:
    """A row that could not be estimated: why, and the row's cells as given."""

    error: str
    fields: tuple[str, ...]
    line: str  # the CSV text of the row in OUT (after the row number)
    error_line: str  # the CSV text of the row in an --errors file


# A row's result: the CSV line it adds to OUT (a str: the summary), the lines (a tuple:
# one per line item, with --items), or a Failure. A bare str keeps memo entries small.
Outcome = str | tuple[str, ...] | Failure


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record the reader could not even split into cells (not memoised)."""

    error: str


Raw = str
Record = tuple[int, Raw | BadRecord]


@dataclass
class Source:
    """An input: its format, how to get INPUT_FIELDS from a raw record, and the records.

    `records` yields (row, raw): row is the input line the record starts on (a CSV
    header is line 1), raw the record's text key.
    """

    format: InputFormat
    records: Iterator[Record]
    fields_of: Callable[[Raw], tuple[str, ...]]


@dataclass
class Stats:
    rows: int = 0
    failed: int = 0
    computed: int = 0  # rows worked out rather than taken from the memo


# ---------------------------------------------------------------- reading input


def open_source(lines: Iterable[str], name: str = "INPUT") -> Source:
    """Sniff CSV or JSON Lines from the first non-blank line and set up its reader.

    Raises UsageProblem for input that is not text, is empty, or (CSV) has a header
    that does not name known columns.
    """
    it = iter(lines)
    skipped = 0
    for first in it:
        if first.strip():
            break
        skipped += 1
    else:
        raise UsageProblem(
            f"{name} is empty",
            "write a CSV with a header row (country,indication,from,...) or JSON Lines",
        )
    if "\x00" in first or _not_utf8(first):
        raise UsageProblem(f"{name} is not a UTF-8 text file", "expected CSV or JSON Lines")
    rest = itertools.chain([first], it)
    if first.lstrip().startswith("{"):
        return _jsonl_source(rest, skipped)
    return _csv_source(rest, skipped, name)


def bounded_lines(handle: Any, name: str) -> Iterator[str]:
    """The lines of a text stream, each at most MAX_LINE_CHARS; a longer one stops the
    batch with a message naming it (memory stays bounded whatever the input)."""
    readline = handle.readline
    limit = MAX_LINE_CHARS + 1
    n = 0
    while True:
        line = readline(limit)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE_CHARS:
            raise UsageProblem(
                f"{name}: line {n:,} is longer than {MAX_LINE_CHARS:,} characters",
                "a scenario row is a few hundred characters at most: is this the right file?",
            )
        yield line


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def column_layout(header: list[str], name: str = "INPUT") -> tuple[int | None, ...]:
    """For each of INPUT_FIELDS, the index of its column in the header (None: absent)."""
    long = next((i for i, h in enumerate(header) if len(h) > MAX_HEADER_CELL), None)
    if long is not None:
        raise UsageProblem(
            f"{name}: header cell {long + 1} is {len(header[long]):,} characters long; "
            f"column names are at most {MAX_HEADER_CELL}",
            "the first row must name the columns, e.g. country,indication,from",
        )
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    names = [ALIASES.get(n, n) for n in names]
    unknown = [header[i].strip() for i, n in enumerate(names) if n not in INPUT_FIELDS]
    if unknown:
        known = ", ".join(INPUT_FIELDS)
        if len(unknown) == len(names):
            hint = f"the first row must name the columns, e.g. country,indication,from (known: {known})"
        else:
            close = [s for s in (suggest(u, INPUT_FIELDS) for u in unknown if u) if s]
            hint = "; ".join(close) if close else f"known columns: {known}"
        shown = ", ".join(repr(u[:40]) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise UsageProblem(
            f"{name} has unknown column{'s' if len(unknown) > 1 else ''} {shown}{more}", hint
        )
    seen: set[str] = set()
    twice: set[str] = set()
    for n in names:  # linear: names.count(n) for each n took 195 s on a 0.5 MB header
        (twice if n in seen else seen).add(n)
    dupes = sorted(twice)
    if dupes:
        raise UsageProblem(f"{name} names a column twice: {', '.join(dupes)}")
    missing = [f for f in REQUIRED_FIELDS if f not in names]
    if missing:
        raise UsageProblem(
            f"{name} has no {' or '.join(missing)} column",
            "country and indication are required; other columns default as in `estimate`",
        )
    return tuple(names.index(f) if f in names else None for f in INPUT_FIELDS)


class _Feed:
    """Lines into csv.reader, counted: a record that runs over MAX_RECORD_LINES lines (an
    unclosed quote) stops the batch, naming the row where it began."""

    def __init__(self, lines: Iterable[str], name: str, skipped: int) -> None:
        self.lines = iter(lines)
        self.name = name
        self.skipped = skipped
        self.count = 0
        self.start = 1

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.count += 1
        if self.count - self.start >= MAX_RECORD_LINES:
            row = self.start + self.skipped
            raise UsageProblem(
                f"{self.name}: row {row:,} opens a quoted cell that is not closed within "
                f"{MAX_RECORD_LINES} lines",
                'close the quote (a " inside a quoted cell is written "")',
            )
        return line


def _csv_source(lines: Iterable[str], skipped: int, name: str) -> Source:
    feed = _Feed(lines, name, skipped)
    reader = csv.reader(feed)
    try:
        header = next(reader)
    except csv.Error as error:
        raise UsageProblem(f"{name}: the header row is not valid CSV ({error})") from None
    layout = column_layout(header, name)
    width = len(header)

    def fields_of(raw: Raw) -> tuple[str, ...]:
        cells = raw.split(_SEP)
        if len(cells) != width:
            raise UsageProblem("a cell contains the control character U+001F")
        return tuple("" if i is None else cells[i].strip() for i in layout)

    def records() -> Iterator[Record]:
        start = reader.line_num + 1
        join = _SEP.join
        while True:
            feed.start = feed.count + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield start + skipped, BadRecord(f"not valid CSV: {error}")
                start = reader.line_num + 1
                continue
            row = start + skipped
            start = reader.line_num + 1
            if len(cells) == width:
                yield row, join(cells)
            elif cells:  # [] is a blank line: skipped
                yield row, BadRecord(f"row has {len(cells)} cells; the header has {width}")

    return Source(InputFormat.csv, records(), fields_of)


def _jsonl_source(lines: Iterable[str], skipped: int) -> Source:
    def records() -> Iterator[Record]:
        for n, line in enumerate(lines, start=1 + skipped):
            if line.strip():
                yield n, line

    return Source(InputFormat.jsonl, records(), json_fields)


def json_fields(line: str) -> tuple[str, ...]:
    """One JSON Lines record -> its INPUT_FIELDS as text, as a CSV row would give them."""
    try:
        obj = json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise UsageProblem(f"not valid JSON: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise UsageProblem("not valid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise UsageProblem(f"expected a JSON object {{...}}, got {type(obj).__name__}")
    values: dict[str, str] = {}
    for key, value in obj.items():
        field = ALIASES.get(key.lower(), key.lower())
        if field not in INPUT_FIELDS:
            close = suggest(key, INPUT_FIELDS)
            raise UsageProblem(
                f"unknown field {key[:40]!r}"
                + (f" ({close})" if close else "")
                + f"; known: {', '.join(INPUT_FIELDS)}"
            )
        if field in values:
            raise UsageProblem(f"field {field!r} given twice")
        values[field] = _json_text(field, value)
    return tuple(values.get(f, "") for f in INPUT_FIELDS)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a repeated key is an error, not last-wins."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise UsageProblem(f"field {key[:40]!r} given twice")
        obj[key] = value
    return obj


def _no_constant(name: str) -> Any:
    raise UsageProblem(f"not valid JSON: {name} is not a number (write plain decimals)")


def _json_text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value).strip()
    if isinstance(value, float):
        # Only caregivers is a number, and a whole one: 1.0, -0.0 and 1e0 are not.
        raise UsageProblem(f"{field} must be a whole number or text, got {value!r}")
    if (
        isinstance(value, list)
        and field in ("product", "pathway")
        and all(isinstance(v, str) for v in value)
    ):
        return ",".join(value)
    kind = "a list" if isinstance(value, list) else "an object"
    raise UsageProblem(f"{field}: expected text or a number, got {kind}")


# ---------------------------------------------------------------- one row


def _split(text: str) -> tuple[str, ...]:
    parts = (p.strip() for p in text.replace(";", ",").split(","))
    return tuple(dict.fromkeys(p for p in parts if p))


def scenario_from_fields(fields: tuple[str, ...]) -> Scenario:
    """INPUT_FIELDS as text -> Scenario, with the defaults of `estimate` for empty cells.

    Codes are checked later, by estimate(); this checks only what the text itself says.
    """
    for field, value in zip(INPUT_FIELDS, fields, strict=True):
        if len(value) > MAX_FIELD_CHARS:
            raise UsageProblem(f"{field}: {len(value)} characters; at most {MAX_FIELD_CHARS}")
        if _not_utf8(value):
            raise UsageProblem(f"{field}: not UTF-8 text")
    (
        country,
        indication,
        product,
        origin,
        caregivers,
        currency,
        nearby,
        pathway,
        hospital,
        living,
        city,
        age,
        cover,
        perspective,
        reimbursement,
        income,
        transfer,
    ) = fields
    if not country:
        raise UsageProblem("country is empty")
    if not indication:
        raise UsageProblem("indication is empty")
    from cartcost.idents import check_word

    check_word(country, "country", "CN")
    check_word(indication, "indication", "MM")
    if origin:
        check_word(origin, "origin country", "NZ")
    if currency:
        check_word(currency, "currency", "USD")
    carers = 1
    if caregivers:
        # Plain ASCII digits: int() would also take "1_0", " 1", "١" and "+1".
        if caregivers.startswith("-") and caregivers[1:].isascii() and caregivers[1:].isdigit():
            raise UsageProblem(f"caregivers must be 0 to {MAX_CAREGIVERS}, got {caregivers[:40]}")
        if not (caregivers.isascii() and caregivers.isdigit()):
            raise UsageProblem(
                f"caregivers must be a whole number in plain digits, got {caregivers[:40]!r}"
            )
        carers = int(caregivers) if len(caregivers) <= 4 else MAX_CAREGIVERS + 1
        if not 0 <= carers <= MAX_CAREGIVERS:
            raise UsageProblem(f"caregivers must be 0 to {MAX_CAREGIVERS}, got {caregivers[:40]}")
    flag = nearby.lower() if nearby.isascii() else nearby
    if flag not in _TRUE and flag not in _FALSE:
        raise UsageProblem(f"lives_nearby must be true or false, got {nearby[:40]!r}")
    pathways = _split(pathway.lower() if pathway.isascii() else pathway)
    wrong = [p for p in pathways if p not in PATHWAYS]
    if wrong:
        raise UsageProblem(
            f"unknown pathway {wrong[0][:40]!r}; known: {', '.join(PATHWAYS)}",
            suggest(wrong[0], PATHWAYS),
        )
    years = None
    if age:
        if not age.isascii() or not age.isdigit():
            raise UsageProblem(f"age must be a whole number of years, got {age[:40]!r}")
        years = int(age)
    products = _split(product)
    for p in products:
        check_word(p, "product", "axi-cel")
    yearly = None
    if income:
        from decimal import Decimal, InvalidOperation

        try:
            yearly = Decimal(income)
        except InvalidOperation:
            raise UsageProblem(f"income must be a number, got {income[:40]!r}") from None
    return Scenario(
        country=country,
        indication=indication,
        products=products,
        origin=origin or None,
        caregivers=carers,
        currency=currency or None,
        lives_nearby=flag in _TRUE,
        pathways=pathways,
        hospital=hospital or None,
        living=living or None,
        city=city or None,
        age=years,
        cover=cover or None,
        perspective=perspective or None,
        reimbursement=reimbursement or None,
        income=yearly,
        transfer=transfer or None,
    )


def describe(error: CartcostError) -> str:
    return f"{error.message} ({error.hint})" if error.hint else error.message


def _csv_line(cells: Iterable[str]) -> str:
    from cartcost.exports.csvjson import safe_cell

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([safe_cell(c) for c in cells])
    return buf.getvalue()


def _bool(value: bool) -> str:
    return "true" if value else "false"


def failure(error: str, fields: tuple[str, ...], items: bool) -> Failure:
    given = fields or ("",) * len(INPUT_FIELDS)
    blanks = len(ITEM_COLUMNS if items else SUMMARY_COLUMNS) - len(SCENARIO_COLUMNS) - 1
    return Failure(
        error=error,
        fields=fields,
        line=_csv_line((*given, *([""] * blanks), error)),
        error_line=_csv_line((*given, error)),
    )


def outcome(rates: Rates, fields: tuple[str, ...], items: bool) -> Outcome:
    """Estimate one row; a domain error becomes a Failure (the batch goes on)."""
    from cartcost.estimation import estimate
    from cartcost.exports.csvjson import estimate_csv_rows

    try:
        # No likely total per row (batch --budget is for that); the complications
        # reserve is the estimate's own, worked out once per kind of journey. Item rows
        # show notes, bases and sources; summary rows only figures.
        est = estimate(rates, scenario_from_fields(fields), draws=0, narrative=items)
    except CartcostError as error:
        return failure(describe(error), fields, items)
    who = scenario_cells(est)
    if not items:
        return _csv_line((*summary_cells(est), ""))
    return tuple(
        _csv_line(
            (*who, *item_cells(row), est.fx_as_of.isoformat(), est.data_as_of.isoformat(), "")
        )
        for row in estimate_csv_rows(est)
    )


def summary_cells(est: Estimate) -> tuple[str, ...]:
    """A summary row's cells but the error: SUMMARY_COLUMNS from `row` to `data_as_of`."""
    from cartcost.exports.fmt import plain

    return (
        *scenario_cells(est),
        plain(est.total.low),
        plain(est.total.high),
        plain(est.you_pay.low) if est.you_pay is not None else "unknown",
        plain(est.you_pay.high) if est.you_pay is not None else "unknown",
        plain(est.stay_days.low),
        plain(est.stay_days.high),
        plain(est.days_to_infusion.low),
        plain(est.days_to_infusion.high),
        est.fx_as_of.isoformat(),
        est.data_as_of.isoformat(),
    )


# The cells of an --items row, by name, from the rows `estimate --format csv` writes.
_ITEM_CELLS = ("category", "item", "low", "high", "sources", "note", "paid_by", "basis")


def item_cells(row: list[object]) -> tuple[str, ...]:
    from cartcost.exports.csvjson import ESTIMATE_CSV_COLUMNS

    return tuple(str(row[ESTIMATE_CSV_COLUMNS.index(name)]) for name in _ITEM_CELLS)


def scenario_cells(est: Estimate) -> tuple[str, ...]:
    """The INPUT_FIELDS of a row as the estimate resolved them."""
    sc = est.scenario
    return (
        sc.country,
        sc.indication,
        ";".join(dict.fromkeys(o.product for o in est.offers)),
        sc.origin or "",
        str(sc.caregivers),
        est.currency,
        _bool(sc.lives_nearby),
        ";".join(sc.pathways),
        *(
            (est.choices.hospital, est.choices.living, est.choices.city, str(sc.age or ""))
            if est.choices is not None
            else ("", "", "", "")
        ),
        sc.cover or "",
        sc.perspective or "",
        sc.reimbursement or "",
        _plain(sc.income) if sc.income is not None else "",
        est.choices.transfer if est.choices is not None else "",
    )


def _plain(d: Decimal) -> str:
    from cartcost.exports.fmt import plain

    return plain(d)


# ---------------------------------------------------------------- the batch


def run(
    rates: Rates,
    source: Source,
    *,
    items: bool = False,
    cache_size: int | None = None,
    stats: Stats | None = None,
    layout: Layout | None = None,
    jobs: int = 1,
) -> Iterator[tuple[int, Outcome]]:
    """(row, Outcome) for each record of `source`, in order, one at a time.

    cache_size: memo entries (0: no memo); default DEFAULT_CACHE_SIZE, or
    ITEMS_CACHE_SIZE with items. layout: JSON Lines, subtotals, a budget
    (batch_extra.py); None for the plain CSV. jobs: worker processes (batch_parallel.py;
    the same output); 1 works every row in this process.
    """
    make: Callable[[Rates, tuple[str, ...]], Outcome] = partial(outcome, items=items)
    fail: Callable[[str, tuple[str, ...]], Failure] = partial(failure, items=items)
    if layout is not None:
        make, fail = layout.outcome, layout.failure
    if cache_size is None:
        cache_size = ITEMS_CACHE_SIZE if items else DEFAULT_CACHE_SIZE
    stats = stats if stats is not None else Stats()
    if jobs > 1:
        from cartcost.batch_parallel import run_parallel

        yield from run_parallel(
            rates,
            source,
            jobs=jobs,
            items=items,
            cache_size=cache_size,
            stats=stats,
            layout=layout,
        )
        return
    fields_of = source.fields_of

    def compute(raw: Raw) -> Outcome:
        stats.computed += 1
        try:
            fields = fields_of(raw)
        except UsageProblem as error:
            return fail(describe(error), ())
        return make(rates, fields)

    memo = lru_cache(maxsize=cache_size)(compute) if cache_size > 0 else compute
    rows = failed = 0
    try:
        for row, raw in source.records:
            rows += 1
            if isinstance(raw, str):
                result = memo(raw)
            else:
                stats.computed += 1
                result = fail(raw.error, ())
            if type(result) is Failure:
                failed += 1
            yield row, result
    finally:
        stats.rows += rows
        stats.failed += failed


def header_line(items: bool) -> str:
    return ",".join(ITEM_COLUMNS if items else SUMMARY_COLUMNS) + "\n"


def error_header_line() -> str:
    return ",".join(ERROR_COLUMNS) + "\n"
