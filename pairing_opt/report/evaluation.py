"""What `pairopt evaluate` prints: how a given pairing fares against a scenario's rules and
objective, and, when asked, against the optimum."""

from __future__ import annotations

import io
from typing import Any

from ..checks.compare import Standing, standing
from ..checks.verify import Evaluation
from ..engine.pipeline import SolveResult
from ..engine.shares import Completion
from ..scenario.scenario import Scenario
from ..scenario.spec import objective_name
from .common import (
    STATUS_TEXT,
    console,
    levels_text,
    loads_dict,
    loads_table,
    md_escape,
    metrics_dict,
    metrics_text,
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
    value = evaluation.score(scenario.objective)
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
        "objective": {
            "name": objective_name(scenario.objective),
            "value": number(value),
            "parts": {k: number(v) for k, v in evaluation.parts(scenario.objective).items()},
        },
        "metrics": metrics_dict(scenario, completion.pairing, evaluation),
        "shortfall": {k or "need": number(v) for k, v in evaluation.shortfall.items()},
        "values": {k: number(v) for k, v in sorted(evaluation.values.items())},
        "shares_computed": completion.computed,
        "pairs": pairs_dict(scenario, completion.pairing),
        **loads_dict(evaluation, shortfall=True),
    }
    if optimum is not None:
        data["optimum"] = _optimum_dict(scenario, evaluation, optimum, timings=timings)
    return data


def _optimum_dict(
    scenario: Scenario, evaluation: Evaluation, optimum: SolveResult, *, timings: bool
) -> dict[str, Any]:
    """The optimum and how the given pairing ranks against it: need left uncovered first
    (a plan that covers less is never ranked above one that covers it), then the score."""
    rank = standing(scenario, evaluation, optimum.evaluation)
    solver: dict[str, Any] = {"name": optimum.solver.name, "version": optimum.solver.version}
    if timings:
        solver["seconds"] = number(optimum.seconds, 3)
    return {
        "status": optimum.status.value,
        "proven_optimal": optimum.proven_optimal,
        "value": number(optimum.objective_value),
        "bound": number(optimum.bound),
        "comparable": rank.comparable,
        "uncovered_difference": {k or "need": number(v) for k, v in rank.uncovered.items()},
        "difference": number(rank.difference),
        "relative_difference": number(rank.relative),
        "verdict": rank.text(lambda v: text(v, 4)),
        "solver": solver,
    }


def _is(rank: Standing) -> str:
    """'is +12.5 (+3.10%) from it', or why it ranks below the optimum."""
    sentence = rank.text(lambda v: text(v, 4))
    return sentence if not rank.comparable else f"is {sentence}"


def _rules(evaluation: Evaluation) -> str:
    return "all satisfied" if evaluation.ok else f"{len(evaluation.violations)} broken"


def _objective(scenario: Scenario, value: float, evaluation: Evaluation | None = None) -> str:
    """'name = value'; an order gives each level's value ('a,b (by level) = a 1, b 2')."""
    levels = None if evaluation is None else levels_text(scenario.objective, evaluation)
    if levels is not None:
        return f"{objective_name(scenario.objective)} (by level) = {levels}"
    return f"{objective_name(scenario.objective)} = {text(value, 4)}"


def _optimum(
    scenario: Scenario, evaluation: Evaluation, optimum: SolveResult
) -> tuple[str, Standing]:
    """The optimum with its proof, and how the pairing ranks against it."""
    proof = "proven optimal" if optimum.proven_optimal else STATUS_TEXT[optimum.status]
    return f"{text(optimum.objective_value, 4)} ({proof})", standing(
        scenario, evaluation, optimum.evaluation
    )


def _shortfall_line(scenario: Scenario, evaluation: Evaluation) -> str | None:
    """Need left uncovered, per resource, when there is any (or when it is priced)."""
    if evaluation.total_shortfall <= 0 and scenario.full_coverage:
        return None
    parts = [
        f"{text(v, 2)}{' ' + k if k else ''}" for k, v in evaluation.shortfall.items() if v > 0
    ]
    short = ", ".join(parts) if parts else "none"
    price = (
        f" (priced at {text(evaluation.shortfall_cost, 4)})" if not scenario.full_coverage else ""
    )
    return f"uncovered need {short}{price}"


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
    value = evaluation.score(scenario.objective)
    lines = [SHARES_COMPUTED] if completion.computed else []
    lines.append(f"Rules:     {_rules(evaluation)}")
    lines += [f"  - [{v.rule}] {v.message}" for v in evaluation.violations]
    lines.append(f"Objective: {_objective(scenario, value, evaluation)}")
    short = _shortfall_line(scenario, evaluation)
    if short:
        lines.append(f"Shortfall: {short}")
    lines.append(f"Metrics:   {metrics_text(scenario, completion.pairing, evaluation)}")
    if optimum is not None:
        best, rank = _optimum(scenario, evaluation, optimum)
        lines.append(f"Optimum:   {best}; this pairing {_is(rank)}")
    for line in lines:
        out.print(line, markup=False, soft_wrap=line.startswith("Metrics:"))
    return buffer.getvalue()


def evaluation_markdown(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
) -> str:
    """A report to paste into a document: the verdict as a list, then the tables."""
    value = evaluation.score(scenario.objective)
    lines = [f"## {source} against {scenario.name}", "", f"- Rules: {_rules(evaluation)}"]
    lines += [f"  - `{v.rule}`: {md_escape(v.message)}" for v in evaluation.violations]
    lines.append(f"- Objective: {_objective(scenario, value)}")
    short = _shortfall_line(scenario, evaluation)
    if short:
        lines.append(f"- Shortfall: {short}")
    if optimum is not None:
        best, rank = _optimum(scenario, evaluation, optimum)
        lines.append(f"- Optimum: {best}; this pairing {_is(rank)}")
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
            ["verdict", data["optimum"]["verdict"]],
        ]
    summary += [["broken rule", v["message"]] for v in data["violations"]]
    return workbook(
        pairing_sheets(scenario, completion.pairing, evaluation, summary, shortfall=True)
    )
