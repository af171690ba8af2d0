"""Reading the user's files safely: regular files only, bounded, and remembered.

Every file cartcost reads as input (the base table, overlays, the config file, a scenario
file, a batch input) is opened here:

- without blocking and without following a FIFO's promise of data: a FIFO, a device or
  a socket is refused ("not a regular file"), so `--rates /some/fifo` cannot hang and
  `--rates /dev/zero` cannot fill memory;
- with a size limit checked on the open file (one byte past the limit is read, so a
  file that grows meanwhile is still refused);
- and its identity (device and inode of the file actually read, through any symlink) is
  remembered, so an output can be refused when it is the same file as an input
  (`batch in.csv -o in.csv`): see same_as_input().

Paths written in settings (config `rates`, a scenario file's `rates`, CARTCOST_RATES,
CARTCOST_CACHE_DIR) may start with `~`: expand() turns a `~user` that does not exist
into a UsageProblem naming the setting, never a RuntimeError.

Pure apart from the file system: no printing, no Typer, no Rich.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO, NamedTuple

from cartcost.errors import UsageProblem


class FileId(NamedTuple):
    dev: int
    ino: int


class InputFile(NamedTuple):
    """A file read as input: how it is named in messages, and which file it was."""

    label: str
    path: str
    id: FileId


# Every input read by this process, in order (a CLI process runs one command).
_INPUTS: list[InputFile] = []


def inputs() -> tuple[InputFile, ...]:
    return tuple(_INPUTS)


def forget_inputs() -> None:
    """Start a new command (tests run many in one process)."""
    _INPUTS.clear()


def remember(label: str, path: str, st: os.stat_result) -> None:
    _INPUTS.append(InputFile(label, path, FileId(st.st_dev, st.st_ino)))


def file_id(path: str | Path) -> FileId | None:
    """The device and inode of the file `path` names (through symlinks), None if none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return FileId(st.st_dev, st.st_ino)


def same_as_input(path: str | Path) -> InputFile | None:
    """The input that `path` is the very same file as, if any."""
    found = file_id(path)
    if found is None:
        return None
    return next((f for f in _INPUTS if f.id == found), None)


def kind_of(mode: int) -> str:
    """'a FIFO', 'a character device', ...: what a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotRegular(Exception):
    """The path names something other than a regular file (message: what it is)."""


def open_regular(path: str | Path) -> tuple[BinaryIO, os.stat_result]:
    """Open a regular file for reading without ever blocking on a FIFO or device.

    O_NONBLOCK makes opening a FIFO with no writer return at once; the file is then
    checked on its open descriptor (no race with a rename) and refused unless regular.
    Raises OSError as open() would, or NotRegular.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = kind_of(st.st_mode)
            raise NotRegular(
                "is a directory"
                if kind == "a directory"
                else f"is {kind}, not a regular file"
                if kind != "not a regular file"
                else "is not a regular file"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return handle, st


def describe_os_error(error: OSError) -> str:
    """A short reason for a failed open or read, never the raw exception text."""
    if error.errno == errno.ENOENT:
        return "file not found"
    if error.errno == errno.EISDIR:
        return "is a directory"
    if error.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot read: {error.strerror or type(error).__name__}"


def read_limited(path: str | Path, kind: str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; remembered as an input.

    Raises ValueError(message) for anything else (missing, unreadable, not regular, too
    big): callers wrap the message in their own error with the file's name.
    """
    try:
        handle, st = open_regular(path)
    except NotRegular as why:
        raise ValueError(str(why)) from None
    except OSError as error:
        raise ValueError(describe_os_error(error)) from None
    with handle:
        if st.st_size > limit:
            raise ValueError(f"file is {st.st_size:,} bytes; the limit is {limit:,}")
        try:
            raw = handle.read(limit + 1)
        except OSError as error:
            raise ValueError(describe_os_error(error)) from None
    if len(raw) > limit:
        raise ValueError(f"file is larger than the limit of {limit:,} bytes")
    remember(kind, str(path), st)
    return raw


def expand(path: str | Path, setting: str) -> Path:
    """`~` and `~user` expanded; an unknown user is a UsageProblem naming the setting."""
    p = Path(path)
    if not str(p).startswith("~"):
        return p
    try:
        return p.expanduser()
    except RuntimeError:
        user = str(p).split(os.sep, 1)[0]
        raise UsageProblem(
            f"{setting}: cannot expand {user!r} in {str(p)[:200]!r} (no such user, or no home)",
            "write the path in full, or ~/... for your own home directory",
        ) from None


def shown(path: str | Path) -> str:
    """A path as text safe in a message: bytes that are not UTF-8 as \\x escapes."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text
