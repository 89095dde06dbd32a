"""An independent brute-force solver for small pairing problems, used as a test oracle.

It deliberately shares no code with `pairing_opt` (no model, no scenario, no verifier):
it works on plain Python data and follows the documented semantics.

A problem has one or more resources (staff, supplies, ...). Amounts (capacity, need, a
pair's load, a donor's minimum load) are numbers with one resource and tuples, one number
per resource, with several; a number given where there are several resources is the same
amount for each. A pairing chooses one set of pairs, shared by every resource, and per pair
and resource a share s_pk >= 0 of the recipient's need (f_pk = s_pk / need_rk):

- each recipient r gets [min, max] donors: `recipient_counts[r]`, else donors_per_recipient
  (every recipient, also one without need);
- each donor d that is not excluded takes [min, max] recipients: `donor_counts[d]`, else
  recipients_per_donor;
- every need_rk > 0 is covered in full (sum_d f_pk = 1), unless resource k has a shortfall
  price P_k: then sum_d f_pk <= 1 and the uncovered need costs P_k * need_rk * (1 - sum f);
- each donor's load of each resource sum_p load_pk * f_pk stays within its capacity less
  its reserve (`donor_reserve[d]`, else reserve), and, unless the donor is excluded, is at
  least `min_load[d]` of that resource (whether or not the donor has recipients); a
  recipient's need of 0 has no fractions and puts no load on its donors;
- f_pk >= min_share for every chosen pair and every resource the recipient needs;
- every fixed pair is chosen; candidates are the pair-table rows (or all donor x recipient
  pairs) less excluded donors, forbidden pairs and pairs over the donor's distance limit
  (`donor_max_km[d]`, else max_distance_km).

Objectives (minimisation form; the shortfall price is added, or subtracted from a
maximised column): distance (sum of km over pairs), weighted_distance (sum over pairs and
resources of weight_k * km * share_pk), max_distance (longest pair), balance (largest
load / available over donors and resources with something available or carried), and
pair-table columns summed over pairs.

When every recipient has at most one donor and every need must be covered in full, the
shares are whole (one donor covers all of each need) and no LP is needed. Otherwise every
admissible pair SET is enumerated and the remaining linear programme over the shares (and
uncovered fractions) is solved with scipy's `linprog`: the least shortfall price for the
set-determined objectives (distance, max_distance, pair-table columns; a feasibility check
without a price), an optimisation for weighted_distance and balance. Sets are visited
best-first by their objective (or by a lower bound of it), which finds the optimum without
solving every LP.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

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
# An amount: one number, or with several resources one number per resource.
Amount = float | tuple[float, ...]
# A count range (min, max); None: no upper limit.
CountRange = tuple[int, int | None]
# A pairing: (donor, recipient, share) with one share per resource where several.
Triple = tuple[str, str, Amount]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlam = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


def _vec(value: Amount, n: int) -> tuple[float, ...]:
    """An amount as one number per resource (a number: the same for each)."""
    if isinstance(value, tuple | list):
        assert len(value) == n, f"{value} has {len(value)} amounts, the problem {n} resources"
        return tuple(float(v) for v in value)
    return (float(value),) * n


@dataclass(frozen=True)
class Pair:
    donor: str
    recipient: str
    km: float
    load: Amount  # capacity spent to cover the whole need (per resource where several)
    values: dict[str, float] = field(default_factory=dict)  # other pair-table columns


@dataclass(frozen=True)
class Problem:
    capacity: Mapping[str, Amount]  # donor -> capacity, in donor order
    need: Mapping[str, Amount]  # recipient -> need, in recipient order
    pairs: list[Pair]  # every pair before the rules (pair-table rows or the full product)
    dpr: CountRange = (1, 1)  # donors per recipient (min, max)
    rpd: CountRange = (0, None)  # recipients per donor (min, max)
    max_distance_km: float | None = None
    fixed: frozenset[tuple[str, str]] = frozenset()
    forbidden: frozenset[tuple[str, str]] = frozenset()
    excluded: frozenset[str] = frozenset()
    reserve: float = 0.0
    min_share: float = 0.0
    # Several resources: one weight each (in weighted_distance); len(weights) resources.
    weights: tuple[float, ...] = (1.0,)
    # Price per unit of uncovered need, per resource (None: covered in full); a number is
    # the price of every resource; None: every need covered in full.
    penalty: float | tuple[float | None, ...] | None = None
    # Per-row rules (rows not named follow the scenario-wide rule above).
    donor_counts: Mapping[str, CountRange] = field(default_factory=dict)
    recipient_counts: Mapping[str, CountRange] = field(default_factory=dict)
    donor_max_km: Mapping[str, float] = field(default_factory=dict)
    donor_reserve: Mapping[str, float] = field(default_factory=dict)
    min_load: Mapping[str, Amount] = field(default_factory=dict)

    # ------------------------------------------------------------------ per resource

    @property
    def n_res(self) -> int:
        return len(self.weights)

    def needs(self, recipient: str) -> tuple[float, ...]:
        return _vec(self.need[recipient], self.n_res)

    def caps(self, donor: str) -> tuple[float, ...]:
        return _vec(self.capacity[donor], self.n_res)

    def loads(self, pair: Pair) -> tuple[float, ...]:
        """The pair's load of each resource; 0 where the recipient needs none of it."""
        need = self.needs(pair.recipient)
        return tuple(
            load if n > 0 else 0.0
            for load, n in zip(_vec(pair.load, self.n_res), need, strict=True)
        )

    def reserve_of(self, donor: str) -> float:
        return self.donor_reserve.get(donor, self.reserve)

    def avail(self, donor: str) -> tuple[float, ...]:
        """Capacity less the donor's reserve, per resource."""
        keep = 1.0 - self.reserve_of(donor)
        return tuple(c * keep for c in self.caps(donor))

    def available(self, donor: str) -> float:
        """The first (with one resource, the only) resource's available capacity."""
        return self.avail(donor)[0]

    def least_load(self, donor: str) -> tuple[float, ...]:
        """The donor's minimum commitment per resource (none for an excluded donor)."""
        if donor in self.excluded or donor not in self.min_load:
            return (0.0,) * self.n_res
        return _vec(self.min_load[donor], self.n_res)

    def price(self, k: int) -> float | None:
        if self.penalty is None:
            return None
        if isinstance(self.penalty, tuple):
            return self.penalty[k]
        return float(self.penalty)

    @property
    def priced(self) -> bool:
        """Some resource may go uncovered at a price."""
        return any(self.price(k) is not None for k in range(self.n_res))

    def recipient_range(self, recipient: str) -> CountRange:
        return self.recipient_counts.get(recipient, self.dpr)

    def donor_range(self, donor: str) -> CountRange:
        return self.donor_counts.get(donor, self.rpd)

    def distance_limit(self, donor: str) -> float | None:
        return self.donor_max_km.get(donor, self.max_distance_km)

    def must_serve(self, recipient: str) -> bool:
        """The recipient needs a resource that must be covered in full."""
        return any(n > 0 and self.price(k) is None for k, n in enumerate(self.needs(recipient)))

    @property
    def single(self) -> bool:
        """Whole shares: at most one donor per recipient, every need covered in full."""
        return not self.priced and all(
            (high := self.recipient_range(r)[1]) is not None and high <= 1 for r in self.need
        )

    def candidates(self) -> list[Pair]:
        out = []
        for p in self.pairs:
            limit = self.distance_limit(p.donor)
            if (
                p.donor not in self.excluded
                and (p.donor, p.recipient) not in self.forbidden
                and (limit is None or p.km <= limit)
            ):
                out.append(p)
        return out


# --------------------------------------------------------------------------- scoring


def _shares(problem: Problem, share: Amount) -> tuple[float, ...]:
    return _vec(share, problem.n_res)


def _fractions(problem: Problem, pair: Pair, share: Amount) -> tuple[float, ...]:
    """The fraction of the recipient's need of each resource the share covers."""
    need = problem.needs(pair.recipient)
    return tuple(
        s / n if n > 0 else 0.0 for s, n in zip(_shares(problem, share), need, strict=True)
    )


def _donor_loads(
    problem: Problem, chosen: Sequence[tuple[Pair, Amount]]
) -> dict[tuple[str, int], float]:
    loads: dict[tuple[str, int], float] = {}
    for p, share in chosen:
        for k, (load, f) in enumerate(
            zip(problem.loads(p), _fractions(problem, p, share), strict=True)
        ):
            loads[(p.donor, k)] = loads.get((p.donor, k), 0.0) + load * f
    return loads


def _balance(problem: Problem, loads: Mapping[tuple[str, int], float]) -> float:
    worst = 0.0
    for d in problem.capacity:
        for k, avail in enumerate(problem.avail(d)):
            load = loads.get((d, k), 0.0)
            if avail > 0:
                worst = max(worst, load / avail)
            elif load > 0:
                worst = math.inf
    return worst


def objective_value(problem: Problem, objective: Objective, pairing: Sequence[Triple]) -> float:
    """The objective of a pairing given as (donor, recipient, share) triples, without any
    shortfall price."""
    table = {(p.donor, p.recipient): p for p in problem.pairs}
    chosen = [(table[(d, r)], s) for d, r, s in pairing]
    if objective == "distance":
        return sum(p.km for p, _ in chosen)
    if objective == "weighted_distance":
        return sum(
            p.km * sum(w * x for w, x in zip(problem.weights, _shares(problem, s), strict=True))
            for p, s in chosen
        )
    if objective == "max_distance":
        return max((p.km for p, _ in chosen), default=0.0)
    if objective == "balance":
        return _balance(problem, _donor_loads(problem, chosen))
    return sum(p.values[objective[1]] for p, _ in chosen)


def uncovered(problem: Problem, pairing: Sequence[Triple]) -> dict[tuple[str, int], float]:
    """Need left uncovered per (recipient, resource), in need units (0 when covered)."""
    covered: dict[tuple[str, int], float] = {}
    for _, r, s in pairing:
        for k, x in enumerate(_shares(problem, s)):
            covered[(r, k)] = covered.get((r, k), 0.0) + x
    return {
        (r, k): max(0.0, n - covered.get((r, k), 0.0))
        for r in problem.need
        for k, n in enumerate(problem.needs(r))
    }


def shortfall_cost(problem: Problem, pairing: Sequence[Triple]) -> float:
    """The price of the need left uncovered (0 without a shortfall price)."""
    total = 0.0
    for (_, k), amount in uncovered(problem, pairing).items():
        price = problem.price(k)
        if price is not None:
            total += price * amount
    return total


def score(problem: Problem, objective: Objective, pairing: Sequence[Triple]) -> float:
    """What is optimised, in the objective's own sense: the objective plus the shortfall
    price (minus it for a maximised column)."""
    value = objective_value(problem, objective, pairing)
    cost = shortfall_cost(problem, pairing)
    maximise = isinstance(objective, tuple) and objective[0] == "max"
    return value - cost if maximise else value + cost


def violations(problem: Problem, pairing: Sequence[Triple]) -> list[str]:
    """Every rule the pairing breaks (tolerance 1e-6 relative, like a solver's answer)."""
    out: list[str] = []
    allowed = {(p.donor, p.recipient): p for p in problem.candidates()}
    keys = [(d, r) for d, r, _ in pairing]
    if len(set(keys)) != len(keys):
        out.append("a pair appears twice")
    for d, r, s in pairing:
        if (d, r) not in allowed:
            out.append(f"{d}->{r} is not an allowed pair")
        if not all(x >= -1e-9 for x in _shares(problem, s)):
            out.append(f"{d}->{r} has a negative share {s}")
    for f in problem.fixed:
        if f not in keys:
            out.append(f"fixed pair {f} missing")
    for r in problem.need:
        dmin, dmax = problem.recipient_range(r)
        mine = [(d, _shares(problem, s)) for d, rr, s in pairing if rr == r]
        if not dmin <= len(mine) <= (dmax if dmax is not None else len(mine)):
            out.append(f"{r} has {len(mine)} donors")
        for k, need in enumerate(problem.needs(r)):
            covered = sum(s[k] for _, s in mine)
            tol = 1e-6 * max(1.0, need)
            if covered > need + tol:
                out.append(f"{r} is covered beyond its need of resource {k}")
            if need <= 0:
                continue
            if problem.price(k) is None and covered < need - tol:
                out.append(f"{r} is not covered in full (resource {k})")
            for d, s in mine:
                if s[k] < problem.min_share * need - tol:
                    out.append(f"{d}->{r} is below min_share (resource {k})")
            if problem.single and any(abs(s[k] - need) > tol for _, s in mine):
                out.append(f"{r} has a partial share with one donor per recipient")
    loads = _donor_loads(
        problem, [(allowed[(d, r)], s) for d, r, s in pairing if (d, r) in allowed]
    )
    for d in problem.capacity:
        for k, (avail, least) in enumerate(
            zip(problem.avail(d), problem.least_load(d), strict=True)
        ):
            load = loads.get((d, k), 0.0)
            if load > avail + 1e-6 * max(1.0, avail):
                out.append(f"{d} is over capacity of resource {k} ({load} > {avail})")
            if load < least - 1e-6 * max(1.0, least):
                out.append(f"{d} carries less than its min_load of resource {k} ({load})")
        rmin, rmax = problem.donor_range(d)
        count = sum(1 for dd, _, _ in pairing if dd == d)
        if d not in problem.excluded and not (
            rmin <= count <= (rmax if rmax is not None else count)
        ):
            out.append(f"{d} has {count} recipients")
    return out


# --------------------------------------------------------------------------- enumeration

Sets = tuple[tuple[Pair, ...], ...]  # one pair set per recipient, in recipient order


def _pair_sets(problem: Problem, cands: list[Pair]) -> Iterator[Sets]:
    """Every choice of pair sets, one set per recipient, that meets the count rules and
    contains the fixed pairs (capacities and shares are checked later)."""
    recipients = list(problem.need)
    options: list[list[tuple[Pair, ...]]] = []
    for r in recipients:
        dmin, dmax = problem.recipient_range(r)
        mine = [p for p in cands if p.recipient == r]
        must = {(d, rr) for d, rr in problem.fixed if rr == r}
        low = max(dmin, 1) if problem.must_serve(r) else dmin
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
    ranges = {d: problem.donor_range(d) for d in donors}
    # reach[i][d]: how many of the recipients i, i+1, ... could still take donor d
    reach = [dict.fromkeys(donors, 0) for _ in range(len(recipients) + 1)]
    for i in range(len(recipients) - 1, -1, -1):
        reach[i] = dict(reach[i + 1])
        for d in {p.donor for s in options[i] for p in s}:
            reach[i][d] += 1
    counts = dict.fromkeys(donors, 0)
    chosen: list[tuple[Pair, ...]] = []

    def fits(s: tuple[Pair, ...]) -> bool:
        for p in s:
            high = ranges[p.donor][1]
            if high is not None and counts[p.donor] > high:
                return False
        return True

    def walk(i: int) -> Iterator[Sets]:
        if any(counts[d] + reach[i][d] < ranges[d][0] for d in donors):
            return
        if i == len(recipients):
            yield tuple(chosen)
            return
        for s in options[i]:
            for p in s:
                counts[p.donor] += 1
            if fits(s):
                chosen.append(s)
                yield from walk(i + 1)
                chosen.pop()
            for p in s:
                counts[p.donor] -= 1

    yield from walk(0)


def _set_value(problem: Problem, objective: Objective, pairs: list[Pair]) -> float:
    """Objectives fixed by the pair set alone (distance, max_distance, columns), in
    minimisation form."""
    if objective == "distance":
        return sum(p.km for p in pairs)
    if objective == "max_distance":
        return max((p.km for p in pairs), default=0.0)
    assert isinstance(objective, tuple), objective
    sense, column = objective
    total = sum(p.values[column] for p in pairs)
    return total if sense == "min" else -total


def _least_fraction(problem: Problem, s: Sequence[Pair], k: int) -> float:
    """The least fraction of a need of resource k each pair of the set `s` covers."""
    return 1.0 if len(s) == 1 and problem.price(k) is None else problem.min_share


def _lower_bound(problem: Problem, objective: Objective, sets: Sets) -> float:
    """A lower bound of weighted_distance or balance (each with the shortfall price) over
    every choice of shares on these sets (inf when min_share alone rules the sets out)."""
    m = problem.min_share
    recipients = list(problem.need)
    if any(
        len(s) * m > 1 + 1e-12
        for r, s in zip(recipients, sets, strict=True)
        if s and any(n > 0 for n in problem.needs(r))
    ):
        return math.inf
    if objective == "weighted_distance":
        total = 0.0
        for r, s in zip(recipients, sets, strict=True):
            for k, need in enumerate(problem.needs(r)):
                if need <= 0:
                    continue
                weight, price = problem.weights[k], problem.price(k)
                # the cheapest way to spend a fraction of the need: a pair or uncovered
                cheapest = min([weight * p.km for p in s] + ([price] if price is not None else []))
                at_least = sum(m * weight * p.km for p in s)
                total += need * (at_least + (1 - len(s) * m) * cheapest)
        return total
    # balance: loads every donor must carry (min_share, or all of a need it covers
    # alone), and per fully covered resource the cheapest total load spread over the
    # capacity of the donors used. The shortfall price only adds.
    bound = 0.0
    for k in range(problem.n_res):
        forced: dict[str, float] = {}
        least_total = 0.0
        used: set[str] = set()
        for r, s in zip(recipients, sets, strict=True):
            if not s or problem.needs(r)[k] <= 0:
                continue
            loads = [problem.loads(p)[k] for p in s]
            if problem.price(k) is None:
                least_total += m * sum(loads) + (1 - len(loads) * m) * min(loads)
            for p, load in zip(s, loads, strict=True):
                forced[p.donor] = forced.get(p.donor, 0.0) + _least_fraction(problem, s, k) * load
                used.add(p.donor)
        for d, load in forced.items():
            avail = problem.avail(d)[k]
            if avail > 0:
                bound = max(bound, load / avail)
            elif load > TOL:
                return math.inf
        room = sum(problem.avail(d)[k] for d in used)
        if least_total > TOL:
            bound = max(bound, least_total / room if room > 0 else math.inf)
    return bound


def _share_lp(problem: Problem, objective: Objective, sets: Sets) -> float | None:
    """Solve the LP over the shares of a fixed pair set (and the uncovered fractions):
    the best weighted_distance or balance, each plus the shortfall price, or for other
    objectives the least shortfall price (0 without one); None when no shares satisfy
    the rules."""
    recipients = list(problem.need)
    # Cheap necessary condition first: the load a donor carries whatever the shares.
    forced: dict[tuple[str, int], float] = {}
    for r, s in zip(recipients, sets, strict=True):
        for k, need in enumerate(problem.needs(r)):
            if need > 0:
                for p in s:
                    key = (p.donor, k)
                    forced[key] = (
                        forced.get(key, 0.0)
                        + _least_fraction(problem, s, k) * (problem.loads(p)[k])
                    )
    for (d, k), load in forced.items():
        avail = problem.avail(d)[k]
        if load > avail + TOL * max(1.0, avail):
            return None
    # Variables: f_pk (pairs x resources needed), then s_rk (priced needs), then t.
    var: list[tuple[Pair, int]] = [
        (p, k)
        for r, s in zip(recipients, sets, strict=True)
        for p in s
        for k, need in enumerate(problem.needs(r))
        if need > 0
    ]
    short: list[tuple[str, int]] = [
        (r, k)
        for r in recipients
        for k, need in enumerate(problem.needs(r))
        if need > 0 and problem.price(k) is not None
    ]
    balance = objective == "balance"
    n_f, n_s = len(var), len(short)
    n = n_f + n_s + (1 if balance else 0)
    if n == 0:
        # Nothing to share: only the minimum commitments can fail.
        if any(x > 0 for d in problem.capacity for x in problem.least_load(d)):
            return None
        return 0.0
    c = np.zeros(n)
    if objective == "weighted_distance":
        for i, (p, k) in enumerate(var):
            c[i] = problem.weights[k] * p.km * problem.needs(p.recipient)[k]
    for j, (r, k) in enumerate(short):
        c[n_f + j] = float(problem.price(k) or 0.0) * problem.needs(r)[k]
    if balance:
        c[-1] = 1.0
    a_eq, b_eq = [], []
    for r in recipients:
        for k, need in enumerate(problem.needs(r)):
            if need > 0:
                row = np.zeros(n)
                for i, (p, kk) in enumerate(var):
                    if p.recipient == r and kk == k:
                        row[i] = 1.0
                if (r, k) in short:
                    row[n_f + short.index((r, k))] = 1.0
                a_eq.append(row)
                b_eq.append(1.0)
    a_ub, b_ub = [], []
    for d in problem.capacity:
        for k, (avail, least) in enumerate(
            zip(problem.avail(d), problem.least_load(d), strict=True)
        ):
            row = np.zeros(n)
            for i, (p, kk) in enumerate(var):
                if p.donor == d and kk == k:
                    row[i] = problem.loads(p)[k]
            if least > 0:  # load >= least, whatever the donor's pairs
                if not row.any():
                    return None
                a_ub.append(-row)
                b_ub.append(-least)
            if not row.any():
                continue
            a_ub.append(row)
            b_ub.append(avail)
            if balance and avail > 0:
                with_t = row.copy()
                with_t[-1] = -avail
                a_ub.append(with_t)
                b_ub.append(0.0)
    bounds = [(problem.min_share, 1.0)] * n_f + [(0.0, 1.0)] * n_s + [(0.0, None)] * balance
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
    return float(res.fun)


def _whole_value(problem: Problem, objective: Objective, sets: Sets) -> float | None:
    """One donor per recipient: shares are whole needs, so check capacity and score."""
    pairing: list[Triple] = [
        (p.donor, p.recipient, problem.needs(p.recipient)) for s in sets for p in s
    ]
    loads: dict[tuple[str, int], float] = {}
    for s in sets:
        for p in s:
            for k, load in enumerate(problem.loads(p)):
                loads[(p.donor, k)] = loads.get((p.donor, k), 0.0) + load
    for d in problem.capacity:
        for k, (avail, least) in enumerate(
            zip(problem.avail(d), problem.least_load(d), strict=True)
        ):
            load = loads.get((d, k), 0.0)
            if load > avail + TOL * max(1.0, avail) or load < least - TOL * max(1.0, least):
                return None
    return objective_value(problem, objective, pairing)


def _relaxed_infeasible(problem: Problem, cands: list[Pair]) -> bool:
    """Shares on any candidates, with no counts or min_share: if even this LP is
    infeasible, so is every pair set (saves solving one LP per set)."""
    relaxed = replace(
        problem,
        dpr=(0, None),
        rpd=(0, None),
        recipient_counts={},
        donor_counts={},
        min_share=0.0,
        fixed=frozenset(),
    )
    by_recipient = tuple(tuple(p for p in cands if p.recipient == r) for r in problem.need)
    if any(
        problem.must_serve(r) and not s for r, s in zip(problem.need, by_recipient, strict=True)
    ):
        return True
    # A recipient with one candidate: its full coverage is forced, as the LP's would be.
    return _share_lp(relaxed, "distance", by_recipient) is None


def optimum(problem: Problem, objective: Objective, *, exhaustive: bool = False) -> float | None:
    """The optimal score (the objective plus the shortfall price, in the objective's own
    sense), or None if infeasible.

    `exhaustive` solves the share LP of every pair set, without the infeasibility
    shortcut or the best-first order: slow, and only there to test those shortcuts."""
    cands = problem.candidates()
    allowed = {(p.donor, p.recipient) for p in cands}
    if not problem.fixed <= allowed:
        return None
    if not problem.single and not exhaustive and _relaxed_infeasible(problem, cands):
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

    shares_decide = objective in ("weighted_distance", "balance")

    def total(sets: Sets, lp: float) -> float:
        """The minimisation-form score of a set whose share LP came to `lp`."""
        if shares_decide:
            return lp
        return _set_value(problem, objective, [p for s in sets for p in s]) + lp

    if exhaustive:
        found = [
            total(sets, value)
            for sets in all_sets
            if (value := _share_lp(problem, objective, sets)) is not None
        ]
        if not found:
            return None
        return -min(found) if maximise else min(found)

    # Best-first on a lower bound (the set's own value: the shortfall price only adds):
    # stop once no remaining set can beat the best found.
    def bound(sets: Sets) -> float:
        if shares_decide:
            return _lower_bound(problem, objective, sets)
        return _set_value(problem, objective, [p for s in sets for p in s])

    ranked = sorted(((bound(sets), i) for i, sets in enumerate(all_sets)))
    best: float | None = None
    for low, i in ranked:
        if math.isinf(low) or (best is not None and low >= best):
            break
        value = _share_lp(problem, objective, all_sets[i])
        if value is not None:
            value = total(all_sets[i], value)
            if best is None or value < best:
                best = value
    if best is None:
        return None
    return -best if maximise else best


# --------------------------------------------------------------------------- tie-break

# pairopt breaks ties among pairings within TIE_REL * max(1, |optimum|) of the optimum.
# A pairing outside that margin but within NEAR_REL could pass a solver's tolerances either
# way, so such cases are left unjudged.
TIE_REL = 1e-9
NEAR_REL = 1e-5


def secondary_value(problem: Problem, objective: Objective, pairing: Sequence[Triple]) -> float:
    """The documented tie-break: prefer short pairs (distance) under weighted_distance,
    short-travelled need (weighted_distance) under distance, and both otherwise, each
    over its normaliser (the mean allowed km common to both is left out: it scales the
    sum and changes no pick)."""
    distance = objective_value(problem, "distance", pairing)
    weighted = objective_value(problem, "weighted_distance", pairing)
    if objective == "weighted_distance":
        return distance
    if objective == "distance":
        return weighted
    return _both(problem, weighted, distance)


def _both(problem: Problem, weighted: float, distance: float) -> float:
    """Weighted distance over the weighted total need plus distance over the recipients
    with need: the tie-break of objectives other than the two distances."""
    needs = [problem.needs(r) for r in problem.need]
    recipients = max(1, sum(1 for n in needs if any(x > 0 for x in n)))
    total = sum(w * sum(n[k] for n in needs) for k, w in enumerate(problem.weights))
    return weighted / (total if total > 0 else 1.0) + distance / recipients


def tied_secondary(problem: Problem, objective: Objective, best: float) -> float | None:
    """The least tie-break value over the pairings whose objective ties with the optimum
    `best` (in the objective's own sense). None when the case is not clear-cut (a pairing
    just outside the tie margin) or not covered (max_distance or balance with shares, where
    the tie-break trades shares of both objectives at once, and any shortfall price, where
    it trades shares against uncovered need)."""
    if problem.priced:
        return None
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
            whole: list[Triple] = [
                (p.donor, p.recipient, problem.needs(p.recipient)) for p in pairs
            ]
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
            distance = sum(p.km for p in pairs)
            secondary = weighted if objective == "distance" else _both(problem, weighted, distance)
        if tie < primary <= near:
            return None
        if primary <= tie:
            found.append(secondary)
    return min(found) if found else None
