"""Reading pairing CSVs (the format `solve --format csv` writes) for evaluate and compare.

A pairing file may break every rule of a scenario (that is what `evaluate` is for); it
must only be readable: the columns donor and recipient, shares that are numbers >= 0 or
empty, no pair twice, and, when a scenario is given, ids the scenario knows. A column
written with the scenario's display labels instead of its ids (every value a label, none
an id, each label one id's) is read by label, and a note says so.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import Collector, InputError, Problem
from ..scenario.scenario import Names, Scenario, Suggester, nfc, shown
from ..scenario.spec import TableSpec
from ..scenario.table import Table, number_problem, parse_number, without_thousands
from .loader import read_table


@dataclass(frozen=True)
class PairingRow:
    donor: str
    recipient: str
    share: float | None  # None: not given (evaluate computes the best split)
    shares: tuple[float | None, ...] = ()  # several resources: one per resource

    @property
    def amounts(self) -> tuple[float | None, ...]:
        """The share of each resource (None where not given)."""
        return self.shares or (self.share,)


class PairingRows(list[PairingRow]):
    """The rows of a pairing (a list), with `notes`: what reading them did that the user
    should be told (a column read by the scenario's labels), one sentence each; and
    `columns`: the share columns each row's `amounts` were read from, in that order."""

    def __init__(
        self,
        rows: Iterable[PairingRow] = (),
        notes: Iterable[str] = (),
        columns: Sequence[str] = ("share",),
    ) -> None:
        super().__init__(rows)
        self.notes: tuple[str, ...] = tuple(notes)
        self.columns: tuple[str, ...] = tuple(columns)


def read_pairing(path: str | Path, scenario: Scenario | None = None) -> PairingRows:
    """Rows of a pairing CSV/XLSX, validated (and checked against the scenario's ids)."""
    path = Path(path)
    frame, name = read_table(TableSpec(file=str(path)), Path("."), role="pairing")
    return parse_pairing(frame, name, scenario)


def parse_pairing(frame: Table, name: str, scenario: Scenario | None) -> PairingRows:
    """The rows of a pairing table, checked; every problem in it is reported at once.
    With a scenario, a column of its labels is read by label (see `_Known.resolve`)."""
    _require_id_columns(frame, name)
    problems = Collector()
    columns = _share_columns(frame, name, scenario, problems)
    blank = [""] * len(frame)
    share_cells = [[v.strip() for v in frame[c]] if c in frame else blank for c in columns]
    shares = list(zip(*share_cells, strict=True)) if share_cells else [()] * len(frame)
    rows: list[PairingRow] = []
    seen: dict[tuple[str, str], int] = {}
    # Ids in Unicode NFC, as the scenario's are: the same name typed as NFD is found.
    donors = [nfc(_uncell(str(v).strip())) for v in frame["donor"]]
    recipients = [nfc(_uncell(str(v).strip())) for v in frame["recipient"]]
    known = _Known(scenario) if scenario is not None else None
    notes: list[str] = []
    if known is not None:
        donors = known.resolve("donor", donors, name, notes, problems, frame.line)
        recipients = known.resolve("recipient", recipients, name, notes, problems, frame.line)
    multi = len(columns) > 1 or columns != ["share"]
    for i, (donor, recipient, texts) in enumerate(zip(donors, recipients, shares, strict=True)):
        line = frame.line(i)
        row = f"{name}, row {line}"
        if not _new_pair(donor, recipient, row, line, seen, problems):
            continue
        read = [
            _share(text, row, problems, f"{donor} -> {recipient}", column)
            for text, column in zip(texts, columns, strict=True)
        ]
        if not all(ok for ok, _ in read):
            continue
        if known is not None:
            known.check(donor, recipient, row, problems)
        amounts = tuple(value for _, value in read)
        rows.append(PairingRow(donor, recipient, amounts[0], amounts if multi else ()))
    _check_totals(rows, columns, name, problems)
    problems.raise_if_any()
    return PairingRows(rows, notes, columns)


def _check_totals(
    rows: list[PairingRow], columns: list[str], name: str, problems: Collector
) -> None:
    """Shares whose total lies past the largest float (two shares of 1e308) cannot be
    added up, as every check of coverage and load does: refused here, by column."""
    for k, column in enumerate(columns):
        total = 0.0
        for row in rows:
            amount = row.amounts[k] if k < len(row.amounts) else None
            total += 0.0 if amount is None else amount
        if not math.isfinite(total):
            problems.add(
                f"{name}, column '{column}'",
                f"the shares add up to more than {sys.float_info.max:.3g}, too large to "
                "compute with.",
                "write the shares in a larger unit (and the scenario's amounts with them).",
            )


def _require_id_columns(frame: Table, name: str) -> None:
    """Without both id columns no row can be read: fail at once, naming the columns seen."""
    missing = [c for c in ("donor", "recipient") if c not in frame.columns]
    if missing:
        columns = ", ".join(repr(str(c)) for c in frame.columns) or "none"
        raise InputError(
            [
                Problem(
                    name,
                    f"missing column(s) {', '.join(missing)}; the columns are {columns}.",
                    "a pairing file has the columns donor,recipient[,share,distance_km].",
                )
            ]
        )


def _new_pair(
    donor: str,
    recipient: str,
    row: str,
    line: int,
    seen: dict[tuple[str, str], int],
    problems: Collector,
) -> bool:
    """Whether the row names a pair, for the first time: a pair given twice has no one share."""
    if not donor or not recipient:
        column = "donor" if not donor else "recipient"
        problems.add(
            f"{row}, column '{column}'",
            "the cell is empty.",
            "fill in the id or delete the row.",
        )
        return False
    key = (donor, recipient)
    if key in seen:
        problems.add(
            row,
            f"the pair {donor} -> {recipient} is listed twice (also row {seen[key]}).",
            "keep one row per pair.",
        )
        return False
    seen[key] = line
    return True


# share, Shares, share_staff, SHARE_Funds: a column meant as a share (shared_with is not)
_SHARE_LIKE = re.compile(r"(?i)shares?(_.*)?$")


def _share_columns(
    frame: Table, name: str, scenario: Scenario | None, problems: Collector
) -> list[str]:
    """The share columns: share, or with several resources share_<resource> each (without a
    scenario, the share_* columns the file has, by name). Any other column named like a
    share (Share_Staff, share beside share_staff, share_staff with one resource) is a
    problem: read as no share at all, the file's amounts would be replaced unseen."""
    if scenario is not None and scenario.multi_resource:
        columns = [f"share_{k}" for k in scenario.resources]
        if "share" in frame.columns and not any(c in frame.columns for c in columns):
            problems.add(
                f"{name}, column 'share'",
                "the scenario has several resources, and 'share' names none of them.",
                f"give one column per resource: {', '.join(columns)} (or leave shares out).",
            )
            return columns
    elif scenario is None and "share" not in frame.columns:
        columns = sorted(str(c) for c in frame.columns if str(c).startswith("share_")) or ["share"]
    else:
        columns = ["share"]
    for column in map(str, frame.columns):
        if _SHARE_LIKE.match(column.strip()) and column not in columns:
            problems.add(
                f"{name}, column '{column}'",
                "this column is named like a share but is not one of the shares read here "
                f"({', '.join(columns)}), so its amounts would be ignored.",
                f"name the share columns {', '.join(columns)}, or remove this column.",
            )
    return columns


def _share(
    text: str, row: str, problems: Collector, pair: str = "", column: str = "share"
) -> tuple[bool, float | None]:
    """Whether the share cell is readable, and its number (None when empty: evaluate then
    computes the best split)."""
    if not text:
        return True, None
    share = parse_number(without_thousands(text))
    if not math.isfinite(share) or share < 0:
        what = "a share (a number >= 0)"
        problems.add(
            f"{row}, column '{column}'",
            (number_problem(text, what) or f"'{text}' is not {what}").rstrip(".")
            + (f" (pair {pair})." if pair else "."),
            "enter the amount of need covered, or leave the cell empty.",
        )
        return False, None
    return True, share


class _Known:
    """Ids the scenario does not know: a pairing can only be scored on the scenario's ids.
    The fix for each distinct unknown id is looked up once. A column of the scenario's
    labels is read by label instead (`resolve`)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        donors = Names("donor", scenario.donors, scenario.donor_labels)
        recipients = Names("recipient", scenario.recipients, scenario.recipient_labels)
        self.fix_donor = Suggester(donors, recipients)
        self.fix_recipient = Suggester(recipients, donors)
        self.by_label: set[str] = set()  # columns read by label: every value is known

    def resolve(
        self,
        column: str,
        values: list[str],
        name: str,
        notes: list[str],
        problems: Collector,
        line: Callable[[int], int] = lambda i: i + 2,
    ) -> list[str]:
        """The column's ids. A column none of whose values is an id, but every non-empty
        value a label (compared exactly, in NFC, stripped) is read by label: each value
        becomes the id whose label it is, and a note says so. A label that belongs to more
        than one id cannot be read: a problem names it and its ids. Any other column (ids,
        or ids and labels mixed) is left as it is, for `check` to name what is unknown."""
        scenario = self.scenario
        donor = column == "donor"
        ids = scenario.donors if donor else scenario.recipients
        index = scenario.donor_index if donor else scenario.recipient_index
        given = [v for v in values if v]
        if not given or any(v in index for v in given):
            return values
        owners = _owners(ids, scenario.donor_labels if donor else scenario.recipient_labels)
        if any(v not in owners for v in given):
            return values
        self.by_label.add(column)
        ambiguous = {v: owners[v] for v in dict.fromkeys(given) if len(owners[v]) > 1}
        for label, their_ids in ambiguous.items():
            rows = [line(i) for i, v in enumerate(values) if v == label]
            problems.add(
                f"{name}, column '{column}'",
                f"the column holds the {column}s' labels, but the label {shown(label)} "
                f"belongs to {len(their_ids)} {column}s: {_listed(their_ids)} "
                f"({_rows(rows)}), so it names none of them.",
                "write the ids instead.",
            )
        if ambiguous:
            return values
        read = [owners[v][0] if v else v for v in values]
        pairs = [f"{label} is {owners[label][0]}" for label in dict.fromkeys(given)]
        shown_pairs = ", ".join(pairs[:_EXAMPLES]) + (", ..." if len(pairs) > _EXAMPLES else "")
        notes.append(
            f"{name}: column '{column}' holds the {column}s' labels ({shown_pairs}); read by label."
        )
        return read

    def check(self, donor: str, recipient: str, row: str, problems: Collector) -> None:
        if "donor" not in self.by_label and donor not in self.scenario.donor_index:
            problems.add(
                f"{row}, column 'donor'",
                f"unknown donor {shown(donor)} (not in the scenario's donor table).",
                self.fix_donor(donor),
            )
        if "recipient" not in self.by_label and recipient not in self.scenario.recipient_index:
            problems.add(
                f"{row}, column 'recipient'",
                f"unknown recipient {shown(recipient)} (not in the scenario's recipient table).",
                self.fix_recipient(recipient),
            )


_EXAMPLES = 3  # labels a note spells out with their ids before "..."


def _owners(ids: Sequence[str], labels: Sequence[str]) -> dict[str, list[str]]:
    """Each label (NFC, stripped) and the ids it belongs to, in table order."""
    out: dict[str, list[str]] = {}
    for id_, label in zip(ids, labels, strict=False):
        out.setdefault(nfc(label.strip()), []).append(id_)
    return out


def _listed(names: list[str]) -> str:
    """'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _rows(lines: list[int]) -> str:
    """'row 3', 'rows 3, 5', 'rows 3, 5, 8, 9, 12 and 4 more'."""
    head = ", ".join(str(n) for n in lines[:5])
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return f"row{'s' if len(lines) > 1 else ''} {head}{more}"


def _uncell(value: str) -> str:
    """Undo report.cell: "'=x" was written for the id "=x", and "''x" for "'x" (cell
    prefixes every value that starts with an apostrophe, so exactly one is stripped)."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r'":
        return value[1:]
    return value
