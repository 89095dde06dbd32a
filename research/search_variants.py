"""Experiments on the GAP neighbourhood search (pairing_opt/engine/search.py): run pairopt on
chosen instances with the search as shipped or with one rejected variant, and trace what
the search did (handover, core, pieces, improvements).

This is a research tool, not part of pairopt: the variants are patched in at run time
(over private names of pairing_opt.engine.search, .backends and .strategy, which may
change without notice: this module follows them, they do not follow it) and are not in
the product because they measured no better (benchmarks/README.md, "Search variants
tried"). Keep it to re-check them, or to try new ones, on the same footing: same
instances, same limit, same machine.

    python -m research.search_variants ../shared/benchmarks/gap --groups de --only d \
        --variant plateau --time-limit 60

Variants:
  shipped     the search as in engine/search.py (imported here as lns);
  plateau     a piece's (or the core's) pairing replaces the current one when it is no
              worse (moves along plateaus): lns._better accepts ties while the search
              runs (within 1e-9 relative, which integer GAP costs never use);
  skip-core   no core when the whole model's pairing is within 3% of the bound (the core
              took 7-12 s and was worse than that pairing on most mid-size D instances);
  big-pieces  after 15 pieces in a row without a gain, one piece three donors larger with
              2 s instead of 0.5 s;
  kick        after 15 pieces in a row without a gain, one piece is re-solved with its
              costs scaled by noise (1 + U(0, KICK_NOISE)) and its pairing is taken even if
              worse (an iterated local search); the best pairing seen is returned;
  effort      the whole model, before the handover, runs HiGHS with mip_heuristic_effort
              0.3 (HiGHS's default is 0.05); the search's own solves keep the default;
  early       the whole model hands over at a quarter of the limit instead of half
              (strategy.SEARCH_AFTER 0.25; the gap rule still keeps nearly closed proofs);
  union       after 15 pieces in a row without a gain, one move over the whole model
              restricted to the current pairing's pairs and each recipient's k pairs the
              LP finds cheapest (k = 2, 3, 4, ... on successive stalls), started from the
              current pairing, at most UNION_SECONDS;
  parallel    the whole model runs for the whole limit on a thread of its own (HiGHS
              releases the GIL while it solves), and the search starts beside it once a
              fifth of the limit has passed without a proof. They trade pairings: the search
              takes the whole model's incumbent when it is better, and the whole model is
              offered the search's (HiGHS's user-solution callback). Uses both cores;
              on the 15 D instances no gain, and d05100's proof lost (README);
  proximity   after 15 pieces in a row without a gain, a proximity step (Fischetti and
              Monaci): the whole model with its cost capped one unit below the current
              pairing's (GAP costs are integers) and the number of changed pairs as the
              objective, HiGHS stopped at its first pairing, at most PROXIMITY_SECONDS;
              repeated while it finds one, else retried after 5 more pieces;
  chains      every other piece is replaced by a move in which every donor frees a few of
              its recipients at random (1 at first; more while moves solve fast) and those
              recipients are re-paired among all donors: one exact move holding every
              ejection chain through them (solved like a piece: lns._Pieces.resolve);
  piece-pool  the search's core and pieces run HiGHS with a cut pool of PIECE_POOL instead
              of GAP_CUT_POOL (the whole model keeps GAP_CUT_POOL);
  piece-time  each piece gets PIECE_TIME seconds instead of lns.PIECE_SECONDS, so pieces
              stay smaller (they grow only while solved in a fifth of that) and more of
              them fit in the limit.
--seed changes the search's random stream (lns.SEED) for any variant.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import machine
from benchmarks.gap_data import DEFAULT_FOLDER, GROUPS, GapInstance, select
from benchmarks.gap_solvers import run_pairopt
from pairing_opt.engine import backends as solver
from pairing_opt.engine import search as lns
from pairing_opt.engine import strategy
from pairing_opt.engine.bounds import PairBounds, restrict

VARIANTS = (
    "shipped",
    "plateau",
    "skip-core",
    "big-pieces",
    "effort",
    "early",
    "kick",
    "union",
    "parallel",
    "proximity",
    "chains",
    "piece-pool",
    "piece-time",
)
EFFORT = 0.3  # effort: mip_heuristic_effort of the whole-model solve
KICK_NOISE = 0.3  # kick: the largest relative change of a cost in the kicked piece
EARLY = 0.25  # early: strategy.SEARCH_AFTER
FAR = 0.03  # skip-core: the core runs only when the start is further than this from the bound
STALL = 15  # big-pieces: pieces in a row without a gain before one big piece
BIG_SECONDS = 2.0
UNION_SECONDS = 3.0  # union: the longest a union move may run
PARALLEL_START = 0.2  # parallel: share of the limit before the search starts beside the model
WHOLE_THREAD = "pairopt-whole"  # parallel: the name of the whole model's thread
PROXIMITY_SECONDS = 5.0  # proximity: the longest one proximity step may run
PIECE_POOL = 10  # piece-pool: the cut pool of the search's solves
PIECE_TIME = 0.25  # piece-time: seconds per piece


@dataclass
class Trace:
    handover: float | None = None  # seconds from the instance's start
    start: float | None = None  # objective handed to the search
    bound: float | None = None
    core: tuple[float, float | None] | None = None  # seconds, objective (None: no pairing)
    pieces: int = 0
    kicks: int = 0
    unions: list[tuple[int, float]] = field(default_factory=list)  # union: k, objective
    best: np.ndarray | None = None  # kick: the best pairing seen (the current may be worse)
    whole: tuple[float, np.ndarray] | None = None  # parallel: the whole model's incumbent
    search: tuple[float, np.ndarray] | None = None  # parallel: the search's best
    offered: tuple[float, np.ndarray] | None = None  # parallel: last one given to HiGHS
    taken: int = 0  # parallel: the whole model's pairings the search took
    given: int = 0  # parallel: the search's pairings handed to the whole model
    gains: list[tuple[float, float]] = field(default_factory=list)  # seconds, objective
    t0: float = 0.0

    def gain(self, objective: float) -> None:
        """Record a better pairing found now."""
        self.gains.append((time.perf_counter() - self.t0, objective))


def _install(variant: str, seed: int, traces: list[Trace]) -> Callable[[], None]:
    """Patch the search for one variant and wrap it to record into `traces[0]`; returns
    the function that puts everything back."""
    old_seed, improve, core, step = lns.SEED, lns.improve, lns._core, lns._Pieces.step
    old_after, new_highs = strategy.SEARCH_AFTER, solver._new_highs
    old_pool = getattr(lns, "GAP_CUT_POOL")  # noqa: B009
    old_piece_seconds = lns.PIECE_SECONDS
    lns.SEED = seed
    if variant == "piece-pool":
        setattr(lns, "GAP_CUT_POOL", PIECE_POOL)  # noqa: B010
    if variant == "piece-time":
        lns.PIECE_SECONDS = PIECE_TIME
    if variant == "early":
        strategy.SEARCH_AFTER = EARLY

    def traced_core(model: Any, bounds: Any, deadline: float) -> np.ndarray | None:
        start = traces[0].start
        near = start is not None and start - bounds.bound <= FAR * max(1.0, abs(bounds.bound))
        if variant == "skip-core" and near:
            traces[0].core = (0.0, None)
            return None
        t = time.perf_counter()
        found = core(model, bounds, deadline)
        objective = None if found is None else float(model.milp.c @ found)
        traces[0].core = (time.perf_counter() - t, objective)
        return found

    def traced_improve(
        model: Any, bounds: Any, values: Any, deadline: float, progress: Any = None
    ) -> np.ndarray | None:
        traces[0].handover = time.perf_counter() - traces[0].t0
        traces[0].start = None if values is None else float(model.milp.c @ values)
        traces[0].bound = bounds.bound
        if variant == "kick":
            found = improve(model, bounds, values, deadline, progress)
            kept = traces[0].best
            c = model.milp.c
            if found is None or (kept is not None and c @ kept < c @ found):
                return kept
            return found
        if variant != "plateau":
            return improve(model, bounds, values, deadline, progress)
        better = lns._better
        setattr(lns, "_better", _no_worse)  # noqa: B010
        try:
            return improve(model, bounds, values, deadline, progress)
        finally:
            setattr(lns, "_better", better)  # noqa: B010

    def traced_step(self: Any, best: np.ndarray, deadline: float) -> np.ndarray | None:
        stalled = getattr(self, "stalled", 0)
        big = variant == "big-pieces" and stalled >= STALL
        kick = variant == "kick" and stalled >= STALL
        c = self.model.milp.c
        if variant == "union" and stalled >= STALL:
            per = 2 + len(traces[0].unions)  # k grows with each stall
            found = _union_move(self, best, deadline, per)
            self.stalled = 0
            objective = float(c @ (best if found is None else found))
            traces[0].unions.append((per, objective))
            if found is not None:
                traces[0].gain(objective)
            return found
        if variant == "proximity" and stalled >= STALL:
            found = _proximity_move(self, best, deadline)
            self.stalled = STALL if found is not None else STALL - 5
            traces[0].unions.append((0, float(c @ (best if found is None else found))))
            if found is not None:
                traces[0].gain(float(c @ found))
            return found
        if variant == "chains" and stalled % 2 == 1:
            found = _chain_move(self, best, deadline)
            self.stalled = 0 if found is not None else stalled + 1
            traces[0].kicks += 1
            if found is not None:
                traces[0].gain(float(c @ found))
            return found
        outside = traces[0].whole
        if variant == "parallel" and outside is not None and outside[0] < float(c @ best) - 0.5:
            traces[0].taken += 1  # integer GAP costs: better by at least one unit
            return lns._rounded(self.model, outside[1])
        if variant == "kick" and (traces[0].best is None or c @ best < c @ traces[0].best):
            traces[0].best = best
        saved_size, saved_seconds = self.size, lns.PIECE_SECONDS
        milp, better = self.model.milp, lns._better
        if big:
            self.size, lns.PIECE_SECONDS = min(self.size + 3, self.donors), BIG_SECONDS
        if kick:
            noise = 1.0 + KICK_NOISE * self.rng.random(len(c))
            self.model.milp = replace(milp, c=c * noise)
            setattr(lns, "_better", lambda new, old: True)  # noqa: B010
        try:
            found = step(self, best, deadline)
        finally:
            if big:
                self.size, lns.PIECE_SECONDS = saved_size, saved_seconds
            self.model.milp = milp
            setattr(lns, "_better", better)  # noqa: B010
        self.stalled = 0 if (found is not None or big or kick) else stalled + 1
        if kick:
            traces[0].kicks += 1
            return found
        traces[0].pieces += 1
        if found is not None:
            traces[0].search = (float(c @ found), found)
            traces[0].gain(float(self.model.milp.c @ found))
        return found

    def effort_highs(highspy: Any) -> Any:
        h = new_highs(highspy)
        if traces[0].handover is None:  # still the whole model
            h.setOptionValue("mip_heuristic_effort", EFFORT)
        return h

    run_interruptibly, solve_then_search = solver._run_interruptibly, strategy._solve_then_search

    def exchanging_run(h: Any, sense: float = 1.0, stop_when: Any = None) -> None:
        if threading.current_thread().name != WHOLE_THREAD:
            run_interruptibly(h, sense, stop_when)
            return

        # highspy's startSolve holds a lock shared by every Highs object, so the whole
        # model calls run() directly; the search's pieces keep startSolve.
        def improving(event: Any) -> None:
            values = np.array(event.data_out.mip_solution, dtype=float)
            traces[0].whole = (float(event.data_out.objective_function_value), values)

        def offer(event: Any) -> None:
            found = traces[0].search
            if found is None or found is traces[0].offered:
                return
            if found[0] < event.data_out.mip_primal_bound - 0.5:
                event.data_in.setSolution(found[1])
                traces[0].offered = found
                traces[0].given += 1

        h.cbMipImprovingSolution += improving
        h.cbMipUserSolution += offer
        h.run()

    if variant == "effort":
        setattr(solver, "_new_highs", effort_highs)  # noqa: B010
    if variant == "parallel":
        setattr(solver, "_run_interruptibly", exchanging_run)  # noqa: B010
        setattr(strategy, "_solve_then_search", _parallel_solve)  # noqa: B010
    # Patched on purpose (see the module docstring); setattr keeps mypy's method checks quiet.
    setattr(lns, "_core", traced_core)  # noqa: B010
    setattr(strategy, "improve", traced_improve)  # noqa: B010
    setattr(lns._Pieces, "step", traced_step)  # noqa: B010

    def restore() -> None:
        lns.SEED = old_seed
        setattr(lns, "GAP_CUT_POOL", old_pool)  # noqa: B010
        lns.PIECE_SECONDS = old_piece_seconds
        strategy.SEARCH_AFTER = old_after
        setattr(solver, "_new_highs", new_highs)  # noqa: B010
        setattr(lns, "_core", core)  # noqa: B010
        setattr(strategy, "improve", improve)  # noqa: B010
        setattr(lns._Pieces, "step", step)  # noqa: B010
        setattr(solver, "_run_interruptibly", run_interruptibly)  # noqa: B010
        setattr(strategy, "_solve_then_search", solve_then_search)  # noqa: B010

    return restore


class _Proven(Exception):
    """parallel: the whole model proved its pairing while the search ran."""


def _parallel_solve(
    model: Any, mip_gap: float, clock: Any, bounds: PairBounds | None
) -> solver.RawResult:
    """parallel: strategy._solve_then_search with the whole model beside the search instead of
    before it. The bound is the whole model's (or the LP's, if higher), as shipped."""
    box: dict[str, solver.RawResult] = {}

    def whole() -> None:
        box["raw"] = solver.run_milp("highs", model.milp, clock.remaining(), mip_gap)

    thread = threading.Thread(target=whole, name=WHOLE_THREAD, daemon=True)
    thread.start()
    thread.join(max(0.0, PARALLEL_START * clock.limit))
    if not thread.is_alive():
        return box["raw"]
    if bounds is None:
        bounds = strategy._lp_pair_bounds(model, clock)
    values = None
    if bounds is not None:

        def stop_if_proven(best: float) -> None:
            if not thread.is_alive() and box["raw"].status == solver.Status.OPTIMAL:
                raise _Proven

        try:
            improve = vars(strategy)["improve"]  # the traced search, patched in by _install
            values = improve(model, bounds, None, clock.start + clock.limit, stop_if_proven)
        except _Proven:
            values = None
    thread.join()
    raw = box["raw"]
    if raw.status in (solver.Status.OPTIMAL, solver.Status.INFEASIBLE) or bounds is None:
        return raw
    bound = max(bounds.bound, raw.bound if raw.bound is not None else -math.inf)
    found = [v for v in (values, raw.values) if v is not None]
    if not found:
        return replace(raw, bound=bound)
    best = min(found, key=lambda v: float(model.milp.c @ v))
    return strategy._search_result(model, best, bound, mip_gap, clock.elapsed())


def _union_move(pieces: Any, best: np.ndarray, deadline: float, per: int) -> np.ndarray | None:
    """union: the whole model over the current pairing's pairs and each recipient's `per`
    LP-cheapest pairs, from the current pairing; the better pairing, or None."""
    model = pieces.model
    near = PairBounds(0.0, pieces.gain).nearest(model.candidates.recipient, per)
    kept = near | model.used(best)
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return None
    raw = solver.run_milp(
        "highs", restrict(model, kept), min(UNION_SECONDS, left), 0.0, initial=best
    )
    return None if raw.values is None else lns._if_better(model, raw.values, best)


def _proximity_move(pieces: Any, best: np.ndarray, deadline: float) -> np.ndarray | None:
    """proximity: the pairing nearest to the current one (fewest pairs changed) among those
    cheaper by at least one unit (GAP costs are integers), HiGHS stopped at its first
    pairing (Fischetti and Monaci's proximity search); the pairing, or None."""
    model = pieces.model
    milp = model.milp
    left = deadline - time.perf_counter()
    if left <= 0.05:
        return None
    used = model.used(best)
    distance = np.zeros(milp.num_cols)
    distance[model.x_col] = np.where(used, -1.0, 1.0)
    near = milp.with_objective_cap(milp.c, float(milp.c @ best) - 0.5, distance)
    old = solver._new_highs

    def first_only(highspy: Any) -> Any:
        h = old(highspy)
        h.setOptionValue("mip_max_improving_sols", 1)
        return h

    setattr(solver, "_new_highs", first_only)  # noqa: B010
    try:
        raw = solver.run_milp("highs", near, min(PROXIMITY_SECONDS, left), 0.0)
    finally:
        setattr(solver, "_new_highs", old)  # noqa: B010
    return None if raw.values is None else lns._if_better(model, raw.values, best)


def _chain_move(pieces: Any, best: np.ndarray, deadline: float) -> np.ndarray | None:
    """chains: every donor frees a few of its recipients (at random), and those recipients
    are re-paired among all donors, everything else held: one exact move that holds every
    ejection chain through those recipients. The number freed per donor grows while the
    moves solve fast and shrinks when not."""
    rng = pieces.rng
    per = getattr(pieces, "chain_per", 1)
    covering = pieces.covering(best)
    n_rec = len(covering)
    freed = np.zeros(n_rec, dtype=bool)
    order = rng.permutation(n_rec)
    taken = np.zeros(pieces.donors, dtype=np.int64)
    for r in order:
        d = covering[r]
        if d >= 0 and taken[d] < per:
            taken[d] += 1
            freed[r] = True
    pairs = freed[pieces.model.candidates.recipient]
    left = deadline - time.perf_counter()
    if left <= 0.05 or not pairs.any():
        return None
    found: np.ndarray | None
    raw, found = pieces.resolve(pairs, best, deadline)
    if raw.status == solver.Status.OPTIMAL and raw.seconds < 0.2 * lns.PIECE_SECONDS:
        pieces.chain_per = per + 1
    elif raw.status != solver.Status.OPTIMAL:
        pieces.chain_per = max(per - 1, 1)
    return found


def _no_worse(new: float, old: float) -> bool:
    return bool(new <= old + 1e-9 * max(1.0, abs(old)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m research.search_variants",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--groups", default="de", help=f"groups: {', '.join(GROUPS)} (de)")
    parser.add_argument("--names", help="comma-separated instance names; overrides --groups")
    parser.add_argument("--only", default="", help="keep names starting with this (e.g. d)")
    parser.add_argument("--variant", choices=VARIANTS, default="shipped")
    parser.add_argument("--seed", type=int, default=lns.SEED, help="lns.SEED (0)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    folder: Path = args.folder.resolve()
    if not (folder / "best_known.csv").exists():
        parser.error(f"{folder} has no best_known.csv (give the GAP folder as the argument)")
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    instances = [i for i in select(folder, groups, names) if i.name.startswith(args.only)]
    if not instances:
        parser.error("no instance matches the selection")
    print(f"machine: {machine.describe()}")
    print(f"variant {args.variant}, seed {args.seed}, {args.time_limit:g} s each")
    traces: list[Trace] = [Trace()]
    restore = _install(args.variant, args.seed, traces)
    try:
        gaps = _run(instances, args.time_limit, traces)
    finally:
        restore()
    if gaps:
        print(f"\n{len(gaps)} instances: sum of gaps {sum(gaps):.3f}, mean {np.mean(gaps):.3f}%")
    print(f"load average after the run: {machine.load_average()}")
    return 0


def _run(instances: list[GapInstance], time_limit: float, traces: list[Trace]) -> list[float]:
    gaps = []
    for inst in instances:
        traces[0] = trace = Trace(t0=time.perf_counter())
        run = run_pairopt(inst, time_limit)
        best = inst.best_known
        gap = None
        if run.objective is not None and best:
            gap = 100 * (run.objective - best) / abs(best)
            gaps.append(gap)
        shown = "-" if gap is None else f"{gap:.3f}%"
        print(f"{inst.name}: {run.status} {run.objective} gap {shown} ({run.seconds:.1f} s)")
        if trace.handover is not None:
            print(
                f"  handover at {trace.handover:.1f} s with {trace.start}; core {trace.core}; "
                f"{trace.pieces} pieces ({trace.kicks} kicks), {len(trace.gains)} gains, last "
                f"{trace.gains[-1] if trace.gains else None}"
                + (f"; unions {trace.unions}" if trace.unions else "")
                + (
                    f"; took {trace.taken} from the whole model, gave it {trace.given}"
                    if trace.taken or trace.given
                    else ""
                )
            )
        sys.stdout.flush()
    return gaps


if __name__ == "__main__":
    sys.exit(main())
