"""Reduced-cost pair bounds (core.py) and the core strategy built on them (strategy.py).

The bounds decide which pairs the solver never sees, so they must hold for every pairing,
whatever dual they come from: a pair whose bound is wrong would silently lose an optimum.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pairing_opt.checks.diagnose import conflicts
from pairing_opt.engine.backends import (
    HIGHS,
    TIE_SLACK,
    RawResult,
    Status,
    recording_stages,
    reporting,
    run_milp,
    solve_relaxation,
    timed,
)
from pairing_opt.engine.bounds import PairBounds, pair_bounds, restrict
from pairing_opt.engine.model import Milp, PairingModel, build_model
from pairing_opt.engine.pipeline import solve, with_options
from pairing_opt.engine.strategy import (
    TIE_BREAK_NODES,
    _alone_under_cap,
    _Clock,
    _none_under,
    _prove_by_exclusion,
    _tight_terms,
    _whole_model_bound,
)
from pairing_opt.io.loader import load
from pairing_opt.scenario.scenario import Scenario

from . import SLOW, examples
from .conftest import AVAILABLE_SOLVERS, EXAMPLE, HUBEI, recorded_highs, scenario_from_columns
from .test_property import Case, cases, check_against_bruteforce

pytestmark = pytest.mark.skipif("highs" not in AVAILABLE_SOLVERS, reason="needs HiGHS")


def _forced_optimum(milp: Milp, x_col: int) -> float | None:
    """The best c.v over pairings that use the pair of column x_col (None: none exists)."""
    lb = milp.lb.copy()
    lb[x_col] = 1.0
    raw = run_milp("highs", replace(milp, lb=lb), None, 0.0)
    return raw.objective if raw.status == Status.OPTIMAL else None


@settings(max_examples=examples(0.4))  # each solves the model once per pair
@given(case=cases(), noise=st.sampled_from([0.0, 0.0, 0.3, 5.0]), seed=st.integers(0, 99))
def test_pair_bounds_hold_for_every_pair_and_any_dual(case: Case, noise: float, seed: int) -> None:
    """For each pair p: every pairing that uses p costs at least bound + gain[p], checked
    by solving the model with p forced in. With noisy duals the bounds get weaker, never
    wrong (weak duality holds for any dual vector)."""
    scenario = case.scenario()
    if conflicts(scenario):
        return
    model = build_model(scenario)
    if len(model.candidates) == 0:
        return
    lp = solve_relaxation(model.milp, None)
    if lp is None:
        return
    rng = np.random.default_rng(seed)
    y = lp.row_dual + noise * rng.standard_normal(len(lp.row_dual)) * (1.0 + np.abs(lp.row_dual))
    bounds = pair_bounds(model, y)
    if bounds is None:
        return
    assert bounds.bound <= lp.objective + 1e-6 * max(1.0, abs(lp.objective))
    for p, column in enumerate(model.x_col):
        best = _forced_optimum(model.milp, int(column))
        if best is None:
            continue
        tolerance = 1e-6 * max(1.0, abs(best))
        assert best >= bounds.bound + bounds.gain[p] - tolerance, (p, best, bounds)


def test_hubei_restricted_to_kept_pairs_keeps_the_optimum() -> None:
    """On the shipped scenario, the pairs the bounds keep under the proven optimum are
    enough: the restricted model has the same optimum, with most pairs dropped."""
    scenario = load(HUBEI)
    model = build_model(scenario)
    lp = solve_relaxation(model.milp, None)
    assert lp is not None
    bounds = pair_bounds(model, lp.row_dual)
    assert bounds is not None
    whole = run_milp("highs", model.milp, None, 0.0)
    assert whole.status == Status.OPTIMAL and whole.objective is not None
    kept = bounds.keep(whole.objective)
    assert kept.sum() < len(kept)  # the LP proves some pairs useless
    restricted = run_milp("highs", restrict(model, kept), None, 0.0)
    assert restricted.objective == pytest.approx(whole.objective, rel=1e-9)
    assert bounds.dropped_bound(kept) > whole.objective


def test_dual_of_wrong_sign_is_clipped_not_trusted() -> None:
    """A dual pushing a one-sided row the wrong way would make the bound -inf or wrong;
    it is clipped to zero, so the bound stays finite and valid."""
    scenario = load(HUBEI)
    model = build_model(scenario)
    lp = solve_relaxation(model.milp, None)
    assert lp is not None
    y = lp.row_dual.copy()
    upper_only = np.flatnonzero(~np.isfinite(model.milp.row_lb))
    y[upper_only[:5]] = 1e6  # a <= row can only carry a dual <= 0 in a minimisation
    bounds = pair_bounds(model, y)
    assert bounds is not None
    assert np.isfinite(bounds.bound) and bounds.bound <= lp.objective + 1e-6 * lp.objective


def test_solver_proof_is_not_enough_when_dropped_pairs_could_be_better() -> None:
    """If a dropped pair could still beat the restricted optimum, the answer is not called
    optimal, and the bound reported is the lower one."""
    bounds = PairBounds(bound=90.0, gain=np.array([0.0, 5.0]))
    raw = RawResult(Status.OPTIMAL, np.zeros(2), 100.0, 100.0, 0.1)
    kept = np.array([True, False])  # the dropped pair only proves >= 95
    result = _whole_model_bound(raw, bounds, kept, 0.0)
    assert result.status == Status.LIMIT_FEASIBLE
    assert result.bound == 95.0
    # With the dropped pair provably worse, the solver's proof stands.
    proven = _whole_model_bound(raw, PairBounds(90.0, np.array([0.0, 20.0])), kept, 0.0)
    assert proven.status == Status.OPTIMAL and proven.bound == 100.0


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
def test_core_and_whole_model_agree_on_shipped_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP-guided path and the plain whole-model path return the same verified pairing."""
    import pairing_opt.engine.strategy as strategy

    scenario = load(HUBEI)
    guided = solve(scenario)
    monkeypatch.setattr(strategy, "_lp_pair_bounds", lambda model, clock: None)
    plain = solve(scenario)
    assert guided.status == plain.status == Status.OPTIMAL
    assert guided.objective_value == pytest.approx(plain.objective_value, rel=1e-9)
    assert [(a.donor, a.recipient) for a in guided.pairing] == [
        (a.donor, a.recipient) for a in plain.pairing
    ]


def test_a_wider_core_first_gives_the_same_pairing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wider cores run only when the pairs that could beat the core's pairing are many
    (WIDEN_MIN_PAIRS); forced on Hubei, where they outnumber the core ten times, they lead
    to the same proven pairing."""
    import pairing_opt as po
    import pairing_opt.engine.strategy as strategy

    scenario = po.load(HUBEI)
    shipped = po.solve(scenario)
    monkeypatch.setattr(strategy, "WIDEN_MIN_PAIRS", 0)
    widened = po.solve(scenario)
    assert "widen" not in dict(shipped.stages) and "widen" in dict(widened.stages)
    assert shipped.status == widened.status == "optimal"
    assert shipped.objective == pytest.approx(widened.objective, rel=1e-9)
    assert shipped.pairs == widened.pairs


@pytest.mark.parametrize(("free", "solved"), [(2, True), (4, False)])
def test_a_core_holding_a_large_share_of_the_pairs_is_not_solved(free: int, solved: bool) -> None:
    """A core of 2 pairs in 10 is solved; one of 4 in 10 (above CORE_MAX_SHARE) is about as
    hard as the whole model and the proof after it would be a second such solve, so the
    solve goes straight to the whole model (no core pairing)."""
    import pairing_opt.engine.strategy as strategy

    bounds = PairBounds(100.0, np.array([0.0] * free + [50.0] * (10 - free)))
    tried: list[float] = []

    def run(self: object, kept: np.ndarray, *args: object, **kwargs: object) -> RawResult:
        tried.append(float(kept.mean()))
        return RawResult(Status.INFEASIBLE, None, None, None, 0.0)

    cores = strategy._Cores(None, "highs", 0.0, _Clock(None), bounds)  # type: ignore[arg-type]
    with patch.object(strategy._Cores, "run", run):
        assert cores.first() is None
    assert tried == ([0.2, 0.2, 0.2] if solved else [])


def _whole_model_raced(case: Case) -> bool:
    """check_against_bruteforce with no core pairing (forced here: tight scenarios have
    none), so the whole model runs with uniqueness checks racing it on the pairings it
    finds; whether the race ran (shares with ties possible)."""
    import pairing_opt.engine.strategy as strategy

    raced = patch.object(strategy, "_solve_whole_checked", wraps=strategy._solve_whole_checked)
    with patch.object(strategy._Cores, "first", lambda self: None), raced as whole_checked:
        check_against_bruteforce(case)
    return bool(whole_checked.called)


@settings(max_examples=examples(1.0))  # a third of the cases race
@given(case=cases())
def test_whole_model_with_racing_checks_matches_bruteforce(case: Case) -> None:
    """The whole model stops when a check proves its pairing alone. Whichever run ends
    first, the answer is the brute-force optimum and its tie-break's pick."""
    event("checks raced" if _whole_model_raced(case) else "no race (one donor each, or no ties)")


def test_racing_check_finds_the_tie_the_whole_model_leaves() -> None:
    """One province with nothing to give and one city with nothing to need, no donor
    required: the whole model's optimum keeps the useless pair (cost 0), and the empty
    pairing ties with it. The check of that pairing must report the tie, so the tie-break
    drops the pair, rather than call it the only optimum."""
    place = {"lat": "20.000"}
    case = Case(
        donors=[{"id": "D0", "capacity": "0", "lon": "100.000"} | place],
        recipients=[{"id": "R0", "need": "0", "lon": "101.000"} | place],
        pairs=None,
        rules={"donors_per_recipient": {"min": 0, "max": 2}},
        objective="weighted_distance",
        solver="highs",
    )
    assert _whole_model_raced(case)


@pytest.mark.parametrize("name", AVAILABLE_SOLVERS)
def test_node_limit_stops_short_and_is_not_called_optimal(name: str, tmp_path: Path) -> None:
    """The tie-break's node cap is a limit like time: a run it stops is never optimal, and
    it stops at the same place every time (the tie-break's output must not depend on load)."""
    from .test_cli import hard_gap

    model = build_model(load(hard_gap(tmp_path / "gap")))
    first = run_milp(name, model.milp, 60.0, 0.0, node_limit=2)
    again = run_milp(name, model.milp, 60.0, 0.0, node_limit=2)
    assert first.status in (Status.LIMIT_FEASIBLE, Status.LIMIT_NO_SOLUTION)
    assert first.seconds < 30.0  # the node cap fired, not the 60 s time limit
    assert first.objective == again.objective


def test_a_highs_run_leaves_no_solver_for_the_cycle_collector() -> None:
    """Each finished HiGHS run frees its solver (model copies, presolve, factorisation) at
    once. A solver kept alive by a reference cycle lives until Python's cyclic collector
    happens to run, and on the county scenario such solvers had raised the peak memory of
    `pairopt solve` from 436 MiB to 637 MiB."""
    import gc

    highspy = pytest.importorskip("highspy")
    model = build_model(load(HUBEI.parent.parent / "example" / "scenario.yaml"))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        solve_relaxation(model.milp, None)
        run_milp("highs", model.milp, None, 0.0)
        with reporting(lambda seconds, best, bound: None):  # the progress callback too
            run_milp("highs", model.milp, None, 0.0, stop_when=lambda n, best, bound: False)
        gc.collect()
        left = sum(type(thing) is highspy.Highs for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == 0


def _two_cities(cost: list[int]) -> Scenario:
    """Provinces A (1 degree east of both cities) and B (5 degrees east), cities X and Y, one
    province each, capacity for all; minimise a pair-table cost (pairs A-X, A-Y, B-X, B-Y)."""
    return scenario_from_columns(
        {"id": ["B", "A"], "cap": [10, 10], "lat": [30, 30], "lon": [115, 111]},
        {"id": ["X", "Y"], "need": [1, 1], "lat": [30, 30.5], "lon": [110, 110]},
        {"donor": ["A", "A", "B", "B"], "recipient": ["X", "Y", "X", "Y"], "cost": cost},
        objective={"minimize": "cost"},
    )


def test_tie_goes_to_the_shorter_pairs(solver: str) -> None:
    """Every pairing costs the same: the tie-break must pick the shorter pairs, whatever
    order the solver explored (B is listed first)."""
    result = solve(with_options(_two_cities([1, 1, 1, 1]), solver=solver))
    assert result.status == Status.OPTIMAL and result.tie_break == "done"
    assert {(a.donor, a.recipient) for a in result.pairing} == {("A", "X"), ("A", "Y")}


def test_a_minimax_value_is_tightened_after_the_tie_break() -> None:
    """One donor per recipient, max_distance, mip_gap 0.01: the first pairing's longest pair
    is 958 km; the tie-break finds a pairing whose longest is 957 km but left the minimax
    variable at its cap (958), so the solve failed its own verification (exit 3) on a
    valid, better pairing. The value is now that of the pairing returned."""
    folder = Path(__file__).parent / "data" / "regressions" / "max-distance-loose-gap"
    scenario = load(folder / "scenario.yaml")
    result = solve(scenario)
    longest = max(
        scenario.distance_km(*scenario.pair_index(a.donor, a.recipient)) for a in result.pairing
    )
    assert result.status == Status.OPTIMAL
    assert result.objective_value == pytest.approx(longest, rel=1e-9)


def test_the_tie_break_runs_without_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS restarted the tie-break's root once it had fixed most pairs by reduced cost,
    which cost more than it saved (half the time of hubei-2020's max_distance tie-break);
    the first solve keeps HiGHS's restarts."""
    made = recorded_highs(monkeypatch)
    result = solve(with_options(_two_cities([1, 1, 1, 1]), solver="highs"))
    assert result.status == Status.OPTIMAL and result.tie_break == "done"
    restarts = {
        int(h.getOptionValue("mip_max_nodes")[1]): bool(h.getOptionValue("mip_allow_restart")[1])
        for h in made
    }
    assert restarts[TIE_BREAK_NODES] is False
    assert True in restarts.values()  # the first solve's


@pytest.mark.parametrize(
    ("cost", "alone"),
    [
        ([1, 1, 1, 1], False),  # every pairing ties
        ([1, 1, 1, 2], False),  # X ties between A and B; Y must go to A
        ([1, 2, 2, 1], True),  # A-X + B-Y (2) beats every other pairing (3 or 4)
        ([1, 1, 2, 2], True),  # A-X + A-Y is the only pairing at 2
    ],
)
def test_only_pair_set_under_the_cap(cost: list[int], alone: bool) -> None:
    """The check that skips the tie-break re-solve says 'alone' only when no other pair set
    is as good, so a tie is never decided by the order the solver explored."""
    model = build_model(_two_cities(cost))
    first = run_milp("highs", model.milp, None, 0.0)
    assert first.values is not None and first.objective is not None
    cap = first.objective + TIE_SLACK * max(1.0, abs(first.objective))
    assert _alone_under_cap(model, first.values, cap, None, _Clock(None)) is alone


def _pairing_of(model: PairingModel, scenario: Scenario, pairs: set[tuple[str, str]]) -> RawResult:
    """The best shares for the pair set `pairs` (names), as a core solve would return them."""
    cand = model.candidates
    names = [
        (scenario.donors[int(d)], scenario.recipients[int(r)])
        for d, r in zip(cand.donor, cand.recipient, strict=True)
    ]
    assert pairs <= set(names)
    chosen = np.array([name in pairs for name in names])
    milp = restrict(model, chosen)
    lb = milp.lb.copy()
    lb[model.x_col[chosen]] = 1.0
    raw = run_milp("highs", replace(milp, lb=lb), None, 0.0)
    assert raw.status == Status.OPTIMAL
    return raw


@pytest.mark.parametrize(
    ("cost", "start", "best", "settled"),
    [
        # The start is the only optimum: one solve proves both optimality and uniqueness.
        ([1, 2, 2, 1], {("A", "X"), ("B", "Y")}, 2.0, True),
        ([1, 1, 2, 2], {("A", "X"), ("A", "Y")}, 2.0, True),
        # The start is not optimal: the best other pairing is the optimum, still to check.
        ([1, 2, 2, 1], {("A", "X"), ("A", "Y")}, 2.0, False),
        ([1, 2, 2, 1], {("B", "X"), ("A", "Y")}, 2.0, False),
        # The start ties with another pair set: optimal, but the tie-break must run.
        ([1, 1, 1, 2], {("A", "X"), ("A", "Y")}, 2.0, False),
        ([1, 1, 1, 1], {("B", "X"), ("B", "Y")}, 2.0, False),
    ],
)
@pytest.mark.parametrize("wide", [False, True], ids=["core-of-start", "core-of-all"])
def test_proof_by_exclusion(
    cost: list[int], start: set[tuple[str, str]], best: float, settled: bool, wide: bool
) -> None:
    """The core's pairing is proven optimal, and its pair set the only one that good, by one
    solve that excludes it. It must never call a pairing settled when another pair set is as
    good, nor keep a start that another pairing beats; and the bound it reports must hold.
    With the start's own pairs as the core there is no other pairing in it; with every pair
    in the core, the best other pairing there starts the solve, run as a proof."""
    scenario = _two_cities(cost)
    model = build_model(scenario)
    incumbent = _pairing_of(model, scenario, start)
    weak = PairBounds(0.0, np.zeros(len(model.candidates)))  # every cost here is >= 0
    assert incumbent.values is not None
    core = np.ones(len(model.candidates), dtype=bool) if wide else model.used(incumbent.values)
    result, alone = _prove_by_exclusion(model, incumbent, weak, core, _Clock(None))
    assert alone is (True if settled else None)  # None: not known alone, the check runs
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(best)
    assert result.bound == pytest.approx(best)
    assert result.values is not None
    assert float(model.milp.c @ result.values) == pytest.approx(best)
    if settled:
        assert np.array_equal(model.used(result.values), model.used(incumbent.values))


def test_a_proof_from_a_poor_start_still_finds_the_optimum() -> None:
    """Run as a proof (restarts and sub-MIP heuristics off), HiGHS must still improve on a
    start that is far from optimal: the mode changes how it searches, not what it proves."""
    model = build_model(load(HUBEI))
    plain = run_milp("highs", model.milp, None, 0.0)
    assert plain.status == Status.OPTIMAL and plain.objective is not None
    lp = solve_relaxation(model.milp, None)
    assert lp is not None
    bounds = pair_bounds(model, lp.row_dual)
    assert bounds is not None
    narrow = run_milp("highs", restrict(model, bounds.gain <= 1e-6 * bounds.bound), None, 0.0)
    assert narrow.objective is not None and narrow.objective > plain.objective * (1 + 1e-3)
    proof = run_milp("highs", model.milp, None, 0.0, initial=narrow.values, proof=True)
    assert proof.status == Status.OPTIMAL
    assert proof.objective == pytest.approx(plain.objective, rel=1e-9)


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [
        (1.5, None),  # nothing costs less than 1.5 (the best pairing costs 2)
        (2.5, 2.0),  # the best pairing is below the cutoff: found and proven
        (10.0, 2.0),
    ],
)
def test_a_cutoff_searches_below_it_only(cutoff: float, expected: float | None) -> None:
    """A run with a cutoff answers one question: the best pairing that costs less than the
    cutoff, or proof that there is none (the uniqueness check and the proof by exclusion
    rely on it). HiGHS may then hand back a pairing at or above the cutoff, called optimal;
    `_none_under` reads both answers as "none below"."""
    model = build_model(_two_cities([1, 2, 2, 1]))
    raw = run_milp("highs", model.milp, None, 0.0, cutoff=cutoff)
    if expected is None:
        assert _none_under(raw, cutoff)
    else:
        assert not _none_under(raw, cutoff)
        assert raw.status == Status.OPTIMAL and raw.objective == pytest.approx(expected)


def test_the_check_finds_a_pairing_that_ties_exactly() -> None:
    """Two provinces at one place: every split of the city's need between them costs the
    same, and the empty city can take a third province's pair at no cost. The optimum with
    that extra pair ties exactly with the one without it, so the uniqueness check must find
    the tie and the tie-break must drop the extra pair. (The property test found this case:
    the tie-break, started from the pairing with the extra pair, got back that start from
    HiGHS with the value of the better pairing.)"""
    scenario = scenario_from_columns(
        {
            "id": ["D1", "D2", "D3"],
            "cap": [1, 1, 1],
            "lat": [20, 20, 20],
            "lon": [100, 100, 101],
        },
        {"id": ["R0", "R1"], "need": [0, 1], "lat": [20, 29], "lon": [100, 100]},
        rules={"donors_per_recipient": 2, "reserve": 0.1},
    )
    model = build_model(scenario)
    extra = model.candidates.recipient == 0
    far = extra & (model.candidates.donor == 2)
    lb = model.milp.lb.copy()
    lb[model.x_col[far]] = 1.0
    with_extra = run_milp("highs", replace(model.milp, lb=lb), None, 0.0)
    assert with_extra.values is not None and with_extra.objective is not None
    cap = with_extra.objective + TIE_SLACK * max(1.0, abs(with_extra.objective))
    assert not _alone_under_cap(model, with_extra.values, cap, None, _Clock(None))
    result = solve(scenario)
    pairs = {(a.donor, a.recipient) for a in result.pairing}
    assert {("D1", "R1"), ("D2", "R1")} <= pairs
    assert ("D3", "R0") not in pairs  # 104 km for nothing (D1 and D2 stand on R0: 0 km)


def test_a_solve_records_where_its_time_goes() -> None:
    """recording_stages lists each stage of a solve with its seconds, in order, a stage
    within another named "outer/inner": what the variants benchmark prints per run."""
    with recording_stages() as stages:
        result = solve(load(HUBEI))
    assert result.status == Status.OPTIMAL
    names = [name for name, _ in stages]
    assert names[0] == "diagnose" and "build" in names and names[-1] == "verify"
    assert "lp" in names and names.index("lp") < names.index("build") + 2
    assert all(seconds >= 0 for _, seconds in stages)
    with recording_stages() as outer, timed("a"), timed("b"):
        pass
    assert [name for name, _ in outer] == ["a/b", "a"]


@pytest.mark.parametrize("solver", AVAILABLE_SOLVERS)
def test_a_fairness_flag_left_at_0_is_raised_where_the_pairs_allow(solver: str) -> None:
    """A solve stopped early, or with fairness weighted under the solver's tolerances, can
    return fairness's flag w at 0 while every donor serves: the lowest utilisation is then
    held at 0 and the value is the highest utilisation, not the pairing's spread. The
    values returned have w and the lowest utilisation as the pairs allow."""
    scenario = load(EXAMPLE, ["objective=fairness"])
    model = build_model(scenario, tie_break=False)
    found = run_milp(HIGHS, model.milp, 60.0, 0.0)
    assert found.values is not None
    flags = np.flatnonzero(model.flag_cols())
    assert found.values[flags].tolist() == [1.0]  # every donor serves at the optimum
    loose = found.values.copy()
    loose[flags] = 0.0
    loose[model.term_cols()] = np.where(model.milp.c[model.term_cols()] < 0, 0.0, 1.0)
    assert float(model.milp.c @ loose) > float(model.milp.c @ found.values) + 0.1
    tight = _tight_terms(model, solver, loose)
    assert tight[flags].tolist() == [1.0]
    assert float(model.milp.c @ tight) == pytest.approx(
        float(model.milp.c @ found.values), abs=1e-7
    )
    assert np.array_equal(tight[model.x_col], loose[model.x_col])
