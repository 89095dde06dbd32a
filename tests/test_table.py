"""Tables as text: the CSV reader, number parsing, and what the solve path imports."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pairing_opt.errors import InputError
from pairing_opt.io.loader import load, read_csv_text
from pairing_opt.scenario.table import Table, as_table, parse_number

from . import SLOW
from .conftest import HUBEI, ROOT

Make = Callable[..., Path]


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12.0),
        ("-3.5", -3.5),
        ("+3", 3.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        ("0001", 1.0),
        ("inf", math.inf),
        ("-Infinity", -math.inf),
        ("1e400", math.inf),  # overflows to infinity: the scenario checks reject it
    ],
)
def test_numbers_in_plain_notation(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "1_000", "１２", "١٢", "\u00a01", "1,000", "1.2.3", "0x10", "NA", "-", "e5"]
)
def test_what_is_not_a_number(text: str) -> None:
    """Python's float() takes '1_000' and digits of other scripts; a table cell may not."""
    assert math.isnan(parse_number(text))


def test_nan_text_parses_as_nan() -> None:
    assert math.isnan(parse_number("nan"))  # the scenario names it a missing value marker


def test_csv_cells_stay_text_and_quotes_work() -> None:
    data = b'id,note,need\nX,"a, b",007\nY,"two\nlines",1.50\n'
    table, used = read_csv_text(data, "t.csv", None)
    assert used == "utf-8-sig"
    assert table.columns == ["id", "note", "need"]
    assert len(table) == 2
    assert table["need"] == ["007", "1.50"]  # no type guessing
    assert table["note"] == ["a, b", "two\nlines"]


def test_blank_lines_are_skipped_and_short_rows_padded() -> None:
    table, _ = read_csv_text(b"\nid,a,b\n\nX,1\r\nY,2,3\n\n", "t.csv", None)
    assert table["id"] == ["X", "Y"]
    assert table["b"] == ["", "3"]


def test_a_row_longer_than_the_header_is_an_error_with_its_line() -> None:
    with pytest.raises(InputError) as info:
        read_csv_text(b"id,need\nX,1\nY,2,3\n", "t.csv", None)
    (problem,) = info.value.problems
    assert str(problem).startswith("t.csv, line 3: not a well-formed CSV table")
    assert "expected 2 cells as in the header, saw 3" in str(problem)


def test_empty_header_cells_are_named_by_their_place() -> None:
    table, _ = read_csv_text(b"id,,need,\nX,a,1,b\n", "t.csv", None)
    assert table.columns == ["id", "Unnamed: 1", "need", "Unnamed: 3"]


def test_a_short_row_reports_its_empty_cell(scenario_dir: Make) -> None:
    """A spreadsheet that drops trailing empty cells: the missing need is named by row
    and column, not read as some marker text."""
    path = scenario_dir(recipients="id,need,lat,lon\nX,6,30.5,112\nY\nZ,4,34,119\n")
    msgs = problems(path)
    assert any("row 3, column 'need'" in m and "the cell is empty" in m for m in msgs), msgs


def test_dataframes_and_mappings_become_tables() -> None:
    frame = pd.DataFrame({"id": ["A", "B"], "cap": [10, 8.5]})
    table = as_table(frame)
    assert table.columns == ["id", "cap"]
    assert table["cap"] == ["10.0", "8.5"]
    assert as_table({"id": ["A"]})["id"] == ["A"]
    assert as_table(table) is table


def test_columns_must_have_one_length() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": ["1"], "b": []})


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
def test_solving_a_csv_scenario_does_not_import_pandas() -> None:
    """pandas is for .xlsx tables only: importing it costs a CSV user's every run a
    quarter to half a second (benchmarks/README.md, "CLI latency")."""
    code = (
        "import sys\n"
        "from pairing_opt import cli\n"
        "try:\n"
        f"    cli.main(['solve', {str(HUBEI)!r}, '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "print('pandas' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr
