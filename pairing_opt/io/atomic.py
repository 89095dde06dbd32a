"""Writing results where the user asked, atomically.

A file at the target path is replaced only by a complete new one: the text goes to a
temporary file in the same folder, is flushed to disk, then renamed over the target. A
failed or interrupted run leaves any earlier file untouched and no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from ..errors import InputError, Problem


def write_text(content: str | bytes, path: str | None) -> None:
    """Write to `path` atomically, or to stdout when path is None or '-'."""
    if path is None or path == "-":
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        sys.stdout.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError([Problem(str(target), "is a folder.", "give a file name for -o.")])
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    str(target),
                    f"the folder {folder} does not exist.",
                    "create it first or choose another path for -o.",
                )
            ]
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(
                [
                    Problem(
                        str(target),
                        f"cannot be written: {exc.strerror}.",
                        "check free space and permissions, or choose another path.",
                    )
                ]
            ) from exc
        raise
