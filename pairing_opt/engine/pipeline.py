"""From a scenario to a verified result: diagnose, model, solve, read back, verify.

This is the library entry point (`pairing_opt.solve`); the CLI only parses options
and prints what this returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from pydantic import ValidationError

from ..checks.diagnose import conflicts
from ..checks.verify import Assignment, Evaluation, evaluate
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..io.pairings import PairingRow
from ..scenario.scenario import Scenario, check_objective_data
from ..scenario.spec import Objective, SolverSpec, objective_name
from .backends import Outcome, SolverInfo, Status, relative_gap, run_milp
from .model import Milp, PairingModel, build_model
from .strategy import solve_model


@dataclass(frozen=True)
class SolveResult:
    scenario: Scenario
    objective: Objective
    status: Status
    pairing: list[Assignment]
    evaluation: Evaluation
    objective_value: float
    bound: float | None
    gap: float | None
    seconds: float
    solver: SolverInfo
    options: SolverSpec
    tie_break: str

    @property
    def objective_label(self) -> str:
        return objective_name(self.objective)

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


def with_options(
    scenario: Scenario,
    *,
    objective: Objective | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> Scenario:
    """The scenario with these options in place of its own (re-checked like the file);
    a bad option is an InputError naming the argument."""
    updates = {
        k: v
        for k, v in (("name", solver), ("time_limit", time_limit), ("mip_gap", mip_gap))
        if v is not None
    }
    options = scenario.solver
    if updates:
        arguments = {"name": "solver", "time_limit": "time_limit", "mip_gap": "mip_gap"}
        try:
            options = SolverSpec.model_validate({**options.model_dump(), **updates})
        except ValidationError as exc:
            raise InputError(
                [
                    Problem(
                        f"{arguments.get(str(err['loc'][0]), err['loc'][0])} (argument)",
                        f"{err['msg']} (given: {err['input']!r}).",
                        "pass a valid value or leave it out to keep the scenario's own.",
                    )
                    for err in exc.errors()
                ]
            ) from exc
    changed = replace(scenario, solver=options)
    if objective is not None and objective != scenario.objective:
        changed = replace(changed, objective=objective)
        check_objective_data(changed, objective, lambda path: "objective (argument)")
    return changed


def read_pairing(scenario: Scenario, model: PairingModel, values: np.ndarray) -> list[Assignment]:
    """Pairs in canonical order (recipient order, then donor order) with shares in need units."""
    cand = model.candidates
    used = model.used(values)
    fractions = model.fractions(values)
    pairing = []
    for i in np.flatnonzero(used):
        d, r = int(cand.donor[i]), int(cand.recipient[i])
        share = float(fractions[i] * scenario.need[r])
        pairing.append(Assignment(scenario.donors[d], scenario.recipients[r], share))
    return pairing


def solve(scenario: Scenario) -> SolveResult:
    """Solve the scenario with its own objective and solver options.

    Raises InfeasibleError (with named reasons) when no pairing exists, SolverError when the
    solver fails or its answer does not verify. A result stopped at a limit is returned
    with status LIMIT_FEASIBLE and is never called optimal.
    """
    return solve_alternatives(scenario, 1)[0]


def solve_alternatives(scenario: Scenario, count: int) -> list[SolveResult]:
    """The `count` best distinct pairings (different pair sets), in order. Each is a proven
    optimum of the problem with the earlier ones cut off; fewer come back when no further
    pairing satisfies the rules or a solve stops at its limit."""
    reasons = conflicts(scenario)
    if reasons:
        raise InfeasibleError(
            reasons,
            "Fix: relax the rules named above (or add donors or "
            "capacity), then run `pairopt check` again.",
        )
    model = build_model(scenario)
    previous = _solve_with(scenario, model)
    results = [previous]
    if count == 1:
        return results
    index = {
        (int(d), int(r)): i
        for i, (d, r) in enumerate(
            zip(model.candidates.donor, model.candidates.recipient, strict=True)
        )
    }
    while len(results) < count and previous.status == Status.OPTIMAL:
        used = np.zeros(len(model.candidates), dtype=bool)
        for a in previous.pairing:
            used[index[(scenario.donor_index[a.donor], scenario.recipient_index[a.recipient])]] = (
                True
            )
        model = model.without(used)
        try:
            previous = _solve_with(scenario, model)
        except InfeasibleError:
            break
        if previous.status == Status.LIMIT_NO_SOLUTION:
            break
        results.append(previous)
    return results


def _solve_with(scenario: Scenario, model: PairingModel) -> SolveResult:
    options = scenario.solver
    outcome = solve_model(model, options.name, options.time_limit, options.mip_gap)
    if outcome.status == Status.INFEASIBLE:
        raise InfeasibleError(
            [
                "the solver proved that no pairing satisfies all the rules together, although "
                "each rule can be met on its own (counts, capacities and distances interact)."
            ],
            "Fix: relax one rule at a time (max_distance_km, donors_per_recipient, "
            "recipients_per_donor, reserve, min_share, fixed pairs) to find the conflict.",
        )
    if outcome.values is None:
        return _no_solution(scenario, outcome)
    pairing = read_pairing(scenario, model, outcome.values)
    evaluation = evaluate(scenario, pairing)
    _check(scenario, evaluation, outcome)
    value = evaluation.value(scenario.objective)
    bound = outcome.bound
    if bound is not None and outcome.status == Status.OPTIMAL and options.mip_gap == 0:
        bound = min(bound, value) if model.sense == 1 else max(bound, value)
    return SolveResult(
        scenario=scenario,
        objective=scenario.objective,
        status=outcome.status,
        pairing=pairing,
        evaluation=evaluation,
        objective_value=value,
        bound=bound,
        gap=relative_gap(value, bound),
        seconds=outcome.seconds,
        solver=outcome.solver,
        options=options,
        tie_break=outcome.tie_break,
    )


def _no_solution(scenario: Scenario, outcome: Outcome) -> SolveResult:
    empty = evaluate(scenario, [])
    return SolveResult(
        scenario=scenario,
        objective=scenario.objective,
        status=outcome.status,
        pairing=[],
        evaluation=empty,
        objective_value=math.nan,
        bound=outcome.bound,
        gap=None,
        seconds=outcome.seconds,
        solver=outcome.solver,
        options=scenario.solver,
        tie_break="not needed",
    )


def _check(scenario: Scenario, evaluation: Evaluation, outcome: Outcome) -> None:
    """A solver answer that breaks a rule or disagrees on the objective is an error."""
    problems = [v.message for v in evaluation.violations]
    value = evaluation.value(scenario.objective)
    if outcome.objective is not None and outcome.values is not None and not problems:
        # The reported objective must match the verifier's own computation (tie-break
        # re-solves keep the first objective, so compare with a relative tolerance).
        tolerance = 1e-6 * max(1.0, abs(value))
        if not math.isfinite(value) or abs(value - outcome.objective) > tolerance:
            problems.append(
                f"the solver's objective {outcome.objective!r} differs from the "
                f"verified value {value!r}."
            )
    if problems:
        raise SolverError(
            "the solver's pairing failed independent verification: "
            + " ".join(problems)
            + " Fix: try the other solver (solver.name) and report this scenario."
        )


# --------------------------------------------------------------------------- evaluate


@dataclass(frozen=True)
class Completion:
    """A pairing with every share known, and whether pairopt had to compute any."""

    pairing: list[Assignment]
    computed: bool


def complete_pairing(scenario: Scenario, rows: list[PairingRow]) -> Completion:
    """Fill in shares a pairing file leaves empty.

    Given shares are kept. The empty ones get the split that breaks the rules least: first
    the least total capacity overload plus uncovered or over-covered need, then (when
    distances are known) the least weighted distance. A pairing that cannot meet the rules
    under any split is reported with its smallest possible violations.
    """
    if all(r.share is not None for r in rows):
        return Completion(
            [Assignment(r.donor, r.recipient, float(r.share or 0.0)) for r in rows], computed=False
        )
    n, n_d, n_r = len(rows), len(scenario.donors), len(scenario.recipients)
    d = np.array([scenario.donor_index[r.donor] for r in rows], dtype=np.int64)
    r = np.array([scenario.recipient_index[x.recipient] for x in rows], dtype=np.int64)
    need = scenario.need[r]
    load = np.array([scenario.load(int(i), int(j)) for i, j in zip(d, r, strict=True)])
    km = np.array([scenario.distance_km(int(i), int(j)) for i, j in zip(d, r, strict=True)])
    # Columns: f (n fractions), overload per donor (n_d), under and over per recipient (2 n_r).
    n_cols = n + n_d + 2 * n_r
    lb, ub = np.zeros(n_cols), np.full(n_cols, np.inf)
    ub[:n] = 1.0
    for i, row in enumerate(rows):
        if row.share is not None:
            value = row.share / need[i] if need[i] > 0 else 0.0
            lb[i] = ub[i] = value
        elif need[i] > 0:
            lb[i] = min(scenario.rules.min_share, 1.0)
    cols = np.arange(n)
    a_row = [r, d + n_r]
    a_col = [cols, cols]
    a_val = [np.ones(n), load]
    covered = np.flatnonzero(np.bincount(r, minlength=n_r) > 0)
    # coverage: sum f + under - over = 1 for every recipient with a need and a donor
    a_row += [covered, covered]
    a_col += [n + n_d + covered, n + n_d + n_r + covered]
    a_val += [np.ones(len(covered)), -np.ones(len(covered))]
    # capacity: sum load f - overload <= available
    a_row.append(np.arange(n_d) + n_r)
    a_col.append(n + np.arange(n_d))
    a_val.append(-np.ones(n_d))
    row_lb = np.concatenate([np.full(n_r, -np.inf), np.full(n_d, -np.inf)])
    row_ub = np.concatenate([np.full(n_r, np.inf), scenario.effective_capacity])
    positive = covered[scenario.need[covered] > 0]
    row_lb[positive] = row_ub[positive] = 1.0
    c = np.zeros(n_cols)
    c[n : n + n_d] = 1.0
    c[n + n_d :] = np.concatenate([scenario.need, scenario.need])
    milp = Milp(
        c=c,
        lb=lb,
        ub=ub,
        integer=np.zeros(n_cols, dtype=bool),
        a_row=np.concatenate(a_row),
        a_col=np.concatenate(a_col),
        a_val=np.concatenate(a_val),
        row_lb=row_lb,
        row_ub=row_ub,
    )
    name = scenario.solver.name
    first = run_milp(name, milp, scenario.solver.time_limit, 0.0)
    if first.values is None or first.objective is None:
        raise SolverError(
            "could not compute the shares of the pairing (the share LP did not "
            "solve). Fix: give the shares in the pairing file's share column."
        )
    values = first.values
    if not np.isnan(km).any():
        second_c = np.zeros(n_cols)
        second_c[:n] = km * need
        capped = milp.with_objective_cap(
            c, first.objective + 1e-9 * max(1.0, first.objective), second_c
        )
        second = run_milp(name, capped, scenario.solver.time_limit, 0.0, strict=True)
        if second.values is not None:
            values = second.values
    fractions = np.clip(values[:n], 0.0, 1.0)
    pairing = [
        Assignment(
            row.donor,
            row.recipient,
            float(row.share) if row.share is not None else float(fractions[i] * need[i]),
        )
        for i, row in enumerate(rows)
    ]
    return Completion(pairing, computed=True)
