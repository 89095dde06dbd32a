"""Hall-type counts: groups of rows that share their few allowed partners and need more
of them than those partners may take, both ways (recipients' donors, donors'
recipients)."""

from __future__ import annotations

import itertools

import numpy as np

from .reach import View
from .wording import (
    RULE_ROWS,
    count_rule,
    either,
    least_donors_text,
    least_recipients_text,
    pick_names,
    relax,
)

# Rows with at most this many allowed partners are grouped by the Hall-type count, and
# every subset of such a row's partners is looked up (2**6 = 64 per row).
_SMALL = 6
# Look-ups of the Hall-type count over all groups (bounds time on large scenarios).
_LOOKUPS = 200_000
# At most this many group conflicts are reported on each side.
_GROUPS_SHOWN = 5


def crowded_groups(
    view: View, flagged_d: set[int], flagged_r: set[int], whole: tuple[bool, bool]
) -> list[str]:
    """Hall-type counts on the allowed-pair graph, both ways. For a set S of rows that must
    each have at least `least` partners, whose allowed partners all lie in a set N, each
    partner x in N takes at most min(most[x], its allowed pairs into S) of them, so the
    sum of `least` over S cannot exceed the sum of those over N. The sets S tried: rows
    with the very same allowed partners, and (for rows with few partners) every group of
    rows whose partners are a subset of another row's. A side whose totals fail already
    (`whole`) names no group of all its rows."""
    s, cand = view.s, view.cand
    out: list[str] = []
    if np.isfinite(view.most_d).any():
        found = _hall(
            cand.recipient,
            cand.donor,
            view.least_r,
            view.most_d,
            view.n_r,
            view.n_d,
        )
        every = int(((view.least_r > 0) & (view.deg_r >= view.least_r)).sum())
        for rows, partners, need, most in _report(found, flagged_d, every if whole[0] else 0):
            out.append(
                f"recipients {pick_names(s.recipients, np.array(rows))} need at "
                f"least {need:g} donors between them ({least_donors_text(s)}), but "
                f"their only allowed donors, "
                f"{pick_names(s.donors, np.array(partners))}, can take at most "
                f"{most:g} of them "
                f"({either([count_rule(s, 'donor', 'max', d) for d in partners[:RULE_ROWS]])})."
                + relax(
                    [
                        "recipients_per_donor max",
                        "donors_per_recipient min",
                        view.widen("recipient", np.array(rows), "them"),
                    ]
                )
            )
    if np.isfinite(view.most_r).any() and (view.least_d > 0).any():
        found = _hall(
            cand.donor,
            cand.recipient,
            view.least_d,
            view.most_r,
            view.n_d,
            view.n_r,
        )
        every = int(((view.least_d > 0) & (view.deg_d >= view.least_d)).sum())
        for rows, partners, need, most in _report(found, flagged_r, every if whole[1] else 0):
            out.append(
                f"donors {pick_names(s.donors, np.array(rows))} must take at "
                f"least {need:g} recipients between them ({least_recipients_text(s)}), "
                f"but their only allowed recipients, "
                f"{pick_names(s.recipients, np.array(partners))}, can take at "
                f"most {most:g} of them "
                f"({either([count_rule(s, 'recipient', 'max', r) for r in partners[:RULE_ROWS]])})."
                + relax(
                    [
                        "recipients_per_donor min",
                        "donors_per_recipient max",
                        view.widen("donor", np.array(rows), "them"),
                        "exclude_donors",
                    ]
                )
            )
    return out


_Found = tuple[tuple[int, ...], tuple[int, ...], float, float]  # rows, partners, need, most


def _report(found: list[_Found], flagged: set[int], everyone: int) -> list[_Found]:
    """The conflicts worth naming: smallest groups first, none that contains one already
    named, none whose partners were all named over their maximum already, none of all
    `everyone` rows (0: no such skip)."""
    shown: list[_Found] = []
    for item in sorted(found, key=lambda f: (len(f[0]), f[0])):
        rows, partners = set(item[0]), item[1]
        if all(p in flagged for p in partners) or len(rows) == everyone:
            continue
        if any(set(other[0]) <= rows for other in shown):
            continue
        shown.append(item)
        if len(shown) == _GROUPS_SHOWN:
            break
    return shown


def _hall(
    left: np.ndarray,
    right: np.ndarray,
    least: np.ndarray,
    most: np.ndarray,
    n_left: int,
    n_right: int,
) -> list[_Found]:
    """Sets of left rows that need more partners than their allowed partners can give.
    `left`, `right`: the allowed pairs, in an order where each left row's partners come
    in ascending order (the candidates' own order, on either side). `least`: partners
    each left row needs; `most`: left rows each right row may take."""
    deg = np.bincount(left, minlength=n_left)
    want = (least > 0) & (deg >= least) & (deg > 0)
    found: list[_Found] = []
    if not want.any() or not len(left):
        return found
    # Rows with the very same partners: a random weight per right row summed in one
    # fixed order is equal for equal sets (collisions are sorted out below).
    weight = np.random.default_rng(0).random(n_right) + 1.0
    key = np.bincount(left, weights=weight[right], minlength=n_left)
    rows = np.flatnonzero(want)
    order = rows[np.lexsort((key[rows], deg[rows]))]
    cuts = np.flatnonzero((np.diff(deg[order]) != 0) | (np.diff(key[order]) != 0)) + 1
    group = np.zeros(n_left, dtype=np.int64)  # each wanting row's group, 0 for the others
    starting = np.zeros(len(order), dtype=np.int64)
    starting[cuts] = 1
    group[order] = np.cumsum(starting) + 1
    n_groups = len(cuts) + 1
    size = np.bincount(group, minlength=n_groups + 1)
    need = np.bincount(group, weights=least, minlength=n_groups + 1)
    # What each group's partners can give: each takes at most min(most, group size), read
    # off the group's first row (all of a group have the same partners, up to collisions).
    is_first = np.zeros(n_left, dtype=bool)
    is_first[order[np.concatenate([[0], cuts])]] = True
    at = is_first[left]
    give = np.bincount(
        group[left[at]],
        weights=np.minimum(most[right[at]], size[group[left[at]]]),
        minlength=n_groups + 1,
    )
    short = np.flatnonzero((need > give) & (size >= 2))
    short = short[short > 0]
    in_short = np.zeros(n_groups + 1, dtype=bool)
    in_short[short] = True
    chosen = in_short[group] & want
    partners = _partner_lists(left, right, chosen)
    members_of: dict[int, list[int]] = {}
    for row in np.flatnonzero(chosen).tolist():
        members_of.setdefault(int(group[row]), []).append(row)
    for g in short.tolist():
        exact: dict[tuple[int, ...], list[int]] = {}
        for row in members_of[g]:
            exact.setdefault(partners[row], []).append(row)
        for ps, members in exact.items():
            wanted = float(least[members].sum())
            given = float(np.minimum(most[list(ps)], len(members)).sum())
            if wanted > given:
                found.append((tuple(members), ps, wanted, given))
    # Rows with few partners: for each such row's partner set N, every row whose partners
    # lie within N (found by looking up every subset of N).
    small = want & (deg <= _SMALL)
    if int(small.sum()) < 2:
        return found
    table: dict[tuple[int, ...], list[int]] = {}
    for row, ps in _partner_lists(left, right, small).items():
        table.setdefault(ps, []).append(row)
    # A set can only fail if some partner is allowed for more of its rows than it may take.
    heavy = np.zeros(n_right)
    for ps, members in table.items():
        for p in ps:
            heavy[p] += len(members)
    crowded = heavy > most
    budget = _LOOKUPS
    for anchor in sorted(table, key=lambda ps: (len(ps), ps)):
        if len(anchor) < 2 or not crowded[list(anchor)].any():
            continue
        cost = 2 ** len(anchor)
        if cost > budget:
            break
        budget -= cost
        inside: list[int] = []
        taken: dict[int, int] = dict.fromkeys(anchor, 0)
        for n in range(1, len(anchor) + 1):
            for sub in itertools.combinations(anchor, n):
                rows_in = table.get(sub)
                if rows_in:
                    inside.extend(rows_in)
                    for p in sub:
                        taken[p] += len(rows_in)
        if len(inside) == len(table[anchor]):
            continue  # the exact group alone, tested above
        wanted = float(least[inside].sum())
        given = float(sum(min(float(most[p]), c) for p, c in taken.items()))
        if wanted > given:
            found.append((tuple(sorted(inside)), anchor, wanted, given))
    return found


def _partner_lists(
    left: np.ndarray, right: np.ndarray, rows: np.ndarray
) -> dict[int, tuple[int, ...]]:
    """The partners of each left row in mask `rows`, ascending."""
    at = np.flatnonzero(rows[left])
    order = at[np.argsort(left[at], kind="stable")]  # stable: partners stay ascending
    ls, rs = left[order].tolist(), right[order].tolist()
    out: dict[int, list[int]] = {}
    for a, b in zip(ls, rs, strict=True):
        out.setdefault(a, []).append(b)
    return {a: tuple(b) for a, b in out.items()}
