"""One pairing for every need scenario: the robust model, solved and verified.

The model stacks one copy of the scenario's model (model.build_model) per need scenario
and merges the copies' pair decisions x into one set of columns. Each copy keeps its own
shares, shortfalls and extra columns, so coverage, capacity and every other rule hold in
each need scenario while the pairs are chosen once. With g_s the score of need scenario s
as `solve` minimises it (its objective plus the shortfall price, negated for an objective
that is better larger), the robust model minimises

  full, mean:  (1/S) sum_s g_s
  worst:       t, with g_s <= t for every s

(`full` is `mean` with every need covered in full). It is solved directly by the backend,
without the staged strategy or the tie-break; once its pairs are found, the shares of every
need scenario are solved again with the pairs fixed, each minimising its own g_s: under
`worst` only the worst need scenario's shares count, and the others' would otherwise be
whatever the solver left. Every need scenario's pairing is then verified on its own, and
the objective reported is the verifier's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from ..checks.diagnose import conflicts
from ..checks.magnitudes import check_finite, check_magnitudes
from ..checks.robust import NeedOutcome, Robust, outcome
from ..checks.verify import REL_TOL
from ..errors import InfeasibleError, SolverError
from ..scenario.scenario import Scenario, check_incumbent
from ..scenario.uncertainty import NeedCase, check_uncertainty, need_scenarios
from .backends import (
    HIGHS,
    MIN_TIME_LIMIT,
    SOLVERS,
    THREADS_HERE,
    RawResult,
    SolverInfo,
    Status,
    relative_gap,
    run_milp,
    solver_info,
    timed,
)
from .model import (
    COST_BAND,
    COST_TARGET,
    INF,
    Milp,
    PairingModel,
    build_model,
    power_of_ten,
    raised_flags,
)
from .pipeline import (
    BOUND_NOISE,
    COST_NOISE,
    VALUE_NOISE,
    SolveResult,
    read_pairing,
)

# A start costs about one need scenario's own solve: with few need scenarios HiGHS finds
# pairings of the robust model itself, and the start only adds that time.
START_CASES = 10
START_SHARE = 0.25  # of the time limit, at most, for the first need scenario's own solve
START_NODES = 2000  # and at most these nodes: a start, not a proof, the same on every run

FIX = (
    "Fix: let need go uncovered at a price (rules.coverage: {shortfall_penalty: P}) with "
    "uncertainty.robust: worst or mean, relax the rules named above, or leave out the need "
    "scenarios that cannot be served."
)


@dataclass(frozen=True)
class _Stack:
    """The stacked model and how to read it: `cols[s]` maps need scenario s's model
    columns to the stacked ones, `costs[s]` . v + `constants[s]` is g_s, and the stacked
    objective is unit x (c . v) + constant in the same (minimisation) form."""

    milp: Milp
    models: list[PairingModel]
    cols: list[np.ndarray]
    costs: list[np.ndarray]
    constants: list[float]
    unit: float
    constant: float
    sense: int

    def scores(self, values: np.ndarray) -> list[float]:
        """Each g_s at these values (minimisation form, the objective's own unit)."""
        return [float(c @ values) + k for c, k in zip(self.costs, self.constants, strict=True)]

    def value(self, raw: float) -> float:
        """The stacked objective c . v = raw in the user's sense and unit."""
        return self.sense * (self.unit * raw + self.constant)


def solve_robust(scenario: Scenario) -> SolveResult:
    """The best pairing shared by every need scenario, verified in each. Raises
    InfeasibleError (with reasons) when no pairing serves them all, InputError for what
    cannot be combined (scenario.uncertainty.check_uncertainty), SolverError when the
    answer does not verify; a limit gives status time_limit with the gap."""
    assert scenario.uncertainty is not None
    check_uncertainty(scenario, lambda path: ".".join(map(str, path)))
    cases = need_scenarios(scenario)
    _diagnose(cases)
    check_incumbent(scenario, lambda path: ".".join(map(str, path)))
    options = scenario.solver
    info = solver_info(options.name)
    if info is None:
        other = next(s for s in SOLVERS if s != options.name)
        raise SolverError(
            f"solver '{options.name}' is not available here. Fix: set solver.name to {other} "
            "(see `pairopt solvers`)."
        )
    mode = scenario.uncertainty.robust
    start = time.perf_counter()  # time_limit is for the whole solve, building included
    with timed("build"):
        stack = _stack(cases, mode)
    limit = options.time_limit
    # No canonical tie-break here: among pairings tied on the robust objective HiGHS's pick
    # depends on its thread count, so it gets one thread on every machine, in a sweep's
    # worker as in `solve` (2 threads and 1 gave different pairings of one score).
    held = THREADS_HERE.set(1)
    try:
        with timed("start"):
            initial = _start(stack, options.name, limit, start)
        with timed("robust"):
            raw = run_milp(
                options.name, stack.milp, _left(limit, start), options.mip_gap, initial=initial
            )
    finally:
        THREADS_HERE.reset(held)
    if raw.status == Status.INFEASIBLE:
        reason = (
            f"no single pairing satisfies the rules in all {len(cases)} need scenarios "
            "together, although none of them fails the checks on its own (a pairing that "
            "serves one need scenario leaves another without enough capacity, donors or "
            "reach)."
            if len(cases) > 1
            else "the solver proved that no pairing satisfies all the rules together, "
            "although each rule can be met on its own."
        )
        raise InfeasibleError([reason], FIX)
    if raw.values is None:
        empty = outcome(cases[0].name, cases[0].scenario, [])
        return _result(scenario, cases[0], raw, stack, None, None, info, start, empty)
    with timed("shares"):
        values = _polished(stack, raw, options.name, options.time_limit, start)
    with timed("verify"):
        outcomes = tuple(
            outcome(case.name, case.scenario, read_pairing(case.scenario, model, values[col]))
            for case, model, col in zip(cases, stack.models, stack.cols, strict=True)
        )
        robust = Robust(mode, scenario.objective, outcomes)
        _check(robust, stack, values)
    return _result(scenario, cases[0], raw, stack, robust, values, info, start, outcomes[0])


def _diagnose(cases: list[NeedCase]) -> None:
    """Each need scenario's own conflicts, before any solve (named by need scenario when
    there are several), and numbers too far apart for the solvers."""
    reasons: list[str] = []
    for case in cases:
        check_finite(case.scenario)
        found = conflicts(case.scenario)
        prefix = f"need scenario '{case.name}': " if len(cases) > 1 else ""
        reasons += [prefix + r for r in found]
    if reasons:
        raise InfeasibleError(reasons, FIX)
    for case in cases:
        check_magnitudes(case.scenario)


def _stack(cases: list[NeedCase], mode: str) -> _Stack:
    """One model copy per need scenario, their pair columns x merged (see the module
    docstring); under `worst` one more column t holds the largest g_s."""
    models = [build_model(case.scenario, tie_break=False) for case in cases]
    n = len(models[0].x_col)
    width = n
    cols = []
    for model in models:
        # Every copy lays out x first, as columns 0..n-1 (model._Columns).
        assert np.array_equal(model.x_col, np.arange(n))
        col = np.arange(model.milp.num_cols, dtype=np.int64)
        col[n:] = width + np.arange(model.milp.num_cols - n)
        width += model.milp.num_cols - n
        cols.append(col)
    worst = mode == "worst"
    size = width + (1 if worst else 0)
    lb, ub = np.zeros(size), np.ones(size)
    integer = np.zeros(size, dtype=bool)
    rows, row_cols, vals, row_lb, row_ub = [], [], [], [], []
    costs, constants = [], []
    count = 0
    sense = models[0].sense
    for model, col in zip(models, cols, strict=True):
        m = model.milp
        lb[col[n:]], ub[col[n:]], integer[col] = m.lb[n:], m.ub[n:], m.integer
        lb[:n] = np.maximum(lb[:n], m.lb[:n])  # a fixed pair is fixed in every copy
        rows.append(m.a_row + count)
        row_cols.append(col[m.a_col])
        vals.append(m.a_val)
        row_lb.append(m.row_lb)
        row_ub.append(m.row_ub)
        count += m.num_rows
        cost = np.zeros(size)
        np.add.at(cost, col, m.c * model.scale)
        costs.append(cost)
        constants.append(sense * model.offset)
    if worst:
        unit = power_of_ten(max(float(np.abs(c).max()) for c in costs), COST_BAND, COST_TARGET)
        t = width
        lows = []
        for cost, constant in zip(costs, constants, strict=True):
            used = np.flatnonzero(cost)
            rows.append(np.full(len(used) + 1, count))
            row_cols.append(np.append(used, t))
            vals.append(np.append(cost[used] / unit, -1.0))
            row_lb.append(np.array([-INF]))
            row_ub.append(np.array([-constant / unit]))
            count += 1
            lows.append(_least(cost / unit, lb, ub) + constant / unit)
        # t is at least every g_s's least value: a finite bound, which CBC needs
        lb[t], ub[t] = max(lows), INF
        c = np.zeros(size)
        c[t] = 1.0
        constant = 0.0
    else:
        total = np.mean(costs, axis=0)
        unit = power_of_ten(float(np.abs(total).max(initial=0.0)), COST_BAND, COST_TARGET)
        c = np.asarray(total / unit)
        constant = math.fsum(constants) / len(constants)
    milp = Milp(
        c,
        lb,
        ub,
        integer,
        np.concatenate(rows).astype(np.int64),
        np.concatenate(row_cols).astype(np.int64),
        np.concatenate(vals).astype(float),
        np.concatenate(row_lb).astype(float),
        np.concatenate(row_ub).astype(float),
        display_sense=float(sense) * unit,
    )
    return _Stack(milp, models, cols, costs, constants, unit, constant, sense)


def _left(limit: float | None, start: float) -> float | None:
    """What remains of the whole solve's time limit, counted from `start`."""
    return None if limit is None else max(limit - (time.perf_counter() - start), MIN_TIME_LIMIT)


def _start(stack: _Stack, name: str, limit: float | None, start: float) -> np.ndarray | None:
    """A first solution of the robust model for HiGHS to prune against: the pairs of the
    first need scenario's optimum (a node-capped solve of its own model, far smaller),
    with every need scenario's shares solved for them. With many need scenarios HiGHS
    could otherwise spend the whole limit without finding any pairing. None with fewer
    than START_CASES need scenarios, or when those pairs do not serve every need scenario
    (`full`) or a limit stops either solve."""
    if name != HIGHS or len(stack.models) < START_CASES:  # CBC ignores a start
        return None
    left = _left(limit, start)
    budget = None if limit is None or left is None else min(START_SHARE * limit, left)
    first = stack.models[0]
    own = run_milp(name, first.milp, budget, 0.0, node_limit=START_NODES)
    if own.values is None:
        return None
    n = len(first.x_col)  # the shared pair columns come first (see _stack)
    lb, ub = stack.milp.lb.copy(), stack.milp.ub.copy()
    lb[:n] = ub[:n] = np.round(own.values[first.x_col])
    fixed = run_milp(name, replace(stack.milp, lb=lb, ub=ub), _left(limit, start), 0.0)
    return fixed.values if fixed.status == Status.OPTIMAL else None


def _least(cost: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> float:
    """The least value cost . v can take within the column bounds (-inf if unbounded)."""
    used = np.flatnonzero(cost)
    return float((np.where(cost[used] > 0, lb[used], ub[used]) * cost[used]).sum())


def _polished(
    stack: _Stack, raw: RawResult, name: str, limit: float | None, start: float
) -> np.ndarray:
    """The shares of every need scenario solved again with the pairs found held fixed, each
    minimising its own g_s (an LP, at the strict tolerance); the first solution when that
    LP does not solve. Fairness's flags w are re-solved too: under `worst` a need scenario
    that is not the worst could keep w at 0 where its pairs allow 1, which holds its lowest
    utilisation at 0 and its fairness above the pairing's own; flags are rounded up
    (model.raised_flags)."""
    assert raw.values is not None
    milp = stack.milp
    n = len(stack.models[0].x_col)  # the shared pair columns come first (see _stack)
    x = np.arange(n)
    flags = np.setdiff1d(np.flatnonzero(milp.integer), x)
    lb, ub = milp.lb.copy(), milp.ub.copy()
    lb[x] = ub[x] = np.round(raw.values[x])
    total = np.sum(stack.costs, axis=0)
    c = total / power_of_ten(float(np.abs(total).max(initial=0.0)), COST_BAND, COST_TARGET)
    fixed = replace(milp, c=c, lb=lb, ub=ub, integer=np.zeros(milp.num_cols, dtype=bool))
    polished = run_milp(name, fixed, _left(limit, start), 0.0, strict=True)
    if polished.values is None:
        return raw.values
    values = polished.values
    values[x] = lb[x]
    values[flags] = raised_flags(values[flags], milp.lb[flags], milp.ub[flags])
    # The pairs fixed, no g_s can be worse than in the first solution (each is minimised on
    # its own); keep that solution if round-off says otherwise.
    before, after = stack.scores(raw.values), stack.scores(values)
    slack = REL_TOL * max(abs(v) for v in [*before, *after])
    return values if all(a <= b + slack for a, b in zip(after, before, strict=True)) else raw.values


def _check(robust: Robust, stack: _Stack, values: np.ndarray) -> None:
    """The solver's pairing must pass the verifier in every need scenario, share one pair
    set, and score there what the model says it does."""
    problems = [f"need scenario '{name}': {v.message}" for name, v in robust.violations()]
    problems += [f"need scenario '{name}' has other pairs." for name in robust.unshared()]
    sense = stack.sense
    for o, model, cost, constant, col in zip(
        robust.outcomes, stack.models, stack.costs, stack.constants, stack.cols, strict=True
    ):
        if problems:
            break
        solver = float(cost @ values) + constant
        verified = sense * o.score(robust.objective)
        # As pipeline._solve_with: feasibility noise on costly columns, relative to the
        # model's own costs, on top of the verifier's relative tolerance.
        c = np.abs(model.milp.c)
        noise = model.scale * max(
            float(c.max(initial=0.0)) * COST_NOISE,
            (float(c @ np.abs(values[col])) * VALUE_NOISE + float(c.sum()) * BOUND_NOISE) / REL_TOL,
        )
        tolerance = REL_TOL * max(model.scale, abs(solver), abs(verified), noise)
        if not math.isfinite(verified) or abs(solver - verified) > tolerance:
            problems.append(
                f"need scenario '{o.name}': the solver's objective {sense * solver!r} differs "
                f"from the verified value {sense * verified!r}."
            )
    if problems:
        raise SolverError(
            "the solver's pairing failed independent verification: "
            + " ".join(problems)
            + " Fix: try the other solver (solver.name) and report this scenario."
        )


def _result(
    scenario: Scenario,
    first: NeedCase,
    raw: RawResult,
    stack: _Stack,
    robust: Robust | None,
    values: np.ndarray | None,
    info: SolverInfo,
    start: float,
    shown: NeedOutcome,
) -> SolveResult:
    """The result: the robust objective (the verifier's), the solver's bound on it, and
    the first need scenario's pairing and evaluation for the reports that show one."""
    value = robust.value if robust is not None else math.nan
    bound = None if raw.bound is None else stack.value(raw.bound)
    exact = raw.status == Status.OPTIMAL and scenario.solver.mip_gap == 0
    if bound is not None and robust is not None and exact:
        bound = min(bound, value) if stack.sense == 1 else max(bound, value)
    return SolveResult(
        scenario=first.scenario,
        objective=scenario.objective,
        status=raw.status,
        pairing=shown.pairing,
        evaluation=shown.evaluation,
        objective_value=value,
        bound=bound,
        gap=relative_gap(value, bound) if values is not None else None,
        seconds=time.perf_counter() - start,
        solver=info,
        options=scenario.solver,
        tie_break="skipped" if values is not None else "not needed",
        robust=robust,
    )
