"""What `pairopt evaluate` prints: how a given pairing fares against a scenario's rules and
objective, and, when asked, against the optimum."""

from __future__ import annotations

import io
from typing import Any

from ..checks.compare import Standing, standing
from ..checks.robust import Robust, robust_standing
from ..checks.verify import Assignment, Evaluation
from ..engine.pipeline import SolveResult
from ..engine.shares import Completion
from ..scenario.scenario import Scenario
from ..scenario.spec import Shortfall, objective_name, term_objective
from .common import (
    amount_text,
    console,
    levels_text,
    loads_dict,
    loads_table,
    md_escape,
    md_table,
    metrics_dict,
    metrics_text,
    number,
    pairing_markdown,
    pairing_sheets,
    pairs_dict,
    pairs_table,
    proof_text,
    rich_table,
    text,
    workbook,
)
from .robust import (
    need_scenarios_list,
    robust_columns,
    robust_dict,
    robust_label,
    robust_objective,
    robust_rows,
    robust_title,
    shares_sheet,
    summary_sheet,
)
from .solution import price_suffix


def shares_computed(scenario: Scenario) -> str:
    """How empty shares were filled in (engine/shares.py), for the objective's terms."""
    short = bool(scenario.shortfall_terms)
    return (
        "Shares: computed (the file leaves some empty): the split that breaks capacity "
        "and coverage least, then "
        + ("leaves the least need uncovered, then " if short else "")
        + "has the least weighted distance."
    )


def evaluation_dict(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
    *,
    timings: bool = True,
    robust: Robust | None = None,
) -> dict[str, Any]:
    """How a given pairing fares: broken rules, objective values, loads, and the optimum;
    with need scenarios (`robust`), how it fares in each and the robust objective (an
    optimum is then the robust optimum)."""
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
    if robust is not None:
        data["robust"] = robust_dict(robust)
        data["need_scenarios"] = need_scenarios_list(robust, violations=True)
    if optimum is not None:
        data["optimum"] = _optimum_dict(
            scenario, evaluation, optimum, timings=timings, robust=robust
        )
    return data


def _optimum_dict(
    scenario: Scenario,
    evaluation: Evaluation,
    optimum: SolveResult,
    *,
    timings: bool,
    robust: Robust | None = None,
) -> dict[str, Any]:
    """The optimum and how the given pairing ranks against it: need left uncovered first
    (a plan that covers less is never ranked above one that covers it), then the score;
    with need scenarios, by the robust objective."""
    rank = _rank(scenario, evaluation, optimum, robust)
    solver: dict[str, Any] = {"name": optimum.solver.name, "version": optimum.solver.version}
    if timings:
        solver["seconds"] = number(optimum.seconds, 3)
    found = {
        "status": optimum.status.value,
        "proven_optimal": optimum.proven_optimal,
        "value": number(optimum.objective_value),
        "bound": number(optimum.bound),
    }
    if rank is None:  # nothing to rank against: no difference, rather than a made-up one
        return found | {
            "comparable": None,
            "uncovered_difference": {},
            "difference": None,
            "relative_difference": None,
            "verdict": NO_OPTIMUM,
            "solver": solver,
        }
    by_level = {}
    if rank.levels:  # an order ranks at its first level that differs
        deciding = rank.deciding
        by_level = {
            "levels": [
                {
                    "level": level.level,
                    "term": level.term,
                    "optimum": number(optimum.evaluation.score(term_objective(level.term))),
                    "difference": number(level.difference),
                }
                for level in rank.levels
            ],
            "deciding_level": None
            if deciding is None
            else {
                "level": deciding.level,
                "term": deciding.term,
                "ranks": "below" if deciding.worse else "above",
            },
        }
    return found | {
        "comparable": rank.comparable,
        "uncovered_difference": {k or "need": number(v) for k, v in rank.uncovered.items()},
        "difference": number(rank.difference),
        "relative_difference": number(rank.relative),
        **by_level,
        "verdict": rank.text(lambda v: text(v, 4)),
        "solver": solver,
    }


NO_OPTIMUM = "cannot be ranked: the solve found no pairing to compare it with"


def _is(rank: Standing | None) -> str:
    """'is +12.5 (+3.10%) from it', or why it ranks below the optimum."""
    if rank is None:
        return NO_OPTIMUM
    sentence = rank.text(lambda v: text(v, 4))
    return sentence if not rank.comparable else f"is {sentence}"


def _rules(evaluation: Evaluation) -> str:
    return "all satisfied" if evaluation.ok else f"{len(evaluation.violations)} broken"


def _objective(scenario: Scenario, value: float, evaluation: Evaluation | None = None) -> str:
    """'name = value'; an order gives each level's value ('a,b (by level) = a 1, b 2').
    Under a shortfall price the name ends in '+ shortfall', as solve's does."""
    name = objective_name(scenario.objective) + price_suffix(scenario, scenario.objective)
    levels = None if evaluation is None else levels_text(scenario.objective, evaluation)
    if levels is not None:
        return f"{name} (by level) = {levels}"
    return f"{name} = {text(value, 4)}"


def _rank(
    scenario: Scenario, evaluation: Evaluation, optimum: SolveResult, robust: Robust | None
) -> Standing | None:
    """The pairing against the optimum: by the robust objective across need scenarios when
    both have them, else under the scenario's one need; None when the solve found none."""
    if not optimum.pairing:
        return None
    if robust is not None and optimum.robust is not None:
        return robust_standing(robust, optimum.objective_value)
    return standing(scenario, evaluation, optimum.evaluation)


def _optimum(
    scenario: Scenario, evaluation: Evaluation, optimum: SolveResult, robust: Robust | None
) -> tuple[str, Standing | None]:
    """The optimum with its proof, and how the pairing ranks against it."""
    proof = proof_text(optimum.status, optimum.scenario.solver.mip_gap)
    if optimum.robust is not None:
        proof += f", {robust_label(optimum.robust)[1:-1]}"
    rank = _rank(scenario, evaluation, optimum, robust)
    value = text(optimum.objective_value, 4) if rank is not None else "none"
    if rank is not None and rank.levels:  # each level as the order scores it
        value = ", ".join(
            f"{level.term} {text(optimum.evaluation.score(term_objective(level.term)), 4)}"
            for level in rank.levels
        )
    return f"{value} ({proof})", rank


def _shortfall_line(scenario: Scenario, evaluation: Evaluation) -> str | None:
    """Need left uncovered, per resource, when there is any (or when it is priced)."""
    if evaluation.total_shortfall <= 0 and scenario.full_coverage:
        return None
    parts = [
        f"{amount_text(v, 2)}{' ' + k if k else ''}"
        for k, v in evaluation.shortfall.items()
        if v > 0
    ]
    short = ", ".join(parts) if parts else "none"
    price = ""
    if isinstance(scenario.rules.coverage, Shortfall):
        price = f" (priced at {text(evaluation.shortfall_cost, 4)})"
    elif not scenario.full_coverage:  # as solve says: no price, the objective scores it
        price = " (the objective's shortfall term)"
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
    robust: Robust | None = None,
) -> str:
    """The human view: pairs, donor loads, then the rules broken and the objective; with
    need scenarios, a row for each and the robust objective."""
    buffer = io.StringIO()
    out = console(buffer, color, width)
    out.print(pairs_table(scenario, completion.pairing, f"{source} against {scenario.name}"))
    out.print(loads_table(scenario, evaluation))
    if robust is not None:
        out.print(rich_table(robust_title(robust), robust_columns(True), robust_rows(robust, True)))
    value = evaluation.score(scenario.objective)
    lines = [shares_computed(scenario)] if completion.computed else []
    lines.append(f"Rules:     {_rules(evaluation)}")
    lines += [f"  - [{v.rule}] {v.message}" for v in evaluation.violations]
    lines.append(f"Objective: {_objective(scenario, value, evaluation)}")
    short = _shortfall_line(scenario, evaluation)
    if short:
        lines.append(f"Shortfall: {short}")
    lines.append(f"Metrics:   {metrics_text(scenario, completion.pairing, evaluation)}")
    if robust is not None:
        lines += _robust_lines(robust, completion.pairing)
    if optimum is not None:
        best, rank = _optimum(scenario, evaluation, optimum, robust)
        lines.append(f"Optimum:   {best}; this pairing {_is(rank)}")
    for line in lines:
        out.print(line, markup=False, soft_wrap=line.startswith(("Metrics:", "Robust:")))
    return buffer.getvalue()


def evaluation_markdown(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
    robust: Robust | None = None,
) -> str:
    """A report to paste into a document: the verdict as a list, then the tables."""
    value = evaluation.score(scenario.objective)
    lines = [f"## {source} against {scenario.name}", "", f"- Rules: {_rules(evaluation)}"]
    lines += [f"  - `{v.rule}`: {md_escape(v.message)}" for v in evaluation.violations]
    lines.append(f"- Objective: {_objective(scenario, value)}")
    short = _shortfall_line(scenario, evaluation)
    if short:
        lines.append(f"- Shortfall: {short}")
    lines.append(f"- Metrics: {metrics_text(scenario, completion.pairing, evaluation)}")
    if robust is not None:
        head = _robust_lines(robust, completion.pairing)[0]
        lines.append(f"- Robust: {head.split(':', 1)[1].strip()}")
    if optimum is not None:
        best, rank = _optimum(scenario, evaluation, optimum, robust)
        lines.append(f"- Optimum: {best}; this pairing {_is(rank)}")
    if completion.computed:
        lines.append("- Shares: computed by pairopt (the file leaves some empty)")
    if robust is not None:
        rows = robust_rows(robust, True)
        lines += ["", f"### {robust_title(robust)}", "", *md_table(robust_columns(True), rows)]
    lines += ["", *pairing_markdown(scenario, completion.pairing, evaluation), ""]
    return "\n".join(lines)


def evaluation_xlsx(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
    robust: Robust | None = None,
) -> bytes:
    """The verdict on a Summary sheet, then the tables; no timings, as in a file to keep."""
    data = evaluation_dict(
        scenario, completion, evaluation, source, optimum, timings=False, robust=robust
    )
    summary: list[list[Any]] = [
        ["field", "value"],
        ["pairing", source],
        ["satisfies rules", data["satisfies_rules"]],
        ["objective", data["objective"]["name"]],
        ["value", data["objective"]["value"]],
        ["metrics", metrics_text(scenario, completion.pairing, evaluation)],
    ]
    short = _shortfall_line(scenario, evaluation)
    if short:
        summary.append(["shortfall", short])
    if completion.computed:
        summary.append(["shares", "computed by pairopt (the file leaves some empty)"])
    if optimum is not None:
        summary += [
            ["optimum", data["optimum"]["value"]],
            ["difference", data["optimum"]["difference"]],
            ["verdict", data["optimum"]["verdict"]],
        ]
    summary += [["broken rule", v["message"]] for v in data["violations"]]
    sheets = pairing_sheets(scenario, completion.pairing, evaluation, summary, shortfall=True)
    if robust is not None:
        summary.insert(5, ["robust objective", data["robust"]["objective"]])
        sheets["Need scenarios"] = summary_sheet(robust, True)
        sheets["Shares by need"] = shares_sheet(robust)
    return workbook(sheets)


def _robust_lines(robust: Robust, shown: list[Assignment]) -> list[str]:
    """'Robust:    weighted_distance (worst of 3 need scenarios) = 123; ...', then each
    broken rule of a need scenario whose pairing is not the one `shown` (the nominal need
    scenario's is the pairing's own, its broken rules listed under Rules)."""
    broken = sum(len(o.evaluation.violations) for o in robust.outcomes)
    verdict = (
        "every rule kept in each need scenario"
        if not broken
        else f"{broken} broken rule(s) across the need scenarios"
    )
    lines = [
        f"Robust:    {robust_objective(robust, robust.outcomes[0].scenario)} = "
        f"{text(robust.value, 4)} (worst: {robust.worst.name}); {verdict}"
    ]
    lines += [
        f"  - [{v.rule}] need scenario '{o.name}': {v.message}"
        for o in robust.outcomes
        if o.pairing is not shown
        for v in o.evaluation.violations
    ]
    return lines
