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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .pairing_io import PairingRow
from .report import number, text
from .scenario import Scenario
from .spec import objective_name
from .verify import Assignment, Evaluation, evaluate

REL_TOL = 1e-6  # shares and loads closer than this (relative, at least absolute 1e-6) are equal

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


@dataclass(frozen=True)
class ShareDifference:
    """A pair on both sides whose share differs."""

    donor: str
    recipient: str
    share_a: float
    share_b: float

    @property
    def difference(self) -> float:
        return self.share_b - self.share_a


@dataclass(frozen=True)
class ValueDifference:
    """An objective's value on each side (NaN where it cannot be computed)."""

    name: str
    a: float
    b: float

    @property
    def difference(self) -> float:
        return self.b - self.a


@dataclass(frozen=True)
class LoadDifference:
    """A donor whose load differs."""

    donor: str
    load_a: float
    load_b: float

    @property
    def difference(self) -> float:
        return self.load_b - self.load_a


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

    @property
    def same(self) -> bool:
        """The same pairs and no share differences."""
        return not (self.only_in_a or self.only_in_b or self.share_differences)


def _differs(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return abs(b - a) > REL_TOL * max(1.0, abs(a), abs(b))


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


def _shares(
    rows: list[PairingRow], pairing: list[Assignment] | None, side: str
) -> dict[Pair, float | None]:
    """Each pair's share: from the completed pairing when given, else from the file."""
    shares: dict[Pair, float | None] = {(r.donor, r.recipient): r.share for r in rows}
    if pairing is None:
        return shares
    completed = {(p.donor, p.recipient): p.share for p in pairing}
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

    shares_a = _shares(a, a_pairing, names[0])
    shares_b = _shares(b, b_pairing, names[1])

    only_a = tuple(
        PairEntry(d, r, shares_a[(d, r)])
        for d, r in sorted(shares_a.keys() - shares_b.keys(), key=pair_key)
    )
    only_b = tuple(
        PairEntry(d, r, shares_b[(d, r)])
        for d, r in sorted(shares_b.keys() - shares_a.keys(), key=pair_key)
    )

    donors_a = _donors_by_recipient(shares_a)
    donors_b = _donors_by_recipient(shares_b)
    changed = tuple(
        RecipientChange(
            r,
            tuple(sorted(donors_a.get(r, set()), key=donor_key)),
            tuple(sorted(donors_b.get(r, set()), key=donor_key)),
        )
        for r in sorted(donors_a.keys() | donors_b.keys(), key=recipient_key)
        if donors_a.get(r, set()) != donors_b.get(r, set())
    )

    differences: list[ShareDifference] = []
    for pair in sorted(shares_a.keys() & shares_b.keys(), key=pair_key):
        share_a, share_b = shares_a[pair], shares_b[pair]
        if share_a is not None and share_b is not None and _differs(share_a, share_b):
            differences.append(ShareDifference(pair[0], pair[1], share_a, share_b))

    comparison = Comparison(
        names=names,
        only_in_a=only_a,
        only_in_b=only_b,
        changed_recipients=changed,
        share_differences=tuple(differences),
    )
    if scenario is None:
        return comparison
    eval_a = evaluate(scenario, _complete(a, a_pairing, names[0]))
    eval_b = evaluate(scenario, _complete(b, b_pairing, names[1]))
    return _with_scenario(comparison, scenario, eval_a, eval_b)


def _donors_by_recipient(pairs: Iterable[Pair]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for donor, recipient in pairs:
        out.setdefault(recipient, set()).add(donor)
    return out


def _with_scenario(
    comparison: Comparison, scenario: Scenario, eval_a: Evaluation, eval_b: Evaluation
) -> Comparison:
    objective = ValueDifference(
        objective_name(scenario.objective),
        eval_a.value(scenario.objective),
        eval_b.value(scenario.objective),
    )
    keys = list(eval_a.values) + [k for k in eval_b.values if k not in eval_a.values]
    values = tuple(
        ValueDifference(k, eval_a.values.get(k, math.nan), eval_b.values.get(k, math.nan))
        for k in keys
    )
    loads_b = {x.donor: x.load for x in eval_b.donors}
    loads = tuple(
        LoadDifference(x.donor, x.load, loads_b[x.donor])
        for x in eval_a.donors
        if _differs(x.load, loads_b[x.donor])
    )
    return Comparison(
        names=comparison.names,
        only_in_a=comparison.only_in_a,
        only_in_b=comparison.only_in_b,
        changed_recipients=comparison.changed_recipients,
        share_differences=comparison.share_differences,
        scenario=scenario.name,
        objective=objective,
        values=values,
        violations=(len(eval_a.violations), len(eval_b.violations)),
        load_differences=loads,
    )


# --------------------------------------------------------------------------- output


def _value_dict(v: ValueDifference) -> dict[str, Any]:
    return {"a": number(v.a), "b": number(v.b), "difference": number(v.difference)}


def comparison_to_dict(c: Comparison) -> dict[str, Any]:
    """JSON-ready, in a fixed key and row order. Scenario-dependent keys are None without
    a scenario."""
    return {
        "names": {"a": c.names[0], "b": c.names[1]},
        "same": c.same,
        "counts": {
            "only_in_a": len(c.only_in_a),
            "only_in_b": len(c.only_in_b),
            "changed_recipients": len(c.changed_recipients),
            "share_differences": len(c.share_differences),
            "load_differences": None if c.load_differences is None else len(c.load_differences),
        },
        "only_in_a": [
            {"donor": p.donor, "recipient": p.recipient, "share": number(p.share)}
            for p in c.only_in_a
        ],
        "only_in_b": [
            {"donor": p.donor, "recipient": p.recipient, "share": number(p.share)}
            for p in c.only_in_b
        ],
        "changed_recipients": [
            {"recipient": x.recipient, "donors_a": list(x.donors_a), "donors_b": list(x.donors_b)}
            for x in c.changed_recipients
        ],
        "share_differences": [
            {
                "donor": s.donor,
                "recipient": s.recipient,
                "share_a": number(s.share_a),
                "share_b": number(s.share_b),
                "difference": number(s.difference),
            }
            for s in c.share_differences
        ],
        "scenario": c.scenario,
        "objective": (
            None if c.objective is None else {"name": c.objective.name, **_value_dict(c.objective)}
        ),
        "values": None if c.values is None else {v.name: _value_dict(v) for v in c.values},
        "violations": (
            None if c.violations is None else {"a": c.violations[0], "b": c.violations[1]}
        ),
        "load_differences": (
            None
            if c.load_differences is None
            else [
                {
                    "donor": x.donor,
                    "load_a": number(x.load_a),
                    "load_b": number(x.load_b),
                    "difference": number(x.difference),
                }
                for x in c.load_differences
            ]
        ),
    }


def _num(value: float | None) -> str:
    return text(value) or "n/a"


def _signed(value: float) -> str:
    rounded = number(value)
    return "+" + _num(value) if rounded is not None and rounded > 0 else _num(value)


def comparison_to_text(c: Comparison) -> str:
    """Plain text for people: non-empty sections, then a one-line verdict."""
    name_a, name_b = c.names
    lines: list[str] = []

    def numbers(a: float, b: float, difference: float) -> str:
        return f"{name_a}={_num(a)}, {name_b}={_num(b)}, {name_b}-{name_a}={_signed(difference)}"

    def pair(p: PairEntry) -> str:
        share = "" if p.share is None else f" (share {_num(p.share)})"
        return f"  {p.donor} -> {p.recipient}{share}"

    def donors(names: tuple[str, ...]) -> str:
        return ", ".join(names) if names else "none"

    if c.scenario is not None:
        lines.append(f"Scenario: {c.scenario}")
    for title, entries in ((name_a, c.only_in_a), (name_b, c.only_in_b)):
        if entries:
            lines.append(f"Only in {title} ({len(entries)}):")
            lines.extend(pair(p) for p in entries)
    if c.changed_recipients:
        lines.append(f"Changed recipients ({len(c.changed_recipients)}):")
        lines.extend(
            f"  {x.recipient}: {donors(x.donors_a)} in {name_a}; {donors(x.donors_b)} in {name_b}"
            for x in c.changed_recipients
        )
    if c.share_differences:
        lines.append(f"Share differences ({len(c.share_differences)}):")
        lines.extend(
            f"  {s.donor} -> {s.recipient}: {numbers(s.share_a, s.share_b, s.difference)}"
            for s in c.share_differences
        )
    if c.objective is not None:
        o = c.objective
        lines.append(f"Objective ({o.name}): {numbers(o.a, o.b, o.difference)}")
    if c.values is not None:
        lines.append("All objectives:")
        lines.extend(f"  {v.name}: {numbers(v.a, v.b, v.difference)}" for v in c.values)
    if c.violations is not None:
        lines.append(f"Broken rules: {name_a}={c.violations[0]}, {name_b}={c.violations[1]}")
    if c.load_differences:
        lines.append(f"Load differences ({len(c.load_differences)}):")
        lines.extend(
            f"  {x.donor}: {numbers(x.load_a, x.load_b, x.difference)}" for x in c.load_differences
        )
    lines.append(_verdict(c))
    return "\n".join(lines) + "\n"


def _verdict(c: Comparison) -> str:
    if c.same:
        return "same"
    name_a, name_b = c.names
    verdict = (
        f"differ: {len(c.only_in_a)} pairs only in {name_a}, {len(c.only_in_b)} only in "
        f"{name_b}, {len(c.changed_recipients)} recipients changed"
    )
    if c.share_differences:
        verdict += f", {len(c.share_differences)} shares differ"
    return verdict
