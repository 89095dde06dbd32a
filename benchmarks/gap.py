"""GAP benchmark: pairopt against a plain PuLP model (CBC, HiGHS) and CP-SAT (2 workers),
same instances, same time limit, side by side.

    python -m benchmarks.gap [FOLDER] [--groups or,abc] [--time-limit 60] [--csv FILE]

FOLDER holds the instance files and best_known.csv (default: ../shared/benchmarks/gap next
to the repository). Every instance becomes a pairopt scenario in memory (donors = agents,
recipients = jobs with need 1, a pair table with load and cost) and is solved through
`pairing_opt.scenario.scenario.build` + `pairing_opt.engine.pipeline.solve`. One row per
instance and solver goes to the CSV; a summary with totals and pairopt's ratios to each
peer is printed.
Solvers run one after the other, never at the same time.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import machine
from .gap_data import DEFAULT_FOLDER, GROUPS, GapInstance, gap_to_best, select
from .gap_solvers import SOLVERS, Run, cpsat_available, runner

RESULTS = Path(__file__).resolve().parent / "results"
CSV_COLUMNS = (
    "set",
    "file",
    "index",
    "name",
    "agents",
    "jobs",
    "sense",
    "best_known",
    "best_proven",
    "solver",
    "status",
    "objective",
    "bound",
    "gap_to_best_pct",
    "seconds",
    "solve_seconds",
    "cpu_seconds",
    "verified",
    "time_limit",
    "note",
)


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def _warm_up(solvers: Sequence[str]) -> None:
    """One tiny solve per solver, so that imports and first-call costs stay out of the
    timed runs."""
    tiny = GapInstance(
        file="warm-up",
        index=1,
        name="warm-up",
        cost=np.array([[1, 2, 3], [3, 2, 1]]),
        resource=np.array([[1, 1, 1], [1, 1, 1]]),
        capacity=np.array([2, 2]),
        sense="min",
        best_known=None,
        best_proven=False,
    )
    for name in solvers:
        runner(name)(tiny, 10.0)


def row(inst: GapInstance, run: Run, time_limit: float) -> dict[str, object]:
    data = asdict(run)
    return {
        "set": inst.kind,
        "file": inst.file,
        "index": inst.index,
        "name": inst.name,
        "agents": inst.m,
        "jobs": inst.n,
        "sense": inst.sense,
        "best_known": inst.best_known,
        "best_proven": inst.best_proven,
        "solver": run.solver,
        "status": run.status,
        "objective": data["objective"],
        "bound": data["bound"],
        "gap_to_best_pct": gap_to_best(inst, run.objective),
        "seconds": round(run.seconds, 4),
        "solve_seconds": None if run.solve_seconds is None else round(run.solve_seconds, 4),
        "cpu_seconds": None if run.cpu_seconds is None else round(run.cpu_seconds, 4),
        "verified": run.verified,
        "time_limit": time_limit,
        "note": run.note,
    }


def run_all(
    instances: list[GapInstance],
    solvers: Sequence[str],
    time_limit: float,
    out: Path | None,
    progress: bool = True,
) -> list[dict[str, object]]:
    _warm_up(solvers)
    rows: list[dict[str, object]] = []
    writer = None
    handle = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = out.open("w", newline="")
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
    try:
        for inst in instances:
            line = []
            for name in solvers:
                run = runner(name)(inst, time_limit)
                r = row(inst, run, time_limit)
                rows.append(r)
                if writer is not None and handle is not None:
                    writer.writerow(r)
                    handle.flush()
                line.append(f"{name} {run.status} {_fmt(run.objective, 0)} {run.seconds:.2f}s")
            if progress:
                print(f"{inst.name:<9} {inst.m}x{inst.n:<5} " + " | ".join(line), flush=True)
    finally:
        if handle is not None:
            handle.close()
    return rows


def summary(rows: list[dict[str, object]], solvers: Sequence[str]) -> str:
    """Totals per instance set and over all: proven optimal, total seconds, mean gap to the
    best known value; then pairopt's total time as a ratio to each peer's."""
    sets = sorted({str(r["set"]) for r in rows}, key=lambda s: (s != "OR", s))
    lines = []
    header = (
        f"{'set':<5} {'solver':<11} {'inst':>4} {'optimal':>7} {'no sol':>6} "
        f"{'total s':>9} {'mean gap %':>10} {'max gap %':>9} {'verified':>8}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    totals: dict[tuple[str, str], float] = {}
    for group in [*sets, "all"]:
        for name in solvers:
            sel = [r for r in rows if r["solver"] == name and (group == "all" or r["set"] == group)]
            if not sel:
                continue
            optimal = sum(1 for r in sel if r["status"] == "optimal")
            nosol = sum(1 for r in sel if r["objective"] is None)
            total = sum(float(r["seconds"]) for r in sel)  # type: ignore[arg-type]
            totals[(group, name)] = total
            gaps = [float(r["gap_to_best_pct"]) for r in sel if r["gap_to_best_pct"] is not None]  # type: ignore[arg-type]
            mean_gap = sum(gaps) / len(gaps) if gaps else None
            max_gap = max(gaps) if gaps else None
            verified = sum(1 for r in sel if r["verified"])
            lines.append(
                f"{group:<5} {name:<11} {len(sel):>4} {optimal:>7} {nosol:>6} {total:>9.2f} "
                f"{_fmt(mean_gap, 4):>10} {_fmt(max_gap, 4):>9} {verified:>8}"
            )
        lines.append("")
    if "pairopt" in solvers:
        lines.append("pairopt total time / peer total time (same instances, same limit):")
        for group in [*sets, "all"]:
            parts = []
            for name in solvers:
                if name == "pairopt" or (group, name) not in totals:
                    continue
                mine, theirs = totals[(group, "pairopt")], totals[(group, name)]
                parts.append(f"vs {name} {mine / theirs:.2f}x" if theirs > 0 else f"vs {name} -")
            if parts:
                lines.append(f"  {group:<5} " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gap",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Groups: " + "; ".join(f"{k}: {v}" for k, v in GROUPS.items()),
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DEFAULT_FOLDER,
        help="folder with the instance files and best_known.csv "
        "(default: ../shared/benchmarks/gap relative to the repository root)",
    )
    parser.add_argument(
        "--groups", default="or,abc", help="comma-separated groups (default: or,abc)"
    )
    parser.add_argument(
        "--names", help="comma-separated instance names (e.g. c515-1,d05100); overrides --groups"
    )
    parser.add_argument(
        "--sense",
        choices=("primary", "min", "max"),
        default="primary",
        help="objective sense: primary = the set's own (max for gap1..12, min for A-E)",
    )
    parser.add_argument("--max-jobs", type=int, help="only instances with at most this many jobs")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per instance and solver (60)"
    )
    parser.add_argument(
        "--solvers",
        default=",".join(SOLVERS),
        help=f"comma-separated subset of {','.join(SOLVERS)} (default: all; cpsat is "
        "skipped with a note when ortools is missing)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        help="where to write one row per instance and solver "
        "(default: benchmarks/results/gap_<groups>.csv)",
    )
    args = parser.parse_args(argv)
    folder: Path = args.folder.resolve()
    if not (folder / "best_known.csv").exists():
        parser.error(f"{folder} has no best_known.csv (give the GAP folder as the argument)")
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    for s in solvers:
        if s not in SOLVERS:
            parser.error(f"unknown solver '{s}'; use {','.join(SOLVERS)}")
    if "cpsat" in solvers and not cpsat_available():
        print("note: ortools is not installed; CP-SAT skipped (pip install -e '.[bench]')")
        solvers.remove("cpsat")
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    names = [n.strip() for n in args.names.split(",")] if args.names else None
    instances = select(folder, groups, names, args.sense, args.max_jobs)
    if not instances:
        parser.error("no instance matches the selection")
    tag = "names" if names else "_".join(groups)
    out = args.csv if args.csv is not None else RESULTS / f"gap_{tag}.csv"
    print(f"machine: {machine.describe()}")
    print(
        f"{len(instances)} instance(s) from {folder}; solvers {', '.join(solvers)}; "
        f"time limit {args.time_limit:g} s each; gap 0 for all"
        + ("; CP-SAT with 2 workers" if "cpsat" in solvers else "")
    )
    rows = run_all(instances, solvers, args.time_limit, out)
    print()
    print(summary(rows, solvers))
    print(f"\nload average after the run: {machine.load_average()}")
    print(f"rows written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
