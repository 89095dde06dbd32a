"""How `solve` and `evaluate` report a pairing across need scenarios (uncertainty): one
row, JSON entry and sheet row per need scenario, and the lines of the summary."""

from __future__ import annotations

from typing import Any

from ..checks.robust import Robust
from ..scenario.scenario import Scenario
from ..scenario.spec import Shortfall, maximised, objective_name
from .common import (
    Column,
    amount_text,
    amounts,
    number,
    pairs_dict,
    share_columns,
    share_text,
    shortfall_dict,
    text,
)

SHORT_LISTED = 3  # recipients named in a table cell before "and N more"
HOW = {"full": "mean", "mean": "mean", "worst": "worst"}  # what the robust objective takes


def robust_objective(robust: Robust, scenario: Scenario) -> str:
    """'weighted_distance + shortfall (worst of 3 need scenarios)': what is optimised."""
    label = objective_name(robust.objective)
    if isinstance(scenario.rules.coverage, Shortfall):  # a price is added
        label += " - shortfall" if maximised(robust.objective) else " + shortfall"
    return f"{label} {robust_label(robust)}"


def robust_label(robust: Robust) -> str:
    """'(worst of 3 need scenarios)': what the objective's value is."""
    count = len(robust.outcomes)
    return f"({HOW[robust.mode]} of {count} need scenario{'s' if count != 1 else ''})"


def robust_dict(robust: Robust) -> dict[str, Any]:
    """The robust mode and objective, which need scenario is the worst, and whether every
    rule holds in every need scenario."""
    return {
        "mode": robust.mode,
        "objective": number(robust.value),
        "need_scenarios": len(robust.outcomes),
        "worst": robust.worst.name,
        "satisfies_rules": robust.ok,
    }


def need_scenarios_list(robust: Robust, *, violations: bool = False) -> list[dict[str, Any]]:
    """Each need scenario's objective (as `solve` scores it), its parts, the need left
    uncovered (per resource) and where, whether it keeps every rule (`violations` lists the
    broken ones), and the pairs with this need scenario's shares."""
    out = []
    for o in robust.outcomes:
        entry: dict[str, Any] = {
            "name": o.name,
            "objective": number(o.score(robust.objective)),
            "parts": {k: number(v) for k, v in o.evaluation.parts(robust.objective).items()},
            "shortfall": shortfall_dict(o.evaluation),
            "shortfall_cost": number(o.evaluation.shortfall_cost),
            "short_recipients": o.short_recipients,
            "satisfies_rules": o.evaluation.ok,
        }
        if violations:
            entry["violations"] = [
                {
                    "rule": v.rule,
                    "donor": v.donor,
                    "recipient": v.recipient,
                    "amount": number(v.amount),
                    "message": v.message,
                }
                for v in o.evaluation.violations
            ]
        entry["pairs"] = pairs_dict(o.scenario, o.pairing)
        out.append(entry)
    return out


def robust_columns(rules: bool) -> tuple[Column, ...]:
    """The need-scenario table's columns; `rules` adds the count of broken rules."""
    columns: tuple[Column, ...] = (
        ("Need scenario", False),
        ("Objective", True),
        ("Shortfall", True),
        ("Short recipients", False),
    )
    return (*columns, ("Rules broken", True)) if rules else columns


def robust_rows(robust: Robust, rules: bool) -> list[list[str]]:
    """One row per need scenario, the worst marked with '*' (in robust_columns' order)."""
    worst = robust.worst.name
    rows = []
    for o in robust.outcomes:
        short = o.short_recipients
        names = ", ".join(short[:SHORT_LISTED])
        if len(short) > SHORT_LISTED:
            names += f" and {len(short) - SHORT_LISTED} more"
        row = [
            o.name + (" *" if o.name == worst and len(robust.outcomes) > 1 else ""),
            text(o.score(robust.objective), 4),
            amount_text(o.evaluation.total_shortfall),
            names or "none",
        ]
        rows.append([*row, str(len(o.evaluation.violations))] if rules else row)
    return rows


def robust_title(robust: Robust) -> str:
    return f"Need scenarios (robust {robust.mode}; * the worst)"


def needs_line(robust: Robust) -> str:
    """The summary's one line: how many need scenarios, the range of their objectives and
    shortfall, and which need scenario's shares the pairing shows."""
    scores = robust.scores
    low, high = scores.index(min(scores)), scores.index(max(scores))
    short = [o for o in robust.outcomes if o.short_recipients]
    most = max(robust.outcomes, key=lambda o: o.evaluation.total_shortfall)
    uncovered = (
        f"need left uncovered in {len(short)} (most: {amount_text(most.evaluation.total_shortfall)}"
        f" in {most.name})"
        if short
        else "every need covered in all"
    )
    outcomes = robust.outcomes
    return (
        f"{len(scores)} need scenarios, robust {robust.mode}: objective from "
        f"{text(scores[low], 4)} ({outcomes[low].name}) to {text(scores[high], 4)} "
        f"({outcomes[high].name}); {uncovered}; shares shown: {outcomes[0].name}"
    )


def shares_sheet(robust: Robust) -> list[list[Any]]:
    """Every need scenario's shares, one row per (need scenario, pair), with the digits of
    a pairing CSV."""
    scenario = robust.outcomes[0].scenario
    rows: list[list[Any]] = [["need_scenario", "donor", "recipient", *share_columns(scenario)]]
    for o in robust.outcomes:
        for a in o.pairing:
            written = [share_text(x) for x in amounts(o.scenario, a)]
            rows.append([o.name, a.donor, a.recipient, *(float(w) if w else None for w in written)])
    return rows


def summary_sheet(robust: Robust, rules: bool) -> list[list[Any]]:
    """The need-scenario table as a sheet (numbers as numbers)."""
    header = ["need_scenario", "objective", "shortfall", "short_recipients"]
    rows: list[list[Any]] = [header + (["rules_broken"] if rules else [])]
    for o in robust.outcomes:
        row: list[Any] = [
            o.name,
            number(o.score(robust.objective)),
            number(o.evaluation.total_shortfall),
            ", ".join(o.short_recipients),
        ]
        rows.append([*row, len(o.evaluation.violations)] if rules else row)
    return rows
