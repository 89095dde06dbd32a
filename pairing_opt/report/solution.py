"""What `pairopt solve` prints: the pairings found, as a table, CSV, JSON, markdown or xlsx."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..engine.pipeline import LevelStop, SolveResult
from ..scenario.scenario import Scenario
from ..scenario.spec import Objective, OrderedObjective, Shortfall, maximised, term_key
from .common import (
    KM_DECIMALS,
    amount_text,
    amounts,
    cell,
    console,
    donor_label,
    dumps,
    levels_text,
    loads_dict,
    loads_table,
    md_table,
    metrics_dict,
    metrics_text,
    number,
    objective_number,
    pair_km,
    pairing_columns,
    pairing_markdown,
    pairing_sheets,
    pairs_dict,
    pairs_table,
    recipient_label,
    rich_table,
    share_text,
    shortfall_dict,
    shortfall_table,
    shortfalls,
    status_text,
    term_number,
    text,
    workbook,
)
from .robust import (
    need_scenarios_list,
    needs_line,
    robust_columns,
    robust_dict,
    robust_label,
    robust_rows,
    robust_title,
    shares_sheet,
    summary_sheet,
)


def to_csv(results: list[SolveResult], *, numbered: bool = False, labels: bool = False) -> str:
    """The pairing CSV: donor,recipient,share,distance_km (the format `evaluate` reads;
    with several resources one share_<resource> column per resource in place of share);
    `labels` appends donor_label,recipient_label (the scenario's display names), and
    `numbered` puts an `alternative` column first that numbers the pairings from 1."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    scenario = results[0].scenario
    header = list(pairing_columns(scenario))
    header += ["donor_label", "recipient_label"] if labels else []
    writer.writerow((["alternative"] if numbered else []) + header)
    for rank, result in enumerate(results, start=1):
        for a in result.pairing:
            row = [
                cell(a.donor),
                cell(a.recipient),
                *(share_text(amount) for amount in amounts(scenario, a)),
                text(pair_km(scenario, a), KM_DECIMALS),
            ]
            if labels:
                row += [
                    cell(donor_label(scenario, a.donor)),
                    cell(recipient_label(scenario, a.recipient)),
                ]
            writer.writerow(([str(rank)] if numbered else []) + row)
    return buffer.getvalue()


def to_dict(result: SolveResult, *, timings: bool = True) -> dict[str, Any]:
    """One result, JSON-ready; without `timings` the output is the same on every run.
    `objective.value` is what was optimised (the objective plus the price of need left
    uncovered) and `objective.parts` splits it; `shortfall` is the need left uncovered per
    resource ('need' for the one unnamed resource), and each recipient entry its own."""
    solver: dict[str, Any] = {
        "name": result.solver.name,
        "version": result.solver.version,
        "time_limit": number(result.options.time_limit, 10),
        "mip_gap": number(result.options.mip_gap, 10),
        "tie_break": result.tie_break,
    }
    if timings:
        solver["seconds"] = number(result.seconds, 3)
    parts = result.evaluation.parts(result.objective)
    robust = result.robust
    if robust is not None:  # the robust objective's parts, not the first need scenario's
        parts = robust.parts()
    return {
        "scenario": result.scenario.name,
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "objective": {
            "name": result.objective_label,
            "value": objective_number(result.objective, result.objective_value),
            "bound": objective_number(result.objective, result.bound, result.objective_value),
            "gap": number(result.gap, 10),
            "parts": {key: term_number(key, value) for key, value in parts.items()},
            **({"stopped_level": stopped_dict(result.stopped)} if result.stopped else {}),
        },
        "metrics": metrics_dict(result.scenario, result.pairing, result.evaluation),
        "shortfall": shortfall_dict(result.evaluation),
        "solver": solver,
        "verified": result.evaluation.ok,
        "pairs": pairs_dict(result.scenario, result.pairing),
        **loads_dict(result.evaluation, shortfall=True),
        **(
            {"robust": robust_dict(robust), "need_scenarios": need_scenarios_list(robust)}
            if robust is not None
            else {}
        ),
    }


def stopped_dict(stop: LevelStop) -> dict[str, Any]:
    """The JSON of the level of an order a limit stopped (see stopped_text)."""
    return {
        "term": stop.term,
        "level": stop.level,
        "bound": number(stop.bound),
        "gap": number(stop.gap, 10),
        "found_pairing": stop.found,
    }


def to_json(results: list[SolveResult], *, timings: bool = True, numbered: bool = False) -> str:
    """One result as an object; with `numbered`, {"alternatives": [...]} ranked from 1."""
    if not numbered:
        return dumps(to_dict(results[0], timings=timings))
    return dumps(
        {
            "scenario": results[0].scenario.name,
            "alternatives": [
                {"rank": rank, **to_dict(r, timings=timings)}
                for rank, r in enumerate(results, start=1)
            ],
        }
    )


def _maximised(result: SolveResult) -> bool:
    return maximised(result.objective)


def price_suffix(scenario: Scenario, objective: Objective) -> str:
    """' + shortfall' (' - shortfall' when better higher) under a shortfall price
    (rules.coverage): the objective's label then names the price its value includes."""
    if not isinstance(scenario.rules.coverage, Shortfall):
        return ""
    return " - shortfall" if maximised(objective) else " + shortfall"


def summary_lines(result: SolveResult, *, timings: bool = True) -> list[str]:
    """Status, objective, solver and pairing size, one `Field:    value` line each; under
    a shortfall price (rules.coverage) the objective is the score solve optimised and a
    Shortfall line says what need is left uncovered and what it adds to the score."""
    gap = "" if result.gap is None else f", gap {result.gap:.4%}"
    bound = "" if result.bound is None else f", bound {text(result.bound, 4)}"
    value = text(result.objective_value, 4) or "none"
    solver = f"{result.solver.name} {result.solver.version}"
    if timings:
        solver += f", {result.seconds:.2f} s"
    robust = result.robust
    priced = not result.scenario.full_coverage and robust is None
    label = result.objective_label + price_suffix(result.scenario, result.objective)
    if robust is not None:
        label += " " + robust_label(robust)
    used = len({x.donor for x in result.evaluation.donors if x.recipients > 0})
    objective = result.objective
    levels = levels_text(objective, result.evaluation) if result.pairing else None
    if isinstance(objective, OrderedObjective) and levels:
        # Each level's value, in order; the bound and gap are the first level's.
        value, label = levels, f"{label} (by level)"
        bound = bound and f"{bound} on {objective.order[0].term}"
    lines = [
        f"Status:    {status_text(result.status, result.scenario.solver.mip_gap)}",
        f"Objective: {label} = {value}{bound}{gap}",
    ]
    if result.stopped is not None:
        lines.append(f"Stopped:   {stopped_text(result.stopped)}")
    if priced:
        lines.append(f"Shortfall: {shortfall_text(result)}")
    if robust is not None:
        lines.append(f"Needs:     {needs_line(robust)}")
    if result.pairing:
        metrics = metrics_text(result.scenario, result.pairing, result.evaluation)
        lines.append(f"Metrics:   {metrics}")
    lines.append(f"Solver:    {solver}")
    lines.append(
        f"Pairing:   {len(result.pairing)} pairs; {used} of {len(result.scenario.donors)} donors "
        f"used; {len(result.scenario.recipients)} recipients; verified against every rule"
        + (" in every need scenario" if robust is not None else "")
    )
    return lines


def stopped_text(stop: LevelStop) -> str:
    """Which level of an order the limit stopped, with its own bound and gap: the order's
    bound and gap are the first level's, and read alone they would look like a proof."""
    where = f"level {stop.level} of {stop.levels} ({stop.term})"
    bound = "" if stop.bound is None else f"bound {text(stop.bound, 4)}"
    if stop.found:
        gap = "" if stop.gap is None else f", gap {stop.gap:.4%}"
        head = f"{where} at the time limit, NOT proven: {bound or 'no bound'}{gap}"
    else:
        head = (
            f"{where} found no pairing in time ({bound or 'no bound'}); "
            f"the pairing is level {stop.level - 1}'s optimum"
        )
    if stop.level < stop.levels:
        head += f"; level{'s' if stop.levels - stop.level > 1 else ''} after it not optimised"
    return head


def shortfall_text(result: SolveResult) -> str:
    """'none', or '12 staff uncovered at 3 recipients (priced at 12000); objective =
    weighted_distance 30318.7832 + shortfall 12000'."""
    evaluation = result.evaluation
    short = shortfalls(evaluation)
    if not short:
        return "none"
    short_of = {c.resource for c in short}
    resources = [name for name in result.scenario.resources if name in short_of]
    amount = ", ".join(
        f"{amount_text(evaluation.shortfall.get(name, 0.0))}{' ' + name if name else ''}"
        for name in resources
    )
    count = len({c.recipient for c in short})
    where = f"{count} recipient{'s' if count != 1 else ''}"
    if not isinstance(result.scenario.rules.coverage, Shortfall):
        return f"{amount} uncovered at {where} (the objective's shortfall term)"
    # the objective's own part: its name, or the whole sum's for a weighted sum
    key = (
        next(iter(evaluation.parts(result.objective)))
        if term_key(result.objective) is not None
        else result.objective_label
    )
    own, cost = evaluation.value(result.objective), evaluation.shortfall_cost
    sign = "-" if _maximised(result) else "+"
    return (
        f"{amount} uncovered at {where} (priced at {text(cost, 4)}); objective = "
        f"{key} {text(own, 4)} {sign} shortfall {text(cost, 4)}"
    )


def summary_fields(result: SolveResult, *, timings: bool = True) -> list[tuple[str, str]]:
    """summary_lines as (field, value) pairs, for the markdown list and the xlsx sheet."""
    return [
        (field.strip(), value.strip())
        for field, value in (line.split(":", 1) for line in summary_lines(result, timings=timings))
    ]


def _title(result: SolveResult, rank: int, count: int, single: str) -> str:
    """The heading of one pairing: `single` for a lone result, else its rank."""
    name = result.scenario.name
    return f"{name}{single}" if count == 1 else f"{name}: alternative {rank} of {count}"


def to_table(
    results: list[SolveResult], *, color: bool = False, width: int = 100, timings: bool = True
) -> str:
    """The human view: for each pairing its pairs, donor loads and a summary."""
    buffer = io.StringIO()
    out = console(buffer, color, width)
    for rank, result in enumerate(results, start=1):
        title = _title(result, rank, len(results), ": pairing")
        out.print(pairs_table(result.scenario, result.pairing, title))
        out.print(loads_table(result.scenario, result.evaluation))
        short = shortfall_table(result.scenario, result.evaluation)
        if short is not None:
            out.print(short)
        if result.robust is not None:
            robust = result.robust
            out.print(
                rich_table(robust_title(robust), robust_columns(False), robust_rows(robust, False))
            )
        for line in summary_lines(result, timings=timings):
            # These lines are long: a wrapped line would break the sentence.
            out.print(
                line,
                markup=False,
                soft_wrap=line.startswith(
                    ("Objective:", "Shortfall:", "Metrics:", "Needs:", "Pairing:")
                ),
            )
        if rank < len(results):
            out.print()
    return buffer.getvalue()


def to_markdown(results: list[SolveResult], *, timings: bool = True) -> str:
    """A report to paste into a document: summary, pairing, loads and coverage."""
    lines: list[str] = []
    for rank, result in enumerate(results, start=1):
        lines += [f"## {_title(result, rank, len(results), '')}", ""]
        lines += [f"- {field}: {value}" for field, value in summary_fields(result, timings=timings)]
        if result.robust is not None:
            robust = result.robust
            rows = robust_rows(robust, False)
            lines += ["", f"### {robust_title(robust)}", "", *md_table(robust_columns(False), rows)]
        lines += ["", *pairing_markdown(result.scenario, result.pairing, result.evaluation), ""]
    return "\n".join(lines)


def to_xlsx(results: list[SolveResult], *, timings: bool = True) -> bytes:
    """The first pairing as a workbook; a workbook of several would be hard to read."""
    result = results[0]
    summary: list[list[Any]] = [["field", "value"]]
    summary += [[field, value] for field, value in summary_fields(result, timings=timings)]
    summary += [
        ["objective value", objective_number(result.objective, result.objective_value)],
        ["bound", objective_number(result.objective, result.bound, result.objective_value)],
        ["gap", number(result.gap, 10)],
    ]
    if not result.scenario.full_coverage:
        summary.append(["shortfall cost", number(result.evaluation.shortfall_cost)])
        summary += [
            [f"shortfall {name}", amount]
            for name, amount in shortfall_dict(result.evaluation).items()
        ]
    if len(results) > 1:
        summary.append(["note", f"alternative 1 of {len(results)}; use CSV or JSON for all"])
    sheets = pairing_sheets(
        result.scenario, result.pairing, result.evaluation, summary, shortfall=True
    )
    if result.robust is not None:
        sheets["Need scenarios"] = summary_sheet(result.robust, False)
        sheets["Shares by need"] = shares_sheet(result.robust)
    return workbook(sheets)
