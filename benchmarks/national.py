"""Solve synthetic national-scale scenarios and time each stage of pairopt's pipeline.

    python -m benchmarks.national [DIR] [--levels prefecture,county] [--time-limit 60]

Without DIR, the scenarios are generated first (benchmarks/synthetic.py, fixed seed) into a
temporary folder that is removed afterwards; with DIR, every DIR/*/scenario.yaml is solved.
Each scenario runs in a fresh Python process, so that its peak memory (getrusage ru_maxrss,
the whole process: interpreter, libraries, data, HiGHS) is its own. Stages:

  load    pairing_opt.io.loader.load: YAML + CSVs -> validated Scenario, candidate pairs;
  model   pairing_opt.engine.model.build_model: the MILP arrays;
  solve   pairing_opt.engine.pipeline.solve, all of it (diagnose, model, HiGHS, tie-break re-solve,
          read-back, verify); `solver s` is the part HiGHS reports (both solves);
  verify  pairing_opt.checks.verify.evaluate on the solution (timed again on its own).

load + model + verify is reported per 100,000 candidate pairs.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import machine
from .synthetic import add_options, generate_all, options_from

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    "scenario",
    "donors",
    "recipients",
    "pairs",
    "columns",
    "rows",
    "nonzeros",
    "status",
    "objective",
    "gap",
    "tie_break",
    "load_s",
    "model_s",
    "verify_s",
    "per_100k_pairs_s",
    "diagnose_s",
    "solve_wall_s",
    "solver_s",
    "proof_status",
    "proof_s",
    "proof_wall_s",
    "proof_gap",
    "process_s",
    "peak_rss_mb",
    "rss_after_imports_mb",
    "rss_after_load_mb",
    "rss_after_model_mb",
    "rss_after_proof_mb",
    "time_limit",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def measure(path: Path, time_limit: float | None) -> dict[str, Any]:
    """Run the stages in this process and return the figures (see the module docstring)."""
    start = time.perf_counter()
    from pairing_opt.checks.diagnose import conflicts
    from pairing_opt.checks.verify import evaluate
    from pairing_opt.engine.model import build_model
    from pairing_opt.engine.pipeline import solve, with_options
    from pairing_opt.io.loader import load

    rss_imports = _rss_mb()
    t = time.perf_counter()
    scenario = load(str(path))
    if time_limit is not None:
        scenario = with_options(scenario, time_limit=time_limit)
    load_s = time.perf_counter() - t
    rss_load = _rss_mb()
    pairs = len(scenario.candidates)

    t = time.perf_counter()
    reasons = conflicts(scenario)
    diagnose_s = time.perf_counter() - t
    if reasons:
        raise SystemExit(f"{path}: infeasible by diagnosis: {reasons[:3]}")

    t = time.perf_counter()
    model = build_model(scenario)
    model_s = time.perf_counter() - t
    shape = (model.milp.num_cols, model.milp.num_rows, len(model.milp.a_val))
    del model

    rss_model = _rss_mb()

    # The proof alone: the same solve without the tie-break re-solve (solver.tie_break false).
    first_stage = replace(scenario, solver=scenario.solver.model_copy(update={"tie_break": False}))
    t = time.perf_counter()
    proof = solve(first_stage)
    proof_wall_s = time.perf_counter() - t
    rss_proof = _rss_mb()

    t = time.perf_counter()
    result = solve(scenario)
    solve_wall_s = time.perf_counter() - t

    t = time.perf_counter()
    evaluation = evaluate(scenario, result.pairing)
    verify_s = time.perf_counter() - t
    assert evaluation.ok == result.evaluation.ok

    return {
        "scenario": path.parent.name,
        "donors": len(scenario.donors),
        "recipients": len(scenario.recipients),
        "pairs": pairs,
        "columns": shape[0],
        "rows": shape[1],
        "nonzeros": shape[2],
        "status": result.status.value,
        "objective": result.objective_value,
        "gap": result.gap,
        "tie_break": result.tie_break,
        "verified": result.evaluation.ok,
        "load_s": load_s,
        "model_s": model_s,
        "verify_s": verify_s,
        "per_100k_pairs_s": (load_s + model_s + verify_s) / pairs * 1e5 if pairs else None,
        "diagnose_s": diagnose_s,
        "solve_wall_s": solve_wall_s,
        "solver_s": result.seconds,
        "proof_status": proof.status.value,
        "proof_s": proof.seconds,
        "proof_wall_s": proof_wall_s,
        "proof_gap": proof.gap,
        "process_s": time.perf_counter() - start,
        "peak_rss_mb": _rss_mb(),
        "rss_after_imports_mb": rss_imports,
        "rss_after_load_mb": rss_load,
        "rss_after_model_mb": rss_model,
        "rss_after_proof_mb": rss_proof,
        "time_limit": time_limit,
    }


def measure_in_child(path: Path, time_limit: float | None) -> dict[str, Any]:
    """`measure` in a fresh interpreter; its wall time includes the imports."""
    command = [sys.executable, "-m", "benchmarks.national", "--measure", str(path)]
    if time_limit is not None:
        command += ["--time-limit", str(time_limit)]
    t = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{path}: exit {done.returncode}\n{done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["child_wall_s"] = wall
    return data


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'scenario':<11} {'pairs':>7} {'status':<10} {'load s':>7} {'model s':>7} "
        f"{'verify s':>8} {'/100k':>6} {'proof':<10} {'proof s':>7} {'solve s':>8} "
        f"{'solver s':>8} {'process s':>9} {'peak MB':>8}"
    ]
    for r in rows:
        lines.append(
            f"{r['scenario']:<11} {r['pairs']:>7} {r['status']:<10} {_f(r['load_s']):>7} "
            f"{_f(r['model_s']):>7} {_f(r['verify_s']):>8} {_f(r['per_100k_pairs_s']):>6} "
            f"{r['proof_status']:<10} {_f(r['proof_s']):>7} {_f(r['solve_wall_s']):>8} "
            f"{_f(r['solver_s']):>8} {_f(r['child_wall_s']):>9} {_f(r['peak_rss_mb'], 0):>8}"
        )
    lines.append(
        "/100k = (load + model + verify) seconds per 100,000 candidate pairs; proof = status "
        "and HiGHS time of the solve without the tie-break (tie_break: false); solve s = "
        "engine.solve wall time as shipped (diagnose, model, HiGHS, tie-break re-solve, "
        "verify); solver s = HiGHS's time in it; process s = the whole child process; "
        "peak MB = its ru_maxrss."
    )
    for r in rows:
        lines.append(
            f"  {r['scenario']}: {r['columns']} columns, {r['rows']} rows, {r['nonzeros']} "
            f"nonzeros; objective {_f(r['objective'], 1)}, gap {r['gap']}, tie-break "
            f"{r['tie_break']}; proof gap {r['proof_gap']}; peak RSS after imports "
            f"{r['rss_after_imports_mb']:.0f} MB, load {r['rss_after_load_mb']:.0f}, model "
            f"{r['rss_after_model_mb']:.0f}, proof solve {r['rss_after_proof_mb']:.0f}, all "
            f"{r['peak_rss_mb']:.0f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.national",
        description="Solve synthetic national-scale scenarios; time load/model/verify per "
        "100,000 candidate pairs, the solve, and peak memory.",
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        help="folder of scenario folders (default: generate them into a temporary folder)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds for each solve (60)"
    )
    parser.add_argument("--csv", type=Path, help="default: benchmarks/results/national.csv")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child mode
    add_options(parser)
    args = parser.parse_args(argv)

    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.time_limit)))
        return 0

    temp = None
    if args.folder is None:
        temp = Path(tempfile.mkdtemp(prefix="pairopt-national-"))
        levels = [x.strip() for x in args.levels.split(",") if x.strip()]
        made = generate_all(temp, levels, **options_from(args))
        paths = [g.folder / "scenario.yaml" for g in made]
        print(f"generated {', '.join(levels)} into {temp} (removed afterwards)")
    else:
        paths = sorted(args.folder.glob("*/scenario.yaml"))
        if not paths:
            parser.error(f"no */scenario.yaml under {args.folder}")
    print(f"machine: {machine.describe()}")
    rows = []
    try:
        for path in paths:
            rows.append(measure_in_child(path, args.time_limit))
            print(f"done {path.parent.name}: {rows[-1]['status']}", flush=True)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    print()
    print(report(rows))
    print(f"\nload average after the run: {machine.load_average()}")
    out = args.csv or RESULTS / "national.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*COLUMNS, "verified", "child_wall_s"])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k) for k in writer.fieldnames})
    print(f"rows written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
