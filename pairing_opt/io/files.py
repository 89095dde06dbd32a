"""The gate every input file passes before it is read: a regular file (after following
symlinks), no larger than the cap for its kind.

A named pipe (FIFO) would block the read forever, and a device such as /dev/zero or
/dev/urandom (named directly or through a symlink) reports a size of 0 and never ends,
so neither may be read at all. The file is opened without blocking, checked with fstat
on the open descriptor (so the file checked is the file read), and read with a bound
one byte past the cap, so that even a file whose reported size is wrong (/proc) cannot
fill the memory.

Each kind of file has its cap, in bytes, with an environment variable that raises or
lowers it in MB (PAIROPT_MAX_SCENARIO_MB, PAIROPT_MAX_TABLE_MB, PAIROPT_MAX_XLSX_MB).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NoReturn

from ..errors import InputError, Problem

MB = 1 << 20


def _fail(where: str, what: str, fix: str) -> NoReturn:
    raise InputError([Problem(where, what, fix)])


def limit_from_env(default: int, variable: str, unit: int = MB, what: str = "a size in MB") -> int:
    """The cap: the environment variable (counted in `unit`s, MB by default, decimals
    allowed) if it is set, else `default`."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (0 < value < 1e9):  # NaN fails this too
        _fail(
            f"environment variable {variable}",
            f"'{raw[:40]}' is not {what}.",
            f"set {variable} to a positive number (e.g. {variable}={max(1, default // unit)}),"
            " or unset it.",
        )
    return max(1, int(value * unit))


def describe_size(size: int) -> str:
    """'1048577 bytes (1.0 MB)': the exact count, and one a person can read."""
    return f"{size} bytes ({size / MB:.1f} MB)" if size >= MB // 10 else f"{size} bytes"


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def read_capped(
    path: Path,
    name: str,
    *,
    what: str,
    limit: int,
    variable: str,
    fix_size: str,
    fix_kind: str,
) -> bytes:
    """The bytes of `path`, or an InputError when it is not a regular file or is larger
    than `limit` bytes. `what` names the file in messages ('the scenario file', 'the
    table'); `variable` is the environment variable that sets the cap; `fix_size` and
    `fix_kind` say what to do about a file too large or not a regular file.
    OSError (a missing or unreadable file) is left to the caller."""
    target = ""
    if path.is_symlink():
        target = f" (a link to {os.path.realpath(path)})"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing elsewhere
            _fail(name, f"{what} is not a regular file{target}.", fix_kind)
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            _fail(name, f"{what} is {_kind_of(info.st_mode)}{target}, not a file.", fix_kind)
        too_large = (
            f"{what} is {{}}; pairopt reads at most {describe_size(limit)} (a limit the "
            f"environment variable {variable} sets, in MB)."
        )
        enough = -(-max(info.st_size, 2 * limit) // MB)  # MB, rounded up
        fix = f"{fix_size} Or raise the limit, e.g. {variable}={enough}."
        if info.st_size > limit:
            _fail(name, too_large.format(describe_size(info.st_size)), fix)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while read, or its reported size was wrong
            _fail(name, too_large.format(f"more than {describe_size(limit)}"), fix)
        return data
    finally:
        os.close(fd)
