"""Independent verification of a pairing against the scenario.

Written from the scenario's tables and rules, never from model arrays or solver
variables, so that a modelling or solver mistake shows up as a broken rule instead of
as output. Also scores any pairing (all objectives), which `evaluate` builds on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ..scenario.scenario import Scenario
from ..scenario.spec import ColumnObjective, Objective

# Numbers closer than this, relative to the data they are measured against, are equal:
# solver feasibility is about 1e-7 (in the scaled model, so relative), and a file rounds
# what a solver wrote. Every tolerance below is relative to the amounts involved, never
# absolute, so that the unit a scenario is written in cannot change a verdict (an absolute
# 1e-6 accepted a donor of capacity 1e-6 carrying twice that).
REL_TOL = 1e-6


def _close_enough(value: float, limit: float, size: float | None = None) -> bool:
    """value <= limit up to REL_TOL relative to `size` (default: the limit itself)."""
    return value <= limit + REL_TOL * abs(limit if size is None else size)


@dataclass(frozen=True)
class Assignment:
    """One pair of a pairing: `share` is the amount of the recipient's need the donor covers."""

    donor: str
    recipient: str
    share: float


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    donor: str | None = None
    recipient: str | None = None
    amount: float | None = None


@dataclass
class DonorLoad:
    donor: str
    recipients: int
    load: float
    capacity: float
    available: float  # capacity less the reserve

    @property
    def utilisation(self) -> float:
        if self.available > 0:
            return self.load / self.available
        return 0.0 if self.load <= 0 else math.inf


@dataclass
class Coverage:
    recipient: str
    donors: int
    covered: float
    need: float


@dataclass
class Evaluation:
    violations: list[Violation]
    donors: list[DonorLoad]
    recipients: list[Coverage]
    values: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def value(self, objective: Objective) -> float:
        key = objective.column if isinstance(objective, ColumnObjective) else objective
        return self.values.get(key, math.nan)


class _Violations:
    """The broken rules found so far, in the order the checks run (the order reported)."""

    def __init__(self) -> None:
        self.found: list[Violation] = []

    def __call__(
        self,
        rule: str,
        message: str,
        donor: str | None = None,
        recipient: str | None = None,
        amount: float | None = None,
    ) -> None:
        self.found.append(Violation(rule, message, donor, recipient, amount))

    def pair(self, rule: str, message: str, a: Assignment, amount: float | None = None) -> None:
        """A rule broken by one pair of the pairing."""
        self(rule, message, a.donor, a.recipient, amount)


def evaluate(scenario: Scenario, pairing: list[Assignment]) -> Evaluation:
    """Check every rule and compute every objective for a pairing given by ids."""
    broken = _Violations()
    seen, by_donor, by_recipient = _sort_pairs(scenario, pairing, broken)
    for p in scenario.rules.fixed:
        if (p.donor, p.recipient) not in seen:
            broken(
                "fixed",
                f"the fixed pair {p.donor} -> {p.recipient} is missing.",
                p.donor,
                p.recipient,
            )
    coverage = _coverage(scenario, by_recipient, broken)
    loads = _loads(scenario, by_donor, broken)
    return Evaluation(broken.found, loads, coverage, _values(scenario, pairing, loads))


Grouped = dict[str, list[Assignment]]


def _sort_pairs(
    scenario: Scenario, pairing: list[Assignment], broken: _Violations
) -> tuple[set[tuple[str, str]], Grouped, Grouped]:
    """The pairs given, each checked alone, grouped by donor and by recipient for the rules
    on sums; a pair given twice is reported and counted once."""
    rules = scenario.rules
    excluded = set(rules.exclude_donors)
    forbidden = {(p.donor, p.recipient) for p in rules.forbidden}
    seen: set[tuple[str, str]] = set()
    by_donor: Grouped = defaultdict(list)
    by_recipient: Grouped = defaultdict(list)
    for a in pairing:
        key = (a.donor, a.recipient)
        if key in seen:
            broken.pair("duplicate", f"the pair {a.donor} -> {a.recipient} appears twice.", a)
            continue
        seen.add(key)
        by_donor[a.donor].append(a)
        by_recipient[a.recipient].append(a)
        _check_pair(scenario, a, a.donor in excluded, key in forbidden, broken)
    return seen, by_donor, by_recipient


def _check_pair(
    scenario: Scenario, a: Assignment, excluded: bool, forbidden: bool, broken: _Violations
) -> None:
    """The rules one pair breaks on its own, whatever the rest of the pairing."""
    d, r = scenario.pair_index(a.donor, a.recipient)
    if not math.isfinite(a.share) or a.share < -REL_TOL * float(scenario.need[r]):
        broken.pair(
            "share",
            f"{a.donor} -> {a.recipient} has share {a.share:g}; shares must be >= 0.",
            a,
            a.share,
        )
    if scenario.pairs is not None and (d, r) not in scenario.pair_lookup:
        broken.pair(
            "pairs", f"{a.donor} -> {a.recipient} is not a candidate pair in the pair table.", a
        )
    if excluded:
        broken.pair("exclude_donors", f"{a.donor} is excluded but paired with {a.recipient}.", a)
    if forbidden:
        broken.pair("forbidden", f"{a.donor} -> {a.recipient} is a forbidden pair.", a)
    limit = scenario.rules.max_distance_km
    if limit is None:
        return
    km = scenario.distance_km(d, r)
    if math.isnan(km):
        broken.pair("max_distance_km", f"{a.donor} -> {a.recipient} has no known distance.", a)
    elif not _close_enough(km, limit):
        broken.pair(
            "max_distance_km",
            f"{a.donor} -> {a.recipient} is {km:.1f} km apart, "
            f"{km - limit:.1f} km over the limit of {limit:g} km.",
            a,
            km - limit,
        )


def _coverage(scenario: Scenario, by_recipient: Grouped, broken: _Violations) -> list[Coverage]:
    """Each recipient's coverage, with the rules on its need, donor count and shares."""
    rules = scenario.rules
    dpr = rules.donors_per_recipient
    coverage: list[Coverage] = []
    for r, name in enumerate(scenario.recipients):
        pairs = by_recipient.get(name, [])
        need = float(scenario.need[r])
        covered = sum(a.share for a in pairs)
        coverage.append(Coverage(name, len(pairs), covered, need))
        if abs(covered - need) > REL_TOL * need:
            broken(
                "coverage",
                f"{name} needs {need:g} and its donors cover {covered:g} ({covered - need:+g}).",
                recipient=name,
                amount=covered - need,
            )
        count_ok = len(pairs) >= dpr.min and (dpr.max is None or len(pairs) <= dpr.max)
        if not count_ok:
            broken(
                "donors_per_recipient",
                f"{name} has {len(pairs)} donor(s); the rule allows {_range(dpr.min, dpr.max)}.",
                recipient=name,
                amount=float(len(pairs)),
            )
        if rules.min_share > 0 and need > 0:
            for a in pairs:
                if a.share < rules.min_share * need - REL_TOL * need:
                    broken.pair(
                        "min_share",
                        f"{a.donor} covers {a.share:g} of {name}'s need {need:g}, "
                        f"less than min_share {rules.min_share:g}.",
                        a,
                        a.share,
                    )
    return coverage


def _loads(scenario: Scenario, by_donor: Grouped, broken: _Violations) -> list[DonorLoad]:
    """Each donor's load, with the rules on its capacity and recipient count."""
    rules = scenario.rules
    rpd = rules.recipients_per_donor
    excluded = set(rules.exclude_donors)
    loads: list[DonorLoad] = []
    for d, name in enumerate(scenario.donors):
        pairs = by_donor.get(name, [])
        used = _load(scenario, d, pairs)
        capacity = float(scenario.capacity[d])
        available = capacity * (1.0 - rules.reserve)
        loads.append(DonorLoad(name, len(pairs), used, capacity, available))
        # Relative to the larger of the available capacity and the load of its pairs in
        # full: a donor of capacity 0 may carry noise, never a need.
        full = sum(scenario.load(d, scenario.recipient_index[a.recipient]) for a in pairs)
        if not _close_enough(used, available, max(available, full)):
            reserve = (
                f" (capacity {capacity:g} less reserve {rules.reserve:g})" if rules.reserve else ""
            )
            broken(
                "capacity",
                f"{name} carries a load of {used:g}, {used - available:g} over "
                f"its available {available:g}{reserve}.",
                donor=name,
                amount=used - available,
            )
        if name in excluded:
            continue
        if len(pairs) < rpd.min or (rpd.max is not None and len(pairs) > rpd.max):
            broken(
                "recipients_per_donor",
                f"{name} has {len(pairs)} recipient(s); the rule "
                f"allows {_range(rpd.min, rpd.max)}.",
                donor=name,
                amount=float(len(pairs)),
            )
    return loads


def _load(scenario: Scenario, d: int, pairs: list[Assignment]) -> float:
    """The capacity donor d spends on its pairs: each pair's load times the share of the
    recipient's need it covers."""
    used = 0.0
    for a in pairs:
        r = scenario.recipient_index[a.recipient]
        need = float(scenario.need[r])
        fraction = a.share / need if need > 0 else 0.0
        used += scenario.load(d, r) * fraction
    return used


def _range(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low}"
    return f"exactly {low}" if low == high else f"{low} to {high}"


def _values(
    scenario: Scenario, pairing: list[Assignment], loads: list[DonorLoad]
) -> dict[str, float]:
    """Every objective's value for this pairing (NaN where data are missing)."""
    distance = weighted = 0.0
    longest = 0.0
    for a in pairing:
        km = scenario.distance_km(*scenario.pair_index(a.donor, a.recipient))
        distance += km
        weighted += a.share * km
        longest = max(longest, km) if not math.isnan(km) else math.nan
    balance = max((x.utilisation for x in loads if x.load > 0 or x.available > 0), default=0.0)
    values = {
        "distance": distance,
        "weighted_distance": weighted,
        "max_distance": longest,
        "balance": balance,
    }
    if scenario.pairs is not None:
        for column in scenario.pairs.columns:
            if column in values or column in ("km",):
                continue
            values[column] = sum(
                scenario.pair_value(*scenario.pair_index(a.donor, a.recipient), column)
                for a in pairing
            )
    return values
