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
from ..scenario.scenario import Scenario, suggest
from ..scenario.spec import TableSpec
from ..scenario.table import Table
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
    problems = Collector()
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
    shares = [v.strip() for v in frame["share"]] if "share" in frame else [""] * len(frame)
    rows: list[PairingRow] = []
    seen: dict[tuple[str, str], int] = {}
    for i, (donor, recipient, share_text) in enumerate(
        zip(frame["donor"], frame["recipient"], shares, strict=True)
    ):
        line = i + 2
        donor, recipient = _uncell(str(donor).strip()), _uncell(str(recipient).strip())
        if not donor or not recipient:
            column = "donor" if not donor else "recipient"
            problems.add(
                f"{name}, row {line}, column '{column}'",
                "the cell is empty.",
                "fill in the id or delete the row.",
            )
            continue
        key = (donor, recipient)
        if key in seen:
            problems.add(
                f"{name}, row {line}",
                f"the pair {donor} -> {recipient} is listed twice (also row {seen[key]}).",
                "keep one row per pair.",
            )
            continue
        seen[key] = line
        share: float | None = None
        if share_text:
            try:
                share = float(share_text.replace(",", ""))
            except ValueError:
                share = math.nan
            if not math.isfinite(share) or share < 0:
                problems.add(
                    f"{name}, row {line}, column 'share'",
                    f"'{share_text}' is not a share (a number >= 0).",
                    "enter the amount of need covered, or leave the cell empty.",
                )
                continue
        if scenario is not None:
            if donor not in scenario.donor_index:
                problems.add(
                    f"{name}, row {line}, column 'donor'",
                    f"unknown donor '{donor}' (not in the scenario's donor table).",
                    suggest(donor, scenario.donors),
                )
            if recipient not in scenario.recipient_index:
                problems.add(
                    f"{name}, row {line}, column 'recipient'",
                    f"unknown recipient '{recipient}' (not in the scenario's recipient table).",
                    suggest(recipient, scenario.recipients),
                )
        rows.append(PairingRow(donor, recipient, share))
    problems.raise_if_any()
    return rows


def _uncell(value: str) -> str:
    """Undo report.cell: "'=x" was written for the id "=x"."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value
