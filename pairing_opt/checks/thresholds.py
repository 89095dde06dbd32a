"""The counting test by thresholds: the recipients that each need at least t of a donor's
capacity against what the donors with room for them can take, for each resource that
must be covered in full."""

from __future__ import annotations

import numpy as np

from .reach import INF, View, run_starts
from .wording import name_list, of_resource, relax, round_down

# Thresholds x donors examined by the threshold counting test (bounds time and memory).
_CELLS = 1_000_000


def threshold_counts(view: View, counted: bool) -> list[str]:
    """A counting test over thresholds, for each resource covered in full.

    For a threshold t, let R be the recipients whose every allowed pair costs its donor at
    least t (their cheapest load is >= t). Every recipient of R is covered in full: the
    fractions its donors cover sum to 1, so the fractions over R sum to |R|. A donor d
    covers a fraction f <= 1 of each of at most n_d(t) of them (its allowed pairs into R),
    of at most `max` recipients in all, and its capacity c bounds sum f x load <= c with
    every load >= t, so sum f <= c / t. Hence the sum over donors of
    min(n_d(t), max, c / t) must reach |R| (with one donor per recipient each f is 0 or
    1, so c / t rounds down). Where it does not, no pairing exists.

    A shortfall that the counts alone (min(n_d(t), max)) explain is left to the count
    checks when they report something (`counted`)."""
    cand = view.cand
    out: list[str] = []
    for k in range(view.n_k):
        if not view.full[k] or not len(cand):
            continue
        message = _threshold_count(view, k, counted)
        if message:
            out.append(message)
    return out


def _threshold_count(view: View, k: int, counted: bool) -> str | None:
    cand = view.cand
    n_r = view.n_r
    covered = view.must_cover[:, k]
    pick = covered[cand.recipient]
    if view.single:
        pick &= view.usable  # a pair without room for the whole need is never used
    d_all, r_all, load_all = cand.donor, cand.recipient, cand.loads[:, k]
    if not pick.all():
        d_all, r_all, load_all = d_all[pick], r_all[pick], load_all[pick]
    if not len(d_all):
        return None
    # Each recipient's cheapest usable load (candidates are sorted by recipient).
    starts = run_starts(r_all, n_r)
    has = np.diff(starts) > 0
    cheapest = np.full(n_r, INF)
    cheapest[has] = np.minimum.reduceat(load_all, starts[:-1][has])
    inside = (cheapest > 0) & np.isfinite(cheapest)
    if not inside.any():
        return None
    keep = inside[r_all]
    d_p, r_p = (d_all, r_all) if keep.all() else (d_all[keep], r_all[keep])
    values = np.unique(cheapest[inside])  # ascending; threshold j means "cheapest >= values[j]"
    size = len(values)
    # Recipients per threshold: those whose cheapest load is at least it.
    sorted_m = np.sort(cheapest[inside])
    counts = len(sorted_m) - np.searchsorted(sorted_m, values, side="left")
    # The donors that have pairs into R at the lowest threshold, renumbered.
    present = np.bincount(d_p, minlength=view.n_d) > 0
    donors = np.flatnonzero(present)
    number = np.cumsum(present) - 1
    n_dd = len(donors)
    # Thresholds to test: all, or (on large scenarios) the highest ones and a spread.
    most = max(16, _CELLS // max(n_dd, 1))
    if size > most:
        top = np.arange(size - most // 2, size)
        spread = np.linspace(0, size - most // 2 - 1, most - most // 2).astype(np.int64)
        tested = np.unique(np.concatenate([spread, top]))
    else:
        tested = np.arange(size)
    n_t = len(tested)
    # n[j, d]: the donor's allowed pairs into R at tested threshold j, i.e. pairs whose
    # recipient's cheapest load is at least values[tested[j]]: counted at the last tested
    # threshold they reach, then summed from the highest threshold down.
    entry = np.zeros(n_r, dtype=np.int64)
    entry[inside] = np.searchsorted(values, cheapest[inside])
    last = np.searchsorted(tested, entry, side="right") - 1  # per recipient
    wide = np.int64 if n_t * n_dd >= 2**31 else np.int32
    row = ((n_t - 1 - last) * n_dd).astype(wide)  # highest threshold first
    flipped = row[r_p] + number.astype(wide)[d_p]
    grid = np.bincount(flipped, minlength=n_t * n_dd).reshape(n_t, n_dd)
    n = np.cumsum(grid, axis=0)[::-1]
    t = values[tested]
    room = view.room[donors, k]
    by_capacity = room[None, :] / t[:, None]
    if view.single:
        by_capacity = np.floor(by_capacity)
    most_d = view.most_d[donors]
    by_count = np.minimum(n, most_d[None, :])
    take = np.minimum(by_count, by_capacity)
    total = take.sum(axis=1)
    need = counts[tested].astype(float)
    deficit = need - total
    bad = deficit >= 1 if view.single else deficit > 1e-9 * np.maximum(need, 1.0)
    if counted:  # leave shortfalls of the counts alone to the count checks
        bad &= need <= by_count.sum(axis=1)
    if not bad.any():
        return None
    # The largest shortfall; among equals the highest threshold (the fewest recipients).
    score = np.where(bad, deficit, -np.inf)
    j = int(np.flatnonzero(score == score.max())[-1])
    return _threshold_text(
        view, k, float(t[j]), cheapest, donors, take[j], n[j], by_capacity[j], float(total[j])
    )


def _threshold_text(
    view: View,
    k: int,
    t: float,
    cheapest: np.ndarray,
    donors: np.ndarray,
    take: np.ndarray,
    pairs: np.ndarray,
    by_capacity: np.ndarray,
    total: float,
) -> str:
    s = view.s
    group = np.flatnonzero(np.isfinite(cheapest) & (cheapest >= t) & (cheapest > 0))
    group = group[np.argsort(-cheapest[group], kind="stable")]
    able = np.flatnonzero(take > 0)
    able = able[np.argsort(-take[able], kind="stable")]
    most_d = view.most_d[donors]
    options: list[str] = []
    if view.single:
        options.append("donors_per_recipient max (to share needs)")
    if ((take >= most_d) & (take < np.minimum(pairs, by_capacity))).any():
        options.append("recipients_per_donor max")
    if ((take >= pairs) & (take < np.minimum(by_capacity, most_d))).any():
        options.append(view.widen("recipient", group, "them"))
    if (s.reserves[donors] > 0).any():
        options.append("reserve")
    recipients = name_list(lambda i: s.recipients[group[i]], len(group))
    n = len(group)
    if view.single:
        shown = name_list(
            lambda i: f"{s.donors[donors[able[i]]]} (room for {take[able[i]]:g})", len(able)
        )
        return (
            f"{n} recipients each need at least {t:g}{of_resource(s, k)} of one donor's available "
            f"capacity (one donor covers a whole need): {recipients}; only {len(able)} "
            f"donor(s) allowed for them have that much, {shown or 'none'}, and can take at "
            f"most {total:g} of them." + relax(options, "add capacity")
        )
    shown = name_list(
        lambda i: f"{s.donors[donors[able[i]]]} (up to {round_down(take[able[i]])})", len(able)
    )
    return (
        f"{n} recipients each need at least {t:g}{of_resource(s, k)} of a donor's available "
        f"capacity to be covered in full: {recipients}; the {len(able)} donor(s) allowed "
        f"for them with room, {shown or 'none'}, can cover at most {round_down(total)} of these "
        f"{n} needs." + relax(options, "add capacity")
    )
