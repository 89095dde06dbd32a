"""What the conflict checks share: each row's count range and allowed partners, and what
each recipient's best allowed donors can cover (their reach), computed once per scenario.

Everything here is a pass over arrays of the candidate pairs (sorted by recipient), so the
work grows with the number of pairs, not with donors x recipients.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ..scenario.scenario import ROUNDING, Scenario

INF = math.inf
# Recipients that may have up to this many donors less one are summed level by level.
_LEVELS = 6


def run_starts(keys: np.ndarray, n: int) -> np.ndarray:
    """Start of each key's run in an array sorted by key (n + 1 offsets)."""
    return np.searchsorted(keys, np.arange(n + 1))


def _top_sums(
    rec: np.ndarray, rank: np.ndarray, value: np.ndarray, k: np.ndarray, n: int
) -> np.ndarray:
    """Per recipient, the sum of its k[r] first values (rank < k), summed per recipient in
    order (no differences of long running sums, which would lose precision)."""
    mask = rank < k[rec]
    return np.bincount(rec[mask], weights=value[mask], minlength=n)


class View:
    """What the checks share: each row's count range, and the candidates ranked by reach."""

    def __init__(self, scenario: Scenario) -> None:
        s = self.s = scenario
        cand = self.cand = scenario.candidates
        self.n_d, self.n_r, self.n_k = len(s.donors), len(s.recipients), len(s.resources)
        self.deg_r = np.bincount(cand.recipient, minlength=self.n_r)
        self.deg_d = np.bincount(cand.donor, minlength=self.n_d)
        self.starts = run_starts(cand.recipient, self.n_r)  # candidates are sorted by recipient
        self.full = np.isnan(s.penalties)  # per resource: need covered in full
        self.single = s.single_donor
        need = s.need_matrix
        # (recipients, resources): a need the pairing must cover in full
        self.must_cover = (need > 0) & self.full[None, :]
        low_r, high_r = s.donor_count_range
        # With one donor per recipient, a recipient with any need has exactly one donor;
        # otherwise a need covered in full needs at least one.
        needs_one = s.has_need if self.single else self.must_cover.any(axis=1)
        self.least_r = np.maximum(low_r, needs_one.astype(float))
        self.most_r = high_r
        low_d, high_d = s.recipient_count_range
        self.least_d = np.where(s.excluded, 0.0, low_d)  # excluded donors are exempt
        self.most_d = np.where(s.excluded, INF, high_d)
        # Available capacity with room for round-off: a load within it may fit.
        self.room = s.available_matrix * (1 + ROUNDING) + ROUNDING
        self.active = np.flatnonzero(~s.excluded)
        self._reach: dict[int, Reach] = {}

    @cached_property
    def limit_r(self) -> np.ndarray:
        """Per recipient, how many donors it may use: its maximum, or all it has."""
        return np.asarray(
            np.where(np.isinf(self.most_r), self.deg_r, np.minimum(self.deg_r, self.most_r)),
            dtype=np.int64,
        )

    def reach(self, k: int) -> Reach:
        """What resource k's donors can cover (computed once)."""
        if k not in self._reach:
            self._reach[k] = Reach(self, k)
        return self._reach[k]

    @cached_property
    def usable(self) -> np.ndarray:
        """With one donor per recipient: candidates whose donor has room for the whole
        need of every resource (the only pairs a pairing can use)."""
        loads = self.cand.loads
        return np.asarray((loads <= self.room[self.cand.donor]).all(axis=1))

    def widen(self, side: str, rows: Sequence[int] | np.ndarray, whom: str) -> str:
        """The rules that keep pairs out, to relax for more partners of `rows` ('' when
        each has every possible partner already)."""
        s = self.s
        rows = np.asarray(rows, dtype=np.int64)
        deg, every = (
            (self.deg_r, len(self.active)) if side == "recipient" else (self.deg_d, self.n_r)
        )
        if not len(rows) or bool((deg[rows] >= every).all()):
            return ""
        causes = [
            cause
            for cause, present in (
                ("max_distance_km", s.has_distance_limit),
                ("the forbidden pairs", bool(s.rules.forbidden)),
                ("the pair table", s.pairs is not None),
                ("exclude_donors", bool(s.excluded.any())),
            )
            if present
        ]
        partners = "donors" if side == "recipient" else "recipients"
        return f"{'/'.join(causes)} (more {partners} for {whom})" if causes else ""

    @cached_property
    def _codes(self) -> np.ndarray:
        """Candidates as codes recipient x donors + donor: ascending, as they are sorted."""
        return np.asarray(self.cand.recipient * self.n_d + self.cand.donor)

    def allowed(self, d: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Whether each pair (d, r) is a candidate (binary search, no pass over them all)."""
        codes = self._codes
        if not len(codes) or not len(d):
            return np.zeros(len(d), dtype=bool)
        wanted = r * self.n_d + d
        pos = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        return np.asarray(codes[pos] == wanted)

    @cached_property
    def fixed_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Donor and recipient indices of every fixed pair (allowed or not)."""
        pairs = [self.s.pair_index(p.donor, p.recipient) for p in self.s.rules.fixed]
        d = np.array([a for a, _ in pairs], dtype=np.int64)
        r = np.array([b for _, b in pairs], dtype=np.int64)
        return d, r


class Reach:
    """Resource k: the share of each recipient's need its best allowed donors can cover (as
    many donors as it may have), and for chosen candidates what the others can cover."""

    def __init__(self, view: View, k: int) -> None:
        cand, n_r = view.cand, view.n_r
        self.view, self.k = view, k
        self.reach = reach = np.asarray(view.s.reach_matrix[:, k])
        self.q = q = view.limit_r
        has = view.deg_r > 0
        firsts = view.starts[:-1][has]
        self.total = np.zeros(n_r)
        self.top = np.zeros(n_r)
        second = np.zeros(n_r)  # the second best donor's reach (the best's, if tied)
        if len(cand):
            self.total[has] = np.add.reduceat(reach, firsts)
            self.top[has] = np.maximum.reduceat(reach, firsts)
            at_top = reach == self.top[cand.recipient]
            tied = np.add.reduceat(at_top.astype(np.int64), firsts) > 1
            below = np.where(at_top, -INF, reach)
            second[has] = np.maximum(np.maximum.reduceat(below, firsts), 0.0)
            second[has] = np.where(tied, self.top[has], second[has])
        # Most recipients may use one donor, or all they have: no sorting needed then.
        all_of = q >= view.deg_r
        best = np.where(all_of, self.total, np.where(q == 1, self.top, 0.0))
        # What q + 1 best donors cover: what a donor's others cover is at least that, less
        # the best one (see capacity.forced_loads).
        more = np.where(all_of, self.total, np.where(q == 1, self.top + second, 0.0))
        middle = (q > 1) & ~all_of
        if middle.any():
            most = int(q[middle].max()) + 1
            if most <= _LEVELS:
                sums = self._by_levels(middle, most)
                j = np.minimum(q, most - 1)[None, :]  # rows outside `middle`: any index
                best[middle] = np.take_along_axis(sums, j, axis=0)[0][middle]
                more[middle] = np.take_along_axis(sums, j + 1, axis=0)[0][middle]
            else:
                rec, rank, value, _ = self._sorted(middle)
                best[middle] = _top_sums(rec, rank, value, q, n_r)[middle]
                more[middle] = _top_sums(rec, rank, value, q + 1, n_r)[middle]
        self.best = best
        self.more = more

    def _by_levels(self, rows: np.ndarray, most: int) -> np.ndarray:
        """(most + 1, recipients): the sum of each recipient's j best reaches, j = 0 ..
        most, for the recipients in mask `rows` (0 elsewhere). Taken level by level
        (the largest value left and how often it occurs), without sorting: reaches are
        mostly 1, so one or two levels usually settle every recipient."""
        view, n_r = self.view, self.view.n_r
        rec, vals = view.cand.recipient, self.reach
        if not rows.all():
            at = np.flatnonzero(rows[rec])
            rec, vals = rec[at], vals[at]
        vals = vals.copy()
        starts = run_starts(rec, n_r)
        has = np.diff(starts) > 0
        firsts = starts[:-1][has]
        deg = np.diff(starts)
        sums = np.zeros((most + 1, n_r))
        filled = np.zeros(n_r, dtype=np.int64)
        j = np.arange(most + 1)[:, None]
        while len(vals) and (filled < np.minimum(deg, most)).any():
            level = np.full(n_r, -INF)
            level[has] = np.maximum.reduceat(vals, firsts)
            live = level > -INF
            at_level = vals == level[rec]
            count = np.zeros(n_r, dtype=np.int64)
            count[has] = np.add.reduceat(at_level.astype(np.int64), firsts)
            # This level's value fills places filled + 1 .. filled + count.
            places = np.clip(np.minimum(j, filled + count) - filled, 0, None)
            sums += np.where(live, level, 0.0) * places
            filled += np.where(live, count, 0)
            vals = np.where(at_level, -INF, vals)
        return sums

    def _sorted(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The candidates of the recipients in mask `rows`, by recipient and best reach
        first: recipient, rank among its candidates, reach, candidate index."""
        view = self.view
        idx = np.flatnonzero(rows[view.cand.recipient])
        rec = view.cand.recipient[idx]
        order = np.lexsort((-self.reach[idx], rec))
        idx, rec = idx[order], rec[order]
        starts = run_starts(rec, view.n_r)
        rank = np.arange(len(rec)) - starts[rec]
        return rec, rank, self.reach[idx], idx

    def best_donors(self, r: int, n: int) -> np.ndarray:
        """Recipient r's n best candidates (indices), best first."""
        view = self.view
        a, b = int(view.starts[r]), int(view.starts[r + 1])
        order = np.argsort(-self.reach[a:b], kind="stable")
        return a + order[:n]

    def others(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the candidates of the recipients in mask `rows`: their indices, and what the
        recipient's other donors can cover with q donors and with q - 1 of them."""
        n_r, q = self.view.n_r, self.q
        rec, rank, value, idx = self._sorted(rows)
        top_less = _top_sums(rec, rank, value, np.maximum(q - 1, 0), n_r)
        top_q = _top_sums(rec, rank, value, q, n_r)
        top_more = _top_sums(rec, rank, value, q + 1, n_r)
        qq = q[rec]
        with_q = np.where(rank < qq, top_more[rec] - value, top_q[rec])
        with_less = np.where(rank < qq - 1, top_q[rec] - value, top_less[rec])
        return idx, with_q, with_less
