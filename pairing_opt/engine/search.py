"""Better pairings within a time limit: re-solve small pieces of a pairing (a large
neighbourhood search) when the solver cannot prove the whole model in time.

Only for one donor per recipient (the Generalized Assignment Problem). On a large model
HiGHS can spend a whole limit on its root node and keep the first pairing it found, far
above the best known. Two kinds of move, each an exact MILP solved by HiGHS:

- a core: the model restricted to each recipient's few pairs that the LP relaxation finds
  cheapest (widened while it has no pairing);
- pieces: a few related donors and the recipients they cover now, everything else held
  (`Milp.fixing`); HiGHS re-pairs those recipients among those donors, starting from the
  current pairing. Pieces grow while they solve fast and shrink when they do not.

A move is kept only if it is strictly better. Every pairing stays feasible for the whole
model: a core pairing uses the model's own rows, a piece satisfies the rows shifted by the
held part. Nothing here is called optimal: the bound comes from the solver and the LP,
never from this search.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..scenario.scenario import ROUNDING
from .backends import HIGHS, RawResult, Status, reporting, run_milp
from .bounds import PairBounds, restrict
from .model import PairingModel

# With one donor per recipient, HiGHS's cut pool (10,000 by default) fills with knapsack
# cuts it then keeps re-checking; a soft limit of 30 made both the GAP proofs and this
# search's solves faster, all still proven (benchmarks/README.md). With shares it measured
# slower, so only single-donor models use it (here and in strategy.py).
GAP_CUT_POOL = 30
MIN_RUN_SECONDS = 0.05  # a solve with less time left than this cannot find anything

CORE_PER_RECIPIENT = (2, 4, 8)  # pairs per recipient in the core, widened while infeasible
CORE_SHARE = 0.25  # of the search's time, at most, for the core
PIECE_SECONDS = 0.5  # per piece: a piece that needs longer is too big, and shrinks
PIECE_DONORS = 2  # donors in the first piece; grows while pieces solve fast
SEED = 0


def improve(
    model: PairingModel,
    bounds: PairBounds,
    values: np.ndarray | None,
    deadline: float,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray | None:
    """The best pairing found by `deadline` (a `time.perf_counter()` value), starting from
    `values` (a feasible solution of model.milp, or None). `progress` hears the best
    objective (c.v) before each move. None only if no pairing turned up at all."""
    milp = model.milp
    best = None if values is None else _rounded(model, values)
    with reporting(None):  # a piece's own bound says nothing about the whole model
        core = _core(model, bounds, deadline)
        if core is not None and (best is None or _better(milp.c @ core, milp.c @ best)):
            best = core
        if best is None:
            return None
        if not model.used(best).any():
            return best  # nothing is paired, so there is nothing to re-pair
        search = _Pieces(model, bounds)
        while time.perf_counter() < deadline - 0.02:
            if progress is not None:  # also keeps the status line's clock moving
                progress(float(milp.c @ best))
            found = search.step(best, deadline)
            if found is not None:
                best = found
    return best


def _core(model: PairingModel, bounds: PairBounds, deadline: float) -> np.ndarray | None:
    """The best pairing of the core, widened while it has none. The current pairing is left
    out of it on purpose: with a poor pairing's pairs (and that pairing as a start) HiGHS
    stayed near it."""
    recipient = model.candidates.recipient
    tiny = bounds.gain <= ROUNDING * bounds.scale
    budget = CORE_SHARE * (deadline - time.perf_counter())
    for per in CORE_PER_RECIPIENT:
        left = deadline - time.perf_counter()
        if left <= MIN_RUN_SECONDS:
            return None
        kept = bounds.nearest(recipient, per) | tiny
        raw = run_milp(HIGHS, restrict(model, kept), min(budget, left), 0.0, cut_pool=GAP_CUT_POOL)
        if raw.values is not None:
            return _rounded(model, raw.values)
        if raw.status != Status.INFEASIBLE:
            return None  # out of time
    return None


class _Pieces:
    """Pieces of a few related donors, grown while they solve fast and shrunk when not."""

    def __init__(self, model: PairingModel, bounds: PairBounds) -> None:
        self.model = model
        self.gain = bounds.gain
        self.rng = np.random.default_rng(SEED)
        self.donors = int(model.candidates.donor.max()) + 1  # improve() saw a used pair
        self.size = PIECE_DONORS
        self.others = model.other_cols()  # shares, auxiliaries

    def step(self, best: np.ndarray, deadline: float) -> np.ndarray | None:
        """One piece re-solved; the better pairing, or None."""
        cand = self.model.candidates
        now = self.covering(best)[cand.recipient]  # each pair's recipient's donor now, or -1
        in_piece = np.zeros(self.donors, dtype=bool)
        in_piece[self._related(now)] = True
        pairs = in_piece[cand.donor] & (now >= 0) & in_piece[np.maximum(now, 0)]
        if not pairs.any():
            return None
        left = deadline - time.perf_counter()
        raw, found = self.resolve(pairs, best, deadline)
        if raw.status == Status.OPTIMAL and raw.seconds < 0.2 * PIECE_SECONDS:
            self.size = min(self.size + 1, self.donors)
        elif raw.status != Status.OPTIMAL and left > PIECE_SECONDS:
            self.size = max(self.size - 1, 2)
        return found

    def covering(self, best: np.ndarray) -> np.ndarray:
        """Each recipient's donor in `best`, or -1."""
        cand = self.model.candidates
        used = self.model.used(best)
        out = np.full(int(cand.recipient.max()) + 1, -1, dtype=np.int64)
        out[cand.recipient[used]] = cand.donor[used]
        return out

    def resolve(
        self, pairs: np.ndarray, best: np.ndarray, deadline: float
    ) -> tuple[RawResult, np.ndarray | None]:
        """`pairs` freed, the rest held at `best`, re-solved exactly: the run (its status and
        time steer the piece size) and the better pairing, or None."""
        model = self.model
        free = self.others.copy()
        free[model.x_col[pairs]] = True
        piece = model.milp.fixing(free, best)
        raw = run_milp(
            HIGHS,
            piece,
            min(PIECE_SECONDS, deadline - time.perf_counter()),
            0.0,
            initial=best[free],
            cut_pool=GAP_CUT_POOL,
        )
        if raw.values is None:
            return raw, None
        candidate = best.copy()
        candidate[free] = raw.values
        return raw, _if_better(model, candidate, best)

    def _related(self, now: np.ndarray) -> np.ndarray:
        """A random donor and the donors its recipients could move to most cheaply by the
        LP's measure (with noise, so that repeated draws differ)."""
        cand = self.model.candidates
        active = np.unique(now[now >= 0])
        first = int(self.rng.choice(active))
        mine = now == first
        closeness = np.full(self.donors, np.inf)
        noise = 1.0 + self.rng.random(int(mine.sum()))
        np.minimum.at(closeness, cand.donor[mine], self.gain[mine] * noise)
        closeness[first] = -np.inf
        order = np.lexsort((self.rng.random(self.donors), closeness))  # ties at random
        return order[: self.size]


def _rounded(model: PairingModel, values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    integer = model.milp.integer
    out[integer] = np.round(out[integer])
    return out


def _if_better(model: PairingModel, values: np.ndarray, best: np.ndarray) -> np.ndarray | None:
    """`values` rounded, if that beats `best` by the search's rule; else None."""
    found = _rounded(model, values)
    c = model.milp.c
    return found if _better(c @ found, c @ best) else None


def _better(new: float, old: float) -> bool:
    """Better by more than round-off: a move that only reshuffles equal costs is no move."""
    return bool(new < old - ROUNDING * max(1.0, abs(old)))
