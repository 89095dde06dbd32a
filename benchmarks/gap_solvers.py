"""The solvers compared on GAP instances, each timed from the instance's arrays to a checked
answer, with its status mapped honestly to one vocabulary:

  optimal      proven optimal by the solver (gap 0);
  time_limit   stopped at the limit with a feasible assignment, NOT proven optimal;
  no_solution  stopped before any feasible assignment was found;
  infeasible   proven infeasible;
  error        the solver failed, or its answer did not pass the check.

- pairopt: `pairing_opt.scenario.scenario.build` + `pairing_opt.engine.pipeline.solve`
  (HiGHS), i.e. pairopt's own loader checks, model, solver driver and independent verifier;
- pulp-cbc / pulp-highs: a plain hand-written PuLP model solved with `pulp.PULP_CBC_CMD`
  (bundled CBC, 1 thread) or `pulp.HiGHS` (highspy). PuLP 3 reports a time-limited run as
  "Optimal"; `sol_status` (and HiGHS's own model status) tells the truth;
- cpsat: OR-Tools CP-SAT with 2 workers (optional: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import math
import re
import resource
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pairing_opt.engine.backends import Status
from pairing_opt.engine.pipeline import solve as pairopt_solve
from pairing_opt.errors import InfeasibleError, PairoptError
from pairing_opt.scenario.scenario import build

from .gap_data import GapInstance, check_assignment, scenario_tables

SOLVERS = ("pairopt", "pulp-cbc", "pulp-highs", "cpsat")
CPSAT_WORKERS = 2


@dataclass
class Run:
    solver: str
    status: str
    objective: float | None
    bound: float | None
    seconds: float  # wall time from the instance's arrays to the checked answer
    solve_seconds: float | None  # time inside the solver call only
    verified: bool
    note: str = ""
    cpu_seconds: float | None = None  # CPU time of this process and its children (CBC)


def cpsat_available() -> bool:
    try:
        from ortools.sat.python import cp_model  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- pairopt


_STATUS = {
    Status.OPTIMAL: "optimal",
    Status.LIMIT_FEASIBLE: "time_limit",
    Status.LIMIT_NO_SOLUTION: "no_solution",
    Status.INFEASIBLE: "infeasible",
}


def run_pairopt(inst: GapInstance, time_limit: float) -> Run:
    start = time.perf_counter()
    spec, donors, recipients, pairs = scenario_tables(inst, time_limit)
    try:
        scenario = build(spec, donors, recipients, pairs, source=inst.name)
        result = pairopt_solve(scenario)
    except InfeasibleError:
        return Run("pairopt", "infeasible", None, None, time.perf_counter() - start, None, True)
    except PairoptError as exc:
        return Run(
            "pairopt", "error", None, None, time.perf_counter() - start, None, False, str(exc)
        )
    seconds = time.perf_counter() - start
    value = None if math.isnan(result.objective_value) else float(result.objective_value)
    # pairopt verifies every pairing itself (a failure raises SolverError above); check the
    # value against the raw instance as well, so that the table is comparable across solvers.
    ok = result.evaluation.ok
    if result.pairing:
        agent = np.full(inst.n, -1, dtype=np.int64)
        for a in result.pairing:
            agent[int(a.recipient[1:]) - 1] = int(a.donor[1:]) - 1
        feasible, raw = check_assignment(inst, agent)
        ok = ok and feasible and value is not None and abs(raw - value) < 1e-6
    return Run(
        "pairopt",
        _STATUS[result.status],
        value,
        result.bound,
        seconds,
        result.seconds,
        ok,
        f"tie_break {result.tie_break}",
    )


# --------------------------------------------------------------------------- PuLP


def _pulp_model(inst: GapInstance) -> tuple[Any, list[list[Any]]]:
    import pulp

    m, n = inst.m, inst.n
    sense = pulp.LpMinimize if inst.sense == "min" else pulp.LpMaximize
    prob = pulp.LpProblem("gap", sense)
    x = [[pulp.LpVariable(f"x_{i}_{j}", cat=pulp.LpBinary) for j in range(n)] for i in range(m)]
    c, a, b = inst.cost, inst.resource, inst.capacity
    prob += pulp.lpSum(int(c[i, j]) * x[i][j] for i in range(m) for j in range(n))
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1, f"assign_{j}"
    for i in range(m):
        prob += pulp.lpSum(int(a[i, j]) * x[i][j] for j in range(n)) <= int(b[i]), f"cap_{i}"
    return prob, x


def pulp_status(status: int, sol_status: int) -> str:
    """PuLP's (status, sol_status) in this harness's vocabulary. PuLP 3 maps a run stopped at
    the time limit with a solution to status Optimal and sol_status IntegerFeasible."""
    import pulp

    if status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return "infeasible"
    if sol_status == pulp.LpSolutionOptimal and status == pulp.LpStatusOptimal:
        return "optimal"
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limit"
    if sol_status == pulp.LpSolutionNoSolutionFound or status == pulp.LpStatusNotSolved:
        return "no_solution"
    return "error"


_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s*(\S+)", re.MULTILINE)


def _agents(inst: GapInstance, x: list[list[Any]]) -> np.ndarray:
    agent = np.full(inst.n, -1, dtype=np.int64)
    for i in range(inst.m):
        for j in range(inst.n):
            value = x[i][j].varValue
            if value is not None and value > 0.5:
                agent[j] = i
    return agent


def run_pulp(inst: GapInstance, time_limit: float, backend: str) -> Run:
    """A plain PuLP model solved by CBC (`pulp-cbc`) or HiGHS (`pulp-highs`), gap 0."""
    import pulp

    name = f"pulp-{backend}"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prob, x = _pulp_model(inst)
    bound: float | None = None
    with tempfile.TemporaryDirectory(prefix="gap-bench-") as tmp:
        log = Path(tmp) / "solver.log"
        if backend == "cbc":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                solver = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=time_limit, gapRel=0, threads=1, logPath=str(log)
                )
        elif backend == "highs":
            solver = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=0)
        else:
            raise ValueError(backend)
        solve_start = time.perf_counter()
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            return Run(
                name, "error", None, None, time.perf_counter() - start, None, False, str(exc)
            )
        solve_seconds = time.perf_counter() - solve_start
        status = pulp_status(prob.status, prob.sol_status)
        if backend == "highs":
            h = prob.solverModel
            info = h.getInfo()
            # Cross-check PuLP's mapping with HiGHS's own model status.
            model_status = h.modelStatusToString(h.getModelStatus())
            if status == "optimal" and model_status != "Optimal":
                status = "time_limit"
            if math.isfinite(info.mip_dual_bound):
                # pulp.HiGHS minimises the negated objective for maximisation problems.
                bound = float(info.mip_dual_bound) * (1 if inst.sense == "min" else -1)
        elif log.exists():
            match = _CBC_BOUND.search(log.read_text(errors="replace"))
            if match and status != "optimal":
                try:
                    # CBC runs a maximisation (-max) as the minimisation of the negation.
                    raw = float(match.group(1))
                    bound = raw if inst.sense == "min" else -raw
                except ValueError:
                    bound = None
    value: float | None = None
    verified = False
    if status in ("optimal", "time_limit"):
        feasible, value = check_assignment(inst, _agents(inst, x))
        verified = feasible
        if not feasible:
            status = "error"
    if status == "optimal":
        bound = value
    seconds = time.perf_counter() - start
    return Run(name, status, value, bound, seconds, solve_seconds, verified)


# --------------------------------------------------------------------------- CP-SAT


def run_cpsat(inst: GapInstance, time_limit: float, workers: int = CPSAT_WORKERS) -> Run:
    from ortools.sat.python import cp_model

    start = time.perf_counter()
    m, n = inst.m, inst.n
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x_{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(
            cp_model.LinearExpr.weighted_sum(x[i], [int(v) for v in inst.resource[i]])
            <= int(inst.capacity[i])
        )
    flat = [v for row in x for v in row]
    objective = cp_model.LinearExpr.weighted_sum(flat, [int(v) for v in inst.cost.ravel()])
    if inst.sense == "min":
        model.minimize(objective)
    else:
        model.maximize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = float(time_limit)
    solve_start = time.perf_counter()
    code = solver.solve(model)
    solve_seconds = time.perf_counter() - solve_start
    status = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "time_limit",
        cp_model.INFEASIBLE: "infeasible",
        cp_model.UNKNOWN: "no_solution",
    }.get(code, "error")
    value = bound = None
    verified = False
    if status in ("optimal", "time_limit"):
        agent = np.full(n, -1, dtype=np.int64)
        for i in range(m):
            for j in range(n):
                if solver.boolean_value(x[i][j]):
                    agent[j] = i
        feasible, value = check_assignment(inst, agent)
        verified = feasible and abs(value - solver.objective_value) < 1e-6
        bound = float(solver.best_objective_bound)
        if not verified:
            status = "error"
    seconds = time.perf_counter() - start
    return Run("cpsat", status, value, bound, seconds, solve_seconds, verified)


# --------------------------------------------------------------------------- driver


def _cpu() -> float:
    """CPU seconds used so far by this process (all threads) and its waited-for children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _measured(run: Callable[[GapInstance, float], Run]) -> Callable[[GapInstance, float], Run]:
    def wrapped(inst: GapInstance, limit: float) -> Run:
        before = _cpu()
        result = run(inst, limit)
        result.cpu_seconds = _cpu() - before
        return result

    return wrapped


def runner(name: str) -> Callable[[GapInstance, float], Run]:
    if name == "pairopt":
        return _measured(run_pairopt)
    if name == "pulp-cbc":
        return _measured(lambda inst, limit: run_pulp(inst, limit, "cbc"))
    if name == "pulp-highs":
        return _measured(lambda inst, limit: run_pulp(inst, limit, "highs"))
    if name == "cpsat":
        return _measured(run_cpsat)
    raise ValueError(f"unknown solver '{name}'; use one of {', '.join(SOLVERS)}")
