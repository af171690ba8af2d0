"""What a run was: the `meta` object of every JSON output, and the methods paragraph.

`meta` makes a result reproducible and reportable: the output's schema version, the
cartcost version, the seed and number of draws behind any simulated figure, the FX date
and base currency, the price year (the year of the table's `as_of`) and the SHA-256 of
the rate table's bytes, layer by layer and as a whole.

The whole-table hash: for a table of one layer, the SHA-256 of that file's bytes (what
`sha256sum data/rates.toml` prints); for several, the SHA-256 of the layers' hex digests,
lowest layer first, each followed by a newline (so `sha256sum a.toml b.toml | cut -d' '
-f1 | sha256sum` reproduces it). The same bytes always give the same hash, whatever the
files are called.

methods_paragraph() states currency, price date and conversion in words, as item 15 of
CHEERS 2022 (currency, price date and conversion) asks a cost analysis to report.

Pure: no I/O, no printing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from cartcost import fxmoves, pegs

if TYPE_CHECKING:
    from cartcost.budget import Budget
    from cartcost.estimation import Estimate
    from cartcost.rates import Rates

SCHEMA_VERSION = 2


def layer_digests(raws: Sequence[bytes]) -> tuple[str, ...]:
    """The SHA-256 (hex) of each layer's bytes, lowest first."""
    return tuple(hashlib.sha256(raw).hexdigest() for raw in raws)


def table_digest(digests: Sequence[str]) -> str | None:
    """The hash of a whole stack of layers from theirs (see the module's docstring);
    None when the digests are not known."""
    if not digests:
        return None
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(f"{d}\n" for d in digests).encode("ascii")).hexdigest()


def embedded_digests() -> tuple[str, ...]:
    """The digest of the table this cartcost ships (for the Python API, whose load_rates
    returns no Layers). Reads the embedded file."""
    from cartcost.ratesfile import embedded_path

    return layer_digests([embedded_path().read_bytes()])


def run_meta(
    rates: Rates,
    *,
    names: Sequence[str] = (),
    digests: Sequence[str] = (),
    draws: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The `meta` object of a JSON output (docs/schemas/meta.schema.json)."""
    from cartcost import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "cartcost_version": __version__,
        "draws": draws,
        "seed": seed,
        "fx": fx_record(rates),
        "price_year": rates.meta.as_of.year,
        "data_as_of": rates.meta.as_of.isoformat(),
        "rates": {
            "sha256": table_digest(digests),
            "layers": [
                {"name": name, "sha256": digest}
                for name, digest in zip(names, digests, strict=False)
            ],
        },
    }


def fx_record(rates: Rates) -> dict[str, Any]:
    """The `fx` of a run record: base and date, and the pegged currencies' fixed rates."""
    found: dict[str, Any] = {"base": rates.fx.base, "as_of": rates.fx.as_of.isoformat()}
    if rates.fx.pegs:
        found["pegs"] = {
            c: {
                "per": p.per,
                # A peg has a few digits: the float's shortest repr is the table's text.
                "rate": float(p.rate),
                "since": p.since.isoformat(),
                "sources": list(p.sources),
            }
            for c, p in sorted(rates.fx.pegs.items())
        }
    return found


def likely_run(est: Estimate) -> tuple[int | None, int | None]:
    """(draws, seed) behind the plain estimate's likely total, or (None, None)."""
    if not est.likely:
        return None, None
    return est.likely[0].draws, est.likely[0].seed


def _dates(rates: Rates, ests: Sequence[Estimate]) -> tuple[tuple[date, date] | None, bool]:
    """The span of publication dates of the published sources behind the included
    lines, and whether any line rests on an assumption."""
    cited = [
        rates.sources[s]
        for est in ests
        for item in est.items
        if item.amount is not None
        for s in item.sources
        if s in rates.sources
    ]
    found = [src.published for src in cited if src.kind != "assumption"]
    assumed = any(src.kind == "assumption" for src in cited)
    return ((min(found), max(found)) if found else None), assumed


def _num(value: Any) -> str:
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def methods_paragraph(est: Estimate, rates: Rates, budget: Budget | None = None) -> str:
    """Currency, price date and conversion of an estimate, as a methods paragraph
    (CHEERS 2022 item 15), from the figures it actually used; with `budget` (the
    estimate's simulate()), how its percentiles were simulated."""
    return _paragraph([est], rates, budget, "")


def comparison_methods(
    ests: Sequence[Estimate], rates: Rates, budgets: Sequence[Budget] | None = None
) -> str:
    """The methods paragraph of a comparison: its rows' estimates (one display currency)
    and, with `budgets` (one per row, the same draws and seed), how they were simulated."""
    return _paragraph(ests, rates, budgets[0] if budgets else None, " per row")


def _publishers(rates: Rates, ids: Sequence[str]) -> str:
    found = [rates.sources[i].publisher for i in ids if i in rates.sources]
    return _and(list(dict.fromkeys(found))) or "source not given"


def _paragraph(ests: Sequence[Estimate], rates: Rates, budget: Budget | None, each: str) -> str:
    display = ests[0].currency
    native = sorted(
        {
            i.native_currency
            for est in ests
            for i in est.items
            if i.amount is not None and i.native_currency
        }
        | {o.currency for est in ests for o in est.offers}
    )
    foreign = [c for c in native if c != display]
    base = rates.fx.base
    as_of = rates.meta.as_of
    dates, assumed = _dates(rates, ests)
    parts = [
        f"Costs are reported in {display}. Price year: {as_of.year}, the date of the rate "
        f"table ({as_of.isoformat()})."
    ]
    if dates is not None:
        parts.append(
            "Each unit cost is the figure its source published (sources dated "
            f"{dates[0].isoformat()} to {dates[1].isoformat()}), not adjusted for "
            "inflation to the price year"
            + ("; figures no source publishes rest on stated assumptions." if assumed else ".")
        )
    parts.append(
        "Each line was built in the currency its source quoted (quantity times unit "
        "cost); no purchasing-power adjustment was made."
    )
    if foreign:
        pairs = [
            f"{base} 1 = {c} {_num(rates.fx.rates[c])}"
            for c in [*foreign, display]
            if c != base and c in rates.fx.rates and c not in rates.fx.pegs
        ]
        how = f": {'; '.join(pairs)}" if pairs else ""
        parts.append(
            f"Amounts quoted in {_and(foreign)} were converted to {display} once, after each "
            f"line was built, at the market exchange rates of {rates.fx.as_of.isoformat()} "
            f"(base {base}{how})."
        )
        fixed = pegs.pegged(rates, [*foreign, display])
        if fixed:
            many = len(fixed) > 1
            parts.append(
                f"{_and(fixed)} {'were' if many else 'was'} converted instead at the fixed "
                f"rate {'their central banks hold' if many else 'its central bank holds'}: "
                f"{'; '.join(pegs.phrase(rates, c) for c in fixed)}."
            )
    else:
        parts.append(f"Every figure was quoted in {display}: no currency conversion was needed.")
    likely = [est.likely[0] for est in ests if est.likely]
    if budget is not None:
        parts.append(
            f"P10, P50 and P90 come from {budget.draws:,} simulated journeys{each} (seed "
            f"{budget.seed}), each figure drawn from a triangular distribution on its low, "
            "typical (else midpoint) and high values, durations shared by every line, one "
            "offer per journey and each complication by its probability; each input from "
            "its own random stream of that seed, so runs with the same seed and draws share "
            "their draws (common random numbers)."
        )
    elif likely:
        lk = likely[0]
        parts.append(
            f"The likely total (P50) and P90 come from {lk.draws:,} simulated journeys"
            f"{each} (seed {lk.seed})."
        )
    from cartcost.estimation import bill_currencies

    moves = rates.fx.moves
    home = fxmoves.home_currency(rates, ests[0].scenario.origin, display)
    abroad = sorted({c for est in ests for c in bill_currencies(rates, est)})
    moving = fxmoves.exposure(rates, home, abroad) if moves is not None else None
    if moves is not None and moving is not None and (budget is not None or likely):
        bills = fxmoves.moving(rates, home, abroad)
        parts.append(
            f"The simulated journeys also draw exchange-rate moves between {home} (the "
            f"family's money) and {_and(bills)} "
            "over each journey's stay, as correlated normal changes in the logarithm of the "
            "rates with no drift, with the volatilities and correlations of daily rates "
            f"from {moves.start.isoformat()} to {moves.end.isoformat()} ({_publishers(rates, moves.sources)}); "
            "the low and high ends are at the fixed rates above."
        )
    return " ".join(parts)
