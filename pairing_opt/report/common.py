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

from ..checks.metrics import metrics
from ..checks.verify import Assignment, Coverage, Evaluation
from ..engine.backends import Status
from ..io.loader import PAIRING_SHEET
from ..scenario.scenario import Scenario
from ..scenario.spec import Objective, OrderedObjective, in_data_units, is_term, term_objective

if TYPE_CHECKING:  # rich is imported when a table is drawn, so csv/json/check start faster
    from rich.console import Console
    from rich.table import Table

PAIRING_COLUMNS = ("donor", "recipient", "share", "distance_km")
DECIMALS = 6
SHARE_DIGITS = 7  # significant digits a share in a pairing file keeps at least
MAX_DECIMALS = 20
EXACT_DIGITS_END = 1e16  # from here a float holds no more integer digits: written as 1.2345678e+16
KM_DECIMALS = 3

STATUS_TEXT = {
    Status.OPTIMAL: "optimal (proven by the solver)",
    Status.LIMIT_FEASIBLE: "stopped at the time limit: a pairing was found but NOT proven optimal",
    Status.LIMIT_NO_SOLUTION: "stopped at the time limit before any pairing was found",
    Status.INFEASIBLE: "infeasible",
}


def within_gap(mip_gap: float) -> str:
    """' within mip_gap 0.01' for a proof within a nonzero gap, else '': "optimal" alone
    would read as exact."""
    return f" within mip_gap {mip_gap:g}" if mip_gap > 0 else ""


def status_text(status: Status, mip_gap: float = 0.0) -> str:
    """The status for a reader, with the gap a proof was accepted within."""
    if status == Status.OPTIMAL:
        return f"optimal{within_gap(mip_gap)} (proven by the solver)"
    return STATUS_TEXT[status]


def proof_text(status: Status, mip_gap: float = 0.0) -> str:
    """'proven optimal' (within the mip_gap accepted), else the status."""
    if status == Status.OPTIMAL:
        return f"proven optimal{within_gap(mip_gap)}"
    return STATUS_TEXT[status]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The workbook's fixed date, so the same result gives the same xlsx bytes.
XLSX_DATE = (2020, 2, 10, 0, 0, 0)


def number(value: float | None, decimals: int = DECIMALS) -> float | None:
    """A JSON-safe rounded number (None for NaN/inf), with -0.0 made 0.0."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded


def amount(value: float | None, decimals: int = DECIMALS) -> float | None:
    """An amount in the data's own unit (a need, share, load or capacity) for JSON:
    `decimals` decimals, or more below 0.1 so that it keeps that many significant digits
    whatever the unit (in millionths, 6 decimals left 1.2e-05 of 1.240741e-05). Amounts
    are sums of the data, not differences, so round-off cannot show as a tiny number."""
    if value is None or not math.isfinite(value) or value == 0:
        return number(value, decimals)
    return number(value, _places(float(value), decimals, decimals))


def amount_text(value: float | None, decimals: int = 2, digits: int = 4) -> str:
    """An amount as plain text for people: `decimals` decimals, or more below 1 so that it
    keeps `digits` significant digits (see amount): a table of need in millionths showed
    every cell as 0."""
    if value is None or not math.isfinite(value) or value == 0:
        return text(value, decimals)
    return text(value, _places(float(value), decimals, digits))


def _places(value: float, decimals: int, digits: int) -> int:
    """`decimals`, or more for a small nonzero value, so that it keeps `digits`
    significant digits (at most MAX_DECIMALS)."""
    return min(max(decimals, digits - 1 - math.floor(math.log10(abs(value)))), MAX_DECIMALS)


def objective_number(
    objective: object, value: float | None, reference: float | None = None
) -> float | None:
    """An objective's value (or bound) for JSON: as an amount where the objective is one
    (see in_data_units); a bound within round-off (1e-9) of 0 next to its value
    `reference` is 0, not -4.4e-16."""
    if not in_data_units(objective) or value is None or not math.isfinite(value):
        return number(value)
    if reference is not None and abs(value) <= 1e-9 * abs(reference):
        return 0.0
    return amount(value)


def term_number(term: str, value: float | None) -> float | None:
    """One term's value (an objective's part, a front's x or y) for JSON: an amount
    where the term is one (see in_data_units)."""
    return objective_number(_term(term), value)


def term_text(term: str, value: float | None, decimals: int = 4) -> str:
    """One term's value for people: with `decimals` significant digits at least where
    the term is an amount in the data's units."""
    if in_data_units(_term(term)):
        return amount_text(value, decimals, decimals)
    return text(value, decimals)


def _term(key: str) -> Objective | None:
    """The one-term objective a key names (None for a key that is no term)."""
    return term_objective(key) if is_term(key) else None


def metrics_dict(
    scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation
) -> dict[str, float | int | None]:
    """The metrics of a pairing (checks/metrics.py), JSON-ready: counts stay integers."""
    return {
        key: value
        if isinstance(value, int) or value is None
        else amount(value)
        if key == "shortfall"  # need, in the data's units
        else number(value)
        for key, value in metrics(scenario, pairing, evaluation).items()
    }


def metrics_text(scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation) -> str:
    """One line: 'utilisation spread 0.42, Gini 0.18; capacity-need Spearman 0.31; 5 split
    recipients; shortfall 0' (and the changes, against an incumbent)."""
    m = metrics(scenario, pairing, evaluation)
    rho = m["capacity_need_spearman"]
    parts = [
        f"utilisation spread {text(m['utilisation_spread'], 4)}, "
        f"Gini {text(m['utilisation_gini'], 4)}",
        f"capacity-need Spearman {'n/a' if rho is None else text(rho, 4)}",
        f"{m['split_recipients']} split recipient{'' if m['split_recipients'] == 1 else 's'}",
    ]
    if m["changes"] is not None:
        parts.append(f"{m['changes']} change{'' if m['changes'] == 1 else 's'} to the incumbent")
    parts.append(f"shortfall {amount_text(float(m['shortfall'] or 0.0))}")
    return "; ".join(parts)


def levels_text(objective: Objective, evaluation: Evaluation) -> str | None:
    """'changes 6, weighted_distance 4130364.5262': each level of an order, in order (None
    for any other objective)."""
    if not isinstance(objective, OrderedObjective):
        return None
    values = evaluation.parts(objective)
    return ", ".join(f"{level.term} {text(values[level.term], 4)}" for level in objective.order)


def text(value: float | None, decimals: int = DECIMALS) -> str:
    """A number as plain text without trailing zeros ('' when unknown)."""
    rounded = number(value, decimals)
    if rounded is None:
        return ""
    if abs(rounded) >= EXACT_DIGITS_END:  # fixed point would print hundreds of noise digits
        return f"{rounded:.{SHARE_DIGITS + 1}g}"
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
    return text(value, _places(value, DECIMALS, SHARE_DIGITS))


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


def _need(scenario: Scenario, a: Assignment, k: int = 0) -> float:
    return float(scenario.need_matrix[scenario.recipient_index[a.recipient], k])


# --------------------------------------------------------------------------- resources


def share_columns(scenario: Scenario) -> list[str]:
    """The share columns of a pairing file: `share`, or with several resources one
    `share_<resource>` per resource, in the scenario's order (what io.pairings reads)."""
    if not scenario.multi_resource:
        return ["share"]
    return [f"share_{name}" for name in scenario.resources]


def pairing_columns(scenario: Scenario) -> tuple[str, ...]:
    """The pairing CSV header: donor,recipient,share,distance_km (one share per resource)."""
    return ("donor", "recipient", *share_columns(scenario), "distance_km")


def amounts(scenario: Scenario, a: Assignment) -> tuple[float, ...]:
    """The pair's share of each of the scenario's resources (NaN for one it lacks)."""
    given = a.amounts
    return tuple(given[k] if k < len(given) else math.nan for k in range(len(scenario.resources)))


def _multi(evaluation: Evaluation) -> bool:
    """Whether the evaluation has one entry per resource (the entries then name it)."""
    return any(x.resource for x in evaluation.donors) or any(
        c.resource for c in evaluation.recipients
    )


def is_short(c: Coverage) -> bool:
    """Need left uncovered beyond the verifier's tolerance (solver noise is not shortfall)."""
    return c.uncovered > 0


def shortfalls(evaluation: Evaluation) -> list[Coverage]:
    """The (recipient, resource) entries whose need is left uncovered, in scenario order."""
    return [c for c in evaluation.recipients if is_short(c)]


def shows_shortfall(scenario: Scenario) -> bool:
    """Whether people's tables carry a shortfall column: need may go uncovered at a price,
    or there are several resources (coverage is then one row per resource)."""
    return scenario.multi_resource or not scenario.full_coverage


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
RESOURCE_COLUMN: Column = ("Resource", False)
SHORTFALL_COLUMN: Column = ("Shortfall", True)


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
                amount_text(need, 2),
                display_name(a.donor, donor_label(scenario, a.donor)),
                amount_text(a.share, 2),
                f"{a.share / need:.0%}" if need > 0 else "",
                text(pair_km(scenario, a), 0),
            )
        )
    return rows


def resource_pair_columns(scenario: Scenario) -> tuple[Column, ...]:
    """With several resources a pair row has one column per resource (its share and the
    fraction of the recipient's need of it, '50 (71%)') in place of Need/Share/% of need."""
    return (
        ("Recipient", False),
        ("Donor", False),
        *((name, True) for name in scenario.resources),
        ("km", True),
    )


def resource_pair_rows(scenario: Scenario, pairing: list[Assignment]) -> list[list[str]]:
    """Pairs in the order of resource_pair_columns."""
    rows = []
    for a in pairing:
        cells = []
        for k, share in enumerate(amounts(scenario, a)):
            need = _need(scenario, a, k)
            known = need > 0 and math.isfinite(share)
            shown = amount_text(share, 2)
            cells.append(f"{shown} ({share / need:.0%})" if known else shown)
        rows.append(
            [
                display_name(a.recipient, recipient_label(scenario, a.recipient)),
                display_name(a.donor, donor_label(scenario, a.donor)),
                *cells,
                text(pair_km(scenario, a), 0),
            ]
        )
    return rows


def load_columns(evaluation: Evaluation) -> tuple[Column, ...]:
    """LOAD_COLUMNS, with a Resource column after the donor when there are several."""
    if not _multi(evaluation):
        return LOAD_COLUMNS
    return (LOAD_COLUMNS[0], RESOURCE_COLUMN, *LOAD_COLUMNS[1:])


def load_rows(scenario: Scenario, evaluation: Evaluation) -> list[list[str]]:
    """Donors that serve a recipient or carry a load; idle donors would only add noise.
    With several resources a donor has one row per resource."""
    multi = _multi(evaluation)
    return [
        [
            display_name(x.donor, donor_label(scenario, x.donor)),
            *([x.resource] if multi else []),
            str(x.recipients),
            amount_text(x.load, 2),
            amount_text(x.available, 2),
            f"{x.utilisation:.0%}" if math.isfinite(x.utilisation) else "inf",
        ]
        for x in evaluation.donors
        if x.recipients or x.load
    ]


def coverage_columns(scenario: Scenario, evaluation: Evaluation) -> tuple[Column, ...]:
    """COVERAGE_COLUMNS, with Resource after the recipient when there are several and
    Shortfall last when need may go uncovered (shows_shortfall)."""
    columns = list(COVERAGE_COLUMNS)
    if _multi(evaluation):
        columns.insert(1, RESOURCE_COLUMN)
    if shows_shortfall(scenario):
        columns.append(SHORTFALL_COLUMN)
    return tuple(columns)


def coverage_rows(scenario: Scenario, evaluation: Evaluation) -> list[list[str]]:
    """Each recipient's coverage (of each resource), in the order of coverage_columns."""
    multi, short = _multi(evaluation), shows_shortfall(scenario)
    return [
        [
            display_name(c.recipient, recipient_label(scenario, c.recipient)),
            *([c.resource] if multi else []),
            str(c.donors),
            amount_text(c.need, 2),
            amount_text(c.covered, 2),
            *([amount_text(c.uncovered, 2)] if short else []),
        ]
        for c in evaluation.recipients
    ]


def shortfall_columns(evaluation: Evaluation) -> tuple[Column, ...]:
    columns: list[Column] = [("Recipient", False), ("Need", True), ("Covered", True)]
    if _multi(evaluation):
        columns.insert(1, RESOURCE_COLUMN)
    return (*columns, SHORTFALL_COLUMN)


def shortfall_rows(scenario: Scenario, evaluation: Evaluation) -> list[list[str]]:
    """The recipients whose need is left uncovered, one row per resource short."""
    multi = _multi(evaluation)
    return [
        [
            display_name(c.recipient, recipient_label(scenario, c.recipient)),
            *([c.resource] if multi else []),
            amount_text(c.need, 2),
            amount_text(c.covered, 2),
            amount_text(c.shortfall, 2),
        ]
        for c in shortfalls(evaluation)
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


def pair_keys(scenario: Scenario) -> tuple[str, ...]:
    """PAIR_KEYS; with several resources share_<resource> (amount) and fraction_<resource>
    (of the recipient's need of it) for each resource in place of share and
    fraction_of_need."""
    if not scenario.multi_resource:
        return PAIR_KEYS
    names = scenario.resources
    return (
        "donor",
        "recipient",
        *(f"share_{name}" for name in names),
        *(f"fraction_{name}" for name in names),
        "distance_km",
        "donor_label",
        "recipient_label",
    )


def donor_keys(evaluation: Evaluation) -> tuple[str, ...]:
    """DONOR_KEYS, with `resource` after the donor when there are several."""
    return ("donor", "resource", *DONOR_KEYS[1:]) if _multi(evaluation) else DONOR_KEYS


def recipient_keys(evaluation: Evaluation, shortfall: bool = False) -> tuple[str, ...]:
    """RECIPIENT_KEYS, with `resource` after the recipient when there are several, and
    `shortfall` (need left uncovered) when asked for or when there are several."""
    multi = _multi(evaluation)
    keys = ("recipient", "resource", *RECIPIENT_KEYS[1:]) if multi else RECIPIENT_KEYS
    return (*keys, "shortfall") if shortfall or multi else keys


def pairs_dict(scenario: Scenario, pairing: list[Assignment]) -> list[dict[str, Any]]:
    """Each pair with exact ids, rounded numbers and the display labels, keyed by
    pair_keys(scenario)."""
    out = []
    multi = scenario.multi_resource
    for a in pairing:
        record: dict[str, Any] = {"donor": a.donor, "recipient": a.recipient}
        if multi:
            shares = amounts(scenario, a)
            for name, share in zip(scenario.resources, shares, strict=True):
                record[f"share_{name}"] = amount(share)
            for k, (name, share) in enumerate(zip(scenario.resources, shares, strict=True)):
                need = _need(scenario, a, k)
                record[f"fraction_{name}"] = number(share / need if need > 0 else 0.0)
        else:
            need = _need(scenario, a)
            record["share"] = amount(a.share)
            record["fraction_of_need"] = number(a.share / need if need > 0 else 0.0)
        record["distance_km"] = number(pair_km(scenario, a), KM_DECIMALS)
        record["donor_label"] = donor_label(scenario, a.donor)
        record["recipient_label"] = recipient_label(scenario, a.recipient)
        out.append(record)
    return out


def loads_dict(
    evaluation: Evaluation, *, shortfall: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Per-donor load and per-recipient coverage, keyed by donor_keys and recipient_keys:
    with several resources one entry per resource, naming it; `shortfall` adds the need
    left uncovered to each recipient entry (always there with several resources)."""
    multi = _multi(evaluation)
    with_shortfall = shortfall or multi
    donors = []
    for x in evaluation.donors:
        donor: dict[str, Any] = {"donor": x.donor}
        if multi:
            donor["resource"] = x.resource
        donor.update(
            recipients=x.recipients,
            load=amount(x.load),
            capacity=amount(x.capacity),
            available=amount(x.available),
            utilisation=number(x.utilisation),
        )
        donors.append(donor)
    recipients = []
    for c in evaluation.recipients:
        recipient: dict[str, Any] = {"recipient": c.recipient}
        if multi:
            recipient["resource"] = c.resource
        recipient.update(donors=c.donors, need=amount(c.need), covered=amount(c.covered))
        if with_shortfall:
            recipient["shortfall"] = amount(c.uncovered)
        recipients.append(recipient)
    return {"donors": donors, "recipients": recipients}


def shortfall_dict(evaluation: Evaluation) -> dict[str, float | None]:
    """Need left uncovered per resource, keyed by its name ('need' for the one unnamed
    resource)."""
    return {name or "need": amount(short) for name, short in evaluation.shortfall.items()}


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
    """Pairs grouped by recipient: its name and need are shown on its first row only
    (with several resources, one share column per resource and no need column)."""
    rows, previous = [], None
    if scenario.multi_resource:
        for a, row in zip(pairing, resource_pair_rows(scenario, pairing), strict=True):
            rows.append(([row[0]] if a.recipient != previous else [""]) + row[1:])
            previous = a.recipient
        return rich_table(title, resource_pair_columns(scenario), rows)
    for a, pair in zip(pairing, pair_rows(scenario, pairing), strict=True):
        recipient, need = (pair.recipient, pair.need) if a.recipient != previous else ("", "")
        previous = a.recipient
        rows.append([recipient, need, pair.donor, pair.share, pair.of_need, pair.km])
    return rich_table(title, PAIR_COLUMNS, rows)


def loads_table(scenario: Scenario, evaluation: Evaluation) -> Table:
    """Donor loads; with several resources a donor's name and recipient count are shown
    on its first row only."""
    rows = load_rows(scenario, evaluation)
    if _multi(evaluation):
        previous = None
        for row in rows:
            name = row[0]
            if name == previous:
                row[0] = row[2] = ""
            previous = name
    return rich_table("Donor load", load_columns(evaluation), rows)


def shortfall_table(scenario: Scenario, evaluation: Evaluation) -> Table | None:
    """The recipients whose need is left uncovered (None when every need is covered)."""
    rows = shortfall_rows(scenario, evaluation)
    if not rows:
        return None
    return rich_table("Shortfall", shortfall_columns(evaluation), rows)


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
    if scenario.multi_resource:
        pair_columns = list(resource_pair_columns(scenario))
        pairs = resource_pair_rows(scenario, pairing)
    else:
        pair_columns = [c for c in PAIR_COLUMNS if c[0] != "Need"]
        pairs = [
            [r.recipient, r.donor, r.share, r.of_need, r.km] for r in pair_rows(scenario, pairing)
        ]
    return [
        "### Pairing",
        "",
        *md_table(pair_columns, pairs),
        "",
        "### Donor load",
        "",
        *md_table(load_columns(evaluation), load_rows(scenario, evaluation)),
        "",
        "### Recipient coverage",
        "",
        *md_table(coverage_columns(scenario, evaluation), coverage_rows(scenario, evaluation)),
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
    scenario: Scenario,
    pairing: list[Assignment],
    evaluation: Evaluation,
    summary: list[list[Any]],
    *,
    shortfall: bool = False,
) -> dict[str, list[list[Any]]]:
    """The Summary sheet given, then the pairs, donor loads and coverage as in the JSON
    (shares with the digits of a pairing CSV, share_text, so that the sheet reads back;
    `shortfall` as in loads_dict)."""
    loads = loads_dict(evaluation, shortfall=shortfall)
    pairs = pairs_dict(scenario, pairing)
    columns = share_columns(scenario)
    for record, a in zip(pairs, pairing, strict=True):
        for column, amount in zip(columns, amounts(scenario, a), strict=True):
            written = share_text(amount)
            record[column] = float(written) if written else None
    return {
        "Summary": summary,
        PAIRING_SHEET: _sheet(pair_keys(scenario), pairs),
        "Donor load": _sheet(donor_keys(evaluation), loads["donors"]),
        "Recipient coverage": _sheet(recipient_keys(evaluation, shortfall), loads["recipients"]),
    }


def _sheet(keys: tuple[str, ...], records: list[dict[str, Any]]) -> list[list[Any]]:
    return [list(keys)] + [[r[k] for k in keys] for r in records]
