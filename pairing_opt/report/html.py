"""The report a person reads and sends on: one self-contained HTML page (`pairopt report`).

Everything is inline (the map as SVG, the style sheet; no script, no font or image to
fetch), so the file opens offline and prints to PDF from a browser, each section from a
new page. Every text that comes from the inputs (ids, labels, file names, messages) is
escaped. The same inputs give the same bytes: no dates, no run times.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks.metrics import METRIC_NAMES
from ..checks.robust import Robust
from ..checks.verify import Assignment, Evaluation, Violation
from ..engine.backends import Status
from ..engine.pipeline import SolveResult
from ..engine.shares import Completion
from ..errors import InputError, Problem, SolverError
from ..scenario.scenario import Scenario
from ..scenario.spec import objective_name
from .common import (
    PAIR_COLUMNS,
    STATUS_TEXT,
    Column,
    coverage_columns,
    coverage_rows,
    display_name,
    donor_label,
    is_short,
    levels_text,
    load_columns,
    load_rows,
    metrics_dict,
    pair_rows,
    proof_text,
    recipient_label,
    resource_pair_columns,
    resource_pair_rows,
    shortfalls,
    text,
    within_gap,
)
from .evaluation import evaluation_dict, shares_computed
from .robust import robust_columns, robust_objective, robust_rows, robust_title
from .solution import summary_fields

HTML_SUFFIXES = (".html", ".htm")

METRIC_MEANINGS = {
    "utilisation_spread": "largest gap in utilisation (load / capacity left after the "
    "reserve) between two donors able to serve",
    "utilisation_gini": "Gini coefficient of the donors' utilisations: 0 is an even burden",
    "capacity_need_spearman": "rank correlation over the pairs of donor strength and "
    "recipient severity: high when strong donors serve hard-hit recipients",
    "split_recipients": "recipients served by two or more donors",
    "changes": "pairs added plus pairs dropped against the pairing in place",
    "shortfall": "need left uncovered",
}


@dataclass(frozen=True)
class Figure:
    """A picture in the report: inline SVG markup and its caption."""

    svg: str
    caption: str


@dataclass(frozen=True)
class Evaluated:
    """A given pairing, read from `source`, completed and checked against the scenario;
    `violations` are the rules it breaks (with need scenarios, under any of them)."""

    source: str
    completion: Completion
    check: Evaluation
    violations: tuple[Violation, ...]
    robust: Robust | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class HtmlReport:
    """What the page shows: the solve (`status`, its best pairing `optimum` when it found
    one, `reasons` and `fix` when it is infeasible) and, for a given pairing, `evaluated`,
    compared with the optimum. `figures` are the maps; `map_note` says why there is none."""

    scenario: Scenario
    status: str
    optimum: SolveResult | None = None
    reasons: tuple[str, ...] = ()
    fix: str = ""
    evaluated: Evaluated | None = None
    figures: tuple[Figure, ...] = ()
    map_note: str = ""


def html_problems(path: str | None) -> list[Problem]:
    """Why `path` is not a name for the report (empty for stdout or a .html file)."""
    if path is None or path == "-" or Path(path).suffix.lower() in HTML_SUFFIXES:
        return []
    fix = "name a .html file"
    if Path(path).suffix.lower() == ".pdf":
        fix += ", open it in a browser and print it to PDF"
    return [Problem(f"-o {path}", "the report is an HTML page.", fix + ".")]


# --------------------------------------------------------------------------- the map


def map_figure(
    scenario: Scenario, pairing: list[Assignment], caption: str, names: str = "label"
) -> tuple[Figure | None, list[str]]:
    """The pairing's map as a figure (report.plot.draw as SVG), and warnings for the user.
    A report is still worth having without a map: a missing matplotlib, or no coordinates,
    gives None and a warning instead of an error."""
    from .plot import draw

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # matplotlib's own (missing glyphs): draw says it
            image, said = draw(scenario, pairing, "svg", title=caption, names=names)
    except (SolverError, InputError) as exc:
        reason = " ".join(line.strip(" -") for line in exc.lines())
        return None, [f"the map is left out: {reason}"]
    return Figure(inline_svg(image, "map"), caption), said


def inline_svg(image: bytes, prefix: str) -> str:
    """matplotlib's SVG file as markup to put in a page: no XML prolog, metadata or
    comments, and its ids prefixed so two figures in one page cannot clash."""
    markup = image.decode("utf-8")
    markup = markup[markup.find("<svg") :]
    markup = re.sub(r"<metadata>.*?</metadata>\s*", "", markup, flags=re.S)
    markup = re.sub(r"<!--.*?-->\s*", "", markup, flags=re.S)
    markup = re.sub(r'(\bid="|href="#|url\(#)', rf"\g<1>{prefix}-", markup)
    return markup.strip()


# --------------------------------------------------------------------------- markup


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fields(rows: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="fields">{items}</dl>'


def _head(columns: Sequence[Column]) -> str:
    cells = "".join(f"<th{' class=num' if right else ''}>{_e(h)}</th>" for h, right in columns)
    return f"<thead><tr>{cells}</tr></thead>"


def _cells(columns: Sequence[Column], row: Sequence[str]) -> str:
    return "".join(
        f"<td{' class=num' if right else ''}>{_e(c)}</td>"
        for (_, right), c in zip(columns, row, strict=True)
    )


def _table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    ident: str,
    marked: Sequence[bool] = (),
    mark: str = "bad",
) -> str:
    """A table; rows whose `marked` entry is true get the class `mark` (bad: a rule is
    broken there)."""
    body = "".join(
        f"<tr{f' class={mark}' if i < len(marked) and marked[i] else ''}>"
        f"{_cells(columns, row)}</tr>"
        for i, row in enumerate(rows)
    )
    return f'<table id="{ident}">{_head(columns)}<tbody>{body}</tbody></table>'


def _section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}">\n<h2>{_e(title)}</h2>\n{body}\n</section>'


def _p(value: str, cls: str = "") -> str:
    return f"<p{f' class={cls}' if cls else ''}>{_e(value)}</p>"


# --------------------------------------------------------------------------- sections


def _verdict(report: HtmlReport) -> tuple[str, str]:
    """The one sentence at the top, and its tone: ok, warn or bad."""
    evaluated, optimum = report.evaluated, report.optimum
    if evaluated is not None:
        broken = len(evaluated.violations)
        head = (
            f"{evaluated.source} satisfies every rule"
            if evaluated.ok
            else f"{evaluated.source} breaks {broken} rule{'s' if broken != 1 else ''}"
        )
        if optimum is None:
            return f"{head}; there is no optimum to compare with.", "bad" if broken else "warn"
        data = _optimum_data(report)
        verdict = str(data["verdict"])
        if data["comparable"]:
            tail = f"its objective is {verdict.removesuffix(' from it')} from the optimum's"
        elif verdict.startswith("breaks"):  # the head has said it breaks rules
            tail = verdict.split(": ", 1)[-1]
        else:
            tail = f"it {verdict}"
        return f"{head}; {tail}.", "ok" if evaluated.ok else "bad"
    if report.status == Status.OPTIMAL.value and optimum is not None:
        verified = "verified against every rule" if optimum.evaluation.ok else "NOT verified"
        within = within_gap(optimum.scenario.solver.mip_gap)
        return f"Optimal pairing{within}, proven by the solver and {verified}.", "ok"
    if report.status == Status.LIMIT_FEASIBLE.value:
        return "A pairing NOT proven optimal: the solver stopped at its time limit.", "warn"
    if report.status == Status.INFEASIBLE.value:
        return "Infeasible: no pairing satisfies the rules.", "bad"
    return STATUS_TEXT[Status(report.status)].capitalize() + ".", "bad"


def _optimum_data(report: HtmlReport) -> dict[str, object]:
    assert report.evaluated is not None and report.optimum is not None
    e = report.evaluated
    data = evaluation_dict(
        report.scenario,
        e.completion,
        e.check,
        e.source,
        report.optimum,
        timings=False,
        robust=e.robust,
    )
    optimum: dict[str, object] = data["optimum"]
    return optimum


def _solve_fields(solution: SolveResult) -> list[tuple[str, str]]:
    """The solve's summary as `solve` prints it (no run time), with the verdict of the
    independent verifier on a line of its own."""
    rows = [(k, v) for k, v in summary_fields(solution, timings=False) if k != "Metrics"]
    verified = (
        "yes: pairopt's own verifier checked the pairing against every rule"
        if solution.evaluation.ok
        else "no"
    )
    at = next(i for i, (k, _) in enumerate(rows) if k == "Solver") + 1
    return [*rows[:at], ("Verified", verified), *rows[at:]]


def _summary(report: HtmlReport) -> str:
    if report.evaluated is None:
        if report.optimum is None:
            rows = [("Status", STATUS_TEXT[Status(report.status)])]
            reasons = "".join(f"<li>{_e(r)}</li>" for r in report.reasons)
            body = _fields(rows) + (f"<ul class=reasons>{reasons}</ul>" if reasons else "")
            return _section("summary", "Summary", body + (_p(report.fix) if report.fix else ""))
        return _section("summary", "Summary", _fields(_solve_fields(report.optimum)))
    e, scenario = report.evaluated, report.scenario
    used = len({a.donor for a in e.completion.pairing})
    rows = [
        (
            "Pairing",
            f"{e.source}: {len(e.completion.pairing)} pairs; {used} of "
            f"{len(scenario.donors)} donors used; {len(scenario.recipients)} recipients",
        ),
        ("Rules", "all satisfied" if e.ok else f"{len(e.violations)} broken"),
        ("Objective", _objective(scenario, e.check)),
    ]
    if shortfalls(e.check) or not scenario.full_coverage:
        short = ", ".join(
            f"{text(v, 2)}{' ' + k if k else ''}" for k, v in e.check.shortfall.items() if v > 0
        )
        rows.append(("Shortfall", f"uncovered need {short or 'none'}"))
    if e.robust is not None:
        rows.append(
            (
                "Robust",
                f"{robust_objective(e.robust, e.robust.outcomes[0].scenario)} = "
                f"{text(e.robust.value, 4)} (worst: {e.robust.worst.name})",
            )
        )
    if e.completion.computed:
        rows.append(("Shares", shares_computed(scenario).split(": ", 1)[1]))
    if report.optimum is not None:
        proof = proof_text(report.optimum.status, report.optimum.scenario.solver.mip_gap)
        rows.append(("Optimum", f"{text(report.optimum.objective_value, 4)} ({proof})"))
    elif report.status == Status.INFEASIBLE.value:
        rows.append(("Optimum", "none: the scenario itself is infeasible"))
    else:
        rows.append(("Optimum", f"none: {STATUS_TEXT[Status(report.status)]}"))
    body = _fields(rows)
    if report.optimum is None and report.reasons:
        body += "<ul class=reasons>" + "".join(f"<li>{_e(r)}</li>" for r in report.reasons)
        body += "</ul>"
    return _section("summary", "Summary", body)


def _objective(scenario: Scenario, check: Evaluation) -> str:
    levels = levels_text(scenario.objective, check)
    if levels is not None:
        return f"{objective_name(scenario.objective)} (by level) = {levels}"
    return f"{objective_name(scenario.objective)} = {text(check.score(scenario.objective), 4)}"


def _donors_of(pairing: list[Assignment]) -> dict[str, list[Assignment]]:
    found: dict[str, list[Assignment]] = {}
    for a in pairing:
        found.setdefault(a.recipient, []).append(a)
    return found


def _comparison(report: HtmlReport) -> str:
    """The given pairing against the optimum: the optimum's proof, the two side by side,
    and recipient by recipient where their donors differ."""
    assert report.evaluated is not None and report.optimum is not None
    e, best, scenario = report.evaluated, report.optimum, report.scenario
    data = _optimum_data(report)
    ours, theirs = e.completion.pairing, best.pairing
    mine, other = (
        metrics_dict(scenario, ours, e.check),
        metrics_dict(best.scenario, theirs, best.evaluation),
    )

    def cell(value: float | int | None, decimals: int = 4) -> str:
        return "" if value is None else text(float(value), decimals)

    difference = data["difference"]
    relative = data["relative_difference"]
    rows = [
        [
            objective_name(scenario.objective),
            cell(e.check.score(scenario.objective)),
            cell(best.objective_value),
            ""
            if not isinstance(difference, float)
            else text(difference, 4)
            + (f" ({relative:+.2%})" if isinstance(relative, float) else ""),
        ],
        [
            "rules broken",
            str(len(e.violations)),
            str(len(best.evaluation.violations)),
            "",
        ],
        ["pairs", str(len(ours)), str(len(theirs)), ""],
        [
            "donors used",
            str(len({a.donor for a in ours})),
            str(len({a.donor for a in theirs})),
            "",
        ],
        *(
            [key, cell(mine[key]), cell(other[key]), ""]
            for key in METRIC_NAMES
            if mine[key] is not None or other[key] is not None
        ),
    ]
    columns: list[Column] = [
        ("", False),
        ("this pairing", True),
        ("optimum", True),
        ("difference", True),
    ]
    side = _table(columns, rows, ident="side-by-side")
    by = _donors_of(ours), _donors_of(theirs)
    changed = []
    diff_rows = []
    for r in scenario.recipients:
        donors = [sorted(a.donor for a in side_[r]) if r in side_ else [] for side_ in by]
        changed.append(donors[0] != donors[1])
        diff_rows.append(
            [
                display_name(r, recipient_label(scenario, r)),
                *(
                    ", ".join(
                        f"{display_name(a.donor, donor_label(scenario, a.donor))} "
                        f"({text(a.share, 2)})"
                        for a in side_.get(r, [])
                    )
                    for side_ in by
                ),
                "changed" if donors[0] != donors[1] else "same",
            ]
        )
    pairs = [{(a.donor, a.recipient) for a in p} for p in (ours, theirs)]
    count = (
        f"{sum(changed)} of {len(changed)} recipients have other donors in the optimum; "
        f"{len(pairs[0] - pairs[1])} pairs are only in this pairing, "
        f"{len(pairs[1] - pairs[0])} only in the optimum, {len(pairs[0] & pairs[1])} in both."
    )
    recipient_columns: list[Column] = [
        ("Recipient", False),
        ("Donors in this pairing (share)", False),
        ("Donors in the optimum (share)", False),
        ("", False),
    ]
    body = (
        _fields(_solve_fields(best))
        + _p(f"This pairing {'is ' if data['comparable'] else ''}{data['verdict']}.")
        + side
        + "<h3>Recipient by recipient</h3>"
        + _p(count)
        + _table(recipient_columns, diff_rows, ident="differences", marked=changed, mark="changed")
    )
    return _section("comparison", "Against the optimum", body)


def _map(report: HtmlReport) -> str:
    if not report.figures:
        return _section("map", "Map", _p(report.map_note or "No map.", "note"))
    parts = []
    for figure in report.figures:
        parts.append(f"<figure>{figure.svg}<figcaption>{_e(figure.caption)}</figcaption></figure>")
    return _section("map", "Map", "".join(parts))


def _rules(report: HtmlReport) -> str:
    assert report.evaluated is not None
    violations = report.evaluated.violations
    if not violations:
        return _section("rules", "Rules broken", _p("None: the pairing satisfies every rule."))
    columns: list[Column] = [
        ("Rule", False),
        ("Donor", False),
        ("Recipient", False),
        ("Amount", True),
        ("What", False),
    ]
    rows = [
        [v.rule, v.donor or "", v.recipient or "", text(v.amount, 2), v.message] for v in violations
    ]
    return _section("rules", "Rules broken", _table(columns, rows, ident="violations"))


def _pairing(
    scenario: Scenario, pairing: list[Assignment], check: Evaluation, source: str | None
) -> str:
    """One row per pair, the recipient's name and need shown once per recipient, a pair
    that breaks a rule highlighted; each row names its pair in data- attributes, for
    scripts and tests."""
    broken = {(v.donor, v.recipient) for v in check.violations}
    multi = scenario.multi_resource
    columns = resource_pair_columns(scenario) if multi else PAIR_COLUMNS
    if multi:
        rows = resource_pair_rows(scenario, pairing)
        firsts = 1
    else:
        rows = [list(r) for r in pair_rows(scenario, pairing)]
        firsts = 2
    spans: list[int] = []  # how many rows each recipient's block has
    for i, a in enumerate(pairing):
        if i and a.recipient == pairing[i - 1].recipient:
            spans[-1] += 1
        else:
            spans.append(1)
    body, i = [], 0
    for span in spans:
        for j in range(span):
            a, row = pairing[i + j], rows[i + j]
            attrs = f' data-donor="{_e(a.donor)}" data-recipient="{_e(a.recipient)}"'
            attrs += " class=bad" if (a.donor, a.recipient) in broken else ""
            if j == 0:
                lead = "".join(
                    f"<td rowspan={span}{' class=num' if right else ''}>{_e(c)}</td>"
                    for (_, right), c in zip(columns[:firsts], row[:firsts], strict=True)
                )
            else:
                lead = ""
            body.append(f"<tr{attrs}>{lead}{_cells(columns[firsts:], row[firsts:])}</tr>")
        i += span
    table = f'<table id="pairs">{_head(columns)}<tbody>{"".join(body)}</tbody></table>'
    lead = _p(f"From {source}.", "note") if source else ""
    return _section("pairing", "Pairing", lead + table)


def _loads(scenario: Scenario, check: Evaluation) -> str:
    shown = [x for x in check.donors if x.recipients or x.load]  # the rows load_rows keeps
    over = [math.isfinite(x.utilisation) and x.utilisation > 1 + 1e-9 for x in shown]
    over = [o or not math.isfinite(x.utilisation) for o, x in zip(over, shown, strict=True)]
    table = _table(load_columns(check), load_rows(scenario, check), ident="loads", marked=over)
    idle = [
        display_name(d, donor_label(scenario, d))
        for d in scenario.donors
        if not any(x.donor == d and (x.recipients or x.load) for x in check.donors)
    ]
    note = _p(f"Not used ({len(idle)}): {', '.join(idle)}.", "note") if idle else ""
    return _section("loads", "Donor load", table + note)


def _coverage(scenario: Scenario, check: Evaluation) -> str:
    short = [is_short(c) for c in check.recipients]
    rows = coverage_rows(scenario, check)
    table = _table(coverage_columns(scenario, check), rows, ident="coverage", marked=short)
    return _section("coverage", "Recipient coverage", table)


def _need_scenarios(robust: Robust, rules: bool) -> str:
    table = _table(robust_columns(rules), robust_rows(robust, rules), ident="need-table")
    return _section("need-scenarios", robust_title(robust), table)


def _metrics(report: HtmlReport) -> str:
    """The JSON `metrics` of solve and evaluate, with what each means."""
    columns: list[Column] = [("Metric", False), ("Meaning", False)]
    tables = []
    if report.evaluated is not None:
        e = report.evaluated
        found = metrics_dict(report.scenario, e.completion.pairing, e.check)
        tables.append(("this pairing", found))
    if report.optimum is not None:
        best = report.optimum
        name = "optimum" if report.evaluated is not None else "value"
        tables.append((name, metrics_dict(best.scenario, best.pairing, best.evaluation)))
    columns += [(name, True) for name, _ in tables]
    rows = [
        [
            key,
            METRIC_MEANINGS[key],
            *("n/a" if m[key] is None else text(float(m[key] or 0), 4) for _, m in tables),
        ]
        for key in METRIC_NAMES
        if any(m[key] is not None for _, m in tables)  # changes: only against an incumbent
    ]
    return _section("metrics", "Metrics", _table(columns, rows, ident="metrics-table"))


STYLE = """
:root { --ink: #1c2430; --muted: #5a6472; --line: #d9dee5; --head: #f2f4f7;
  --ok: #1d7a35; --warn: #a35a00; --bad: #b42318; --bad-bg: #fdeceb; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1120px; padding: 28px 36px 48px; color: var(--ink);
  font: 15px/1.45 system-ui, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
  "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif; }
header h1 { font-size: 1.55em; margin: 0 0 4px; }
.sub, .note, figcaption, footer { color: var(--muted); }
.sub { margin: 0; }
nav { margin: 14px 0 0; font-size: .9em; }
nav a { color: var(--muted); margin-right: 14px; text-decoration: none; }
nav a:hover { text-decoration: underline; }
.verdict { margin: 18px 0 0; padding: 10px 14px; border-left: 6px solid var(--muted);
  background: #f6f8fa; font-weight: 600; }
.verdict.ok { border-color: var(--ok); }
.verdict.warn { border-color: var(--warn); }
.verdict.bad { border-color: var(--bad); background: var(--bad-bg); }
section { margin-top: 34px; }
h2 { font-size: 1.2em; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.02em; margin: 20px 0 6px; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px;
  margin: 0 0 12px; }
dl.fields dt { font-weight: 600; color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
ul.reasons { margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: .92em;
  font-variant-numeric: tabular-nums; }
th, td { padding: 4px 9px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: var(--head); font-weight: 600; }
.num { text-align: right; white-space: nowrap; }
tr.bad td { background: var(--bad-bg); }
tr.changed td { background: #fff6e0; }
figure { margin: 0; }
figure svg { display: block; width: 100%; height: auto; max-height: 92vh; }
figcaption { font-size: .9em; margin-top: 4px; }
footer { margin-top: 40px; padding-top: 8px; border-top: 1px solid var(--line); font-size: .85em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  section { margin-top: 0; break-before: page; page-break-before: always; }
  header + section { break-before: auto; page-break-before: auto; margin-top: 24px; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, .verdict, dl.fields, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  figure svg { max-height: 235mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

SECTION_TITLES = {
    "summary": "Summary",
    "comparison": "Against the optimum",
    "map": "Map",
    "rules": "Rules broken",
    "pairing": "Pairing",
    "loads": "Donor load",
    "coverage": "Recipient coverage",
    "need-scenarios": "Need scenarios",
    "metrics": "Metrics",
}


def html_page(report: HtmlReport) -> str:
    """The report as one HTML page (see the module docstring)."""
    from .. import __version__  # here: the package imports this module while it starts

    scenario, evaluated, optimum = report.scenario, report.evaluated, report.optimum
    sections = [("summary", _summary(report))]
    shown = evaluated.completion.pairing if evaluated else optimum.pairing if optimum else None
    check = evaluated.check if evaluated else optimum.evaluation if optimum else None
    robust = evaluated.robust if evaluated else optimum.robust if optimum else None
    if evaluated is not None and optimum is not None:
        sections.append(("comparison", _comparison(report)))
    if shown is not None and check is not None:
        sections.append(("map", _map(report)))
        if evaluated is not None:
            sections.append(("rules", _rules(report)))
        source = evaluated.source if evaluated else None
        sections.append(("pairing", _pairing(scenario, shown, check, source)))
        sections.append(("loads", _loads(scenario, check)))
        sections.append(("coverage", _coverage(scenario, check)))
        if robust is not None:
            sections.append(("need-scenarios", _need_scenarios(robust, evaluated is not None)))
        sections.append(("metrics", _metrics(report)))
    if evaluated is not None:
        subtitle = f"Evaluation of {evaluated.source}"
    elif optimum is not None:
        subtitle = "The optimal pairing" if optimum.proven_optimal else "The best pairing found"
    else:
        subtitle = "No pairing"
    sentence, tone = _verdict(report)
    nav = " ".join(f'<a href="#{i}">{_e(SECTION_TITLES[i])}</a>' for i, _ in sections)
    body = "\n".join(markup for _, markup in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="pairopt {_e(__version__)}">\n'
        f"<title>{_e(scenario.name)}: {_e(subtitle)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{_e(scenario.name)}</h1>\n{_p(subtitle, 'sub')}\n"
        f'<p class="verdict {tone}">{_e(sentence)}</p>\n<nav>{nav}</nav>\n</header>\n'
        f"{body}\n"
        f"<footer>Made by pairopt {_e(__version__)} (pairopt report). Every pairing shown "
        "was checked by pairopt's own verifier against the scenario's rules.</footer>\n"
        "</body>\n</html>\n"
    )
