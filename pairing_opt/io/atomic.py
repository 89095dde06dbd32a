"""Writing results where the user asked, atomically and without destroying anything.

A file at the target path is replaced only by a complete new one: the text goes to a
temporary file in the same folder, is flushed to disk, then renamed over the target. A
failed or interrupted run leaves any earlier file untouched and no partial file behind.

`-o` writes only to a regular file or a new path. A symbolic link is followed: the file it
points to is replaced (atomically, next to itself) and the link stays. Devices, FIFOs,
sockets and folders are refused, as is a path ending in a separator; `output_problems`
says so before any work is done, so a long solve never ends in an unwritable path. A new
file gets the permissions the umask gives (as with shell redirection); a replaced file
keeps its mode.

Writing to stdout never raises a traceback-worthy error: a closed stdout, a full disk or a
closed pipe become an `InputError` naming stdout, and text the stdout encoding cannot hold
is written with backslash escapes.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import InputError, Problem

# The output format a file name implies (by its extension, case-insensitively).
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
    ".md": "markdown",
    ".markdown": "markdown",
}
NEUTRAL_EXTENSIONS = (".txt",)  # text of any format: the default, or --format's

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISSOCK, "socket"),
)


# The error handler for a stdout or stderr whose encoding is narrower than the text (an
# ASCII or Latin-1 locale): table rules become ASCII, everything else a backslash escape.
ESCAPE = "pairopt.escape"


def _ascii(char: str) -> str:
    if "\u2500" <= char <= "\u257f":  # box drawing, as in the tables' rules
        name = unicodedata.name(char, "").replace("BOX DRAWINGS ", "").split()
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        return "|" if "VERTICAL" in name and "HORIZONTAL" not in name else "+"
    if char == "\u2026":
        return "..."
    return char.encode("ascii", "backslashreplace").decode("ascii")


def _escape(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_ascii(c) for c in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ESCAPE, _escape)


def _to_stdout(path: str | None) -> bool:
    return path is None or path == "-"


def choose_format(
    path: str | None, given: str | None, choices: Sequence[str], option: str = "-o"
) -> str:
    """The output format: `given` (--format) if any, else the one the extension of `path`
    implies, else the default (`choices[0]`). InputError when the extension implies a
    format that differs from `given` or that is not among `choices`."""
    suffix = "" if _to_stdout(path) else Path(str(path)).suffix
    implied = EXTENSION_FORMATS.get(suffix.lower())
    where = f"{option} {path}"
    if implied is None and suffix and given is None and suffix.lower() not in NEUTRAL_EXTENSIONS:
        # pairing.tsv got the table for people, which evaluate then read as tab-separated
        raise InputError(
            [
                Problem(
                    where,
                    f"the extension {suffix} names no format pairopt writes.",
                    "choose a file name ending in "
                    + ", ".join(e for e, f in EXTENSION_FORMATS.items() if f in choices)
                    + " or .txt (the table), or say which format with --format.",
                )
            ]
        )
    if implied is None:
        return given if given is not None else choices[0]
    if given is not None and given != implied:
        suffix = Path(str(path)).suffix
        ext = next((e for e, f in EXTENSION_FORMATS.items() if f == given), None)
        rename = f"end the file name in {ext}" if ext else f"a name not ending in {suffix}"
        raise InputError(
            [
                Problem(
                    where,
                    f"the extension {suffix} means {implied} but --format says {given}.",
                    f"drop --format to write {implied}, or {rename}.",
                )
            ]
        )
    if implied not in choices:
        raise InputError(
            [
                Problem(
                    where,
                    f"the extension asks for {implied}, which this command cannot write; "
                    f"it writes: {', '.join(choices)}.",
                    "choose a file name ending in "
                    + ", ".join(e for e, f in EXTENSION_FORMATS.items() if f in choices)
                    + " (or another extension with --format).",
                )
            ]
        )
    return implied


def _kind(mode: int) -> str | None:
    """What a non-regular file is ('folder', 'FIFO (named pipe)', ...); None if regular."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "special file")


def output_problems(
    path: str | None, option: str = "-o", example: str = "pairing.csv"
) -> list[Problem]:
    """Why `path` cannot take the output, checked before any work is done (empty if it
    can; `example` is the file name a fix suggests). stdout (None or '-') is always
    accepted here."""
    if _to_stdout(path):
        return []
    assert path is not None
    where = f"{option} {path}".strip()
    separators = os.sep + (os.altsep or "")
    if not path:
        return [Problem(f"{option} ''".strip(), "is an empty path.", "give a file name.")]
    if path[-1] in separators:
        return [
            Problem(
                where,
                "names a folder (it ends with a separator), not a file.",
                f"give a file name, e.g. {path}{example}.",
            )
        ]
    try:
        info: os.stat_result | None = os.stat(path)  # follows a symbolic link
    except FileNotFoundError:
        info = None  # a new file (or a link to one): its folder is checked below
    except OSError as exc:  # a loop of links, a file used as a folder, no permission
        return [Problem(where, f"cannot be used: {exc.strerror}.", "choose another path.")]
    if info is not None:
        kind = _kind(info.st_mode)
        if kind == "folder":
            return [Problem(where, "is a folder.", f"give a file name, e.g. {path}/{example}.")]
        if kind is not None:
            return [
                Problem(
                    where,
                    f"is a {kind}; pairopt writes only to a regular file or a new one.",
                    f"use shell redirection instead (> {path}) or choose a file name.",
                )
            ]
    real = Path(os.path.realpath(path))
    folder = real.parent if os.path.islink(path) else Path(path).parent
    if not real.parent.is_dir():
        return [
            Problem(
                where,
                f"the folder {folder} does not exist.",
                "create it first or choose another path.",
            )
        ]
    if not os.access(real.parent, os.W_OK | os.X_OK):
        return [
            Problem(
                where,
                f"cannot be written: the folder {folder} is not writable.",
                "choose a folder you can write to.",
            )
        ]
    if info is not None and not os.access(real, os.W_OK):
        return [
            Problem(
                where,
                "cannot be written: the file is read-only.",
                "make it writable (chmod u+w) or choose another path.",
            )
        ]
    return []


def input_clashes(path: str | None, inputs: Sequence[str], option: str = "-o") -> list[Problem]:
    """The output would replace one of the run's own input files (the scenario, a table, a
    pairing): refused, since a finished run would have destroyed what it was given."""
    if _to_stdout(path) or not path:
        return []
    target = os.path.realpath(path)
    for given in inputs:
        same = os.path.realpath(given) == target
        if not same and os.path.exists(path) and os.path.exists(given):
            same = os.path.samefile(path, given)  # a hard link to the same file
        if same:
            return [
                Problem(
                    f"{option} {path}",
                    f"is an input of this run ({given}); writing there would destroy it.",
                    "choose another file name.",
                )
            ]
    return []


def check_output(path: str | None, option: str = "-o") -> None:
    """Raise InputError when `path` cannot take the output (see output_problems)."""
    problems = output_problems(path, option)
    if problems:
        raise InputError(problems)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(
    content: str | bytes | Iterable[bytes], path: str | None, option: str = "-o"
) -> None:
    """Write to `path` atomically, or to stdout when path is None or '-'. `option` is how
    messages name the path's source ('-o'; '' for a path of pairopt's own). Content given
    as chunks of bytes is written as they come, never held whole (a long sweep's file)."""
    parts: Iterable[str | bytes] = [content] if isinstance(content, str | bytes) else content
    if _to_stdout(path):
        for part in parts:  # text stays text: see write_stdout
            write_stdout(part)
        return
    assert path is not None
    check_output(path, option)
    where = f"{option} {path}".strip()
    target = Path(os.path.realpath(path))  # the file a link points to, not the link
    try:
        before: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        before = None
    # A replaced file keeps its mode; a new one gets what the umask gives, as with `>`.
    mode = 0o666 & ~_umask() if before is None else stat.S_IMODE(before.st_mode) & 0o777
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part.encode("utf-8") if isinstance(part, str) else part)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if before is not None and hasattr(os, "chown"):  # and its owner, where we may set it
            with contextlib.suppress(OSError):
                os.chown(tmp, before.st_uid, before.st_gid)
        # The target may have changed since it was checked: never rename over a non-file.
        with contextlib.suppress(FileNotFoundError):
            kind = _kind(os.lstat(target).st_mode)
            if kind is not None:
                raise InputError(
                    [Problem(where, f"became a {kind} while pairopt ran.", "run again.")]
                )
        os.replace(tmp, target)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(
                [
                    Problem(
                        where,
                        f"cannot be written: {exc.strerror}.",
                        "check free space and permissions, or choose another path.",
                    )
                ]
            ) from exc
        raise


class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream that was closed when the process started (`>&-`,
    where Python leaves sys.stdout None): flushing it is harmless, writing to it fails."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "the stream is closed")


def write_stdout(content: str | bytes) -> None:
    """Write to stdout; InputError naming stdout when it is closed, full or a closed pipe.
    Text the stdout encoding cannot hold is written with backslash escapes."""
    stream = sys.stdout
    fix = "write to a file with -o FILE, or give pairopt a stdout it can write to."
    if stream is None or isinstance(stream, ClosedStream):  # started with stdout closed (>&-)
        raise InputError([Problem("stdout", "is closed; the output cannot be written.", fix)])
    try:
        if isinstance(content, bytes):
            stream.flush()
            stream.buffer.write(content)
        else:
            try:
                stream.write(content)
            except UnicodeEncodeError:  # nothing was written: the whole text failed to encode
                encoding = stream.encoding or "utf-8"
                stream.write(content.encode(encoding, ESCAPE).decode(encoding))
        stream.flush()
    except (OSError, ValueError) as exc:  # a full disk, a closed pipe, a closed file
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError([Problem("stdout", f"cannot be written: {reason}.", fix)]) from exc
