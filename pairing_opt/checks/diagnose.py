"""Named reasons why no pairing can satisfy the rules.

Solvers say "infeasible" without saying why (neither HiGHS nor CBC returns an
irreducible infeasible set), so these checks test necessary conditions one by one and
name the recipients, donors and rules involved. They are sound (every reason is a real
conflict) but not complete: when none fires and the solver still finds no pairing, the
conflict lies in the rules' combination.
"""

from __future__ import annotations

import numpy as np

from ..scenario.scenario import ROUNDING, Scenario, listing


def _limit(rule: str, high: int | None) -> str:
    return f"{rule} max {high}" if high is not None else "their allowed pairs"


def unservable(scenario: Scenario) -> list[str]:
    """Recipients with fewer allowed donors than they must have, with why pairs are missing."""
    rules = scenario.rules
    cand = scenario.candidates
    counts = np.bincount(cand.recipient, minlength=len(scenario.recipients))
    required = max(rules.donors_per_recipient.min, 1)
    reasons = []
    for r in np.flatnonzero(counts < required):
        name = scenario.recipients[r]
        if scenario.need[r] <= 0 and rules.donors_per_recipient.min == 0:
            continue
        reasons.append(
            f"recipient {name} can be served by {counts[r]} donor(s) but needs "
            f"{required}: {_why_no_pairs(scenario, int(r))}."
        )
    return reasons


def _why_no_pairs(scenario: Scenario, r: int) -> str:
    rules = scenario.rules
    n_excluded = n_forbidden = n_far = n_missing = 0
    forbidden = {(p.donor, p.recipient) for p in rules.forbidden}
    rname = scenario.recipients[r]
    for d, dname in enumerate(scenario.donors):
        if scenario.pairs is not None and (d, r) not in scenario.pair_lookup:
            n_missing += 1
        elif scenario.excluded[d]:
            n_excluded += 1
        elif (dname, rname) in forbidden:
            n_forbidden += 1
        elif (
            rules.max_distance_km is not None and scenario.distance_km(d, r) > rules.max_distance_km
        ):
            n_far += 1
    parts = []
    if n_far:
        nearest = min(
            scenario.distance_km(d, r)
            for d in range(len(scenario.donors))
            if not scenario.excluded[d]
        )
        parts.append(
            f"{n_far} donor(s) beyond max_distance_km {rules.max_distance_km:g} "
            f"(the nearest allowed donor is {nearest:.0f} km away)"
        )
    if n_forbidden:
        parts.append(f"{n_forbidden} forbidden")
    if n_excluded:
        parts.append(f"{n_excluded} excluded")
    if n_missing:
        parts.append(f"{n_missing} not in the pair table")
    return "; ".join(parts) if parts else "there are too few donors"


def conflicts(scenario: Scenario) -> list[str]:
    """Every necessary condition that fails, as a sentence naming who and which rule."""
    active = [d for d in range(len(scenario.donors)) if not scenario.excluded[d]]
    return [
        *unservable(scenario),
        *_fixed_not_allowed(scenario),
        *_fixed_over_limits(scenario),
        *_needs_out_of_reach(scenario),
        *_total_capacity_short(scenario, active),
        *_pair_counts_apart(scenario, active),
    ]


def _exceeds(amount: float, limit: float) -> bool:
    """amount > limit by more than rounding: a conflict must be real, not round-off."""
    return amount > limit * (1 + ROUNDING) + ROUNDING


def _fixed_not_allowed(scenario: Scenario) -> list[str]:
    """Fixed pairs that the rules or data rule out."""
    rules = scenario.rules
    cand = scenario.candidates
    allowed = {(int(d), int(r)) for d, r in zip(cand.donor, cand.recipient, strict=False)}
    forbidden = {(p.donor, p.recipient) for p in rules.forbidden}
    reasons = []
    for p in rules.fixed:
        d, r = scenario.pair_index(p.donor, p.recipient)
        if (d, r) in allowed:
            continue
        if scenario.pairs is not None and (d, r) not in scenario.pair_lookup:
            why = "it is not a candidate in the pair table"
        elif (p.donor, p.recipient) in forbidden:
            why = "it is also forbidden"
        elif rules.max_distance_km is not None:
            km = scenario.distance_km(d, r)
            why = f"it is {km:.0f} km apart, over max_distance_km {rules.max_distance_km:g}"
        else:
            why = "its donor is excluded"
        reasons.append(f"fixed pair {p.donor} -> {p.recipient} cannot be honoured: {why}.")
    return reasons


def _fixed_over_limits(scenario: Scenario) -> list[str]:
    """Donors and recipients whose fixed pairs alone break a count or capacity rule."""
    rules = scenario.rules
    dpr, rpd = rules.donors_per_recipient, rules.recipients_per_donor
    cap = scenario.effective_capacity
    fixed_d: dict[int, list[int]] = {}
    fixed_r: dict[int, list[int]] = {}
    for p in rules.fixed:
        d, r = scenario.pair_index(p.donor, p.recipient)
        fixed_d.setdefault(d, []).append(r)
        fixed_r.setdefault(r, []).append(d)
    reasons = []
    for d, rs in fixed_d.items():
        name = scenario.donors[d]
        if rpd.max is not None and len(rs) > rpd.max:
            reasons.append(
                f"donor {name} has {len(rs)} fixed pairs, more than "
                f"recipients_per_donor max {rpd.max}."
            )
        # Each fixed pair costs at least min_share of its load; with one donor per
        # recipient, the whole load.
        least = 1.0 if dpr.max == 1 else rules.min_share
        spent = sum(scenario.load(d, r) * least for r in rs)
        if least > 0 and _exceeds(spent, cap[d]):
            reasons.append(
                f"donor {name}'s fixed pairs need at least {spent:g} of its capacity "
                f"but only {cap[d]:g} is available (reserve {rules.reserve:g})."
            )
    for r, ds in fixed_r.items():
        if dpr.max is not None and len(ds) > dpr.max:
            reasons.append(
                f"recipient {scenario.recipients[r]} has {len(ds)} fixed donors, more "
                f"than donors_per_recipient max {dpr.max}."
            )
    return reasons


def _needs_out_of_reach(scenario: Scenario) -> list[str]:
    """Each recipient alone: can its best dpr.max allowed donors cover its whole need?"""
    dpr = scenario.rules.donors_per_recipient
    cand = scenario.candidates
    reasons = []
    for r in range(len(scenario.recipients)):
        if scenario.need[r] <= 0:
            continue
        mask = cand.recipient == r
        if not mask.any():
            continue
        frac = scenario.reach[mask]
        k = len(frac) if dpr.max is None else dpr.max
        best = float(np.sort(frac)[::-1][:k].sum())
        if best < 1 - ROUNDING:
            reasons.append(
                f"recipient {scenario.recipients[r]} needs {scenario.need[r]:g}, but "
                f"even its {min(k, len(frac))} best allowed donor(s) can cover only "
                f"{best:.1%} of it with their available capacity."
            )
    return reasons


def _total_capacity_short(scenario: Scenario, active: list[int]) -> list[str]:
    """Totals: the cheapest way to cover each recipient against all available capacity."""
    cand = scenario.candidates
    cheapest = 0.0
    for r in range(len(scenario.recipients)):
        mask = cand.recipient == r
        if scenario.need[r] > 0 and mask.any():
            cheapest += float(cand.load[mask].min())
    available = float(scenario.effective_capacity[active].sum()) if active else 0.0
    if not _exceeds(cheapest, available):
        return []
    return [
        f"total need (load {cheapest:g} at the least) exceeds the total "
        f"available capacity {available:g} of the {len(active)} donor(s) "
        f"(reserve {scenario.rules.reserve:g})."
    ]


def _pair_counts_apart(scenario: Scenario, active: list[int]) -> list[str]:
    """Counting: pair slots on each side must overlap."""
    rules = scenario.rules
    dpr, rpd = rules.donors_per_recipient, rules.recipients_per_donor
    cand = scenario.candidates
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    most_pairs = sum(
        min(dpr.max if dpr.max is not None else n_d, int(np.count_nonzero(cand.recipient == r)))
        for r in range(n_r)
    )
    least_pairs = dpr.min * n_r
    donor_most = sum(
        min(rpd.max if rpd.max is not None else n_r, int(np.count_nonzero(cand.donor == d)))
        for d in active
    )
    donor_least = rpd.min * len(active)
    unservable_now = bool(unservable(scenario))  # already explains a shortfall of pairs
    reasons = []
    if least_pairs > donor_most and not unservable_now:
        reasons.append(
            f"the {n_r} recipients need at least {least_pairs} pairs "
            f"(donors_per_recipient min {dpr.min}) but the donors can take at most "
            f"{donor_most} (recipients_per_donor max {rpd.max})."
        )
    if donor_least > most_pairs and not unservable_now:
        reasons.append(
            f"the {len(active)} donors must take at least {donor_least} pairs "
            f"(recipients_per_donor min {rpd.min}) but the recipients allow at most "
            f"{most_pairs} (donors_per_recipient max {dpr.max})."
        )
    lonely = [
        scenario.donors[d] for d in active if rpd.min > int(np.count_nonzero(cand.donor == d))
    ]
    if lonely:
        reasons.append(
            f"recipients_per_donor min {rpd.min} cannot be met by donor(s) "
            f"{listing(lonely)}: too few allowed recipients."
        )
    return reasons


def summary(scenario: Scenario) -> dict[str, object]:
    """What `pairopt check` reports: sizes, totals and every conflict found without solving."""
    cand = scenario.candidates
    active = ~scenario.excluded
    capacity = float(scenario.capacity[active].sum())
    available = float(scenario.effective_capacity[active].sum())
    need = float(scenario.need.sum())
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    possible = len(scenario.pairs.donor) if scenario.pairs is not None else n_d * n_r
    return {
        "scenario": scenario.name,
        "donors": n_d,
        "excluded_donors": int(scenario.excluded.sum()),
        "recipients": n_r,
        "candidate_pairs": possible,
        "allowed_pairs": len(cand),
        "total_capacity": capacity,
        "available_capacity": available,
        "total_need": need,
        "need_share_of_available": need / available if available > 0 else None,
        "unservable_recipients": unservable(scenario),
        "conflicts": conflicts(scenario),
    }
