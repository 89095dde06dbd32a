"""One run of a sweep, as a worker process (local or on a Dask cluster) executes it.

A worker reads the scenario's files once per sweep and keeps them (`ScenarioSource`);
each run then applies its overrides and perturbation, solves, verifies, and scores the
compared pairings in memory. A run that fails becomes a row with its status and message:
one bad what-if must not cost the other runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..api import Result, evaluate, solve
from ..checks.compare import near_zero, round_off, standing
from ..checks.verify import REL_TOL
from ..checks.verify import Evaluation as RuleCheck
from ..engine.backends import use_threads
from ..errors import InputError, PairoptError
from ..io.loader import ScenarioSource
from ..report.common import metrics_dict, number, objective_number
from ..report.pareto import pair_set_hash
from ..scenario.perturb import Perturbation, perturbed
from ..scenario.scenario import Scenario
from ..scenario.spec import (
    Objective,
    OrderedObjective,
    WeightedObjective,
    in_data_units,
    maximised,
    term_objective,
)
from .plan import Run

Pair = tuple[str, str]
EVALUATED = ("objective", "gap", "broken", "short")


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run any run of one sweep (pickled to the workers)."""

    key: str  # the sweep's fingerprint: a worker's cache is per sweep
    scenario: str  # path, the same on every worker
    overrides: tuple[str, ...]
    perturbations: tuple[Perturbation, ...]
    seed: int
    time_limit: float | None
    # Pairings scored in every run: ("base", the unvaried optimum) first, then the user's.
    # (name, rows): (donor, recipient) each, or (donor, recipient, *shares) as given
    pairings: tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...]
    parts: tuple[str, ...]  # the objective parts that have a column
    # HiGHS threads per solve (0: HiGHS's own choice); where runs share the cores, one each.
    threads: int = 0


_SOURCES: dict[str, ScenarioSource] = {}


def _source(job: Job) -> ScenarioSource:
    if job.key not in _SOURCES:
        _SOURCES.clear()  # one sweep at a time per worker: drop the last one's tables
        _SOURCES[job.key] = ScenarioSource(job.scenario)
    return _SOURCES[job.key]


def run_scenario(job: Job, run: Run) -> Scenario:
    """The scenario of one run: the file, the sweep's overrides, the run's, its sample."""
    scenario = _source(job).load([*job.overrides, *run.overrides])
    if run.sample is not None:
        scenario = perturbed(scenario, job.perturbations, job.seed, run.sample)
    return scenario


def run_one(job: Job, run: Run) -> dict[str, Any]:
    """The row of one run; never raises for a failure of the run itself."""
    start = time.perf_counter()
    row: dict[str, Any] = {"run": run.index, **run.columns, "sample": run.sample}
    use_threads(job.threads)
    try:
        scenario = run_scenario(job, run)
        result = solve(scenario, time_limit=job.time_limit)
        row.update(result_columns(result, job))
    except InputError as exc:
        row.update(status="error", message=" ".join(str(p) for p in exc.problems))
    except PairoptError as exc:
        row.update(status="solver_failed", message=str(exc))
    except Exception as exc:  # a bug in one run is reported in its row, not a lost sweep
        row.update(status="failed", message=f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def result_columns(result: Result, job: Job) -> dict[str, Any]:
    """The columns of a solved run: proof, objective parts, metrics and the comparisons.
    Numbers are the verifier's own, unrounded (the file keeps 10 significant digits in
    any unit); a ratio or count objective (fairness) reads as solve's JSON gives it, so the
    solver's round-off on an optimum of 0 (1e-9) is not shown as a value."""
    objective = result.scenario.objective
    row: dict[str, Any] = {
        "status": result.status,
        "objective": _value(objective, result.objective),
        "bound": _value(objective, result.bound, result.objective),
        "gap": result.gap,
        "message": "; ".join(result.reasons),
    }
    for name, pairing in job.pairings:  # scored even where the run has no pairing
        row.update(scored(result, name, pairing))
    if not result.solutions or result.objective is None:
        return row
    best = result.solutions[0]
    parts = best.robust.parts() if best.robust is not None else best.evaluation.parts(objective)
    row.update({f"part_{name}": _part(objective, name, parts) for name in job.parts})
    row.update(metrics_dict(best.scenario, best.pairing, best.evaluation))
    row["shortfall"] = best.evaluation.values["shortfall"]  # the metric's value, unrounded
    pairs = sorted({(a.donor, a.recipient) for a in result.pairs})
    row["pairing_hash"] = pair_set_hash(pairs)
    row["pairs"] = pairs
    # Against the base optimum only: with no base pairing the first pairing scored is a
    # user's --pairing, which is not the base.
    base = dict(job.pairings).get("base")
    row["changes_vs_base"] = None if base is None else len(set(base).symmetric_difference(pairs))
    return row


def scored(result: Result, name: str, pairing: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """A fixed pairing in this run: its objective as solve scores it, its gap to the run's
    optimum (>= 0 is worse), the rules it breaks and the recipients left short."""
    evaluation = evaluate(result.scenario, list(pairing))
    # With need scenarios the run's optimum is the robust objective: score the pairing so.
    value = evaluation.objective if evaluation.robust is None else evaluation.robust.value
    best = result.objective if result.solutions else None
    gap = None
    objective = result.scenario.objective
    if best is not None and isinstance(objective, OrderedObjective):
        gap = _order_gap(result, evaluation.check)
    elif best is not None and math.isfinite(value):
        gap = _gap(objective, value, best)
    short = {c.recipient for c in evaluation.recipients if c.shortfall > 1e-6 * max(c.need, 1e-300)}
    return {
        f"{name}_objective": value,
        f"{name}_gap": gap,
        f"{name}_broken": len(evaluation.violations),
        f"{name}_short": len(short),
    }


def _order_gap(result: Result, plan: RuleCheck) -> float | None:
    """Under an order, the gap at the first level where the pairing and the run's optimum
    differ (as evaluate --vs-optimal ranks them): 0 when they are level at every level,
    else that level's relative difference (>= 0 worse; None from a level's optimum of 0)."""
    best = result.solutions[0].evaluation
    deciding = standing(result.scenario, plan, best).deciding
    if deciding is None:
        return 0.0
    term = term_objective(deciding.term)
    gap = _gap(term, plan.score(term), best.score(term))
    if gap == 0.0 and deciding.worse:  # decided by a tolerance it uses more of: still worse
        gap = abs(deciding.difference) / max(abs(best.score(term)), REL_TOL)
    return gap


def _value(objective: Objective, value: float | None, reference: float | None = None) -> Any:
    """An objective's value or bound for the file: unrounded where it is an amount, as
    solve's JSON gives it where it is a ratio or count (see objective_number)."""
    if in_data_units(objective) or value is None:
        return value
    return objective_number(objective, value, reference)


def _part(objective: Objective, term: str, parts: dict[str, float]) -> Any:
    """One objective part: unrounded where it is an amount in the data's units, as solve's
    JSON gives it otherwise (a weighted sum's parts are normalised, a ratio has no unit)."""
    value = parts.get(term)
    if value is None and ":" in term:  # a column objective's part is keyed by its column
        value = parts.get(term.partition(":")[2].strip())
    if value is None:
        return None
    if isinstance(objective, WeightedObjective) or not in_data_units(term_objective(term)):
        return number(value)
    return value


def _gap(objective: Objective, value: float, best: float) -> float | None:
    """How much worse `value` is than the run's optimum `best`, relative to it (>= 0 is
    worse): 0 where they differ by round-off alone, None where the optimum is 0 up to
    round-off and the value is not (no relative difference from 0; an optimum of fairness
    solved as 1e-9 gave gaps of 1e9)."""
    worse = best - value if maximised(objective) else value - best
    if round_off(objective, value, best):
        return 0.0
    if near_zero(objective, best, value):
        return None
    return worse / abs(best)


def evaluated_columns(names: Sequence[str]) -> list[str]:
    return [f"{name}_{what}" for name in names for what in EVALUATED]
