"""The `pairopt` command line: parse options, call the library, print, exit.

Exit codes (README, "Exit codes"): 0 proven optimal; 1 infeasible; 2 bad input or usage;
3 solver missing or failed; 4 stopped at a limit; 70 internal error; 130 interrupted.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import ExitCode, InputError, PairoptError, Problem

OBJECTIVE_HELP = (
    "distance | weighted_distance | max_distance | balance | minimize:COLUMN | "
    "maximize:COLUMN (a pair-table column)."
)


# The library names scenario keys and API arguments; here the same things are flags.
_FLAG_TERMS = (
    (re.compile(r"\bset solver\.name to (\w+)"), r"use --solver \1"),
    (re.compile(r"\bthe other solver \(solver\.name\)"), "the other solver (--solver)"),
    (re.compile(r"\boverride (?='?[\w.]+)"), "--set "),
    (re.compile(r"\bobjective \(argument\)"), "--objective"),
    (re.compile(r"\bnames='id'"), "--names id"),
)


def in_flags(message: str) -> str:
    """A library message as a command-line user needs it: scenario keys become flags."""
    for pattern, flag in _FLAG_TERMS:
        message = pattern.sub(flag, message)
    return message


def _fail(lines: list[str], code: int) -> None:
    for i, line in enumerate(lines):
        click.echo(("pairopt: " if i == 0 else "") + in_flags(line), err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns pairopt's errors into one message and a documented exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = "--debug" in sys.argv[1:] or bool(ctx.params.get("debug"))
        terminated = False

        def on_sigterm(signum: int, frame: object) -> None:
            nonlocal terminated
            terminated = True
            raise KeyboardInterrupt  # the same clean stop as Ctrl-C

        previous = _install(signal.SIGTERM, on_sigterm)
        try:
            return super().invoke(ctx)
        except PairoptError as exc:
            if debug:
                traceback.print_exc()
            _fail(exc.lines(), int(exc.exit_code))
        except KeyboardInterrupt:
            if terminated:
                _fail(["terminated; no output was written."], int(ExitCode.TERMINATED))
            _fail(["interrupted; no output was written."], int(ExitCode.INTERRUPTED))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            _fail(
                [
                    f"internal error: {type(exc).__name__}: {exc}",
                    "This is a bug in pairopt. Run again with --debug and report the output.",
                ],
                int(ExitCode.INTERNAL_ERROR),
            )
        finally:
            if previous is not None:
                _install(signal.SIGTERM, previous)


def _install(signum: int, handler: Any) -> Any:
    """Set a signal handler where possible (only the main thread may; tests may not be)."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pairopt")
@click.option("--debug", is_flag=True, help="Show Python tracebacks (for bug reports).")
def main(debug: bool) -> None:
    """pairopt: optimal, verified pairing of donors (provinces) to recipients (cities).

    \b
    Examples:
      pairopt solve scenarios/hubei-2020/scenario.yaml
      pairopt solve scenario.yaml --format csv -o pairing.csv
      pairopt check scenario.yaml
      pairopt solvers
    """


def _objective(value: str | None) -> Any:
    if value is None:
        return None
    from .scenario.spec import NAMED_OBJECTIVES, ColumnObjective

    if value in NAMED_OBJECTIVES:
        return value
    sense, _, column = value.partition(":")
    if sense in ("minimize", "maximize") and column.strip():
        return ColumnObjective.model_validate({sense: column.strip()})
    raise InputError(
        [Problem("--objective", f"unknown objective '{value}'.", f"use one of: {OBJECTIVE_HELP}")]
    )


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class StatusLine:
    """A live status line on stderr for solves longer than a second (stdout stays data)."""

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self.shown = False

    def __call__(self, seconds: float, best: float | None, bound: float | None) -> None:
        if seconds < self.delay:
            return
        parts = [f"solving: {seconds:5.1f} s"]
        if best is not None:
            parts.append(f"best {best:.6g}")
        if bound is not None:
            parts.append(f"bound {bound:.6g}")
        if best is not None and bound is not None and best != 0:
            parts.append(f"gap {abs(best - bound) / abs(best):.3%}")
        sys.stderr.write("\r" + "  ".join(parts) + "\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.shown = False
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _need_file_for_xlsx(fmt: str, output: str | None) -> None:
    if fmt == "xlsx" and (output is None or output == "-") and sys.stdout.isatty():
        raise InputError(
            [
                Problem(
                    "--format xlsx",
                    "a workbook is binary and stdout is a terminal.",
                    "add -o report.xlsx.",
                )
            ]
        )


def _load(path: str, overrides: tuple[str, ...] = ()) -> Any:
    from .io.loader import load

    return load(path, list(overrides))


SET_HELP = (
    "What-if override of a scenario value, repeatable: KEY=VALUE with VALUE in YAML, e.g. "
    "rules.max_distance_km=1000, objective=distance, rules.exclude_donors=[Guangdong]."
)

F = TypeVar("F", bound=Callable[..., Any])

# Options shared by several commands, defined once.
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
solver_option = click.option(
    "--solver", type=click.Choice(["highs", "cbc"]), help="Override solver.name."
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the output to this file (atomically) instead of stdout.",
)


def format_option(*choices: str, help: str | None = None) -> Callable[[F], F]:
    """--format with the given choices, the first being the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def time_limit_option(help: str) -> Callable[[F], F]:
    """--time-limit in seconds, overriding solver.time_limit."""
    return click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help=help)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, readable=False))
@format_option(
    "table",
    "csv",
    "json",
    "markdown",
    "xlsx",
    help="table for people; csv or json for scripts; markdown or xlsx (needs -o) for reports.",
)
@output_option
@solver_option
@time_limit_option("Seconds for each solve (overrides solver.time_limit).")
@click.option(
    "--mip-gap",
    type=click.FloatRange(min=0, max=1, max_open=True),
    help="Relative gap accepted as optimal (overrides solver.mip_gap).",
)
@click.option("--objective", help=f"Override the objective: {OBJECTIVE_HELP}")
@set_option
@click.option(
    "--alternatives",
    type=click.IntRange(min=1),
    metavar="K",
    help="The K best distinct pairings, each a proven optimum with the earlier ones cut off.",
)
@click.option(
    "--labels",
    is_flag=True,
    help="CSV: append donor_label,recipient_label (the scenario's display names).",
)
@click.option("--no-timings", is_flag=True, help="Leave run times out, so outputs can be diffed.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def solve(
    scenario: str,
    fmt: str,
    output: str | None,
    solver: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    objective: str | None,
    overrides: tuple[str, ...],
    alternatives: int | None,
    labels: bool,
    no_timings: bool,
    quiet: bool,
) -> None:
    """Find the optimal pairing for SCENARIO (a YAML file) and prove how good it is.

    \b
    Examples:
      pairopt solve scenarios/hubei-2020/scenario.yaml
      pairopt solve scenario.yaml --format json --no-timings > result.json
      pairopt solve scenario.yaml --objective max_distance --time-limit 30
      pairopt solve scenario.yaml --set rules.max_distance_km=1000 --alternatives 5
    """
    from .engine.backends import Status, reporting
    from .engine.pipeline import solve_alternatives, with_options
    from .io.atomic import write_text
    from .report.formats import (
        STATUS_TEXT,
        summary_lines,
        to_csv,
        to_json,
        to_markdown,
        to_table,
        to_xlsx,
    )

    data = with_options(
        _load(scenario, overrides),
        objective=_objective(objective),
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
    )
    _need_file_for_xlsx(fmt, output)
    wanted = alternatives or 1
    status = None if quiet or not _stderr_is_terminal() else StatusLine()
    try:
        with reporting(status):
            results = solve_alternatives(data, wanted)
    finally:
        if status is not None:
            status.clear()
    numbered = alternatives is not None
    timings = not no_timings
    if results[0].status == Status.LIMIT_NO_SOLUTION:
        _fail(
            [
                STATUS_TEXT[results[0].status] + ".",
                "Fix: raise --time-limit, or relax the rules; no output was written.",
            ],
            int(ExitCode.LIMIT_REACHED),
        )
    content: str | bytes
    if fmt == "csv":
        content = to_csv(results, numbered=numbered, labels=labels)
    elif fmt == "json":
        content = to_json(results, timings=timings, numbered=numbered)
    elif fmt == "markdown":
        content = to_markdown(results, timings=timings)
    elif fmt == "xlsx":
        content = to_xlsx(results, timings=timings)
    else:
        to_terminal = output is None and sys.stdout.isatty()
        content = to_table(results, color=to_terminal, timings=timings)
    write_text(content, output)
    if not quiet and (fmt != "table" or output is not None):
        for rank, result in enumerate(results, start=1):
            if numbered:
                click.echo(f"Alternative {rank} of {len(results)}:", err=True)
            for line in summary_lines(result, timings=timings):
                click.echo(line, err=True)
    if len(results) < wanted:
        click.echo(
            f"pairopt: only {len(results)} distinct pairing(s) found: no further pairing "
            "satisfies the rules, or a solve stopped at its limit.",
            err=True,
        )
    if any(r.status != Status.OPTIMAL for r in results):
        click.echo(
            "pairopt: warning: a pairing is NOT proven optimal (stopped at the time "
            "limit); see the gap above. Fix: raise --time-limit or --mip-gap.",
            err=True,
        )
        sys.exit(int(ExitCode.LIMIT_REACHED))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, readable=False))
@click.argument("pairing", type=click.Path(dir_okay=True, readable=False))
@format_option("table", "json", "markdown", "xlsx")
@output_option
@click.option("--vs-optimal", is_flag=True, help="Also solve the scenario and report the gap.")
@set_option
@solver_option
@time_limit_option("Seconds for the optimum's solve (overrides solver.time_limit).")
@click.option("--no-timings", is_flag=True, help="Leave run times out, so outputs can be diffed.")
def evaluate(
    scenario: str,
    pairing: str,
    fmt: str,
    output: str | None,
    vs_optimal: bool,
    overrides: tuple[str, ...],
    solver: str | None,
    time_limit: float | None,
    no_timings: bool,
) -> None:
    """Score PAIRING (a pairing CSV) against SCENARIO: every rule it breaks, its objective,
    loads and coverage. Exit 0 if it satisfies every rule, 1 if it breaks any.

    Empty shares are computed: the split that breaks capacity and coverage least, then
    has the least weighted distance.

    \b
    Examples:
      pairopt evaluate scenarios/hubei-2020/scenario.yaml scenarios/hubei-2020/pairing_2020.csv
      pairopt evaluate scenario.yaml pairing.csv --vs-optimal --format json
    """
    from .checks.verify import evaluate as check_rules
    from .engine.pipeline import complete_pairing, with_options
    from .engine.pipeline import solve as run
    from .errors import InfeasibleError
    from .io.atomic import write_text
    from .io.pairings import read_pairing
    from .report.formats import (
        evaluation_dict,
        evaluation_markdown,
        evaluation_table,
        evaluation_xlsx,
    )

    _need_file_for_xlsx(fmt, output)
    data = with_options(_load(scenario, overrides), solver=solver, time_limit=time_limit)
    rows = read_pairing(pairing, data)
    completion = complete_pairing(data, rows)
    evaluation = check_rules(data, completion.pairing)
    optimum = None
    if vs_optimal:
        try:
            optimum = run(data)
        except InfeasibleError as exc:
            click.echo(
                "pairopt: the scenario itself is infeasible, so there is no optimum to "
                "compare with:",
                err=True,
            )
            for line in exc.lines()[1:]:
                click.echo(in_flags(line), err=True)
    content: str | bytes
    if fmt == "json":
        report = evaluation_dict(
            data, completion, evaluation, pairing, optimum, timings=not no_timings
        )
        content = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "markdown":
        content = evaluation_markdown(data, completion, evaluation, pairing, optimum)
    elif fmt == "xlsx":
        content = evaluation_xlsx(data, completion, evaluation, pairing, optimum)
    else:
        to_terminal = output is None and sys.stdout.isatty()
        content = evaluation_table(
            data, completion, evaluation, pairing, optimum, color=to_terminal
        )
    write_text(content, output)
    if not evaluation.ok:
        click.echo(f"pairopt: {pairing} breaks {len(evaluation.violations)} rule(s).", err=True)
        sys.exit(int(ExitCode.INFEASIBLE))


@main.command()
@click.argument("a", type=click.Path(dir_okay=True, readable=False))
@click.argument("b", type=click.Path(dir_okay=True, readable=False))
@click.option(
    "--scenario",
    type=click.Path(dir_okay=True, readable=False),
    help="Also compare objective values and donor loads under this scenario.",
)
@format_option("table", "json", "markdown", "xlsx")
@output_option
@set_option
def compare(
    a: str, b: str, scenario: str | None, fmt: str, output: str | None, overrides: tuple[str, ...]
) -> None:
    """Compare two pairing CSVs, like diff: pairs only in A, only in B, recipients whose
    donors changed. Exit 0 when they are the same, 1 when they differ.

    \b
    Examples:
      pairopt compare scenarios/hubei-2020/pairing_2020.csv optimum.csv
      pairopt compare a.csv b.csv --scenario scenarios/hubei-2020/scenario.yaml --format json
    """
    from .checks.compare import compare as diff
    from .engine.pipeline import complete_pairing
    from .io.atomic import write_text
    from .io.pairings import read_pairing
    from .report.comparison import comparison_to_dict, comparison_to_text
    from .report.formats import comparison_markdown, comparison_xlsx

    _need_file_for_xlsx(fmt, output)
    data = _load(scenario, overrides) if scenario is not None else None
    if overrides and data is None:
        raise InputError([Problem("--set", "needs --scenario.", "add --scenario SCENARIO.")])
    rows_a, rows_b = read_pairing(a, data), read_pairing(b, data)
    done_a = done_b = None
    if data is not None:
        done_a = complete_pairing(data, rows_a).pairing
        done_b = complete_pairing(data, rows_b).pairing
    result = diff(rows_a, rows_b, data, done_a, done_b, names=(a, b))
    content: str | bytes
    if fmt == "json":
        content = json.dumps(comparison_to_dict(result), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "markdown":
        content = comparison_markdown(comparison_to_dict(result))
    elif fmt == "xlsx":
        content = comparison_xlsx(comparison_to_dict(result))
    else:
        content = f"A = {a}\nB = {b}\n" + comparison_to_text(replace(result, names=("A", "B")))
    write_text(content, output)
    if not result.same:
        sys.exit(int(ExitCode.INFEASIBLE))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, readable=False))
@format_option("text", "json")
@set_option
def check(scenario: str, fmt: str, overrides: tuple[str, ...]) -> None:
    """Load and validate SCENARIO without solving; exit 1 if a conflict is certain.

    \b
    Examples:
      pairopt check scenarios/hubei-2020/scenario.yaml
      pairopt check scenario.yaml --format json
    """
    from .checks.diagnose import summary

    info = summary(_load(scenario, overrides))
    if fmt == "json":
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        share = info["need_share_of_available"]
        click.echo(f"scenario:           {info['scenario']}")
        click.echo(f"donors:             {info['donors']} ({info['excluded_donors']} excluded)")
        click.echo(f"recipients:         {info['recipients']}")
        click.echo(f"pairs allowed:      {info['allowed_pairs']} of {info['candidate_pairs']}")
        click.echo(
            f"total capacity:     {info['total_capacity']:g} "
            f"(available after reserve: {info['available_capacity']:g})"
        )
        click.echo(
            f"total need:         {info['total_need']:g}"
            + (f" ({share:.1%} of available)" if isinstance(share, float) else "")
        )
        conflicts = info["conflicts"]
        assert isinstance(conflicts, list)
        if conflicts:
            click.echo(f"conflicts:          {len(conflicts)} (no pairing can satisfy the rules)")
            for line in conflicts:
                click.echo(f"  - {line}")
        else:
            click.echo("conflicts:          none found (the solver decides the rest)")
    if info["conflicts"]:
        count = len(info["conflicts"]) if isinstance(info["conflicts"], list) else 0
        click.echo(
            f"pairopt: {scenario}: {count} conflict(s); no pairing can satisfy the rules "
            "(listed above).",
            err=True,
        )
        sys.exit(int(ExitCode.INFEASIBLE))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, readable=False))
@click.argument("pairing", required=False, type=click.Path(dir_okay=True, readable=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The image to write: .png or .svg (written atomically).",
)
@click.option(
    "--names",
    type=click.Choice(["id", "label"]),
    default="id",
    show_default=True,
    help="Label places by id or by the scenario's display names (e.g. Chinese).",
)
@set_option
def plot(
    scenario: str, pairing: str | None, output: str, names: str, overrides: tuple[str, ...]
) -> None:
    """Draw a map of a pairing: donors and recipients at their coordinates, a line per
    pair (width by share). Without PAIRING, solves SCENARIO first. Needs matplotlib
    (pip install 'pairopt[plot]').

    \b
    Examples:
      pairopt plot scenarios/hubei-2020/scenario.yaml -o optimum.png
      pairopt plot scenario.yaml pairing_2020.csv -o pairing_2020.svg
    """
    from .engine.pipeline import complete_pairing
    from .engine.pipeline import solve as run
    from .io.atomic import write_text
    from .io.pairings import read_pairing
    from .report.plot import draw

    data = _load(scenario, overrides)
    if pairing is None:
        result = run(data)
        proof = "proven optimal" if result.proven_optimal else "NOT proven optimal"
        chosen, title = result.pairing, f"{data.name}: solved pairing ({proof})"
    else:
        chosen = complete_pairing(data, read_pairing(pairing, data)).pairing
        title = f"{data.name}: {Path(pairing).name}"
    image, warnings = draw(
        data, chosen, Path(output).suffix.lower().lstrip("."), title=title, names=names
    )
    for warning in warnings:
        click.echo(f"pairopt: warning: {in_flags(warning)}", err=True)
    write_text(image, output)
    click.echo(f"wrote {output}", err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario file (for editors and the YAML language server).

    \b
    Example:
      pairopt schema > pairopt.schema.json
    """
    from .scenario.spec import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.argument("folder", type=click.Path(file_okay=True))
def init(folder: str) -> None:
    """Write a small, working example scenario into FOLDER, to copy and edit.

    \b
    Example:
      pairopt init my-scenario && pairopt solve my-scenario/scenario.yaml
    """
    from .io.scaffold import init as scaffold

    for path in scaffold(folder):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"next: pairopt solve {Path(folder) / 'scenario.yaml'}", err=True)


@main.command()
@format_option("text", "json")
def solvers(fmt: str) -> None:
    """List the solvers pairopt can use here, with versions; exit 3 if none can run.

    \b
    Example:
      pairopt solvers
    """
    from .engine.backends import SOLVERS, solver_info

    rows = []
    for name in SOLVERS:
        info = solver_info(name)
        rows.append(
            {"name": name, "available": info is not None, "version": info.version if info else None}
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            state = f"available, version {row['version']}" if row["available"] else "not available"
            click.echo(f"{row['name']:<6} {state}")
    if not any(row["available"] for row in rows):
        sys.exit(int(ExitCode.SOLVER_FAILED))


if __name__ == "__main__":  # pragma: no cover
    main()
