"""Need scenarios: the futures that one robust pairing must hold up under.

A need table is read against the scenario's recipients here, every bad row, column and id
collected and located; the loader (io) reads the file. The need scenarios of a scenario
(the nominal need, the tables, the perturbed samples) are listed as scenarios of their
own, and `check_uncertainty` says which objectives and rules a robust solve combines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import Collector, InputError, Problem
from .perturb import check_resources, parse_perturbations, perturbed
from .scenario import (
    Locate,
    NeedData,
    Scenario,
    _TableReader,
    _yaml_where,
    listing,
    suggest,
)
from .spec import (
    ROBUST_MODES,
    SHORTFALL_TERMS,
    NeedTable,
    OrderedObjective,
    RecipientTable,
    Shortfall,
    Uncertainty,
    objective_terms,
)
from .table import Table

NOMINAL = "nominal"  # the recipients table's own need, as a need scenario


@dataclass(frozen=True)
class NeedCase:
    """One need scenario: its name in reports and the scenario with that need (and, for a
    sample that perturbs capacity, that capacity)."""

    name: str
    scenario: Scenario


def _recipient_spec(scenario: Scenario) -> RecipientTable:
    """The recipients' columns a need table defaults to (id, need) and its need_scale."""
    if scenario.recipient_spec is not None:
        return scenario.recipient_spec
    return RecipientTable(file="recipients", id="id", need="need")


def need_table_name(spec: NeedTable, scenario: Scenario) -> str:
    """'cities.csv', or 'cities.csv:need_mar10' when the need column is not the recipients
    table's; the table's own `name` when given."""
    if spec.name:
        return spec.name
    name = Path(spec.file).name
    own = _recipient_spec(scenario).need
    if isinstance(spec.need, str) and spec.need != own:
        return f"{name}:{spec.need}"
    return name


def read_need_table(
    scenario: Scenario, table: Table, spec: NeedTable, file_name: str, key: str
) -> NeedData:
    """One need scenario from its table: a row per recipient (ids as in the recipients
    table, each once) with a need >= 0 in each need column. InputError lists every bad
    column, row and id, each with its file, row and column; `key` names the spec entry
    (uncertainty.needs.0) for a missing column."""
    problems = Collector()
    reader = _TableReader(table, file_name, problems, "recipient")
    recipients = _recipient_spec(scenario)
    id_column = spec.id or recipients.id
    ids = reader.ids(id_column) if _has(reader, id_column, "id", key, spec.id is None) else []
    columns = spec.need if spec.need is not None else recipients.need
    named = columns if isinstance(columns, dict) else dict.fromkeys(scenario.resources, columns)
    amounts = np.full((len(table), len(scenario.resources)), np.nan)
    for k, resource in enumerate(scenario.resources):
        column = named[resource]
        if _has(reader, column, "need", key, spec.need is None):
            amounts[:, k] = reader.numbers(column, what="a need")
    known = scenario.recipient_index
    rows: dict[int, int] = {}
    for i, name in enumerate(ids):
        if not name:
            continue  # an empty or repeated id is reported by reader.ids
        if name not in known:
            problems.add(
                reader.where(i, id_column),
                f"'{name}' is not a recipient of the scenario.",
                suggest(name, scenario.recipients),
            )
        elif reader.row_ids[i]:
            rows[known[name]] = i
    if ids and len(table):
        present = set(ids)  # a repeated id is reported as such, not as missing
        missing = [r for r in scenario.recipients if r not in present]
        if missing:
            problems.add(
                f"{file_name}, column '{id_column}'",
                f"no row for recipient(s) {listing(missing)}.",
                "add a row with the need of every recipient of the scenario (a need "
                "scenario gives every recipient's need).",
            )
    elif not len(table):
        problems.add(file_name, "the need table has no rows.", "add a row for every recipient.")
    problems.raise_if_any()
    needs = np.zeros((len(scenario.recipients), len(scenario.resources)))
    for j, i in rows.items():
        needs[j] = amounts[i]
    return NeedData(need_table_name(spec, scenario), needs * recipients.need_scale)


def _has(reader: _TableReader, column: str, what: str, key: str, default: bool) -> bool:
    """Whether the need table has the column (reported once if not). A column named after
    the recipients table's (`default`) gets a message saying so and how to name another."""
    if not default:
        return reader.has(column, f"{key}.{what}")
    table = reader.frame
    if column in table.columns:
        return True
    columns = ", ".join(repr(str(c)) for c in table.columns) or "none"
    fix = (
        f"add a column '{column}' with each recipient's {what} (as in the recipients table)"
        if key == "need scenario"
        else f"add a column '{column}', or name the need table's own: {key}: "
        f"{{file: ..., {what}: COLUMN}}"
    )
    reader.problems.add(
        f"{reader.name}, column '{column}'",
        f"no such column; a need table's {what} column is named as in the recipients table "
        f"(recipients.{what}: {column}) unless it names its own; the columns are {columns}.",
        fix + ".",
    )
    return False


def with_need_tables(scenario: Scenario, tables: Sequence[NeedData]) -> Scenario:
    """The scenario with more need tables (and need scenarios on, robust full by default
    when it had none)."""
    uncertainty = scenario.uncertainty or Uncertainty()
    return replace(scenario, uncertainty=uncertainty, need_tables=(*scenario.need_tables, *tables))


def with_robust(scenario: Scenario, robust: str) -> Scenario:
    """The scenario with this robust mode (need scenarios on if they were off)."""
    if robust not in ROBUST_MODES:
        raise InputError(
            [
                Problem(
                    "robust (argument)",
                    f"'{robust}' is not a robust mode.",
                    f"use one of {', '.join(ROBUST_MODES)}.",
                )
            ]
        )
    uncertainty = scenario.uncertainty or Uncertainty()
    return replace(scenario, uncertainty=uncertainty.model_copy(update={"robust": robust}))


def _with_needs(scenario: Scenario, needs: np.ndarray) -> Scenario:
    multi = scenario.multi_resource
    return replace(scenario, need=needs[:, 0].copy(), needs=needs.copy() if multi else None)


def need_scenarios(scenario: Scenario) -> list[NeedCase]:
    """Every need scenario, in order: the nominal need (unless `nominal: false`), the need
    tables, then samples 1..N, sample k drawn by perturb.perturbed(seed, k) from the
    nominal scenario. Each is a scenario of its own, without the uncertainty section; names
    are made unique."""
    uncertainty = scenario.uncertainty
    base = replace(scenario, uncertainty=None, need_tables=())
    if uncertainty is None:
        return [NeedCase(NOMINAL, base)]
    cases = [NeedCase(NOMINAL, base)] if uncertainty.nominal else []
    cases += [NeedCase(t.name, _with_needs(base, t.needs)) for t in scenario.need_tables]
    if uncertainty.samples:
        found = parse_perturbations(uncertainty.perturb, "uncertainty.perturb")
        cases += [
            NeedCase(f"sample {k}", perturbed(base, found, uncertainty.seed, k))
            for k in range(1, uncertainty.samples + 1)
        ]
    seen: dict[str, int] = {}
    unique = []
    for case in cases:
        seen[case.name] = seen.get(case.name, 0) + 1
        count = seen[case.name]
        unique.append(case if count == 1 else replace(case, name=f"{case.name} ({count})"))
    return unique


def check_uncertainty(scenario: Scenario, locate: Locate = _yaml_where) -> None:
    """What a robust solve or evaluation can combine, checked before any work: the
    perturbations must read, an order (lexicographic objective) is not supported, `full`
    allows no shortfall, and `worst` and `mean` need the shortfall price of rules.coverage.
    InputError lists every problem."""
    uncertainty = scenario.uncertainty
    if uncertainty is None:
        return
    problems = Collector()
    try:
        check_resources(parse_perturbations(uncertainty.perturb, "uncertainty.perturb"), scenario)
    except InputError as exc:
        problems.problems.extend(exc.problems)
    objective = scenario.objective
    mode = uncertainty.robust
    if isinstance(objective, OrderedObjective):
        problems.add(
            locate(("objective",)),
            "an order (lexicographic objective) cannot be combined with need scenarios "
            "(uncertainty): each level would need a robust solve of its own.",
            "use one term or a weighted sum (e.g. weighted_distance=1,changes=50), or remove "
            "the uncertainty section.",
        )
    priced = isinstance(scenario.rules.coverage, Shortfall)
    short_terms = [t for t in objective_terms(objective) if t in SHORTFALL_TERMS]
    if mode == "full" and priced:
        where = locate(("uncertainty", "robust"))  # the override that made them clash
        if not where.startswith("override"):
            where = locate(("rules", "coverage"))
        problems.add(
            where,
            "uncertainty.robust is full: every need scenario is covered in full, so the "
            "shortfall price of rules.coverage would never apply.",
            "remove rules.coverage, or set uncertainty.robust to worst or mean (need may "
            "then go uncovered at that price).",
        )
    if mode == "full" and short_terms:
        problems.add(
            locate(("objective",)),
            f"uncertainty.robust is full: every need scenario is covered in full, and the "
            f"objective's {short_terms[0]} term lets need go uncovered.",
            "choose an objective without shortfall or max_shortfall, or set "
            "uncertainty.robust to worst or mean with rules.coverage: {shortfall_penalty: P}.",
        )
    if mode in ("worst", "mean") and not priced:
        problems.add(
            locate(("uncertainty", "robust")),
            f"uncertainty.robust is {mode}: need may go uncovered in some need scenarios, "
            "and rules.coverage gives it no price.",
            "add rules.coverage: {shortfall_penalty: P} (the price per unit of need left "
            "uncovered), or set uncertainty.robust to full.",
        )
    problems.raise_if_any()
