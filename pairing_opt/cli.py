"""The `pairopt` command line: parse options, call the library, print, exit.

Exit codes (README, "Exit codes"): 0 proven optimal; 1 infeasible; 2 bad input or usage;
3 solver missing or failed; 4 stopped at a limit; 70 internal error; 130 interrupted.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

import click

from . import __version__
from .errors import ExitCode, InputError, PairoptError, Problem

OBJECTIVE_HELP = (
    "distance | weighted_distance | max_distance | balance | minimize:COLUMN | "
    "maximize:COLUMN (a pair-table column)."
)


def _fail(lines: list[str], code: int) -> None:
    for line in lines:
        click.echo(f"pairopt: {line}" if line is lines[0] else line, err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns pairopt's errors into one message and a documented exit code, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = "--debug" in sys.argv[1:] or bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except PairoptError as exc:
            if debug:
                traceback.print_exc()
            _fail(exc.lines(), int(exc.exit_code))
        except KeyboardInterrupt:
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
    from .spec import NAMED_OBJECTIVES, ColumnObjective

    if value in NAMED_OBJECTIVES:
        return value
    sense, _, column = value.partition(":")
    if sense in ("minimize", "maximize") and column.strip():
        return ColumnObjective.model_validate({sense: column.strip()})
    raise InputError(
        [Problem("--objective", f"unknown objective '{value}'.", f"use one of: {OBJECTIVE_HELP}")]
    )


def _load(path: str) -> Any:
    from .loader import load

    return load(path)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv or json for scripts.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the output to this file (atomically) instead of stdout.",
)
@click.option("--solver", type=click.Choice(["highs", "cbc"]), help="Override solver.name.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds for the whole solve (overrides solver.time_limit).",
)
@click.option(
    "--mip-gap",
    type=click.FloatRange(min=0, max=1, max_open=True),
    help="Relative gap accepted as optimal (overrides solver.mip_gap).",
)
@click.option("--objective", help=f"Override the objective: {OBJECTIVE_HELP}")
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
    no_timings: bool,
    quiet: bool,
) -> None:
    """Find the optimal pairing for SCENARIO (a YAML file) and prove how good it is.

    \b
    Examples:
      pairopt solve scenarios/hubei-2020/scenario.yaml
      pairopt solve scenario.yaml --format json --no-timings > result.json
      pairopt solve scenario.yaml --objective max_distance --time-limit 30
    """
    from .engine import solve as run
    from .engine import with_options
    from .output import write_text
    from .report import STATUS_TEXT, summary_lines, to_csv, to_json, to_table
    from .solver import Status

    data = with_options(
        _load(scenario),
        objective=_objective(objective),
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
    )
    result = run(data)
    timings = not no_timings
    if result.status == Status.LIMIT_NO_SOLUTION:
        _fail(
            [
                STATUS_TEXT[result.status] + ".",
                "Fix: raise --time-limit, or relax the rules; no output was written.",
            ],
            int(ExitCode.LIMIT_REACHED),
        )
    if fmt == "csv":
        content = to_csv(result)
    elif fmt == "json":
        content = to_json(result, timings=timings)
    else:
        to_terminal = output is None and sys.stdout.isatty()
        content = to_table(result, color=to_terminal, timings=timings)
    write_text(content, output)
    if not quiet and (fmt != "table" or output is not None):
        for line in summary_lines(result, timings=timings):
            click.echo(line, err=True)
    if result.status != Status.OPTIMAL:
        click.echo(
            "pairopt: warning: the pairing is NOT proven optimal (stopped at the time "
            "limit); see the gap above. Fix: raise --time-limit or --mip-gap.",
            err=True,
        )
        sys.exit(int(ExitCode.LIMIT_REACHED))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def check(scenario: str, fmt: str) -> None:
    """Load and validate SCENARIO without solving; exit 1 if a conflict is certain.

    \b
    Examples:
      pairopt check scenarios/hubei-2020/scenario.yaml
      pairopt check scenario.yaml --format json
    """
    from .diagnose import summary

    info = summary(_load(scenario))
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
        sys.exit(int(ExitCode.INFEASIBLE))


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
    from .solver import SOLVERS, solver_info

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
