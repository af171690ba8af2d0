"""Reading rate-table files and layering overlays over the embedded default.

Layers, lowest first: the embedded table (or CARTCOST_BASE_RATES), the config file's
`rates`, CARTCOST_RATES (a path list), a scenario file's `rates`, then each --rates.

A later layer replaces the same key of an earlier one; tables merge key by key, while a
figure (a table with a `range`), a list or a plain value is replaced whole. Offers written
as an array of tables are keyed by product first, so an overlay's `[[countries.CN.offers]]`
replaces or adds one offer instead of every offer of the country. The merged data is
validated as one table, and every problem is attributed to the layer that last wrote its key.

load_rates() keeps what it validated (the table and its Layers) in the user cache
(cache.py), keyed by the name and bytes of every layer: the next command over the same
layers reads the bytes, hashes them and unpickles, without parsing TOML or validating.
`rates validate` never uses the cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Union, get_args, get_origin

from cartcost.errors import Problem, RatesError

if TYPE_CHECKING:
    from cartcost.rates import Rates

MAX_BYTES = 5 * 1024 * 1024
ENV_VAR = "CARTCOST_RATES"
# A whole table to use instead of the embedded one (tests, analysts with their own table).
BASE_ENV_VAR = "CARTCOST_BASE_RATES"
EMBEDDED = "<embedded>"
PLUGINS_ENV_VAR = "PYDANTIC_DISABLE_PLUGINS"
UNUSED_SOURCE = "never used"

KeyPath = tuple[str, ...]


def embedded_path() -> Path:
    """The default table: CARTCOST_BASE_RATES, else inside the installed package, else at
    the repository root (an editable install)."""
    base = os.environ.get(BASE_ENV_VAR)
    if base:
        return Path(base)
    # The wheel puts the table beside this module (cartcost/data/rates.toml); a plain
    # path, not importlib.resources, which costs an import for the same answer.
    here = Path(__file__).parent
    packaged = here / "data" / "rates.toml"
    if packaged.is_file():
        return packaged
    return here.resolve().parents[1] / "data" / "rates.toml"


def embedded_name() -> str:
    """How the bottom layer is named in messages: its path when replaced, else <embedded>."""
    return str(embedded_path()) if os.environ.get(BASE_ENV_VAR) else EMBEDDED


def read_toml(path: Path, label: str | None = None, kind: str = "rate table") -> dict[str, Any]:
    """Parse one TOML file with Decimal floats, refusing what no table should be.

    The size is checked before a byte is read, so a huge file costs nothing.
    """
    return parse_toml(read_bytes(path, label, kind), label or str(path))


def read_bytes(path: Path, label: str | None = None, kind: str = "rate table") -> bytes:
    """The bytes of one table file: a regular file of at most 5 MB (safeio.read_limited:
    a FIFO, device or directory is refused without blocking, and the file is remembered
    as an input that no output may replace)."""
    from cartcost.safeio import read_limited

    name = label or str(path)
    try:
        return read_limited(path, kind, MAX_BYTES)
    except ValueError as why:
        raise RatesError([Problem(name, "", str(why))]) from None


def parse_toml(raw: bytes, name: str) -> dict[str, Any]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raise RatesError(
            [Problem(name, "", "file starts with a byte-order mark; save it as UTF-8 without BOM")]
        )
    if b"\x00" in raw:
        raise RatesError([Problem(name, "", "file contains NUL bytes: not a TOML text file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RatesError(
            [Problem(name, "", f"not UTF-8 text (bad byte at offset {err.start})")]
        ) from None
    if not text.strip():
        raise RatesError([Problem(name, "", "file is empty")])
    import tomllib  # here, not at the top: a cached table is never parsed

    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        raise RatesError([Problem(name, "", f"TOML syntax error: {err}")]) from None
    except RecursionError:
        raise RatesError([Problem(name, "", "TOML nested too deeply")]) from None
    # Before any recursive walk (merging, provenance): a dotted header 1,000 keys deep
    # parses flat in tomllib but would exhaust the stack of everything after it.
    from cartcost.schema import check_hostile

    hostile = check_hostile(data, name)
    if hostile:
        raise RatesError(hostile)
    return data


# ---------------------------------------------------------------- merging


def _is_figure(node: object) -> bool:
    return isinstance(node, dict) and "range" in node


def _mergeable(below: object, value: object) -> bool:
    """Two tables merge key by key; a figure on either side is replaced whole (an
    overlay that sets only a figure's `currency` must not relabel the old range)."""
    return (
        isinstance(below, dict)
        and isinstance(value, dict)
        and not _is_figure(below)
        and not _is_figure(value)
    )


def merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`overlay` over `base`, without provenance (see Layers for the tracked version)."""
    return _merge(base, overlay, (), "", {})


def _merge(
    base: dict[str, Any],
    overlay: Mapping[str, Any],
    prefix: KeyPath,
    name: str,
    provenance: dict[KeyPath, str],
) -> dict[str, Any]:
    out = dict(base)
    provenance[prefix] = name
    for key, value in overlay.items():
        path = (*prefix, str(key))
        below = out.get(key)
        if isinstance(below, dict) and _mergeable(below, value):
            out[key] = _merge(below, value, path, name, provenance)
            continue
        if key in out:
            # What the lower layer wrote beneath this key is gone: forget who wrote it,
            # so a problem inside the new value is blamed on the layer that replaced it.
            for old in _paths(below, path):
                provenance.pop(old, None)
        out[key] = value
        for new in _paths(value, path):
            provenance[new] = name
    return out


def _paths(node: object, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, str(i)))


def split_path(path: str) -> KeyPath:
    """'countries.CN.offers[0].price' -> ('countries', 'CN', 'offers', '0', 'price')."""
    return tuple(p for p in path.replace("[", ".").replace("]", "").split(".") if p)


def normalise_offers(layer: dict[str, Any]) -> dict[str, Any]:
    """Offers given as an array of tables become a table keyed like the validator keys
    them (by product), so layers merge offer by offer and key paths agree."""
    from cartcost.schema import _offers_by_id

    countries = layer.get("countries")
    if not isinstance(countries, dict):
        return layer
    fixed: dict[str, Any] = {}
    for cc, country in countries.items():
        if isinstance(country, dict) and isinstance(country.get("offers"), list):
            country = {**country, "offers": _offers_by_id(country["offers"])}
        fixed[cc] = country
    return {**layer, "countries": fixed}


def cited_sources(layer: Mapping[str, Any]) -> set[str]:
    """Source ids a layer cites anywhere (figures, fx, visa-free days)."""
    found: set[str] = set()

    def walk(node: object, top: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if top and key == "sources":
                    continue  # the bibliography itself, not a citation
                if key in ("sources", "visa_free_sources") and isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                else:
                    walk(value, False)
        elif isinstance(node, list):
            for value in node:
                walk(value, False)

    walk(layer, True)
    return found


class Layers(NamedTuple):
    """The merged data and, for every key path, the layer that wrote it last.

    `complete` False: what the validated-table cache keeps, without the merged data (which
    only `rates show` reads, via load_rates(with_data=True)) and, for a table of one layer,
    without provenance (every key is that layer's).
    """

    names: tuple[str, ...]
    data: dict[str, Any]
    provenance: Mapping[KeyPath, str] = {}
    # Source ids cited by some layer: a lower layer's source that an overlay's figure
    # displaced is not "unused" in any sense a user could fix.
    cited: frozenset[str] = frozenset()
    complete: bool = True
    # SHA-256 of each layer's bytes, lowest first (set by load_rates; metadata.py).
    digests: tuple[str, ...] = ()

    def slim(self) -> Layers:
        """Names and who wrote what: all a command needs once the table is valid."""
        provenance = self.provenance if len(self.names) > 1 else {}
        return Layers(self.names, {}, provenance, frozenset(), False, self.digests)

    def layer_of(self, path: str | KeyPath) -> str:
        parts = split_path(path) if isinstance(path, str) else path
        for n in range(len(parts), -1, -1):
            found = self.provenance.get(parts[:n])
            if found is not None:
                return found
        return self.names[-1] if self.names else EMBEDDED

    @property
    def label(self) -> str:
        """'<embedded> + quote.toml': the layers in one line, lowest first."""
        return " + ".join(self.names)


def env_overlays() -> list[Path]:
    from cartcost.safeio import expand

    env = os.environ.get(ENV_VAR, "")
    return [expand(p, ENV_VAR) for p in env.split(os.pathsep) if p.strip()]


def overlay_paths(
    cli_paths: Sequence[str | Path] = (),
    *,
    config_paths: Sequence[Path] = (),
    scenario_paths: Sequence[Path] = (),
) -> list[Path]:
    """Overlays in order: config file, CARTCOST_RATES, scenario file, then each --rates."""
    return [
        *config_paths,
        *env_overlays(),
        *scenario_paths,
        *(_expand_cli(p) for p in cli_paths),
    ]


def _expand_cli(path: str | Path) -> Path:
    from cartcost.safeio import expand

    return expand(path, "--rates")


def stack(layers: Sequence[tuple[str, Mapping[str, Any]]]) -> Layers:
    """Merge named layers, lowest first, keeping who wrote what."""
    data: dict[str, Any] = {}
    provenance: dict[KeyPath, str] = {}
    cited: set[str] = set()
    for name, raw in layers:
        layer = normalise_offers(dict(raw))
        cited |= cited_sources(layer)
        data = _merge(data, layer, (), name, provenance)
    return Layers(tuple(name for name, _ in layers), data, provenance, frozenset(cited))


def layer_files(overlays: Sequence[Path], include_default: bool = True) -> list[tuple[Path, str]]:
    """(path, name) of every layer, lowest first."""
    files = [(embedded_path(), embedded_name())] if include_default else []
    return files + [(p, str(p)) for p in overlays]


def _read_all(files: Sequence[tuple[Path, str]]) -> list[tuple[str, bytes | RatesError]]:
    """Each layer's bytes, or why it cannot be read."""
    read: list[tuple[str, bytes | RatesError]] = []
    for i, (path, name) in enumerate(files):
        kind = "rate table" if i == 0 and name == embedded_name() else "overlay"
        try:
            read.append((name, read_bytes(path, name, kind)))
        except RatesError as err:
            read.append((name, err))
    return read


def _stack_read(read: Sequence[tuple[str, bytes | RatesError]]) -> Layers:
    """Parse and merge read layers; every unreadable or unparsable file is reported at once,
    in layer order."""
    parsed: list[tuple[str, Mapping[str, Any]]] = []
    problems: list[Problem] = []
    for name, raw in read:
        try:
            if isinstance(raw, RatesError):
                raise raw
            parsed.append((name, parse_toml(raw, name)))
        except RatesError as err:
            problems.extend(err.problems)
    if problems:
        raise RatesError(problems)
    return stack(parsed)


def load_layers(overlays: Sequence[Path], include_default: bool = True) -> Layers:
    """Read and merge the layers; every unreadable file is reported at once."""
    return _stack_read(_read_all(layer_files(overlays, include_default)))


# ---------------------------------------------------------------- validation


def _unwrap(tp: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def allowed_keys(path: KeyPath) -> list[str] | None:
    """The keys the schema allows in the table holding `path`, or None when free-form."""
    from pydantic import BaseModel

    from cartcost.schema import Rates

    def keys(model: type[BaseModel]) -> dict[str, Any]:
        return {f.alias or n: f.annotation for n, f in model.model_fields.items()}

    node: Any = Rates
    for part in path[:-1]:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            node = keys(node).get(part)
            if node is None:
                return None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return None
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(keys(node))
    return None


def _explain(problem: Problem) -> Problem:
    """Say what is valid where pydantic only says what is wrong."""
    if problem.message.startswith("unknown key"):
        allowed = allowed_keys(split_path(problem.path))
        if allowed:
            return Problem(
                problem.file, problem.path, f"unknown key; allowed here: {', '.join(allowed)}"
            )
    return problem


@contextmanager
def _no_pydantic_plugins() -> Iterator[None]:
    """Pydantic looks for plugins (scanning every installed package's entry points) the
    first time it builds a validator; no plugin has any business with the rate table."""
    previous = os.environ.get(PLUGINS_ENV_VAR)
    os.environ[PLUGINS_ENV_VAR] = "__all__"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PLUGINS_ENV_VAR, None)
        else:
            os.environ[PLUGINS_ENV_VAR] = previous


def _check(layers: Layers) -> tuple[Rates | None, list[Problem]]:
    with _no_pydantic_plugins():
        return _check_data(layers)


def _check_data(layers: Layers) -> tuple[Rates | None, list[Problem]]:
    from cartcost.schema import build, validate

    try:
        return validate(layers.data, file="merged"), []
    except RatesError as err:
        problems = [
            _explain(Problem(_blame(layers, p), p.path, p.message))
            for p in err.problems
            if not (
                UNUSED_SOURCE in p.message
                and p.path.startswith("sources.")
                and p.path.removeprefix("sources.") in layers.cited
            )
        ]
    if problems:
        return None, problems
    # Only sources displaced by an overlay were left unused: the table itself is sound.
    return build(layers.data), []


def _blame(layers: Layers, problem: Problem) -> str:
    """The layer that wrote the problem's key, or, for a problem resting on two keys, the
    later of the two layers."""
    first = layers.layer_of(problem.path)
    if not problem.also:
        return first
    second = layers.layer_of(problem.also)
    order = {name: i for i, name in enumerate(layers.names)}
    return second if order.get(second, -1) > order.get(first, -1) else first


def check_layers(layers: Layers) -> list[Problem]:
    """Every problem of the merged data, each naming the layer that wrote its key."""
    return _check(layers)[1]


def validate_layers(layers: Layers) -> Rates:
    """Validate merged data, naming for each problem the layer that wrote its key."""
    rates, problems = _check(layers)
    if rates is None:
        raise RatesError(problems)
    return rates


def load_rates(
    cli_paths: Sequence[str | Path] = (),
    *,
    overlays: Sequence[Path] | None = None,
    with_data: bool = False,
    use_cache: bool = True,
) -> tuple[Rates, Layers]:
    """The validated, merged table for a command.

    With `overlays`, exactly those over the default (scenario_opts computes them);
    otherwise the config file's overlays, CARTCOST_RATES, then `cli_paths` (--rates).
    From the validated-table cache when it holds these very layers; else loaded,
    validated and cached (a table with problems raises and is never cached).
    with_data: the Layers carry the merged data too (the cache does not keep it).
    """
    if overlays is None:
        from cartcost.config import load_config

        overlays = overlay_paths(cli_paths, config_paths=load_config().rates)
    from cartcost import cache

    read = _read_all(layer_files(overlays))
    whole = [(name, raw) for name, raw in read if isinstance(raw, bytes)]
    # A layer that cannot be read is an error to report, never something to cache.
    key = cache.table_key(whole) if use_cache and len(whole) == len(read) else None
    from cartcost.metadata import layer_digests

    digests = layer_digests([raw for _, raw in whole])
    if key is not None:
        hit = _cached(cache.load(key, _cacheable), tuple(name for name, _ in read))
        if hit is not None:
            found = _stack_read(read) if with_data else hit[1]
            return hit[0], found._replace(digests=digests)
    layers = _stack_read(read)
    rates = validate_layers(layers)
    if key is not None:
        cache.store(key, (rates, layers.slim()))
    return rates, layers._replace(digests=digests)


# ---------------------------------------------------------------- the validated-table cache


def _cacheable(module: str, name: str) -> bool:
    """What a cached table may be built of: the table's records, Layers, Decimal, date."""
    if module == "cartcost.rates":
        from cartcost.rates import RECORDS

        return name in RECORDS or name == "FrozenDict"
    return (module, name) in _CACHEABLE


_CACHEABLE = frozenset(
    {("cartcost.ratesfile", "Layers"), ("decimal", "Decimal"), ("datetime", "date")}
)


def _cached(found: object, names: tuple[str, ...]) -> tuple[Rates, Layers] | None:
    """A cache hit only if it is what load_rates returns, for these very layers, and
    its figures and text pass the cheap invariants of a validated table (sound())."""
    from cartcost.rates import Rates

    if not (isinstance(found, tuple) and len(found) == 2):
        return None
    rates, layers = found
    if isinstance(rates, Rates) and isinstance(layers, Layers) and layers.names == names:
        why = sound(rates)
        if why is None and not set(layers.provenance.values()) <= set(names):
            why = "provenance naming a layer not in use"
        if why is None:
            return rates, layers
        from cartcost import cache

        cache.NOTES.append(f"table cache entry failed a check ({why}); rebuilt from the files")
    return None


# What no validated table holds (schema.py refuses it): C0 controls but tab and newline,
# DEL, C1 and bidi overrides. The same class as schema._CONTROL, kept here so a cache hit
# need not import the schema (and pydantic).
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_ASCII_ALLOWED = bytes([9, 10, *range(32, 127)])


def sound(rates: Rates) -> str | None:
    """Why `rates` could not have come out of validation, or None: every number finite,
    non-negative and at most MAX_AMOUNT, every range ordered, every FX rate within
    [FX_MIN, FX_MAX], no control character in any key or text. A cache entry is re-checked
    with this before use: one pass over the records (a few ms for the real table)."""
    import re
    from datetime import date

    from cartcost.rates import FIGURES, FX_MAX, FX_MIN, MAX_AMOUNT, RECORDS, FrozenDict, FxMoves

    records = frozenset(RECORDS.values())
    figures = frozenset(FIGURES)
    texts: list[str] = []
    numbers: list[Decimal] = []
    ranges: list[tuple[Decimal, Decimal]] = []
    # Only containers go on the stack; each one's values are sorted here by type, leaves
    # into lists checked in bulk afterwards (one pass, a few thousand objects).
    whole: list[int] = []
    leaves: dict[type, Any] = {str: texts.append, Decimal: numbers.append, int: whole.append}
    ignore = frozenset({bool, date, type(None)})
    stack: list[Any] = [rates]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        kind = type(node)
        if kind is dict or kind is FrozenDict:
            texts.extend(node)
            values = node.values()
        elif kind is FxMoves:
            # Correlations are the table's only negative numbers: checked here, in [-1, 1].
            corr = node.correlation
            if type(corr) is not FrozenDict or not all(
                type(v) is Decimal and v.is_finite() and -1 <= v <= 1 for v in corr.values()
            ):
                return "a correlation out of bounds"
            texts.extend(corr)
            values = node._replace(correlation=FrozenDict())
        else:
            if kind in figures:
                ranges.append(node.range)
            values = node
        for value in values:
            vkind = type(value)
            add = leaves.get(vkind)
            if add is not None:
                add(value)
            elif vkind is tuple or vkind is dict or vkind is FrozenDict or vkind in records:
                push(value)
            elif vkind not in ignore:
                return f"an unexpected {vkind.__name__}"
    if not all(d.is_finite() for d in numbers):
        return "a number that is not finite"
    if numbers and (min(numbers) < 0 or max(numbers) > MAX_AMOUNT):
        return "a number out of bounds"
    if whole and (min(whole) < 0 or max(whole) > MAX_AMOUNT):
        return "a whole number out of bounds"
    if not all(type(r) is tuple and len(r) == 2 and r[0] <= r[1] for r in ranges):
        return "a range that is not [low, high]"
    if not all(FX_MIN <= v <= FX_MAX for v in rates.fx.rates.values()):
        return "an FX rate out of bounds"
    try:
        text = "\n".join(texts)
    except TypeError:
        return "a key that is not text"
    if not text.isascii():
        # Only the few texts beyond ASCII need the slower search; the rest stay in C.
        wide = [t for t in texts if not t.isascii()]
        if re.search(_CONTROL, "\n".join(wide)):
            return "text with a control character"
        text = "\n".join(t for t in texts if t.isascii())
    # In C: delete every allowed byte; anything left is a control.
    if text.encode("ascii").translate(None, _ASCII_ALLOWED):
        return "text with a control character"
    return None
