"""Reading a scenario from disk: the YAML file and the tables it names.

All file I/O of a scenario happens here. Problems are collected, located by file,
line or row, and column, and raised together as one InputError.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ..errors import Collector, InputError, Problem
from ..scenario.scenario import Scenario, build
from ..scenario.spec import ScenarioSpec, TableSpec
from ..scenario.table import Table, as_table, no_cycle_collection
from ..scenario.validation import model_fields, validate_spec

MAX_SCENARIO_BYTES = 1 << 20  # a scenario file is a few hundred bytes; 1 MiB is surely a mistake
MAX_TABLE_BYTES = 256 << 20
FALLBACK_ENCODINGS = ("utf-8-sig", "gb18030")

Path_ = tuple[str | int, ...]


class _LineMap:
    """Maps a key path in the YAML document to the line it starts on."""

    def __init__(self, name: str, root: yaml.Node | None):
        self.name = name
        self.lines: dict[Path_, int] = {}
        self.duplicates: list[tuple[Path_, int]] = []
        self.overridden: set[Path_] = set()  # keys given as overrides, not in the file
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path_, line: int | None = None) -> None:
        self.lines[path] = line if line is not None else node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    self.duplicates.append(((*path, name), key.start_mark.line + 1))
                seen.add(name)
                # A key is located on its own line, not where its (block) value starts.
                self._walk(value, (*path, name), key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def __call__(self, path: Path_) -> str:
        for key in self.overridden:
            if tuple(path[: len(key)]) == key:
                return f"override {'.'.join(str(p) for p in path)}"
        probe = tuple(path)
        while probe and probe not in self.lines:
            probe = probe[:-1]
        dotted = ".".join(str(p) for p in path)
        line = self.lines.get(probe)
        where = f"{self.name}, line {line}" if line else self.name
        return f"{where} ({dotted})" if dotted else where


def _read_scenario_text(path: Path) -> str:
    """The scenario file's text, or an InputError saying why it cannot be read as YAML."""
    name = str(path)
    if not path.exists():
        _fail(
            name,
            "the scenario file does not exist.",
            "check the path (it is relative to the current folder).",
        )
    if path.is_dir():
        _fail(
            name,
            "this is a folder, not a scenario file.",
            f"name the YAML file inside it, e.g. {path / 'scenario.yaml'}.",
        )
    try:
        _check_size(
            path,
            name,
            MAX_SCENARIO_BYTES,
            lambda size: (
                f"the scenario file is {size} bytes; pairopt accepts at most {MAX_SCENARIO_BYTES}."
            ),
            "put the data in CSV tables and name them in the YAML.",
        )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            [
                Problem(
                    name,
                    f"cannot be read ({(exc.strerror or 'error').lower()}).",
                    "check the file's permissions.",
                )
            ]
        ) from exc
    if not data.strip():
        _fail(name, "the scenario file is empty.", "write a scenario (see `pairopt init`).")
    if b"\x00" in data:
        _fail(
            name, "this is a binary file, not a YAML scenario.", "name the scenario's .yaml file."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        _fail(f"{name}, line {line}", "is not UTF-8 text.", "save the scenario file as UTF-8.")


def _fail(where: str, what: str, fix: str) -> NoReturn:
    raise InputError([Problem(where, what, fix)])


def _check_size(
    path: Path, name: str, limit: int, too_large: Callable[[int], str], fix: str
) -> None:
    """Refuse a file over `limit` bytes before reading it (`too_large` words the message
    for its size): a path to the wrong file should fail at once, not fill the memory."""
    size = path.stat().st_size
    if size > limit:
        _fail(name, too_large(size), fix)


def _parse_yaml(text: str, name: str) -> tuple[Any, _LineMap]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}, line {mark.line + 1}, column {mark.column + 1}" if mark else name
        problem = str(exc.problem)
        opened = exc.context_mark
        if opened is not None and exc.context and (mark is None or opened.line != mark.line):
            # An unclosed [ or {: the line where it was opened is the one to fix.
            where = f"{name}, line {opened.line + 1}"
            gave_up = mark.line + 1 if mark else "?"
            problem += f" ({exc.context} on line {opened.line + 1}, column {opened.column + 1}"
            problem += f", is not closed; the parser gave up on line {gave_up})"
        _fail(
            where,
            f"YAML syntax error: {problem}.",
            "fix the YAML (indent with spaces; close brackets; quote text with ':').",
        )
    except yaml.YAMLError as exc:
        _fail(name, f"YAML error: {exc}.", "fix the YAML.")
    lines = _LineMap(name, root)
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    name,
                    "the scenario must be a YAML mapping of keys "
                    "(name, donors, recipients, rules, ...).",
                    "see the scenario format in the README.",
                )
            ]
        )
    problems = Collector()
    for path, line in lines.duplicates:
        problems.add(
            f"{name}, line {line} ({'.'.join(map(str, path))})",
            "this key appears twice.",
            "keep one of them.",
        )
    problems.raise_if_any()
    return data, lines


def read_table(spec: TableSpec, base: Path, *, role: str) -> tuple[Table, str]:
    """Read a CSV or XLSX table as strings (no type guessing), with a readable name."""
    path = (base / spec.file) if not Path(spec.file).is_absolute() else Path(spec.file)
    name = spec.file
    fix_path = (
        "check the path (it is relative to the current folder)."
        if role == "pairing"
        else f"check '{role}.file' in the scenario (paths are relative to the scenario file)."
    )
    if not path.exists():
        _fail(name, f"the {role} table does not exist (looked for {path}).", fix_path)
    if path.is_dir():
        _fail(name, "this is a folder, not a table file.", fix_path)
    suffix = path.suffix.lower()
    try:
        _check_size(
            path,
            name,
            MAX_TABLE_BYTES,
            lambda size: (
                f"the file is {size} bytes; pairopt reads tables of at "
                f"most {MAX_TABLE_BYTES} bytes."
            ),
            "split or trim the table.",
        )
        if suffix == ".xlsx":
            frame = _read_xlsx(path, name, spec.sheet)
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = _read_csv(path, name, spec.encoding, sep="\t" if suffix == ".tsv" else ",")
        else:
            _fail(
                name,
                f"unsupported table type '{suffix or 'none'}'.",
                "save the table as .csv (UTF-8) or .xlsx.",
            )
    except PermissionError as exc:
        raise InputError(
            [Problem(name, "cannot be read (permission denied).", "check the file's permissions.")]
        ) from exc
    return frame.renamed([c.strip().lstrip("\ufeff") for c in frame.columns]), name


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _read_csv(path: Path, name: str, encoding: str | None, sep: str) -> Table:
    frame, used = read_csv_text(path.read_bytes(), name, encoding, sep)
    frame.guessed_encoding = used if encoding is None and used != "utf-8-sig" else None
    return frame


def read_csv_text(
    data: bytes, name: str, encoding: str | None, sep: str = ","
) -> tuple[Table, str]:
    """Decode and parse CSV bytes; returns the table and the encoding used."""
    if not data.strip():
        _fail(name, "the file is empty.", "add a header row and data rows.")
    if encoding is None and data.startswith(UTF16_BOMS):
        encoding = "utf-16"  # Excel's "Unicode text" export: the BOM says so
    if encoding is None and b"\x00" in data[:65536]:
        _fail(
            name,
            "this looks like a binary file, not a CSV table.",
            "export the table as CSV (UTF-8) or .xlsx; for UTF-16 text, set 'encoding: "
            "utf-16' on the table.",
        )
    text = None
    used = ""
    for enc in [encoding] if encoding else FALLBACK_ENCODINGS:
        try:
            text = data.decode(enc)
            used = enc
            break
        except LookupError:
            _fail(
                name,
                f"unknown encoding '{enc}'.",
                "use a Python codec name such as utf-8, gb18030, big5 or utf-16.",
            )
        except UnicodeDecodeError as exc:
            bad_row = data[: exc.start].count(b"\n") + 1
            last = (enc, bad_row)
            continue
    if text is None:
        tried = encoding or " or ".join(FALLBACK_ENCODINGS)
        _fail(
            f"{name}, row {last[1]}",
            f"the text is not valid {tried}.",
            "set 'encoding: <codec>' on the table in the scenario (e.g. encoding: big5, "
            "encoding: utf-16 or encoding: latin-1), or re-save the file as UTF-8.",
        )
    text = text.lstrip("\ufeff")
    return _parse_csv(text, name, sep), used


def _parse_csv(text: str, name: str, sep: str) -> Table:
    """Rows of cells under the first row, blank lines skipped. A row with fewer cells than
    the header is padded with empty cells (spreadsheets drop trailing empty ones); a row
    with more cannot be read without guessing which cell is extra, so it is an error.
    The rows are read in one pass of the C reader and checked afterwards."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    with no_cycle_collection():
        try:
            rows = [row for row in reader if row]
        except csv.Error as exc:  # e.g. a lone carriage return inside an unquoted cell
            _fail_malformed(f"{name}, line {reader.line_num}", str(exc))
        if not rows:
            _fail(name, "the file has no header row.", "add a header row naming the columns.")
        header = _header(rows[0], name)
        width = len(header)
        body = rows[1:]
        if any(len(row) > width for row in body):
            _fail_long_row(text, name, sep, width)
        for i in [i for i, row in enumerate(body) if len(row) < width]:
            body[i] = body[i] + [""] * (width - len(body[i]))
        return Table.from_rows(header, body)


def _fail_long_row(text: str, name: str, sep: str, width: int) -> NoReturn:
    """Name the line of the first row with more cells than the header (read again: the
    fast pass does not keep line numbers)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    for row in reader:
        if len(row) > width:
            _fail_malformed(
                f"{name}, line {reader.line_num}",
                f"expected {width} cells as in the header, saw {len(row)}",
            )
    raise AssertionError("no long row on the second reading")  # pragma: no cover


def _header(row: list[str], name: str) -> list[str]:
    """Column names, each given once; an empty one is named by its place, as
    spreadsheets' own readers do ('Unnamed: 2')."""
    seen: set[str] = set()
    for column in (c.strip() for c in row):
        if column and column in seen:
            _fail(
                f"{name}, row 1, column '{column}'",
                f"the column '{column}' appears twice.",
                "rename or delete one of them, so it is clear which one to read.",
            )
        seen.add(column)
    return [c if c.strip() else f"Unnamed: {i}" for i, c in enumerate(row)]


def _fail_malformed(where: str, message: str) -> NoReturn:
    detail = " ".join(message.split()).rstrip(".")
    if "new-line character" in detail:  # Python's csv module words this for programmers
        detail = "a lone carriage return (line break) inside an unquoted cell"
    _fail(
        where,
        f"not a well-formed CSV table: {detail}.",
        "give every row the same number of comma-separated cells (quote cells that "
        "contain commas or line breaks, and end lines with a newline, not a lone carriage "
        "return).",
    )


def _read_xlsx(path: Path, name: str, sheet: str | None) -> Table:
    try:
        import pandas as pd  # only for workbooks: CSV tables need none of it

        frame = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            dtype=str,
            keep_default_na=False,
            engine="openpyxl",
        )
    except ImportError as exc:
        raise InputError(
            [
                Problem(
                    name,
                    "reading .xlsx needs the openpyxl package.",
                    "pip install openpyxl, or save the table as CSV.",
                )
            ]
        ) from exc
    except ValueError as exc:  # unknown sheet
        raise InputError(
            [Problem(name, f"{exc}.", "name an existing sheet with 'sheet:'.")]
        ) from exc
    except Exception as exc:  # zipfile.BadZipFile, openpyxl errors on junk files
        raise InputError(
            [
                Problem(
                    name,
                    f"not a readable .xlsx workbook ({type(exc).__name__}).",
                    "re-save the file from Excel as .xlsx, or export it as CSV.",
                )
            ]
        ) from exc
    return as_table(frame)


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `KEY=VALUE` what-if overrides to the parsed scenario (VALUE is read as YAML:
    1000, distance, [Guangdong], {min: 1, max: 2}). Unknown keys list the valid ones."""
    problems = Collector()
    for text in overrides:
        where = f"override {text}"
        key, sep, raw = text.partition("=")
        path = [p for p in key.strip().split(".") if p]
        if not sep or not path:
            problems.add(where, "expected KEY=VALUE.", "e.g. override rules.max_distance_km=1000")
            continue
        valid = model_fields(tuple(path[:-1]))
        if path[-1] not in valid:
            known = ", ".join(valid) if valid else "none (this key holds a value, not keys)"
            problems.add(
                where,
                f"unknown key '{'.'.join(path)}'.",
                f"valid keys at '{'.'.join(path[:-1]) or 'top level'}': {known}.",
            )
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or type(exc).__name__
            problems.add(
                where,
                f"the value is not valid YAML ({reason}).",
                "check brackets and quotes, e.g. "
                "override 'rules.fixed=[{donor: A, recipient: B}]'.",
            )
            continue
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
    problems.raise_if_any()
    return data


def load_spec(
    path: Path | str, overrides: list[str] | None = None
) -> tuple[ScenarioSpec, _LineMap]:
    """Read and validate the scenario YAML alone (no tables), with what-if overrides."""
    path = Path(path)
    text = _read_scenario_text(path)
    data, lines = _parse_yaml(text, str(path))
    if overrides:
        data = apply_overrides(data, overrides)
        lines.overridden = {tuple(o.partition("=")[0].strip().split(".")) for o in overrides}
    return validate_spec(data, lines), lines


def load(path: Path | str, overrides: list[str] | None = None) -> Scenario:
    """Read, validate and build a scenario from a YAML file and its tables."""
    path = Path(path)
    spec, lines = load_spec(path, overrides)
    return load_tables(spec, path, lines)


def load_tables(spec: ScenarioSpec, path: Path, lines: _LineMap | None = None) -> Scenario:
    base = path.parent
    problems = Collector()
    frames: dict[str, Table | None] = {"pairs": None}
    names: dict[str, str] = {}
    tables: dict[str, TableSpec | None] = {
        "donors": spec.donors,
        "recipients": spec.recipients,
        "pairs": spec.pairs,
    }
    for role, table in tables.items():
        if table is None:
            continue
        try:
            frames[role], names[role] = read_table(table, base, role=role)
        except InputError as exc:
            problems.problems.extend(exc.problems)
    problems.raise_if_any()
    donors, recipients = frames["donors"], frames["recipients"]
    assert donors is not None and recipients is not None
    guessed = [
        f"{names[role]} (read as {frame.guessed_encoding.upper()})"
        for role, frame in frames.items()
        if frame is not None and frame.guessed_encoding
    ]
    try:
        return _build(spec, donors, recipients, frames["pairs"], names, lines, path)
    except InputError as exc:
        if not guessed:
            raise
        # Text that is not UTF-8 was decoded as GB18030, which accepts almost any bytes: a
        # Big5 (Traditional Chinese) file turns into other characters without an error.
        hint = (
            f" Note: {', '.join(guessed)} is not UTF-8; if it is Big5 or another "
            "encoding, set 'encoding: big5' (or the right codec) on that table."
        )
        raise InputError(
            [replace(p, fix=p.fix + hint) if "unknown" in p.what else p for p in exc.problems]
        ) from exc


def _build(
    spec: ScenarioSpec,
    donors: Table,
    recipients: Table,
    pairs: Table | None,
    names: dict[str, str],
    lines: _LineMap | None,
    path: Path,
) -> Scenario:
    return build(
        spec,
        donors,
        recipients,
        pairs,
        names=names,
        locate=lines or _LineMap(str(path), None),
        source=str(path),
    )
