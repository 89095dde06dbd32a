"""From a scenario to a verified result: diagnose, model, solve, read back, verify.

This is the library entry point (`pairing_opt.solve`); the CLI only parses options
and prints what this returns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from pydantic import ValidationError

from ..checks.diagnose import conflicts
from ..checks.magnitudes import check_finite, check_magnitudes
from ..checks.robust import Robust
from ..checks.verify import REL_TOL, Assignment, Evaluation, evaluate
from ..errors import InfeasibleError, InputError, Problem, SolverError
from ..scenario.measures import term_normaliser
from ..scenario.scenario import Scenario, check_incumbent, check_objective_data
from ..scenario.spec import (
    SHORTFALL_TERMS,
    Objective,
    OrderedObjective,
    SolverSpec,
    maximised,
    objective_name,
    objective_terms,
    term_objective,
)
from .backends import (
    HIGHS,
    Outcome,
    SolverInfo,
    Status,
    relative_gap,
    strict_tolerances,
    timed,
)
from .bounds import restrict
from .model import TIED_TERMS, PairingModel, build_model
from .strategy import pair_set_alone, solve_model

# Fractions of a recipient's need that sum to within this of 1 are read as they are.
COVERAGE_ROUNDING = 1e-12
# A solver's own objective may differ from the verified one by this fraction of its largest
# cost coefficient (feasibility noise on a costly variable), on top of REL_TOL.
COST_NOISE = 1e-3
# ... and by this fraction of sum |c_j v_j| (its solution's cost magnitude): HiGHS accepts
# a binary within 1e-6 of 0 or 1 and rows within 1e-7, so shares read back from it can
# move a cost by a few 1e-6 of that magnitude (seen on a level of an order: 0.999999 for 1).
VALUE_NOISE = 1e-5
# ... and by the solvers' primal feasibility tolerance (1e-7) on every costed column: a
# level of an order, never polished by a tie-break, returned a share of -1.7e-7.
BOUND_NOISE = 1e-7
# Under a shortfall price, coverage within this of 1 is full coverage (solver tolerance).
PRICED_ROUNDING = 1e-7
# A level of an order keeps the next ones within this of its optimum, relative to the
# larger of the value and the term's unit: about the solvers' feasibility tolerance on the
# cap's row, which is written in that unit (a tighter margin left later levels infeasible).
LEVEL_MARGIN = 1e-7
SETTLE_WIDEN = 2.0  # the settle check's cap margin, in LEVEL_MARGINs: beyond the cap row's
SETTLE_MIN_SECONDS = 0.05  # the least time a level's settle check is worth starting with


@dataclass(frozen=True)
class LevelStop:
    """The level of an order that a limit stopped (the levels before it were proven, the
    ones after it not solved): its bound and gap in the term's own sense, and whether it
    found a pairing at all (if not, the result is the level before's optimum)."""

    term: str
    level: int  # 1-based
    levels: int
    bound: float | None
    gap: float | None
    found: bool


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
    # Need scenarios (scenario key `uncertainty:`): the pairing under each, and the robust
    # objective over them; `pairing` and `evaluation` are then the first need scenario's.
    robust: Robust | None = None
    # A level of an order: True when its proof showed no other pair set within the cap
    # the later levels keep on it (see _settled); None when not known.
    alone: bool | None = None
    # An order stopped by a limit after its first level: the level that stopped (the
    # bound and gap above are the first level's, which was proven).
    stopped: LevelStop | None = None

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
        rules = scenario.rules
        if (
            any(t in SHORTFALL_TERMS for t in objective_terms(objective))
            and "coverage" in rules.model_fields_set
            and rules.coverage == "full"
        ):
            raise InputError(
                [
                    Problem(
                        "objective (argument)",
                        f"'{objective_name(objective)}' lets need go uncovered, and the "
                        "scenario asks for full coverage (rules.coverage: full).",
                        "leave rules.coverage: full out (of the file or of its overrides), "
                        "or choose an objective without shortfall or max_shortfall.",
                    )
                ]
            )
        changed = replace(changed, objective=objective)
        check_objective_data(changed, objective, lambda path: "objective (argument)")
    return changed


def read_pairing(scenario: Scenario, model: PairingModel, values: np.ndarray) -> list[Assignment]:
    """Pairs in canonical order (recipient order, then donor order) with shares in need units.
    A recipient's fractions that sum to within a solver's tolerance of 1 are made to sum to
    exactly 1 (coverage is an equality of the model, and under a shortfall price a gap that
    small is noise, not need left uncovered): a solver's values carry its tolerance, and
    CBC's only 8 significant digits, so a lone donor's fraction 0.99999931 would otherwise
    print a share short of the need."""
    cand = model.candidates
    used = model.used(values)
    n_r = len(scenario.recipients)
    shares = []
    for k in range(len(scenario.resources)):
        fractions = model.fractions(values, k)
        total = np.bincount(cand.recipient, weights=fractions, minlength=n_r)
        covered = total[cand.recipient]
        full = math.isnan(scenario.penalties[k])
        tolerance = COVERAGE_ROUNDING if full else PRICED_ROUNDING
        off = (covered > 0) & (np.abs(covered - 1.0) > COVERAGE_ROUNDING)
        if not full:  # only near-complete coverage is snapped; real shortfall stays
            off &= (np.abs(covered - 1.0) <= tolerance) | (covered > 1.0)
        fractions = np.where(off, fractions / np.where(covered > 0, covered, 1.0), fractions)
        shares.append(fractions * scenario.need_matrix[cand.recipient, k])
    multi = scenario.multi_resource
    pairing = []
    for i in np.flatnonzero(used):
        d, r = int(cand.donor[i]), int(cand.recipient[i])
        amounts = tuple(float(column[i]) for column in shares)
        pairing.append(
            Assignment(
                scenario.donors[d], scenario.recipients[r], amounts[0], amounts if multi else ()
            )
        )
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
    pairing satisfies the rules or a solve stops at its limit. A scenario with need
    scenarios (uncertainty) is solved for one pairing robust across them (robust.py)."""
    if scenario.uncertainty is not None:
        from .robust import solve_robust  # robust builds on this module

        if count != 1:
            raise InputError(
                [
                    Problem(
                        "alternatives (argument)",
                        "alternatives cannot be combined with need scenarios (uncertainty).",
                        "ask for one pairing, or remove the uncertainty section.",
                    )
                ]
            )
        return [solve_robust(scenario)]
    diagnose(scenario)
    previous, model = solve_levels(scenario)
    results = [previous]
    if count == 1:
        return results
    while len(results) < count and previous.status == Status.OPTIMAL:
        model = model.without(used_pairs(scenario, previous.pairing))
        try:
            previous = _as_ordered(scenario, _solve_with(scenario, model), results[0])
        except InfeasibleError:
            break
        if previous.status == Status.LIMIT_NO_SOLUTION:
            break
        results.append(previous)
    return results


def diagnose(scenario: Scenario) -> None:
    """Before any solve: InfeasibleError naming the rules that cannot hold together, and
    InputError for what the objective needs and the scenario lacks (an incumbent)."""
    with timed("diagnose"):
        check_finite(scenario)
        reasons = conflicts(scenario)
        if not reasons:
            check_magnitudes(scenario)
    if reasons:
        raise InfeasibleError(
            reasons,
            "Fix: relax the rules named above (or add donors or capacity"
            f"{_or_a_price(scenario, ', or ')}), then run `pairopt check` again.",
        )
    check_incumbent(scenario, lambda path: ".".join(map(str, path)))


def _or_a_price(scenario: Scenario, joint: str) -> str:
    """The advice to price shortfall, where some need must still be covered in full (a
    scenario that prices every resource's shortfall already lets it go uncovered)."""
    if not np.isnan(scenario.penalties).any():
        return ""
    return f"{joint}let need go uncovered at a price: rules.coverage: {{shortfall_penalty: P}}"


def solve_levels(scenario: Scenario) -> tuple[SolveResult, PairingModel]:
    """The scenario's optimum and the model it came from. A lexicographic order is solved
    level by level: each level's optimum (within its tolerance) is kept as a cap while the
    next is optimised, and only the last level breaks ties. A level stopped at a limit
    ends the order there, unproven, with its best pairing (or, if it found none, the
    level before's optimum)."""
    objective = scenario.objective
    if not isinstance(objective, OrderedObjective):
        with timed("build"):
            model = build_model(scenario)
        return _solve_with(scenario, model), model
    done: list[tuple[str, SolveResult, float]] = []  # each level's term, optimum, tolerance
    limit = scenario.solver.time_limit
    spent = 0.0
    settled: np.ndarray | None = None  # the one pair set the levels so far leave, once shown
    for i, level in enumerate(objective.order):
        last = i == len(objective.order) - 1
        options = scenario.solver
        if limit is not None:
            options = options.model_copy(update={"time_limit": max(limit - spent, 1e-3)})
        level_scenario = replace(scenario, solver=options)
        with timed(f"level {i + 1}"):
            start = time.perf_counter()
            # A term of TIED_TERMS ties as a rule, as a minimax term does: not asked.
            asked = (
                None if last or settled is not None or level.term in TIED_TERMS else level.tolerance
            )
            result, model = _solve_level(
                level_scenario, level.term, done, last, settled, settle_tolerance=asked
            )
            if asked is not None and result.status == Status.OPTIMAL:
                if result.alone:  # its proof by exclusion answered already
                    settled = used_pairs(scenario, result.pairing)
                else:
                    settled = _settled(level_scenario, model, result, level.term, asked)
            seconds = max(result.seconds, time.perf_counter() - start)
        spent += seconds
        result = replace(result, seconds=spent)
        first = done[0][1] if done else result
        stop = None
        if done and result.status != Status.OPTIMAL:
            stop = LevelStop(
                level.term,
                i + 1,
                len(objective.order),
                result.bound,
                result.gap,
                found=result.status != Status.LIMIT_NO_SOLUTION,
            )
        if result.status == Status.LIMIT_NO_SOLUTION and done:
            # The level before's optimum is within every cap so far, so it is a pairing
            # for this level too: the best known, unproven, rather than none.
            found = replace(done[-1][1], seconds=spent)
            return _as_ordered(scenario, found, first, proven=False, stopped=stop), model
        if last and done and result.status == Status.OPTIMAL:
            start = time.perf_counter()
            options = scenario.solver
            if limit is not None:
                options = options.model_copy(update={"time_limit": max(limit - spent, 1e-3)})
            order = [(t, tolerance) for t, _, tolerance in done] + [(level.term, level.tolerance)]
            held = _held_exactly(replace(scenario, solver=options), order, done, result)
            spent += time.perf_counter() - start
            result = replace(held, seconds=spent)
        if last or result.status != Status.OPTIMAL:
            return _as_ordered(scenario, result, first, proven=last, stopped=stop), model
        done.append((level.term, result, level.tolerance))
    raise AssertionError("an order has at least one level")


def _settled(
    scenario: Scenario, model: PairingModel, result: SolveResult, term: str, tolerance: float
) -> np.ndarray | None:
    """The pair set of a level's optimum, when it is the only pair set within the cap that
    the later levels keep on this level: then they only choose its shares, and are solved
    over its pairs alone instead of over every pair under a cap row (where the LP bound
    is weak). Shown with a margin beyond that cap (the cap row holds only to the solver's
    tolerance). None when not shown: with CBC, for a minimax term (whose optimum nearly
    always ties), or when another pair set fits or the check ran out of nodes or time.
    The check gets at most the level's own solve time: on large models where near-ties
    keep it from an answer it would otherwise cost more than the next level saves. The
    answer does not depend on it: without it, the next level has the same optimum."""
    if scenario.solver.name != HIGHS or model.minimax:
        return None
    budget = max(result.seconds, SETTLE_MIN_SECONDS)
    limit = scenario.solver.time_limit
    if limit is not None:
        budget = min(budget, limit - result.seconds)
        if budget < SETTLE_MIN_SECONDS:
            return None
    cap = term_cap(result, term, tolerance, widen=SETTLE_WIDEN)
    internal = (cap - model.sense * model.offset) / model.scale
    used = used_pairs(scenario, result.pairing)
    # Strict, as the level was solved: at the default tolerances HiGHS's presolve drops a
    # cap row's margin (1e-7 of its unit) that the level's own pairing used, and another
    # pair set as good through it looked worse.
    with timed("settle"), strict_tolerances():
        alone = pair_set_alone(model, used, internal, budget)
    return used if alone else None


def _settle_slack(
    scenario: Scenario, model: PairingModel, term: str, tolerance: float
) -> Callable[[float], float]:
    """How far above a level's optimum v (c.v, the model's units) the settle cap lies: the
    cap the later levels keep (term_cap) with twice its margin, as _settled asks."""
    unit = term_normaliser(scenario, term)

    def slack(v: float) -> float:
        value = model.sense * model.scale * v + model.offset
        return _level_margin(value, tolerance, unit, SETTLE_WIDEN) / model.scale

    return slack


def used_pairs(scenario: Scenario, pairing: list[Assignment]) -> np.ndarray:
    """A mask over the scenario's candidate pairs: those the pairing uses."""
    cand = scenario.candidates
    codes = cand.donor.astype(np.int64) * len(scenario.recipients) + cand.recipient
    return np.isin(codes, scenario.pair_codes(pairing))


def _solve_level(
    scenario: Scenario,
    term: str,
    done: list[tuple[str, SolveResult, float]],
    last: bool,
    settled: np.ndarray | None = None,
    settle_tolerance: float | None = None,
) -> tuple[SolveResult, PairingModel]:
    """One level under the caps of the levels before it, over the `settled` pairs only
    when an earlier level left one pair set (see _settled). The earlier optima were found
    within the solver's tolerances, so their caps can be a hair out of reach: then the
    level is solved again with margins a hundred times wider, over every pair, and if even
    that finds nothing the order is reported as not holding together (never as
    infeasible)."""
    for widen in (1.0, 100.0):
        caps = tuple((t, term_cap(r, t, tolerance, widen)) for t, r, tolerance in done)
        with timed("build"):
            model = build_model(
                scenario, term_objective(term), caps, tie_break=last, priced_caps=True
            )
            if settled is not None and widen == 1.0:
                model = replace(model, milp=restrict(model, settled))
        try:
            # Strict: at the default tolerance a level's optimum comes back up to 1e-6 of
            # its unit off (it is never polished by a tie-break), and the next level
            # spends that too.
            slack = None
            if settle_tolerance is not None and scenario.solver.name == HIGHS:
                slack = _settle_slack(scenario, model, term, settle_tolerance)
            with strict_tolerances():
                return _solve_with(scenario, model, slack), model
        except InfeasibleError:
            if not done:
                raise
    raise SolverError(
        f"the levels of the objective before '{term}' could not be held at their optima "
        "within the solver's tolerances. Fix: give the earlier levels a tolerance (e.g. "
        f"'{done[-1][0]}~1e-6'), or set solver.name to cbc, and report this scenario."
    )


def _held_exactly(
    scenario: Scenario,
    levels: list[tuple[str, float]],
    done: list[tuple[str, SolveResult, float]],
    result: SolveResult,
) -> SolveResult:
    """The last level's pairing with its shares solved again level by level over its pair
    set alone, with no solver margin: the margin lets each level find its pair set, but
    shares that spend it would trade an earlier level for a later one (need left uncovered
    for distance; distance for assortative where no need is covered at all). Each level is
    capped at its optimum plus its tolerance (`done`), or at the best these pairs reach
    when that is worse (they were let in by the margin). The same pairs; kept as solved
    when a level does not solve so."""
    used = used_pairs(scenario, result.pairing)
    limit = scenario.solver.time_limit
    deadline = None if limit is None else time.perf_counter() + limit
    caps: tuple[tuple[str, float], ...] = ()
    again = result
    for i, (term, tolerance) in enumerate(levels):
        last = i == len(levels) - 1
        options = scenario.solver
        if deadline is not None:
            left = max(deadline - time.perf_counter(), 1e-3)
            options = options.model_copy(update={"time_limit": left})
        with timed("build"):
            model = build_model(
                scenario, term_objective(term), caps, tie_break=last, priced_caps=True
            )
            lb, ub = model.milp.lb.copy(), model.milp.ub.copy()
            lb[model.x_col] = ub[model.x_col] = used.astype(float)
            model = replace(model, milp=replace(model.milp, lb=lb, ub=ub))
        try:
            with timed("hold levels"), strict_tolerances():
                again = _solve_with(replace(scenario, solver=options), model)
        except InfeasibleError:
            return result
        if again.status != Status.OPTIMAL:
            return result
        if not last:
            reached = term_cap(again, term, 0.0, widen=0.0)
            allowed = term_cap(done[i][1], term, tolerance, widen=0.0)
            caps = (*caps, (term, max(reached, allowed)))
    return replace(
        result,
        pairing=again.pairing,
        evaluation=again.evaluation,
        objective_value=again.objective_value,
    )


def term_cap(result: SolveResult, term: str, tolerance: float, widen: float = 1.0) -> float:
    """The bound a level's optimum puts on the levels after it (minimisation form): the
    value, plus its tolerance, plus a margin for the solver's feasibility tolerance
    (relative to the term's unit, as the cap row is written in it)."""
    one = term_objective(term)
    sign = -1.0 if maximised(one) else 1.0
    value = sign * result.evaluation.score(one)  # with the shortfall price, as solved
    return value + _level_margin(value, tolerance, result.evaluation.units.get(term, 1.0), widen)


def _level_margin(value: float, tolerance: float, unit: float, widen: float) -> float:
    """How far above a level's value its cap lies: its tolerance, and `widen` times the
    margin for the solver's feasibility tolerance on the cap row (LEVEL_MARGIN)."""
    return tolerance * abs(value) + widen * LEVEL_MARGIN * max(abs(value), unit)


def solve_objective(
    scenario: Scenario,
    objective: Objective,
    caps: tuple[tuple[str, float], ...],
    *,
    tie_break: bool,
    secondary: str | None = None,
) -> SolveResult:
    """The best pairing by `objective` with terms capped (see build_model's `caps`),
    verified; a pairing-less result when a limit stopped it first. `secondary` names the
    term the tie-break minimises (default: distances, see model._secondary)."""
    with timed("build"):
        model = build_model(
            scenario, objective, caps, tie_break=tie_break, secondary_term=secondary
        )
    return _solve_with(scenario, model)


def _as_ordered(
    scenario: Scenario,
    result: SolveResult,
    first: SolveResult,
    proven: bool = True,
    stopped: LevelStop | None = None,
) -> SolveResult:
    """A level's result as the order's: scored and bounded by the first level (its
    proven optimum), optimal only when every level was solved and proven. The gap is
    relative to the larger of the value and the first term's unit: a first level proven
    0 (no shortfall) that the later levels keep within the solver's tolerance is no gap
    of 100%."""
    objective = scenario.objective
    if not isinstance(objective, OrderedObjective):
        return result
    value = result.evaluation.score(objective)
    status = result.status
    if not proven and status == Status.OPTIMAL:
        status = Status.LIMIT_FEASIBLE
    gap = None
    if first.bound is not None and math.isfinite(value):
        unit = result.evaluation.units.get(objective.order[0].term, 1.0)
        gap = relative_gap(value, first.bound)
        if gap is not None:
            gap = min(gap, abs(value - first.bound) / max(abs(value), unit))
    return replace(
        result,
        scenario=scenario,
        objective=objective,
        status=status,
        objective_value=value,
        bound=first.bound,
        gap=gap,
        options=scenario.solver,
        stopped=stopped,
    )


def _solve_with(
    scenario: Scenario,
    model: PairingModel,
    settle_slack: Callable[[float], float] | None = None,
) -> SolveResult:
    """Solve one model and verify its answer; the result is in the model's objective (a
    level's term, for an order). `settle_slack`: see strategy.solve_model."""
    options = scenario.solver
    outcome = solve_model(model, options.name, options.time_limit, options.mip_gap, settle_slack)
    if outcome.status == Status.INFEASIBLE:
        raise InfeasibleError(
            [
                "the solver proved that no pairing satisfies all the rules together, although "
                "each rule can be met on its own (counts, capacities and distances interact)."
            ],
            "Fix: relax one rule at a time (max_distance_km, donors_per_recipient, "
            "recipients_per_donor, reserve, min_share, min_load, max_changes, fixed pairs, "
            f"and the per-row rule columns) to find the conflict{_or_a_price(scenario, ', or ')}.",
        )
    if outcome.values is None:
        return _no_solution(scenario, outcome)
    with timed("verify"):
        pairing = read_pairing(scenario, model, outcome.values)
        evaluation = evaluate(scenario, pairing)
        largest = float(np.abs(model.milp.c).max(initial=0.0))
        magnitude = float(np.abs(model.milp.c) @ np.abs(outcome.values))
        # a share may sit its bound's feasibility tolerance outside it, on any costed column
        outside = float(np.abs(model.milp.c).sum()) * BOUND_NOISE
        noise = model.scale * max(
            largest * COST_NOISE, (magnitude * VALUE_NOISE + outside) / REL_TOL
        )
        _check(model.objective, evaluation, outcome, model.scale, noise)
    value = evaluation.score(model.objective)
    bound = outcome.bound
    if bound is not None and outcome.status == Status.OPTIMAL and options.mip_gap == 0:
        bound = min(bound, value) if model.sense == 1 else max(bound, value)
    return SolveResult(
        scenario=scenario,
        objective=model.objective,
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
        alone=outcome.alone,
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


def _check(
    objective: Objective,
    evaluation: Evaluation,
    outcome: Outcome,
    scale: float,
    cost_size: float = 0.0,
) -> None:
    """A solver answer that breaks a rule or disagrees on the objective is an error."""
    problems = [v.message for v in evaluation.violations]
    value = evaluation.score(objective)
    if outcome.objective is not None and outcome.values is not None and not problems:
        # The reported objective must match the verifier's own computation, relative to
        # the values and to the objective's unit (`scale`, 1 unless the model is scaled).
        # A solver's values are feasible to about 1e-9..1e-7, on variables whose costs may
        # be far larger than the optimum (a shortfall price x need on an uncovered fraction
        # CBC leaves at 1e-10): the tolerance is relative to the largest cost too.
        tolerance = REL_TOL * max(scale, abs(value), abs(outcome.objective), cost_size)
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
