"""The `pairopt` command line: parse options, call the library, print, exit.

Exit codes (README, "Exit codes"): 0 proven optimal; 1 infeasible; 2 bad input or usage
(also output that cannot be written); 3 solver missing or failed; 4 stopped at a limit;
70 internal error; 130 interrupted; 143 terminated.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from . import __version__
from .errors import ExitCode, InfeasibleError, InputError, PairoptError, Problem
from .report.common import within_gap
from .report.render import (
    FORMATS,
    CheckReport,
    ComparisonReport,
    EvaluationReport,
    ParetoReport,
    SolveReport,
)
from .scenario.spec import NAMED_OBJECTIVES, SOLVER_NAMES

OBJECTIVE_HELP = (
    " | ".join(NAMED_OBJECTIVES) + " | minimize:COLUMN | maximize:COLUMN (a pair-table column)"
    " | a weighted sum TERM=W,TERM=W | an order TERM,TERM (see docs/scenario-format.md)."
)


# The library names scenario keys and API arguments; here the same things are flags.
_FLAG_TERMS = (
    (re.compile(r"\bset solver\.name to (\w+)"), r"use --solver \1"),
    (re.compile(r"\bthe other solver \(solver\.name\)"), "the other solver (--solver)"),
    (re.compile(r"\boverride (?='?[\w.]+)"), "--set "),
    (re.compile(r"\bobjective \(argument\)"), "--objective"),
    (re.compile(r"\bincumbent \(argument\)"), "--incumbent"),
    (re.compile(r"\bsolver \(argument\)"), "--solver"),
    (re.compile(r"\btime_limit \(argument\)"), "--time-limit"),
    (re.compile(r"\bmip_gap \(argument\)"), "--mip-gap"),
    (re.compile(r"\bnames='id'"), "--names id"),
    (re.compile(r"\b(samples|seed|workers|perturb|vary) \(argument\)"), r"--\1"),
    (re.compile(r"\bout \(argument\)"), "-o"),
    (re.compile(r"\bpairs_out \(argument\)"), "--pairs-out"),
    (re.compile(r"\bpairings \(argument\)"), "--pairing"),
    (re.compile(r"\bsamples and perturb go together"), "--samples and --perturb go together"),
)


def in_flags(message: str) -> str:
    """A library message as a command-line user needs it: scenario keys become flags."""
    for pattern, flag in _FLAG_TERMS:
        message = pattern.sub(flag, message)
    return message


def _fail(lines: list[str], code: int) -> None:
    for i, line in enumerate(lines):
        _say(("pairopt: " if i == 0 else "") + in_flags(line))
    sys.exit(code)


def _say(message: str) -> None:
    """A line on stderr. When stderr cannot take it (closed, full, a closed pipe) there is
    nowhere left to tell, so the run goes on to its exit code."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(message, err=True)


def _prepare_streams() -> None:
    """At the process boundary: a closed fd 0, 1 or 2 gets /dev/null, so no file opened later
    takes its number (solver logs must never land in an output file); text the stdout or
    stderr encoding cannot hold (Chinese labels under an ASCII locale) is escaped; a stream
    Python found closed (sys.stdout None) becomes one that fails on writing."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    from .io.atomic import ESCAPE, ClosedStream

    if sys.stdout is None:  # library code may flush it; writing the output will fail
        sys.stdout = ClosedStream()
    if sys.stderr is None:
        sys.stderr = ClosedStream()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # io.TextIOWrapper's
        if reconfigure is not None:
            with contextlib.suppress(OSError, ValueError):
                reconfigure(errors=ESCAPE)  # like backslashreplace, with ASCII table rules


def _settle_streams() -> None:
    """Flush stdout and stderr now; one that cannot take it (a closed pipe, a full disk) is
    pointed at /dev/null, so that Python's own flush at exit neither fails nor prints."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            with contextlib.suppress(OSError, ValueError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, stream.fileno())
                os.close(null)


class _Group(click.Group):
    """Turns pairopt's errors into one message and a documented exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = "--debug" in sys.argv[1:] or bool(ctx.params.get("debug"))
        terminated = stopped = False

        def stopping() -> None:
            # A second Ctrl-C or SIGTERM (a terminal's Ctrl-C under `timeout` sends two)
            # would break into the clean stop under way: a traceback at exit, or click's
            # "Aborted!" and exit 1. The stop is bounded (workers and solvers are ended
            # within seconds), so later signals are ignored, up to the process's exit.
            nonlocal stopped
            stopped = True
            _install(signal.SIGINT, signal.SIG_IGN)
            _install(signal.SIGTERM, signal.SIG_IGN)

        def on_sigterm(signum: int, frame: object) -> None:
            nonlocal terminated
            terminated = True
            stopping()
            raise KeyboardInterrupt  # the same clean stop as Ctrl-C

        def on_sigint(signum: int, frame: object) -> None:
            stopping()
            raise KeyboardInterrupt

        previous = _install(signal.SIGTERM, on_sigterm)
        previous_int = _install(signal.SIGINT, on_sigint)
        _prepare_streams()
        try:
            return super().invoke(ctx)
        except PairoptError as exc:
            if debug:
                traceback.print_exc()
            _fail(exc.lines(), int(exc.exit_code))
        except KeyboardInterrupt as exc:
            kept = getattr(exc, "kept", "no output was written.")
            if terminated:
                _fail([f"terminated; {kept}"], int(ExitCode.TERMINATED))
            _fail([f"interrupted; {kept}"], int(ExitCode.INTERRUPTED))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except MemoryError:  # the input is larger than this machine: not a bug in pairopt
            if debug:
                traceback.print_exc()
            _fail(
                [
                    "1 problem in the input:",
                    "  - memory: the scenario is too large for this machine's memory; no "
                    "output was written. Fix: reduce the tables (a pair table with only the "
                    "possible pairs), or lower PAIROPT_MAX_PAIRS / PAIROPT_MAX_TABLE_MB so "
                    "pairopt refuses such input up front.",
                ],
                int(ExitCode.BAD_INPUT),
            )
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
            _settle_streams()
            if not stopped:  # else the exit, with the pool's threads joined, is still ahead
                if previous is not None:
                    _install(signal.SIGTERM, previous)
                if previous_int is not None:
                    _install(signal.SIGINT, previous_int)


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
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("\r" + "  ".join(parts) + "\x1b[K")
            sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.shown = False
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()


def _output(
    report: type, fmt: str, output: str | None, inputs: Sequence[str | None] = ()
) -> tuple[str, list[Problem]]:
    """The format to write (--format if given, else the one -o's extension implies, else
    the default) and every problem with it and with -o (a path that is one of the `inputs`
    included), found before any work is done."""
    from .io.atomic import choose_format, input_clashes, output_problems

    context = click.get_current_context()
    source = context.get_parameter_source("fmt")
    given = None if source is ParameterSource.DEFAULT else fmt
    problems = output_problems(output) + input_clashes(output, _read_files(inputs))
    try:
        fmt = choose_format(output, given, FORMATS[report])
    except InputError as exc:
        problems.extend(exc.problems)
    stdout = output is None or output == "-"
    if fmt == "xlsx" and stdout and sys.stdout is not None and sys.stdout.isatty():
        problems.append(
            Problem(
                "--format xlsx",
                "a workbook is binary and stdout is a terminal.",
                "add -o report.xlsx.",
            )
        )
    return fmt, problems


def _read_files(inputs: Sequence[str | None]) -> list[str]:
    """The files this command reads: `inputs`, and the --incumbent and --need-scenario
    files when the command takes them (-o naming one would destroy it)."""
    params = click.get_current_context().params
    extra = [params.get("incumbent"), *(params.get("need_scenarios") or ())]
    return [p for p in [*inputs, *extra] if p]


def _load(
    path: str,
    overrides: tuple[str, ...] = (),
    problems: list[Problem] | None = None,
    output: str | None = None,
    robust: str | None = None,
    objective: str | None = None,
) -> Any:
    """The scenario; the problems found before (with -o, --format) are reported with the
    scenario's own, all at once, and -o may not name one of the scenario's tables.
    `objective` (--objective) and `robust` (--robust) are the last overrides, so the file
    and --set are checked with them (the file's own objective is not checked when
    --objective replaces it: it may need distances the scenario does not have)."""
    from .api import load
    from .io.atomic import input_clashes
    from .scenario.validation import parse_objective

    earlier = list(problems or [])
    last: tuple[str, ...] = ()
    if objective is not None:  # the flag's own forms are checked as the flag's
        try:
            parse_objective(objective)
            # quoted: the flag's text is the objective's text form, never YAML ('minimize:
            # cost,weighted_distance' is not a mapping, and a '#' is no comment)
            last += (f"objective={json.dumps(objective)}",)
        except InputError as exc:
            earlier += exc.problems
    last += (f"uncertainty.robust={robust}",) if robust is not None else ()
    try:
        data = load(path, (*overrides, *last))
    except InputError as exc:
        found = [_flag_of(p) for p in exc.problems] if last else exc.problems
        raise InputError([*earlier, *found]) from exc
    earlier += [p for p in input_clashes(output, data.inputs) if p not in earlier]
    if earlier:
        raise InputError(earlier)
    return data


def _flag_of(problem: Problem) -> Problem:
    """A problem located at the override --robust or --objective added, located at the
    flag (each sets its key last, over any --set)."""
    where = re.sub(r"^override uncertainty\.robust\b", "--robust", problem.where)
    where = re.sub(r"^override objective\b", "--objective", where)
    return Problem(where, problem.what, problem.fix)


def _emit(report: object, fmt: str, output: str | None, *, timings: bool = True) -> None:
    """Render the report and write it to stdout or, atomically, to the -o file."""
    from .io.atomic import write_text
    from .report.render import render

    color = fmt == "table" and output is None and sys.stdout.isatty()
    write_text(render(report, fmt, color=color, timings=timings), output)


SET_HELP = (
    "What-if override of a scenario value, repeatable: KEY=VALUE with VALUE in YAML, e.g. "
    "rules.max_distance_km=1000, objective=distance, rules.exclude_donors=[Guangdong]."
)

F = TypeVar("F", bound=Callable[..., Any])

# Options shared by several commands, defined once.
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
solver_option = click.option(
    "--solver", type=click.Choice(list(SOLVER_NAMES)), help="Override solver.name."
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),  # folders and devices are refused in io.atomic
    help="Write the output to this file (atomically) instead of stdout; the format follows "
    "the extension (.csv, .json, ... : the choices of --format) unless --format is given.",
)
incumbent_option = click.option(
    "--incumbent",
    type=click.Path(dir_okay=True, readable=False),
    metavar="FILE",
    help="The pairing in place (a pairing CSV), counted against by the changes term and "
    "rules.max_changes (overrides the scenario's incumbent).",
)
need_scenario_option = click.option(
    "--need-scenario",
    "need_scenarios",
    multiple=True,
    type=click.Path(dir_okay=True, readable=False),
    metavar="FILE",
    help="A need scenario (repeatable): a table of the recipients' ids and needs, columns "
    "named as in the recipients table. One pairing is chosen for all need scenarios "
    "(uncertainty: in docs/scenario-format.md).",
)
robust_option = click.option(
    "--robust",
    type=click.Choice(["full", "worst", "mean"]),
    help="How need scenarios are combined (overrides uncertainty.robust): full covers every "
    "one, worst and mean price shortfall (rules.coverage).",
)
no_timings_option = click.option(
    "--no-timings", is_flag=True, help="Leave run times out, so outputs can be diffed."
)
scenario_argument = click.argument("scenario", type=click.Path(dir_okay=True, readable=False))


def format_option(report: type, help: str | None = None) -> Callable[[F], F]:
    """--format with the choices the report offers (report.render.FORMATS), default first."""
    choices = FORMATS[report]
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def _finite(example: str) -> Callable[[click.Context, click.Parameter, float | None], Any]:
    """A callback refusing nan and inf, which click's FloatRange lets through."""

    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            flag = param.opts[-1]
            raise InputError(
                [
                    Problem(
                        flag,
                        f"'{value}' is not a finite number.",
                        f"give a number such as {flag} {example}, or leave it out to keep "
                        "the scenario's own.",
                    )
                ]
            )
        return value

    return check


mip_gap_option = click.option(
    "--mip-gap",
    type=click.FloatRange(min=0, max=1, max_open=True),
    callback=_finite("0.01"),
    help="Relative gap accepted as optimal (overrides solver.mip_gap).",
)


def time_limit_option(help: str) -> Callable[[F], F]:
    """--time-limit in seconds, overriding solver.time_limit."""
    return click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        callback=_finite("60"),
        help=help,
    )


@main.command()
@scenario_argument
@format_option(
    SolveReport,
    help="table for people; csv or json for scripts; markdown or xlsx (needs -o) for reports.",
)
@output_option
@solver_option
@time_limit_option(
    "Seconds for the whole solve; with --alternatives, for each one (overrides solver.time_limit)."
)
@mip_gap_option
@click.option("--objective", help=f"Override the objective: {OBJECTIVE_HELP}")
@incumbent_option
@set_option
@need_scenario_option
@robust_option
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
@no_timings_option
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def solve(
    scenario: str,
    fmt: str,
    output: str | None,
    alternatives: int | None,
    labels: bool,
    no_timings: bool,
    quiet: bool,
    overrides: tuple[str, ...],
    **options: Any,
) -> None:
    """Find the optimal pairing for SCENARIO (a YAML file) and prove how good it is.

    \b
    Examples:
      pairopt solve scenarios/hubei-2020/scenario.yaml
      pairopt solve scenario.yaml --format json --no-timings > result.json
      pairopt solve scenario.yaml --objective max_distance --time-limit 30
      pairopt solve scenario.yaml --set rules.max_distance_km=1000 --alternatives 5
    """

    fmt, problems = _output(SolveReport, fmt, output, [scenario])
    objective = options.pop("objective", None)
    data = _load(scenario, overrides, problems, output, options.get("robust"), objective)
    result = _solve(data, quiet, alternatives=alternatives or 1, **options)
    numbered, timings = alternatives is not None, not no_timings
    _emit(SolveReport(list(result.solutions), numbered, labels), fmt, output, timings=timings)
    if not quiet and (fmt != "table" or output is not None):
        _print_summaries(result, numbered, timings)
    _end_of_solve(result, alternatives or 1)


def _solve(data: Any, quiet: bool, **options: Any) -> Any:
    """Solve with a live status line on a terminal; stop with the documented exit code
    when there is no pairing to print."""
    from .api import solve
    from .report.common import STATUS_TEXT

    status = None if quiet or not _stderr_is_terminal() else StatusLine()
    try:
        result = solve(data, progress=status, **options)
    finally:
        if status is not None:
            status.clear()
    if result.status == "infeasible":
        raise InfeasibleError(list(result.reasons), result.fix)
    if result.status == "no_solution":
        text = STATUS_TEXT[result.solutions[0].status]
        fix = "Fix: raise --time-limit, or relax the rules; no output was written."
        _fail([text + ".", fix], int(ExitCode.LIMIT_REACHED))
    return result


def _print_summaries(result: Any, numbered: bool, timings: bool) -> None:
    from .report.solution import summary_lines

    for rank, solution in enumerate(result.solutions, start=1):
        if numbered:
            _say(f"Alternative {rank} of {len(result.solutions)}:")
        for line in summary_lines(solution, timings=timings):
            _say(line)


def _end_of_solve(result: Any, wanted: int) -> None:
    """Say when fewer pairings were found than asked, and exit 4 unless all are proven."""
    found = len(result.solutions)
    if found < wanted:
        _say(
            f"pairopt: only {found} distinct pairing(s) found: no further pairing "
            "satisfies the rules, or a solve stopped at its limit."
        )
    if any(not s.proven_optimal for s in result.solutions):
        _say(
            "pairopt: warning: a pairing is NOT proven optimal (stopped at the time "
            "limit); see the gap above. Fix: raise --time-limit or --mip-gap."
        )
        sys.exit(int(ExitCode.LIMIT_REACHED))


@main.command()
@scenario_argument
@click.argument("pairing", type=click.Path(dir_okay=True, readable=False))
@format_option(EvaluationReport)
@output_option
@click.option("--vs-optimal", is_flag=True, help="Also solve the scenario and report the gap.")
@incumbent_option
@set_option
@solver_option
@time_limit_option("Seconds for the optimum's solve (overrides solver.time_limit).")
@need_scenario_option
@robust_option
@no_timings_option
def evaluate(
    scenario: str,
    pairing: str,
    fmt: str,
    output: str | None,
    vs_optimal: bool,
    overrides: tuple[str, ...],
    no_timings: bool,
    **options: Any,
) -> None:
    """Score PAIRING (a pairing CSV) against SCENARIO: every rule it breaks, its objective,
    loads and coverage. Exit 0 if it satisfies every rule, 1 if it breaks any.

    Empty shares are computed: the split that breaks capacity and coverage least, then
    (under a shortfall term) leaves the least need uncovered, then has the least weighted
    distance.

    \b
    Examples:
      pairopt evaluate scenarios/hubei-2020/scenario.yaml scenarios/hubei-2020/pairing_2020.csv
      pairopt evaluate scenario.yaml pairing.csv --vs-optimal --format json
    """
    from .api import configure
    from .api import evaluate as score

    fmt, problems = _output(EvaluationReport, fmt, output, [scenario, pairing])
    data = configure(_load(scenario, overrides, problems, output, options.get("robust")), **options)
    found = score(data, pairing)
    _notes(found.notes)
    if vs_optimal:
        found = found.against(_optimum(data))
    optimum = found.optimum.solutions[0] if found.optimum is not None else None
    parts = (data, found.completion, found.check, pairing, optimum)
    _emit(EvaluationReport(*parts, robust=found.robust), fmt, output, timings=not no_timings)
    if not found.ok:
        _say(f"pairopt: {pairing} breaks {len(found.violations)} rule(s).")
        sys.exit(int(ExitCode.INFEASIBLE))


def _notes(notes: Sequence[str]) -> None:
    """What reading the input did that the user should know (a column read by label), on
    stderr: stdout carries the report only."""
    for note in notes:
        _say(f"pairopt: note: {in_flags(note)}")


def _optimum(data: Any) -> Any:
    """The optimum to compare with, or None (said on stderr) when the scenario has none."""
    from .api import solve

    result = solve(data)
    if result.status != "infeasible":
        return result
    _say("pairopt: the scenario itself is infeasible, so there is no optimum to compare with:")
    for line in InfeasibleError(list(result.reasons), result.fix).lines()[1:]:
        _say(in_flags(line))
    return None


@main.command()
@click.argument("a", type=click.Path(dir_okay=True, readable=False))
@click.argument("b", type=click.Path(dir_okay=True, readable=False))
@click.option(
    "--scenario",
    type=click.Path(dir_okay=True, readable=False),
    help="Also compare objective values and donor loads under this scenario.",
)
@format_option(ComparisonReport)
@output_option
@incumbent_option
@set_option
def compare(
    a: str,
    b: str,
    scenario: str | None,
    fmt: str,
    output: str | None,
    incumbent: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Compare two pairing CSVs, like diff: pairs only in A, only in B, recipients whose
    donors changed. Exit 0 when they are the same, 1 when they differ.

    \b
    Examples:
      pairopt compare scenarios/hubei-2020/pairing_2020.csv optimum.csv
      pairopt compare a.csv b.csv --scenario scenarios/hubei-2020/scenario.yaml --format json
    """
    from .api import compare as differ
    from .api import configure

    fmt, problems = _output(ComparisonReport, fmt, output, [a, b, scenario])
    for flag, given in (("--set", overrides), ("--incumbent", incumbent)):
        if given and scenario is None:
            problems.append(Problem(flag, "needs --scenario.", "add --scenario SCENARIO."))
    data = _load(scenario, overrides, problems, output) if scenario is not None else None
    if problems and data is None:
        raise InputError(problems)
    if data is not None and incumbent is not None:
        data = configure(data, incumbent=incumbent)
    result = differ(a, b, data, names=(a, b))
    _notes(result.notes)
    _emit(ComparisonReport(result.differences, (a, b)), fmt, output)
    if not result.same:
        sys.exit(int(ExitCode.INFEASIBLE))


@main.command()
@scenario_argument
@format_option(CheckReport)
@set_option
def check(scenario: str, fmt: str, overrides: tuple[str, ...]) -> None:
    """Load and validate SCENARIO without solving; exit 1 if a conflict is certain.

    \b
    Examples:
      pairopt check scenarios/hubei-2020/scenario.yaml
      pairopt check scenario.yaml --format json
    """
    from .api import check as diagnose

    info = diagnose(_load(scenario, overrides))
    _emit(CheckReport(info), fmt, None)
    conflicts = info["conflicts"]
    if conflicts:
        count = len(conflicts) if isinstance(conflicts, list) else 0
        _say(
            f"pairopt: {scenario}: {count} conflict(s); no pairing can satisfy the rules "
            "(listed above)."
        )
        sys.exit(int(ExitCode.INFEASIBLE))


@main.command()
@scenario_argument
@click.argument("pairing", required=False, type=click.Path(dir_okay=True, readable=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),  # folders and devices are refused in io.atomic
    help="The image to write: .png or .svg (written atomically).",
)
@click.option(
    "--names",
    type=click.Choice(["id", "label"]),
    default="label",
    show_default=True,
    help="Label places by the scenario's display names (e.g. Chinese; ids when no CJK "
    "font is installed) or by id.",
)
@click.option(
    "--vs",
    type=click.Path(dir_okay=True, readable=False),
    help="Draw the difference from this pairing: pairs only in PAIRING (or the optimum), "
    "only in this one, and in both.",
)
@set_option
def plot(
    scenario: str,
    pairing: str | None,
    output: str,
    names: str,
    vs: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Draw a map of a pairing on China's province outlines: donors and recipients at
    their coordinates, a line per pair (width by share, colour by donor), the recipients
    enlarged in a second panel when they cluster. Without PAIRING, solves SCENARIO first.
    PAIRING may also be a sweep's pair-stability table (pairopt sweep --pairs-out; it has
    a fraction column): line opacity then shows how often each pair was used. Needs
    pip install 'pairopt[plot]'.

    \b
    Examples:
      pairopt plot scenarios/hubei-2020/scenario.yaml -o optimum.png
      pairopt plot scenario.yaml pairing_2020.csv -o pairing_2020.svg
      pairopt plot scenario.yaml pairing_2020.csv --vs optimum.csv -o difference.png
      pairopt plot scenario.yaml stability.csv -o stability.png
    """
    from .io.atomic import input_clashes, output_problems, write_text
    from .report.plot import draw, image_problems, read_frequencies

    inputs = [scenario, *(f for f in (pairing, vs) if f)]
    fmt = Path(output).suffix.lower().lstrip(".")
    early = output_problems(output) + input_clashes(output, inputs) + image_problems(fmt)
    data = _load(scenario, overrides, early, output)
    frequencies = read_frequencies(pairing, data) if pairing is not None else None
    if frequencies is not None and vs is not None:
        raise InputError(
            [
                Problem(
                    "--vs",
                    f"{pairing} is a pair-stability table (it has a fraction column), "
                    "not a pairing to compare.",
                    "draw the table on its own, or compare two pairings.",
                )
            ]
        )
    if frequencies is not None:
        chosen, other = frequencies, None
        title, sides = f"{data.name}: {Path(str(pairing)).name} (pair stability)", ("", "")
    else:
        chosen, title, first = _plotted_pairing(data, pairing)
        other, sides = None, (first, "")
        if vs is not None:
            other, _, second = _plotted_pairing(data, vs)
            sides = (first, second)
            title = f"{data.name}: {first} vs {second}"
    image, warnings = draw(data, chosen, fmt, title=title, names=names, vs=other, sides=sides)
    for warning in warnings:
        _say(f"pairopt: warning: {in_flags(warning)}")
    write_text(image, output)
    _say(f"wrote {output}")


def _plotted_pairing(data: Any, pairing: str | None) -> tuple[list[Any], str, str]:
    """The pairing to draw, its title and its short name: the file's (shares completed)
    or the optimum."""
    from .api import evaluate as score
    from .api import solve

    if pairing is not None:
        name = Path(pairing).name
        return list(score(data, pairing).pairs), f"{data.name}: {name}", name
    result = solve(data)
    if result.status == "infeasible":
        raise InfeasibleError(list(result.reasons), result.fix)
    within = within_gap(result.scenario.solver.mip_gap)
    proof = f"proven optimal{within}" if result.proven_optimal else "NOT proven optimal"
    return list(result.pairs), f"{data.name}: solved pairing ({proof})", "the optimum"


@main.command()
@scenario_argument
@click.option("--x", "x", required=True, metavar="TERM", help="The term on the x axis.")
@click.option("--y", "y", required=True, metavar="TERM", help="The term on the y axis.")
@click.option(
    "--points",
    type=click.IntRange(min=2, max=200),
    default=10,
    show_default=True,
    help="How many points to aim for (the two ends included); equal pairings count once.",
)
@format_option(ParetoReport, help="table for people; csv or json for scripts.")
@output_option
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=True),
    metavar="FILE",
    help="Also draw the front to FILE (.png or .svg; needs matplotlib).",
)
@incumbent_option
@set_option
@solver_option
@time_limit_option("Seconds for each point's solve (overrides solver.time_limit).")
@mip_gap_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")
def pareto(
    scenario: str,
    x: str,
    y: str,
    points: int,
    fmt: str,
    output: str | None,
    plot_file: str | None,
    overrides: tuple[str, ...],
    quiet: bool,
    **options: Any,
) -> None:
    """The Pareto front of two objective terms for SCENARIO: the pairings where neither
    term can improve without the other getting worse, by the epsilon-constraint method.
    Each point is proven optimal for its subproblem or marked with its gap. Exit 0 when
    every point is proven, 4 when a limit stopped a solve.

    \b
    Examples:
      pairopt pareto scenario.yaml --x changes --y weighted_distance --incumbent now.csv
      pairopt pareto scenario.yaml --x weighted_distance --y fairness --points 6 \\
          --format csv -o front.csv --plot front.png --mip-gap 0.01
    """
    from .api import pareto as front
    from .io.atomic import input_clashes, output_problems, write_text
    from .report.pareto import front_summary
    from .report.plot import draw_front, image_problems

    fmt, problems = _output(ParetoReport, fmt, output, [scenario])
    if plot_file is not None:
        suffix = Path(plot_file).suffix.lower().lstrip(".")
        problems += output_problems(plot_file, "--plot", "front.png")
        problems += input_clashes(plot_file, [scenario], "--plot")
        problems += [replace(p, where="--plot") for p in image_problems(suffix)]
        if output not in (None, "-") and os.path.realpath(output) == os.path.realpath(plot_file):
            problems.append(
                Problem(
                    f"--plot {plot_file}",
                    "is also the -o file: the picture would replace the front.",
                    "give the picture a name of its own, e.g. front.png.",
                )
            )
    data = _load(scenario, overrides, problems, output)
    bar = CountProgress("front") if _stderr_is_terminal() and not quiet else None
    start = time.perf_counter()
    try:
        found = front(data, x, y, points=points, progress=bar, **options)
    finally:
        if bar is not None:
            bar.stop()
    seconds = time.perf_counter() - start
    x, y = found.x, found.y  # as the objective forms read them ('minimize:cost')
    if not found.points:  # every end stopped before it found a pairing, as solve's would
        _fail(
            [
                "stopped at the time limit before any pairing was found.",
                "Fix: raise --time-limit, or relax the rules; no output was written.",
            ],
            int(ExitCode.LIMIT_REACHED),
        )
    _emit(ParetoReport(list(found.points), x, y, data.name), fmt, output)
    if plot_file is not None:
        marks = [(p.x, p.y, p.proven_optimal) for p in found.points]
        title = f"Pareto front of {x} and {y} ({len(marks)} points)\n{data.name}"
        write_text(draw_front(marks, x, y, suffix, title=title), plot_file)
        _say(f"wrote {plot_file}")
    if not quiet:
        _say(front_summary(list(found.points), x, y, seconds))
    unproven = [i for i, p in enumerate(found.points, start=1) if not p.proven_optimal]
    if unproven:
        _say(
            f"pairopt: warning: point(s) {', '.join(map(str, unproven))} NOT proven optimal "
            "(a solve stopped at its limit); see the gap. Fix: raise --time-limit, or "
            "accept a gap with --mip-gap."
        )
    if found.unfound:
        _say(
            f"pairopt: warning: {found.unfound} of the front's solves stopped at the time "
            "limit before finding any pairing: their points are missing. Fix: raise "
            "--time-limit."
        )
    if unproven or found.unfound:
        sys.exit(int(ExitCode.LIMIT_REACHED))


class CountProgress:
    """A rich progress bar on stderr while a sweep's runs or a front's solves end (only on
    a terminal): `label`, done of total, time left."""

    def __init__(self, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.label = label
        self.bar = Progress(
            label,
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.task is not None:
            self.bar.stop()


def _named_pairings(texts: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    problems = []
    for text in texts:
        name, sep, path = text.partition("=")
        if not sep or not name.strip() or not path.strip():
            problems.append(
                Problem(f"--pairing {text}", "expected NAME=FILE.", "e.g. official=pairing.csv")
            )
        elif name.strip() in found:  # one of the two would be dropped without a word
            problems.append(
                Problem(
                    f"--pairing {text}",
                    f"the name '{name.strip()}' is given twice.",
                    "give each pairing its own name.",
                )
            )
        else:
            found[name.strip()] = path.strip()
    if problems:
        raise InputError(problems)
    return found


# The worst kind of run decides the exit code: an invalid what-if, a failed run, a limit.
_SWEEP_EXITS = (
    ("error", ExitCode.BAD_INPUT),
    ("failed", ExitCode.SOLVER_FAILED),
    ("solver_failed", ExitCode.SOLVER_FAILED),
    ("time_limit", ExitCode.LIMIT_REACHED),
    ("no_solution", ExitCode.LIMIT_REACHED),
)


@main.command()
@scenario_argument
@click.option(
    "--vary",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Values of a scenario key to sweep, repeatable (KEY as in --set); every "
    "combination is one run.",
)
@click.option("--samples", type=click.IntRange(min=1), help="Perturbed samples per combination.")
@click.option(
    "--perturb",
    multiple=True,
    metavar="KEY=DIST",
    help="How samples perturb: recipients.need or donors.capacity (.RESOURCE for one) = "
    "lognormal:SIGMA or uniform:LO,HI (factors), repeatable.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=True),
    help="The runs CSV, one row per run, appended as runs finish; the same command "
    "again runs only what is missing.",
)
@click.option(
    "--pairs-out",
    type=click.Path(dir_okay=True),
    metavar="FILE",
    help="Also write each pair's share of the runs that use it (CSV).",
)
@click.option(
    "--pairing",
    "pairings",
    multiple=True,
    metavar="NAME=FILE",
    help="A pairing to score in every run (columns NAME_objective, NAME_gap, NAME_broken, "
    "NAME_short), repeatable.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Worker processes (default: the cores)."
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786); needs "
    "the extra pairopt[dask].",
)
@set_option
@time_limit_option("Seconds for each run's solve (overrides solver.time_limit).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")
def sweep(
    scenario: str,
    vary: tuple[str, ...],
    samples: int | None,
    perturb: tuple[str, ...],
    seed: int,
    output: str,
    pairs_out: str | None,
    pairings: tuple[str, ...],
    workers: int | None,
    dask: str | None,
    overrides: tuple[str, ...],
    time_limit: float | None,
    quiet: bool,
) -> None:
    """Solve many what-ifs of SCENARIO as one command: every combination of --vary values,
    each with --samples perturbed needs, and write one row per run to -o. Exit 0 when
    every run is proven (optimal or infeasible); otherwise 2 if a run's what-if is
    invalid, 3 if a run failed, 4 if a run stopped at a limit.

    \b
    Examples:
      pairopt sweep scenario.yaml --vary recipients.need_scale=0.5,1,1.5 -o runs.csv
      pairopt sweep scenario.yaml --samples 100 --perturb recipients.need=lognormal:0.2 \\
          --seed 1 --pairing official=pairing.csv --pairs-out pairs.csv -o runs.csv
      pairopt sweep scenario.yaml --vary rules.max_distance_km=800,1200 \\
          --dask tcp://scheduler:8786 -o runs.csv
    """
    from .sweeps.store import stream_path
    from .sweeps.sweeper import sweep as run_sweep

    bar = CountProgress("sweep") if _stderr_is_terminal() and not quiet else None
    try:
        done = run_sweep(
            scenario,
            output,
            vary=vary,
            samples=samples,
            perturb=perturb,
            seed=seed,
            overrides=overrides,
            pairings=_named_pairings(pairings),
            workers=workers,
            dask=dask,
            time_limit=time_limit,
            pairs_out=pairs_out,
            progress=bar,
        )
    except KeyboardInterrupt as exc:
        kept = stream_path(Path(output))  # a Parquet sweep's rows are in <out>.part.csv
        if kept.exists():
            exc.kept = (  # type: ignore[attr-defined]
                f"the runs that finished are kept in {kept}: run the same command to "
                "finish the sweep."
            )
        raise
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        for line in done.lines():
            _say(line)
        if done.pairs_out is not None:
            _say(f"wrote {done.pairs_out}")
    for status, code in _SWEEP_EXITS:
        if done.summary.statuses.get(status):
            sys.exit(int(code))


@main.command()
@scenario_argument
@click.argument("pairing", required=False, type=click.Path(dir_okay=True, readable=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),  # folders and devices are refused in io.atomic
    help="The HTML file to write (atomically); stdout without it.",
)
@click.option(
    "--names",
    type=click.Choice(["id", "label"]),
    default="label",
    show_default=True,
    help="Name the map's places by the scenario's display names (e.g. Chinese; ids where "
    "no CJK font is installed) or by id; the tables show both.",
)
@click.option("--no-map", is_flag=True, help="Leave the map out (it needs matplotlib).")
@incumbent_option
@set_option
@solver_option
@time_limit_option("Seconds for the optimum's solve (overrides solver.time_limit).")
def report(
    scenario: str,
    pairing: str | None,
    output: str | None,
    names: str,
    no_map: bool,
    overrides: tuple[str, ...],
    **options: Any,
) -> None:
    """Write one self-contained HTML page for people: the optimum, or PAIRING (a pairing
    CSV) evaluated and compared with the optimum. Summary, map, pairing, donor loads,
    recipient coverage, rules broken, metrics; it opens with no network and prints to PDF.
    Exit 0 when the optimum is proven (with PAIRING: when it keeps every rule), 1 when the
    scenario is infeasible (the pairing breaks a rule), 4 when a limit stopped the solve.

    \b
    Examples:
      pairopt report scenarios/hubei-2020/scenario.yaml -o optimum.html
      pairopt report scenarios/hubei-2020/scenario.yaml \\
          scenarios/hubei-2020/pairing_2020.csv -o pairing_2020.html
    """
    from .api import configure, report_html
    from .io.atomic import input_clashes, output_problems, write_text
    from .report.common import STATUS_TEXT
    from .report.html import html_problems

    inputs = _read_files([scenario, pairing])
    early = output_problems(output) + input_clashes(output, inputs) + html_problems(output)
    data = configure(_load(scenario, overrides, early, output), **options)
    made = report_html(data, pairing, names=names, draw_map=not no_map)
    if made.evaluation is not None:
        _notes(made.evaluation.notes)
    for warning in made.warnings:
        _say(f"pairopt: warning: {in_flags(warning)}")
    write_text(made.html, output)
    if output not in (None, "-"):
        _say(f"wrote {output}")
    optimum = made.optimum
    if made.evaluation is not None:
        if optimum.status == "infeasible":
            _say("pairopt: the scenario itself is infeasible: there is no optimum to compare with.")
        elif not optimum.proven_optimal:
            _say(
                "pairopt: warning: the optimum compared with is NOT proven optimal (a limit "
                "stopped its solve). Fix: raise --time-limit."
            )
        if not made.evaluation.ok:
            _say(f"pairopt: {pairing} breaks {len(made.evaluation.violations)} rule(s).")
            sys.exit(int(ExitCode.INFEASIBLE))
    elif optimum.status == "infeasible":
        _fail(InfeasibleError(list(optimum.reasons), optimum.fix).lines(), int(ExitCode.INFEASIBLE))
    elif not optimum.proven_optimal:
        text = STATUS_TEXT[optimum.solutions[0].status]
        _fail([f"{text}. Fix: raise --time-limit."], int(ExitCode.LIMIT_REACHED))


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario file (for editors and the YAML language server).

    \b
    Example:
      pairopt schema > pairopt.schema.json
    """
    from .io.atomic import write_stdout
    from .scenario.spec import json_schema

    write_stdout(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")


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
        _say(f"wrote {path}")
    _say(f"next: pairopt solve {Path(folder) / 'scenario.yaml'}")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def solvers(fmt: str) -> None:
    """List the solvers pairopt can use here, with versions; exit 3 if none can run.

    \b
    Example:
      pairopt solvers
    """
    from .api import solvers as available
    from .io.atomic import write_stdout

    rows = available()
    if fmt == "json":
        write_stdout(json.dumps(rows, indent=2) + "\n")
    for row in rows if fmt == "text" else []:
        state = f"available, version {row['version']}" if row["available"] else "not available"
        write_stdout(f"{row['name']:<6} {state}\n")
    if not any(row["available"] for row in rows):
        sys.exit(int(ExitCode.SOLVER_FAILED))


if __name__ == "__main__":  # pragma: no cover
    main()
