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

The cache trusts only its owner. A directory (CARTCOST_CACHE_DIR, or a cartcost/ someone
made under XDG_CACHE_HOME) is used only if it belongs to the current user and no one
else may write in it; an entry only if it is a regular file (never a FIFO, never through
a symlink) of the current user that no one else may write. Anything else is not read,
and a note says why (NOTES, printed by the command line on stderr): the table is then
loaded and validated from its files. Pruning removes only files named as the cache names
its entries, owned by the current user. The caller re-checks what it unpickles
(ratesfile: finite, ordered, sane figures; no control characters in any text).

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
import re
import stat
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

# Why the cache was passed over in this process: the command line shows each once.
NOTES: list[str] = []
_ENTRY_NAME = re.compile(rf"{PREFIX}[0-9a-f]{{64}}{re.escape(SUFFIX)}")


def _note(message: str) -> None:
    if message not in NOTES:
        NOTES.append(message)


def _untrusted(st: os.stat_result) -> str | None:
    """Why a file or directory with this status is not ours alone, or None."""
    if sys.platform == "win32":  # pragma: no cover - no POSIX owners and modes
        return None
    if st.st_uid != os.geteuid():
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def trusted_dir(directory: Path) -> bool:
    """Whether `directory` exists and is ours alone; a note says why not."""
    try:
        st = os.stat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        _note(f"table cache {directory} is not a directory; not using it")
        return False
    why = _untrusted(st)
    if why is not None:
        _note(f"table cache directory {directory} {why}; not using it")
        return False
    return True


def cache_dir() -> Path | None:
    """The directory for cached tables, or None when there is nowhere sensible."""
    env = os.environ.get(DIR_ENV_VAR)
    if env:
        if env.startswith("~"):
            try:
                return Path(env).expanduser()
            except RuntimeError:
                _note(f"{DIR_ENV_VAR}: cannot expand {env.split(os.sep, 1)[0]!r}; no table cache")
                return None
        return Path(env)
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


def _read_entry(path: Path) -> bytes | None:
    """An entry's bytes if it is a regular file of ours alone (no FIFO, no symlink)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        _note(f"table cache entry {path.name} cannot be opened (a symlink?); rebuilding it")
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            _note(f"table cache entry {path.name} is not a regular file; not using it")
            return None
        why = _untrusted(st)
        if why is not None:
            _note(f"table cache entry {path.name} {why}; rebuilding it")
            return None
        try:
            return handle.read(MAX_BYTES + 1)
        except OSError:
            return None


def load(key: str, allowed: Allowed) -> object | None:
    """The object stored under `key`, or None for a miss (absent, damaged, foreign)."""
    path = entry_path(key)
    if path is None or not trusted_dir(path.parent):
        return None
    blob = _read_entry(path)
    if blob is None or len(blob) > MAX_BYTES:
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
        if not trusted_dir(path.parent):
            return False
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
    """Remove all but the newest `limit` cached tables (never `keep`): only files named as
    the cache names its entries, regular files of the current user (never a link)."""
    if not trusted_dir(directory):
        return
    entries: list[tuple[float, Path]] = []
    try:
        for p in directory.iterdir():
            if not _ENTRY_NAME.fullmatch(p.name):
                continue
            st = p.lstat()
            if stat.S_ISREG(st.st_mode) and _untrusted(st) is None:
                entries.append((st.st_mtime, p))
    except OSError:
        return
    entries.sort(reverse=True)
    for _, p in entries[limit:]:
        if p != keep:
            with contextlib.suppress(OSError):
                p.unlink()
