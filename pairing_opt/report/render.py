"""One entry point for every command's output: a report object, a format name, the bytes.

Each command builds a report (what it found) and calls `render(report, fmt)`. The formats a
report offers are the keys of one dispatch table; `FORMATS` lists them per report, the
default first, so the CLI's --format choices come from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .check import check_text
from .common import dumps
from .comparison import comparison_markdown, comparison_to_dict, comparison_to_text, comparison_xlsx
from .evaluation import evaluation_dict, evaluation_markdown, evaluation_table, evaluation_xlsx
from .pareto import front_csv, front_json, front_table
from .solution import to_csv, to_json, to_markdown, to_table, to_xlsx

if TYPE_CHECKING:
    from ..checks.compare import Comparison
    from ..checks.robust import Robust
    from ..checks.verify import Evaluation
    from ..engine.pareto import FrontPoint
    from ..engine.pipeline import SolveResult
    from ..engine.shares import Completion
    from ..scenario.scenario import Scenario


@dataclass(frozen=True)
class SolveReport:
    """`solve`: the pairings found, best first. `numbered` ranks them (--alternatives) in
    CSV and JSON; `labels` adds the display names to the CSV."""

    results: list[SolveResult]
    numbered: bool = False
    labels: bool = False


@dataclass(frozen=True)
class EvaluationReport:
    """`evaluate`: the pairing read from `source`, completed and checked against
    `scenario`; `optimum` when it was compared with one (--vs-optimal)."""

    scenario: Scenario
    completion: Completion
    evaluation: Evaluation
    source: str
    optimum: SolveResult | None = None
    robust: Robust | None = None  # the pairing across need scenarios (uncertainty)


@dataclass(frozen=True)
class ComparisonReport:
    """`compare`: the table format prints `names` as A and B, then the comparison with A
    and B in their place; the other formats use the comparison's own names."""

    comparison: Comparison
    names: tuple[str, str]


@dataclass(frozen=True)
class CheckReport:
    """`check`: the summary from checks.diagnose.summary."""

    info: dict[str, object]


@dataclass(frozen=True)
class ParetoReport:
    """`pareto`: the front's points, best x first, of terms `x` and `y`."""

    points: list[FrontPoint]
    x: str
    y: str
    scenario: str


@dataclass(frozen=True)
class _Style:
    """How the caller wants it: colour for a terminal, timings left out for diffable output."""

    color: bool = False
    timings: bool = True


Renderer = Callable[[Any, _Style], str | bytes]


def _solve_table(r: SolveReport, s: _Style) -> str:
    return to_table(r.results, color=s.color, timings=s.timings)


def _solve_csv(r: SolveReport, s: _Style) -> str:
    return to_csv(r.results, numbered=r.numbered, labels=r.labels)


def _solve_json(r: SolveReport, s: _Style) -> str:
    return to_json(r.results, timings=s.timings, numbered=r.numbered)


def _solve_markdown(r: SolveReport, s: _Style) -> str:
    return to_markdown(r.results, timings=s.timings)


def _solve_xlsx(r: SolveReport, s: _Style) -> bytes:
    return to_xlsx(r.results, timings=s.timings)


def _evaluation_args(
    r: EvaluationReport,
) -> tuple[Scenario, Completion, Evaluation, str, SolveResult | None]:
    return (r.scenario, r.completion, r.evaluation, r.source, r.optimum)


def _evaluation_table(r: EvaluationReport, s: _Style) -> str:
    return evaluation_table(*_evaluation_args(r), color=s.color, robust=r.robust)


def _evaluation_json(r: EvaluationReport, s: _Style) -> str:
    return dumps(evaluation_dict(*_evaluation_args(r), timings=s.timings, robust=r.robust))


def _evaluation_markdown(r: EvaluationReport, s: _Style) -> str:
    return evaluation_markdown(*_evaluation_args(r), robust=r.robust)


def _evaluation_xlsx(r: EvaluationReport, s: _Style) -> bytes:
    return evaluation_xlsx(*_evaluation_args(r), robust=r.robust)


def _comparison_table(r: ComparisonReport, s: _Style) -> str:
    """Long paths would crowd every line: name them once, then call them A and B."""
    a, b = r.names
    return f"A = {a}\nB = {b}\n" + comparison_to_text(replace(r.comparison, names=("A", "B")))


def _comparison_json(r: ComparisonReport, s: _Style) -> str:
    return dumps(comparison_to_dict(r.comparison))


def _comparison_markdown(r: ComparisonReport, s: _Style) -> str:
    return comparison_markdown(comparison_to_dict(r.comparison))


def _comparison_xlsx(r: ComparisonReport, s: _Style) -> bytes:
    return comparison_xlsx(comparison_to_dict(r.comparison))


def _check_text(r: CheckReport, s: _Style) -> str:
    return check_text(r.info)


def _check_json(r: CheckReport, s: _Style) -> str:
    return dumps(r.info)


def _pareto_table(r: ParetoReport, s: _Style) -> str:
    return front_table(r.points, r.x, r.y, r.scenario, color=s.color)


def _pareto_csv(r: ParetoReport, s: _Style) -> str:
    return front_csv(r.points, r.x, r.y)


def _pareto_json(r: ParetoReport, s: _Style) -> str:
    return front_json(r.points, r.x, r.y, r.scenario)


# Every (report, format) pair and its renderer; each report's first format is its default.
RENDERERS: dict[tuple[type, str], Renderer] = {
    (SolveReport, "table"): _solve_table,
    (SolveReport, "csv"): _solve_csv,
    (SolveReport, "json"): _solve_json,
    (SolveReport, "markdown"): _solve_markdown,
    (SolveReport, "xlsx"): _solve_xlsx,
    (EvaluationReport, "table"): _evaluation_table,
    (EvaluationReport, "json"): _evaluation_json,
    (EvaluationReport, "markdown"): _evaluation_markdown,
    (EvaluationReport, "xlsx"): _evaluation_xlsx,
    (ComparisonReport, "table"): _comparison_table,
    (ComparisonReport, "json"): _comparison_json,
    (ComparisonReport, "markdown"): _comparison_markdown,
    (ComparisonReport, "xlsx"): _comparison_xlsx,
    (CheckReport, "text"): _check_text,
    (CheckReport, "json"): _check_json,
    (ParetoReport, "table"): _pareto_table,
    (ParetoReport, "csv"): _pareto_csv,
    (ParetoReport, "json"): _pareto_json,
}

FORMATS: dict[type, tuple[str, ...]] = {
    kind: tuple(fmt for k, fmt in RENDERERS if k is kind)
    for kind in dict.fromkeys(k for k, _ in RENDERERS)
}

BINARY_FORMATS = frozenset({"xlsx"})


def binary(fmt: str) -> bool:
    """Whether `fmt` renders to bytes (a workbook) rather than text."""
    return fmt in BINARY_FORMATS


def render(report: object, fmt: str, *, color: bool = False, timings: bool = True) -> str | bytes:
    """The report in format `fmt` (one of FORMATS[type(report)]): str for text formats,
    bytes for binary ones. `color` styles tables for a terminal; `timings=False` leaves
    run times out so outputs can be diffed. ValueError for a format the report lacks."""
    renderer = RENDERERS.get((type(report), fmt))
    if renderer is None:
        choices = FORMATS.get(type(report))
        if choices is None:
            kinds = ", ".join(k.__name__ for k in FORMATS)
            raise ValueError(f"cannot render a {type(report).__name__}; reports are: {kinds}.")
        raise ValueError(
            f"unknown format '{fmt}' for {type(report).__name__}; choose one of: "
            f"{', '.join(choices)}."
        )
    return renderer(report, _Style(color=color, timings=timings))
