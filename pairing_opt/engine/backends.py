"""Running a solver on a Milp and saying honestly what it proved.

Two backends: HiGHS through highspy's array API (fast; no PuLP round trip) and CBC through
PuLP's bundled binary. Each maps its solver's own status to `Status`; a run stopped by a
limit is never called optimal, whatever a wrapper says (PuLP 3 maps a time-limited HiGHS or
CBC run to "Optimal": the solution status tells the truth).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SolverError
from ..scenario.scenario import ROUNDING
from ..scenario.spec import SOLVER_NAMES
from .model import Milp

SOLVERS = SOLVER_NAMES  # every solver pairopt can run, in the order it lists them
HIGHS, CBC = SOLVERS
STRICT_TOLERANCE = 1e-9  # feasibility tolerance of the tie-break stage
# ... and its MIP feasibility tolerance: at 1e-9, HiGHS 1.16's presolve proved a wrong
# optimum (1.0 for 1/3, bound included) on a 2 x 2 level of an order (tests/
# test_objectives.py); at 1e-8 and 3e-9 it did not. Both are far inside the margins the
# strict runs are for (LEVEL_MARGIN 1e-7; the tie-break's shares are re-solved exactly).
STRICT_MIP_TOLERANCE = 1e-8
TIGHT_MIP_TOLERANCE = 1e-7  # HiGHS's LP feasibility tolerance (its MIP one is 1e-6)
TIE_SLACK = 1e-9  # relative slack on the proven objective allowed in the tie-break stage
EXACT_ABS_GAP = 1e-9  # absolute gap of an exact proof (mip_gap 0): round-off, not a gap
VALUE_AGREEMENT = 1e-7  # relative: a run's c.v and its reported objective agree this well
MIN_TIME_LIMIT = 1e-3  # seconds: the least limit a solver is given (0 would mean none)
POLL_SECONDS = 0.1  # how often a running HiGHS solve is asked whether to stop
# A proof that starts from a known, nearly optimal pairing (`proof=True` with `initial`).
# With a strong start, HiGHS's root reduced-cost fixing keeps switching columns off, and
# each time it restarts: presolve, the root's cut loop and its sub-MIP heuristics (RINS,
# RENS) all run again, searching for pairings no better than the start, so with these off
# the run goes to the bound (measured when this was adopted; see git history). Without a good
# start the heuristics are what find the optimum.
PROOF_OPTIONS: dict[str, bool] = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
}


class Status(StrEnum):
    OPTIMAL = "optimal"  # proven within the configured gap
    LIMIT_FEASIBLE = "time_limit"  # stopped at a limit with a pairing: not proven optimal
    LIMIT_NO_SOLUTION = "no_solution"  # stopped at a limit before finding any pairing
    INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str


@dataclass(frozen=True)
class _Run:
    """What one solver run is asked for besides the model (see run_milp)."""

    time_limit: float | None
    mip_gap: float
    strict: bool = False
    initial: np.ndarray | None = None
    node_limit: int | None = None
    stop_when: StopWhen | None = None
    cut_pool: int | None = None
    proof: bool = False
    cutoff: float | None = None
    on_solution: Callable[[np.ndarray], None] | None = None
    restart: bool = True
    presolve: bool = True
    mip_tight: bool = False  # HiGHS's MIP feasibility tolerance at its LP one (1e-7)


@dataclass
class RawResult:
    """What one solver run returned, in minimisation form."""

    status: Status
    values: np.ndarray | None
    objective: float | None  # c.v of the solution
    bound: float | None  # proven lower bound on c.v
    seconds: float


@dataclass
class Outcome:
    """The final answer of a solve: status, solution and proof, in the objective's sense."""

    status: Status
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float
    solver: SolverInfo
    tie_break: str  # "done", "skipped", "not needed", "rejected", "stopped at limit"
    # True when the solve proved that no other pair set fits under the cap it was asked
    # to check (solve_model's `settle_slack`); None when not known.
    alone: bool | None = None

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / |objective| as HiGHS and CBC define it (0 when they meet)."""
    if objective is None or bound is None:
        return None
    diff = abs(objective - bound)
    if diff <= 2 * TIE_SLACK * max(1.0, abs(objective)):  # within the tie-break slack
        return 0.0
    return diff / max(abs(objective), 1e-10)


# --------------------------------------------------------------------------- HiGHS


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """HiGHS prints a banner on fd 1 when its first instance is created; keep stdout clean."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ else 1
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed or None
            sys.stdout.flush()
        saved = os.dup(fd)
    except (OSError, ValueError):  # no stdout at all (closed fd 1): nothing to keep clean
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


@functools.cache
def highs_info() -> SolverInfo | None:
    """HiGHS's version, once per process (probing builds a solver instance)."""
    try:
        import highspy
    except ImportError:
        return None
    return SolverInfo(HIGHS, str(_new_highs(highspy).version()))


def _import_highspy() -> Any:
    try:
        import highspy
    except ImportError as exc:
        raise SolverError(
            "HiGHS is not installed (package highspy). Fix: pip install highspy, "
            "or set solver.name to cbc."
        ) from exc
    return highspy


_threads = 0  # HiGHS threads per solve in this process; 0: HiGHS's own choice
_pool = threading.local()  # the thread count of HiGHS's pool in this thread, once made


def use_threads(threads: int) -> None:
    """Threads for every later HiGHS solve in this process (0: HiGHS's own choice).
    Where runs share the cores (a sweep's worker processes), one thread each is faster than
    threads competing for them."""
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(
            f"threads must be a whole number, 0 (HiGHS's own choice) or more, not {threads!r}"
        )
    _threads = threads


def threads_in_use() -> int:
    """The HiGHS threads of later solves (0: HiGHS's own choice)."""
    return _threads


# Set for the solves of one task that runs beside others on threads of this process
# (parallel.py): its share of the cores, and the event that stops its solver runs.
THREADS_HERE: ContextVar[int | None] = ContextVar("pairopt_threads_here", default=None)
CANCEL: ContextVar[threading.Event | None] = ContextVar("pairopt_cancel", default=None)


def _threads_now() -> int:
    here = THREADS_HERE.get()
    return _threads if here is None else here


def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


# HiGHS prints its banner once per process, at its first instance. Pointing fd 1 away is
# process-wide, so it is done for that instance only, under a lock: done for every
# instance, two threads at once could leave fd 1 at /dev/null, and the output with it.
_BANNER_LOCK = threading.Lock()
_banner_hidden = False


def _fresh_banner_lock() -> None:
    """A forked child gets its own lock: the parent's may be held by a thread that the
    child does not have."""
    global _BANNER_LOCK
    _BANNER_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_banner_lock)


def _new_highs(highspy: Any) -> Any:
    global _banner_hidden
    with _BANNER_LOCK:
        if _banner_hidden:
            h = highspy.Highs()
        else:
            with _stdout_to_devnull():
                h = highspy.Highs()
            _banner_hidden = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", _threads_now())
    return h


def _limit_time(h: Any, time_limit: float | None) -> None:
    """HiGHS's time limit, if any (never zero: HiGHS would stop before it starts)."""
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, MIN_TIME_LIMIT)))


def _solve_highs(milp: Milp, run: _Run) -> RawResult:
    """One HiGHS run of the MILP, with its status mapped to ours."""
    highspy = _import_highspy()
    h = _new_highs(highspy)
    _set_highs_options(h, run)
    lp = _highs_lp(highspy, milp, integer=True)
    start = time.perf_counter()
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (this is a bug in pairopt; please report it).")
    initial = run.initial
    if initial is not None:  # a known pairing: HiGHS prunes against it from the first node
        h.setSolution(len(initial), np.arange(len(initial), dtype=np.int32), initial)
    if run.on_solution is not None:
        h.cbMipImprovingSolution += _solution_reporter(run.on_solution, milp.num_cols)
    _run_interruptibly(h, milp.display_sense, run.stop_when)
    if h.getModelStatus() == highspy.HighsModelStatus.kSolveError:
        # HiGHS 1.16 accepts a MIP solution 1e-6 outside a bound and then rejects it at its
        # LP tolerance of 1e-7 as a 'Solve error' (seen on small fairness models): solve
        # again with the two tolerances equal, then without presolve, then at the default
        # tolerances (the verifier checks whatever comes back).
        if not run.mip_tight and not run.strict:
            return _solve_highs(milp, replace(run, mip_tight=True))
        if run.presolve:
            return _solve_highs(milp, replace(run, presolve=False))
        if run.strict:
            return _solve_highs(milp, replace(run, strict=False, mip_tight=True))
    raw = _highs_result(highspy, h, time.perf_counter() - start)
    if initial is None:
        return raw
    if not _consistent(milp, raw):
        # HiGHS 1.16 can hand back the start as its solution with the value of a better
        # one (seen when presolve solved the whole model): solve again without the start.
        raw = _solve_highs(milp, replace(run, initial=None, proof=False))
    if raw.status == Status.INFEASIBLE and run.presolve and run.cutoff is None:
        # The start satisfies the model: presolve erred (HiGHS 1.16's probing; see tests).
        return _solve_highs(milp, replace(run, presolve=False))
    return raw


def _solution_reporter(
    on_solution: Callable[[np.ndarray], None], num_cols: int
) -> Callable[[Any], None]:
    """A HiGHS callback that hands each improving solution (a copy, in the model's own
    columns) to `on_solution`, on the solver's thread."""

    def report(event: Any) -> None:
        values = np.array(event.data_out.mip_solution, dtype=float)
        if len(values) == num_cols:
            on_solution(values)

    return report


def _consistent(milp: Milp, raw: RawResult) -> bool:
    """Whether the values a run returned are worth the objective it reported."""
    if raw.values is None or raw.objective is None:
        return True
    value = float(milp.c @ raw.values)
    return abs(value - raw.objective) <= VALUE_AGREEMENT * max(1.0, abs(raw.objective))


def _set_highs_options(h: Any, run: _Run) -> None:
    """The run's limits, gap and tolerances as HiGHS options."""
    if run.proof:
        for option, value in PROOF_OPTIONS.items():
            h.setOptionValue(option, value)
    if not run.restart:
        h.setOptionValue("mip_allow_restart", False)
    if run.node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(run.node_limit))
    if run.cut_pool is not None:
        h.setOptionValue("mip_pool_soft_limit", int(run.cut_pool))
    if run.cutoff is not None:  # only pairings below it matter: prune every node above
        h.setOptionValue("objective_bound", float(run.cutoff))
    if not run.presolve:
        h.setOptionValue("presolve", "off")
    if run.mip_tight:
        h.setOptionValue("mip_feasibility_tolerance", TIGHT_MIP_TOLERANCE)
    h.setOptionValue("mip_rel_gap", float(run.mip_gap))
    if run.mip_gap == 0:
        h.setOptionValue("mip_abs_gap", EXACT_ABS_GAP)
    _limit_time(h, run.time_limit)
    if run.strict:  # the tie-break stage must not buy its secondary gain with primary slack
        h.setOptionValue("mip_feasibility_tolerance", STRICT_MIP_TOLERANCE)
        h.setOptionValue("primal_feasibility_tolerance", STRICT_TOLERANCE)


def _highs_result(highspy: Any, h: Any, seconds: float) -> RawResult:
    """What a finished HiGHS run found and proved; a run stopped by any limit is never
    called optimal."""
    status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=float) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    MS = highspy.HighsModelStatus
    if status == MS.kOptimal:
        return RawResult(
            Status.OPTIMAL, values, objective, bound if bound is not None else objective, seconds
        )
    if status in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
        return RawResult(Status.INFEASIBLE, None, None, None, seconds)
    if status in (
        MS.kTimeLimit,
        MS.kIterationLimit,
        MS.kSolutionLimit,
        MS.kInterrupt,
        MS.kObjectiveBound,
        MS.kObjectiveTarget,
        MS.kMemoryLimit,
    ):
        return RawResult(
            Status.LIMIT_FEASIBLE if has_solution else Status.LIMIT_NO_SOLUTION,
            values,
            objective,
            bound,
            seconds,
        )
    raise SolverError(
        f"HiGHS stopped with status '{h.modelStatusToString(status)}'. "
        "Fix: set solver.name to cbc, and report this scenario if it persists."
    )


@dataclass(frozen=True)
class LpSolution:
    """An optimal solution of the LP relaxation: objective, values and row duals."""

    objective: float
    values: np.ndarray
    row_dual: np.ndarray
    seconds: float


def solve_relaxation(milp: Milp, time_limit: float | None) -> LpSolution | None:
    """The LP relaxation solved by HiGHS, or None when it is not solved to optimality
    (infeasible, stopped, or HiGHS missing): callers then solve the MILP as it is."""
    try:
        highspy = _import_highspy()
    except SolverError:
        return None
    h = _new_highs(highspy)
    _limit_time(h, time_limit)
    start = time.perf_counter()
    if h.passModel(_highs_lp(highspy, milp, integer=False)) == highspy.HighsStatus.kError:
        return None
    _run_interruptibly(h, milp.display_sense)
    seconds = time.perf_counter() - start
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    return LpSolution(
        objective=float(h.getInfo().objective_function_value),
        values=np.asarray(solution.col_value, dtype=float),
        row_dual=np.asarray(solution.row_dual, dtype=float),
        seconds=seconds,
    )


def _highs_lp(highspy: Any, milp: Milp, integer: bool) -> Any:
    """The model as a HighsLp (column-wise arrays); without integrality for the relaxation."""
    lp = highspy.HighsLp()
    lp.num_col_ = milp.num_cols
    lp.num_row_ = milp.num_rows
    lp.col_cost_ = milp.c
    lp.col_lower_ = milp.lb
    lp.col_upper_ = milp.ub
    lp.row_lower_ = milp.row_lb
    lp.row_upper_ = milp.row_ub
    order = np.lexsort((milp.a_row, milp.a_col))
    starts = np.zeros(milp.num_cols + 1, dtype=np.int32)
    np.cumsum(np.bincount(milp.a_col, minlength=milp.num_cols), out=starts[1:])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = milp.a_row[order].astype(np.int32)
    lp.a_matrix_.value_ = milp.a_val[order]
    if integer:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in milp.integer
        ]
    return lp


StopWhen = Callable[[int, float | None, float | None], bool]
"""Asked about ten times a second during a HiGHS MIP: (nodes explored, best objective,
bound), in minimisation form; the run stops once it answers True."""

Progress = Callable[[float, float | None, float | None], None]
"""Called about ten times a second during a solve: (seconds, best objective, bound)."""

PROGRESS: ContextVar[Progress | None] = ContextVar("pairopt_progress", default=None)
# Every run at the strict feasibility tolerance (the levels of an order: at the default
# tolerance a level's optimum is off by up to 1e-6, and the next level spends that too).
STRICT: ContextVar[bool] = ContextVar("pairopt_strict", default=False)


@contextlib.contextmanager
def strict_tolerances() -> Iterator[None]:
    """Run every solve in the block at STRICT_TOLERANCE."""
    token = STRICT.set(True)
    try:
        yield
    finally:
        STRICT.reset(token)


StageTimes = list[tuple[str, float]]
STAGES: ContextVar[StageTimes | None] = ContextVar("pairopt_stages", default=None)


@contextlib.contextmanager
def recording_stages() -> Iterator[StageTimes]:
    """Within this block, each stage of a solve (LP, core, proof, tie-break, ...) appends
    (name, seconds) to the list yielded: where a solve spends its time, for benchmarks and
    for anyone asking why a scenario is slow."""
    times: StageTimes = []
    token = STAGES.set(times)
    try:
        yield times
    finally:
        STAGES.reset(token)


_STAGE_PATH: ContextVar[str] = ContextVar("pairopt_stage_path", default="")


@contextlib.contextmanager
def timed(name: str) -> Iterator[None]:
    """Record the block's seconds as stage `name` when stages are being recorded; a stage
    within another is recorded as "outer/inner" (the outer one's seconds include it)."""
    times = STAGES.get()
    if times is None:
        yield
        return
    path = f"{_STAGE_PATH.get()}{name}"
    token = _STAGE_PATH.set(f"{path}/")
    start = time.perf_counter()
    try:
        yield
    finally:
        times.append((path, time.perf_counter() - start))
        _STAGE_PATH.reset(token)


@contextlib.contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Within this block, solves report their progress to `progress` (the CLI's status
    line); the engine and model need not know."""
    token = PROGRESS.set(progress)
    try:
        yield
    finally:
        PROGRESS.reset(token)


def _run_interruptibly(h: Any, sense: float = 1.0, stop_when: StopWhen | None = None) -> None:
    """Run HiGHS on its own thread so that Ctrl-C (or SIGTERM, which the CLI turns into
    KeyboardInterrupt) stops the solve at its next callback instead of being ignored until
    it ends. highspy's own handler prints to stdout; this one stays silent. Reports
    progress (elapsed, best objective, bound) when a reporter is set. A run for which
    `stop_when` turns true is stopped (status: interrupted, with whatever it found)."""
    if threading.current_thread() is not threading.main_thread():
        _run_off_main(h, stop_when)
        return
    progress = PROGRESS.get()
    latest: dict[str, float] = {}
    if progress is not None or stop_when is not None:

        def record(event: Any) -> None:
            data = event.data_out
            latest["best"], latest["bound"] = data.mip_primal_bound, data.mip_dual_bound
            latest["nodes"] = data.mip_node_count

        h.cbMipInterrupt += record
    h.HandleUserInterrupt = True
    started = time.perf_counter()
    h.startSolve()
    stopped = finished = False
    try:
        while not h.wait(POLL_SECONDS)[0]:
            raw_best, raw_bound = latest.get("best"), latest.get("bound")
            best = raw_best if raw_best is not None and math.isfinite(raw_best) else None
            bound = raw_bound if raw_bound is not None and math.isfinite(raw_bound) else None
            nodes = int(latest.get("nodes", 0))
            if stop_when is not None and not stopped and stop_when(nodes, best, bound):
                h.cancelSolve()
                stopped = True
            if progress is not None:
                progress(
                    time.perf_counter() - started,
                    None if best is None else sense * best,
                    None if bound is None else sense * bound,
                )
        finished = True
    except KeyboardInterrupt:
        h.cancelSolve()
        # A second Ctrl-C (or a SIGTERM) must not cut this wait short: a solver thread
        # still running when Python exits aborts the process.
        while not _uninterrupted(lambda: h.wait(POLL_SECONDS)[0]):
            pass
        finished = True
        raise
    finally:
        # While user interrupts are on, highspy keeps a bound method of h among h's own
        # callbacks: a reference cycle, so h and all its solver memory (model, presolve,
        # factorisation) would outlive this run until Python's cyclic collector ran.
        # Only once the run has ended: its thread reads those callbacks while it runs.
        if finished:
            h.HandleUserInterrupt = False


def _uninterrupted(wait: Callable[[], bool]) -> bool:
    """`wait()`, with a KeyboardInterrupt during it read as 'not yet' (the caller is already
    stopping; see _run_interruptibly)."""
    try:
        return wait()
    except KeyboardInterrupt:
        return False


def _run_off_main(h: Any, stop_when: StopWhen | None) -> None:
    """A run on a thread other than the main one (a check racing a solve, race.py). highspy
    lets only one solve at a time use its solve thread (one lock for every instance), and
    Ctrl-C never reaches this thread, so HiGHS runs right here (it releases Python's lock
    while it works) and `stop_when` is asked from HiGHS's own interrupt callbacks, at most
    as often as the main thread's loop asks it: the MIP's, and the simplex's during long
    LP solves (asked there with no pairing and no bound, so a cancelled check stops soon
    after a Ctrl-C whatever it is doing). A task's CANCEL event stops its runs the same way."""
    cancel = CANCEL.get()
    if cancel is not None:
        asked_too = stop_when

        def stop_when(nodes: int, best: float | None, bound: float | None) -> bool:
            return cancel.is_set() or (asked_too is not None and asked_too(nodes, best, bound))

    if stop_when is not None:
        asked = [0.0]
        mip_type = _import_highspy().cb.HighsCallbackType.kCallbackMipInterrupt

        def ask(event: Any) -> None:
            now = time.perf_counter()
            if now - asked[0] < POLL_SECONDS:
                return
            asked[0] = now
            data = event.data_out
            mip = event.callback_type == mip_type
            best, bound = data.mip_primal_bound, data.mip_dual_bound
            if stop_when(
                int(data.mip_node_count) if mip else 0,
                best if mip and math.isfinite(best) else None,
                bound if mip and math.isfinite(bound) else None,
            ):
                event.interrupt()

        h.cbMipInterrupt += ask
        h.cbSimplexInterrupt += ask
    # HiGHS makes one thread pool per calling thread at its first run there and refuses
    # another count after (a status of error); a long-lived thread (a Dask worker's) may
    # have made it before use_threads changed the count. (startSolve runs on a new thread.)
    threads = _threads_now()
    made = getattr(_pool, "threads", None)
    if made is not None and made != threads:
        _import_highspy().Highs.resetGlobalScheduler(True)
    _pool.threads = threads
    h.run()


# --------------------------------------------------------------------------- CBC


def _stop_children(name: str, grace: float = 2.0) -> None:
    """Terminate our child processes called `name` (the CBC binary PuLP started) and wait
    for them to exit, killing them after `grace` seconds, so an interrupted run leaves no
    solver behind. Linux /proc only; elsewhere a no-op."""
    me = str(os.getpid())
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split()
        except OSError:
            continue
        if len(fields) > 3 and fields[3] == me and name in fields[1]:
            children.append(int(fields[0]))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while children and time.monotonic() < deadline:
            children = [pid for pid in children if not _reaped(pid)]
            time.sleep(0.05)
        if not children:
            return


def _reaped(pid: int) -> bool:
    """True once the child has exited (reaping it if it is a zombie)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _cbc(**options: object) -> object:
    """PuLP's bundled-CBC interface (deprecated for PuLP 4, which we do not use yet)."""
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(**options)


@functools.cache
def cbc_info() -> SolverInfo | None:
    """CBC's version, once per process (probing runs the binary)."""
    try:
        import pulp  # noqa: F401
    except ImportError:
        return None
    solver: Any = _cbc(msg=False)
    if not solver.available():
        return None
    return SolverInfo(CBC, _cbc_version(solver.path))


def _cbc_version(path: str) -> str:
    import subprocess

    try:
        out = subprocess.run(
            [path, "-quit"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = re.search(r"Version:\s*(\S+)", out)
    return match.group(1) if match else "unknown"


_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s*(\S+)", re.MULTILINE)


def _solve_cbc(milp: Milp, run: _Run) -> RawResult:
    """One CBC run of the MILP through PuLP (CBC ignores `initial`, `stop_when`,
    `cut_pool` and `proof`)."""
    try:
        import pulp
    except ImportError as exc:
        raise SolverError(
            "CBC needs the pulp package. Fix: pip install pulp, or set solver.name to highs."
        ) from exc
    solver_probe: Any = _cbc(msg=False)
    if not solver_probe.available():
        raise SolverError(
            f"the CBC binary is missing or not executable ({solver_probe.path}). "
            "Fix: set solver.name to highs, or reinstall pulp."
        )
    with warnings.catch_warnings():
        # PuLP 3.3 warns about its own API changing in PuLP 4; we pin pulp<4.
        warnings.simplefilter("ignore", DeprecationWarning)
        prob, cols = _cbc_problem(pulp, milp)
    return _run_cbc(pulp, prob, cols, milp, run)


def _cbc_problem(pulp: Any, milp: Milp) -> tuple[Any, list[Any]]:
    prob = pulp.LpProblem("pairing", pulp.LpMinimize)
    cols = [
        pulp.LpVariable(
            f"v{j}",
            lowBound=float(milp.lb[j]),
            upBound=None if np.isinf(milp.ub[j]) else float(milp.ub[j]),
            cat=pulp.LpInteger if milp.integer[j] else pulp.LpContinuous,
        )
        for j in range(milp.num_cols)
    ]
    nz = np.flatnonzero(milp.c)
    prob += pulp.LpAffineExpression([(cols[j], float(milp.c[j])) for j in nz]) if len(nz) else 0
    order = np.argsort(milp.a_row, kind="stable")
    bounds = np.searchsorted(milp.a_row[order], np.arange(milp.num_rows + 1))
    for i in range(milp.num_rows):
        idx = order[bounds[i] : bounds[i + 1]]
        expr = pulp.LpAffineExpression([(cols[milp.a_col[k]], float(milp.a_val[k])) for k in idx])
        lo, hi = milp.row_lb[i], milp.row_ub[i]
        if lo == hi:
            prob += expr == float(lo), f"r{i}"
        else:
            if np.isfinite(lo):
                prob += expr >= float(lo), f"r{i}l"
            if np.isfinite(hi):
                prob += expr <= float(hi), f"r{i}u"
    return prob, cols


def _run_cbc(
    pulp: Any, prob: Any, cols: list[Any], milp: Milp, run: _Run, preprocess: bool = False
) -> RawResult:
    """Run CBC on the PuLP problem and read back what it found and proved."""
    with tempfile.TemporaryDirectory(prefix="pairopt-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        solver = _cbc_solver(run, str(log), preprocess, tmp)
        start = time.perf_counter()
        try:
            prob.solve(solver)
        except KeyboardInterrupt:
            _stop_children("cbc")  # the CBC binary's process name
            raise
        except pulp.PulpSolverError as exc:
            # Without preprocessing, CBC 2.10.3 can crash (segmentation fault) on a model it
            # finds infeasible while tightening bounds (regression
            # cbc_crash_without_preprocessing); its defaults then get the one retry.
            if not preprocess:
                spent = time.perf_counter() - start
                limit = run.time_limit
                left = None if limit is None else max(limit - spent, MIN_TIME_LIMIT)
                return _run_cbc(pulp, prob, cols, milp, replace(run, time_limit=left), True)
            raise SolverError(f"CBC failed: {exc}. Fix: set solver.name to highs.") from exc
        seconds = time.perf_counter() - start
        text = log.read_text(errors="replace") if log.exists() else ""
    return _cbc_result(pulp, prob, cols, milp, seconds, text)


def _cbc_solver(run: _Run, log: str, preprocess: bool, folder: str) -> object:
    """PuLP's CBC command for one run, logging to `log` (where the bound is read from)."""
    solver: Any = _cbc(
        msg=False,
        timeLimit=run.time_limit,
        gapRel=run.mip_gap,
        gapAbs=EXACT_ABS_GAP if run.mip_gap == 0 else None,
        logPath=log,
        threads=1,
        maxNodes=run.node_limit,
        keepFiles=False,
        # CBC 2.10.3's preprocessing proved a wrong optimum on a 3x4 scenario (regression
        # cbc_preprocessing_wrong_optimum in tests/test_property.py); a proof must be
        # right before it is fast, so it stays off though the proof takes longer.
        options=([] if preprocess else ["preprocess off"])
        + ([f"primalTolerance {STRICT_TOLERANCE}"] if run.strict else []),
    )
    # PuLP writes the model and solution files to /tmp and removes them only when CBC
    # returns; in our folder they go with it, also when the run is interrupted.
    solver.tmpDir = folder
    return solver


def _cbc_result(
    pulp: Any, prob: Any, cols: list[Any], milp: Milp, seconds: float, log: str
) -> RawResult:
    """CBC's statuses mapped to ours: optimal only when both PuLP's status and its solution
    status say so (a time-limited run is "Optimal" to PuLP); the bound comes from the log."""
    status, sol_status = prob.status, prob.sol_status
    if status == pulp.LpStatusInfeasible:
        return RawResult(Status.INFEASIBLE, None, None, None, seconds)
    if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        values = np.array([v.varValue if v.varValue is not None else 0.0 for v in cols])
        objective = float(milp.c @ values)
        match = _CBC_BOUND.search(log)
        bound = float(match.group(1)) if match else None
        if sol_status == pulp.LpSolutionOptimal and status == pulp.LpStatusOptimal:
            # Stopped by a mip_gap, CBC logs the bound it proved; with none, it proved
            # its pairing optimal.
            proven = objective if bound is None else min(bound, objective)
            return RawResult(Status.OPTIMAL, values, objective, proven, seconds)
        return RawResult(Status.LIMIT_FEASIBLE, values, objective, bound, seconds)
    if status == pulp.LpStatusNotSolved:
        return RawResult(Status.LIMIT_NO_SOLUTION, None, None, None, seconds)
    raise SolverError(
        f"CBC stopped with status '{pulp.LpStatus[status]}'. Fix: set solver.name "
        "to highs, and report this scenario if it persists."
    )


# --------------------------------------------------------------------------- driver


def solver_info(name: str) -> SolverInfo | None:
    """The named solver's version, or None when it cannot run here."""
    if name == HIGHS:
        return highs_info()
    if name == CBC:
        return cbc_info()
    raise ValueError(name)


def run_milp(
    name: str,
    milp: Milp,
    time_limit: float | None,
    mip_gap: float,
    strict: bool = False,
    initial: np.ndarray | None = None,
    node_limit: int | None = None,
    stop_when: StopWhen | None = None,
    cut_pool: int | None = None,
    proof: bool = False,
    cutoff: float | None = None,
    on_solution: Callable[[np.ndarray], None] | None = None,
    restart: bool = True,
) -> RawResult:
    """One solver run. `initial` is a feasible solution HiGHS may use as its first incumbent
    (CBC ignores it); `node_limit` caps branch-and-bound nodes, a limit that, unlike time,
    stops at the same place on every run; `stop_when` may stop a HiGHS run early, from
    its progress (CBC ignores it); `cut_pool` is HiGHS's soft limit on the cuts its pool
    keeps (CBC ignores it); `proof` says the run is to prove rather than to search (from a
    nearly optimal `initial`, or below a `cutoff`), so HiGHS spends it on the bound
    (PROOF_OPTIONS; CBC ignores it); `cutoff` makes HiGHS search only below that value of
    c.v: "infeasible" then means nothing costs less, and a pairing it returns at or above
    the cutoff is no answer (CBC ignores it); `on_solution` is handed each improving
    solution HiGHS finds, from the solver's own thread (CBC ignores it); `restart=False`
    keeps HiGHS from restarting its root after fixing columns (CBC ignores it)."""
    if milp.num_cols == 0:
        # Nothing to decide (every recipient needs nothing and has no candidate): the empty
        # pairing is optimal if every row admits zero. Solvers treat this as a special case.
        ok = bool(np.all(milp.row_lb <= ROUNDING) and np.all(milp.row_ub >= -ROUNDING))
        if ok:
            return RawResult(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0)
        return RawResult(Status.INFEASIBLE, None, None, None, 0.0)
    strict = strict or STRICT.get()
    run = _Run(
        time_limit,
        mip_gap,
        strict,
        initial,
        node_limit,
        stop_when,
        cut_pool,
        proof,
        cutoff,
        on_solution,
        restart,
    )
    if name == HIGHS:
        return _solve_highs(milp, run)
    if name == CBC:
        return _solve_cbc(milp, run)
    raise SolverError(f"unknown solver '{name}'. Fix: use one of {', '.join(SOLVERS)}.")
