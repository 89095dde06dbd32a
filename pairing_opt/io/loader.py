"""Reading a scenario from disk: the YAML file and the tables it names.

All file I/O of a scenario happens here. Problems are collected, located by file,
line or row, and column, and raised together as one InputError.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ..errors import Collector, InputError, Problem
from ..scenario.scenario import NeedData, Scenario, build
from ..scenario.spec import NeedTable, ScenarioSpec, TableSpec
from ..scenario.table import Table, no_cycle_collection
from ..scenario.uncertainty import check_uncertainty, read_need_table, with_need_tables
from ..scenario.validation import model_fields, validate_spec
from .files import MB, describe_size, limit_from_env, read_capped

MAX_SCENARIO_BYTES = 1 << 20  # a scenario file is a few hundred bytes; 1 MiB is surely a mistake
MAX_TABLE_BYTES = 64 << 20  # a CSV table on disk (PAIROPT_MAX_TABLE_MB); reading costs ~10x
# Candidate pairs a scenario may have (PAIROPT_MAX_PAIRS): about 170 bytes each in memory.
MAX_PAIRS = 5_000_000
# Need scenarios x candidate pairs of a robust model (PAIROPT_MAX_ROBUST_PAIRS): each copy
# of a pair costs about 15 kB in the solver.
MAX_ROBUST_PAIRS = 200_000
MAX_XLSX_BYTES = 64 << 20  # an .xlsx workbook on disk, compressed (PAIROPT_MAX_XLSX_MB)
MAX_XLSX_UNPACKED_BYTES = 128 << 20  # its parts unpacked (PAIROPT_MAX_XLSX_UNPACKED_MB)
PAIRING_SHEET = "Pairing"  # the sheet of pairopt's workbooks that a pairing is read from
MAX_LISTED = 20  # rows named by one structural problem (too many cells): the rest alike
MAX_XLSX_ROWS = 100_000  # rows of the sheet read (PAIROPT_MAX_XLSX_ROWS)
MAX_CELL_CHARS = csv.field_size_limit()  # characters in one CSV cell (131072)
MAX_YAML_DEPTH = 50  # levels of nesting (a scenario uses four)
MAX_YAML_NODES = 200_000  # values in the document, its aliases expanded
MAX_YAML_KEY_CHARS = 256  # a scenario's keys are short names
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
        if path and not probe:  # a top-level key the file leaves out: no line to point at
            return f"{self.name} ({dotted}: not set in the file, so its default applies)"
        line = self.lines.get(probe)
        where = f"{self.name}, line {line}" if line else self.name
        # A check across a section's keys (rules: fixed pairs against excluded donors) is
        # located at the section; an override inside it may be what broke it.
        inside = sorted(
            ".".join(str(p) for p in key)
            for key in self.overridden
            if len(key) > len(path) and tuple(key[: len(path)]) == tuple(path)
        )
        if inside:
            dotted = f"{dotted}, with override {', '.join(inside)}" if dotted else dotted
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
        data = read_capped(
            path,
            name,
            what="the scenario file",
            limit=limit_from_env(MAX_SCENARIO_BYTES, "PAIROPT_MAX_SCENARIO_MB"),
            variable="PAIROPT_MAX_SCENARIO_MB",
            fix_size="put the data in CSV tables and name them in the YAML.",
            fix_kind="name the scenario's YAML file (a regular file, not a pipe or device).",
        )
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
        line = _line_at(data, exc.start)
        _fail(f"{name}, line {line}", "is not UTF-8 text.", "save the scenario file as UTF-8.")


def _fail(where: str, what: str, fix: str) -> NoReturn:
    raise InputError([Problem(where, what, fix)])


class _YamlLimit(Exception):
    """A YAML document over one of the limits, at a place in the file."""

    def __init__(self, mark: yaml.Mark, what: str, fix: str):
        super().__init__(what)
        self.mark, self.what, self.fix = mark, what, fix


class _LimitedLoader(yaml.SafeLoader):
    """The safe loader, refusing nesting deeper than MAX_YAML_DEPTH as it composes (the
    composer recurses: a few hundred levels were a RecursionError)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.unclear: list[tuple[yaml.Mark, str, str]] = []  # see _unclear_number

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.depth >= MAX_YAML_DEPTH:
            raise _YamlLimit(
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                f"the YAML nests deeper than {MAX_YAML_DEPTH} levels.",
                "a scenario needs a few levels; remove the extra brackets or indentation.",
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# YAML 1.1 (PyYAML) reads 0700 as octal 448, 1:30 as 90 (base 60), 0x5DC as 1500 and 0b101
# as 5: such a number is refused, never guessed. These are YAML 1.1's own int and float
# forms (08, 09 and 0:30 are text to it, and stay text).
_UNCLEAR_NUMBER = re.compile(
    r"^[-+]?(?:0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+"
    r"|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$"
)
_UNCLEAR_TAG = "tag:pairopt,2026:unclear-number"


def _unclear_number(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Record the number for its problem (every one in the file is reported); a leading
    zero that changes nothing (00, 07) is read as the number it is."""
    text = str(node.value)
    digits = text.lstrip("+-").replace("_", "")
    if digits.isdigit() and int(digits, 8) == int(digits, 10):
        return int(text.replace("_", ""), 10)
    unclear: list[tuple[yaml.Mark, str, str]] = loader.unclear  # type: ignore[attr-defined]
    unclear.append(
        (
            node.start_mark,
            f"{text} is not read as the number it looks like: YAML reads a leading zero as "
            "octal (0700 is 448), a colon as base 60 (25:00 is 1500) and 0x as hexadecimal.",
            _plain_fix(text),
        )
    )
    return text


def _plain_fix(text: str) -> str:
    plain = text.lstrip("+-0")
    example = f" (e.g. {plain})" if plain.isdigit() else ""
    return (
        f"write the number in plain decimal digits{example}, or quote it ('{text}') if it is "
        "a name or an id."
    )


def _unclear_first(loader: type[yaml.SafeLoader]) -> None:
    """Resolve unclear numbers to their own tag ahead of YAML 1.1's int and float."""
    loader.add_implicit_resolver(_UNCLEAR_TAG, _UNCLEAR_NUMBER, list("-+0123456789"))
    for first, resolvers in loader.yaml_implicit_resolvers.items():
        mine = [r for r in resolvers if r[0] == _UNCLEAR_TAG]
        rest = [r for r in resolvers if r[0] != _UNCLEAR_TAG]
        loader.yaml_implicit_resolvers[first] = mine + rest
    loader.add_constructor(_UNCLEAR_TAG, _unclear_number)


_unclear_first(_LimitedLoader)


def _check_nodes(root: yaml.Node) -> None:
    """Refuse a document whose aliases (*name) expand to more than MAX_YAML_NODES values
    (ten lines of nested aliases expand to billions: the 'billion laughs'), an alias inside
    its own anchor (a cycle), or a key longer than MAX_YAML_KEY_CHARS."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    fix = "write the values out instead of nesting aliases (*name) of anchors (&name)."

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _YamlLimit(node.start_mark, "an alias refers to the anchor it is inside.", fix)
        open_.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and len(str(k.value)) > MAX_YAML_KEY_CHARS:
                    raise _YamlLimit(
                        k.start_mark,
                        f"a key of {len(str(k.value))} characters; pairopt accepts keys of at "
                        f"most {MAX_YAML_KEY_CHARS}.",
                        "use the scenario's short key names (see the scenario format).",
                    )
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > MAX_YAML_NODES:
            raise _YamlLimit(
                node.start_mark,
                f"with its aliases (*name) expanded, this value holds more than {MAX_YAML_NODES} "
                "values.",
                fix,
            )
        open_.discard(key)
        sizes[key] = total
        return total

    size(root)


def _compose(text: str) -> tuple[yaml.Node | None, Any, list[tuple[yaml.Mark, str, str]]]:
    """The document's node tree and its data, within the limits above, and the numbers
    it writes that YAML would not read as they look (see _unclear_number)."""
    loader = _LimitedLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None, []
        _check_nodes(root)
        return root, loader.construct_document(root), loader.unclear
    finally:
        loader.dispose()


def _parse_yaml(text: str, name: str) -> tuple[Any, _LineMap]:
    try:
        root, data, unclear = _compose(text)
    except _YamlLimit as exc:
        at = exc.mark
        _fail(f"{name}, line {at.line + 1}, column {at.column + 1}", exc.what, exc.fix)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}, line {mark.line + 1}, column {mark.column + 1}" if mark else name
        problem = str(exc.problem)
        opened = exc.context_mark
        if exc.context == "while scanning a simple key" and opened is not None:
            # A plain key runs over 1024 characters, or its ':' is missing: the parser
            # notices only at the end of it, so point at its start.
            where = f"{name}, line {opened.line + 1}, column {opened.column + 1}"
            problem = (
                "a key with no ':' after it, or longer than 1024 characters "
                "(the longest plain key YAML reads)"
            )
        elif opened is not None and exc.context and (mark is None or opened.line != mark.line):
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
    except yaml.reader.ReaderError as exc:  # a control character: located by its offset
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        _fail(
            f"{name}, line {line}, column {column}",
            f"an invisible control character (U+{code:04X}), which YAML does not allow.",
            "delete the character (most editors do not show it), or write it as an escape "
            "in a double-quoted string.",
        )
    except yaml.YAMLError as exc:
        _fail(name, f"YAML error: {' '.join(str(exc).split())}.", "fix the YAML.")
    lines = _LineMap(name, root)
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    name,
                    "the scenario must be a YAML mapping of keys "
                    "(name, donors, recipients, rules, ...).",
                    "see docs/scenario-format.md.",
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
    for mark, what, fix in unclear:
        problems.add(f"{name}, line {mark.line + 1}, column {mark.column + 1}", what, fix)
    problems.raise_if_any()
    return data, lines


def read_table(
    spec: TableSpec, base: Path, *, role: str, argument: bool = False
) -> tuple[Table, str]:
    """Read a CSV or XLSX table as strings (no type guessing), with a readable name.
    `argument`: the path was given on the command line (or to a function), not in the
    scenario file."""
    path = table_path(spec, base)
    name = spec.file
    given = role == "pairing" or argument
    fix_path = (
        "check the path (it is relative to the current folder)."
        if given
        else f"check '{role}.file' in the scenario (paths are relative to the scenario file)."
    )
    if not path.exists():
        _fail(name, f"the {role} table does not exist (looked for {path}).", fix_path)
    if path.is_dir():
        _fail(name, "this is a folder, not a table file.", fix_path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".txt", ".tsv"):
        _fail(
            name,
            f"unsupported table type '{suffix or 'none'}'.",
            "save the table as .csv (UTF-8) or .xlsx.",
        )
    xlsx = suffix == ".xlsx"
    variable = "PAIROPT_MAX_XLSX_MB" if xlsx else "PAIROPT_MAX_TABLE_MB"
    try:
        data = read_capped(
            path,
            name,
            what="the workbook" if xlsx else "the table",
            limit=limit_from_env(MAX_XLSX_BYTES if xlsx else MAX_TABLE_BYTES, variable),
            variable=variable,
            fix_size="split or trim the table.",
            fix_kind=(
                f"name a regular {role} file (not a pipe or device)."
                if given
                else f"name a regular file (not a pipe or device) in '{role}.file'."
            ),
        )
        if xlsx:
            # pairopt's own workbooks (solve, evaluate -o x.xlsx) hold the pairs on 'Pairing'
            preferred = PAIRING_SHEET if role == "pairing" else None
            frame = _read_xlsx(data, name, spec.sheet, preferred)
        else:
            sep = "\t" if suffix == ".tsv" else ","
            frame = _read_csv(data, name, spec.encoding, sep, settable=not given)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise InputError(
            [Problem(name, f"cannot be read ({reason}).", "check the file's permissions.")]
        ) from exc
    return frame.renamed([c.strip().lstrip("\ufeff") for c in frame.columns]), name


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _read_csv(
    data: bytes, name: str, encoding: str | None, sep: str, *, settable: bool = True
) -> Table:
    frame, used = read_csv_text(data, name, encoding, sep, settable=settable)
    frame.guessed_encoding = used if encoding is None and used != "utf-8-sig" else None
    return frame


def read_csv_text(
    data: bytes, name: str, encoding: str | None, sep: str = ",", *, settable: bool = True
) -> tuple[Table, str]:
    """Decode and parse CSV bytes; returns the table and the encoding used. `settable`:
    the table is one of the scenario's, whose encoding the scenario can set (a pairing
    file given on its own cannot, so its messages only ask for UTF-8)."""
    if not data.strip():
        _fail(name, "the file is empty.", "add a header row and data rows.")
    if encoding is None and data.startswith(UTF16_BOMS):
        encoding = "utf-16"  # Excel's "Unicode text" export: the BOM says so
    if encoding is None and _looks_binary(data[:65536]):
        _fail(
            name,
            "this looks like a binary file, not a CSV table.",
            "export the table as CSV (UTF-8) or .xlsx"
            + ("; for UTF-16 text, set 'encoding: utf-16' on the table." if settable else "."),
        )
    if encoding:
        text = _decode(data, name, encoding)
        used = encoding
    else:
        text, used = _decode_guess(data, name, settable)
    _check_controls(text, name)
    text = text.lstrip("\ufeff")
    return _parse_csv(text, name, sep), used


_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _looks_binary(sample: bytes) -> bool:
    """NULs among many control bytes: an image, an archive or UTF-16 without its BOM. A
    stray NUL or two in a text table is left to _check_controls, which names its line."""
    if b"\x00" not in sample:
        return False
    controls = len(_CONTROL_BYTES.findall(sample))
    return controls >= 3 and controls * 100 >= len(sample)


def _decode(data: bytes, name: str, encoding: str) -> str:
    """The text in the encoding the table declares."""
    try:
        return data.decode(encoding)
    except LookupError:
        _fail(
            name,
            f"unknown encoding '{encoding}'.",
            "use a Python codec name such as utf-8, gb18030, big5 or utf-16.",
        )
    except UnicodeDecodeError as exc:
        row = _line_at(data, exc.start)
        _fail(
            f"{name}, row {row}",
            f"the text is not valid {encoding}.",
            SET_ENCODING,
        )
    except (UnicodeError, ValueError):  # a codec that fails without saying where (punycode)
        _fail(name, f"the text is not valid {encoding}.", SET_ENCODING)


SET_ENCODING = (
    "set 'encoding: <codec>' on the table in the scenario (e.g. encoding: big5, "
    "encoding: utf-16 or encoding: latin-1), or re-save the file as UTF-8."
)


RESAVE = "re-save the file as UTF-8 (a table given on its own is read as UTF-8 or GB18030)."


def _line_at(data: bytes, offset: int) -> int:
    """The 1-based line of a byte offset, for messages about undecodable text."""
    return data[:offset].count(b"\n") + 1


def _decode_guess(data: bytes, name: str, settable: bool = True) -> tuple[str, str]:
    """UTF-8 (with or without a BOM), all or nothing: a file with some UTF-8 text and a
    line that is not UTF-8 mixes encodings, and decoding it all as GB18030 (which takes
    almost any bytes) would turn every non-ASCII id into other characters. Only a file
    with no non-ASCII UTF-8 line at all is read as GB18030."""
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        bad_line = _line_at(data, exc.start)
    utf8_line = _first_utf8_line(data)
    if utf8_line:
        _fail(
            f"{name}, line {bad_line}",
            f"the file mixes encodings: line {bad_line} is not UTF-8, while line "
            f"{utf8_line} (and maybe others) is UTF-8 text with non-ASCII characters.",
            f"re-save the file as UTF-8 (retype line {bad_line})"
            + (
                ", or, if the whole file is in one other encoding, set 'encoding: <codec>' "
                "on the table in the scenario (e.g. encoding: gbk or encoding: big5)."
                if settable
                else "."
            ),
        )
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        row = _line_at(data, exc.start)
        _fail(
            f"{name}, row {row}",
            f"the text is not valid {' or '.join(FALLBACK_ENCODINGS)}.",
            SET_ENCODING if settable else RESAVE,
        )


def _first_utf8_line(data: bytes) -> int:
    """The number of the first line with non-ASCII characters that is valid UTF-8, or 0."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            continue
        return number
    return 0


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_controls(text: str, name: str) -> None:
    """Refuse control characters other than tab, CR and LF: no table cell holds one on
    purpose (a NUL would be copied into the output, which pairopt cannot read back)."""
    found = _CONTROL.search(text)
    if found:
        char = found.group()
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - text.rfind("\n", 0, found.start())
        _fail(
            f"{name}, line {line}",
            f"an invisible control character (U+{ord(char):04X}) at character {column} of "
            "the line; a table holds text and numbers only.",
            "delete the character (most editors do not show it), or re-export the table "
            "from the program that made it.",
        )


def _parse_csv(text: str, name: str, sep: str) -> Table:
    """Rows of cells under the first row, blank lines skipped. A row with fewer cells than
    the header is padded with empty cells (spreadsheets drop trailing empty ones); a row
    with more cannot be read without guessing which cell is extra, so it is an error.
    The rows are read in one pass of the C reader and checked afterwards."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    starts: list[int] = []  # each kept row's first line: a blank line is a row in a sheet
    with no_cycle_collection():
        try:
            rows = []
            before = 0
            for row in reader:
                if row:
                    rows.append(row)
                    starts.append(before + 1)
                before = reader.line_num
        except csv.Error as exc:  # e.g. a lone carriage return inside an unquoted cell
            if "field larger than field limit" in str(exc):
                _fail(
                    f"{name}, line {reader.line_num}",
                    f"a cell of more than {MAX_CELL_CHARS} characters (a cell holds an id, a "
                    'number or a short label); an unclosed quote (") makes the rest of the '
                    "file one cell.",
                    "close the quote, or shorten the cell.",
                )
            _fail_malformed(f"{name}, line {reader.line_num}", str(exc))
        if not rows:
            _fail(name, "the file has no header row.", "add a header row naming the columns.")
        if any("\n" in c for c in rows[-1]):  # the last row: an open quote runs to the end
            _check_unclosed_quote(text, name, sep)
        header = _header(rows[0], name)
        width = len(header)
        body = rows[1:]
        if any(len(row) > width for row in body):
            _fail_long_row(text, name, sep, width)
        for i in [i for i, row in enumerate(body) if len(row) < width]:
            body[i] = body[i] + [""] * (width - len(body[i]))
        shifted = starts[1:] != list(range(2, len(rows) + 1))
        return Table.from_rows(header, body, starts[1:] if shifted else None)


def _check_unclosed_quote(text: str, name: str, sep: str) -> None:
    """A quote (") left open swallows the rest of the file into one cell, and the message
    was about the empty cells after it. Read again strictly (a closed quote around a line
    break is a cell of its own, and passes): name the line where the open quote starts."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    before = 0  # the lines read before this row: it starts on the next one
    try:
        for _ in reader:
            before = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return
        _fail(
            f"{name}, line {before + 1}",
            'a quote (") opens a cell here and is not closed, so the lines after it were '
            "read as one cell.",
            "close the quote, or remove it (a cell needs quotes only around a separator).",
        )


def _fail_long_row(text: str, name: str, sep: str, width: int) -> NoReturn:
    """Name the line of every row with more cells than the header, up to MAX_LISTED (read
    again: the fast pass does not keep line numbers)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    problems: list[Problem] = []
    more = 0
    for row in reader:
        if len(row) <= width:
            continue
        if len(problems) == MAX_LISTED:
            more += 1
            continue
        problems.append(
            _malformed(
                f"{name}, line {reader.line_num}",
                f"expected {width} cells as in the header, saw {len(row)}",
            )
        )
    if more:
        problems.append(
            Problem(
                name,
                f"{more} more row(s) after these have more cells than the header.",
                "fix those rows the same way.",
            )
        )
    raise InputError(problems)


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
    raise InputError([_malformed(where, message)])


def _malformed(where: str, message: str) -> Problem:
    detail = " ".join(message.split()).rstrip(".")
    if "new-line character" in detail:  # Python's csv module words this for programmers
        detail = "a lone carriage return (line break) inside an unquoted cell"
    return Problem(
        where,
        f"not a well-formed CSV table: {detail}.",
        "give every row the same number of comma-separated cells (quote cells that "
        "contain commas or line breaks, and end lines with a newline, not a lone carriage "
        "return).",
    )


def _read_xlsx(data: bytes, name: str, sheet: str | None, preferred: str | None = None) -> Table:
    """A workbook's sheet as text cells: `sheet`, else `preferred` when the workbook has
    it, else the first. The parts' unpacked sizes are checked before the
    workbook is opened (a small .xlsx can unpack to gigabytes), the sheet is read
    row by row (read-only) up to MAX_XLSX_ROWS, and each cell reads as its saved value."""
    try:
        import openpyxl  # only for workbooks: CSV tables need none of it
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
    _check_unpacked_size(data, name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, openpyxl errors on junk files
        raise _unreadable_xlsx(name, exc) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            _fail(
                name,
                f"Worksheet named '{sheet}' not found (the sheets are "
                f"{', '.join(repr(n) for n in book.sheetnames)}).",
                "name an existing sheet with 'sheet:'.",
            )
        if sheet is None and preferred in book.sheetnames:
            sheet = preferred
        index = book.sheetnames.index(sheet) if sheet is not None else 0
        rows = _sheet_rows(book.worksheets[index], name)
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet: openpyxl's errors while reading it
        raise _unreadable_xlsx(name, exc) from exc
    finally:
        book.close()
    if any(None in row for row in rows):
        _check_formulas(data, index, rows, name)
    return _xlsx_table(rows, name)


def _check_pair_count(
    donors: int, recipients: int, pairs: Table | None, names: dict[str, str]
) -> None:
    """Refuse, before any pair is built, a scenario with more candidate pairs than fit in
    memory: every pair without a pair table, or the pair table's rows."""
    limit = limit_from_env(MAX_PAIRS, "PAIROPT_MAX_PAIRS", unit=1, what="a number of pairs")
    count = donors * recipients if pairs is None else len(pairs)
    if count <= limit:
        return
    if pairs is None:
        what = f"{donors:,} donors x {recipients:,} recipients = {count:,} candidate pairs"
        fix = "add a 'pairs:' table listing the pairs that are possible, "
    else:
        what = f"{count:,} rows, each a candidate pair"
        fix = "keep only the pairs that are possible, "
    _fail(
        names["pairs"] if pairs is not None else "scenario",
        f"{what}; pairopt takes at most {limit:,} (about 170 bytes of memory each).",
        fix + f"or raise PAIROPT_MAX_PAIRS (now {limit}) on a machine with the memory.",
    )


def check_robust_size(scenario: Scenario, where: Callable[[tuple[str, ...]], str]) -> None:
    """Refuse, before a robust model is built (solve), need scenarios whose model would not
    fit in memory: it holds one copy of every candidate pair per need scenario. Scoring a
    pairing across them (evaluate) builds no such model and is not capped."""
    uncertainty = scenario.uncertainty
    if uncertainty is None:
        return
    count = int(uncertainty.nominal) + len(scenario.need_tables) + uncertainty.samples
    pairs = len(scenario.candidates)
    limit = limit_from_env(
        MAX_ROBUST_PAIRS, "PAIROPT_MAX_ROBUST_PAIRS", unit=1, what="a number of pairs"
    )
    if count * pairs <= limit:
        return
    _fail(
        where(("uncertainty", "samples") if uncertainty.samples else ("uncertainty",)),
        f"{count:,} need scenarios x {pairs:,} candidate pairs = {count * pairs:,} pairs in "
        f"the robust model; pairopt takes at most {limit:,} (about 15 kB of memory each).",
        f"use at most {max(1, limit // max(pairs, 1)):,} need scenarios (fewer samples), or "
        f"raise PAIROPT_MAX_ROBUST_PAIRS (now {limit}) on a machine with the memory.",
    )


def _unreadable_xlsx(name: str, exc: Exception) -> InputError:
    """A workbook that zipfile or openpyxl cannot read (junk, damage, another format)."""
    return InputError(
        [
            Problem(
                name,
                f"not a readable .xlsx workbook ({type(exc).__name__}).",
                "re-save the file from Excel as .xlsx, or export it as CSV.",
            )
        ]
    )


def _check_unpacked_size(data: bytes, name: str) -> None:
    """The sum of the workbook's parts' unpacked sizes, from the zip directory alone."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable_xlsx(name, exc) from exc
    variable = "PAIROPT_MAX_XLSX_UNPACKED_MB"
    limit = limit_from_env(MAX_XLSX_UNPACKED_BYTES, variable)
    if unpacked > limit:
        _fail(
            name,
            f"the workbook's parts (an .xlsx is a zip archive) unpack to "
            f"{describe_size(unpacked)}; pairopt unpacks at most {describe_size(limit)} (a "
            f"limit the environment variable {variable} sets, in MB).",
            "save the table as CSV, or, if the workbook is genuine, raise the limit, e.g. "
            f"{variable}={max(1, 2 * unpacked // MB)}.",
        )


def _sheet_rows(sheet: Any, name: str) -> list[list[Any]]:
    """The sheet's rows of values, trailing empty cells and rows dropped, at most
    MAX_XLSX_ROWS + 1 (the header)."""
    variable = "PAIROPT_MAX_XLSX_ROWS"
    limit = limit_from_env(MAX_XLSX_ROWS, variable, unit=1, what="a number of rows")
    rows: list[list[Any]] = []
    for row in sheet.iter_rows(values_only=True):
        if len(rows) > limit:
            _fail(
                name,
                f"the sheet has more than {limit} rows; pairopt reads at most {limit} rows "
                f"from a workbook (a limit the environment variable {variable} sets).",
                f"save a large table as CSV, or raise the limit, e.g. {variable}={2 * limit}.",
            )
        values = list(row)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _check_formulas(data: bytes, index: int, rows: list[list[Any]], name: str) -> None:
    """Empty cells that hold a formula: the file was written by a program that saves
    formulas without their values (a script, not Excel), and pairopt does not compute
    formulas. Read again for the formulas only when some cell had no value."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    problems = Collector()
    try:
        header = [str(v) if v is not None else "" for v in (rows[0] if rows else [])]
        for r, row in enumerate(book.worksheets[index].iter_rows(values_only=True)):
            if r >= len(rows):
                break
            for c, value in enumerate(row):
                if not (isinstance(value, str) and value.startswith("=")):
                    continue
                if c < len(rows[r]) and rows[r][c] is not None:
                    continue
                column = header[c] if c < len(header) and header[c] else f"Unnamed: {c}"
                formula = value if len(value) <= 60 else value[:57] + "..."
                problems.add(
                    f"{name}, row {r + 1}, column '{column}'",
                    f"the cell holds a formula without a saved value ({formula}); pairopt "
                    "reads values, it does not compute formulas.",
                    "open the workbook in Excel or LibreOffice and save it (which saves the "
                    "formulas' values), or paste the values in place of the formulas.",
                )
    finally:
        book.close()
    problems.raise_if_any()


def _xlsx_cell(value: Any) -> str:
    """A cell as text, as pandas's reader gave it: a whole float as an integer."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(rows: list[list[Any]], name: str) -> Table:
    if not rows:
        _fail(name, "the sheet is empty.", "add a header row and data rows.")
    width = max(len(row) for row in rows)
    header = _header([_xlsx_cell(v) for v in rows[0]] + [""] * (width - len(rows[0])), name)
    body = [[_xlsx_cell(v) for v in row] + [""] * (width - len(row)) for row in rows[1:]]
    return Table.from_rows(header, body)


def _unknown_key(path: list[str]) -> tuple[str, str] | None:
    """(what, fix) for the first part of an override's key the scenario format does not
    have, naming the valid keys where it is; None when every part is a key."""
    for i, part in enumerate(path):
        parent = tuple(path[:i])
        valid = model_fields(parent)
        if part in valid:
            continue
        where = ".".join(parent) or "top level"
        if part.isdigit() and parent:  # an item of a list (rules.fixed.0)
            return f"'{where}' is a list: it is set whole, not item by item.", (
                f"give the whole list, e.g. '{where}=[...]' with every item."
            )
        if valid:
            return f"unknown key '{'.'.join(path[: i + 1])}'.", (
                f"valid keys at '{where}': {', '.join(valid)}."
            )
        return f"'{where}' holds a value, not keys.", (
            f"set '{where}' itself, e.g. {where}=[...] for a list or {where}=VALUE."
        )
    return None


def _override_value(raw: str) -> tuple[Any, list[tuple[yaml.Mark, str, str]]]:
    """An override's VALUE read as YAML, as the scenario file's values are."""
    loader = _LimitedLoader(raw)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, []
        twice = _LineMap("", root).duplicates  # YAML keeps the last; the file refuses them
        unclear = [
            (
                root.start_mark,
                f"the key {'.'.join(map(str, path))} appears twice in the value.",
                "keep one of them.",
            )
            for path, _ in twice
        ]
        return loader.construct_document(root), [*unclear, *loader.unclear]
    finally:
        loader.dispose()


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `KEY=VALUE` what-if overrides to the parsed scenario (VALUE is read as YAML:
    1000, distance, [Guangdong], {min: 1, max: 2}). Unknown keys list the valid ones."""
    data, problems = _applied(data, overrides)
    if problems:
        raise InputError(problems)
    return data


def _validated(data: dict[str, Any], overrides: list[str], lines: _LineMap) -> ScenarioSpec:
    """The spec with the overrides applied: those that cannot apply (an unknown key, a
    value that is not YAML) are reported with every problem of the rest, all at once."""
    data, problems = _applied(data, overrides)
    lines.overridden = {tuple(o.partition("=")[0].strip().split(".")) for o in overrides}
    try:
        spec = validate_spec(data, lines)
    except InputError as exc:
        raise InputError([*problems, *exc.problems]) from exc
    if problems:
        raise InputError(problems)
    return spec


def _applied(data: dict[str, Any], overrides: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    """The overrides that apply, applied; a problem for each of the others."""
    problems = Collector()
    for text in overrides:
        where = f"override {text}"
        key, sep, raw = text.partition("=")
        path = key.strip().split(".")
        if not sep or not key.strip():
            problems.add(where, "expected KEY=VALUE.", "e.g. override rules.max_distance_km=1000")
            continue
        if "" in path:  # rules..reserve, .rules.reserve: a typo, not a key
            problems.add(
                where,
                f"the key '{key.strip()}' has an empty part between its dots.",
                "write the key as dotted names, e.g. rules.max_distance_km.",
            )
            continue
        unknown = _unknown_key(path)
        if unknown is not None:
            problems.add(where, *unknown)
            continue
        if not raw.strip():  # an unset shell variable, more often than a wish to clear it
            problems.add(
                where,
                f"the value of '{key.strip()}' is empty.",
                f"give a value, e.g. {key.strip()}=VALUE, or {key.strip()}=null to remove "
                "the setting.",
            )
            continue
        try:
            value, unclear = _override_value(raw)
        except _YamlLimit as exc:
            problems.add(where, exc.what, exc.fix)
            continue
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or type(exc).__name__
            problems.add(
                where,
                f"the value is not valid YAML ({reason}).",
                "check brackets and quotes, e.g. "
                "override 'rules.fixed=[{donor: A, recipient: B}]'.",
            )
            continue
        if unclear:
            problems.problems.extend(Problem(where, what, fix) for _, what, fix in unclear)
            continue
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
    return data, problems.problems


def load_spec(
    path: Path | str, overrides: list[str] | None = None
) -> tuple[ScenarioSpec, _LineMap]:
    """Read and validate the scenario YAML alone (no tables), with what-if overrides."""
    path = Path(path)
    text = _read_scenario_text(path)
    data, lines = _parse_yaml(text, str(path))
    return _validated(data, overrides or [], lines), lines


def load(path: Path | str, overrides: list[str] | None = None) -> Scenario:
    """Read, validate and build a scenario from a YAML file and its tables."""
    return ScenarioSource(path).load(overrides or [])


TableReader = Callable[..., tuple[Table, str]]


class ScenarioSource:
    """A scenario file read once: its text and tables stay in memory, and each what-if (a
    list of overrides) is validated and built from them. A sweep's worker loads its
    scenario once and then pays only for validation per run, not for file reading."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.text = _read_scenario_text(self.path)
        self._tables: dict[tuple[str, str | None, str | None, str], tuple[Table, str]] = {}

    def _read(self, spec: TableSpec, base: Path, *, role: str) -> tuple[Table, str]:
        key = (str(table_path(spec, base)), spec.encoding, spec.sheet, role)
        if key not in self._tables:
            self._tables[key] = read_table(spec, base, role=role)
        return self._tables[key]

    def spec(self, overrides: list[str]) -> tuple[ScenarioSpec, _LineMap]:
        """The scenario file's spec with these overrides, validated (no tables read)."""
        data, lines = _parse_yaml(self.text, str(self.path))
        return _validated(data, overrides, lines), lines

    def load(self, overrides: list[str]) -> Scenario:
        """The scenario with these overrides, as `load` would build it from the files."""
        path = self.path
        spec, lines = self.spec(overrides)
        scenario = load_tables(spec, path, lines, read=self._read)
        if spec.incumbent is not None:
            incumbent = table_path(TableSpec(file=spec.incumbent), path.parent)
            try:
                scenario = with_incumbent(scenario, incumbent)
            except InputError as exc:  # the file's key, relative to the scenario file
                where = lines(("incumbent",))
                raise InputError(
                    [
                        Problem(
                            f"{where}: {p.where}",
                            p.what,
                            p.fix.replace(
                                "it is relative to the current folder",
                                f"it is relative to the scenario file's folder, {path.parent}",
                            ),
                        )
                        for p in exc.problems
                    ]
                ) from exc
        if spec.uncertainty is not None:
            needs = spec.uncertainty.needs
            keys = [f"uncertainty.needs.{i}" for i in range(len(needs))]
            pairs = list(zip(needs, keys, strict=True))
            found = _need_tables(scenario, pairs, path.parent, self._read)
            scenario = with_need_tables(scenario, found)
            check_uncertainty(scenario, lines)
        return replace(scenario, inputs=self.inputs(spec))

    def inputs(self, spec: ScenarioSpec) -> tuple[str, ...]:
        """Every file a scenario with this spec reads: the scenario file, its tables, the
        incumbent and the need tables (what an output must not replace, and what a resumed
        sweep fingerprints)."""
        path = self.path
        tables = [t for t in (spec.donors, spec.recipients, spec.pairs) if t is not None]
        files = (str(path), *(str(table_path(t, path.parent)) for t in tables))
        if spec.incumbent is not None:
            files = (*files, str(table_path(TableSpec(file=spec.incumbent), path.parent)))
        if spec.uncertainty is not None:
            files = (*files, *(str(table_path(t, path.parent)) for t in spec.uncertainty.needs))
        return files


def with_incumbent(scenario: Scenario, path: Path | str) -> Scenario:
    """The scenario with the pairing in a file as its incumbent (checked against the
    scenario's ids like any pairing file)."""
    from .pairings import read_pairing  # pairings reads its tables through this module

    rows = read_pairing(path, scenario)
    return replace(scenario, incumbent=tuple((r.donor, r.recipient) for r in rows))


def _need_tables(
    scenario: Scenario,
    tables: list[tuple[NeedTable, str]],
    base: Path,
    read: TableReader = read_table,
) -> list[NeedData]:
    """Each need table (relative to the folder `base`) read and checked against the
    scenario's recipients; the problems of all of them are reported together."""
    problems = Collector()
    found: list[NeedData] = []
    for table, key in tables:
        try:
            frame, name = read(table, base, role=key)
            found.append(read_need_table(scenario, frame, table, name, key))
        except InputError as exc:
            problems.problems.extend(p for p in exc.problems if p not in problems.problems)
    problems.raise_if_any()
    return found


def read_need_tables(scenario: Scenario, paths: Sequence[str | os.PathLike[str]]) -> Scenario:
    """The scenario with need tables given as paths (relative to the current folder, as
    on the command line), each read with the recipients table's id and need columns."""
    tables = [(NeedTable(file=str(p)), "need scenario") for p in paths]
    found = _need_tables(scenario, tables, Path("."), functools.partial(read_table, argument=True))
    return replace(
        with_need_tables(scenario, found), inputs=(*scenario.inputs, *(str(p) for p in paths))
    )


def table_path(spec: TableSpec, base: Path) -> Path:
    """Where a table named in the scenario is: its path, relative to the scenario's folder."""
    return (base / spec.file) if not Path(spec.file).is_absolute() else Path(spec.file)


def load_tables(
    spec: ScenarioSpec,
    path: Path,
    lines: _LineMap | None = None,
    *,
    read: TableReader = read_table,
) -> Scenario:
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
            frames[role], names[role] = read(table, base, role=role)
        except InputError as exc:  # once each: a bad PAIROPT_* limit is met by every table
            problems.problems.extend(p for p in exc.problems if p not in problems.problems)
    problems.raise_if_any()
    donors, recipients = frames["donors"], frames["recipients"]
    assert donors is not None and recipients is not None
    _check_pair_count(len(donors), len(recipients), frames["pairs"], names)
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
