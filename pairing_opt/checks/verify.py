"""Independent verification of a pairing against the scenario.

Written from the scenario's tables and rules, never from model arrays or solver
variables, so that a modelling or solver mistake shows up as a broken rule instead of
as output. Also scores any pairing (all objectives), which `evaluate` builds on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..scenario import measures
from ..scenario.scenario import Scenario
from ..scenario.spec import (
    NAMED_OBJECTIVES,
    ColumnObjective,
    Objective,
    OrderedObjective,
    Range,
    WeightedObjective,
    maximised,
    objective_terms,
    term_objective,
)

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
    """One pair of a pairing: `share` is the amount of the recipient's need the donor covers.
    With several resources `shares` holds one amount per resource (in the scenario's
    resource order) and `share` is the first of them."""

    donor: str
    recipient: str
    share: float
    shares: tuple[float, ...] = ()

    @property
    def amounts(self) -> tuple[float, ...]:
        """The share of each resource."""
        return self.shares or (self.share,)


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
    resource: str = ""  # with several resources, one entry per donor and resource

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
    resource: str = ""  # with several resources, one entry per recipient and resource

    @property
    def shortfall(self) -> float:
        """Need left uncovered (0 when covered in full or more)."""
        return max(0.0, self.need - self.covered)

    @property
    def uncovered(self) -> float:
        """The shortfall beyond the verifier's tolerance, else 0: shares summing to the need
        up to round-off (1e-14 of it) leave nothing uncovered, in every total and metric."""
        short = self.shortfall
        return short if short > REL_TOL * self.need else 0.0


@dataclass
class Evaluation:
    violations: list[Violation]
    donors: list[DonorLoad]
    recipients: list[Coverage]
    values: dict[str, float] = field(default_factory=dict)
    # Per resource ('' for the one unnamed resource): need left uncovered, and its price
    # under rules.coverage (0 where need must be covered in full).
    shortfall: dict[str, float] = field(default_factory=dict)
    shortfall_cost: float = 0.0
    # Each term's unit in a weighted sum (measures.term_normaliser), by term key.
    units: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total_shortfall(self) -> float:
        """All need left uncovered, summed over resources (in their own units)."""
        return math.fsum(self.shortfall.values())

    def value(self, objective: Objective) -> float:
        """The objective's own value (distance, cost, ...), without any shortfall price: a
        weighted sum's total of weighted, normalised terms; an order's first level."""
        if isinstance(objective, WeightedObjective):
            return math.fsum(self.contributions(objective).values())
        if isinstance(objective, OrderedObjective):
            return self.value(term_objective(objective.order[0].term))
        return self.values.get(_value_key(objective), math.nan)

    def contributions(self, objective: WeightedObjective) -> dict[str, float]:
        """What each term of a weighted sum adds: weight / unit x value, negated for a term
        that is better larger."""
        out = {}
        for term, weighting in objective.terms.items():
            one = term_objective(term)
            unit = weighting.scale or self.units.get(term, 1.0)
            sign = -1.0 if maximised(one) else 1.0
            out[term] = sign * weighting.weight / unit * self.values.get(_value_key(one), math.nan)
        return out

    def score(self, objective: Objective) -> float:
        """What solve optimises: the objective plus the price of uncovered need (minus it,
        for an objective that is maximised). An order scores by its first level."""
        if isinstance(objective, OrderedObjective):
            return self.score(term_objective(objective.order[0].term))
        cost = self.shortfall_cost
        return self.value(objective) + (-cost if maximised(objective) else cost)

    def parts(self, objective: Objective) -> dict[str, float]:
        """The score split into its parts: the objective's own value and the shortfall
        price; a weighted sum's parts are its terms' contributions (the price is added to
        its shortfall part); an order's, each level's value."""
        if isinstance(objective, WeightedObjective):
            parts = self.contributions(objective)
            parts["shortfall"] = parts.get("shortfall", 0.0) + self.shortfall_cost
            return parts
        if isinstance(objective, OrderedObjective):
            parts = {
                level.term: self.value(term_objective(level.term)) for level in objective.order
            }
            parts.setdefault("shortfall", self.shortfall_cost)
            return parts
        key = _value_key(objective)
        if key == "shortfall":  # the shortfall term and its price are one part
            return {key: self.value(objective) + self.shortfall_cost}
        return {key: self.value(objective), "shortfall": self.shortfall_cost}


def _value_key(objective: Objective) -> str:
    """The key of a one-term objective in Evaluation.values (a column objective: its column)."""
    if isinstance(objective, ColumnObjective):
        return objective.column
    return str(objective)


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
    shortfall = {name: 0.0 for name in scenario.resources}
    for c in coverage:
        shortfall[c.resource] += c.uncovered
    prices = scenario.penalties
    cost = math.fsum(
        float(prices[k]) * shortfall[name]
        for k, name in enumerate(scenario.resources)
        if not math.isnan(prices[k])
    )
    values = _values(scenario, pairing, loads, coverage)
    budget = scenario.rules.max_changes
    if budget is not None and values["changes"] > budget:
        broken(
            "max_changes",
            f"the pairing makes {int(values['changes'])} changes to the incumbent pairing, "
            f"more than rules.max_changes ({budget}).",
        )
    return Evaluation(broken.found, loads, coverage, values, shortfall, cost, _units(scenario))


def _units(scenario: Scenario) -> dict[str, float]:
    """Every term's unit: the named ones and the pair table's columns, both senses."""
    terms = list(NAMED_OBJECTIVES)
    if scenario.pairs is not None:
        terms += [f"{s}:{c}" for c in scenario.pairs.columns for s in ("minimize", "maximize")]
    return {term: measures.term_normaliser(scenario, term) for term in terms}


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
    for k, share in enumerate(a.amounts):
        need = float(scenario.need_matrix[r, k]) if k < len(scenario.resources) else 0.0
        if not math.isfinite(share) or share < -REL_TOL * need:
            broken.pair(
                "share",
                f"{a.donor} -> {a.recipient} has share{_of(scenario, k)} {share:g}; "
                "shares must be >= 0.",
                a,
                share,
            )
    if len(a.amounts) != len(scenario.resources):
        broken.pair(
            "share",
            f"{a.donor} -> {a.recipient} gives {len(a.amounts)} share(s) and the scenario has "
            f"{len(scenario.resources)} resource(s).",
            a,
        )
    if scenario.pairs is not None and (d, r) not in scenario.pair_lookup:
        broken.pair(
            "pairs", f"{a.donor} -> {a.recipient} is not a candidate pair in the pair table.", a
        )
    if excluded:
        broken.pair("exclude_donors", f"{a.donor} is excluded but paired with {a.recipient}.", a)
    if forbidden:
        broken.pair("forbidden", f"{a.donor} -> {a.recipient} is a forbidden pair.", a)
    limit = float(scenario.distance_limits[d])
    if math.isinf(limit):
        return
    km = scenario.distance_km(d, r)
    own = "" if limit == scenario.rules.max_distance_km else f" ({a.donor}'s own limit)"
    if math.isnan(km):
        broken.pair("max_distance_km", f"{a.donor} -> {a.recipient} has no known distance.", a)
    elif not _close_enough(km, limit):
        broken.pair(
            "max_distance_km",
            f"{a.donor} -> {a.recipient} is {km:.1f} km apart, "
            f"{km - limit:.1f} km over the limit of {limit:g} km{own}.",
            a,
            km - limit,
        )


def _of(scenario: Scenario, k: int) -> str:
    """' of staff' for a named resource, '' for the one unnamed resource."""
    return f" of {scenario.resources[k]}" if scenario.multi_resource else ""


def _coverage(scenario: Scenario, by_recipient: Grouped, broken: _Violations) -> list[Coverage]:
    """Each recipient's coverage of each resource, with the rules on its need, donor count
    and shares."""
    rules = scenario.rules
    low, high = scenario.donor_count_range
    priced = ~np.isnan(scenario.penalties)
    coverage: list[Coverage] = []
    for r, name in enumerate(scenario.recipients):
        pairs = by_recipient.get(name, [])
        for k, resource in enumerate(scenario.resources):
            need = float(scenario.need_matrix[r, k])
            covered = math.fsum(_amount(a, k) for a in pairs)
            coverage.append(Coverage(name, len(pairs), covered, need, resource))
            short = need - covered > REL_TOL * need
            over = covered - need > REL_TOL * max(need, abs(covered))
            if over or (short and not priced[k]):
                broken(
                    "coverage",
                    f"{name} needs {need:g}{_of(scenario, k)} and its donors cover "
                    f"{covered:g} ({covered - need:+g}).",
                    recipient=name,
                    amount=covered - need,
                )
            if rules.min_share > 0 and need > 0:
                for a in pairs:
                    if _amount(a, k) < rules.min_share * need - REL_TOL * need:
                        broken.pair(
                            "min_share",
                            f"{a.donor} covers {_amount(a, k):g}{_of(scenario, k)} of {name}'s "
                            f"need {need:g}, less than min_share {rules.min_share:g}.",
                            a,
                            _amount(a, k),
                        )
        if not low[r] <= len(pairs) <= high[r]:
            own = (
                f" ({name}'s own rule)"
                if (low[r], high[r]) != _rule_range(rules.donors_per_recipient)
                else ""
            )
            broken(
                "donors_per_recipient",
                f"{name} has {len(pairs)} donor(s); the rule allows "
                f"{_range(low[r], high[r])}{own}.",
                recipient=name,
                amount=float(len(pairs)),
            )
    return coverage


def _amount(a: Assignment, k: int) -> float:
    amounts = a.amounts
    return amounts[k] if k < len(amounts) else 0.0


def _rule_range(rule: Range) -> tuple[float, float]:
    return float(rule.min), math.inf if rule.max is None else float(rule.max)


def _loads(scenario: Scenario, by_donor: Grouped, broken: _Violations) -> list[DonorLoad]:
    """Each donor's load of each resource, with the rules on its capacity, minimum
    commitment and recipient count."""
    rules = scenario.rules
    low, high = scenario.recipient_count_range
    excluded = set(rules.exclude_donors)
    loads: list[DonorLoad] = []
    for d, name in enumerate(scenario.donors):
        pairs = by_donor.get(name, [])
        for k in range(len(scenario.resources)):
            loads.append(_donor_load(scenario, d, k, pairs, name in excluded, broken))
        if name in excluded:
            continue
        if not low[d] <= len(pairs) <= high[d]:
            own = (
                f" ({name}'s own rule)"
                if (low[d], high[d]) != _rule_range(rules.recipients_per_donor)
                else ""
            )
            broken(
                "recipients_per_donor",
                f"{name} has {len(pairs)} recipient(s); the rule "
                f"allows {_range(low[d], high[d])}{own}.",
                donor=name,
                amount=float(len(pairs)),
            )
    return loads


def _donor_load(
    scenario: Scenario,
    d: int,
    k: int,
    pairs: list[Assignment],
    excluded: bool,
    broken: _Violations,
) -> DonorLoad:
    """Donor d's load of resource k, checked against its capacity and its minimum."""
    name = scenario.donors[d]
    used = _load(scenario, d, k, pairs)
    capacity = float(scenario.capacity_matrix[d, k])
    reserve = float(scenario.reserves[d])
    available = float(scenario.available_matrix[d, k])
    # Relative to the larger of the available capacity and the load of its pairs in
    # full: a donor of capacity 0 may carry noise, never a need.
    full = math.fsum(scenario.load(d, scenario.recipient_index[a.recipient], k) for a in pairs)
    of = _of(scenario, k)
    if not _close_enough(used, available, max(available, full)):
        kept = f" (capacity {capacity:g} less reserve {reserve:g})" if reserve else ""
        forced = scenario.rules.min_share * full
        if scenario.rules.min_share > 0 and not _close_enough(
            forced, available, max(available, full)
        ):
            # The shares it was given cannot be lowered below min_share: that rule, not
            # the split, is what puts it over.
            broken(
                "min_share",
                f"min_share {scenario.rules.min_share:g} makes {name} carry at least "
                f"{forced:g}{of} for its {len(pairs)} recipient(s), over its available "
                f"{available:g}{kept}.",
                donor=name,
                amount=forced - available,
            )
        else:
            broken(
                "capacity",
                f"{name} carries a load of {used:g}{of}, {used - available:g} over "
                f"its available {available:g}{kept}.",
                donor=name,
                amount=used - available,
            )
    least = float(scenario.min_load_matrix[d, k])
    if least > 0 and not excluded and used < least - REL_TOL * least:
        broken(
            "min_load",
            f"{name} carries {used:g}{of}, less than its minimum commitment {least:g}.",
            donor=name,
            amount=used - least,
        )
    return DonorLoad(name, len(pairs), used, capacity, available, scenario.resources[k])


def _load(scenario: Scenario, d: int, k: int, pairs: list[Assignment]) -> float:
    """The capacity of resource k donor d spends on its pairs: each pair's load times the
    share of the recipient's need it covers."""
    used = 0.0
    for a in pairs:
        r = scenario.recipient_index[a.recipient]
        need = float(scenario.need_matrix[r, k])
        fraction = _amount(a, k) / need if need > 0 else 0.0
        used += scenario.load(d, r, k) * fraction
    return used


def _range(low: float, high: float | None) -> str:
    low_n = int(low)
    if high is None or math.isinf(high):
        return f"at least {low_n}"
    return f"exactly {low_n}" if low == high else f"{low_n} to {int(high)}"


def _values(
    scenario: Scenario,
    pairing: list[Assignment],
    loads: list[DonorLoad],
    coverage: list[Coverage],
) -> dict[str, float]:
    """Every objective term's value for this pairing (NaN where data are missing)."""
    distance = weighted = 0.0
    longest = 0.0
    weights = scenario.weights
    for a in pairing:
        km = scenario.distance_km(*scenario.pair_index(a.donor, a.recipient))
        distance += km
        weighted += km * math.fsum(
            float(weights[k]) * _amount(a, k) for k in range(len(scenario.resources))
        )
        longest = max(longest, km) if not math.isnan(km) else math.nan
    balance = max((x.utilisation for x in loads if x.load > 0 or x.available > 0), default=0.0)
    values = {
        "distance": distance,
        "weighted_distance": weighted,
        "max_distance": longest,
        "balance": balance,
        **_need_terms(scenario, coverage),
        "changes": _changes(scenario, pairing),
        "fairness": _spread(scenario, loads),
        "assortative": _assortative(scenario, pairing),
    }
    if scenario.pairs is not None:
        for column in scenario.pairs.columns:
            # The km column is the distance's source; it is a value of its own only when
            # the objective sums it as a column (minimize: km).
            if column in values or (column == "km" and not _sums_column(scenario, column)):
                continue
            values[column] = sum(
                scenario.pair_value(*scenario.pair_index(a.donor, a.recipient), column)
                for a in pairing
            )
    return values


def _sums_column(scenario: Scenario, column: str) -> bool:
    """Whether a term of the scenario's objective is the pair-table column `column`."""
    return any(term.partition(":")[2] == column for term in objective_terms(scenario.objective))


def _need_terms(scenario: Scenario, coverage: list[Coverage]) -> dict[str, float]:
    """shortfall: need left uncovered, summed over resources with their weights;
    max_shortfall: the largest uncovered fraction of one recipient's need of one resource."""
    weight = dict(zip(scenario.resources, scenario.weights, strict=True))
    total = math.fsum(float(weight[c.resource]) * c.uncovered for c in coverage)
    worst = max((c.uncovered / c.need for c in coverage if c.need > 0), default=0.0)
    return {"shortfall": total, "max_shortfall": min(1.0, worst)}


def _changes(scenario: Scenario, pairing: list[Assignment]) -> float:
    """Pairs dropped from plus added to the incumbent (NaN without one)."""
    if scenario.incumbent is None:
        return math.nan
    return float(len({(a.donor, a.recipient) for a in pairing} ^ set(scenario.incumbent)))


def taking_part_utilisations(scenario: Scenario, loads: list[DonorLoad]) -> list[list[float]]:
    """Per resource, the utilisations of the donors taking part (measures.fairness_donors,
    an unused one at 0): what the fairness term and the utilisation metrics compare."""
    taking_part = measures.fairness_donors(scenario)
    resource = {name: k for k, name in enumerate(scenario.resources)}
    per_resource: list[list[float]] = [[] for _ in scenario.resources]
    for x in loads:
        k = resource[x.resource]
        if taking_part[scenario.donor_index[x.donor], k]:
            per_resource[k].append(x.utilisation)
    return per_resource


def _spread(scenario: Scenario, loads: list[DonorLoad]) -> float:
    """The largest, over resources, max - min utilisation of the donors taking part: the
    fairness term."""
    spreads = [max(u) - min(u) for u in taking_part_utilisations(scenario, loads) if u]
    return max(spreads, default=0.0)


def _assortative(scenario: Scenario, pairing: list[Assignment]) -> float:
    """sum over pairs of q_d q_r / R x the weighted fraction of r's need that d covers
    (measures.assortative_weights): larger when stronger donors serve harder-hit places."""
    weights = measures.assortative_weights(scenario)
    fraction_weight = measures.need_fractions_weights(scenario)
    need = scenario.need_matrix
    total = []
    for a in pairing:
        d, r = scenario.pair_index(a.donor, a.recipient)
        covered = math.fsum(
            float(fraction_weight[r, k]) * min(1.0, _amount(a, k) / float(need[r, k]))
            for k in range(len(scenario.resources))
            if need[r, k] > 0
        )
        total.append(float(weights[d, r]) * covered)
    return math.fsum(total)
