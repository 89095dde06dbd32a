"""Count rules that cannot meet: the partners one row is forced to take (fixed pairs, and
partners that need every one of their allowed partners) against its maximum, rows whose
own count rules clash, and the pair slots of the two sides that cannot overlap."""

from __future__ import annotations

import numpy as np

from ..scenario.scenario import listing
from .reach import View, run_starts
from .wording import (
    RULE_ROWS,
    count_rule,
    count_rule_name,
    either,
    least_donors_text,
    least_recipients_text,
    name_list,
    relax,
)


def forced_counts(view: View) -> tuple[list[str], set[int], set[int]]:
    """Counts forced on one row: the recipients a donor must take (its fixed pairs, and
    recipients that need every one of their allowed donors) against its maximum, and the
    same for a recipient's donors; plus rows whose own rules cannot meet. Returns the
    messages and the donors and recipients they name as over their maximum."""
    s, cand = view.s, view.cand
    n_r = view.n_r
    fd, fr = view.fixed_pairs
    fixed_codes = set((fd * n_r + fr).tolist())
    out: list[str] = []
    flagged_d: set[int] = set()
    flagged_r: set[int] = set()

    # Donors: recipients whose every allowed donor is needed, and fixed pairs.
    if np.isfinite(view.most_d).any():
        every = (view.least_r > 0) & (view.deg_r == view.least_r)
        pick = every[cand.recipient]
        codes = np.unique(
            np.concatenate([cand.donor[pick] * n_r + cand.recipient[pick], fd * n_r + fr])
        )
        count = np.bincount(codes // n_r, minlength=view.n_d)
        for d in np.flatnonzero(count > view.most_d).tolist():
            mine = codes[np.searchsorted(codes, d * n_r) : np.searchsorted(codes, (d + 1) * n_r)]
            items, options = [], [count_rule_name(s, "donor", "max", d)]
            for code in mine.tolist():
                r = code % n_r
                name = s.recipients[r]
                if code in fixed_codes:
                    items.append(f"{name} (fixed pair)")
                    options.append("the fixed pairs")
                elif view.deg_r[r] == 1:
                    items.append(f"{name} (its only allowed donor)")
                    options.append(view.widen("recipient", [r], "them"))
                else:
                    items.append(
                        f"{name} (needs all {view.deg_r[r]} of its allowed donors: "
                        f"{count_rule(s, 'recipient', 'min', r)})"
                    )
                    options.append(count_rule_name(s, "recipient", "min", r))
            flagged_d.add(d)
            out.append(
                f"donor {s.donors[d]} must take at least {len(mine)} recipients, more than "
                f"{count_rule(s, 'donor', 'max', d)}: {listing(items)}.{relax(options)}"
            )

    # Recipients: donors that need every one of their allowed recipients, and fixed pairs.
    if np.isfinite(view.most_r).any():
        every = (view.least_d > 0) & (view.deg_d == view.least_d)
        pick = every[cand.donor]
        codes = np.unique(
            np.concatenate([cand.donor[pick] * n_r + cand.recipient[pick], fd * n_r + fr])
        )
        count = np.bincount(codes % n_r, minlength=n_r)
        by_r = codes[np.argsort(codes % n_r, kind="stable")]
        r_starts = np.concatenate([[0], np.cumsum(count)])
        for r in np.flatnonzero(count > view.most_r).tolist():
            mine = by_r[r_starts[r] : r_starts[r + 1]]
            name = s.recipients[r]
            items, options = [], [count_rule_name(s, "recipient", "max", r)]
            for code in mine.tolist():
                d = code // n_r
                if code in fixed_codes:
                    items.append(f"{s.donors[d]} (fixed pair)")
                    options.append("the fixed pairs")
                else:
                    whom = (
                        f"{name} is its only allowed recipient"
                        if view.deg_d[d] == 1
                        else f"needs all {view.deg_d[d]} of its allowed recipients"
                    )
                    items.append(f"{s.donors[d]} ({whom}: {count_rule(s, 'donor', 'min', d)})")
                    options.append(count_rule_name(s, "donor", "min", d))
            flagged_r.add(r)
            out.append(
                f"recipient {name} must take at least {len(mine)} donors, more than "
                f"{count_rule(s, 'recipient', 'max', r)}: {listing(items)}.{relax(options)}"
            )

    # A recipient with a need to cover in full, but no donor allowed by its own maximum.
    for r in np.flatnonzero(view.least_r > view.most_r).tolist():
        if r in flagged_r:
            continue
        out.append(
            f"recipient {s.recipients[r]} has a need to cover in full but "
            f"{count_rule(s, 'recipient', 'max', r)}."
            + relax([count_rule_name(s, "recipient", "max", r), "rules.coverage"])
        )
    # min_share x a recipient's least number of donors above its whole need.
    share = s.rules.min_share
    if share > 0 and not view.single:
        crowded = s.has_need & (view.least_r * share > 1 + 1e-12)
        for r in np.flatnonzero(crowded).tolist():
            least = int(view.least_r[r])
            out.append(
                f"recipient {s.recipients[r]} must have at least {least} donors "
                f"({count_rule(s, 'recipient', 'min', r)}), each covering at least min_share "
                f"{share:g} of its need: {least} x {share:g} is more than all of it."
                + relax(["min_share", count_rule_name(s, "recipient", "min", r)])
            )
    return out, flagged_d, flagged_r


def pair_counts_apart(view: View, unservable_now: bool) -> tuple[list[str], tuple[bool, bool]]:
    """Counting: pair slots on each side must overlap. `unservable_now`: a recipient
    without enough donors already explains a shortfall of pairs. Returns the messages and
    whether the totals fail on the recipients' side and on the donors' side."""
    s = view.s
    active = view.active
    n_r = view.n_r
    deg_d, deg_r = view.deg_d, view.deg_r
    donor_take = np.minimum(deg_d, view.most_d)[active]
    recipient_take = np.minimum(deg_r, view.most_r)
    least_pairs = float(view.least_r.sum())
    donor_most = float(donor_take.sum())
    most_pairs = float(recipient_take.sum())
    donor_least = float(view.least_d[active].sum())
    reasons = []
    everyone = name_list(lambda i: s.recipients[i], n_r)
    if least_pairs > donor_most and not unservable_now:
        capped = active[view.most_d[active] < deg_d[active]]
        ranged = active[view.most_d[active] >= deg_d[active]]
        parts = []
        if len(capped):
            parts.append(
                name_list(
                    lambda i: f"{s.donors[capped[i]]} {view.most_d[capped[i]]:g}", len(capped)
                )
                + " ("
                + either([count_rule_name(s, "donor", "max", int(d)) for d in capped[:RULE_ROWS]])
                + ")"
            )
        if len(ranged):
            parts.append(
                name_list(lambda i: f"{s.donors[ranged[i]]} {deg_d[ranged[i]]}", len(ranged))
                + " (as many as they have allowed recipients)"
            )
        reasons.append(
            f"the {n_r} recipients ({everyone}) need at least {least_pairs:g} pairs "
            f"({least_donors_text(s)}) but the {len(active)} donors can take at most "
            f"{donor_most:g}: {'; '.join(parts) or 'none'}."
            + relax(
                [
                    "recipients_per_donor max",
                    "donors_per_recipient min",
                    view.widen("recipient", np.arange(n_r), "them"),
                ],
                "add donors",
            )
        )
    if donor_least > most_pairs and not unservable_now:
        capped = np.flatnonzero(view.most_r < deg_r)
        ranged = np.flatnonzero(view.most_r >= deg_r)
        parts = []
        if len(capped):
            parts.append(
                name_list(
                    lambda i: f"{s.recipients[capped[i]]} {view.most_r[capped[i]]:g}", len(capped)
                )
                + " ("
                + either(
                    [count_rule_name(s, "recipient", "max", int(r)) for r in capped[:RULE_ROWS]]
                )
                + ")"
            )
        if len(ranged):
            parts.append(
                name_list(lambda i: f"{s.recipients[ranged[i]]} {deg_r[ranged[i]]}", len(ranged))
                + " (as many as they have allowed donors)"
            )
        donors = name_list(lambda i: s.donors[active[i]], len(active))
        reasons.append(
            f"the {len(active)} donors ({donors}) must take at least {donor_least:g} pairs "
            f"({least_recipients_text(s)}) but the recipients allow at most "
            f"{most_pairs:g}: {'; '.join(parts) or 'none'}."
            + relax(
                [
                    "recipients_per_donor min",
                    "donors_per_recipient max",
                    view.widen("donor", active, "them"),
                    "exclude_donors",
                ]
            )
        )
    whole = (least_pairs > donor_most, donor_least > most_pairs)
    lonely = active[deg_d[active] < view.least_d[active]]
    if len(lonely):
        cand = s.candidates
        alone = np.zeros(view.n_d, dtype=bool)
        alone[lonely] = True
        mine = np.flatnonzero(alone[cand.donor])
        by_donor = mine[np.argsort(cand.donor[mine], kind="stable")]
        d_starts = run_starts(cand.donor[by_donor], view.n_d)

        def item(i: int) -> str:
            d = int(lonely[i])
            a, b = int(d_starts[d]), int(d_starts[d + 1])
            names = name_list(lambda j: s.recipients[cand.recipient[by_donor[a + j]]], b - a)
            return f"{s.donors[d]} ({b - a} allowed: {names})" if b > a else f"{s.donors[d]} (none)"

        rules = either([count_rule(s, "donor", "min", int(d)) for d in lonely[:RULE_ROWS]])
        reasons.append(
            f"{rules} cannot be met by donor(s) {name_list(item, len(lonely))}: too few "
            "allowed recipients."
            + relax(
                [
                    count_rule_name(s, "donor", "min", int(lonely[0])),
                    view.widen("donor", lonely, "them"),
                    "exclude_donors",
                ]
            )
        )
    return reasons, whole
