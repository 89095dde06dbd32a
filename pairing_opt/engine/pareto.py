"""Pareto fronts of two objective terms by the epsilon-constraint method.

The two ends are the lexicographic optima (x then y, y then x). Between them, x is capped at
evenly spaced values, and under each cap one solve minimises y (in its own unit, plus any
shortfall price, as at the ends) plus x at a tiny weight (AUGMENT of y's normaliser per
x's normaliser): the least y under the cap, and among pairings
that tie on y the one with least x (the weight, then a tie-break on x itself), so every
point is non-dominated (a point that only met its cap could be beaten on x at the same y).
Each point is a proven optimum of its subproblem, or says it is not.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from ..errors import InputError, Problem
from ..scenario.measures import term_normaliser
from ..scenario.scenario import Scenario, check_objective_data
from ..scenario.spec import (
    AUX_TERMS,
    Level,
    OrderedObjective,
    TermWeight,
    WeightedObjective,
    canonical_term,
    is_term,
    maximised,
    term_objective,
)
from .backends import Status
from .model import TIED_TERMS
from .parallel import side_by_side, workers_for
from .pipeline import SolveResult, diagnose, solve_levels, solve_objective

# x's weight beside y's: at most this fraction of y's normaliser is traded per x's
# normaliser (an example in docs/how-it-works.md). Where y is a fraction and x in km, the
# costs it puts on x fall to the solvers' tolerances (1e-7 per km); the solve then still
# reports x as the pairing has it (engine/strategy.py, _tight_terms).
AUGMENT = 1e-4
SHORTFALL_SLACK = 1e-6  # of all need: less uncovered than that is no difference (below)
MIN_POINTS = 2
MAX_POINTS = 200


@dataclass(frozen=True)
class FrontPoint:
    """One pairing of the front: both terms' values (in their own sense and unit), and
    whether the solves that found it were proven optimal (else the largest gap left)."""

    x: float
    y: float
    status: Status
    gap: float | None
    result: SolveResult

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


@dataclass(frozen=True)
class FrontFound:
    """The points of a front, and how many of its solves a limit stopped before they found
    any pairing (0 when every solve found one)."""

    points: list[FrontPoint]
    unfound: int


def check_front_terms(x: str, y: str, points: int) -> None:
    """The two terms must be terms, and different; points at least 2 (the two ends)."""
    problems = []
    for name, term in (("x", x), ("y", y)):
        if not is_term(term):
            problems.append(
                Problem(
                    f"{name} (argument)",
                    f"unknown term '{term}'.",
                    "use one of the objective terms (docs/scenario-format.md), e.g. "
                    "weighted_distance, changes, fairness, shortfall.",
                )
            )
    if x == y and is_term(x):
        problems.append(
            Problem("y (argument)", f"is the same term as x ('{x}').", "choose two terms.")
        )
    if not MIN_POINTS <= points <= MAX_POINTS:
        problems.append(
            Problem(
                "points (argument)",
                f"{points} is outside {MIN_POINTS}..{MAX_POINTS}.",
                f"ask for {MIN_POINTS} to {MAX_POINTS} points.",
            )
        )
    if problems:
        raise InputError(problems)


def pareto_front(
    scenario: Scenario,
    x: str,
    y: str,
    points: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> FrontFound:
    """Up to `points` non-dominated pairings of terms x and y, ordered by x (best first),
    distinct in their values, and how many of the front's solves a limit
    stopped before they found any pairing (their points are missing). Raises
    InfeasibleError when no pairing exists. `progress(done, total)` is called before the
    first solve and as each ends (total is `points`, less when the ends leave no room
    between them)."""
    x, y = canonical_term(x), canonical_term(y)
    check_front_terms(x, y, points)
    both = _ordered(scenario, x, y)
    check_objective_data(both, both.objective, lambda path: "x and y (arguments)")
    diagnose(both)
    tally = _Tally(points, progress)  # 0 of points: a bar shows before the first ends
    # The two ends, then the points between them, each solve independent of the others:
    # side by side on the cores (parallel.py), each result the same as alone.
    workers = workers_for(scenario.solver.name, 2)
    ends = side_by_side(
        [partial(_lexicographic, scenario, x, y), partial(_lexicographic, scenario, y, x)],
        workers,
        tally.ended,
    )
    found = [_point(r, x, y, r.status, r.gap) for r in ends]
    if any(p.result.pairing == [] for p in found):
        tally.finish()
        unfound = sum(p.status == Status.LIMIT_NO_SOLUTION for p in found)
        return FrontFound([p for p in found if p.result.pairing][:1], unfound)
    low, high = (_minimised(p.result, x) for p in found)
    # y, plus x at a weight too small to trade any real amount of y for it: the optimum is
    # the least y under the cap, and among pairings that tie on y the one with least x, so
    # it is non-dominated (a weighted sum with positive weights) in one solve instead of two.
    # y stays in its own unit (scale 1), as at the two ends, so that a shortfall price
    # (rules.coverage) weighs the same against it everywhere on the front.
    ratio = term_normaliser(scenario, x) / term_normaliser(scenario, y)
    augmented = WeightedObjective(
        terms={
            y: TermWeight(weight=1.0, scale=1.0),
            x: TermWeight(weight=AUGMENT, scale=ratio),
        }
    )
    caps = [low + (high - low) * i / (points - 1) for i in range(1, points - 1)]
    # Where y ties as a rule (a minimax term, changes, shortfall), many pairings share the
    # least y, and x's small weight cannot tell apart values of x closer than about 1e-4
    # of its normaliser (the solvers' tolerances): a point beaten on x at the same y came
    # back (docs/how-it-works.md). There the tie-break minimises x itself among the
    # pairings within a hair of the optimum. Elsewhere the least y is as good as unique,
    # and the tie-break cost up to half a front's time for nothing. Solved in `both`, the
    # scenario whose objective names x and y, so that whether need may go uncovered is
    # decided by the two terms, as at the ends, not by the file's objective.
    tie_x = y in AUX_TERMS or y in TIED_TERMS
    solve_at = partial(solve_objective, both, augmented, tie_break=tie_x, secondary=x)
    answers = _Answers(lambda result: _minimised(result, x))
    # Highest cap first: a point found below its cap answers every lower cap it meets.
    inner = side_by_side(
        [partial(answers.solve, solve_at, x, cap) for cap in reversed(caps)],
        workers_for(scenario.solver.name, len(caps)),
        tally.ended,
    )[::-1]
    found += [_point(r, x, y, r.status, r.gap) for r in inner if r.pairing]
    unfound = sum(r.status == Status.LIMIT_NO_SOLUTION for r in inner)
    return FrontFound(_non_dominated(found, x, y), unfound)


class _Answers:
    """Points that answer other caps than their own. A point whose x lies below its cap c
    is the point of every cap between its x and c: the least y under the lower cap is no
    less (the lower cap leaves fewer pairings), and this point is among them, so it is the
    least y there too; among the pairings tied with it the tie-break took the least x, which
    the lower cap does not exclude. Only a proven point whose tie-break is done is taken as
    an answer, so a cap it answers gets the very point its own solve would give, whichever
    solve ended first (the front's output does not depend on the race)."""

    def __init__(self, x_value: Callable[[SolveResult], float]) -> None:
        self.x_value = x_value
        self.found: list[tuple[float, float, SolveResult]] = []  # (x, cap, point)
        self.lock = threading.Lock()

    def solve(self, solve_at: Callable[..., SolveResult], x: str, cap: float) -> SolveResult:
        with self.lock:
            for low, high, result in self.found:
                if low <= cap <= high:
                    return result
        result = solve_at(((x, cap),))
        if result.status == Status.OPTIMAL and result.tie_break == "done":
            with self.lock:
                self.found.append((self.x_value(result), cap, result))
        return result


class _Tally:
    """The front's solves ended so far, told to a progress callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.done, self.total, self.progress = 0, total, progress
        if progress is not None:
            progress(0, total)

    def ended(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def finish(self) -> None:
        """No more solves: the total is what was done."""
        if self.progress is not None and self.done < self.total:
            self.total = self.done
            self.progress(self.done, self.total)


def _lexicographic(scenario: Scenario, first: str, second: str) -> SolveResult:
    return solve_levels(_ordered(scenario, first, second))[0]


def _ordered(scenario: Scenario, first: str, second: str) -> Scenario:
    order = OrderedObjective(order=[Level(term=first), Level(term=second)])
    return replace(scenario, objective=order)


def _minimised(result: SolveResult, term: str) -> float:
    """The term's value in minimisation form (a maximised term negated)."""
    value = result.evaluation.value(term_objective(term))
    return -value if maximised(term) else value


def _point(result: SolveResult, x: str, y: str, status: Status, gap: float | None) -> FrontPoint:
    evaluation = result.evaluation
    return FrontPoint(
        evaluation.value(term_objective(x)),
        evaluation.value(term_objective(y)),
        status,
        gap,
        result,
    )


def _non_dominated(found: list[FrontPoint], x: str, y: str) -> list[FrontPoint]:
    """The points no other beats on one term and matches on the other (up to rounding),
    each point of the plane once: of pairings that match on both terms, the one with the
    fewest pairs (the first found among equals). One pair set can be two points: with
    terms that depend on the shares (weighted_distance against shortfall), the same pairs
    split differently. Need left uncovered counts as a third term: under a shortfall price
    (rules.coverage) an end that covers all need must not be dropped for one that saves
    distance by covering nothing. Ordered by x from best."""

    def key(p: FrontPoint) -> tuple[float, float, float]:
        short = p.result.evaluation.total_shortfall
        return _minimised(p.result, x), _minimised(p.result, y), short

    # Need left uncovered is compared to a millionth of all need: the levels of an order
    # let a term move by 1e-7 of its unit (pipeline.LEVEL_MARGIN), and a point whose only
    # edge is that much less shortfall is no point of its own.
    total_need = float(found[0].result.scenario.need_matrix.sum()) if found else 0.0
    short_slack = SHORTFALL_SLACK * total_need  # relative: the unit of need is the user's

    def slacks(b: tuple[float, ...]) -> tuple[float, float, float]:
        return _slack(b[0]), _slack(b[1]), short_slack

    def no_worse(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(u <= v + e for u, v, e in zip(a, b, slacks(b), strict=True))

    def same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(abs(u - v) <= e for u, v, e in zip(a, b, slacks(b), strict=True))

    kept = [
        p
        for p in found
        if not any(
            no_worse(key(q), key(p)) and not same(key(q), key(p)) for q in found if q is not p
        )
    ]
    alone: list[FrontPoint] = []
    for p in sorted(kept, key=lambda p: len(p.result.pairing)):  # stable: first found first
        if not any(same(key(q), key(p)) for q in alone):
            alone.append(p)
    return sorted(alone, key=key)


def _slack(value: float) -> float:
    return 1e-9 * max(1.0, abs(value)) if math.isfinite(value) else 0.0
