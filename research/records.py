"""What every study does with its runs the same way: scenarios generated into a scratch
folder removed afterwards, each row printed as it comes, a solve's stages as text, and
the rows written as CSV (one header, Unix line ends)."""

from __future__ import annotations

import contextlib
import csv
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder for a study's generated scenarios, removed however it ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def echo(row: dict[str, Any], fields: Sequence[str]) -> None:
    """One row on stdout as it finishes: a long study shows its progress."""
    print(", ".join(f"{k}={row[k]}" for k in fields), flush=True)


def stages_text(stages: Sequence[tuple[str, float]]) -> str:
    """A solve's stages (Result.stages) of at least 0.05 s, as `name=seconds` words."""
    return " ".join(f"{name}={s:.2f}" for name, s in stages if s >= 0.05)


def write_rows(path: Path, fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(fields), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def finish(
    rows: Sequence[dict[str, Any]], fields: Sequence[str], summary: str, out: Path | None
) -> int:
    """A study's end: its summary on stdout, its rows to `out` when given; exit code 0."""
    print(summary)
    if out is not None:
        write_rows(out, fields, rows)
    return 0
