"""Robust solves with many need scenarios: what a time limit leaves of `pairopt solve` on
the Hubei scenario with N sampled needs, with the robust model's start and without it.

    python -m benchmarks.robust [--scenario scenarios/hubei-2020/scenario.yaml]
        [--samples 10 100] [--modes worst mean] [--time-limit 60]
        [--out benchmarks/results/robust.csv]

Each run is one process: `uncertainty={samples: N, perturb: [recipients.need=lognormal:0.2],
robust: MODE}` with a shortfall price of 5000, solved through the Python API under the
time limit. "HiGHS alone" is the same solve with the start switched off
(`engine.robust.START_CASES` raised past N), so the two differ only in the start. Each row
gives the status, whether any pairing was found, the robust objective, its gap and the
wall time of the process; the start's own seconds are its stage.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

from . import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HUBEI = Path("scenarios/hubei-2020/scenario.yaml")
PERTURB = "recipients.need=lognormal:0.2"
PRICE = 5000
FIELDS = ["samples", "mode", "start", "status", "found", "objective", "gap", "start_s", "wall_s"]

# Run in a fresh process, so that no run inherits another's memory or HiGHS state.
CHILD = """
import json, sys
import pairing_opt as po
from pairing_opt.engine import robust
scenario_path, samples, mode, limit, start = sys.argv[1:6]
if start == "off":
    robust.START_CASES = 10**9
scenario = po.load(scenario_path, [
    f"uncertainty={{samples: {samples}, perturb: [{sys.argv[6]}], robust: {mode}}}",
    f"rules.coverage={{shortfall_penalty: {sys.argv[7]}}}",
    f"solver.time_limit={limit}",
])
result = po.solve(scenario)
stages = dict(result.stages)
print(json.dumps({"status": result.status, "found": bool(result.pairs),
                  "objective": result.objective, "gap": result.gap,
                  "start_s": stages.get("start", 0.0)}))
"""


def run_one(scenario: Path, samples: int, mode: str, limit: float, start: str) -> dict[str, object]:
    """One robust solve in its own process, timed whole."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(scenario), str(samples), mode, str(limit), start,
         PERTURB, str(PRICE)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    wall = time.perf_counter() - began
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        return {"status": f"exit {done.returncode}: {last[0]}", "found": False, "wall_s": wall}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "wall_s": wall}


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=HUBEI)
    parser.add_argument("--samples", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--modes", nargs="+", default=["worst", "mean"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "robust.csv")
    args = parser.parse_args(argv)
    print(f"# {machine.describe()}", file=sys.stderr)
    rows = []
    for samples in args.samples:
        for mode in args.modes:
            for start in ("on", "off"):
                found = run_one(args.scenario, samples, mode, args.time_limit, start)
                row = {"samples": samples, "mode": mode, "start": start, **found}
                rows.append(row)
                print("  ".join(f"{k}={_cell(row.get(k))}" for k in FIELDS), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: _cell(row.get(k)) for k in FIELDS} for row in rows)
    print(f"# wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
