"""The validated-table cache: what loading the rate table produced, kept for next time.

Parsing the TOML layers and validating them costs more than the rest of a command, and
the answer depends only on the bytes of the layers, their names and the code that reads
them. So the validated table is pickled into the user cache directory under a key made
of all of these:

    sha256(format, cartcost version, Python version, pydantic version,
           the source of the modules that define and check the schema,
           each layer's name and bytes, in order)

and the next command that asks for the same layers unpickles it instead. Nothing in the
file is trusted blindly: it must start with the magic line, repeat its own key, and carry
the sha256 of the pickle, which is checked before a byte is unpickled; unpickling may
only name the classes the caller allows. Anything else (a truncated, corrupt or foreign
file, an unreadable or unwritable directory) is a miss, silently: the table is loaded the
slow way and the cache rewritten. Files are written to a temporary name and renamed, so
a reader never sees half a file; the newest MAX_ENTRIES tables are kept.

Where: CARTCOST_CACHE_DIR when set (made if its parent exists), else the platform's cache
directory
(~/.cache/cartcost or $XDG_CACHE_HOME/cartcost on Linux, ~/Library/Caches/cartcost on
macOS, %LOCALAPPDATA%\\cartcost\\Cache on Windows). Pure apart from that directory: no
printing, no Typer, no Rich.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from cartcost import __version__

DIR_ENV_VAR = "CARTCOST_CACHE_DIR"
APP_NAME = "cartcost"
# Bump when the file layout or what is pickled changes shape.
FORMAT = 2
MAGIC = b"cartcost validated-table cache\n"
PREFIX = "rates-"
SUFFIX = ".pickle"
MAX_ENTRIES = 8
# Far above any real table (the real one pickles to about 0.4 MB); a bigger file is not ours.
MAX_BYTES = 64 * 1024 * 1024
# The modules whose code decides what a table validates to: a change to any of them
# (a new field, a new check) makes every cached table stale, even at the same version.
SCHEMA_MODULES = ("rates.py", "schema.py", "ratesfile.py", "cache.py")

Allowed = Callable[[str, str], bool]


def cache_dir() -> Path | None:
    """The directory for cached tables, or None when there is nowhere sensible."""
    env = os.environ.get(DIR_ENV_VAR)
    if env:
        return Path(env).expanduser()
    try:
        home = Path.home()
    except (RuntimeError, KeyError):
        return None
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else home / "AppData" / "Local"
        return base / APP_NAME / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base / APP_NAME


def _schema_fingerprint() -> bytes:
    """The source of the schema modules; empty for a module shipped without source."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in SCHEMA_MODULES:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(b"-")
    return h.digest()


def _pydantic_version() -> str:
    try:
        from pydantic.version import VERSION
    except ImportError:  # pragma: no cover - pydantic is a dependency
        return "none"
    return str(VERSION)


def table_key(layers: Iterable[tuple[str, bytes]]) -> str:
    """The cache key of a stack of layers: every input that decides the validated table."""
    h = hashlib.sha256()

    def part(data: bytes) -> None:
        # Length-prefixed, so no two different stacks can hash the same bytes.
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)

    header = f"{FORMAT}|{__version__}|{sys.version}|{_pydantic_version()}"
    part(header.encode())
    part(_schema_fingerprint())
    for name, raw in layers:
        part(name.encode("utf-8", "surrogateescape"))
        part(raw)
    return h.hexdigest()


def entry_path(key: str, directory: Path | None = None) -> Path | None:
    base = directory if directory is not None else cache_dir()
    return None if base is None else base / f"{PREFIX}{key}{SUFFIX}"


class _Unpickler(pickle.Unpickler):
    """Unpickles only the classes `allowed` names: a cache file cannot run code."""

    def __init__(self, data: bytes | memoryview, allowed: Allowed) -> None:
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> type:
        if not self._allowed(module, name):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a table cache")
        found = super().find_class(module, name)
        if not isinstance(found, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not a class")
        return found


def _header(key: str) -> bytes:
    return MAGIC + key.encode("ascii") + b"\n"


def load(key: str, allowed: Allowed) -> object | None:
    """The object stored under `key`, or None for a miss (absent, damaged, foreign)."""
    path = entry_path(key)
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            blob = handle.read(MAX_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(blob) > MAX_BYTES:
        return None
    header = _header(key)
    digest_end = len(header) + hashlib.sha256().digest_size
    if not blob.startswith(header) or len(blob) <= digest_end:
        return None
    payload = memoryview(blob)[digest_end:]
    if hashlib.sha256(payload).digest() != blob[len(header) : digest_end]:
        return None
    # Unpickling makes thousands of objects and no garbage: collecting meanwhile is waste.
    collecting = gc.isenabled()
    gc.disable()
    try:
        found: object = _Unpickler(payload, allowed).load()
        return found
    except Exception:
        # Whatever a damaged or foreign pickle raises, it is only a miss.
        return None
    finally:
        if collecting:
            gc.enable()


def store(key: str, value: object) -> bool:
    """Keep `value` under `key`; False (and nothing left behind) when that is not possible."""
    path = entry_path(key)
    if path is None:
        return False
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return False
    blob = _header(key) + hashlib.sha256(payload).digest() + payload
    import tempfile  # here: only a miss writes

    tmp = None
    try:
        # The platform's directory is made with its parents (~/.cache may not exist yet);
        # a directory named in CARTCOST_CACHE_DIR only if its parent exists, so a mistyped
        # (or deliberately impossible) path means no cache rather than a new tree.
        path.parent.mkdir(mode=0o700, parents=not os.environ.get(DIR_ENV_VAR), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{PREFIX}", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        return False
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    prune(path.parent, keep=path)
    return True


def prune(directory: Path, keep: Path | None = None, limit: int = MAX_ENTRIES) -> None:
    """Remove all but the newest `limit` cached tables (never `keep`)."""
    try:
        entries = [
            (p.stat().st_mtime, p)
            for p in directory.iterdir()
            if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)
        ]
    except OSError:
        return
    entries.sort(reverse=True)
    for _, p in entries[limit:]:
        if p != keep:
            with contextlib.suppress(OSError):
                p.unlink()
