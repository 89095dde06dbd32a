"""What `pairopt evaluate` prints: how a given pairing fares against a scenario's rules and
objective, and, when asked, against the optimum."""

from __future__ import annotations

import io
from typing import Any

from ..checks.verify import Evaluation
from ..engine.pipeline import SolveResult
from ..engine.shares import Completion
from ..scenario.scenario import Scenario
from ..scenario.spec import objective_name
from .common import (
    STATUS_TEXT,
    console,
    loads_dict,
    loads_table,
    md_escape,
    number,
    pairing_markdown,
    pairing_sheets,
    pairs_dict,
    pairs_table,
    text,
    workbook,
)

SHARES_COMPUTED = (
    "Shares: computed (the file leaves some empty): the split that breaks capacity "
    "and coverage least, then has the least weighted distance."
)


def evaluation_dict(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
    *,
    timings: bool = True,
) -> dict[str, Any]:
    """How a given pairing fares: broken rules, objective values, loads, and the optimum."""
    value = evaluation.value(scenario.objective)
    data: dict[str, Any] = {
        "scenario": scenario.name,
        "pairing": source,
        "satisfies_rules": evaluation.ok,
        "violations": [
            {
                "rule": v.rule,
                "donor": v.donor,
                "recipient": v.recipient,
                "amount": number(v.amount),
                "message": v.message,
            }
            for v in evaluation.violations
        ],
        "objective": {"name": objective_name(scenario.objective), "value": number(value)},
        "values": {k: number(v) for k, v in sorted(evaluation.values.items())},
        "shares_computed": completion.computed,
        "pairs": pairs_dict(scenario, completion.pairing),
        **loads_dict(evaluation),
    }
    if optimum is not None:
        data["optimum"] = _optimum_dict(value, optimum, timings=timings)
    return data


def _optimum_dict(value: float, optimum: SolveResult, *, timings: bool) -> dict[str, Any]:
    """The optimum and how far the given pairing's objective value is from it."""
    best = optimum.objective_value
    solver: dict[str, Any] = {"name": optimum.solver.name, "version": optimum.solver.version}
    if timings:
        solver["seconds"] = number(optimum.seconds, 3)
    return {
        "status": optimum.status.value,
        "proven_optimal": optimum.proven_optimal,
        "value": number(best),
        "bound": number(optimum.bound),
        "difference": number(value - best),
        "relative_difference": number((value - best) / abs(best) if best else None),
        "solver": solver,
    }


def _rules(evaluation: Evaluation) -> str:
    return "all satisfied" if evaluation.ok else f"{len(evaluation.violations)} broken"


def _objective(scenario: Scenario, value: float) -> str:
    return f"{objective_name(scenario.objective)} = {text(value, 4)}"


def _optimum(value: float, optimum: SolveResult) -> tuple[str, str]:
    """The optimum with its proof, and the difference from it (relative when it can be)."""
    best = optimum.objective_value
    proof = "proven optimal" if optimum.proven_optimal else STATUS_TEXT[optimum.status]
    rel = f" ({(value - best) / abs(best):+.2%})" if best else ""
    return f"{text(best, 4)} ({proof})", f"{text(value - best, 4)}{rel}"


def evaluation_table(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
    *,
    color: bool = False,
    width: int = 100,
) -> str:
    """The human view: pairs, donor loads, then the rules broken and the objective."""
    buffer = io.StringIO()
    out = console(buffer, color, width)
    out.print(pairs_table(scenario, completion.pairing, f"{source} against {scenario.name}"))
    out.print(loads_table(scenario, evaluation))
    value = evaluation.value(scenario.objective)
    lines = [SHARES_COMPUTED] if completion.computed else []
    lines.append(f"Rules:     {_rules(evaluation)}")
    lines += [f"  - [{v.rule}] {v.message}" for v in evaluation.violations]
    lines.append(f"Objective: {_objective(scenario, value)}")
    if optimum is not None:
        best, difference = _optimum(value, optimum)
        lines.append(f"Optimum:   {best}; this pairing is {difference} from it")
    for line in lines:
        out.print(line, markup=False)
    return buffer.getvalue()


def evaluation_markdown(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
) -> str:
    """A report to paste into a document: the verdict as a list, then the tables."""
    value = evaluation.value(scenario.objective)
    lines = [f"## {source} against {scenario.name}", "", f"- Rules: {_rules(evaluation)}"]
    lines += [f"  - `{v.rule}`: {md_escape(v.message)}" for v in evaluation.violations]
    lines.append(f"- Objective: {_objective(scenario, value)}")
    if optimum is not None:
        best, difference = _optimum(value, optimum)
        lines.append(f"- Optimum: {best}; difference {difference}")
    if completion.computed:
        lines.append("- Shares: computed by pairopt (the file leaves some empty)")
    lines += ["", *pairing_markdown(scenario, completion.pairing, evaluation), ""]
    return "\n".join(lines)


def evaluation_xlsx(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
) -> bytes:
    """The verdict on a Summary sheet, then the tables; no timings, as in a file to keep."""
    data = evaluation_dict(scenario, completion, evaluation, source, optimum, timings=False)
    summary: list[list[Any]] = [
        ["field", "value"],
        ["pairing", source],
        ["satisfies rules", data["satisfies_rules"]],
        ["objective", data["objective"]["name"]],
        ["value", data["objective"]["value"]],
    ]
    if optimum is not None:
        summary += [
            ["optimum", data["optimum"]["value"]],
            ["difference", data["optimum"]["difference"]],
        ]
    summary += [["broken rule", v["message"]] for v in data["violations"]]
    return workbook(pairing_sheets(scenario, completion.pairing, evaluation, summary))
