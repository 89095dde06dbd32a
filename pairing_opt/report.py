"""Turning results into text: a rich table for people, CSV and JSON for scripts.

Output is deterministic: the same result gives the same bytes (numbers are rounded to
fixed decimals, rows come in scenario order, and timings can be left out).
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from .engine import SolveResult
from .scenario import Scenario
from .solver import Status
from .verify import Assignment

PAIRING_COLUMNS = ("donor", "recipient", "share", "distance_km")
DECIMALS = 6
KM_DECIMALS = 3

STATUS_TEXT = {
    Status.OPTIMAL: "optimal (proven by the solver)",
    Status.LIMIT_FEASIBLE: "stopped at the time limit: a pairing was found but NOT proven optimal",
    Status.LIMIT_NO_SOLUTION: "stopped at the time limit before any pairing was found",
    Status.INFEASIBLE: "infeasible",
}


def number(value: float | None, decimals: int = DECIMALS) -> float | None:
    """A JSON-safe rounded number (None for NaN/inf), with -0.0 made 0.0."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded


def text(value: float | None, decimals: int = DECIMALS) -> str:
    """A number as plain text without trailing zeros ('' when unknown)."""
    rounded = number(value, decimals)
    if rounded is None:
        return ""
    out = f"{rounded:.{decimals}f}"
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out if out not in ("", "-0") else "0"


def _km(scenario: Scenario, a: Assignment) -> float:
    return scenario.distance_km(
        scenario.donor_index[a.donor], scenario.recipient_index[a.recipient]
    )


def to_csv(result: SolveResult) -> str:
    """The pairing CSV: donor,recipient,share,distance_km (the format `evaluate` reads)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PAIRING_COLUMNS)
    for a in result.pairing:
        writer.writerow(
            [a.donor, a.recipient, text(a.share), text(_km(result.scenario, a), KM_DECIMALS)]
        )
    return buffer.getvalue()


def to_dict(result: SolveResult, *, timings: bool = True) -> dict[str, Any]:
    scenario = result.scenario
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    evaluation = result.evaluation
    solver: dict[str, Any] = {
        "name": result.solver.name,
        "version": result.solver.version,
        "time_limit": result.options.time_limit,
        "mip_gap": result.options.mip_gap,
        "tie_break": result.tie_break,
    }
    if timings:
        solver["seconds"] = number(result.seconds, 3)
    return {
        "scenario": scenario.name,
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "objective": {
            "name": result.objective_label,
            "value": number(result.objective_value),
            "bound": number(result.bound),
            "gap": number(result.gap, 10),
        },
        "solver": solver,
        "verified": evaluation.ok,
        "pairs": [
            {
                "donor": a.donor,
                "recipient": a.recipient,
                "share": number(a.share),
                "fraction_of_need": number(
                    a.share / scenario.need[r_index[a.recipient]]
                    if scenario.need[r_index[a.recipient]] > 0
                    else 0.0
                ),
                "distance_km": number(_km(scenario, a), KM_DECIMALS),
                "donor_label": scenario.donor_labels[d_index[a.donor]],
                "recipient_label": scenario.recipient_labels[r_index[a.recipient]],
            }
            for a in result.pairing
        ],
        "donors": [
            {
                "donor": x.donor,
                "recipients": x.recipients,
                "load": number(x.load),
                "capacity": number(x.capacity),
                "available": number(x.available),
                "utilisation": number(x.utilisation),
            }
            for x in evaluation.donors
        ],
        "recipients": [
            {
                "recipient": c.recipient,
                "donors": c.donors,
                "need": number(c.need),
                "covered": number(c.covered),
            }
            for c in evaluation.recipients
        ],
    }


def to_json(result: SolveResult, *, timings: bool = True) -> str:
    return json.dumps(to_dict(result, timings=timings), ensure_ascii=False, indent=2) + "\n"


def _name(ident: str, label: str) -> str:
    return ident if label == ident else f"{ident} {label}"


def summary_lines(result: SolveResult, *, timings: bool = True) -> list[str]:
    gap = "" if result.gap is None else f", gap {result.gap:.4%}"
    bound = "" if result.bound is None else f", bound {text(result.bound, 4)}"
    value = text(result.objective_value, 4) or "none"
    solver = f"{result.solver.name} {result.solver.version}"
    if timings:
        solver += f", {result.seconds:.2f} s"
    used = sum(1 for x in result.evaluation.donors if x.recipients > 0)
    return [
        f"Status:    {STATUS_TEXT[result.status]}",
        f"Objective: {result.objective_label} = {value}{bound}{gap}",
        f"Solver:    {solver}",
        f"Pairing:   {len(result.pairing)} pairs; {used} of {len(result.scenario.donors)} donors "
        f"used; {len(result.scenario.recipients)} recipients; verified against every rule",
    ]


def to_table(
    result: SolveResult, *, color: bool = False, width: int = 100, timings: bool = True
) -> str:
    """The human view: pairs, donor loads and a summary."""
    scenario = result.scenario
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    pairs = Table(title=f"{scenario.name}: pairing", box=box.SIMPLE_HEAD)
    for header, justify in (
        ("Recipient", "left"),
        ("Need", "right"),
        ("Donor", "left"),
        ("Share", "right"),
        ("% of need", "right"),
        ("km", "right"),
    ):
        pairs.add_column(header, justify=justify)  # type: ignore[arg-type]
    previous = None
    for a in result.pairing:
        r, d = r_index[a.recipient], d_index[a.donor]
        need = float(scenario.need[r])
        first = a.recipient != previous
        previous = a.recipient
        pairs.add_row(
            _name(a.recipient, scenario.recipient_labels[r]) if first else "",
            text(need, 2) if first else "",
            _name(a.donor, scenario.donor_labels[d]),
            text(a.share, 2),
            f"{a.share / need:.0%}" if need > 0 else "",
            text(_km(scenario, a), 0),
        )
    loads = Table(title="Donor load", box=box.SIMPLE_HEAD)
    for header, justify in (
        ("Donor", "left"),
        ("Recipients", "right"),
        ("Load", "right"),
        ("Available", "right"),
        ("Used", "right"),
    ):
        loads.add_column(header, justify=justify)  # type: ignore[arg-type]
    for x in result.evaluation.donors:
        if x.recipients == 0:
            continue
        loads.add_row(
            _name(x.donor, scenario.donor_labels[d_index[x.donor]]),
            str(x.recipients),
            text(x.load, 2),
            text(x.available, 2),
            f"{x.utilisation:.0%}" if math.isfinite(x.utilisation) else "inf",
        )
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="auto" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
    )
    console.print(pairs)
    console.print(loads)
    for line in summary_lines(result, timings=timings):
        console.print(line, markup=False)
    return buffer.getvalue()
