"""Turning results into text: a rich table for people, CSV and JSON for scripts.

Output is deterministic: the same result gives the same bytes (numbers are rounded to
fixed decimals, rows come in scenario order, and timings can be left out).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from ..checks.verify import Assignment, Evaluation
from ..engine.backends import Status
from ..engine.pipeline import Completion, SolveResult
from ..scenario.scenario import Scenario
from ..scenario.spec import objective_name

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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: a text cell that Excel or LibreOffice would
    run as a formula (starting with = + - @ tab or CR) gets a leading apostrophe, which
    spreadsheets show as text. pairopt strips it again when it reads a pairing."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(results: list[SolveResult], *, numbered: bool = False, labels: bool = False) -> str:
    """The pairing CSV: donor,recipient,share,distance_km (the format `evaluate` reads);
    `labels` appends donor_label,recipient_label (the scenario's display names), and
    `numbered` puts an `alternative` column first that numbers the pairings from 1."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    scenario = results[0].scenario
    header = list(PAIRING_COLUMNS) + (["donor_label", "recipient_label"] if labels else [])
    writer.writerow((["alternative"] if numbered else []) + header)
    for rank, result in enumerate(results, start=1):
        for a in result.pairing:
            row = [
                cell(a.donor),
                cell(a.recipient),
                text(a.share),
                text(_km(scenario, a), KM_DECIMALS),
            ]
            if labels:
                row += [
                    cell(scenario.donor_labels[scenario.donor_index[a.donor]]),
                    cell(scenario.recipient_labels[scenario.recipient_index[a.recipient]]),
                ]
            writer.writerow(([str(rank)] if numbered else []) + row)
    return buffer.getvalue()


def pairs_dict(scenario: Scenario, pairing: list[Assignment]) -> list[dict[str, Any]]:
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    out = []
    for a in pairing:
        need = float(scenario.need[r_index[a.recipient]])
        out.append(
            {
                "donor": a.donor,
                "recipient": a.recipient,
                "share": number(a.share),
                "fraction_of_need": number(a.share / need if need > 0 else 0.0),
                "distance_km": number(_km(scenario, a), KM_DECIMALS),
                "donor_label": scenario.donor_labels[d_index[a.donor]],
                "recipient_label": scenario.recipient_labels[r_index[a.recipient]],
            }
        )
    return out


def loads_dict(evaluation: Evaluation) -> dict[str, list[dict[str, Any]]]:
    """Per-donor load and per-recipient coverage."""
    return {
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


def to_dict(result: SolveResult, *, timings: bool = True) -> dict[str, Any]:
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
        "scenario": result.scenario.name,
        "status": result.status.value,
        "proven_optimal": result.proven_optimal,
        "objective": {
            "name": result.objective_label,
            "value": number(result.objective_value),
            "bound": number(result.bound),
            "gap": number(result.gap, 10),
        },
        "solver": solver,
        "verified": result.evaluation.ok,
        "pairs": pairs_dict(result.scenario, result.pairing),
        **loads_dict(result.evaluation),
    }


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_json(results: list[SolveResult], *, timings: bool = True, numbered: bool = False) -> str:
    """One result as an object; with `numbered`, {"alternatives": [...]} ranked from 1."""
    if not numbered:
        return _dumps(to_dict(results[0], timings=timings))
    return _dumps(
        {
            "scenario": results[0].scenario.name,
            "alternatives": [
                {"rank": rank, **to_dict(r, timings=timings)}
                for rank, r in enumerate(results, start=1)
            ],
        }
    )


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


def _console(buffer: io.StringIO, color: bool, width: int) -> Console:
    return Console(
        file=buffer,
        width=width,
        color_system="auto" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
    )


def pairs_table(scenario: Scenario, pairing: list[Assignment], title: str) -> Table:
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for header, justify in (
        ("Recipient", "left"),
        ("Need", "right"),
        ("Donor", "left"),
        ("Share", "right"),
        ("% of need", "right"),
        ("km", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    previous = None
    for a in pairing:
        r, d = r_index[a.recipient], d_index[a.donor]
        need = float(scenario.need[r])
        first = a.recipient != previous
        previous = a.recipient
        table.add_row(
            _name(a.recipient, scenario.recipient_labels[r]) if first else "",
            text(need, 2) if first else "",
            _name(a.donor, scenario.donor_labels[d]),
            text(a.share, 2),
            f"{a.share / need:.0%}" if need > 0 else "",
            text(_km(scenario, a), 0),
        )
    return table


def loads_table(scenario: Scenario, evaluation: Evaluation) -> Table:
    table = Table(title="Donor load", box=box.SIMPLE_HEAD)
    for header, justify in (
        ("Donor", "left"),
        ("Recipients", "right"),
        ("Load", "right"),
        ("Available", "right"),
        ("Used", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for x in evaluation.donors:
        if x.recipients == 0 and x.load == 0:
            continue
        table.add_row(
            _name(x.donor, scenario.donor_labels[scenario.donor_index[x.donor]]),
            str(x.recipients),
            text(x.load, 2),
            text(x.available, 2),
            f"{x.utilisation:.0%}" if math.isfinite(x.utilisation) else "inf",
        )
    return table


def to_table(
    results: list[SolveResult], *, color: bool = False, width: int = 100, timings: bool = True
) -> str:
    """The human view: for each pairing its pairs, donor loads and a summary."""
    buffer = io.StringIO()
    console = _console(buffer, color, width)
    for rank, result in enumerate(results, start=1):
        title = f"{result.scenario.name}: pairing"
        if len(results) > 1:
            title = f"{result.scenario.name}: alternative {rank} of {len(results)}"
        console.print(pairs_table(result.scenario, result.pairing, title))
        console.print(loads_table(result.scenario, result.evaluation))
        for line in summary_lines(result, timings=timings):
            console.print(line, markup=False)
        if rank < len(results):
            console.print()
    return buffer.getvalue()


# --------------------------------------------------------------------------- evaluate


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
        best = optimum.objective_value
        data["optimum"] = {
            "status": optimum.status.value,
            "proven_optimal": optimum.proven_optimal,
            "value": number(best),
            "bound": number(optimum.bound),
            "difference": number(value - best),
            "relative_difference": number((value - best) / abs(best) if best else None),
            "solver": {"name": optimum.solver.name, "version": optimum.solver.version},
        }
        if timings:
            data["optimum"]["solver"]["seconds"] = number(optimum.seconds, 3)
    return data


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
    buffer = io.StringIO()
    console = _console(buffer, color, width)
    console.print(pairs_table(scenario, completion.pairing, f"{source} against {scenario.name}"))
    console.print(loads_table(scenario, evaluation))
    if completion.computed:
        console.print(
            "Shares: computed (the file leaves some empty): the split that breaks capacity "
            "and coverage least, then has the least weighted distance.",
            markup=False,
        )
    if evaluation.ok:
        console.print("Rules:     all satisfied", markup=False)
    else:
        console.print(f"Rules:     {len(evaluation.violations)} broken", markup=False)
        for v in evaluation.violations:
            console.print(f"  - [{v.rule}] {v.message}", markup=False)
    value = evaluation.value(scenario.objective)
    console.print(
        f"Objective: {objective_name(scenario.objective)} = {text(value, 4)}", markup=False
    )
    if optimum is not None:
        best = optimum.objective_value
        proof = "proven optimal" if optimum.proven_optimal else STATUS_TEXT[optimum.status]
        diff = value - best
        rel = f" ({diff / abs(best):+.2%})" if best else ""
        console.print(
            f"Optimum:   {text(best, 4)} ({proof}); this pairing is {text(diff, 4)}{rel} from it",
            markup=False,
        )
    return buffer.getvalue()


# --------------------------------------------------------------------------- markdown


def _md_escape(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return lines


def _md_pairing(scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation) -> list[str]:
    d_index, r_index = scenario.donor_index, scenario.recipient_index
    pair_rows = []
    for a in pairing:
        r, d = r_index[a.recipient], d_index[a.donor]
        need = float(scenario.need[r])
        pair_rows.append(
            [
                _name(a.recipient, scenario.recipient_labels[r]),
                _name(a.donor, scenario.donor_labels[d]),
                text(a.share, 2),
                f"{a.share / need:.0%}" if need > 0 else "",
                text(_km(scenario, a), 0),
            ]
        )
    load_rows = [
        [
            _name(x.donor, scenario.donor_labels[d_index[x.donor]]),
            str(x.recipients),
            text(x.load, 2),
            text(x.available, 2),
            f"{x.utilisation:.0%}" if math.isfinite(x.utilisation) else "inf",
        ]
        for x in evaluation.donors
        if x.recipients or x.load
    ]
    cover_rows = [
        [
            _name(c.recipient, scenario.recipient_labels[r_index[c.recipient]]),
            str(c.donors),
            text(c.need, 2),
            text(c.covered, 2),
        ]
        for c in evaluation.recipients
    ]
    return [
        "### Pairing",
        "",
        *_md_table(["Recipient", "Donor", "Share", "% of need", "km"], pair_rows, {2, 3, 4}),
        "",
        "### Donor load",
        "",
        *_md_table(["Donor", "Recipients", "Load", "Available", "Used"], load_rows, {1, 2, 3, 4}),
        "",
        "### Recipient coverage",
        "",
        *_md_table(["Recipient", "Donors", "Need", "Covered"], cover_rows, {1, 2, 3}),
    ]


def to_markdown(results: list[SolveResult], *, timings: bool = True) -> str:
    """A report to paste into a document: summary, pairing, loads and coverage."""
    lines: list[str] = []
    for rank, result in enumerate(results, start=1):
        title = result.scenario.name
        if len(results) > 1:
            title += f": alternative {rank} of {len(results)}"
        lines += [f"## {title}", ""]
        lines += [
            f"- {line.split(':', 1)[0]}: {line.split(':', 1)[1].strip()}"
            for line in summary_lines(result, timings=timings)
        ]
        lines += ["", *_md_pairing(result.scenario, result.pairing, result.evaluation), ""]
    return "\n".join(lines)


def evaluation_markdown(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
) -> str:
    value = evaluation.value(scenario.objective)
    lines = [f"## {source} against {scenario.name}", ""]
    if evaluation.ok:
        lines.append("- Rules: all satisfied")
    else:
        lines.append(f"- Rules: {len(evaluation.violations)} broken")
        lines += [f"  - `{v.rule}`: {_md_escape(v.message)}" for v in evaluation.violations]
    lines.append(f"- Objective: {objective_name(scenario.objective)} = {text(value, 4)}")
    if optimum is not None:
        best = optimum.objective_value
        proof = "proven optimal" if optimum.proven_optimal else STATUS_TEXT[optimum.status]
        rel = f" ({(value - best) / abs(best):+.2%})" if best else ""
        lines.append(
            f"- Optimum: {text(best, 4)} ({proof}); difference {text(value - best, 4)}{rel}"
        )
    if completion.computed:
        lines.append("- Shares: computed by pairopt (the file leaves some empty)")
    lines += ["", *_md_pairing(scenario, completion.pairing, evaluation), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- xlsx


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook with one sheet per entry; text cells are formula-safe (see `cell`), and
    the workbook's timestamps are fixed so the same result gives the same bytes."""
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([cell(v) if isinstance(v, str) else v for v in row])
    fixed = datetime.datetime(2020, 2, 10)
    book.properties.created = book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps every zip entry with the current time: rewrite them with a fixed one.
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=(2020, 2, 10, 0, 0, 0))
            stamped.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to now on save
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-02-10T00:00:00Z", data
                )
            target.writestr(stamped, data)
    return out.getvalue()


def _sheets(
    scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation, prefix: list[list[Any]]
) -> dict[str, list[list[Any]]]:
    pairs = pairs_dict(scenario, pairing)
    loads = loads_dict(evaluation)
    pair_keys = [
        "donor",
        "recipient",
        "share",
        "fraction_of_need",
        "distance_km",
        "donor_label",
        "recipient_label",
    ]
    donor_keys = ["donor", "recipients", "load", "capacity", "available", "utilisation"]
    recipient_keys = ["recipient", "donors", "need", "covered"]
    return {
        "Summary": prefix,
        "Pairing": [pair_keys] + [[p[k] for k in pair_keys] for p in pairs],
        "Donor load": [donor_keys] + [[d[k] for k in donor_keys] for d in loads["donors"]],
        "Recipient coverage": [recipient_keys]
        + [[r[k] for k in recipient_keys] for r in loads["recipients"]],
    }


def to_xlsx(results: list[SolveResult], *, timings: bool = True) -> bytes:
    result = results[0]
    summary: list[list[Any]] = [["field", "value"]]
    summary += [
        [k.strip(), v.strip()]
        for k, v in (line.split(":", 1) for line in summary_lines(result, timings=timings))
    ]
    summary += [
        ["objective value", number(result.objective_value)],
        ["bound", number(result.bound)],
        ["gap", number(result.gap, 10)],
    ]
    if len(results) > 1:
        summary.append(["note", f"alternative 1 of {len(results)}; use CSV or JSON for all"])
    return _xlsx(_sheets(result.scenario, result.pairing, result.evaluation, summary))


def evaluation_xlsx(
    scenario: Scenario,
    completion: Completion,
    evaluation: Evaluation,
    source: str,
    optimum: SolveResult | None = None,
) -> bytes:
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
    return _xlsx(_sheets(scenario, completion.pairing, evaluation, summary))


# --------------------------------------------------------------------------- compare


def _compare_sections(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The comparison as (title, header, rows) tables, shared by markdown and xlsx."""
    a, b = data["names"]["a"], data["names"]["b"]
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            f"Only in {a}",
            ["donor", "recipient", "share"],
            [[p["donor"], p["recipient"], p["share"]] for p in data["only_in_a"]],
        ),
        (
            f"Only in {b}",
            ["donor", "recipient", "share"],
            [[p["donor"], p["recipient"], p["share"]] for p in data["only_in_b"]],
        ),
        (
            "Changed recipients",
            ["recipient", f"donors in {a}", f"donors in {b}"],
            [
                [c["recipient"], ", ".join(c["donors_a"]), ", ".join(c["donors_b"])]
                for c in data["changed_recipients"]
            ],
        ),
        (
            "Share differences",
            ["donor", "recipient", a, b, "difference"],
            [
                [s["donor"], s["recipient"], s["share_a"], s["share_b"], s["difference"]]
                for s in data["share_differences"]
            ],
        ),
    ]
    if data.get("values"):
        sections.append(
            (
                "Objectives",
                ["objective", a, b, "difference"],
                [[k, v["a"], v["b"], v["difference"]] for k, v in data["values"].items()],
            )
        )
    if data.get("load_differences"):
        sections.append(
            (
                "Load differences",
                ["donor", a, b, "difference"],
                [
                    [d["donor"], d["load_a"], d["load_b"], d["difference"]]
                    for d in data["load_differences"]
                ],
            )
        )
    return sections


def comparison_markdown(data: dict[str, Any]) -> str:
    a, b = data["names"]["a"], data["names"]["b"]
    counts = data["counts"]
    verdict = (
        "the same"
        if data["same"]
        else (
            f"different: {counts['only_in_a']} pairs only in {a}, {counts['only_in_b']} only in "
            f"{b}, {counts['changed_recipients']} recipients changed"
        )
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
    for title, header, rows in _compare_sections(data):
        if rows:
            right = {i for i, v in enumerate(rows[0]) if isinstance(v, (int, float))}
            lines += [
                "",
                f"### {title}",
                "",
                *_md_table(header, [["" if v is None else str(v) for v in r] for r in rows], right),
            ]
    return "\n".join(lines) + "\n"


def comparison_xlsx(data: dict[str, Any]) -> bytes:
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
    for title, header, rows in _compare_sections(data):
        sheets[title[:31].replace("/", "_")] = [header, *rows]
    return _xlsx(sheets)
