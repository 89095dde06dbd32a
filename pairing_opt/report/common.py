"""What every output format shares: rounding, display names, formula-safe cells, the rows of
the pairing / donor load / recipient coverage tables, their JSON form, and the writers for
rich tables, markdown and xlsx workbooks.

Output is deterministic: the same result gives the same bytes (numbers are rounded to
fixed decimals, rows come in scenario order, and timings can be left out).
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..checks.verify import Assignment, Evaluation
from ..engine.backends import Status
from ..scenario.scenario import Scenario

if TYPE_CHECKING:  # rich is imported when a table is drawn, so csv/json/check start faster
    from rich.console import Console
    from rich.table import Table

PAIRING_COLUMNS = ("donor", "recipient", "share", "distance_km")
DECIMALS = 6
SHARE_DIGITS = 7  # significant digits a share in a pairing file keeps at least
MAX_DECIMALS = 20
KM_DECIMALS = 3

STATUS_TEXT = {
    Status.OPTIMAL: "optimal (proven by the solver)",
    Status.LIMIT_FEASIBLE: "stopped at the time limit: a pairing was found but NOT proven optimal",
    Status.LIMIT_NO_SOLUTION: "stopped at the time limit before any pairing was found",
    Status.INFEASIBLE: "infeasible",
}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The workbook's fixed date, so the same result gives the same xlsx bytes.
XLSX_DATE = (2020, 2, 10, 0, 0, 0)


def number(value: float | None, decimals: int = DECIMALS) -> float | None:
    """A JSON-safe rounded number (None for NaN/inf), with -0.0 made 0.0."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded


def text(value: float | None, decimals: int = DECIMALS) -> str:
    """A number as plain text without trailing zeros ('' when unknown)."""
    rounded = number(value, decimals)
    if rounded is None:
        return ""
    out = f"{rounded:.{decimals}f}"
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out if out not in ("", "-0") else "0"


def share_text(value: float | None) -> str:
    """A share for a pairing file that pairopt reads back: DECIMALS decimals, or more for a
    small share, so that it keeps at least SHARE_DIGITS significant digits (rounded to 6
    decimals, a share of 1e-6 units would lose all of them and break the verdict)."""
    if value is None or not math.isfinite(value) or value == 0:
        return text(value)
    digits = SHARE_DIGITS - 1 - math.floor(math.log10(abs(value)))
    return text(value, min(max(DECIMALS, digits), MAX_DECIMALS))


def cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: a text cell that Excel or LibreOffice would
    run as a formula (starting with = + - @ tab or CR) gets a leading apostrophe, which
    spreadsheets show as text. A value that already starts with an apostrophe gets one
    too, so that reading strips exactly one (io.pairings._uncell) and every id survives."""
    return "'" + value if value.startswith((*FORMULA_START, "'")) else value


def _finite(data: object) -> object:
    """`data` with every non-finite float (inf, NaN) made None: JSON has no such numbers."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value) for value in data]
    return data


def dumps(data: object) -> str:
    """JSON as every command prints it: UTF-8 names kept readable, indented, newline-ended.
    Always valid JSON: a non-finite number is written as null, never Infinity or NaN."""
    return json.dumps(_finite(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- places


def donor_label(scenario: Scenario, donor: str) -> str:
    return scenario.donor_labels[scenario.donor_index[donor]]


def recipient_label(scenario: Scenario, recipient: str) -> str:
    return scenario.recipient_labels[scenario.recipient_index[recipient]]


def display_name(ident: str, label: str) -> str:
    """The id, followed by the display name when the scenario gives a different one."""
    return ident if label == ident else f"{ident} {label}"


def pair_km(scenario: Scenario, a: Assignment) -> float:
    return scenario.distance_km(*scenario.pair_index(a.donor, a.recipient))


def _need(scenario: Scenario, a: Assignment) -> float:
    return float(scenario.need[scenario.recipient_index[a.recipient]])


# --------------------------------------------------------------------------- rows for people

Column = tuple[str, bool]  # header, right-aligned (numbers are)

PAIR_COLUMNS: tuple[Column, ...] = (
    ("Recipient", False),
    ("Need", True),
    ("Donor", False),
    ("Share", True),
    ("% of need", True),
    ("km", True),
)
LOAD_COLUMNS: tuple[Column, ...] = (
    ("Donor", False),
    ("Recipients", True),
    ("Load", True),
    ("Available", True),
    ("Used", True),
)
COVERAGE_COLUMNS: tuple[Column, ...] = (
    ("Recipient", False),
    ("Donors", True),
    ("Need", True),
    ("Covered", True),
)


class PairRow(NamedTuple):
    """One pair as people read it, in the order of PAIR_COLUMNS."""

    recipient: str
    need: str
    donor: str
    share: str
    of_need: str
    km: str


def pair_rows(scenario: Scenario, pairing: list[Assignment]) -> list[PairRow]:
    """Names with display labels, shares and km rounded for reading."""
    rows = []
    for a in pairing:
        need = _need(scenario, a)
        rows.append(
            PairRow(
                display_name(a.recipient, recipient_label(scenario, a.recipient)),
                text(need, 2),
                display_name(a.donor, donor_label(scenario, a.donor)),
                text(a.share, 2),
                f"{a.share / need:.0%}" if need > 0 else "",
                text(pair_km(scenario, a), 0),
            )
        )
    return rows


def load_rows(scenario: Scenario, evaluation: Evaluation) -> list[list[str]]:
    """Donors that serve a recipient or carry a load; idle donors would only add noise."""
    return [
        [
            display_name(x.donor, donor_label(scenario, x.donor)),
            str(x.recipients),
            text(x.load, 2),
            text(x.available, 2),
            f"{x.utilisation:.0%}" if math.isfinite(x.utilisation) else "inf",
        ]
        for x in evaluation.donors
        if x.recipients or x.load
    ]


def coverage_rows(scenario: Scenario, evaluation: Evaluation) -> list[list[str]]:
    return [
        [
            display_name(c.recipient, recipient_label(scenario, c.recipient)),
            str(c.donors),
            text(c.need, 2),
            text(c.covered, 2),
        ]
        for c in evaluation.recipients
    ]


# --------------------------------------------------------------------------- rows for scripts

PAIR_KEYS = (
    "donor",
    "recipient",
    "share",
    "fraction_of_need",
    "distance_km",
    "donor_label",
    "recipient_label",
)
DONOR_KEYS = ("donor", "recipients", "load", "capacity", "available", "utilisation")
RECIPIENT_KEYS = ("recipient", "donors", "need", "covered")


def pairs_dict(scenario: Scenario, pairing: list[Assignment]) -> list[dict[str, Any]]:
    """Each pair with exact ids, rounded numbers and the display labels, keyed by PAIR_KEYS."""
    out = []
    for a in pairing:
        need = _need(scenario, a)
        out.append(
            {
                "donor": a.donor,
                "recipient": a.recipient,
                "share": number(a.share),
                "fraction_of_need": number(a.share / need if need > 0 else 0.0),
                "distance_km": number(pair_km(scenario, a), KM_DECIMALS),
                "donor_label": donor_label(scenario, a.donor),
                "recipient_label": recipient_label(scenario, a.recipient),
            }
        )
    return out


def loads_dict(evaluation: Evaluation) -> dict[str, list[dict[str, Any]]]:
    """Per-donor load and per-recipient coverage, keyed by DONOR_KEYS and RECIPIENT_KEYS."""
    return {
        "donors": [
            {
                "donor": x.donor,
                "recipients": x.recipients,
                "load": number(x.load),
                "capacity": number(x.capacity),
                "available": number(x.available),
                "utilisation": number(x.utilisation),
            }
            for x in evaluation.donors
        ],
        "recipients": [
            {
                "recipient": c.recipient,
                "donors": c.donors,
                "need": number(c.need),
                "covered": number(c.covered),
            }
            for c in evaluation.recipients
        ],
    }


# --------------------------------------------------------------------------- rich tables


def console(buffer: io.StringIO, color: bool, width: int) -> Console:
    """A console that writes into `buffer`; colour only when asked, so files stay plain."""
    from rich.console import Console

    return Console(
        file=buffer,
        width=width,
        color_system="auto" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
    )


def rich_table(title: str, columns: Sequence[Column], rows: list[list[str]]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD)
    for header, right in columns:
        table.add_column(header, justify="right" if right else "left")
    for row in rows:
        table.add_row(*row)
    return table


def pairs_table(scenario: Scenario, pairing: list[Assignment], title: str) -> Table:
    """Pairs grouped by recipient: its name and need are shown on its first row only."""
    rows, previous = [], None
    for a, row in zip(pairing, pair_rows(scenario, pairing), strict=True):
        recipient, need = (row.recipient, row.need) if a.recipient != previous else ("", "")
        previous = a.recipient
        rows.append([recipient, need, row.donor, row.share, row.of_need, row.km])
    return rich_table(title, PAIR_COLUMNS, rows)


def loads_table(scenario: Scenario, evaluation: Evaluation) -> Table:
    return rich_table("Donor load", LOAD_COLUMNS, load_rows(scenario, evaluation))


# --------------------------------------------------------------------------- markdown


def md_escape(value: str) -> str:
    """A pipe would end the cell and a newline the row."""
    return value.replace("|", "\\|").replace("\n", " ")


def md_table(columns: Sequence[Column], rows: list[list[str]]) -> list[str]:
    align = ["---:" if right else "---" for _, right in columns]
    lines = ["| " + " | ".join(h for h, _ in columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return lines


def pairing_markdown(
    scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation
) -> list[str]:
    """Pairing, donor load and recipient coverage sections. A markdown table cannot span
    rows, so every pair names its recipient and the need column is left out."""
    pair_columns = [c for c in PAIR_COLUMNS if c[0] != "Need"]
    pairs = [[r.recipient, r.donor, r.share, r.of_need, r.km] for r in pair_rows(scenario, pairing)]
    return [
        "### Pairing",
        "",
        *md_table(pair_columns, pairs),
        "",
        "### Donor load",
        "",
        *md_table(LOAD_COLUMNS, load_rows(scenario, evaluation)),
        "",
        "### Recipient coverage",
        "",
        *md_table(COVERAGE_COLUMNS, coverage_rows(scenario, evaluation)),
    ]


# --------------------------------------------------------------------------- xlsx


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with one sheet per entry; text cells are formula-safe (see `cell`), and
    its timestamps are fixed so the same result gives the same bytes."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([cell(v) if isinstance(v, str) else v for v in row])
    book.properties.created = book.properties.modified = datetime.datetime(*XLSX_DATE)
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_timestamps(buffer.getvalue())


def _fixed_timestamps(saved: bytes) -> bytes:
    """openpyxl stamps every zip entry, and the "modified" property, with the time of
    saving: rewrite them with XLSX_DATE."""
    stamp = datetime.datetime(*XLSX_DATE).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=XLSX_DATE)
            stamped.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            target.writestr(stamped, data)
    return out.getvalue()


def pairing_sheets(
    scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation, summary: list[list[Any]]
) -> dict[str, list[list[Any]]]:
    """The Summary sheet given, then the pairs, donor loads and coverage as in the JSON
    (shares with the digits of a pairing CSV, share_text, so that the sheet reads back)."""
    loads = loads_dict(evaluation)
    pairs = pairs_dict(scenario, pairing)
    for record, a in zip(pairs, pairing, strict=True):
        written = share_text(a.share)
        record["share"] = float(written) if written else None
    return {
        "Summary": summary,
        "Pairing": _sheet(PAIR_KEYS, pairs),
        "Donor load": _sheet(DONOR_KEYS, loads["donors"]),
        "Recipient coverage": _sheet(RECIPIENT_KEYS, loads["recipients"]),
    }


def _sheet(keys: tuple[str, ...], records: list[dict[str, Any]]) -> list[list[Any]]:
    return [list(keys)] + [[r[k] for k in keys] for r in records]
