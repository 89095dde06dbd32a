"""Amounts against capacity, for each resource that must be covered in full: recipients
whose best allowed donors cannot cover them, donors forced over their available capacity,
minimum commitments (min_load) out of reach, and total need against all available
capacity. Under a shortfall price a need may go uncovered, so none of these applies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..scenario.scenario import MAX_LISTED, ROUNDING, listing
from .reach import INF, View, run_starts
from .wording import (
    count_rule,
    count_rule_name,
    listed_first,
    of_resource,
    pct,
    pick_names,
    relax,
    reserve_rule,
)


def _exceeds(amount: float, limit: float) -> bool:
    """amount > limit by more than rounding: a conflict must be real, not round-off."""
    return amount > limit * (1 + ROUNDING) + ROUNDING


def needs_out_of_reach(view: View) -> tuple[list[str], np.ndarray]:
    """Each recipient alone: can its best allowed donors (as many as it may have) cover its
    whole need of each resource covered in full? Returns the messages and a mask of the
    recipients they name (and of those without enough donors)."""
    s, cand = view.s, view.cand
    # A recipient that may have no donor is named by the count checks; one without
    # enough donors is named already, and here too when even those cannot cover it.
    explained = view.least_r > view.most_r
    out: list[str] = []
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        fixed_out = _fixed_donors_short(view, k, explained)
        out += fixed_out[0]
        explained |= fixed_out[1]
        rk = view.reach(k)
        short = view.must_cover[:, k] & (view.deg_r > 0) & (rk.best < 1 - ROUNDING) & ~explained
        loads = cand.loads[:, k]
        avail = s.available_matrix[:, k]
        for r in np.flatnonzero(short).tolist():
            q = int(rk.q[r])
            top = rk.best_donors(r, min(q, MAX_LISTED))
            details = [
                f"{s.donors[d]} ({avail[d]:g} available for a load of {load:g})"
                for d, load in zip(cand.donor[top].tolist(), loads[top].tolist(), strict=True)
            ]
            limited = q < view.deg_r[r]
            rule = f" ({count_rule(s, 'recipient', 'max', r)})" if limited else ""
            options = [count_rule_name(s, "recipient", "max", r)] if limited else []
            options.append(view.widen("recipient", [r], "it"))
            if (s.reserves[cand.donor[top]] > 0).any():
                options.append("reserve")
            if view.single and not limited:
                options.insert(0, "donors_per_recipient max (to share the need)")
            out.append(
                f"recipient {s.recipients[r]} needs {s.need_matrix[r, k]:g}{of_resource(s, k)}, "
                f"but even its {q} best allowed donor(s), {listed_first(details, q)}, can cover "
                f"only {pct(float(rk.best[r]))} of it with their available capacity{rule}."
                + relax(options, "add capacity")
            )
        explained |= short
    if view.single and view.n_k > 1:
        # One donor must cover every resource at once: a donor with room for each alone
        # may still have no room for all of them.
        fits = np.bincount(cand.recipient[view.usable], minlength=view.n_r) > 0
        short = s.has_need & (view.deg_r > 0) & ~fits & ~explained
        for r in np.flatnonzero(short).tolist():
            start, count = int(view.starts[r]), int(view.deg_r[r])
            out.append(
                f"recipient {s.recipients[r]} needs "
                + ", ".join(f"{s.need_matrix[r, k]:g} of {s.resources[k]}" for k in range(view.n_k))
                + f" from one donor, and none of its allowed donors "
                f"({pick_names(s.donors, cand.donor[start : start + count])}) has room "
                "for all of it."
                + relax(["donors_per_recipient max (to share the need)", "reserve"], "add capacity")
            )
        explained |= short
    return out, explained | (view.deg_r < view.least_r)


def _fixed_donors_short(view: View, k: int, explained: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Recipients whose fixed pairs already fill their maximum number of donors: only those
    donors can cover them, each at most the part of the need its capacity allows."""
    s, cand = view.s, view.cand
    fixed = np.flatnonzero(cand.fixed)
    count = np.bincount(cand.recipient[fixed], minlength=view.n_r)
    reach = s.reach_matrix[fixed, k]
    covered = np.bincount(cand.recipient[fixed], weights=reach, minlength=view.n_r)
    short = (
        view.must_cover[:, k]
        & (count > 0)
        & (count >= view.most_r)
        & (covered < 1 - ROUNDING)
        & ~explained
    )
    out = []
    loads, avail = cand.loads[:, k], s.available_matrix[:, k]
    for r in np.flatnonzero(short).tolist():
        own = fixed[cand.recipient[fixed] == r]
        details = [
            f"{s.donors[d]} ({avail[d]:g} available for a load of {load:g})"
            for d, load in zip(cand.donor[own].tolist(), loads[own].tolist(), strict=True)
        ]
        out.append(
            f"recipient {s.recipients[r]} needs {s.need_matrix[r, k]:g}{of_resource(s, k)}, "
            f"but its fixed donors, {listed_first(details, len(details))}, already fill its "
            f"{count_rule(s, 'recipient', 'max', r)} and can cover only "
            f"{pct(float(covered[r]))} of it with their available capacity."
            + relax(["the fixed pairs", count_rule_name(s, "recipient", "max", r)], "add capacity")
        )
    return out, short


def forced_loads(view: View, explained: np.ndarray) -> list[str]:
    """Donors forced over capacity. A donor must serve a recipient when the pair is fixed,
    when the recipient needs all its allowed donors, or when its other donors cannot
    cover a need that must be covered in full; it then carries at least: the whole need
    with one donor per recipient, else min_share of it, and what the recipient's other
    donors (as many as it may have besides) cannot cover with their capacity.

    Only the candidates of recipients where one of these can happen are looked at: the
    others of a donor cover at least what the recipient's q + 1 best donors cover less
    the single best one (`more - top`; q: how many donors it may have)."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    share = s.rules.min_share
    every = (view.least_r > 0) & (view.deg_r <= view.least_r) & ~explained
    fragile = np.zeros(n_r, dtype=bool)
    for k in range(view.n_k):
        if view.full[k]:
            rk = view.reach(k)
            fragile |= view.must_cover[:, k] & (rk.more - rk.top < 1 - ROUNDING)
    fragile &= ~explained & (view.deg_r > 0)
    rows = fragile | every
    rows[cand.recipient[cand.fixed]] = True
    fd, fr = view.fixed_pairs
    outside = ~view.allowed(fd, fr)
    if not rows.any() and not outside.any():
        return []
    idx = np.flatnonzero(rows[cand.recipient])  # the candidates looked at
    rec = cand.recipient[idx]
    needed = every[rec]
    cornered = np.zeros(len(idx), dtype=bool)  # the other donors cannot cover a full need
    cover = np.full(len(idx), INF)  # for the message: the least the others can cover
    others_less: dict[int, np.ndarray] = {}
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        found, with_q, with_less = view.reach(k).others(rows)
        order = np.argsort(found)  # back to candidate order, as idx is
        with_q, others_less[k] = with_q[order], with_less[order]
        short = view.must_cover[rec, k] & (with_q < 1 - ROUNDING) & fragile[rec]
        cornered |= short
        cover = np.where(short, np.minimum(cover, with_q), cover)
    must = cand.fixed[idx] | needed | cornered
    out: list[str] = []
    for k in range(view.n_k):
        need_k = s.need_matrix[rec, k] > 0
        if view.single:
            frac = np.where(must & need_k, 1.0, 0.0)
        else:
            frac = np.where(must & need_k, share, 0.0)
            if k in others_less:
                rest = np.where(explained[rec], 0.0, 1.0 - others_less[k])
                frac = np.where(must & need_k, np.maximum(frac, rest), frac)
        frac = np.where(frac < ROUNDING, 0.0, np.minimum(frac, 1.0))
        amount = frac * cand.loads[idx, k]
        total = np.bincount(cand.donor[idx], weights=amount, minlength=view.n_d)
        extra: dict[int, list[tuple[int, float]]] = {}
        least = 1.0 if view.single else share
        for d, r in zip(fd[outside].tolist(), fr[outside].tolist(), strict=True):
            value = least * s.load(d, r, k)
            if value > 0:
                total[d] += value
                extra.setdefault(d, []).append((r, value))
        avail = s.available_matrix[:, k]
        over = np.flatnonzero(total > avail * (1 + ROUNDING) + ROUNDING)
        forced = _Forced(idx, frac, amount, needed, cornered, cover, cand.donor[idx])
        for d in over.tolist():
            out.append(
                _forced_load_text(
                    view,
                    k,
                    d,
                    float(total[d]),
                    forced,
                    extra.get(d, []),
                )
            )
    return out


@dataclass
class _Forced:
    """What a donor is forced to carry, over the candidates looked at (`idx`)."""

    idx: np.ndarray  # candidate indices
    frac: np.ndarray  # least fraction of the need the donor covers
    amount: np.ndarray  # least load it carries
    needed: np.ndarray  # the recipient needs all its allowed donors
    cornered: np.ndarray  # the recipient's other donors cannot cover it
    cover: np.ndarray  # what those other donors can cover
    donor: np.ndarray  # the donor of each

    @cached_property
    def order(self) -> np.ndarray:
        """Positions by donor."""
        return np.argsort(self.donor, kind="stable")

    @cached_property
    def _sorted_donors(self) -> np.ndarray:
        return np.asarray(self.donor[self.order])

    def by_donor(self, d: int) -> tuple[int, int]:
        """The range of `order` that holds donor d's positions."""
        ds = self._sorted_donors
        return int(np.searchsorted(ds, d)), int(np.searchsorted(ds, d, side="right"))


def _forced_load_text(
    view: View,
    k: int,
    d: int,
    total: float,
    forced: _Forced,
    extra: list[tuple[int, float]],
) -> str:
    s, cand = view.s, view.cand
    share = s.rules.min_share
    a, b = forced.by_donor(d)
    mine = forced.order[a:b]
    mine = mine[forced.amount[mine] > 0]
    mine = mine[np.argsort(-forced.amount[mine], kind="stable")]
    items: list[str] = []
    why: list[str] = []
    options: list[str] = []
    for i in mine.tolist():
        p = int(forced.idx[i])
        r = int(cand.recipient[p])
        if cand.fixed[p]:
            reason = "fixed pair"
            why.append("fixed pairs")
            options.append("the fixed pairs")
        elif forced.needed[i]:
            reason = (
                "its only allowed donor"
                if view.deg_r[r] == 1
                else f"needs all {view.deg_r[r]} of its allowed donors"
            )
            why.append("recipients without other donors")
            options.append(view.widen("recipient", [r], "them"))
        else:
            reason = (
                "no other allowed donor has room for it"
                if view.single
                else f"its other donors can cover only {pct(float(forced.cover[i]))}"
            )
            why.append("recipients without other donors")
            options.append(view.widen("recipient", [r], "them"))
        load = float(cand.loads[p, k])
        frac = float(forced.frac[i])
        if view.single:
            part = "whole need"
            why.append("one donor per recipient")
            options.append("donors_per_recipient max (to share needs)")
        elif abs(frac - share) <= 1e-12:
            part = f"min_share {share:g} of {load:g}"
            why.append(f"min_share {share:g}")
            options.append("min_share")
        else:
            part = f"{pct(frac)} of {load:g}"
        items.append(f"{s.recipients[r]} {forced.amount[i]:g} ({reason}, {part})")
    for r, value in extra:
        part = "whole need" if view.single else f"min_share {share:g}"
        items.append(f"{s.recipients[r]} {value:g} (fixed pair, {part})")
        why.append("fixed pairs")
        options.append("the fixed pairs")
        if not view.single:
            why.append(f"min_share {share:g}")
            options.append("min_share")
    if s.reserves[d] > 0:
        options.append("reserve")
    available = float(s.available_matrix[d, k])
    return (
        f"donor {s.donors[d]} must carry at least {total:g}{of_resource(s, k)} "
        f"({', '.join(dict.fromkeys(why))}) but has only {available:g} available "
        f"(capacity {s.capacity_matrix[d, k]:g}, {reserve_rule(s, d)}): {listing(items)}."
        + relax(options, f"add capacity to {s.donors[d]}")
    )


def min_loads(view: View) -> list[str]:
    """Minimum commitments (min_load) a donor cannot reach: it carries at most its
    available capacity, and at most the whole loads of as many allowed recipients as it
    may take, the largest first."""
    s, cand = view.s, view.cand
    committed = s.min_load_matrix
    out: list[str] = []
    if not (committed > 0).any():
        return out
    for k in range(view.n_k):
        donors = np.flatnonzero((committed[:, k] > 0) & ~s.excluded)
        if not len(donors):
            continue
        bound = np.zeros(view.n_d, dtype=bool)
        bound[donors] = True
        mine = np.flatnonzero(bound[cand.donor])
        loads = cand.loads[mine, k]
        order = mine[np.lexsort((-loads, cand.donor[mine]))]
        d_sorted, l_sorted = cand.donor[order], cand.loads[order, k]
        starts = run_starts(d_sorted, view.n_d)
        rank = np.arange(len(order)) - starts[d_sorted]
        most = np.where(np.isinf(view.most_d), view.deg_d, np.minimum(view.deg_d, view.most_d))
        take = rank < most[d_sorted]
        largest = np.bincount(d_sorted[take], weights=l_sorted[take], minlength=view.n_d)
        avail = s.available_matrix[:, k]
        for d in donors.tolist():
            reachable = min(float(largest[d]), float(avail[d]))
            if not _exceeds(float(committed[d, k]), reachable):
                continue
            options = ["min_load"]
            if avail[d] <= largest[d]:
                why = f"its available capacity is {avail[d]:g} ({reserve_rule(s, d)})"
                if s.reserves[d] > 0:
                    options.append("reserve")
            else:
                count = int(min(most[d], view.deg_d[d]))
                a = int(starts[d])
                why = (
                    f"the loads of its {count} largest allowed recipient(s) add up to "
                    f"{largest[d]:g} ("
                    + pick_names(
                        s.recipients,
                        cand.recipient[order[a : a + count]],
                        l_sorted[a : a + count],
                    )
                    + ")"
                )
                if count < view.deg_d[d]:
                    why += f" at {count_rule(s, 'donor', 'max', d)}"
                    options.append(count_rule_name(s, "donor", "max", d))
                options.append(view.widen("donor", [d], "it"))
            out.append(
                f"donor {s.donors[d]} must carry at least {committed[d, k]:g}{of_resource(s, k)} "
                f"(its min_load) but can carry at most {reachable:g}: {why}." + relax(options)
            )
    return out


def total_capacity_short(view: View) -> list[str]:
    """Totals: the cheapest way to cover each recipient against all available capacity,
    for each resource covered in full."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    starts = view.starts
    has = view.deg_r > 0
    out: list[str] = []
    active = view.active
    for k in range(view.n_k):
        if not view.full[k]:
            continue
        least = np.zeros(n_r)
        if len(cand):
            least[has] = np.minimum.reduceat(cand.loads[:, k], starts[:-1][has])
        counted = np.flatnonzero(has & view.must_cover[:, k])
        cheapest = 0.0
        for value in least[counted].tolist():
            cheapest += value  # in recipient order, as a running sum
        avail = s.available_matrix[:, k]
        available = float(avail[active].sum()) if len(active) else 0.0
        if not _exceeds(cheapest, available):
            continue
        big = counted[np.argsort(-least[counted], kind="stable")]
        rich = active[np.argsort(-avail[active], kind="stable")]
        reserve = (
            f"reserve {s.rules.reserve:g}"
            if not len(s.limits.reserve)
            else "after each donor's reserve"
        )
        out.append(
            f"total need{of_resource(s, k)} (load {cheapest:g} at the least) exceeds the total "
            f"available capacity {available:g} of the {len(active)} donor(s) ({reserve}): "
            "the recipients' least loads "
            + pick_names(s.recipients, big, least[big])
            + "; the donors' available capacity "
            + pick_names(s.donors, rich, avail[rich])
            + "."
            + relax(["reserve"] if (s.reserves[active] > 0).any() else [], "add donors or capacity")
        )
    return out
