"""Comparing two pairings: what `pairopt compare A.csv B.csv` reports.

Pairs only in A, pairs only in B, recipients whose donors changed, shares that differ, and,
with a scenario, how the objectives, the broken rules and the donor loads differ. Output is
deterministic: entries come in scenario order (recipient, then donor) when a scenario is
given, else alphabetically (recipient, then donor), and numbers are rounded to fixed
decimals.

This module does not solve anything. When a file leaves shares empty, the caller completes
the pairing (the engine fills in the shares) and passes it as `a_pairing` / `b_pairing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ..io.pairings import PairingRow
from ..scenario.scenario import Scenario
from ..scenario.spec import (
    Objective,
    OrderedObjective,
    in_data_units,
    maximised,
    objective_name,
    term_objective,
)
from .metrics import METRIC_NAMES, metrics
from .verify import REL_TOL, Assignment, Evaluation, evaluate

Pair = tuple[str, str]  # (donor, recipient)


@dataclass(frozen=True)
class PairEntry:
    """A pair present on one side only; `share` is None when not known."""

    donor: str
    recipient: str
    share: float | None


@dataclass(frozen=True)
class RecipientChange:
    """A recipient whose set of donors differs (donors in scenario or alphabetical order)."""

    recipient: str
    donors_a: tuple[str, ...]
    donors_b: tuple[str, ...]


ROUND_OFF = 1e-12  # relative: two sums of the same numbers in another order differ by less


def _change(a: float, b: float) -> float:
    """b - a, with 0 where the two differ by floating-point round-off alone (a spread of 1
    reached two ways differed by 2.2e-16, which reports now show in full)."""
    change = b - a
    return 0.0 if abs(change) <= ROUND_OFF * max(abs(a), abs(b)) else change


@dataclass(frozen=True)
class ShareDifference:
    """A pair on both sides whose share of one resource differs (`resource` names it when
    there are several)."""

    donor: str
    recipient: str
    share_a: float
    share_b: float
    resource: str = ""

    @property
    def difference(self) -> float:
        return _change(self.share_a, self.share_b)


@dataclass(frozen=True)
class ValueDifference:
    """An objective's value on each side (NaN where it cannot be computed)."""

    name: str
    a: float
    b: float

    @property
    def difference(self) -> float:
        return _change(self.a, self.b)


@dataclass(frozen=True)
class LoadDifference:
    """A donor whose load differs."""

    donor: str
    load_a: float
    load_b: float

    @property
    def difference(self) -> float:
        return _change(self.load_a, self.load_b)


@dataclass(frozen=True)
class Comparison:
    """Everything `compare` found. The scenario-dependent fields are None without a scenario."""

    names: tuple[str, str]
    only_in_a: tuple[PairEntry, ...]
    only_in_b: tuple[PairEntry, ...]
    changed_recipients: tuple[RecipientChange, ...]
    share_differences: tuple[ShareDifference, ...]
    scenario: str | None = None  # the scenario's name
    objective: ValueDifference | None = None  # under scenario.objective; name is its label
    values: tuple[ValueDifference, ...] | None = None  # every objective, as Evaluation.values
    violations: tuple[int, int] | None = None  # number of broken rules on each side
    load_differences: tuple[LoadDifference, ...] | None = None
    shortfall: tuple[ValueDifference, ...] | None = None  # need left uncovered, per resource
    metrics: tuple[ValueDifference, ...] | None = None  # checks/metrics.py, in METRIC_NAMES order
    # Pairs on both sides whose share (of some resource) only one side gives: not compared.
    unknown_shares: int = 0

    @property
    def same(self) -> bool:
        """The same pairs and no share differences."""
        return not (self.only_in_a or self.only_in_b or self.share_differences)


def _differs(a: float, b: float, scale: float = 0.0) -> bool:
    """More apart than rounding, relative to the two values and `scale` (the amount they
    are part of), never to a fixed unit: in a unit of millions, 2e-7 and 8e-7 differ."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return abs(b - a) > REL_TOL * max(abs(a), abs(b), abs(scale))


def _orders(
    scenario: Scenario | None,
) -> tuple[Callable[[str], tuple[int, str]], Callable[[str], tuple[int, str]]]:
    """Sort keys for donors and recipients: scenario order, else alphabetical.

    Ids the scenario does not know (read_pairing rejects them) sort after the known ones."""
    if scenario is None:
        return (lambda d: (0, d)), (lambda r: (0, r))
    d_index, r_index = scenario.donor_index, scenario.recipient_index

    def donor_key(d: str) -> tuple[int, str]:
        return (d_index.get(d, len(d_index)), d)

    def recipient_key(r: str) -> tuple[int, str]:
        return (r_index.get(r, len(r_index)), r)

    return donor_key, recipient_key


def _shares(rows: list[PairingRow], pairing: list[Assignment] | None, side: str) -> Shares:
    """Each pair's share of every resource: from the completed pairing when given, else
    from the file."""
    shares: Shares = {(r.donor, r.recipient): r.amounts for r in rows}
    if pairing is None:
        return shares
    completed: Shares = {(p.donor, p.recipient): p.amounts for p in pairing}
    if completed.keys() != shares.keys():
        extra = sorted(completed.keys() - shares.keys())
        missing = sorted(shares.keys() - completed.keys())
        raise ValueError(
            f"the completed pairing for {side} does not hold the same pairs as its rows "
            f"(extra: {extra}, missing: {missing})."
        )
    return dict(completed)


def _complete(
    rows: list[PairingRow], pairing: list[Assignment] | None, side: str
) -> list[Assignment]:
    """The pairing to evaluate: the completed one, or the rows when every share is given."""
    if pairing is not None:
        return pairing
    out: list[Assignment] = []
    for r in rows:
        if r.share is None:
            raise ValueError(
                f"{side} leaves shares empty; with a scenario, pass the completed pairing."
            )
        out.append(Assignment(r.donor, r.recipient, r.share))
    return out


def compare(
    a: list[PairingRow],
    b: list[PairingRow],
    scenario: Scenario | None = None,
    a_pairing: list[Assignment] | None = None,
    b_pairing: list[Assignment] | None = None,
    names: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare pairing B with pairing A.

    `a_pairing` / `b_pairing` are the same pairs as `a` / `b` with every share filled in;
    their shares take precedence over the files'. With a scenario they are evaluated
    (a side whose file gives every share may be passed without one). Raises ValueError
    when a completed pairing holds other pairs than its rows, or when a scenario is given
    and a side has empty shares and no completed pairing.
    """
    donor_key, recipient_key = _orders(scenario)

    def pair_key(pair: Pair) -> tuple[tuple[int, str], tuple[int, str]]:
        return (recipient_key(pair[1]), donor_key(pair[0]))

    resources: Sequence[str] = ()
    if scenario is not None:
        resources = scenario.resources
    else:  # the files' own share columns, matched by name, not by place
        a, b, resources = _by_column(a, b)
    shares_a = _shares(a, a_pairing, names[0])
    shares_b = _shares(b, b_pairing, names[1])
    comparison = Comparison(
        names=names,
        only_in_a=_only_in(shares_a, shares_b, pair_key),
        only_in_b=_only_in(shares_b, shares_a, pair_key),
        changed_recipients=_changed_recipients(shares_a, shares_b, donor_key, recipient_key),
        share_differences=_share_differences(shares_a, shares_b, pair_key, resources),
        unknown_shares=_unknown_shares(shares_a, shares_b),
    )
    if scenario is None:
        return comparison
    pairing_a = _complete(a, a_pairing, names[0])
    pairing_b = _complete(b, b_pairing, names[1])
    eval_a, eval_b = evaluate(scenario, pairing_a), evaluate(scenario, pairing_b)
    compared = _with_scenario(comparison, scenario, eval_a, eval_b)
    metrics_a = metrics(scenario, pairing_a, eval_a)
    metrics_b = metrics(scenario, pairing_b, eval_b)
    return replace(
        compared,
        metrics=tuple(
            ValueDifference(name, _float(metrics_a[name]), _float(metrics_b[name]))
            for name in METRIC_NAMES
        ),
    )


def _by_column(
    a: list[PairingRow], b: list[PairingRow]
) -> tuple[list[PairingRow], list[PairingRow], tuple[str, ...]]:
    """Without a scenario, the two files' share columns (io.pairings.PairingRows.columns)
    matched by name: each row's amounts laid out over the columns of either file, None
    where its file has no such column; and the resource each column names."""
    columns_a = tuple(getattr(a, "columns", ("share",)))
    columns_b = tuple(getattr(b, "columns", ("share",)))
    if columns_a == columns_b or (len(columns_a) == 1 and len(columns_b) == 1):
        # one share column each (share, or share_staff for a one-resource scenario): the
        # one resource either way
        return a, b, tuple(c.removeprefix("share_") for c in columns_a)
    union = tuple(sorted(set(columns_a) | set(columns_b)))

    def laid_out(rows: list[PairingRow], columns: tuple[str, ...]) -> list[PairingRow]:
        out = []
        for row in rows:
            given = dict(zip(columns, row.amounts, strict=False))
            amounts = tuple(given.get(c) for c in union)
            out.append(replace(row, share=amounts[0], shares=amounts if len(union) > 1 else ()))
        return out

    return (
        laid_out(a, columns_a),
        laid_out(b, columns_b),
        tuple(c.removeprefix("share_") for c in union),
    )


def _float(value: float | None) -> float:
    """A metric as a number (NaN where it has none: no incumbent, fewer than two pairs)."""
    return math.nan if value is None else float(value)


Shares = dict[Pair, tuple[float | None, ...]]  # a pair's share of each resource
PairKey = Callable[[Pair], tuple[tuple[int, str], tuple[int, str]]]


def _only_in(one: Shares, other: Shares, pair_key: PairKey) -> tuple[PairEntry, ...]:
    """The pairs of `one` that `other` lacks, in output order."""
    return tuple(
        PairEntry(d, r, one[(d, r)][0]) for d, r in sorted(one.keys() - other.keys(), key=pair_key)
    )


def _changed_recipients(
    shares_a: Shares,
    shares_b: Shares,
    donor_key: Callable[[str], tuple[int, str]],
    recipient_key: Callable[[str], tuple[int, str]],
) -> tuple[RecipientChange, ...]:
    """Recipients whose set of donors differs, whatever the shares: who serves whom."""
    donors_a = _donors_by_recipient(shares_a)
    donors_b = _donors_by_recipient(shares_b)
    return tuple(
        RecipientChange(
            r,
            tuple(sorted(donors_a.get(r, set()), key=donor_key)),
            tuple(sorted(donors_b.get(r, set()), key=donor_key)),
        )
        for r in sorted(donors_a.keys() | donors_b.keys(), key=recipient_key)
        if donors_a.get(r, set()) != donors_b.get(r, set())
    )


def _unknown_shares(shares_a: Shares, shares_b: Shares) -> int:
    """Pairs on both sides with a share of some resource given on one side and empty on
    the other: their shares cannot be compared (without a scenario to complete them)."""
    count = 0
    for pair in shares_a.keys() & shares_b.keys():
        known = zip(shares_a[pair], shares_b[pair], strict=False)
        count += any((x is None) != (y is None) for x, y in known)
    return count


def _share_differences(
    shares_a: Shares, shares_b: Shares, pair_key: PairKey, resources: Sequence[str] = ()
) -> tuple[ShareDifference, ...]:
    """Pairs on both sides whose known share of a resource differs by more than rounding,
    relative to what the recipient receives of it on either side (so the unit of need
    changes nothing)."""
    received: dict[tuple[str, int], float] = {}
    for side in (shares_a, shares_b):
        totals: dict[tuple[str, int], float] = {}
        for (_, recipient), amounts in side.items():
            for k, amount in enumerate(amounts):
                if amount is not None and math.isfinite(amount):
                    totals[recipient, k] = totals.get((recipient, k), 0.0) + abs(amount)
        for key, total in totals.items():
            received[key] = max(received.get(key, 0.0), total)
    several = max((len(v) for v in (*shares_a.values(), *shares_b.values())), default=1) > 1
    differences: list[ShareDifference] = []
    for pair in sorted(shares_a.keys() & shares_b.keys(), key=pair_key):
        for k, (share_a, share_b) in enumerate(
            zip(shares_a[pair], shares_b[pair], strict=False)  # files may differ in columns
        ):
            if share_a is None or share_b is None:
                continue
            if _differs(share_a, share_b, received.get((pair[1], k), 0.0)):
                name = _resource_name(resources, k) if several else ""
                differences.append(ShareDifference(pair[0], pair[1], share_a, share_b, name))
    return tuple(differences)


def _resource_name(resources: Sequence[str], k: int) -> str:
    """The scenario's name of resource k, else its position among the share columns."""
    return resources[k] if k < len(resources) and resources[k] else f"resource {k + 1}"


def _donors_by_recipient(pairs: Iterable[Pair]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for donor, recipient in pairs:
        out.setdefault(recipient, set()).add(donor)
    return out


def _with_scenario(
    comparison: Comparison, scenario: Scenario, eval_a: Evaluation, eval_b: Evaluation
) -> Comparison:
    """The comparison with what only a scenario can tell: objectives, broken rules, loads."""
    objective = ValueDifference(
        objective_name(scenario.objective),
        eval_a.score(scenario.objective),
        eval_b.score(scenario.objective),
    )
    keys = list(eval_a.values) + [k for k in eval_b.values if k not in eval_a.values]
    # A term that neither pairing has a value for (changes, without an incumbent) says nothing.
    keys = [
        k
        for k in keys
        if not (
            math.isnan(eval_a.values.get(k, math.nan))
            and math.isnan(eval_b.values.get(k, math.nan))
        )
    ]
    values = tuple(
        ValueDifference(k, eval_a.values.get(k, math.nan), eval_b.values.get(k, math.nan))
        for k in keys
    )
    loads_b = {(x.donor, x.resource): x.load for x in eval_b.donors}
    loads = tuple(
        LoadDifference(_load_name(x.donor, x.resource), x.load, loads_b[x.donor, x.resource])
        for x in eval_a.donors
        if _differs(x.load, loads_b[x.donor, x.resource], x.available)
    )
    shortfall = tuple(
        ValueDifference(name or "need", eval_a.shortfall[name], eval_b.shortfall[name])
        for name in scenario.resources
    )
    return replace(
        comparison,
        scenario=scenario.name,
        objective=objective,
        values=values,
        violations=(len(eval_a.violations), len(eval_b.violations)),
        load_differences=loads,
        shortfall=shortfall,
    )


def _load_name(donor: str, resource: str) -> str:
    return f"{donor} ({resource})" if resource else donor


@dataclass(frozen=True)
class Standing:
    """How a pairing ranks against a reference (the optimum) under one scenario. A pairing
    that leaves need uncovered where the scenario requires it covered, or breaks any other
    rule the reference keeps, ranks below the reference whatever its objective: such a plan
    is scored on less than the problem asks, so its objective is not comparable and no
    relative difference is given."""

    difference: float  # score(plan) - score(reference)
    relative: float | None  # difference / |reference score|, only when comparable
    uncovered: dict[str, float]  # extra need left uncovered vs the reference (full coverage)
    broken: int  # rules the plan breaks (the reference, a verified optimum, breaks none)
    # Under an order, each level's value(plan) - value(reference), in order; empty otherwise.
    levels: tuple[LevelDifference, ...] = ()
    tolerant: bool = False  # some level of the order has a tolerance

    @property
    def deciding(self) -> LevelDifference | None:
        """Under an order, the first level where the two differ beyond round-off: the one
        that ranks them (None when they are level at every level, or for any other
        objective)."""
        room = None  # the first level with a tolerance where the plan is worse, within it
        for level in self.levels:
            if level.differs:
                if not level.worse and room is not None:
                    # The optimum is proven best among the pairings within each level's room;
                    # a plan better at a later level is outside the room it uses more of.
                    return replace(room, differs=True)
                return level
            if room is None and level.uses_more:
                room = level
        return None

    @property
    def comparable(self) -> bool:
        """The plan keeps every rule (coverage included), so its score ranks it."""
        return not self.broken and not self.uncovered

    @property
    def extra_uncovered(self) -> float:
        return math.fsum(v for v in self.uncovered.values() if v > 0)

    def text(self, number: Callable[[float], str]) -> str:
        """One sentence: the shortfall difference first, then the objective."""
        diff = number(self.difference)
        if self.extra_uncovered > 0:
            amounts = ", ".join(
                f"{number(v)}{' ' + k if k else ''}" for k, v in self.uncovered.items() if v > 0
            )
            return (
                f"leaves {amounts} more need uncovered than the optimum, which covers it in "
                f"full as the scenario requires: it ranks below the optimum whatever its "
                f"objective ({diff}, measured on less need)"
            )
        if self.broken:
            return (
                f"breaks {self.broken} rule(s) the optimum keeps: it ranks below the optimum "
                f"whatever its objective ({diff})"
            )
        rel = f" ({self.relative:+.2%})" if self.relative is not None else ""
        return f"{diff}{rel} from it{self._by_level(number)}"

    def _by_level(self, number: Callable[[float], str]) -> str:
        """'; by level: shortfall 0, weighted_distance +12 (above the optimum at level 2,
        weighted_distance)': an order ranks at its first level that differs."""
        if not self.levels:
            return ""
        each = ", ".join(
            f"{level.term} {_signed(number, level.difference)}" for level in self.levels
        )
        deciding = self.deciding
        if deciding is None:
            ranked = "level with the optimum at every level" + (
                " (within the order's tolerances)" if self.tolerant else ""
            )
        else:
            where = "below" if deciding.worse else "above"
            ranked = f"ranks {where} the optimum at level {deciding.level}, {deciding.term}"
        return f"; by level: {each} ({ranked})"


@dataclass(frozen=True)
class LevelDifference:
    """One level of an order: the plan's value minus the reference's, in the term's own
    unit; `differs` when that is beyond round-off, `worse` when it is in the term's bad
    direction (up for a term minimised, down for one maximised)."""

    level: int  # from 1
    term: str
    difference: float
    differs: bool
    uses_more: bool = False  # worse than the reference beyond round-off (within a tolerance)

    @property
    def worse(self) -> bool:
        return self.differs and (self.difference < 0) == maximised(self.term)


def _signed(number: Callable[[float], str], value: float) -> str:
    """'+12', '-3' or '0'."""
    shown = number(value)
    return shown if value <= 0 or shown.startswith(("+", "-")) else f"+{shown}"


def near_zero(objective: Objective, value: float, other: float) -> bool:
    """`value` (an optimum) is 0 up to round-off beside `other`: no relative difference
    can be taken from it (divided by the round-off it read +100000002415.69%); a ratio or
    count (fairness) has no unit, so below REL_TOL it is round-off whatever `other` is."""
    unitless = not in_data_units(objective)
    return abs(value) <= REL_TOL * max(abs(value), abs(other)) or (
        unitless and abs(value) <= REL_TOL
    )


def round_off(objective: Objective, a: float, b: float) -> bool:
    """a and b differ by round-off alone: within REL_TOL of the larger, or, for a ratio or
    count (no unit), both within REL_TOL of each other absolutely (a fairness of 0 read back
    as 1e-9)."""
    gap = abs(b - a)
    return gap <= REL_TOL * max(abs(a), abs(b)) or (not in_data_units(objective) and gap <= REL_TOL)


def _levels(
    scenario: Scenario, plan: Evaluation, reference: Evaluation
) -> tuple[LevelDifference, ...]:
    """Each level of the scenario's order compared, in order (empty for another objective),
    each scored as solve scores a level (its term plus any shortfall price). At a level
    with a `tolerance`, values within tolerance x |reference| of the reference's (either
    way) are level: the solve let its optimum use that room, so the levels after rank, but
    a plan that uses more of it than the optimum does cannot rank above it (see deciding)."""
    objective = scenario.objective
    if not isinstance(objective, OrderedObjective):
        return ()
    found = []
    for i, level in enumerate(objective.order, start=1):
        term = term_objective(level.term)
        a, b = reference.score(term), plan.score(term)
        change = _change(a, b)
        apart = not round_off(term, a, b)
        differs = apart and abs(change) > level.tolerance * abs(a)
        worse = apart and (change < 0) == maximised(term)
        found.append(LevelDifference(i, level.term, change, differs, worse))
    return tuple(found)


def standing(scenario: Scenario, plan: Evaluation, reference: Evaluation) -> Standing:
    """Rank `plan` against `reference` (see Standing): shortfall first, then the score."""
    objective = scenario.objective
    value, best = plan.score(objective), reference.score(objective)
    priced = [not math.isnan(p) for p in scenario.penalties]
    uncovered = {
        name: plan.shortfall[name] - reference.shortfall[name]
        for k, name in enumerate(scenario.resources)
        if not priced[k]
        and plan.shortfall[name] - reference.shortfall[name]
        > REL_TOL * float(scenario.need_matrix[:, k].sum())  # relative: the unit is the user's
    }
    broken = len(plan.violations)
    zero = near_zero(objective, best, value)
    fair = not uncovered and not broken and not zero and math.isfinite(best)
    return Standing(
        difference=_change(best, value),
        relative=(value - best) / abs(best) if fair else None,
        uncovered=uncovered,
        broken=broken,
        levels=_levels(scenario, plan, reference),
        tolerant=isinstance(objective, OrderedObjective)
        and any(level.tolerance > 0 for level in objective.order),
    )
