"""Reading rate-table files and layering overlays over the embedded default.

A later layer replaces the same key of an earlier one; tables merge key by key, and a
figure (a table with a `range`) is replaced whole. The merged data is validated as one
table, and every problem is attributed to the layer that last wrote its key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from cartcost.errors import Problem, RatesError

MAX_BYTES = 5 * 1024 * 1024
ENV_VAR = "CARTCOST_RATES"
# A whole table to use instead of the embedded one (tests, analysts with their own table).
BASE_ENV_VAR = "CARTCOST_BASE_RATES"
EMBEDDED = "<embedded>"

KeyPath = tuple[str, ...]


def embedded_path() -> Path:
    """The default table: CARTCOST_BASE_RATES, else inside the installed package, else at
    the repository root (an editable install)."""
    base = os.environ.get(BASE_ENV_VAR)
    if base:
        return Path(base)
    packaged = resources.files("cartcost").joinpath("data/rates.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "rates.toml"


def read_toml(path: Path, label: str | None = None) -> dict[str, Any]:
    """Parse one TOML file with Decimal floats, refusing what no table should be."""
    name = label or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RatesError([Problem(name, "", "file not found")]) from None
    except OSError as err:
        raise RatesError([Problem(name, "", f"cannot read: {err.strerror}")]) from None
    if size > MAX_BYTES:
        raise RatesError(
            [Problem(name, "", f"file is {size:,} bytes; the limit is {MAX_BYTES:,} (5 MB)")]
        )
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RatesError([Problem(name, "", f"cannot read: {err.strerror}")]) from None
    return parse_toml(raw, name)


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
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        raise RatesError([Problem(name, "", f"TOML syntax error: {err}")]) from None
    except RecursionError:
        raise RatesError([Problem(name, "", "TOML nested too deeply")]) from None


def _is_figure(node: object) -> bool:
    return isinstance(node, dict) and "range" in node


def merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overlay.items():
        below = out.get(key)
        if isinstance(below, dict) and isinstance(value, dict) and not _is_figure(value):
            out[key] = merge(below, value)
        else:
            out[key] = value
    return out


def _paths(node: object, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, str(i)))


def _split(path: str) -> KeyPath:
    return tuple(p for p in path.replace("[", ".").replace("]", "").split(".") if p)


@dataclass(frozen=True)
class Layers:
    """The merged data and, for every key path, the layer that wrote it last."""

    names: tuple[str, ...]
    data: dict[str, Any]
    provenance: dict[KeyPath, str] = field(default_factory=dict)

    def layer_of(self, path: str | KeyPath) -> str:
        parts = _split(path) if isinstance(path, str) else path
        for n in range(len(parts), -1, -1):
            found = self.provenance.get(parts[:n])
            if found is not None:
                return found
        return self.names[-1] if self.names else EMBEDDED


def overlay_paths(cli_paths: Sequence[str | Path] = ()) -> list[Path]:
    """Overlays in order: CARTCOST_RATES (a path list), then each --rates."""
    env = os.environ.get(ENV_VAR, "")
    found = [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return found + [Path(p) for p in cli_paths]


def load_layers(overlays: Sequence[Path], include_default: bool = True) -> Layers:
    names: list[str] = []
    data: dict[str, Any] = {}
    provenance: dict[KeyPath, str] = {}
    problems: list[Problem] = []
    base = embedded_path()
    base_name = str(base) if os.environ.get(BASE_ENV_VAR) else EMBEDDED
    files = ([(base, base_name)] if include_default else []) + [(p, str(p)) for p in overlays]
    for path, name in files:
        try:
            layer = read_toml(path, name)
        except RatesError as err:
            problems.extend(err.problems)
            continue
        names.append(name)
        data = merge(data, layer)
        for key_path in _paths(layer):
            provenance[key_path] = name
    if problems:
        raise RatesError(problems)
    return Layers(tuple(names), data, provenance)


def validate_layers(layers: Layers) -> Any:
    """Validate merged data, naming for each problem the layer that wrote its key."""
    from cartcost.rates import validate

    try:
        return validate(layers.data, file="merged")
    except RatesError as err:
        raise RatesError(
            [Problem(layers.layer_of(p.path), p.path, p.message) for p in err.problems]
        ) from None


def load_rates(cli_paths: Sequence[str | Path] = ()) -> tuple[Any, Layers]:
    """The validated, merged table for a command: default + CARTCOST_RATES + --rates."""
    layers = load_layers(overlay_paths(cli_paths))
    return validate_layers(layers), layers
