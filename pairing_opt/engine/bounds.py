"""Reduced-cost pair bounds: a proof, from the LP relaxation, that a pair is too costly to use.

For any row duals y, weak duality bounds every point v of the LP relaxation (so every
pairing) from below:

    c.v = y.(Av) + d.v >= L(y) + sum_j term_j(v),    d = c - A'y,  term_j(v) >= 0,

where L(y) takes each row's and each column's product at the bound that minimises it. A
pairing that uses pair p has x_p = 1 and f_p >= its least share, so it costs at least
L(y) + gain_p. Any pair whose gain exceeds (a known pairing's cost - L) is in no pairing at
least as good, and can be dropped from the model without losing any optimum.

Everything is recomputed here from y with numpy: the solver's reduced costs and objective
are not trusted, y only needs to be a good dual (a poor one gives weaker bounds, never
wrong ones). The model never reads files; this module never calls a solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .model import Milp, PairingModel


@dataclass(frozen=True)
class PairBounds:
    """bound <= c.v for every pairing; bound + gain[p] <= c.v for every pairing using p."""

    bound: float
    gain: np.ndarray

    @property
    def scale(self) -> float:
        """max(1, |bound|): what gains are measured against, so widths are relative."""
        return max(1.0, abs(self.bound))

    def keep(self, cap: float) -> np.ndarray:
        """Pairs that may appear in a pairing with c.v <= cap (a safety margin of 1e-7
        relative keeps rounding in the sums from dropping a pair that belongs)."""
        margin = 1e-7 * max(1.0, abs(self.bound), abs(cap))
        return np.asarray(self.gain <= cap - self.bound + margin)

    def nearest(self, recipient: np.ndarray, per: int) -> np.ndarray:
        """Each recipient's `per` pairs with the smallest gain (`recipient[p]` is pair p's
        recipient): the pairs an LP-guided heuristic tries first."""
        order = np.lexsort((self.gain, recipient))
        grouped = recipient[order]
        rank = np.arange(len(order)) - np.searchsorted(grouped, grouped)
        kept = np.zeros(len(self.gain), dtype=bool)
        kept[order[rank < per]] = True
        return kept

    def dropped_bound(self, kept: np.ndarray) -> float:
        """A lower bound on c.v over every pairing that uses some pair not in `kept`."""
        dropped = self.gain[~kept]
        return self.bound + float(dropped.min()) if len(dropped) else math.inf


def pair_bounds(model: PairingModel, row_dual: np.ndarray) -> PairBounds | None:
    """Lagrangian bounds from the row duals `row_dual`, or None when they prove nothing
    (a dual that pairs with an unbounded column)."""
    milp = model.milp
    y = np.asarray(row_dual, dtype=float).copy()
    # A dual of the wrong sign for a one-sided row (solver noise) would make L(y) -inf.
    y[(y > 0) & ~np.isfinite(milp.row_lb)] = 0.0
    y[(y < 0) & ~np.isfinite(milp.row_ub)] = 0.0
    weights = milp.a_val * y[milp.a_row]
    d = milp.c - np.bincount(milp.a_col, weights=weights, minlength=milp.num_cols)
    row_term = np.zeros(len(y))
    row_term[y > 0] = y[y > 0] * milp.row_lb[y > 0]
    row_term[y < 0] = y[y < 0] * milp.row_ub[y < 0]
    at = np.where(d >= 0, milp.lb, milp.ub)  # where each column's d_j v_j is least
    if not np.all(np.isfinite(at[d != 0])):
        return None
    col_term = np.where(d != 0, d * np.where(np.isfinite(at), at, 0.0), 0.0)
    bound = math.fsum(row_term) + math.fsum(col_term)
    gain = _gain_of_use(milp, model, d, col_term)
    return PairBounds(bound, gain)


def _gain_of_use(
    milp: Milp, model: PairingModel, d: np.ndarray, col_term: np.ndarray
) -> np.ndarray:
    """term_x(1) + least term_f over the shares the pair may carry."""
    x = model.x_col
    gain = d[x] - col_term[x]  # term of x_p at 1
    gain[milp.ub[x] < 1.0] = math.inf  # x_p cannot be 1 at all
    if not model.single_donor:
        for k, f in enumerate(model.share_cols):
            least = milp.lb[f]
            if model.min_fraction is not None:
                least = np.maximum(least, model.min_fraction[k])
            # d_f >= 0: least at the smallest share; d_f < 0: term is 0 at the upper bound.
            gain = gain + np.where(d[f] > 0, d[f] * least - col_term[f], 0.0)
    return np.asarray(np.maximum(gain, 0.0))


def restrict(model: PairingModel, kept: np.ndarray, milp: Milp | None = None) -> Milp:
    """`milp` (default: the model's) with every pair not in `kept` switched off."""
    milp = model.milp if milp is None else milp
    ub = milp.ub.copy()
    ub[model.x_col[~kept]] = 0.0
    ub[model.share_cols[:, ~kept]] = 0.0
    return replace(milp, ub=ub)
