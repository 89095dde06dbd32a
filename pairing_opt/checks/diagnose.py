"""Named reasons why no pairing can satisfy the rules.

Solvers say "infeasible" without saying why (neither HiGHS nor CBC returns an
irreducible infeasible set), so these checks test necessary conditions one by one and
name the recipients, donors and rules involved. They are sound (every reason is a real
conflict) but not complete: when none fires and the solver still finds no pairing, the
conflict lies in the rules' combination.
"""

from __future__ import annotations

import numpy as np

from ..scenario.geo import great_circle_km
from ..scenario.scenario import ROUNDING, Scenario, listing


def _limit(rule: str, high: int | None) -> str:
    return f"{rule} max {high}" if high is not None else "their allowed pairs"


def unservable(scenario: Scenario) -> list[str]:
    """Recipients with fewer allowed donors than they must have, with why pairs are missing."""
    rules = scenario.rules
    cand = scenario.candidates
    counts = np.bincount(cand.recipient, minlength=len(scenario.recipients))
    required = max(rules.donors_per_recipient.min, 1)
    short = np.flatnonzero(counts < required)
    if rules.donors_per_recipient.min == 0:
        short = short[scenario.need[short] > 0]
    whys = _why_no_pairs(scenario, short)
    return [
        f"recipient {scenario.recipients[r]} can be served by {counts[r]} donor(s) but needs "
        f"{required}: {why}."
        for r, why in zip(short.tolist(), whys, strict=True)
    ]


# Donor-recipient pairs examined at once when explaining missing pairs (bounds memory).
_CHUNK = 2_000_000


def _why_no_pairs(scenario: Scenario, recipients: np.ndarray) -> list[str]:
    """For each recipient, why its pairs are missing: counted over every donor, in
    arrays, a chunk of recipients at a time."""
    n_d = len(scenario.donors)
    step = max(1, _CHUNK // max(n_d, 1))
    out: list[str] = []
    for start in range(0, len(recipients), step):
        out.extend(_why_no_pairs_chunk(scenario, recipients[start : start + step]))
    return out


def _why_no_pairs_chunk(scenario: Scenario, recipients: np.ndarray) -> list[str]:
    rules = scenario.rules
    n_d, n_r, n = len(scenario.donors), len(scenario.recipients), len(recipients)
    d = np.tile(np.arange(n_d, dtype=np.int64), n)
    r = np.repeat(recipients.astype(np.int64), n_d)
    group = np.repeat(np.arange(n, dtype=np.int64), n_d)
    rows = scenario.pair_table_rows(d, r)
    missing = rows < 0 if scenario.pairs is not None else np.zeros(len(d), dtype=bool)
    excluded = ~missing & scenario.excluded[d]
    forbidden = np.zeros(len(d), dtype=bool)
    if rules.forbidden:
        forbidden = (
            ~missing & ~excluded & np.isin(d * n_r + r, scenario.pair_codes(rules.forbidden))
        )
    limit = rules.max_distance_km
    km = _distances(scenario, d, r, rows) if limit is not None else np.zeros(0)
    far = np.zeros(len(d), dtype=bool)
    if limit is not None:
        far = ~(missing | excluded | forbidden) & (km > limit)
    counts = {
        name: np.bincount(group[mask], minlength=n)
        for name, mask in (
            ("far", far),
            ("forbidden", forbidden),
            ("excluded", excluded),
            ("missing", missing),
        )
    }
    nearest = np.full(n, np.nan)
    if limit is not None and counts["far"].any():
        active = ~scenario.excluded[d] & ~np.isnan(km)
        nearest_all = np.full(n, np.inf)
        np.minimum.at(nearest_all, group[active], km[active])
        nearest = np.where(np.isinf(nearest_all), np.nan, nearest_all)
    return [
        _why_text(scenario, {k: int(v[i]) for k, v in counts.items()}, float(nearest[i]))
        for i in range(n)
    ]


def _distances(scenario: Scenario, d: np.ndarray, r: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each pair's km: the pair table's where given, else great-circle (NaN if unknown)."""
    km = np.asarray(
        great_circle_km(
            scenario.donor_lat[d],
            scenario.donor_lon[d],
            scenario.recipient_lat[r],
            scenario.recipient_lon[r],
        ),
        dtype=float,
    )
    if scenario.pairs is not None and "km" in scenario.pairs.columns:
        given = rows >= 0
        table = np.full(len(d), np.nan)
        table[given] = scenario.pairs.columns["km"][rows[given]]
        km = np.where(np.isnan(table), km, table)
    return km


def _why_text(scenario: Scenario, counts: dict[str, int], nearest: float) -> str:
    parts = []
    if counts["far"]:
        parts.append(
            f"{counts['far']} donor(s) beyond max_distance_km "
            f"{scenario.rules.max_distance_km:g} (the nearest allowed donor is "
            f"{nearest:.0f} km away)"
        )
    if counts["forbidden"]:
        parts.append(f"{counts['forbidden']} forbidden")
    if counts["excluded"]:
        parts.append(f"{counts['excluded']} excluded")
    if counts["missing"]:
        parts.append(f"{counts['missing']} not in the pair table")
    return "; ".join(parts) if parts else "there are too few donors"


def conflicts(scenario: Scenario, short: list[str] | None = None) -> list[str]:
    """Every necessary condition that fails, as a sentence naming who and which rule.
    `short` is unservable(scenario) when the caller has it already.

    Each check is a pass over arrays of the candidate pairs: the work grows with the
    number of pairs, not with donors x recipients."""
    active = np.flatnonzero(~scenario.excluded)
    short = unservable(scenario) if short is None else short
    return [
        *short,
        *_fixed_not_allowed(scenario),
        *_fixed_over_limits(scenario),
        *_needs_out_of_reach(scenario),
        *_total_capacity_short(scenario, active),
        *_pair_counts_apart(scenario, active, bool(short)),
    ]


def _exceeds(amount: float, limit: float) -> bool:
    """amount > limit by more than rounding: a conflict must be real, not round-off."""
    return amount > limit * (1 + ROUNDING) + ROUNDING


def _fixed_not_allowed(scenario: Scenario) -> list[str]:
    """Fixed pairs that the rules or data rule out."""
    rules = scenario.rules
    if not rules.fixed:
        return []
    cand = scenario.candidates
    n_r = len(scenario.recipients)
    allowed = np.isin(scenario.pair_codes(rules.fixed), cand.donor * n_r + cand.recipient).tolist()
    forbidden = {(p.donor, p.recipient) for p in rules.forbidden}
    reasons = []
    for p, ok in zip(rules.fixed, allowed, strict=True):
        if ok:
            continue
        d, r = scenario.pair_index(p.donor, p.recipient)
        if (
            scenario.pairs is not None
            and scenario.pair_table_rows(np.array([d]), np.array([r]))[0] < 0
        ):
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


def _groups(keys: np.ndarray, n: int) -> np.ndarray:
    """Start of each key's run in an array sorted by key (n + 1 offsets)."""
    return np.searchsorted(keys, np.arange(n + 1))


def _needs_out_of_reach(scenario: Scenario) -> list[str]:
    """Each recipient alone: can its best dpr.max allowed donors cover its whole need?"""
    dpr = scenario.rules.donors_per_recipient
    cand = scenario.candidates
    n_r = len(scenario.recipients)
    frac = scenario.reach
    # Candidates by recipient, then best reach first; rank = place among its recipient's.
    order = np.lexsort((-frac, cand.recipient))
    rec, frac_sorted = cand.recipient[order], frac[order]
    starts = _groups(rec, n_r)
    counts = np.diff(starts)
    rank = np.arange(len(rec)) - starts[rec]
    k = counts if dpr.max is None else np.minimum(counts, dpr.max)
    top = rank < k[rec]
    best = np.bincount(rec[top], weights=frac_sorted[top], minlength=n_r)
    short = (scenario.need > 0) & (counts > 0) & (best < 1 - ROUNDING)
    return [
        f"recipient {scenario.recipients[r]} needs {scenario.need[r]:g}, but "
        f"even its {k[r]} best allowed donor(s) can cover only "
        f"{best[r]:.1%} of it with their available capacity."
        for r in np.flatnonzero(short).tolist()
    ]


def _total_capacity_short(scenario: Scenario, active: np.ndarray) -> list[str]:
    """Totals: the cheapest way to cover each recipient against all available capacity."""
    cand = scenario.candidates
    n_r = len(scenario.recipients)
    starts = _groups(cand.recipient, n_r)  # candidates are sorted by recipient
    has = np.diff(starts) > 0
    least = np.zeros(n_r)
    if len(cand):
        least[has] = np.minimum.reduceat(cand.load, starts[:-1][has])
    cheapest = 0.0
    for value in least[has & (scenario.need > 0)].tolist():
        cheapest += value  # in recipient order, as a running sum
    available = float(scenario.effective_capacity[active].sum()) if len(active) else 0.0
    if not _exceeds(cheapest, available):
        return []
    return [
        f"total need (load {cheapest:g} at the least) exceeds the total "
        f"available capacity {available:g} of the {len(active)} donor(s) "
        f"(reserve {scenario.rules.reserve:g})."
    ]


def _pair_counts_apart(scenario: Scenario, active: np.ndarray, unservable_now: bool) -> list[str]:
    """Counting: pair slots on each side must overlap. `unservable_now`: a recipient
    without enough donors already explains a shortfall of pairs."""
    rules = scenario.rules
    dpr, rpd = rules.donors_per_recipient, rules.recipients_per_donor
    cand = scenario.candidates
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    per_recipient = np.bincount(cand.recipient, minlength=n_r)
    per_donor = np.bincount(cand.donor, minlength=n_d)[active]
    most_pairs = int(np.minimum(per_recipient, dpr.max if dpr.max is not None else n_d).sum())
    least_pairs = dpr.min * n_r
    donor_most = int(np.minimum(per_donor, rpd.max if rpd.max is not None else n_r).sum())
    donor_least = rpd.min * len(active)
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
    lonely = [scenario.donors[d] for d in active[per_donor < rpd.min].tolist()]
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
    short = unservable(scenario)
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
        "unservable_recipients": short,
        "conflicts": conflicts(scenario, short),
    }
