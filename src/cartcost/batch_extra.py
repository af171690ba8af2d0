"""What `cartcost batch` adds for analysts: JSON Lines out, subtotals, a budget per row.

- `-F jsonl`: one JSON object per row (the CSV's columns as keys; numbers as numbers,
  `caregivers` and `age` as integers, `lives_nearby` as a boolean, `product` and
  `pathway` as lists, empty as null).
- `--subtotals`: a low/high pair per category (`product_low, product_high, hospital_low,
  ...`), to the cent, adding up to the total to the cent; empty where the category has
  no line.
- `--budget`: P10/P50/P90 of the total per row (`total_p10, total_p50, total_p90`) and of
  what the family pays (`you_pay_p10, ...`; empty where that is unknown), with
  `draws` and `seed`. Every row draws with the global `--seed` (common random numbers,
  engine.NumpyBackend: draw k of an input is the same uniform in every row), so rows
  differ by their scenarios, not by simulation noise; the same scenario gets the same
  figures wherever it stands in whichever file, and `cartcost estimate ... --budget
  --draws D --seed S` with the row's `draws` and `seed` gives the very same P10/P50/P90
  (it draws the same journeys, budget.simulate's). The uniforms are drawn once for the
  whole batch, not once a row.

A row that fails is written with its reason in `error` (or to --errors), as in the plain
batch. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cartcost.batch import (
    INPUT_FIELDS,
    ITEM_COLUMNS,
    SCENARIO_COLUMNS,
    SUMMARY_COLUMNS,
    Failure,
    Outcome,
    _csv_line,
    describe,
    item_cells,
    scenario_cells,
    scenario_from_fields,
    summary_cells,
)
from cartcost.errors import CartcostError
from cartcost.lines import CATEGORIES

if TYPE_CHECKING:
    from cartcost.budget import Spread
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates

BATCH_DRAWS = 2_000  # per row: NumPy draws 2,000 journeys in about the time of 1,000
BUDGET_COLUMNS = (
    "total_p10",
    "total_p50",
    "total_p90",
    "you_pay_p10",
    "you_pay_p50",
    "you_pay_p90",
    "draws",
    "seed",
)


def subtotal_columns() -> tuple[str, ...]:
    return tuple(f"{c}_{end}" for c in CATEGORIES for end in ("low", "high"))


@dataclass(frozen=True)
class BudgetSpec:
    draws: int
    seed: int


def total_spread(
    rates: Rates, est: Estimate, draws: int, seed: int
) -> tuple[Spread, Spread | None]:
    """P10/P50/P90 (and mean) of the total and of what the family pays (None when that
    is unknown): exactly budget.simulate(...).total and .you_pay."""
    from cartcost import budget
    from cartcost.lines import TIME

    keys = [i.key for i in est.items if i.amount is not None and i.key != TIME]
    rule = budget.family_of(rates, est, keys)
    # Only the lines the family's rule splits are kept from the draws.
    need = list(rule.keys) if rule is not None and rule.kind != "all" else []
    run = budget._run(budget._prepared(rates, est), need, draws, seed, keep=draws if need else 1)
    whole = budget._summary(run.total)
    spread = budget._spread(run.total, est.total, whole)
    if rule is None:
        return spread, None
    family = budget.pay_by(rule, run.total, run.lines)
    # A family that pays every line pays the total: its percentiles are the total's.
    return spread, budget._spread(family, est.you_pay, whole if family is run.total else None)


def subtotals(est: Estimate) -> dict[str, tuple[Decimal, Decimal]]:
    """Low and high per category, to the cent, adding up to the total to the cent."""
    from cartcost.exports.fmt import cent_parts

    sums: dict[str, list[Decimal]] = {}
    for item in est.items:
        if item.amount is not None:
            low_high = sums.setdefault(item.category, [Decimal(0), Decimal(0)])
            low_high[0] += item.amount.low
            low_high[1] += item.amount.high
    cats = [c for c in CATEGORIES if c in sums]
    lows = cent_parts([sums[c][0] for c in cats], est.total.low)
    highs = cent_parts([sums[c][1] for c in cats], est.total.high)
    return {c: (lo, hi) for c, lo, hi in zip(cats, lows, highs, strict=True)}


def _json_value(column: str, cell: str) -> Any:
    """A CSV cell as JSON: numbers as numbers, flags and lists as such, empty as null."""
    if cell == "":
        return [] if column in ("product", "pathway") else None
    if column in ("product", "pathway"):
        return cell.split(";")
    if column == "lives_nearby":
        return cell == "true"
    if column in ("caregivers", "age", "draws", "seed"):
        return int(cell)
    if column.endswith(("_low", "_high", "_p10", "_p50", "_p90")) or column in ("low", "high"):
        if cell == "unknown":  # what the family pays, where cover is not known
            return None
        return float(cell) if "." in cell else int(cell)
    return cell


class Layout:
    """The columns of OUT and how a row is written (CSV text, or a JSON object's text
    after its `"row"` key: line() puts the row number first)."""

    def __init__(
        self,
        *,
        jsonl: bool = False,
        items: bool = False,
        subtotals: bool = False,
        budget: BudgetSpec | None = None,
    ) -> None:
        self.jsonl = jsonl
        self.items = items
        self.with_subtotals = subtotals
        self.budget = budget
        if items:
            self.columns = ITEM_COLUMNS
        else:
            self.columns = (
                *SUMMARY_COLUMNS[:-1],
                *(subtotal_columns() if subtotals else ()),
                *(BUDGET_COLUMNS if budget is not None else ()),
                "error",
            )
        self.error_columns = (*SCENARIO_COLUMNS, "error")

    # ---------------------------------------------------------------- text

    @property
    def header(self) -> str:
        return "" if self.jsonl else ",".join(self.columns) + "\n"

    @property
    def error_header(self) -> str:
        return "" if self.jsonl else ",".join(self.error_columns) + "\n"

    def line(self, row: int, text: str) -> str:
        return f'{{"row": {row}, {text}' if self.jsonl else f"{row},{text}"

    def _text(self, columns: Sequence[str], cells: Sequence[str], raw: bool = False) -> str:
        """One row without its row number: CSV, or a JSON object's text after "row"."""
        if not self.jsonl:
            return _csv_line(cells)
        names = columns[1:]
        if raw:  # the cells as given (a failed row): text, not typed
            obj = {k: (v if v != "" else None) for k, v in zip(names, cells, strict=True)}
        else:
            obj = {k: _json_value(k, v) for k, v in zip(names, cells, strict=True)}
        return json.dumps(obj, ensure_ascii=False)[1:] + "\n"

    # ---------------------------------------------------------------- rows

    def failure(self, error: str, fields: tuple[str, ...]) -> Failure:
        given = fields or ("",) * len(INPUT_FIELDS)
        blanks = len(self.columns) - len(SCENARIO_COLUMNS) - 1
        return Failure(
            error=error,
            fields=fields,
            line=self._text(self.columns, (*given, *([""] * blanks), error), raw=True),
            error_line=self._text(self.error_columns, (*given, error), raw=True),
        )

    def outcome(self, rates: Rates, fields: tuple[str, ...]) -> Outcome:
        from cartcost.estimation import estimate
        from cartcost.exports.csvjson import estimate_csv_rows
        from cartcost.exports.fmt import plain

        try:
            # Item rows show notes, bases and sources; summary rows only figures.
            est = estimate(rates, scenario_from_fields(fields), draws=0, narrative=self.items)
        except CartcostError as error:
            return self.failure(describe(error), fields)
        who = scenario_cells(est)
        dates = (est.fx_as_of.isoformat(), est.data_as_of.isoformat())
        if self.items:
            return tuple(
                self._text(self.columns, (*who, *item_cells(r), *dates, ""))
                for r in estimate_csv_rows(est)
            )
        cells = list(summary_cells(est))
        if self.with_subtotals:
            found = subtotals(est)
            for c in CATEGORIES:
                pair = found.get(c)
                cells += [plain(pair[0]), plain(pair[1])] if pair else ["", ""]
        if self.budget is not None:
            seed = self.budget.seed
            try:
                spread, you = total_spread(rates, est, self.budget.draws, seed)
            except CartcostError as error:
                return self.failure(describe(error), fields)
            cells += [plain(spread.p10), plain(spread.p50), plain(spread.p90)]
            cells += [plain(you.p10), plain(you.p50), plain(you.p90)] if you else ["", "", ""]
            cells += [str(self.budget.draws), str(seed)]
        return self._text(self.columns, (*cells, ""))
