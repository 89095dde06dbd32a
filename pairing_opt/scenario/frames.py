"""Scenarios from tables already in memory: pandas DataFrames or mappings of columns.

A notebook user has the data in hand and no files to name, so messages locate problems
by table and argument ("donors table, row 3, column 'capacity': ... (donor B).") instead
of by file and line. The checks are the file loader's own: `build` and `validate_spec`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import Collector, InputError, Problem
from .scenario import Scenario, build
from .spec import Objective, Rules, SolverSpec
from .table import Table
from .validation import Path_, validate_spec

# The spec keys of each table and, by default, the column each is read from. The rule
# columns (max_recipients, ...) are read only when named in donor_columns/recipient_columns.
DONOR_KEYS = ("id", "capacity", "lat", "lon", "label")
RECIPIENT_KEYS = ("id", "need", "lat", "lon", "label")
DONOR_RULE_KEYS = ("max_recipients", "min_recipients", "max_distance_km", "min_load", "reserve")
RECIPIENT_RULE_KEYS = ("min_donors", "max_donors")
REQUIRED = frozenset({"id", "capacity", "need"})


def cells(values: Any) -> list[str]:
    """Values as the text cells a file would hold: a missing value (None, NaN, pandas NA)
    is an empty cell, so it is reported as empty rather than as the word 'nan'."""
    out = []
    for value in values:
        missing = value is None or type(value).__name__ in ("NAType", "NaTType")
        if not missing and isinstance(value, float) and math.isnan(value):
            missing = True
        out.append("" if missing else str(value))
    return out


def as_cell_table(frame: Any, argument: str) -> Table:
    """A DataFrame, a mapping of column name to values, or a Table, as a Table of text."""
    if isinstance(frame, Table):
        return frame
    if not (hasattr(frame, "columns") or isinstance(frame, Mapping)):
        raise InputError(
            [
                Problem(
                    f"argument '{argument}'",
                    f"expected a table, got {type(frame).__name__}.",
                    "pass a pandas DataFrame or a mapping of column name to values.",
                )
            ]
        )
    columns = list(frame.columns) if hasattr(frame, "columns") else list(frame)
    if not hasattr(frame, "columns"):
        _check_columns(frame, argument)
    try:
        return Table({str(c): cells(frame[c]) for c in columns})
    except ValueError as exc:  # columns of different lengths
        raise InputError(
            [
                Problem(
                    f"argument '{argument}'",
                    f"not a table: {exc}.",
                    "give every column the same length.",
                )
            ]
        ) from exc


def _check_arguments(donor_columns: object, recipient_columns: object, resources: object) -> None:
    """Arguments of the wrong kind, named before they are taken apart letter by letter
    (resources="staff" read as the resources s, t, a, f, f)."""
    problems = Collector()
    for argument, value in (
        ("donor_columns", donor_columns),
        ("recipient_columns", recipient_columns),
    ):
        if value is not None and not isinstance(value, Mapping):
            problems.add(
                f"{argument} (argument)",
                f"is a {type(value).__name__}, not a mapping of spec key to column name.",
                f'e.g. {argument}={{"capacity": "staff"}}.',
            )
    if resources is not None and (
        isinstance(resources, str | bytes | Mapping) or not isinstance(resources, Iterable)
    ):
        problems.add(
            "resources (argument)",
            f"is a {type(resources).__name__}, not a list of resources.",
            'e.g. resources=["staff"] or resources=["staff", "funds"].',
        )
    problems.raise_if_any()


def _check_columns(frame: Mapping[Any, Any], argument: str) -> None:
    """A mapping as a table holds a column of values under each name: a single value (a
    mapping of one row, or a result's to_dict()) is no table."""
    single = [
        str(name)
        for name, values in frame.items()
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable)
    ]
    if not single:
        return
    fix = "give every column a list of values, e.g. {'donor': ['A'], 'recipient': ['X']}."
    if "pairs" in frame and "status" in frame:
        fix = "this is a result's to_dict(): pass the Result itself, or its 'pairs' list."
    raise InputError(
        [
            Problem(
                f"argument '{argument}'",
                f"not a table: {', '.join(repr(n) for n in single[:5])} "
                f"{'holds' if len(single) == 1 else 'hold'} a single value, not a column "
                "of values.",
                fix,
            )
        ]
    )


def _table_spec(
    table: Table,
    role: str,
    keys: tuple[str, ...],
    columns: Mapping[str, Any] | None,
    rule_keys: tuple[str, ...] = (),
    resources: list[str] | None = None,
) -> dict[str, Any]:
    """The table's spec entry: the columns named in `columns`, else a column named like the
    key where the table has one (id and capacity or need are always named; with resources,
    capacity or need is read from a column named like each resource)."""
    given = dict(columns or {})
    spec: dict[str, Any] = {"file": f"<{role}>"}  # never read: the table is already here
    for key in keys:
        if key in given:
            spec[key] = given.pop(key)
        elif key in ("capacity", "need") and resources:
            spec[key] = {name: name for name in resources}
        elif key in REQUIRED or key in table.columns:
            spec[key] = key
    for key in rule_keys:
        if key in given:
            spec[key] = given.pop(key)
    keys = keys + rule_keys
    if given:
        raise InputError(
            [
                Problem(
                    f"argument '{role[:-1]}_columns'",
                    f"unknown key(s) {', '.join(sorted(given))}.",
                    f"use some of: {', '.join(keys)}.",
                )
            ]
        )
    return spec


def _locate(path: Path_) -> str:
    return "scenario setting " + ".".join(str(p) for p in path)


def scenario_from_frames(
    donors: Any,
    recipients: Any,
    pairs: Any = None,
    *,
    rules: Rules | Mapping[str, Any] | None = None,
    objective: Objective | Mapping[str, str] | str = "weighted_distance",
    solver: SolverSpec | Mapping[str, Any] | None = None,
    name: str = "scenario",
    donor_columns: Mapping[str, Any] | None = None,
    recipient_columns: Mapping[str, Any] | None = None,
    resources: Sequence[Any] | None = None,
) -> Scenario:
    """A validated Scenario from in-memory tables (see `Scenario.from_frames`)."""
    _check_arguments(donor_columns, recipient_columns, resources)
    resources = None if resources is None else list(resources)
    tables = {"donors": as_cell_table(donors, "donors")}
    tables["recipients"] = as_cell_table(recipients, "recipients")
    if pairs is not None:
        tables["pairs"] = as_cell_table(pairs, "pairs")
    names = None
    if resources is not None:
        names = [r if isinstance(r, str) else str(dict(r).get("name", "")) for r in resources]
    data: dict[str, Any] = {
        "name": name,
        "donors": _table_spec(
            tables["donors"], "donors", DONOR_KEYS, donor_columns, DONOR_RULE_KEYS, names
        ),
        "recipients": _table_spec(
            tables["recipients"],
            "recipients",
            RECIPIENT_KEYS,
            recipient_columns,
            RECIPIENT_RULE_KEYS,
            names,
        ),
        "rules": rules if rules is not None else {},
        "objective": objective,
        "solver": solver if solver is not None else {},
    }
    if resources is not None:
        data["resources"] = list(resources)
    if pairs is not None:
        data["pairs"] = {"file": "<pairs>"}
    spec = validate_spec(data, _locate)
    return build(
        spec,
        tables["donors"],
        tables["recipients"],
        tables.get("pairs"),
        names={role: f"{role} table" for role in tables},
        locate=_locate,
    )
