"""The Python API: load or build a scenario, solve it, evaluate and compare pairings.

The command line is a thin layer over these functions, so a notebook gets the same
answers, the same checks and the same JSON. Bad input raises `InputError` carrying every
located problem; an infeasible scenario is not an exception but a `Result` whose status is
"infeasible" with the reasons named.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .checks.compare import Comparison as Differences
from .checks.compare import compare as differences
from .checks.diagnose import conflicts, summary
from .checks.magnitudes import check_finite, check_magnitudes
from .checks.robust import NeedOutcome, Robust, outcome
from .checks.verify import Assignment, Coverage, DonorLoad, Violation
from .checks.verify import Evaluation as RuleCheck
from .checks.verify import evaluate as check_rules
from .engine import backends
from .engine.backends import SOLVERS, Progress, Status, recording_stages, reporting
from .engine.pareto import FrontPoint, pareto_front
from .engine.pipeline import SolveResult, solve_alternatives
from .engine.pipeline import with_options as _with_options
from .engine.shares import Completion, complete_pairing
from .errors import InfeasibleError, InputError, Problem
from .io.loader import check_robust_size, read_need_tables
from .io.loader import load as _load
from .io.pairings import PairingRow, PairingRows, parse_pairing, read_pairing
from .report.common import STATUS_TEXT, pair_keys, pairs_dict
from .report.comparison import comparison_to_dict, comparison_to_text
from .report.evaluation import evaluation_dict
from .report.pareto import front_dict, pairing_hash
from .report.solution import summary_lines, to_dict
from .scenario.frames import as_cell_table
from .scenario.scenario import Scenario, check_incumbent
from .scenario.spec import NeedTable, Objective, canonical_term, objective_name
from .scenario.table import Table
from .scenario.uncertainty import (
    NOMINAL,
    check_uncertainty,
    need_scenarios,
    read_need_table,
    with_need_tables,
    with_robust,
)
from .scenario.validation import parse_objective

if TYPE_CHECKING:
    import pandas as pd

PairingSource = Any
"""A pairing given as a CSV/XLSX path, a `Result`, a DataFrame or mapping of columns
(donor, recipient, optional share), or a sequence of `Assignment` or (donor, recipient[,
share]) tuples."""

NeedSource = Any
"""A need scenario given as a CSV/XLSX path (relative to the current folder) or a DataFrame
or mapping of columns: the recipients' id column and need column(s), named as in the
recipients table."""


def load(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Read and check a scenario file and its tables; `overrides` are what-ifs written
    KEY=VALUE with VALUE in YAML, e.g. "rules.max_distance_km=1000" (one such text may
    be given alone)."""
    if not isinstance(path, str | os.PathLike):
        raise InputError(
            [
                Problem(
                    "path (argument)",
                    f"is a {type(path).__name__}, not a path.",
                    'give the scenario file\'s path, e.g. "scenarios/example/scenario.yaml".',
                )
            ]
        )
    texts: list[Any] | None = None
    if isinstance(overrides, str):
        texts = [overrides]
    elif isinstance(overrides, Iterable):
        texts = list(overrides)
    if texts is None or not all(isinstance(t, str) for t in texts):
        raise InputError(
            [
                Problem(
                    "overrides (argument)",
                    f"{overrides!r} is not a list of KEY=VALUE texts.",
                    'e.g. overrides=["rules.max_distance_km=1000"].',
                )
            ]
        )
    return _load(Path(path), texts)


def _dotted(path: tuple[str | int, ...]) -> str:
    """A scenario key as the library's messages name it: rules.max_changes."""
    return ".".join(map(str, path))


def _a_scenario(scenario: object, argument: str = "scenario") -> None:
    """A file's path where a loaded scenario is expected is an error the user can act on,
    not an AttributeError deep inside (a notebook's first call is often po.solve(path))."""
    if not isinstance(scenario, Scenario):
        fix = (
            "load the file first: scenario = po.load(path)"
            if isinstance(scenario, (str, os.PathLike))
            else "pass the Scenario that po.load or Scenario.from_frames returns"
        )
        raise InputError(
            [
                Problem(
                    f"{argument} (argument)",
                    f"is a {type(scenario).__name__}, not a Scenario.",
                    fix + ".",
                )
            ]
        )


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd  # only a notebook asks for frames; the CLI never pays the import

    return pd.DataFrame.from_records(records, columns=list(columns))


@dataclass(frozen=True, repr=False)
class Result:
    """What `solve` found and what it proved.

    `status` is "optimal" (proven by the solver within the scenario's mip_gap),
    "time_limit" (a verified pairing, NOT proven optimal), "no_solution" (stopped before
    any pairing) or "infeasible" (no pairing satisfies the rules; `reasons` says why).
    Every pairing in a result has passed the independent verifier.
    """

    scenario: Scenario
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    pairs: tuple[Assignment, ...]
    reasons: tuple[str, ...] = ()
    fix: str = ""
    solutions: tuple[SolveResult, ...] = field(default=())
    """The verified solves behind this result, best first (more than one with
    `alternatives`): what the reports render."""
    stages: tuple[tuple[str, float], ...] = ()
    """Where the solve spent its time: (stage, seconds) in order, e.g. ("lp", 0.01),
    ("exclusion", 0.4), ("tie-check", 0.2); a stage within another is "outer/inner"."""

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL.value

    @property
    def objective_name(self) -> str:
        return objective_name(self.scenario.objective)

    @property
    def need_scenarios(self) -> list[NeedOutcome]:
        """With need scenarios (uncertainty): the pairing under each, with its own shares,
        objective, shortfall and verdict (`robust.value` is the objective); else []."""
        robust = self.solutions[0].robust if self.solutions else None
        return list(robust.outcomes) if robust is not None else []

    @property
    def alternatives(self) -> list[Result]:
        """One result per distinct pairing found, best first (`solve(alternatives=K)`)."""
        return [_from_solution(s) for s in self.solutions]

    def to_frame(self) -> pd.DataFrame:
        """The pairing as a DataFrame, one row per pair, in canonical order: the columns of
        the JSON pairs (with several resources share_<resource> and fraction_<resource>
        for each resource in place of share and fraction_of_need). With need scenarios,
        the shares are the first need scenario's, as in the reports."""
        # the scenario whose need the shares cover (the first need scenario's, if any)
        shown = self.solutions[0].scenario if self.solutions else self.scenario
        return _frame(pairs_dict(shown, list(self.pairs)), pair_keys(shown))

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        """The JSON that `pairopt solve --format json` prints (numbered when several
        alternatives were found); infeasible and no_solution results give their status."""
        if not self.solutions or self.status == Status.LIMIT_NO_SOLUTION.value:
            return {
                "scenario": self.scenario.name,
                "status": self.status,
                "proven_optimal": False,
                "reasons": list(self.reasons),
                "fix": self.fix,
            }
        if len(self.solutions) == 1:
            return to_dict(self.solutions[0], timings=timings)
        return {
            "scenario": self.scenario.name,
            "alternatives": [
                {"rank": rank, **to_dict(s, timings=timings)}
                for rank, s in enumerate(self.solutions, start=1)
            ],
        }

    def lines(self) -> list[str]:
        """The summary people read: status, objective with bound and gap, solver, size."""
        if self.solutions and self.status != Status.LIMIT_NO_SOLUTION.value:
            return summary_lines(self.solutions[0])
        head = STATUS_TEXT.get(Status(self.status), self.status)
        lines = [f"Status:    {head}", *(f"  - {r}" for r in self.reasons)]
        return lines + ([self.fix] if self.fix else [])

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        value = "none" if self.objective is None else f"{self.objective:.10g}"
        return (
            f"<Result {self.status}: {self.objective_name} = {value}, "
            f"{len(self.pairs)} pairs, scenario {self.scenario.name!r}>"
        )


def _from_solution(solution: SolveResult, more: Sequence[SolveResult] = ()) -> Result:
    no_pairing = solution.status == Status.LIMIT_NO_SOLUTION
    return Result(
        scenario=solution.scenario,
        status=solution.status.value,
        objective=None if no_pairing else solution.objective_value,
        bound=solution.bound,
        gap=solution.gap,
        pairs=tuple(solution.pairing),
        fix="Fix: raise time_limit, or relax the rules." if no_pairing else "",
        solutions=(solution, *more),
    )


def configure(
    scenario: Scenario,
    *,
    objective: Objective | str | Mapping[str, Any] | list[Any] | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    incumbent: PairingSource | None = None,
    need_scenarios: Sequence[NeedSource] | None = None,
    robust: str | None = None,
) -> Scenario:
    """The scenario with these options in place of its own, checked as the file's are
    (an objective may be written 'minimize:COLUMN', 'a=1,b=50' or 'a,b'); None keeps the
    scenario's own. `incumbent` is the pairing in place (any pairing source) that the
    changes term and rules.max_changes count against. `need_scenarios` adds need tables
    (paths or DataFrames) to the scenario's uncertainty section and `robust` sets its mode
    (full, worst or mean); either turns need scenarios on."""
    _a_scenario(scenario)
    chosen = None if objective is None else parse_objective(objective)
    if need_scenarios:
        scenario = _with_need_sources(scenario, need_scenarios)
    if robust is not None:
        scenario = with_robust(scenario, robust)
    if incumbent is not None:
        rows, _ = pairing_rows(incumbent, scenario)
        files = (str(incumbent),) if isinstance(incumbent, str | os.PathLike) else ()
        scenario = replace(
            scenario,
            incumbent=tuple((r.donor, r.recipient) for r in rows),
            inputs=(*scenario.inputs, *files),
        )
    configured = _with_options(
        scenario, objective=chosen, solver=solver, time_limit=time_limit, mip_gap=mip_gap
    )
    check_uncertainty(configured, lambda path: ".".join(map(str, path)))
    return configured


def _with_need_sources(scenario: Scenario, sources: Sequence[NeedSource]) -> Scenario:
    """The scenario with these need tables, in order: paths are read from disk, tables in
    memory are checked the same way (every bad row, column and id reported)."""
    if isinstance(sources, str | os.PathLike) or not isinstance(sources, Sequence):
        sources = [sources]
    problems: list[Problem] = []
    for i, source in enumerate(sources, start=1):
        try:
            if isinstance(source, str | os.PathLike):
                scenario = read_need_tables(scenario, [source])
                continue
            name = f"need table {i}"
            table = as_cell_table(source, "need_scenarios")
            found = read_need_table(scenario, table, NeedTable(file=name), name, "need scenario")
            scenario = with_need_tables(scenario, [found])
        except InputError as exc:  # every table's problems at once
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return scenario


def solve(
    scenario: Scenario,
    *,
    objective: Objective | str | Mapping[str, Any] | list[Any] | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    alternatives: int = 1,
    progress: Progress | None = None,
    incumbent: PairingSource | None = None,
    need_scenarios: Sequence[NeedSource] | None = None,
    robust: str | None = None,
) -> Result:
    """The optimal pairing with its proof, verified against every rule.

    `objective`, `solver`, `time_limit`, `mip_gap` and `incumbent` replace the scenario's
    own for this solve. `alternatives=K` asks for the K best distinct pairings (each a
    proven optimum with the earlier ones cut off); `progress(seconds, best, bound)` is
    called during long HiGHS solves. `need_scenarios` (need tables) and `robust` (full,
    worst or mean) ask for one pairing robust across need scenarios (see `configure`);
    `Result.need_scenarios` then gives the pairing under each.
    """
    if isinstance(alternatives, bool) or not isinstance(alternatives, int) or alternatives < 1:
        raise InputError(
            [Problem("alternatives (argument)", f"{alternatives!r} is not a whole number >= 1.")]
        )
    if progress is not None and not callable(progress):
        raise InputError(
            [
                Problem(
                    "progress (argument)",
                    f"is a {type(progress).__name__}, not a function.",
                    "pass a function progress(seconds, best, bound), or leave it out.",
                )
            ]
        )
    configured = configure(
        scenario,
        objective=objective,
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        incumbent=incumbent,
        need_scenarios=need_scenarios,
        robust=robust,
    )
    check_robust_size(configured, _dotted)
    with recording_stages() as stages:
        try:
            with reporting(progress):
                solutions = solve_alternatives(configured, alternatives)
        except InfeasibleError as exc:
            return Result(
                scenario=configured,
                status=Status.INFEASIBLE.value,
                objective=None,
                bound=None,
                gap=None,
                pairs=(),
                reasons=tuple(exc.reasons),
                fix=exc.hint,
                stages=tuple(stages),
            )
    found = _from_solution(solutions[0], solutions[1:])
    return replace(found, scenario=configured, stages=tuple(stages))


# --------------------------------------------------------------------------- pairings


def _tuples_table(items: Iterable[Any], scenario: Scenario | None = None) -> Table:
    """Pairs as a pairing table: (donor, recipient[, share]) or, with several resources,
    (donor, recipient[, share per resource]); Assignments carry their own shares."""
    resources = scenario.resource_names if scenario is not None else ()
    columns = [f"share_{k}" for k in resources] or ["share"]
    donors, recipients = [], []
    shares: list[list[str]] = [[] for _ in columns]
    for item in items:
        if isinstance(item, Assignment):
            item = (item.donor, item.recipient, *item.amounts)
        if not isinstance(item, tuple | list) or len(item) not in (2, 2 + len(columns)):
            form = (
                "share" if len(columns) == 1 else f"one share per resource: {', '.join(resources)}"
            )
            raise InputError(
                [
                    Problem(
                        "pairing (argument)",
                        f"{item!r} is not a pair.",
                        f"give Assignment objects or (donor, recipient[, {form}]) tuples.",
                    )
                ]
            )
        donors.append(str(item[0]))
        recipients.append(str(item[1]))
        for k, column in enumerate(shares):
            value = item[2 + k] if len(item) > 2 else None
            column.append(_share_cell(value, item))
    return Table(
        {"donor": donors, "recipient": recipients, **dict(zip(columns, shares, strict=True))}
    )


def _share_cell(value: Any, item: Any) -> str:
    """A share given in a tuple as the cell a pairing file would hold: text is read as a
    file's cell is (so '1,200' and 'x' get the file's messages), a number exactly."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    raise InputError(
        [
            Problem(
                "pairing (argument)",
                f"the share {value!r} in {item!r} is not a number.",
                "give each share as a number (or None to have it computed).",
            )
        ]
    )


def pairing_rows(
    source: PairingSource, scenario: Scenario | None = None
) -> tuple[PairingRows, str]:
    """A pairing from any of the forms `PairingSource` lists, checked as a pairing file is
    (and against the scenario's ids when one is given), with a name for reports. The rows
    are a list whose `notes` say what reading did (a column read by the scenario's labels)."""
    if isinstance(source, str | os.PathLike):
        return read_pairing(Path(source), scenario), str(source)
    if isinstance(source, Result):
        table = _tuples_table(source.pairs, scenario)
        return parse_pairing(table, "pairing", scenario), "solve result"
    if hasattr(source, "columns") or isinstance(source, Mapping):
        table = as_cell_table(source, "pairing")
        return parse_pairing(table, "pairing table", scenario), "pairing table"
    if not isinstance(source, Iterable) or isinstance(source, bytes):
        raise InputError(
            [
                Problem(
                    "pairing (argument)",
                    f"is a {type(source).__name__}, not a pairing.",
                    "give a pairing CSV's path, a Result, a table with donor and recipient "
                    "columns, or a list of (donor, recipient[, share]) tuples.",
                )
            ]
        )
    return parse_pairing(_tuples_table(source, scenario), "pairing", scenario), "pairing"


@dataclass(frozen=True, repr=False)
class Evaluation:
    """How a given pairing fares under a scenario: every rule it breaks (who, which rule,
    by how much), every objective's value, donor loads and recipient coverage, and, when an
    optimum is given, the difference from it."""

    scenario: Scenario
    source: str
    completion: Completion
    check: RuleCheck
    optimum: Result | None = None
    notes: tuple[str, ...] = ()
    """What reading the pairing did that its user should know, e.g. a column of the
    scenario's labels read by label."""
    robust: Robust | None = None
    """With need scenarios (uncertainty): the pairing's pairs under each need scenario,
    with that scenario's shares (computed, except the nominal one's), its objective,
    shortfall and broken rules, and the robust objective over them (`robust.value`)."""

    @property
    def ok(self) -> bool:
        """True when the pairing satisfies every rule (in every need scenario)."""
        return self.check.ok and (self.robust is None or self.robust.ok)

    @property
    def violations(self) -> list[Violation]:
        """Every rule broken: the scenario's, then each other need scenario's, its message
        naming the need scenario."""
        found = list(self.check.violations)
        for o in self._other_need_scenarios():
            found += [
                replace(v, message=f"need scenario '{o.name}': {v.message}")
                for v in o.evaluation.violations
            ]
        return found

    def _other_need_scenarios(self) -> list[NeedOutcome]:
        """The need scenarios besides the nominal one (which `check` is)."""
        if self.robust is None:
            return []
        return [o for o in self.robust.outcomes if o.pairing is not self.completion.pairing]

    @property
    def donors(self) -> list[DonorLoad]:
        return self.check.donors

    @property
    def recipients(self) -> list[Coverage]:
        return self.check.recipients

    @property
    def values(self) -> dict[str, float]:
        """Every objective's value for this pairing, by name."""
        return self.check.values

    @property
    def objective(self) -> float:
        """The scenario's own objective as solve scores it: its value plus the price of
        need left uncovered under rules.coverage (see `parts`)."""
        return self.check.score(self.scenario.objective)

    @property
    def parts(self) -> dict[str, float]:
        """The objective split into its parts: the objective's own value and the shortfall."""
        return self.check.parts(self.scenario.objective)

    @property
    def shortfall(self) -> dict[str, float]:
        """Need left uncovered, per resource ('' for the one unnamed resource)."""
        return dict(self.check.shortfall)

    @property
    def pairs(self) -> tuple[Assignment, ...]:
        return tuple(self.completion.pairing)

    @property
    def shares_computed(self) -> bool:
        """True when pairopt filled in shares the pairing left empty."""
        return self.completion.computed

    def value(self, objective: Objective) -> float:
        return self.check.value(objective)

    def against(self, optimum: Result | None) -> Evaluation:
        """The same evaluation, reported against this optimum (see `solve`)."""
        _check_optimum(self.scenario, optimum)
        return replace(self, optimum=optimum)

    def _optimum(self) -> SolveResult | None:
        return self.optimum.solutions[0] if self.optimum and self.optimum.solutions else None

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        """The JSON that `pairopt evaluate --format json` prints."""
        return evaluation_dict(
            self.scenario,
            self.completion,
            self.check,
            self.source,
            self._optimum(),
            timings=timings,
            robust=self.robust,
        )

    def to_frame(self) -> pd.DataFrame:
        """The pairing (with computed shares) as a DataFrame, with Result.to_frame's columns."""
        return _frame(pairs_dict(self.scenario, list(self.pairs)), pair_keys(self.scenario))

    def __str__(self) -> str:
        verdict = "satisfies every rule" if self.ok else f"breaks {len(self.violations)} rule(s)"
        lines = [
            f"{self.source} {verdict}; {objective_name(self.scenario.objective)} = "
            f"{self.objective:.6g}"
        ]
        if self.robust is not None:
            how = "worst" if self.robust.mode == "worst" else "mean"
            lines.append(
                f"{how} over {len(self.robust.outcomes)} need scenarios = "
                f"{self.robust.value:.6g} (worst: {self.robust.worst.name})"
            )
        lines += [f"  - [{v.rule}] {v.message}" for v in self.violations]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Evaluation of {self.source}: {'ok' if self.ok else 'broken rules'} "
            f"({len(self.violations)}), {len(self.pairs)} pairs>"
        )


def evaluate(
    scenario: Scenario,
    pairing: PairingSource,
    *,
    optimum: Result | None = None,
    need_scenarios: Sequence[NeedSource] | None = None,
    robust: str | None = None,
) -> Evaluation:
    """Score a pairing that may break rules (that is the point): shares it leaves empty
    get the split that breaks capacity and coverage least, then (under a shortfall or
    max_shortfall term) leaves the least need uncovered, then has the least weighted
    distance. Pass `optimum=solve(scenario)` to report the difference from the optimum.

    With need scenarios (the scenario's uncertainty section, or `need_scenarios` and
    `robust` as in `configure`), the pairing's pairs are also scored under each need
    scenario (`Evaluation.robust`): the nominal one with the shares as above, every other
    with shares computed the same way for its own need (the file's shares are for one
    need)."""
    scenario = configure(scenario, need_scenarios=need_scenarios, robust=robust)
    _check_optimum(scenario, optimum)
    # A changes term or rules.max_changes with nothing to count against would score as
    # nothing and be checked as kept: the same input error as for solve.
    check_incumbent(scenario, _dotted)
    rows, source = pairing_rows(pairing, scenario)
    completion = complete_pairing(scenario, rows)
    found = _across_needs(scenario, rows, completion)
    notes = rows.notes
    if found is not None and any(v is not None for r in rows for v in r.amounts):
        notes += (
            "the pairing's shares are used for the nominal need only; each other need "
            "scenario's shares are computed for its own need.",
        )
    return Evaluation(
        scenario,
        source,
        completion,
        check_rules(scenario, completion.pairing),
        optimum,
        notes=notes,
        robust=found,
    )


def _check_optimum(scenario: Scenario, optimum: Result | None) -> None:
    """An optimum to report a pairing against must be of this scenario: one solved for
    another objective, other rules or other data would rank the pairing against a number
    that is no optimum here (a max_distance optimum read as a weighted distance)."""
    if optimum is None:
        return
    if not isinstance(optimum, Result):
        raise InputError(
            [
                Problem(
                    "optimum (argument)",
                    f"is a {type(optimum).__name__}, not a Result.",
                    "pass the Result of po.solve(scenario), or leave it out.",
                )
            ]
        )
    other = optimum.scenario
    differs = []
    if other.objective != scenario.objective:
        differs.append(
            f"its objective is {objective_name(other.objective)}, this scenario's is "
            f"{objective_name(scenario.objective)}"
        )
    if other.donors != scenario.donors or other.recipients != scenario.recipients:
        differs.append("it pairs other donors or recipients")
    elif not (
        np.array_equal(other.need_matrix, scenario.need_matrix)
        and np.array_equal(other.available_matrix, scenario.available_matrix)
    ):
        differs.append("its needs or capacities differ")
    if other.rules != scenario.rules or other.incumbent != scenario.incumbent:
        differs.append("its rules or incumbent differ")
    if other.uncertainty != scenario.uncertainty:
        differs.append("its need scenarios differ")
    if differs:
        raise InputError(
            [
                Problem(
                    "optimum (argument)",
                    f"is not an optimum of this scenario: {'; '.join(differs)}.",
                    "pass po.solve(scenario) of the scenario the pairing is evaluated in "
                    "(with the same objective and what-ifs), or leave optimum out.",
                )
            ]
        )


def _across_needs(scenario: Scenario, rows: PairingRows, completion: Completion) -> Robust | None:
    """The pairing's pairs scored under every need scenario (None without any)."""
    uncertainty = scenario.uncertainty
    if uncertainty is None:
        return None
    bare = [PairingRow(r.donor, r.recipient, None, tuple(None for _ in r.shares)) for r in rows]
    outcomes = []
    for case in need_scenarios(scenario):
        if case.name == NOMINAL and uncertainty.nominal:
            # the completion itself: Evaluation.violations tells it apart by identity
            outcomes.append(outcome(case.name, case.scenario, completion.pairing))
            continue
        pairing = complete_pairing(case.scenario, bare).pairing
        outcomes.append(outcome(case.name, case.scenario, pairing))
    return Robust(uncertainty.robust, scenario.objective, tuple(outcomes))


@dataclass(frozen=True, repr=False)
class Comparison:
    """Two pairings side by side, like diff: pairs only in A, only in B, recipients whose
    donors changed, share differences; with a scenario, objective and load differences."""

    differences: Differences
    notes: tuple[str, ...] = ()
    """What reading the pairings did that their user should know, e.g. a column of the
    scenario's labels read by label."""

    @property
    def same(self) -> bool:
        return self.differences.same

    def to_dict(self) -> dict[str, Any]:
        """The JSON that `pairopt compare --format json` prints."""
        return comparison_to_dict(self.differences)

    def __str__(self) -> str:
        return comparison_to_text(self.differences)

    def __repr__(self) -> str:
        d = self.differences
        state = (
            "same"
            if d.same
            else (f"{len(d.only_in_a)} pairs only in A, {len(d.only_in_b)} only in B")
        )
        return f"<Comparison {d.names[0]} vs {d.names[1]}: {state}>"


def compare(
    a: PairingSource,
    b: PairingSource,
    scenario: Scenario | None = None,
    *,
    names: tuple[str, str] | None = None,
) -> Comparison:
    """Compare pairing B with pairing A; with a scenario, also their objectives, broken
    rules and donor loads (empty shares are computed as `evaluate` does)."""
    if scenario is not None:
        _a_scenario(scenario)
    if names is not None and (
        isinstance(names, str) or len(names) != 2 or not all(isinstance(n, str) for n in names)
    ):
        raise InputError(
            [
                Problem(
                    "names (argument)",
                    f"{names!r} is not two names.",
                    'give one name for each pairing, e.g. names=("official", "optimum").',
                )
            ]
        )
    _one_need(scenario, "compare")
    if scenario is not None:
        check_incumbent(scenario, _dotted)
    rows_a, name_a = pairing_rows(a, scenario)
    rows_b, name_b = pairing_rows(b, scenario)
    done_a = done_b = None
    if scenario is not None:
        done_a = complete_pairing(scenario, rows_a).pairing
        done_b = complete_pairing(scenario, rows_b).pairing
    label = names or ((name_a, name_b) if name_a != name_b else ("A", "B"))
    return Comparison(
        differences(rows_a, rows_b, scenario, done_a, done_b, names=label),
        notes=rows_a.notes + rows_b.notes,
    )


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, repr=False)
class Report:
    """An HTML page for people (`report_html`): `html`, the solve behind it (`optimum`),
    the given pairing's `evaluation` (None in a report of the optimum), and `warnings` for
    the user (e.g. the map left out where matplotlib is missing)."""

    html: str
    optimum: Result
    evaluation: Evaluation | None = None
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        what = self.evaluation.source if self.evaluation is not None else "the optimum"
        return f"<Report of {what}: {self.optimum.status}, {len(self.html)} characters>"


def report_html(
    scenario: Scenario,
    pairing: PairingSource | None = None,
    *,
    names: str = "label",
    draw_map: bool = True,
) -> Report:
    """A self-contained HTML page to read, print or send (it opens with no network):
    without `pairing` the optimum, with it the pairing evaluated (as `evaluate`) and
    compared with the optimum. Summary, map (needs matplotlib; places named by `names`,
    'label' or 'id'), pairing, donor loads, recipient coverage, broken rules and metrics.
    The same inputs give the same bytes."""
    from .report.html import Evaluated, HtmlReport, html_page, map_figure

    if names not in ("id", "label"):
        raise InputError([Problem("names (argument)", f"{names!r} is not 'id' or 'label'.")])
    found = evaluate(scenario, pairing) if pairing is not None else None
    optimum = solve(scenario)
    best = optimum.solutions[0] if optimum.solutions and optimum.pairs else None
    shown = found.scenario if found is not None else optimum.scenario
    figures: list[Any] = []
    said: list[str] = []
    drawn = found.pairs if found is not None else best.pairing if best is not None else None
    if draw_map and drawn is not None:
        if found is not None:
            caption = f"{shown.name}: {Path(found.source).name}"
        else:
            proof = "proven optimal" if optimum.proven_optimal else "NOT proven optimal"
            caption = f"{shown.name}: solved pairing ({proof})"
        figure, said = map_figure(shown, list(drawn), caption, names)
        figures += [figure] if figure is not None else []
    page = HtmlReport(
        scenario=shown,
        status=optimum.status,
        optimum=best,
        reasons=optimum.reasons,
        fix=optimum.fix,
        evaluated=None
        if found is None
        else Evaluated(
            found.source, found.completion, found.check, tuple(found.violations), found.robust
        ),
        figures=tuple(figures),
        map_note="The map is left out, as asked." if not draw_map else "; ".join(said),
    )
    return Report(html_page(page), optimum, found, tuple(said))


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, repr=False)
class Front:
    """A Pareto front of two objective terms: `points`, best x first, each a verified
    pairing with both values and whether it is proven optimal for its subproblem;
    `unfound`, how many of the front's solves a limit stopped before they found any
    pairing (their points are missing: the front is not complete unless it is 0)."""

    scenario: Scenario
    x: str
    y: str
    points: tuple[FrontPoint, ...]
    unfound: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON that `pairopt pareto --format json` prints."""
        return front_dict(list(self.points), self.x, self.y, self.scenario.name)

    def to_frame(self) -> pd.DataFrame:
        """One row per point: the two terms, status, gap, pairing_hash and the pair count."""
        records = [
            {
                self.x: p.x,
                self.y: p.y,
                "status": p.status.value,
                "gap": p.gap,
                "pairing_hash": pairing_hash(p),
                "pairs": len(p.result.pairing),
            }
            for p in self.points
        ]
        return _frame(records, [self.x, self.y, "status", "gap", "pairing_hash", "pairs"])

    @property
    def results(self) -> list[Result]:
        """Each point's pairing as a solve result (for its pairs, reports and metrics)."""
        return [_from_solution(p.result) for p in self.points]

    def __repr__(self) -> str:
        return f"<Front of {self.x} and {self.y}: {len(self.points)} points>"


def pareto(
    scenario: Scenario,
    x: str,
    y: str,
    *,
    points: int = 10,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    incumbent: PairingSource | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Front:
    """The non-dominated pairings of terms `x` and `y` (e.g. "changes" and
    "weighted_distance") by the epsilon-constraint method: the two lexicographic optima
    and up to `points` - 2 between them, each proven optimal for its subproblem (within
    `mip_gap`) or marked with its gap. `time_limit` applies to each solve;
    `progress(done, total)` is called at the start and as each of the front's solves
    ends. Raises InfeasibleError when no pairing satisfies the rules."""
    configured = configure(
        scenario, solver=solver, time_limit=time_limit, mip_gap=mip_gap, incumbent=incumbent
    )
    _one_need(configured, "pareto")
    x, y = canonical_term(x), canonical_term(y)  # as the objective forms read them
    found = pareto_front(configured, x, y, points, progress)
    return Front(configured, x, y, tuple(found.points), found.unfound)


def _one_need(scenario: Scenario | None, what: str) -> None:
    """Commands that work under one need refuse need scenarios rather than ignore them."""
    if scenario is not None and scenario.uncertainty is not None:
        raise InputError(
            [
                Problem(
                    "uncertainty",
                    f"{what} works under one need, and the scenario has need scenarios "
                    "(uncertainty); only solve and evaluate use them.",
                    "remove the uncertainty section (or override uncertainty=null).",
                )
            ]
        )


def check(scenario: Scenario) -> dict[str, object]:
    """What can be told without solving: sizes, totals, and every conflict that makes the
    rules impossible to satisfy (an empty `conflicts` list does not prove feasibility).
    Numbers that `solve` would refuse as too far apart raise InputError here too, and so
    does an objective or rule that counts changes with no incumbent to count them against."""
    _a_scenario(scenario)
    check_finite(scenario)
    check_magnitudes(scenario)
    check_incumbent(scenario, _dotted)
    info = summary(scenario)
    if scenario.uncertainty is not None:
        # every need scenario's own conflicts: a robust pairing must serve them all
        cases = need_scenarios(scenario)
        info["need_scenarios"] = [case.name for case in cases]
        assert isinstance(info["conflicts"], list)
        info["conflicts"] = [
            f"need scenario '{case.name}': {reason}"
            for case in cases
            for reason in conflicts(case.scenario)
        ]
    return info


def use_threads(threads: int) -> int:
    """Set the HiGHS threads of every later solve in this process (0: HiGHS's own choice,
    the default) and return the previous setting. For solves run side by side in several
    processes (as `sweep` does with its workers): one thread each is faster than threads
    competing for the cores; for one solve at a time HiGHS's own choice is faster."""
    previous = backends.threads_in_use()
    backends.use_threads(threads)
    return previous


def solvers() -> list[dict[str, Any]]:
    """The solvers pairopt drives and whether each can run here, with its version."""
    rows = []
    for name in SOLVERS:
        info = backends.solver_info(name)  # looked up on the module: tests can stand one in
        rows.append(
            {"name": name, "available": info is not None, "version": info.version if info else None}
        )
    return rows
