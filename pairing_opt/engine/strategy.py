"""How a pairing model is solved: a small core first, a proof on the pairs that can matter,
then a tie-break among equally good pairings.

With HiGHS, the LP relaxation's duals bound what each pair costs to use (bounds.py). The
first MILP keeps only the pairs that look nearly free in the LP (often a few per
recipient); its pairing P is feasible for the whole model. The proof then solves the model
restricted to every pair that can appear in a pairing as good as P, starting from P; the
pairs left out are proven unable to improve on it, so an optimum of the restricted model is
an optimum of the whole one, and the bound reported covers both parts. The tie-break
re-solve is restricted the same way (only pairs that fit under the objective cap can take
part). With HiGHS and a sum objective, a check comes first: the best pairing with a
different pair set (a no-good cut), searched only below the cap (a cutoff) and run as a
proof; when there is none, the pair set found is the only one and the re-solve is
skipped. The re-solve starts from the proven pairing. With an exact proof asked for
(mip_gap 0), that check is the proof: it runs on the core's pairing P directly (below
P's cap), so where P is the optimum one MILP proves both that and that no other pair set
ties with it, in less time than a separate proof and check (on small models it starts
from the core's best other pairing).
Without HiGHS (CBC), or when the LP proves nothing, the whole model is solved as it is.

With one donor per recipient (the Generalized Assignment Problem) the first solve is always
the whole model: there the LP gap is wider, and restricted models measured slower than
the whole one, as HiGHS's own root reduced-cost fixing already does the job. Under a time
limit, a whole model unproven at half the limit with a gap above 0.1% (or still at its root
node at a fifth) hands the rest of the time to a neighbourhood search for a better pairing
(search.py), keeping the solver's bound.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import SolverError
from .backends import (
    CBC,
    HIGHS,
    PROGRESS,
    SOLVERS,
    TIE_SLACK,
    Outcome,
    RawResult,
    SolverInfo,
    Status,
    StopWhen,
    relative_gap,
    reporting,
    run_milp,
    solve_relaxation,
    solver_info,
    timed,
)
from .bounds import PairBounds, pair_bounds, restrict
from .model import INF, Milp, PairingModel, raised_flags
from .race import Racer
from .search import GAP_CUT_POOL, MIN_RUN_SECONDS, improve

# Widths (relative to the LP bound) of the first core; the next is tried while a core
# has no feasible pairing, and the whole model once a core would hold more than
# CORE_MAX_SHARE of the pairs: such a core is nearly as hard as the whole model, and the
# proof after it is a second solve of that size.
CORE_WIDTHS = (1e-6, 1e-4, 1e-2)
CORE_MAX_SHARE = 0.3
# A wider core is tried only while the pairs that could beat the incumbent outnumber the
# core REFINE_RATIO times: at 4, Hubei-size models spent more in wider cores than the proof
# they were meant to shorten (benchmarks/README.md, git history). It reaches out to a
# REFINE_REACH-th of the incumbent's gap to the LP bound (a smaller reach made cores that
# took longer than the proof).
REFINE_RATIO = 8.0
REFINE_REACH = 4.0
REFINE_MAX_SHARE = 0.6
REFINE_STEP = 100.0  # each wider core reaches at most this many times further in gain
# Nor unless those pairs number more than this: a proof over fewer costs less than a wider
# core first (benchmarks/README.md, "Scenario variants").
WIDEN_MIN_PAIRS = 4000
# With one donor per recipient and a time limit, the share of the limit the whole model gets
# before a neighbourhood search takes over (search.py), and the share after which it hands
# over early if its branch-and-bound has not yet left the root node (a large model can spend
# the whole limit there).
SEARCH_AFTER = 0.5
ROOT_HANDOVER = 0.2
HELD_MARGIN = 1e-9  # relative: the least uncovered need, held to the LP's feasibility tolerance
SEARCH_MIN_GAP = 1e-3  # at half the limit, a gap this small keeps the whole model going
# The proof by exclusion starts from the best other pairing of the core, run as a proof
# (run_milp's `proof`), when it keeps at most this many pairs: below it, that start is cheap
# to find and makes the proof several times faster; above it, finding the start itself
# costs seconds, and a proof from a start slightly above the optimum may not finish (the
# measurements are in git history of benchmarks/README.md).
PROOF_MAX_PAIRS = 500
TIE_BREAK_NODES = 1000  # branch-and-bound nodes the tie-break may use (a deterministic cap)
# Nodes the uniqueness check may use. It runs as a proof (no restarts or sub-MIP
# heuristics: it looks for no pairing, only for proof that none is under the cap), which
# takes more nodes and less time than a search; at 1000 some checks stopped short.
CHECK_NODES = 5000
CUTOFF_MARGIN = 1e-6  # relative: see _cutoff
# How precisely each solver reports values, relative to each value: HiGHS hands back doubles;
# CBC 2.10 writes its solution file as "%15.8g" (8 significant digits), so a value may be
# off by half a unit in the 8th digit, and so may an objective summed from them.
REPORTED_PRECISION = {HIGHS: 0.0, CBC: 5e-8}
GAP_ROUNDING = 1e-12  # a relative gap within this of mip_gap meets it (round-off)


class _Clock:
    """Time left of an optional limit, shared by every stage of one solve."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float | None:
        return None if self.limit is None else self.limit - self.elapsed()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.01


@contextlib.contextmanager
def _stage(
    clock: _Clock,
    name: str,
    lp_bound: float | None = None,
    sense: float = 1.0,
    proven: tuple[float, float | None] | None = None,
    incumbent: float | None = None,
) -> Iterator[None]:
    """Progress of one stage on the solve's own clock. A restricted model's bound is not a
    bound on the whole model, so those stages show the LP bound instead. After the proof,
    the tie-break stage solves other problems (other pairings, a secondary objective), so
    it shows the `proven` (best, bound) from its start and only moves the clock. A stage
    that looks for the best pairing other than a known one (minimisation-form value
    `incumbent`) shows the better of the two, and the lower of the known value and the
    solver's bound (never below the LP bound): pairings left out cost more than the
    known one. Time is the clock's, so a stage within another (the tie-break's own solve)
    shows the same clock."""
    progress = PROGRESS.get()
    if progress is None:
        with timed(name):
            yield
        return

    def shifted(_seconds: float, best: float | None, bound: float | None) -> None:
        if proven is not None:
            best, bound = proven
        elif incumbent is not None:
            found = math.inf if best is None else sense * best
            rest = -math.inf if bound is None else sense * bound
            best = sense * min(found, incumbent)
            floor = -math.inf if lp_bound is None else lp_bound
            bound = sense * max(floor, min(incumbent, rest))
        elif lp_bound is not None:
            bound = sense * lp_bound
        progress(clock.elapsed(), best, bound)

    if proven is not None:
        shifted(0.0, None, None)
    with reporting(shifted), timed(name):
        yield


def solve_model(
    model: PairingModel,
    name: str,
    time_limit: float | None,
    mip_gap: float,
    settle_slack: Callable[[float], float] | None = None,
) -> Outcome:
    """Solve, then (when the objective leaves ties) re-solve among the pairings at least as
    good as the one found, minimising the secondary objective, so the pairing returned is
    the same whatever order the solver explored. A pair set shown to be the only one that
    good needs no re-solve. `settle_slack(v)`, for a level of an order, asks the proof by
    exclusion to also show whether any other pair set costs at most v + settle_slack(v)
    (Outcome.alone)."""
    info = _available(name)
    clock = _Clock(time_limit)
    useful = not model.single_donor or model.secondary is not None
    bounds = _lp_pair_bounds(model, clock) if name == HIGHS and useful else None
    # A sum objective with ties to break, HiGHS and an exact proof: the proof itself can
    # be the uniqueness check (see _prove_by_exclusion).
    check = name == HIGHS and not model.ties_as_rule
    exclusive = check and mip_gap == 0 and (model.secondary is not None or settle_slack is not None)
    first, alone = _solve_primary(model, name, mip_gap, clock, bounds, exclusive, settle_slack)

    def outcome(values: np.ndarray | None, tie: str) -> Outcome:
        if values is not None:
            with timed("shares"):
                values = _tight_terms(model, name, values)
        found = _outcome(model, first, values, tie, clock.elapsed(), info)
        return replace(found, alone=alone) if settle_slack is not None else found

    if first.values is None or first.objective is None:
        return outcome(None, "not needed")
    if model.secondary is None:
        return outcome(first.values, "skipped")
    # The tie-break only polishes a proven pairing. It is capped in branch-and-bound nodes,
    # not seconds, so that without a time limit it stops at the same pairing on a busy
    # machine as on an idle one (a time budget made the output depend on the load); a
    # stopped tie-break keeps its best pairing and says "stopped at limit".
    remaining = clock.remaining()
    if remaining is not None and remaining <= MIN_RUN_SECONDS:
        return outcome(first.values, "stopped at limit")
    slack = _tie_slack(model, name, first.objective, first.values)
    with timed("shares"):
        level, own = _tie_level(model, name, first)
    cap = level + slack
    picked, tie = _tie_break(model, name, first, cap, bounds, alone, check, clock)
    if picked is None:
        return outcome(first.values, "stopped at limit")
    with timed("shares"):
        values = _exact_shares(model, name, first, picked, slack, own)
    return outcome(first.values, "rejected") if values is None else outcome(values, tie)


def _available(name: str) -> SolverInfo:
    """The solver's version; a solver that cannot run here is an error naming the other."""
    info = solver_info(name)
    if info is None:
        other = next(s for s in SOLVERS if s != name)
        raise SolverError(
            f"solver '{name}' is not available here. Fix: set solver.name to {other} "
            "(see `pairopt solvers`)."
        )
    return info


def _outcome(
    model: PairingModel,
    raw: RawResult,
    values: np.ndarray | None,
    tie: str,
    seconds: float,
    info: SolverInfo,
) -> Outcome:
    """The answer in the objective's own sense and unit (the solver minimises the scaled
    model: see PairingModel.scale). The objective is that of the pairing returned: under a
    mip_gap the tie-break may return a pairing better than the first one (any pairing
    under its cap), and the first's objective would then not match it."""
    objective = raw.objective if values is None else float(model.milp.c @ values)
    return Outcome(
        status=raw.status,
        values=values,
        objective=None if objective is None else model.unscaled(objective),
        bound=None if raw.bound is None else model.unscaled(raw.bound),
        seconds=seconds,
        solver=info,
        tie_break=tie,
    )


def _tie_break(
    model: PairingModel,
    name: str,
    first: RawResult,
    cap: float,
    bounds: PairBounds | None,
    alone: bool | None,
    check: bool,
    clock: _Clock,
) -> tuple[np.ndarray | None, str]:
    """The pairing with the least secondary cost among those with c.v <= cap (None if the
    run found none), and "done" when that is proven, else "stopped at limit"; the first
    pairing and "rejected" when the solver calls the capped model infeasible. `alone`
    says what the primary solve already knows: True, its pair set is the only one under
    the cap; False, it is not (or the check gave up); None, nothing yet."""
    assert first.values is not None and first.objective is not None
    assert model.secondary is not None
    kept = None if bounds is None else bounds.keep(cap)  # no pair outside fits under the cap
    # A sum over pairs with real-valued costs rarely ties, and proving that no other pair set
    # fits under the cap usually takes less time than the capped re-solve it replaces (not
    # on every scenario, see benchmarks/README.md). A minimax objective (max_distance,
    # balance) is set by one pair and nearly always ties, as do the terms of TIED_TERMS,
    # so there the check would only find a tie. A proof by exclusion may already have
    # settled it.
    proven = _shown(model, first)
    if check and alone:
        progress = PROGRESS.get()
        if progress is not None:  # the status line ends on the proven values
            progress(clock.elapsed(), *proven)
        return first.values, "done"  # the proof showed its pair set alone under the cap
    if check and alone is None:
        with _stage(clock, "tie-check", proven=proven):
            alone = _alone_under_cap(model, first.values, cap, kept, clock)
        if alone:
            return first.values, "done"  # the only pair set under the cap: no tie
    with _stage(clock, "tie-break", proven=proven):
        tied = model.milp.with_objective_cap(model.milp.c, cap, model.secondary)
        if kept is not None:
            tied = restrict(model, kept, tied)
        # The proven pairing is within the cap: a start that prunes from the first node.
        # No restart: once a sub-MIP finds the least secondary cost, HiGHS fixed most pairs
        # by reduced cost and restarted its root for them, which cost more than it saved.
        second = run_milp(
            name,
            tied,
            clock.remaining(),
            0.0,
            node_limit=TIE_BREAK_NODES,
            initial=first.values,
            restart=False,
        )
    if second.status == Status.INFEASIBLE:  # the first pairing is under the cap: keep it
        return first.values, "rejected"
    return second.values, "done" if second.status == Status.OPTIMAL else "stopped at limit"


def _tight_terms(model: PairingModel, name: str, values: np.ndarray) -> np.ndarray:
    """The values with each term's own columns (a minimax value, fairness's highest and
    lowest) as good as the pairing allows. A term weighted so little that its costs fall
    under the solver's tolerances (a Pareto point's tiny weight on max_distance: about
    1e-7 per km) is left anywhere up to its cap, and a fairness flag w at 0 where the pairs
    allow 1 holds the lowest utilisation at 0: the value must be the pairing's own, as the
    verifier computes it. An LP with the pairs and shares held, at unit costs of the sign
    of the objective's; flags rounded up (model.raised_flags)."""
    milp = model.milp
    flags = model.flag_cols()
    free = model.term_cols() | flags
    costs = np.sign(milp.c) * free
    if not np.any(costs):
        return values
    lb = np.where(free, milp.lb, values)
    ub = np.where(free, milp.ub, values)
    relaxed = replace(milp, lb=lb, ub=ub, c=costs, integer=np.zeros(milp.num_cols, dtype=bool))
    raw = run_milp(name, relaxed, None, 0.0, strict=True)
    if raw.status != Status.OPTIMAL or raw.values is None:
        return values
    tight = np.where(free, raw.values, values)
    tight[flags] = raised_flags(tight[flags], milp.lb[flags], milp.ub[flags])
    # Only ever an improvement: a term's value lowered, no pair or share moved.
    return tight if float(milp.c @ tight) <= float(milp.c @ values) else values


def _shown(model: PairingModel, raw: RawResult) -> tuple[float, float | None]:
    """A proven run's (best, bound) in the objective's own sense, for the progress line."""
    assert raw.objective is not None
    shown = model.milp.display_sense
    return shown * raw.objective, None if raw.bound is None else shown * raw.bound


def _exact_shares(
    model: PairingModel,
    name: str,
    first: RawResult,
    picked: np.ndarray,
    slack: float,
    own: RawResult | None,
) -> np.ndarray | None:
    """The tie-break's pairing with exact shares, or None when it is rejected. The MILP
    picks the pair set; its shares carry the solver's feasibility tolerance, which could buy
    secondary gains with primary slack. Exact shares come from LPs over each pair set at
    strict tolerances (`own`: that of the first pairing's, see _tie_level), and the new set
    is kept only if it is as good."""
    assert first.values is not None and first.objective is not None
    chosen = model.used(picked)
    if model.single_donor:  # the pair set fixes every value but a minimax one
        if model.minimax:  # which the tie-break leaves anywhere up to its cap: tighten it
            tight = _pair_set_lp(name, model, chosen, model.milp.c, None)
            picked = picked if tight is None or tight.values is None else tight.values
        if float(model.milp.c @ picked) > first.objective + 2 * slack:
            return None
        return picked
    same = np.array_equal(chosen, model.used(first.values))
    exact = own if same else _pair_set_lp(name, model, chosen, model.milp.c, None)
    if exact is None or exact.objective is None:
        return None
    level = exact.objective
    if not same:
        previous = own
        if previous is None or previous.objective is None:
            return None
        if level > previous.objective + slack:
            return None
    assert exact.values is not None
    return _polished_shares(model, name, chosen, exact.values, level + slack, slack)


def _polished_shares(
    model: PairingModel, name: str, chosen: np.ndarray, values: np.ndarray, cap: float, slack: float
) -> np.ndarray:
    """Within the chosen pair set, the shares with the least secondary cost (objective kept
    within `cap`): splits of the same pairs can tie too. Kept only if, with every value
    inside its bounds, the objective is still within the cap (and `slack` more): a value a
    feasibility tolerance below its bound, on a column with a large cost (a shortfall at a
    high price), could otherwise pay for a worse primary term the verifier then sees."""
    secondary = model.secondary
    assert secondary is not None
    share_cols = model.other_cols()
    if not np.any(secondary[share_cols]):
        return values
    # A primary that only counts pairs is constant here: no cap, so no slack to spend.
    milp = model.milp
    constant = not np.any(milp.c[share_cols])
    # Need uncovered at a price is part of the primary: the tie margin must not buy a
    # shorter distance by leaving more of it uncovered. The least uncovered need within
    # the cap comes first, then the least secondary cost: a split the same in any unit
    # (a hold at the exact shares' own values kept whichever of tied splits that LP hit).
    held = None
    if model.short_cols is not None and model.short_need is not None:
        short = np.zeros(milp.num_cols)
        short[model.short_cols[model.short_cols >= 0]] = model.short_need
        try:
            least = _pair_set_lp(name, model, chosen, short, None if constant else cap)
        except SolverError:  # a polish, never a reason to fail: the exact shares stand
            return values
        if least is not None and least.values is not None:
            bound = float(short @ least.values)
            held = (short, bound + HELD_MARGIN * max(1.0, abs(bound)))
    try:
        polished = _pair_set_lp(name, model, chosen, secondary, None if constant else cap, held)
    except SolverError:
        return values
    if polished is None or polished.values is None:
        return values
    inside = np.clip(polished.values, milp.lb, milp.ub)
    if not constant and float(milp.c @ inside) > cap + slack:
        return values
    return polished.values


def _tie_level(model: PairingModel, name: str, raw: RawResult) -> tuple[float, RawResult | None]:
    """The value the tie margin starts from, and the LP of the pairing's pair set at strict
    tolerances (None with one donor per recipient, where the pair set fixes the values). The
    solver's shares may undercut a share bound by its feasibility tolerance (0.19999999 for
    a min_share of 0.2), so its value can lie below the exact value of its own pair set and
    of every pairing tied with it: a margin from there would hide the ties. It starts from
    the exact value when that is higher."""
    assert raw.values is not None and raw.objective is not None
    if model.single_donor:
        return raw.objective, None
    own = _pair_set_lp(name, model, model.used(raw.values), model.milp.c, None)
    if own is None or own.objective is None:
        return raw.objective, own
    return max(raw.objective, own.objective), own


def _tie_slack(model: PairingModel, name: str, objective: float, values: np.ndarray) -> float:
    """How far above the optimum a pairing still ties with it. A cap below the pairing's
    own value (CBC's rounded values once put it there) would leave the tie-break nothing to
    choose from: the slack covers the reported values' rounding too."""
    rounding = REPORTED_PRECISION[name] * float(np.abs(model.milp.c) @ np.abs(values))
    return TIE_SLACK * max(1.0, abs(objective)) + rounding


def pair_set_alone(
    model: PairingModel, used: np.ndarray, cap: float, time_limit: float | None
) -> bool:
    """True when no pairing whose pair set differs from `used` (a mask of the model's pairs)
    has c.v <= `cap` (minimisation form, scaled): proven by HiGHS, at most the tie check's
    nodes. False when there is one, or when it was not proven in time."""
    values = np.zeros(model.milp.num_cols)
    values[model.x_col[used]] = 1.0
    return _alone_under_cap(model, values, cap, None, _Clock(time_limit))


def _alone_under_cap(
    model: PairingModel,
    values: np.ndarray,
    cap: float,
    kept: np.ndarray | None,
    clock: _Clock,
    cancel: threading.Event | None = None,
) -> bool:
    """True when no pairing with another pair set has c.v <= cap, proven by the best pairing
    that differs from `values` in at least one pair (a no-good cut). Stops at the first
    pairing under the cap (a tie, so the tie-break must run) and gives up at the tie-break's
    node cap; both answer False, as does a check stopped by `cancel`."""
    other = _other_pair_sets(model, values, kept)

    def tie_found(nodes: int, best: float | None, bound: float | None) -> bool:
        if cancel is not None and cancel.is_set():
            return True
        # HiGHS reports its cutoff (above the cap) as its best until it finds a pairing.
        return best is not None and best <= cap

    raw = run_milp(
        HIGHS,
        other,
        clock.remaining(),
        0.0,
        node_limit=CHECK_NODES,
        stop_when=tie_found,
        cutoff=_cutoff(cap),
        proof=True,
    )
    return _none_under(raw, cap)


def _cutoff(cap: float) -> float:
    """The cutoff of a run that looks for pairings at or under `cap`: above it by a margin
    far beyond HiGHS's own tolerances, since HiGHS keeps only pairings that improve on its
    cutoff by its tolerance and a pairing exactly at the cap must still be found; what is
    at or under the cap is decided here, from the values."""
    return cap + CUTOFF_MARGIN * max(1.0, abs(cap))


def _none_under(raw: RawResult, cap: float) -> bool:
    """Whether a run with a cutoff above `cap` (see _cutoff) proved that no pairing costs
    `cap` or less. HiGHS searches only below its cutoff and answers "infeasible" when it
    finds nothing there, or "optimal" with the best pairing it found; having found nothing
    below the cutoff it may also return one above it, called optimal, whose bound is no
    bound. Either way only a pairing at or under the cap counts."""
    if raw.status == Status.INFEASIBLE:
        return True
    return raw.status == Status.OPTIMAL and raw.objective is not None and raw.objective > cap


def _other_pair_sets(model: PairingModel, values: np.ndarray, kept: np.ndarray | None) -> Milp:
    """The model with the pair set of `values` cut off (a no-good cut), over the `kept`
    pairs only (all when None): its optimum is the best pairing with another pair set."""
    other = model.without(model.used(values)).milp
    return other if kept is None else restrict(model, kept, other)


def _pair_set_lp(
    name: str,
    model: PairingModel,
    used: np.ndarray,
    costs: np.ndarray,
    cap: float | None,
    held: tuple[np.ndarray, float] | None = None,
) -> RawResult | None:
    """The best shares for a fixed pair set: minimise `costs`, keeping the objective within
    `cap` when given, and `held` (a, b) as a . v <= b; strict tolerances. None when no
    split is feasible."""
    milp = model.milp
    lb, ub = milp.lb.copy(), milp.ub.copy()
    lb[model.x_col] = ub[model.x_col] = used.astype(float)
    fixed = replace(milp, lb=lb, ub=ub)
    if held is not None:
        fixed = fixed.with_row(held[0], -INF, held[1])
    if cap is not None:
        fixed = fixed.with_objective_cap(milp.c, cap, costs)
    else:
        fixed = replace(fixed, c=costs)
    raw = run_milp(name, fixed, None, 0.0, strict=True)
    return raw if raw.status == Status.OPTIMAL and raw.values is not None else None


def _lp_pair_bounds(model: PairingModel, clock: _Clock) -> PairBounds | None:
    """The LP relaxation's bounds on each pair, or None when the LP proves nothing."""
    if model.milp.num_cols == 0:
        return None
    with _stage(clock, "lp"):
        lp = solve_relaxation(model.milp, clock.remaining())
    return None if lp is None else pair_bounds(model, lp.row_dual)


def _solve_primary(
    model: PairingModel,
    name: str,
    mip_gap: float,
    clock: _Clock,
    bounds: PairBounds | None,
    exclusive: bool = False,
    settle_slack: Callable[[float], float] | None = None,
) -> tuple[RawResult, bool | None]:
    """The proven (or best within the limit) pairing of the whole model, in minimisation
    form, with a bound valid for the whole model; and whether its pair set is the only one
    within the tie margin, when that is already known (True or False; None when not:
    `exclusive`, see _prove_by_exclusion and _solve_whole_checked)."""
    if model.single_donor and name == HIGHS and clock.limit is not None:
        return _solve_then_search(model, mip_gap, clock, bounds), None
    if bounds is None or model.single_donor or len(bounds.gain) == 0 or clock.expired():
        pool = GAP_CUT_POOL if model.single_donor else None
        return _solve_whole(model, name, mip_gap, clock, cut_pool=pool), None
    core = _Cores(model, name, mip_gap, clock, bounds)
    found = core.first()
    if found is None:
        if clock.expired():
            return RawResult(
                Status.LIMIT_NO_SOLUTION, None, None, bounds.bound, clock.elapsed()
            ), None
        if exclusive and model.secondary is not None:  # its checks use the tie cap
            return _solve_whole_checked(model, clock, bounds)
        return _solve_whole(model, name, mip_gap, clock), None
    incumbent, kept, need = core.widen(*found)
    if incumbent.status == Status.OPTIMAL and not np.any(need & ~kept):
        return _whole_model_bound(incumbent, bounds, kept, mip_gap), None
    if clock.expired():
        return _whole_model_bound(
            replace(incumbent, status=Status.LIMIT_FEASIBLE), bounds, kept, mip_gap
        ), None
    if exclusive and incumbent.status == Status.OPTIMAL:
        return _prove_by_exclusion(model, incumbent, bounds, kept, clock, settle_slack)
    return core.prove(incumbent, need), None


def _solve_whole(
    model: PairingModel,
    name: str,
    mip_gap: float,
    clock: _Clock,
    cut_pool: int | None = None,
    stop_when: StopWhen | None = None,
) -> RawResult:
    """The whole model as it is, on the solve's clock: when no restriction is known to
    hold (no LP bounds, one donor per recipient, or no core pairing)."""
    with _stage(clock, "whole"):
        return run_milp(
            name, model.milp, clock.remaining(), mip_gap, stop_when=stop_when, cut_pool=cut_pool
        )


@dataclass(frozen=True)
class _Cores:
    """The stages of a solve through restricted models (cores), with what they share."""

    model: PairingModel
    name: str
    mip_gap: float
    clock: _Clock
    bounds: PairBounds

    def run(
        self, kept: np.ndarray, initial: np.ndarray | None = None, stage: str = "core"
    ) -> RawResult:
        """The model restricted to the `kept` pairs; progress shows the LP bound, as a
        restricted model's own bound says nothing of the whole."""
        clock = self.clock
        with _stage(clock, stage, self.bounds.bound, self.model.milp.display_sense):
            return run_milp(
                self.name,
                restrict(self.model, kept),
                clock.remaining(),
                self.mip_gap,
                initial=initial,
            )

    def first(self) -> tuple[RawResult, np.ndarray, float] | None:
        """The narrowest core (pairs nearly free in the LP) with a pairing: that pairing, the
        core, and its width; None when every core tried is infeasible or time ran out."""
        bounds = self.bounds
        for width in CORE_WIDTHS:
            core = bounds.gain <= width * bounds.scale
            if core.mean() > CORE_MAX_SHARE or self.clock.expired():
                break
            raw = self.run(core)
            if raw.values is not None and raw.objective is not None:
                return raw, core, width
            if raw.status != Status.INFEASIBLE:
                break  # out of time before a core pairing turned up
        return None

    def widen(
        self, incumbent: RawResult, kept: np.ndarray, reach: float
    ) -> tuple[RawResult, np.ndarray, np.ndarray]:
        """While the pairs that could beat the incumbent far outnumber the core, a wider
        core (still a fraction of them) is a cheap way to a better incumbent and a smaller
        proof. Returns the incumbent, its core, and the pairs that could still beat it."""
        assert incumbent.objective is not None
        bounds, scale = self.bounds, self.bounds.scale
        need = bounds.keep(incumbent.objective)
        while (
            incumbent.status == Status.OPTIMAL
            and need.sum() > max(REFINE_RATIO * kept.sum(), WIDEN_MIN_PAIRS)
            and not self.clock.expired()
        ):
            reach = min(
                (incumbent.objective - bounds.bound) / (REFINE_REACH * scale), REFINE_STEP * reach
            )
            wider = kept | (bounds.gain <= reach * scale)
            if wider.sum() <= kept.sum() or wider.sum() > REFINE_MAX_SHARE * need.sum():
                break  # no narrower than the proof itself: go straight to the proof
            raw = self.run(wider, initial=incumbent.values, stage="widen")
            if raw.values is None or raw.objective is None:
                break
            incumbent, kept, need = raw, wider, bounds.keep(raw.objective)
        return incumbent, kept, need

    def prove(self, incumbent: RawResult, need: np.ndarray) -> RawResult:
        """The model restricted to the pairs that could beat the incumbent, solved to a
        proof that holds for the whole model."""
        # No start solution here: it made the proof slower or no faster where measured.
        with _stage(self.clock, "prove"):
            final = run_milp(
                self.name, restrict(self.model, need), self.clock.remaining(), self.mip_gap
            )
        # A proof stopped at the limit with nothing better than the core pairing keeps that
        # pairing (a proven optimum over the need set is at least as good: it contains it).
        worse = (
            final.objective is not None
            and incumbent.objective is not None
            and final.objective > incumbent.objective
        )
        if final.values is None or (final.status != Status.OPTIMAL and worse):
            final = replace(incumbent, status=Status.LIMIT_FEASIBLE, bound=final.bound)
        return _whole_model_bound(final, self.bounds, need, self.mip_gap)


def _prove_by_exclusion(
    model: PairingModel,
    incumbent: RawResult,
    bounds: PairBounds,
    core: np.ndarray,
    clock: _Clock,
    settle_slack: Callable[[float], float] | None = None,
) -> tuple[RawResult, bool | None]:
    """Prove the core's pairing P optimal by solving for the best pairing whose pair set
    differs from P's (a no-good cut), over the pairs that fit under P's tie cap. Every
    pairing with P's pair set is in the core, whose optimum P is, so:
    - when that best other pairing costs more than the cap (or there is none), P is the
      optimum and its pair set the only one within the tie margin: one MILP does the work
      of both the proof and the tie-break's uniqueness check;
    - when it costs less than P, it is the optimum (proven: it beats P and every other pair
      set), and the tie-break checks it as usual;
    - in between (a tie), the better of the two is the optimum, and the tie-break runs.
    On a small model the best other pairing within the `core` (the pairs among which P was
    found) is found first, in hundredths of a second, and starts the solve as a proof (see
    run_milp's `proof` and PROOF_MAX_PAIRS).
    Returns the optimum (or the best within the limit), and True when it is settled alone
    (None when that is not known). With `settle_slack` the cap is at least that far above
    P (a level of an order: see solve_model); the proof holds the same way."""
    assert incumbent.objective is not None and incumbent.values is not None
    level, _ = _tie_level(model, HIGHS, incumbent)
    slack = _tie_slack(model, HIGHS, incumbent.objective, incumbent.values)
    if settle_slack is not None:
        slack = max(slack, settle_slack(level))
    cap = level + slack
    kept = bounds.keep(cap)
    other = _other_pair_sets(model, incumbent.values, kept)
    shown = model.milp.display_sense
    with _stage(clock, "exclusion", bounds.bound, shown, incumbent=incumbent.objective):
        start = None
        if kept.sum() <= PROOF_MAX_PAIRS:
            near = restrict(model, core & kept, other)
            start = run_milp(HIGHS, near, clock.remaining(), 0.0, cutoff=_cutoff(cap)).values
        raw = run_milp(
            HIGHS,
            other,
            clock.remaining(),
            0.0,
            initial=start,
            proof=start is not None,
            cutoff=_cutoff(cap),
        )
    proven = raw.status in (Status.OPTIMAL, Status.INFEASIBLE)
    rest = raw.bound if raw.bound is not None else -math.inf
    if _none_under(raw, cap):
        rest = math.inf  # no other pair set costs less than the cap
    better = raw.objective is not None and raw.objective < incumbent.objective
    best = raw if better else incumbent
    result = RawResult(
        Status.OPTIMAL if proven else Status.LIMIT_FEASIBLE,
        best.values,
        best.objective,
        min(incumbent.objective, rest),
        raw.seconds,
    )
    # A pairing under the cap (a tie, or a better one) still needs its own check.
    return _whole_model_bound(result, bounds, kept, 0.0), True if proven and rest > cap else None


@dataclass(frozen=True)
class _Checked:
    """A pair set's exact pairing (the LP of its shares, strict) and whether it is alone
    under its tie cap (see _alone_under_cap)."""

    own: RawResult
    alone: bool


def _solve_whole_checked(
    model: PairingModel, clock: _Clock, bounds: PairBounds
) -> tuple[RawResult, bool | None]:
    """The whole model to an exact proof (HiGHS, a sum objective with ties to break), with
    each pair set it finds checked for uniqueness meanwhile on the other core (race.py).
    The uniqueness check of a pairing P, run as a proof below P's cap, also proves P
    optimal, and it often ends long before the whole model's own proof: the solve stops
    there. Otherwise the check of the pair set the solve proves optimal is the tie-check it
    would need anyway, started early. Each check depends only on its pair set, so the
    answer is the same whichever run finishes first: that pairing with its exact shares,
    called optimal with its own value as the bound whenever its check proves it alone."""

    def check(values: np.ndarray, cancel: threading.Event) -> _Checked | None:
        own = _pair_set_lp(HIGHS, model, model.used(values), model.milp.c, None)
        if own is None or own.objective is None or own.values is None:
            return None
        cap = own.objective + _tie_slack(model, HIGHS, own.objective, own.values)
        alone = _alone_under_cap(model, own.values, cap, bounds.keep(cap), clock, cancel)
        return None if cancel.is_set() else _Checked(own, alone)

    racer: Racer[_Checked] = Racer(check, lambda values: model.used(values).tobytes())
    found: list[np.ndarray] = []  # appended on the solver's thread
    offered = 0

    def settled(nodes: int, best: float | None, bound: float | None) -> bool:
        nonlocal offered
        if len(found) > offered:
            offered = len(found)
            racer.offer(found[offered - 1])
        done = racer.finished()
        return done is not None and done.alone

    try:
        with _stage(clock, "whole"):
            whole = run_milp(
                HIGHS,
                model.milp,
                clock.remaining(),
                0.0,
                stop_when=settled,
                on_solution=found.append,
            )
        done = racer.finished()
        if (done is None or not done.alone) and whole.status == Status.OPTIMAL:
            assert whole.values is not None and whole.objective is not None
            with _stage(clock, "tie-check", proven=_shown(model, whole)):
                done = racer.result_for(whole.values)
    finally:
        racer.close()
    if done is not None and done.alone:
        own = done.own
        exact = RawResult(Status.OPTIMAL, own.values, own.objective, own.objective, whole.seconds)
        return exact, True
    if whole.status != Status.OPTIMAL or done is None:
        return whole, None
    return whole, False


def _solve_then_search(
    model: PairingModel, mip_gap: float, clock: _Clock, bounds: PairBounds | None
) -> RawResult:
    """One donor per recipient, with a time limit: the whole model first; if it is still
    unproven at the handover (`_handover`), a neighbourhood search (search.py) for the rest of
    the limit, from the solver's pairing, with the solver's bound (or the LP's, if higher).
    A proof that would have come after the handover is given up for a better pairing."""
    assert clock.limit is not None
    whole = _solve_whole(
        model, HIGHS, mip_gap, clock, cut_pool=GAP_CUT_POOL, stop_when=_handover(clock)
    )
    if whole.status in (Status.OPTIMAL, Status.INFEASIBLE) or clock.expired():
        return whole
    if bounds is None:
        bounds = _lp_pair_bounds(model, clock)
    if bounds is None or clock.expired():
        return whole
    bound = max(bounds.bound, whole.bound if whole.bound is not None else -math.inf)
    progress = PROGRESS.get()
    shown = model.milp.display_sense

    def report(best: float) -> None:
        if progress is not None:
            progress(clock.elapsed(), shown * best, shown * bound)

    deadline = clock.start + clock.limit
    with timed("search"):
        values = improve(model, bounds, whole.values, deadline, report)
    if values is None:
        return replace(whole, bound=bound, seconds=clock.elapsed())
    return _search_result(model, values, bound, mip_gap, clock.elapsed())


def _search_result(
    model: PairingModel, values: np.ndarray, bound: float, mip_gap: float, seconds: float
) -> RawResult:
    """A pairing found by the search, with the bound that holds for the whole model: called
    optimal only if that bound meets it within mip_gap (the search proves nothing)."""
    objective = float(model.milp.c @ values)
    status = Status.OPTIMAL if _gap_met(objective, bound, mip_gap) else Status.LIMIT_FEASIBLE
    return RawResult(status, values, objective, bound, seconds)


def _handover(clock: _Clock) -> StopWhen:
    """When the whole model hands over to the search: still at its root node after a fifth
    of the limit, or after half of it unless its gap is already small. The search can gain
    at most the gap, so at SEARCH_MIN_GAP or less the proof is the better use of the time
    (handing over at half the limit regardless lost proofs that came soon after)."""
    assert clock.limit is not None
    limit = clock.limit

    def stop(nodes: int, best: float | None, bound: float | None) -> bool:
        elapsed = clock.elapsed()
        if nodes == 0 and elapsed > ROOT_HANDOVER * limit:
            return True
        if elapsed > SEARCH_AFTER * limit:
            gap = relative_gap(best, bound)
            return gap is None or gap > SEARCH_MIN_GAP
        return False

    return stop


def _whole_model_bound(
    raw: RawResult, bounds: PairBounds, kept: np.ndarray, mip_gap: float
) -> RawResult:
    """The restricted model's result, with a bound for the whole model: the lower of the
    restricted bound and what any pairing using a dropped pair must cost, never below the
    LP bound. Optimal only if the whole model's gap is within mip_gap."""
    restricted = raw.bound if raw.bound is not None else -math.inf
    dropped = bounds.dropped_bound(kept)
    bound = max(bounds.bound, min(restricted, dropped))
    status = raw.status
    # When a dropped pair sets the bound, the solver's proof is not all of it.
    if status == Status.OPTIMAL and dropped < restricted:
        status = status if _gap_met(raw.objective, bound, mip_gap) else Status.LIMIT_FEASIBLE
    return replace(raw, status=status, bound=bound)


def _gap_met(objective: float | None, bound: float | None, mip_gap: float) -> bool:
    """Whether the objective is within mip_gap of the bound (up to round-off): what a
    pairing needs to be called optimal."""
    gap = relative_gap(objective, bound)
    return gap is not None and gap <= mip_gap + GAP_ROUNDING
