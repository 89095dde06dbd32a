"""A table as text, the form in which the loader hands the scenario's tables on.

Every cell stays the string it was in the file (no type guessing): the scenario's checks
parse what they need and report the row and column of each cell they cannot. The CSV path
needs nothing beyond the standard library, so `pairopt solve` does not pay pandas's import
(a large share of a small solve's time); tests and benchmarks that build tables as pandas
DataFrames pass them through `as_table`.
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np


class Table:
    """Named columns of string cells, all of one length, in the file's column order."""

    def __init__(
        self,
        columns: Mapping[str, Sequence[str]],
        guessed_encoding: str | None = None,
        lines: Sequence[int] | None = None,
    ) -> None:
        # Lists are kept as given, not copied: from_rows makes fresh ones, renamed shares
        # its own (the old table is dropped), and a pair table's columns can be long.
        self._columns = {
            str(name): cells if isinstance(cells, list) else list(cells)
            for name, cells in columns.items()
        }
        lengths = {len(cells) for cells in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._rows = lengths.pop() if lengths else 0
        # The encoding the loader fell back to when none was given and UTF-8 failed.
        self.guessed_encoding = guessed_encoding
        # The file row of each row (the header is row 1) where blank lines were skipped.
        self._lines = None if lines is None else list(lines)

    def line(self, row: int) -> int:
        """The row's number in the file, as a spreadsheet shows it (the header is 1)."""
        return row + 2 if self._lines is None else self._lines[row]

    @classmethod
    def from_rows(
        cls,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        lines: Sequence[int] | None = None,
    ) -> Table:
        """Rows of cells under `header` (every row as long as the header); `lines`: each
        row's number in the file, when that is not its place + 2."""
        columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
        return cls(columns, lines=lines)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, column: object) -> bool:
        return column in self._columns

    def __getitem__(self, column: str) -> list[str]:
        return self._columns[column]

    def renamed(self, names: Sequence[str]) -> Table:
        """The same cells under new column names (same order and count)."""
        if len(names) != len(self._columns):
            raise ValueError("one name per column")
        cells = self._columns.values()
        return Table(dict(zip(names, cells, strict=True)), self.guessed_encoding, self._lines)


def as_table(frame: Any) -> Table:
    """A Table as it is, or a pandas DataFrame (or any mapping of columns) as a Table of
    strings: each cell as str() gives it, so a missing value reads as 'nan', as the file
    would have to spell it."""
    if isinstance(frame, Table):
        return frame
    columns = frame.columns if hasattr(frame, "columns") else list(frame)
    return Table({str(c): [str(v) for v in frame[c]] for c in columns})


def parse_number(text: str) -> float:
    """A cell's number, or NaN when it is not one. Plain ASCII notation only, as
    spreadsheets write numbers ('12', '-3.5', '1e3', 'inf'): Python's float() would also
    take '1_000' and digits of other scripts ('١٢'), which pandas's parser, pairopt's
    reader before this one, rejected."""
    if not text.isascii() or "_" in text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


# A number with ',' as thousands separator: groups of exactly three digits after the first.
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+")


def without_thousands(text: str) -> str:
    """The cell with its thousands separators removed ('1,234,567.5' -> '1234567.5') when
    every ',' separates a group of three digits; otherwise the cell as it is, so that
    parse_number reads it as no number: '1,5' (a decimal comma) is not 15, nor '1,2,3' 123."""
    if "," in text and _THOUSANDS.fullmatch(text.strip()):
        return text.replace(",", "")
    return text


def number_problem(text: str, what: str = "a number") -> str | None:
    """Why a cell with a ',' is not `what`, for the message, or None when it is not a
    comma that made the cell unreadable: ',' is read only as a thousands separator."""
    cell = text.strip()
    if "," not in cell or _THOUSANDS.fullmatch(cell):
        return None
    if _DECIMAL_COMMA.fullmatch(cell):
        dotted = cell.replace(",", ".")
        return (
            f"'{cell}' is not {what}: ',' is read only as a thousands separator (1,234), so "
            f"a decimal comma is not read (if you mean {dotted}, write '{dotted}')."
        )
    return (
        f"'{cell}' is not {what}: ',' is read only as a thousands separator, between groups "
        "of three digits (1,234 or 1,234,567.5); a decimal comma is not read (write 1.5)."
    )


def parse_numbers(cells: Iterable[str]) -> np.ndarray:
    """parse_number of each cell, as a float array."""
    return np.array([parse_number(text) for text in cells], dtype=float)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a table's many small lists and
    strings are made (they hold no cycles): on a large pair table its repeated passes
    over them took most of the reading time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
