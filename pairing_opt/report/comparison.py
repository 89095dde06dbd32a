"""A comparison of two pairings as JSON-ready data and as text (like diff)."""

from __future__ import annotations

from typing import Any

from ..checks.compare import Comparison, PairEntry, ValueDifference
from .formats import number, text


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
