"""Where a sweep's rows go: appended to a CSV as runs finish, so nothing is lost.

The file is the sweep's memory. Each finished run is one line, written and flushed to
disk at once; the same command after an interruption reads the run numbers already there
and runs only the others. A line cut short by a kill is dropped on resume. A sidecar
`<out>.sweep.json` holds the sweep's definition, so a different sweep never appends to
the file. When every run is in, the file is rewritten in run order (atomically), which
makes a finished sweep's file the same whatever order its runs finished in.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import Collector, InputError, Problem
from ..io.atomic import write_text

FORMAT_VERSION = 1
CHUNK = 1 << 20  # bytes read at once when rewriting a sweep's file in run order
EDITED_FIX = (
    "remove the row (its run is solved again), or delete the file and its .sweep.json to "
    "start the sweep again."
)


def cell(value: Any) -> str:
    """A value as the CSV holds it: numbers to 10 significant digits, lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else format(value, ".10g")
    if isinstance(value, list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _line(columns: Sequence[str], row: dict[str, Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def meta_path(out: Path) -> Path:
    return out.with_name(out.name + ".sweep.json")


def is_parquet(out: Path) -> bool:
    return out.suffix.lower() == ".parquet"


def stream_path(out: Path) -> Path:
    """Where the rows go while the sweep runs: the output itself, or `<out>.part.csv`
    for Parquet."""
    return out.with_name(out.name + ".part.csv") if is_parquet(out) else out


class RunStore:
    """The rows of one sweep in a CSV file (see the module docstring). For a .parquet
    output the rows stream to `<out>.part.csv`, which becomes the Parquet file when every
    run is in: Parquet cannot be appended to a row at a time."""

    def __init__(self, out: Path, columns: Sequence[str], definition: dict[str, Any]):
        self.out = out
        self.stream = stream_path(out)
        self.columns = list(columns)
        self.definition = {"format": FORMAT_VERSION, **definition, "columns": self.columns}
        self.done: set[int] = set()

    def open(self, total: int | None = None) -> set[int]:
        """Start or resume: the run numbers already in the file (raises InputError when
        the file holds another sweep's runs or is not a sweep's file). `total`: the sweep's
        number of runs, numbered from 1, so a row with another number was not written here."""
        meta = meta_path(self.out)
        if self.stream.exists() and self.stream.stat().st_size > 0:
            self._check_same(meta)
            self._drop_cut_line()
            self.done = self._runs_written(total)
        elif self.stream != self.out and self.out.exists():
            self._check_same(meta)  # a finished Parquet sweep
            self.done = {int(r["run"]) for r in self.rows()}
        else:
            self.stream.write_text(_line(self.columns, {c: c for c in self.columns}), "utf-8")
            meta.write_text(json.dumps(self.definition, indent=1, ensure_ascii=False) + "\n")
        return set(self.done)

    def _check_same(self, meta: Path) -> None:
        fix = (
            f"write to another file, or delete {self.out.name} and {meta.name} to start "
            "the sweep again."
        )
        try:
            written = json.loads(meta.read_text("utf-8"))
        except (OSError, ValueError):
            written = None
        if written is None:
            raise InputError(
                [Problem(str(self.out), f"exists but has no readable {meta.name}.", fix)]
            )
        if written != self.definition:
            changed = sorted(
                k
                for k in set(written) | set(self.definition)
                if written.get(k) != self.definition.get(k)
            )
            raise InputError(
                [
                    Problem(
                        str(self.out),
                        "holds the runs of a different sweep (it differs in: "
                        f"{', '.join(changed)}).",
                        fix,
                    )
                ]
            )

    def _runs_written(self, total: int | None) -> set[int]:
        """The run numbers of the stream's rows, each checked: a row this store did not
        write (another header, a short or long line, a run that is not one of the sweep's
        numbers as the sweep writes it, a run twice) means the file was edited, and
        resuming from it would count runs wrongly or put rows under the wrong columns."""
        problems = Collector()
        seen: dict[int, int] = {}
        with self.stream.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != self.columns:
                problems.add(
                    f"{self.stream}, row 1",
                    f"is not the header the sweep writes ({','.join(self.columns[:3])},...).",
                    "delete the file and its .sweep.json to start the sweep again.",
                )
                problems.raise_if_any()
            for number, record in enumerate(reader, start=2):
                where = f"{self.stream}, row {number}"
                if len(record) != len(self.columns):
                    problems.add(
                        where,
                        f"has {len(record)} fields; the sweep writes {len(self.columns)}.",
                        EDITED_FIX,
                    )
                    continue
                text = record[0]
                run = int(text) if text.isascii() and text.isdigit() else 0
                if str(run) != text or run < 1 or (total is not None and run > total):
                    problems.add(
                        where,
                        f"run {text!r} is not a run number of this sweep"
                        + (f" (1 to {total})." if total is not None else "."),
                        EDITED_FIX,
                    )
                    continue
                if run in seen:
                    problems.add(where, f"run {run} is already on row {seen[run]}.", EDITED_FIX)
                seen.setdefault(run, number)
        problems.raise_if_any()
        return set(seen)

    def _drop_cut_line(self) -> None:
        """A kill during a write can leave a last line without its newline: drop it."""
        with self.stream.open("rb+") as handle:
            data = handle.read()
            if data.endswith(b"\n"):
                return
            handle.truncate(data.rfind(b"\n") + 1)

    def append(self, row: dict[str, Any]) -> None:
        """Write one finished run, on disk before the next is taken."""
        with self.stream.open("a", encoding="utf-8", newline="") as handle:
            handle.write(_line(self.columns, row))
            handle.flush()
            os.fsync(handle.fileno())
        self.done.add(int(row["run"]))

    def _stream_rows(self) -> Iterator[dict[str, str]]:
        with self.stream.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)

    def rows(self) -> Iterator[dict[str, str]]:
        """The rows, as text, one at a time (a large CSV sweep is never in memory)."""
        if self.stream.exists():
            yield from self._stream_rows()
            return
        import pandas as pd

        for record in pd.read_parquet(self.out).to_dict("records"):
            yield {str(key): cell(value) for key, value in record.items()}

    def finish(self) -> None:
        """Rewrite the complete file in run order, atomically (as Parquet for .parquet).
        The CSV is rewritten from an index of where each run's record lies, a few bytes a
        run, so a sweep of millions of runs ends in the memory it ran in."""
        if not self.stream.exists():
            return  # a finished Parquet sweep run again
        if self.stream == self.out:
            write_text(self._records_in_run_order(), str(self.out))
            return
        import pandas as pd

        buffer = io.BytesIO(b"".join(self._records_in_run_order()))
        frame = pd.read_csv(buffer, dtype={"pairs": str, "message": str})
        part = self.out.with_name(self.out.name + ".tmp")
        frame.to_parquet(part, index=False)
        os.replace(part, self.out)
        self.stream.unlink()

    def _records_in_run_order(self) -> Iterator[bytes]:
        """The stream's bytes: its header, then each run's record (bytes as written),
        in run order; contiguous records are read together."""
        runs = array("q")
        with self.stream.open("rb") as handle:
            header = _record(handle)
            starts = array("q", [len(header)])  # record i is starts[i]:starts[i + 1]
            while record := _record(handle):
                runs.append(int(record[: record.index(b",")]))  # "run" is the first column
                starts.append(starts[-1] + len(record))
            yield header
            order = np.argsort(np.frombuffer(runs, dtype=np.int64), kind="stable")
            first = last = -1
            for i in order:
                if starts[i] == last and last - first < CHUNK:
                    last = starts[i + 1]
                    continue
                if first >= 0:
                    handle.seek(first)
                    yield handle.read(last - first)
                first, last = starts[i], starts[i + 1]
            if first >= 0:
                handle.seek(first)
                yield handle.read(last - first)


def _record(handle: BinaryIO) -> bytes:
    """The next CSV record's bytes (b"" at the end): a line, joined with the next ones while
    a quoted field is open (an even count of quotes closes it; "" escapes one)."""
    record = handle.readline()
    while record.count(b'"') % 2:
        more = handle.readline()
        if not more:
            break
        record += more
    return record
