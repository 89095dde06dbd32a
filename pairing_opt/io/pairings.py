"""Reading pairing CSVs (the format `solve --format csv` writes) for evaluate and compare.

A pairing file may break every rule of a scenario (that is what `evaluate` is for); it
must only be readable: the columns donor and recipient, shares that are numbers >= 0 or
empty, no pair twice, and, when a scenario is given, ids the scenario knows.
"""

from __future__ import annotations

import math
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


def read_pairing(path: str | Path, scenario: Scenario | None = None) -> list[PairingRow]:
    """Rows of a pairing CSV/XLSX, validated (and checked against the scenario's ids)."""
    path = Path(path)
    frame, name = read_table(TableSpec(file=str(path)), Path("."), role="pairing")
    return parse_pairing(frame, name, scenario)


def parse_pairing(frame: Table, name: str, scenario: Scenario | None) -> list[PairingRow]:
    """The rows of a pairing table, checked; every problem in it is reported at once."""
    _require_id_columns(frame, name)
    problems = Collector()
    shares = [v.strip() for v in frame["share"]] if "share" in frame else [""] * len(frame)
    rows: list[PairingRow] = []
    seen: dict[tuple[str, str], int] = {}
    known = _Known(scenario) if scenario is not None else None
    for i, (donor, recipient, share_text) in enumerate(
        zip(frame["donor"], frame["recipient"], shares, strict=True)
    ):
        line = i + 2
        row = f"{name}, row {line}"
        # Ids in Unicode NFC, as the scenario's are: the same name typed as NFD is found.
        donor = nfc(_uncell(str(donor).strip()))
        recipient = nfc(_uncell(str(recipient).strip()))
        if not _new_pair(donor, recipient, row, line, seen, problems):
            continue
        readable, share = _share(share_text, row, problems, f"{donor} -> {recipient}")
        if not readable:
            continue
        if known is not None:
            known.check(donor, recipient, row, problems)
        rows.append(PairingRow(donor, recipient, share))
    problems.raise_if_any()
    return rows


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


def _share(text: str, row: str, problems: Collector, pair: str = "") -> tuple[bool, float | None]:
    """Whether the share cell is readable, and its number (None when empty: evaluate then
    computes the best split)."""
    if not text:
        return True, None
    share = parse_number(without_thousands(text))
    if not math.isfinite(share) or share < 0:
        what = "a share (a number >= 0)"
        problems.add(
            f"{row}, column 'share'",
            (number_problem(text, what) or f"'{text}' is not {what}").rstrip(".")
            + (f" (pair {pair})." if pair else "."),
            "enter the amount of need covered, or leave the cell empty.",
        )
        return False, None
    return True, share


class _Known:
    """Ids the scenario does not know: a pairing can only be scored on the scenario's ids.
    The fix for each distinct unknown id is looked up once."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        donors = Names("donor", scenario.donors, scenario.donor_labels)
        recipients = Names("recipient", scenario.recipients, scenario.recipient_labels)
        self.fix_donor = Suggester(donors, recipients)
        self.fix_recipient = Suggester(recipients, donors)

    def check(self, donor: str, recipient: str, row: str, problems: Collector) -> None:
        if donor not in self.scenario.donor_index:
            problems.add(
                f"{row}, column 'donor'",
                f"unknown donor {shown(donor)} (not in the scenario's donor table).",
                self.fix_donor(donor),
            )
        if recipient not in self.scenario.recipient_index:
            problems.add(
                f"{row}, column 'recipient'",
                f"unknown recipient {shown(recipient)} (not in the scenario's recipient table).",
                self.fix_recipient(recipient),
            )


def _uncell(value: str) -> str:
    """Undo report.cell: "'=x" was written for the id "=x", and "''x" for "'x" (cell
    prefixes every value that starts with an apostrophe, so exactly one is stripped)."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r'":
        return value[1:]
    return value
