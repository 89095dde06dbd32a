"""The neighbourhood search (lns.py), the sub-models it solves (Milp.fixing) and how the
strategy reports its result.

The search may only ever return pairings that are feasible for the whole model, and its
result is called optimal only when a proven bound meets it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pairing_opt.engine.strategy as strategy
from pairing_opt.checks.diagnose import conflicts
from pairing_opt.engine.backends import RawResult, Status, run_milp, solve_relaxation
from pairing_opt.engine.bounds import PairBounds, pair_bounds
from pairing_opt.engine.model import Milp, build_model
from pairing_opt.engine.pipeline import solve, with_options
from pairing_opt.engine.search import GAP_CUT_POOL, improve
from pairing_opt.io.loader import load

from . import examples
from .conftest import AVAILABLE_SOLVERS, EXAMPLE, recorded_highs
from .test_cli import hard_gap
from .test_property import Case, cases

pytestmark = pytest.mark.skipif("highs" not in AVAILABLE_SOLVERS, reason="needs HiGHS")


def _feasible(milp: Milp, v: np.ndarray, tol: float = 1e-6) -> bool:
    """v within its bounds, integral where flagged, and every row within its bounds."""
    activity = np.bincount(milp.a_row, weights=milp.a_val * v[milp.a_col], minlength=milp.num_rows)
    return bool(
        np.all(v >= milp.lb - tol)
        and np.all(v <= milp.ub + tol)
        and np.all(np.abs(v[milp.integer] - np.round(v[milp.integer])) <= tol)
        and np.all(activity >= milp.row_lb - tol)
        and np.all(activity <= milp.row_ub + tol)
    )


@settings(max_examples=examples(0.5))
@given(case=cases(), seed=st.integers(0, 999))
def test_piece_solutions_are_feasible_for_the_whole_model(case: Case, seed: int) -> None:
    """Any free/held split of an optimal solution: the piece is feasible (the held part
    of the found fits), its best completion is feasible for the whole model, and is
    exactly as good as the found (it can be no better, and the found's own part fits)."""
    scenario = case.scenario()
    if conflicts(scenario):
        return
    milp = build_model(scenario).milp
    # strict: a share 5e-7 under min_share (HiGHS's default tolerance) left a piece that
    # presolve proves infeasible by that much; the held part must fit exactly
    whole = run_milp("highs", milp, None, 0.0, strict=True)
    if whole.status != Status.OPTIMAL or whole.values is None or whole.objective is None:
        return
    v = whole.values.copy()
    v[milp.integer] = np.round(v[milp.integer])
    free = np.random.default_rng(seed).random(milp.num_cols) < 0.5
    piece = milp.fixing(free, v)
    assert piece.num_cols == int(free.sum())
    assert _feasible(piece, v[free])
    solved = run_milp("highs", piece, None, 0.0)
    assert solved.status == Status.OPTIMAL and solved.values is not None
    combined = v.copy()
    combined[free] = solved.values
    assert _feasible(milp, combined)
    scale = max(1.0, abs(whole.objective))
    assert float(milp.c @ combined) == pytest.approx(whole.objective, abs=1e-6 * scale)


@settings(max_examples=examples(0.2))  # each runs the search for up to 0.2 s
@given(case=cases())
def test_search_keeps_every_rule_on_random_scenarios(case: Case) -> None:
    """On random one-donor-per-recipient scenarios (fixed, forbidden and count rules,
    distance limits, every objective), whatever the search returns is feasible for the
    whole model and no better than its proven optimum."""
    scenario = case.scenario()
    if conflicts(scenario):
        return
    model = build_model(scenario)
    if not model.single_donor or len(model.candidates) == 0:
        return
    lp = solve_relaxation(model.milp, None)
    bounds = None if lp is None else pair_bounds(model, lp.row_dual)
    if bounds is None:
        return
    found = improve(model, bounds, None, time.perf_counter() + 0.2)
    whole = run_milp("highs", model.milp, None, 0.0)
    if found is None:
        return
    assert _feasible(model.milp, found)
    assert whole.objective is not None
    assert float(model.milp.c @ found) >= whole.objective - 1e-6 * max(1.0, abs(whole.objective))


def test_nearest_keeps_each_recipients_cheapest_pairs() -> None:
    recipient = np.array([0, 0, 0, 1, 1, 2])
    gain = np.array([5.0, 1.0, 3.0, 0.0, 9.0, 7.0])
    kept = PairBounds(0.0, gain).nearest(recipient, 2)
    assert kept.tolist() == [False, True, True, True, True, True]
    assert PairBounds(0.0, gain).nearest(recipient, 1).tolist() == [
        False,
        True,
        False,
        True,
        False,
        True,
    ]


def _hard(tmp_path: Path, agents: int = 10, jobs: int = 100) -> tuple[object, object]:
    scenario = load(hard_gap(tmp_path / "gap", agents, jobs))
    model = build_model(scenario)
    lp = solve_relaxation(model.milp, None)
    assert lp is not None
    bounds = pair_bounds(model, lp.row_dual)
    assert bounds is not None
    return model, bounds


def test_search_improves_a_poor_pairing_and_stays_feasible(tmp_path: Path) -> None:
    """From a poor pairing (a costly one: the first a solve maximising cost finds), the
    search returns a strictly better one, feasible for the whole model and never below
    the LP bound; progress hears each best objective, never rising."""
    model, bounds = _hard(tmp_path)
    milp = model.milp  # type: ignore[attr-defined]
    start = run_milp("highs", replace(milp, c=-milp.c), 60.0, 0.0, node_limit=1)
    assert start.values is not None
    poor = float(milp.c @ start.values)
    seen: list[float] = []
    found = improve(model, bounds, start.values, time.perf_counter() + 2.0, seen.append)  # type: ignore[arg-type]
    assert found is not None
    value = float(milp.c @ found)
    assert _feasible(milp, found)
    assert value < poor
    assert value >= bounds.bound - 1e-6  # type: ignore[attr-defined]
    assert seen == sorted(seen, reverse=True) and seen[-1] >= value


def test_search_without_a_start_finds_one(tmp_path: Path) -> None:
    """With no pairing yet (the solver found none in its share of the limit), the core
    supplies one."""
    model, bounds = _hard(tmp_path)
    found = improve(model, bounds, None, time.perf_counter() + 1.0)  # type: ignore[arg-type]
    assert found is not None and _feasible(model.milp, found)  # type: ignore[attr-defined]


def test_handover_rules() -> None:
    """Hand over at a fifth of the limit only from the root node; at half, only with a gap
    above SEARCH_MIN_GAP (or no pairing at all)."""
    clock = strategy._Clock(100.0)
    stop = strategy._handover(clock)
    clock.start -= 25.0  # a quarter of the limit has passed
    assert stop(0, 105.0, 100.0) and not stop(7, 105.0, 100.0)
    clock.start -= 30.0  # more than half
    assert stop(7, 105.0, 100.0) and stop(7, None, 100.0)
    assert not stop(7, 100.05, 100.0)  # gap 0.05%: keep proving


def _pools(made: list[object]) -> set[int]:
    return {int(h.getOptionValue("mip_pool_soft_limit")[1]) for h in made}  # type: ignore[attr-defined]


def _pool_limits(monkeypatch: pytest.MonkeyPatch, scenario: object) -> set[int]:
    """The cut-pool limit of every HiGHS run in one solve of `scenario`."""
    made = recorded_highs(monkeypatch)
    result = solve(scenario)  # type: ignore[arg-type]
    assert result.status == Status.OPTIMAL
    return _pools(made)


def test_one_donor_models_run_highs_with_a_small_cut_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One donor per recipient: the whole model runs with GAP_CUT_POOL (about a fifth
    faster over the GAP proof benchmark), with or without a time limit; models with shares
    keep HiGHS's default, which was faster on Hubei."""
    small = load(hard_gap(tmp_path / "gap", 4, 12))  # no time limit
    assert GAP_CUT_POOL in _pool_limits(monkeypatch, small)
    limited = with_options(small, time_limit=30.0)  # the path with a search after it
    assert GAP_CUT_POOL in _pool_limits(monkeypatch, limited)
    shares = _pool_limits(monkeypatch, load(EXAMPLE))
    assert GAP_CUT_POOL not in shares and len(shares) == 1


def test_the_search_runs_highs_with_the_small_cut_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search's core and pieces are GAPs too: every one of their solves has the cap
    (it took the D sum of gaps at 60 s from 3.26-3.41 to 2.63-2.93)."""
    model, bounds = _hard(tmp_path)
    made = recorded_highs(monkeypatch)
    found = improve(model, bounds, None, time.perf_counter() + 1.0)  # type: ignore[arg-type]
    assert found is not None and len(made) >= 2  # the core and at least one piece
    assert _pools(made) == {GAP_CUT_POOL}


def _patched_phases(
    monkeypatch: pytest.MonkeyPatch, model: object, found: np.ndarray, solver_bound: float
) -> None:
    """The whole-model phase stops short with a poor pairing; the search returns `found`."""

    def stopped(name: str, milp: Milp, *args: object, **kwargs: object) -> RawResult:
        worst = np.round(np.asarray(found))
        return RawResult(Status.LIMIT_FEASIBLE, worst, float(milp.c @ worst) + 50, solver_bound, 1)

    monkeypatch.setattr(strategy, "run_milp", stopped)
    monkeypatch.setattr(strategy, "improve", lambda *args: found)


def test_search_result_is_optimal_only_when_a_proven_bound_meets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, bounds = _hard(tmp_path)
    found = run_milp("highs", model.milp, 60.0, 0.0, node_limit=1)  # type: ignore[attr-defined]
    assert found.values is not None and found.objective is not None
    clock = strategy._Clock(10.0)
    # The solver's bound is below the pairing: not optimal, and the better bound is kept.
    _patched_phases(monkeypatch, model, found.values, found.objective - 5)
    low = strategy._solve_then_search(model, 0.0, clock, bounds)  # type: ignore[arg-type]
    assert low.status == Status.LIMIT_FEASIBLE
    assert low.objective == pytest.approx(found.objective)
    assert low.bound == pytest.approx(max(found.objective - 5, bounds.bound))  # type: ignore[attr-defined]
    # A bound that meets the pairing proves it.
    _patched_phases(monkeypatch, model, found.values, found.objective)
    met = strategy._solve_then_search(model, 0.0, clock, bounds)  # type: ignore[arg-type]
    assert met.status == Status.OPTIMAL
    # Within a user's mip_gap counts as proven, as it does for the solver.
    _patched_phases(monkeypatch, model, found.values, found.objective * 0.99)
    within = strategy._solve_then_search(model, 0.02, clock, bounds)  # type: ignore[arg-type]
    assert within.status == Status.OPTIMAL


def test_stop_when_stops_a_run_still_at_its_root(tmp_path: Path) -> None:
    """A run that stop_when stops (here: at its root node) is not called optimal."""
    model, _ = _hard(tmp_path, agents=40, jobs=400)
    at_root = lambda nodes, best, bound: nodes == 0  # noqa: E731
    raw = run_milp("highs", model.milp, 60.0, 0.0, stop_when=at_root)  # type: ignore[attr-defined]
    assert raw.status in (Status.LIMIT_FEASIBLE, Status.LIMIT_NO_SOLUTION)
    assert raw.seconds < 30.0


def test_time_limited_gap_solve_is_verified_and_honest(tmp_path: Path) -> None:
    """Through the engine, with a limit too short to prove: a verified pairing, a bound
    below it, and no claim of optimality."""
    scenario = load(hard_gap(tmp_path / "gap", 20, 200))
    result = solve(with_options(scenario, time_limit=3.0))
    assert result.status == Status.LIMIT_FEASIBLE
    assert result.evaluation.ok
    assert result.bound is not None and result.bound <= result.objective_value + 1e-6
