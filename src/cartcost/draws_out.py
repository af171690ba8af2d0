"""The simulated draws themselves, for analysts: a tidy long table and the inputs drawn.

`estimate --budget --draws-out FILE` (and `compare --budget --draws-out FILE`) writes

- FILE: one row per line of each draw and one `total` row per draw, columns
  `scenario, draw, line, category, amount, currency` (amounts in the display currency,
  to the cent; `line` is the line's key, e.g. `hospital.inpatient`; the total row's
  category is `total`);
- FILE's stem + `.params` + its extension (draws.csv -> draws.params.csv): one row per
  draw, `scenario, draw`, then one column per uncertain input: `offer` (the offer drawn),
  `choice` (hospital/living, with `any`), `price`, `days.<phase>`, `rate.<line key>`
  (each line's unit rate, display currency), `visa_fee`, `icu_day` and `event.<id>`
  (1 if it happened); empty where the scenario has no such input.

Draws are numbered from 1 per scenario. They are written chunk by chunk as the
simulation makes them (budget.CHUNK at a time), so memory stays bounded at ten million
draws. This module formats; the command line opens the files (cli/draws_cmd.py).

Pure: no printing; writes only to the handles it is given.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TextIO

from cartcost import engine

if TYPE_CHECKING:
    from cartcost.estimation import Estimate

LONG_COLUMNS = ("scenario", "draw", "line", "category", "amount", "currency")
TOTAL = "total"
FORMATS = (".csv", ".parquet")
_UNSAFE = set(',"\r\n')


def params_path(path: str) -> str:
    """draws.csv -> draws.params.csv (the inputs drawn, beside the draws)."""
    dot = path.rfind(".")
    slash = max(path.rfind("/"), path.rfind("\\"))
    if dot <= slash + 1:
        return path + ".params"
    return f"{path[:dot]}.params{path[dot:]}"


def scenario_label(est: Estimate, product: str | None = None) -> str:
    """The `scenario` column: country/indication[/product] (codes and ids only)."""
    sc = est.scenario
    return "/".join(x for x in (sc.country, sc.indication, product) if x)


def _cell(text: str) -> str:
    # Codes, ids and line keys are plain ASCII identifiers; quote anything else anyway.
    if _UNSAFE & set(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def param_names(pr: engine.Prepared) -> list[str]:
    """The inputs one draw of this plan records, in the order engine.draw records them."""
    record: dict[str, Any] = {}
    engine.draw(pr, engine.ListBackend(random.Random(0), 1), record=record)
    return list(record)


@dataclass
class Scenario:
    """One scenario to write: its label, estimate and plan."""

    label: str
    estimate: Estimate
    prepared: engine.Prepared
    keys: list[str] = field(default_factory=list)  # its lines, in the estimate's order
    categories: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        items = [i for i in self.estimate.items if i.amount is not None]
        self.keys = [i.key for i in items]
        self.categories = [i.category for i in items]


class DrawsWriter:
    """Writes chunks of draws of several scenarios to a long table and a params table,
    as CSV (text handles) or Parquet (binary handles; needs pyarrow)."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        long: IO[Any],
        params: IO[Any],
        parquet: bool = False,
    ) -> None:
        self.scenarios = list(scenarios)
        names: list[str] = []
        for s in self.scenarios:
            names += [n for n in param_names(s.prepared) if n not in names]
        self.params = ["offer", "choice", *(n for n in names if n not in ("offer", "choice"))]
        self.long = long
        self.param_handle = params
        self.parquet = parquet
        self.rows = 0
        self._writers: tuple[Any, Any] | None = None
        if parquet:
            self._open_parquet()
        else:
            self._text(long).write(",".join(LONG_COLUMNS) + "\r\n")
            self._text(params).write(",".join(["scenario", "draw", *self.params]) + "\r\n")

    @staticmethod
    def _text(handle: IO[Any]) -> TextIO:
        return handle  # type: ignore[return-value]

    def sink(self, index: int) -> Any:
        """The budget.Sink for scenario `index`."""
        s = self.scenarios[index]

        def write(d: engine.Draws, record: dict[str, Any], start: int) -> None:
            self._chunk(s, d, record, start)

        return write

    # ---------------------------------------------------------------- one chunk

    def _columns(
        self, s: Scenario, d: engine.Draws, record: dict[str, Any]
    ) -> tuple[Any, list[Any], int]:
        """(amounts n x lines+1, params columns, n) of a chunk, as NumPy arrays."""
        import numpy as np

        n = int(np.asarray(d.total).shape[0])
        amounts = np.column_stack(
            [np.broadcast_to(np.asarray(d.lines[k], dtype=float), (n,)) for k in s.keys]
            + [np.asarray(d.total, dtype=float)]
        )
        np.round(amounts, 2, out=amounts)
        plan = s.prepared.plan
        offers = np.asarray([oid for oid, _ in plan.offers], dtype=object)
        combos = np.asarray([f"{h}/{lv}" for h, lv in plan.combos], dtype=object)
        cols: list[Any] = []
        for name in self.params:
            if name not in record:
                cols.append(None)
            elif name == "offer":
                cols.append(offers[np.broadcast_to(np.asarray(record[name]), (n,))])
            elif name == "choice":
                cols.append(combos[np.broadcast_to(np.asarray(record[name]), (n,))])
            else:
                cols.append(np.broadcast_to(np.asarray(record[name], dtype=float), (n,)))
        return amounts, cols, n

    def _chunk(self, s: Scenario, d: engine.Draws, record: dict[str, Any], start: int) -> None:
        amounts, cols, n = self._columns(s, d, record)
        if self.parquet:
            self._chunk_parquet(s, amounts, cols, n, start)
        else:
            self._chunk_csv(s, amounts, cols, n, start)
        self.rows += n * amounts.shape[1]

    def _chunk_csv(self, s: Scenario, amounts: Any, cols: list[Any], n: int, start: int) -> None:
        import numpy as np

        label, ccy = _cell(s.label), _cell(s.estimate.currency)
        template = "".join(
            f"{label},%d,{_cell(key)},{_cell(cat)},%.2f,{ccy}\r\n"
            for key, cat in zip([*s.keys, TOTAL], [*s.categories, TOTAL], strict=True)
        )
        width = amounts.shape[1]
        both = np.empty((n, 2 * width))
        both[:, 0::2] = np.arange(start + 1, start + n + 1, dtype=float)[:, None]
        both[:, 1::2] = amounts
        out = self._text(self.long)
        step = 10_000
        for i in range(0, n, step):
            out.write("".join([template % tuple(row) for row in both[i : i + step].tolist()]))
        # The inputs: strings for the offer and choice, %.10g for numbers, empty if absent.
        pieces = [f"{label},%d"]
        values: list[Any] = [np.arange(start + 1, start + n + 1)]
        for col in cols:
            if col is None:
                pieces.append("")
            elif col.dtype == object:
                pieces.append("%s")
                values.append(col)
            else:
                pieces.append("%.10g")
                values.append(col)
        ptemplate = ",".join(pieces) + "\r\n"
        pout = self._text(self.param_handle)
        for i in range(0, n, step):
            part = zip(*(v[i : i + step].tolist() for v in values), strict=True)
            pout.write("".join([ptemplate % row for row in part]))

    # ---------------------------------------------------------------- Parquet

    def _open_parquet(self) -> None:
        import pyarrow as pa  # type: ignore[import-not-found, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]

        long_schema = pa.schema(
            [
                ("scenario", pa.string()),
                ("draw", pa.int64()),
                ("line", pa.string()),
                ("category", pa.string()),
                ("amount", pa.float64()),
                ("currency", pa.string()),
            ]
        )
        fields = [("scenario", pa.string()), ("draw", pa.int64())]
        fields += [
            (p, pa.string() if p in ("offer", "choice") else pa.float64()) for p in self.params
        ]
        self._writers = (
            pq.ParquetWriter(self.long, long_schema),
            pq.ParquetWriter(self.param_handle, pa.schema(fields)),
        )

    def _chunk_parquet(
        self, s: Scenario, amounts: Any, cols: list[Any], n: int, start: int
    ) -> None:
        import numpy as np
        import pyarrow as pa  # type: ignore[import-not-found, unused-ignore]

        assert self._writers is not None
        long_writer, params_writer = self._writers
        width = amounts.shape[1]
        draws = np.arange(start + 1, start + n + 1, dtype=np.int64)
        keys = np.asarray([*s.keys, TOTAL], dtype=object)
        cats = np.asarray([*s.categories, TOTAL], dtype=object)
        long_writer.write_table(
            pa.table(
                {
                    "scenario": pa.array([s.label] * (n * width), pa.string()),
                    "draw": np.repeat(draws, width),
                    "line": pa.array(np.tile(keys, n), pa.string()),
                    "category": pa.array(np.tile(cats, n), pa.string()),
                    "amount": amounts.reshape(-1),
                    "currency": pa.array([s.estimate.currency] * (n * width), pa.string()),
                },
                schema=long_writer.schema,
            )
        )
        data: dict[str, Any] = {"scenario": pa.array([s.label] * n, pa.string()), "draw": draws}
        for name, col in zip(self.params, cols, strict=True):
            kind = pa.string() if name in ("offer", "choice") else pa.float64()
            data[name] = pa.nulls(n, kind) if col is None else pa.array(col, kind)
        params_writer.write_table(pa.table(data, schema=params_writer.schema))

    def close(self) -> None:
        if self._writers is not None:
            for w in self._writers:
                w.close()
            self._writers = None


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True
