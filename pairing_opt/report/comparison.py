"""What `pairopt compare` prints: a comparison of two pairings as JSON-ready data, as text
(like diff), as markdown and as an xlsx workbook."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .common import DECIMALS, amount, amount_text, md_table, number, text, workbook

if TYPE_CHECKING:
    from ..checks.compare import Comparison, PairEntry, ValueDifference

Section = tuple[str, list[str], list[list[Any]]]  # title, header, rows


def _value_dict(v: ValueDifference) -> dict[str, Any]:
    return {"a": number(v.a), "b": number(v.b), "difference": number(v.difference)}


def _entries_dict(entries: tuple[PairEntry, ...]) -> list[dict[str, Any]]:
    return [{"donor": p.donor, "recipient": p.recipient, "share": amount(p.share)} for p in entries]


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
            "shares_not_compared": c.unknown_shares,
            "load_differences": None if c.load_differences is None else len(c.load_differences),
        },
        "only_in_a": _entries_dict(c.only_in_a),
        "only_in_b": _entries_dict(c.only_in_b),
        "changed_recipients": [
            {"recipient": x.recipient, "donors_a": list(x.donors_a), "donors_b": list(x.donors_b)}
            for x in c.changed_recipients
        ],
        "share_differences": [
            {
                "donor": s.donor,
                "recipient": s.recipient,
                **({"resource": s.resource} if s.resource else {}),
                "share_a": amount(s.share_a),
                "share_b": amount(s.share_b),
                "difference": amount(s.difference),
            }
            for s in c.share_differences
        ],
        **_scenario_dict(c),
    }


def _scenario_dict(c: Comparison) -> dict[str, Any]:
    """The keys that need a scenario: objectives, broken rules, donor loads."""
    return {
        "scenario": c.scenario,
        "objective": (
            None if c.objective is None else {"name": c.objective.name, **_value_dict(c.objective)}
        ),
        "values": None if c.values is None else {v.name: _value_dict(v) for v in c.values},
        "metrics": None if c.metrics is None else {v.name: _value_dict(v) for v in c.metrics},
        "uncovered": (
            None if c.shortfall is None else {v.name: _value_dict(v) for v in c.shortfall}
        ),
        "violations": (
            None if c.violations is None else {"a": c.violations[0], "b": c.violations[1]}
        ),
        "load_differences": (
            None
            if c.load_differences is None
            else [
                {
                    "donor": x.donor,
                    "load_a": amount(x.load_a),
                    "load_b": amount(x.load_b),
                    "difference": amount(x.difference),
                }
                for x in c.load_differences
            ]
        ),
    }


# --------------------------------------------------------------------------- text


def _num(value: float | None) -> str:
    return text(value) or "n/a"


def _amt(value: float) -> str:
    """Shares and loads, in the data's unit: their significant digits in any unit (in
    millionths, 'A=0.00003, B=0.00003, B-A=0' for shares that differ)."""
    return amount_text(value, DECIMALS, DECIMALS)


def _numbers(
    names: tuple[str, str],
    a: float,
    b: float,
    difference: float,
    show: Callable[[float], str] = _num,
) -> str:
    name_a, name_b = names
    change = show(difference)
    sign = "+" if difference > 0 and change != "0" else ""
    return f"{name_a}={show(a)}, {name_b}={show(b)}, {name_b}-{name_a}={sign}{change}"


def _donors(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def _entry(p: PairEntry) -> str:
    share = "" if p.share is None else f" (share {_amt(p.share)})"
    return f"  {p.donor} -> {p.recipient}{share}"


def comparison_to_text(c: Comparison) -> str:
    """Plain text for people: non-empty sections, then a one-line verdict."""
    lines = [] if c.scenario is None else [f"Scenario: {c.scenario}"]
    lines += _pair_lines(c)
    lines += _scenario_lines(c)
    lines.append(_verdict(c))
    return "\n".join(lines) + "\n"


def _pair_lines(c: Comparison) -> list[str]:
    """The pairs on one side only, the recipients whose donors changed, the shares that differ."""
    name_a, name_b = c.names
    lines: list[str] = []
    for title, entries in ((name_a, c.only_in_a), (name_b, c.only_in_b)):
        if entries:
            lines.append(f"Only in {title} ({len(entries)}):")
            lines.extend(_entry(p) for p in entries)
    if c.changed_recipients:
        lines.append(f"Changed recipients ({len(c.changed_recipients)}):")
        lines.extend(
            f"  {x.recipient}: {_donors(x.donors_a)} in {name_a}; {_donors(x.donors_b)} in {name_b}"
            for x in c.changed_recipients
        )
    if c.share_differences:
        lines.append(f"Share differences ({len(c.share_differences)}):")
        lines.extend(
            f"  {s.donor} -> {s.recipient}{f' ({s.resource})' if s.resource else ''}: "
            f"{_numbers(c.names, s.share_a, s.share_b, s.difference, _amt)}"
            for s in c.share_differences
        )
    return lines


def _scenario_lines(c: Comparison) -> list[str]:
    """Objectives, broken rules and donor loads; only present with a scenario."""
    lines: list[str] = []
    if c.objective is not None:
        o = c.objective
        lines.append(f"Objective ({o.name}): {_numbers(c.names, o.a, o.b, o.difference)}")
    if c.values is not None:
        lines.append("All objectives:")
        lines.extend(f"  {v.name}: {_numbers(c.names, v.a, v.b, v.difference)}" for v in c.values)
    if c.metrics is not None:
        lines.append("Metrics:")
        lines.extend(f"  {v.name}: {_numbers(c.names, v.a, v.b, v.difference)}" for v in c.metrics)
    if c.shortfall is not None and any(v.a > 0 or v.b > 0 for v in c.shortfall):
        lines.append("Uncovered need:")
        lines.extend(
            f"  {v.name}: {_numbers(c.names, v.a, v.b, v.difference)}" for v in c.shortfall
        )
    if c.violations is not None:
        (name_a, name_b), (broken_a, broken_b) = c.names, c.violations
        lines.append(f"Broken rules: {name_a}={broken_a}, {name_b}={broken_b}")
    if c.load_differences:
        lines.append(f"Load differences ({len(c.load_differences)}):")
        lines.extend(
            f"  {x.donor}: {_numbers(c.names, x.load_a, x.load_b, x.difference, _amt)}"
            for x in c.load_differences
        )
    return lines


def _counts(a: str, b: str, only_a: int, only_b: int, changed: int) -> str:
    """How two different pairings differ, in the words the text and markdown verdicts share."""
    return f"{only_a} pairs only in {a}, {only_b} only in {b}, {changed} recipients changed"


def _not_compared(count: int) -> str:
    """The verdict's caveat when shares given on one side only were not compared."""
    if not count:
        return ""
    return f" pairs; {count} shares not compared (given on one side only)"


def _verdict(c: Comparison) -> str:
    if c.same:
        return "same" + _not_compared(c.unknown_shares)
    counts = _counts(*c.names, len(c.only_in_a), len(c.only_in_b), len(c.changed_recipients))
    verdict = f"differ: {counts}"
    if c.share_differences:
        verdict += f", {len(c.share_differences)} shares differ"
    return verdict


# --------------------------------------------------------------------------- markdown, xlsx


def _sections(data: dict[str, Any]) -> list[Section]:
    """The comparison as (title, header, rows) tables, shared by markdown and xlsx; the
    scenario's objectives and loads only when it was compared under one."""
    a, b = data["names"]["a"], data["names"]["b"]
    sections: list[Section] = [
        (
            f"Only in {name}",
            ["donor", "recipient", "share"],
            [[p["donor"], p["recipient"], p["share"]] for p in data[key]],
        )
        for name, key in ((a, "only_in_a"), (b, "only_in_b"))
    ]
    sections.append(
        (
            "Changed recipients",
            ["recipient", f"donors in {a}", f"donors in {b}"],
            [
                [c["recipient"], ", ".join(c["donors_a"]), ", ".join(c["donors_b"])]
                for c in data["changed_recipients"]
            ],
        )
    )
    sections.append(
        (
            "Share differences",
            ["donor", "recipient", "resource", a, b, "difference"],
            [
                [
                    s["donor"],
                    s["recipient"],
                    s.get("resource", ""),
                    s["share_a"],
                    s["share_b"],
                    s["difference"],
                ]
                for s in data["share_differences"]
            ],
        )
    )
    return sections + _scenario_sections(data)


def _scenario_sections(data: dict[str, Any]) -> list[Section]:
    a, b = data["names"]["a"], data["names"]["b"]
    sections: list[Section] = []
    if data.get("values"):
        rows = [[k, v["a"], v["b"], v["difference"]] for k, v in data["values"].items()]
        sections.append(("Objectives", ["objective", a, b, "difference"], rows))
    if data.get("metrics"):
        rows = [[k, v["a"], v["b"], v["difference"]] for k, v in data["metrics"].items()]
        sections.append(("Metrics", ["metric", a, b, "difference"], rows))
    if data.get("load_differences"):
        rows = [
            [d["donor"], d["load_a"], d["load_b"], d["difference"]]
            for d in data["load_differences"]
        ]
        sections.append(("Load differences", ["donor", a, b, "difference"], rows))
    return sections


def comparison_markdown(data: dict[str, Any]) -> str:
    """From comparison_to_dict: the verdict as a list, then each non-empty table."""
    a, b = data["names"]["a"], data["names"]["b"]
    counts = data["counts"]
    verdict = (
        "the same" + _not_compared(counts.get("shares_not_compared", 0))
        if data["same"]
        else "different: "
        + _counts(a, b, counts["only_in_a"], counts["only_in_b"], counts["changed_recipients"])
    )
    lines = [f"## {a} vs {b}", "", f"- Pairings are {verdict}"]
    if data.get("objective"):
        o = data["objective"]
        lines.append(
            f"- Objective ({o['name']}): {a} = {o['a']}, {b} = {o['b']}, "
            f"difference {o['difference']}"
        )
    if data.get("violations"):
        lines.append(
            f"- Broken rules: {a} = {data['violations']['a']}, {b} = {data['violations']['b']}"
        )
    for title, header, rows in _sections(data):
        if rows:
            # numbers are right-aligned; the first row tells which columns hold numbers
            numeric = [isinstance(v, (int, float)) for v in rows[0]]
            columns = list(zip(header, numeric, strict=True))
            cells = [["" if v is None else str(v) for v in r] for r in rows]
            lines += ["", f"### {title}", "", *md_table(columns, cells)]
    return "\n".join(lines) + "\n"


def comparison_xlsx(data: dict[str, Any]) -> bytes:
    """From comparison_to_dict: a Summary sheet, then a sheet per table."""
    summary: list[list[Any]] = [
        ["field", "value"],
        ["A", data["names"]["a"]],
        ["B", data["names"]["b"]],
        ["same", data["same"]],
    ]
    summary += [[f"count: {k}", v] for k, v in data["counts"].items()]
    if data.get("objective"):
        summary += [[f"objective {k}", v] for k, v in data["objective"].items()]
    sheets = {"Summary": summary}
    for title, header, rows in _sections(data):
        # sheet names are limited to 31 characters and may not hold a slash
        sheets[title[:31].replace("/", "_")] = [header, *rows]
    return workbook(sheets)
