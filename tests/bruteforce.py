"""An independent brute-force solver for small pairing problems, used as a test oracle.

It deliberately shares no code with `pairing_opt` (no model, no scenario, no verifier):
it works on plain Python data and follows the documented semantics.

A pairing chooses a set of pairs and a share s_p >= 0 of the recipient's need per pair:

- every recipient with need > 0 is covered in full (the fractions f_p = s_p / need sum to 1);
- each recipient has donors_per_recipient [min, max] donors (every recipient, also need 0);
- each non-excluded donor has recipients_per_donor [min, max] recipients;
- each donor's load sum_p load_p * f_p stays within capacity * (1 - reserve); a recipient
  with need 0 has no fractions and puts no load on its donors;
- f_p >= min_share for every chosen pair of a recipient with need > 0;
- every fixed pair is chosen; candidates are the pair-table rows (or all donor x
  recipient pairs) less excluded donors, forbidden pairs and pairs over max_distance_km.

With donors_per_recipient max 1 the shares are whole (one donor covers all of a need) and
no LP is needed. Otherwise every admissible pair SET is enumerated and the remaining
linear programme over the shares is solved with scipy's `linprog`: a feasibility check
for the set-determined objectives (distance, max_distance, pair-table columns), an
optimisation for weighted_distance and balance. Sets are visited best-first by their
objective (or by a lower bound of it), which finds the optimum without solving every LP.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]

EARTH_RADIUS_KM = 6371.0088
# Tolerance on capacities in exact sums (the data are integers and tenths, so real margins
# are far larger). The share LPs get the exact capacities: relaxing them would let a
# binding capacity lower weighted_distance by more than the comparison tolerance.
TOL = 1e-7

# An objective: "distance", "weighted_distance", "max_distance", "balance",
# or ("min", column) / ("max", column) for a pair-table column.
Objective = str | tuple[str, str]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


@dataclass(frozen=True)
class Pair:
    donor: str
    recipient: str
    km: float
    load: float
    values: dict[str, float] = field(default_factory=dict)  # other pair-table columns


@dataclass(frozen=True)
class Problem:
    capacity: dict[str, float]  # donor -> capacity, in donor order
    need: dict[str, float]  # recipient -> need, in recipient order
    pairs: list[Pair]  # every pair before the rules (pair-table rows or the full product)
    dpr: tuple[int, int | None] = (1, 1)  # donors per recipient (min, max)
    rpd: tuple[int, int | None] = (0, None)  # recipients per donor (min, max)
    max_distance_km: float | None = None
    fixed: frozenset[tuple[str, str]] = frozenset()
    forbidden: frozenset[tuple[str, str]] = frozenset()
    excluded: frozenset[str] = frozenset()
    reserve: float = 0.0
    min_share: float = 0.0

    def available(self, donor: str) -> float:
        return self.capacity[donor] * (1.0 - self.reserve)

    @property
    def single(self) -> bool:
        return self.dpr[1] == 1

    def candidates(self) -> list[Pair]:
        return [
            p
            for p in self.pairs
            if p.donor not in self.excluded
            and (p.donor, p.recipient) not in self.forbidden
            and (self.max_distance_km is None or p.km <= self.max_distance_km)
        ]


# --------------------------------------------------------------------------- scoring


def _load_of(problem: Problem, pair: Pair, share: float) -> float:
    need = problem.need[pair.recipient]
    return pair.load * share / need if need > 0 else 0.0


def _balance(problem: Problem, loads: dict[str, float]) -> float:
    worst = 0.0
    for d in problem.capacity:
        load, avail = loads.get(d, 0.0), problem.available(d)
        if avail > 0:
            worst = max(worst, load / avail)
        elif load > 0:
            worst = math.inf
    return worst


def objective_value(
    problem: Problem, objective: Objective, pairing: Sequence[tuple[str, str, float]]
) -> float:
    """The objective of a pairing given as (donor, recipient, share) triples."""
    table = {(p.donor, p.recipient): p for p in problem.pairs}
    chosen = [(table[(d, r)], s) for d, r, s in pairing]
    if objective == "distance":
        return sum(p.km for p, _ in chosen)
    if objective == "weighted_distance":
        return sum(p.km * s for p, s in chosen)
    if objective == "max_distance":
        return max((p.km for p, _ in chosen), default=0.0)
    if objective == "balance":
        loads: dict[str, float] = {}
        for p, s in chosen:
            loads[p.donor] = loads.get(p.donor, 0.0) + _load_of(problem, p, s)
        return _balance(problem, loads)
    return sum(p.values[objective[1]] for p, _ in chosen)


def violations(problem: Problem, pairing: Sequence[tuple[str, str, float]]) -> list[str]:
    """Every rule the pairing breaks (tolerance 1e-6 relative, like a solver's answer)."""
    out: list[str] = []
    allowed = {(p.donor, p.recipient): p for p in problem.candidates()}
    keys = [(d, r) for d, r, _ in pairing]
    if len(set(keys)) != len(keys):
        out.append("a pair appears twice")
    for d, r, s in pairing:
        if (d, r) not in allowed:
            out.append(f"{d}->{r} is not an allowed pair")
        if not s >= -1e-9:
            out.append(f"{d}->{r} has a negative share {s}")
    for f in problem.fixed:
        if f not in keys:
            out.append(f"fixed pair {f} missing")
    dmin, dmax = problem.dpr
    for r, need in problem.need.items():
        mine = [(d, s) for d, rr, s in pairing if rr == r]
        if not dmin <= len(mine) <= (dmax if dmax is not None else len(mine)):
            out.append(f"{r} has {len(mine)} donors")
        if need > 0:
            if abs(sum(s for _, s in mine) - need) > 1e-6 * max(1.0, need):
                out.append(f"{r} is not covered exactly")
            for d, s in mine:
                if s < problem.min_share * need - 1e-6 * max(1.0, need):
                    out.append(f"{d}->{r} is below min_share")
            if problem.single and any(abs(s - need) > 1e-6 * max(1.0, need) for _, s in mine):
                out.append(f"{r} has a partial share with one donor per recipient")
    rmin, rmax = problem.rpd
    for d in problem.capacity:
        mine_p = [(allowed.get((d, r)), s) for dd, r, s in pairing if dd == d]
        load = sum(_load_of(problem, p, s) for p, s in mine_p if p is not None)
        avail = problem.available(d)
        if load > avail + 1e-6 * max(1.0, avail):
            out.append(f"{d} is over capacity ({load} > {avail})")
        if d not in problem.excluded and not (
            rmin <= len(mine_p) <= (rmax if rmax is not None else len(mine_p))
        ):
            out.append(f"{d} has {len(mine_p)} recipients")
    return out


# --------------------------------------------------------------------------- enumeration


def _pair_sets(problem: Problem, cands: list[Pair]) -> Iterator[tuple[tuple[Pair, ...], ...]]:
    """Every choice of pair sets, one set per recipient, that meets the count rules and
    contains the fixed pairs (capacities and shares are checked later)."""
    dmin, dmax = problem.dpr
    rmin, rmax = problem.rpd
    recipients = list(problem.need)
    options: list[list[tuple[Pair, ...]]] = []
    for r in recipients:
        mine = [p for p in cands if p.recipient == r]
        must = {(d, rr) for d, rr in problem.fixed if rr == r}
        low = max(dmin, 1) if problem.need[r] > 0 else dmin
        high = len(mine) if dmax is None else min(dmax, len(mine))
        sets = [
            combo
            for k in range(low, high + 1)
            for combo in itertools.combinations(mine, k)
            if must <= {(p.donor, p.recipient) for p in combo}
        ]
        if not sets:
            return
        options.append(sets)
    donors = [d for d in problem.capacity if d not in problem.excluded]
    # reach[i][d]: how many of the recipients i, i+1, ... could still take donor d
    reach = [dict.fromkeys(donors, 0) for _ in range(len(recipients) + 1)]
    for i in range(len(recipients) - 1, -1, -1):
        reach[i] = dict(reach[i + 1])
        for d in {p.donor for s in options[i] for p in s}:
            reach[i][d] += 1
    counts = dict.fromkeys(donors, 0)
    chosen: list[tuple[Pair, ...]] = []

    def walk(i: int) -> Iterator[tuple[tuple[Pair, ...], ...]]:
        if any(counts[d] + reach[i][d] < rmin for d in donors):
            return
        if i == len(recipients):
            yield tuple(chosen)
            return
        for s in options[i]:
            for p in s:
                counts[p.donor] += 1
            if rmax is None or all(counts[p.donor] <= rmax for p in s):
                chosen.append(s)
                yield from walk(i + 1)
                chosen.pop()
            for p in s:
                counts[p.donor] -= 1

    yield from walk(0)


def _set_value(problem: Problem, objective: Objective, pairs: list[Pair]) -> float:
    """Objectives fixed by the pair set alone (distance, max_distance, columns)."""
    if objective == "distance":
        return sum(p.km for p in pairs)
    if objective == "max_distance":
        return max((p.km for p in pairs), default=0.0)
    assert isinstance(objective, tuple), objective
    sense, column = objective
    total = sum(p.values[column] for p in pairs)
    return total if sense == "min" else -total


def _lower_bound(problem: Problem, objective: Objective, sets: Sequence[Sequence[Pair]]) -> float:
    """A lower bound of weighted_distance or balance over every choice of shares on these
    sets (inf when min_share alone rules the sets out)."""
    m = problem.min_share
    if any(len(s) * m > 1 + 1e-12 for s in sets if s and problem.need[s[0].recipient] > 0):
        return math.inf
    if objective == "weighted_distance":
        total = 0.0
        for s in sets:
            need = problem.need[s[0].recipient] if s else 0.0
            if need <= 0:
                continue
            kms = [p.km for p in s]
            total += need * (m * sum(kms) + (1 - len(kms) * m) * min(kms))
        return total
    # balance: loads every donor must carry (min_share, or all of a need it covers
    # alone), and the cheapest total load spread over the capacity of the donors used.
    forced: dict[str, float] = {}
    least_total = 0.0
    used: set[str] = set()
    for s in sets:
        if not s or problem.need[s[0].recipient] <= 0:
            continue
        least = 1.0 if len(s) == 1 else m
        loads = [p.load for p in s]
        least_total += m * sum(loads) + (1 - len(loads) * m) * min(loads)
        for p in s:
            forced[p.donor] = forced.get(p.donor, 0.0) + least * p.load
            used.add(p.donor)
    bound = 0.0
    for d, load in forced.items():
        avail = problem.available(d)
        if avail > 0:
            bound = max(bound, load / avail)
        elif load > TOL:
            return math.inf
    room = sum(problem.available(d) for d in used)
    if least_total > TOL:
        bound = max(bound, least_total / room if room > 0 else math.inf)
    return bound


def _share_lp(
    problem: Problem, objective: Objective, sets: Sequence[Sequence[Pair]]
) -> float | None:
    """Solve the LP over the shares of a fixed pair set: the best weighted_distance or
    balance (0 for other objectives), or None when no shares satisfy the rules."""
    var = [p for s in sets for p in s if problem.need[p.recipient] > 0]
    # Cheap necessary condition first: the load a donor carries whatever the shares.
    forced: dict[str, float] = {}
    for s in sets:
        for p in s:
            if problem.need[p.recipient] > 0:
                least = 1.0 if len(s) == 1 else problem.min_share
                forced[p.donor] = forced.get(p.donor, 0.0) + least * p.load
    for d, load in forced.items():
        avail = problem.available(d)
        if load > avail + TOL * max(1.0, avail):
            return None
    balance = objective == "balance"
    n = len(var) + (1 if balance else 0)
    if n == 0:
        return 0.0
    c = np.zeros(n)
    if objective == "weighted_distance":
        c[: len(var)] = [problem.need[p.recipient] * p.km for p in var]
    if balance:
        c[-1] = 1.0
    a_eq, b_eq = [], []
    for r in problem.need:
        if problem.need[r] > 0:
            a_eq.append([1.0 if p.recipient == r else 0.0 for p in var] + [0.0] * balance)
            b_eq.append(1.0)
    a_ub, b_ub = [], []
    for d in problem.capacity:
        row = [p.load if p.donor == d else 0.0 for p in var]
        if not any(row):
            continue
        avail = problem.available(d)
        a_ub.append([*row, 0.0] if balance else row)
        b_ub.append(avail)
        if balance and avail > 0:
            a_ub.append([*row, -avail])
            b_ub.append(0.0)
    bounds = [(problem.min_share, 1.0)] * len(var) + [(0.0, None)] * balance
    res = linprog(
        c,
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=np.array(b_ub) if b_ub else None,
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=np.array(b_eq) if b_eq else None,
        bounds=bounds,
        method="highs",
    )
    if res.status == 2:
        return None
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(res.fun) if objective in ("weighted_distance", "balance") else 0.0


def _whole_value(
    problem: Problem, objective: Objective, sets: Sequence[Sequence[Pair]]
) -> float | None:
    """One donor per recipient: shares are whole needs, so check capacity and score."""
    pairing = [(p.donor, p.recipient, problem.need[p.recipient]) for s in sets for p in s]
    loads: dict[str, float] = {}
    for s in sets:
        for p in s:
            loads[p.donor] = loads.get(p.donor, 0.0) + _load_of(
                problem, p, problem.need[p.recipient]
            )
    for d, load in loads.items():
        avail = problem.available(d)
        if load > avail + TOL * max(1.0, avail):
            return None
    return objective_value(problem, objective, pairing)


def optimum(problem: Problem, objective: Objective, *, exhaustive: bool = False) -> float | None:
    """The optimal objective value (in the objective's own sense), or None if infeasible.

    `exhaustive` solves the share LP of every pair set, without the infeasibility
    shortcut or the best-first order: slow, and only there to test those shortcuts."""
    cands = problem.candidates()
    allowed = {(p.donor, p.recipient) for p in cands}
    if not problem.fixed <= allowed:
        return None
    if not problem.single and not exhaustive:
        # Shares on any candidates, no counts or min_share: if even this is infeasible,
        # so is every pair set (saves solving one LP per set).
        relaxed = Problem(
            problem.capacity, problem.need, cands, dpr=(0, None), reserve=problem.reserve
        )
        by_recipient = [[p for p in cands if p.recipient == r] for r in problem.need]
        if _share_lp(relaxed, "distance", by_recipient) is None:
            return None
    all_sets = list(_pair_sets(problem, cands))
    if not all_sets:
        return None
    maximise = isinstance(objective, tuple) and objective[0] == "max"

    if problem.single:
        values = [
            v for sets in all_sets if (v := _whole_value(problem, objective, sets)) is not None
        ]
        if not values:
            return None
        return max(values) if maximise else min(values)

    if exhaustive:
        found = []
        for sets in all_sets:
            value = _share_lp(problem, objective, sets)
            if value is not None and objective not in ("weighted_distance", "balance"):
                value = _set_value(problem, objective, [p for s in sets for p in s])
            if value is not None:
                found.append(value)
        if not found:
            return None
        return -min(found) if maximise else min(found)

    if objective in ("weighted_distance", "balance"):
        # Best-first on a lower bound: stop once no remaining set can beat the best found.
        ranked = sorted(all_sets, key=lambda sets: _lower_bound(problem, objective, sets))
        best: float | None = None
        for sets in ranked:
            bound = _lower_bound(problem, objective, sets)
            if math.isinf(bound) or (best is not None and bound >= best):
                break
            value = _share_lp(problem, objective, sets)
            if value is not None and (best is None or value < best):
                best = value
        return best

    # The pair set fixes the objective: the first feasible set in objective order wins.
    ranked = sorted(
        all_sets, key=lambda sets: _set_value(problem, objective, [p for s in sets for p in s])
    )
    for sets in ranked:
        if _share_lp(problem, objective, sets) is not None:
            value = _set_value(problem, objective, [p for s in sets for p in s])
            return -value if maximise else value
    return None


# --------------------------------------------------------------------------- tie-break

# pairopt breaks ties among pairings within TIE_REL * max(1, |optimum|) of the optimum.
# A pairing outside that margin but within NEAR_REL could pass a solver's tolerances either
# way, so such cases are left unjudged.
TIE_REL = 1e-9
NEAR_REL = 1e-5


def secondary_value(
    problem: Problem, objective: Objective, pairing: Sequence[tuple[str, str, float]]
) -> float:
    """The documented tie-break: prefer short pairs (distance) under weighted_distance,
    short-travelled need (weighted_distance) under distance, and both otherwise."""
    distance = objective_value(problem, "distance", pairing)
    weighted = objective_value(problem, "weighted_distance", pairing)
    if objective == "weighted_distance":
        return distance
    if objective == "distance":
        return weighted
    return weighted + distance


def tied_secondary(problem: Problem, objective: Objective, best: float) -> float | None:
    """The least tie-break value over the pairings whose objective ties with the optimum
    `best` (in the objective's own sense). None when the case is not clear-cut (a pairing
    just outside the tie margin) or not covered (max_distance or balance with shares, where
    the tie-break trades shares of both objectives at once)."""
    maximise = isinstance(objective, tuple) and objective[0] == "max"
    target = -best if maximise else best  # minimisation form, as the solver sees it
    scale = max(1.0, abs(best))
    tie, near = target + TIE_REL * scale, target + NEAR_REL * scale
    cands = problem.candidates()
    found: list[float] = []
    for sets in _pair_sets(problem, cands):
        pairs = [p for s in sets for p in s]
        if problem.single:
            primary = _whole_value(problem, objective, sets)
            if primary is None:
                continue
            primary = -primary if maximise else primary
            whole = [(p.donor, p.recipient, problem.need[p.recipient]) for p in pairs]
            secondary = secondary_value(problem, objective, whole)
        elif objective == "weighted_distance":
            if _lower_bound(problem, objective, sets) > near:
                continue
            value = _share_lp(problem, objective, sets)
            if value is None:
                continue
            primary, secondary = value, sum(p.km for p in pairs)
        elif objective in ("max_distance", "balance"):
            return None
        else:  # distance or a column: the pair set fixes the objective
            primary = _set_value(problem, objective, pairs)
            if primary > near:
                continue
            weighted = _share_lp(problem, "weighted_distance", sets)
            if weighted is None:
                continue
            secondary = weighted if objective == "distance" else weighted + sum(p.km for p in pairs)
        if tie < primary <= near:
            return None
        if primary <= tie:
            found.append(secondary)
    return min(found) if found else None
