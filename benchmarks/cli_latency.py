"""CLI latency: `pairopt solve` on the Hubei scenario as a whole process, against a
hand-written PuLP + CBC script on the same data and against the bare import of pairopt's
dependencies.

    python -m benchmarks.cli_latency [--repeat 5] [--scenario scenarios/hubei-2020/scenario.yaml]

The three commands run interleaved (A, B, C, A, B, C, ...) so that a change in machine load
hits all of them alike; the median wall time of each is reported, with pairopt's ratios.
Each process's exit code and objective are checked: pairopt must exit 0 (proven optimal)
and the script must print the same objective.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HUBEI = Path("scenarios/hubei-2020/scenario.yaml")
IMPORTS = "import pandas, pulp, highspy, click, yaml, rich, pydantic, numpy"
OBJECTIVE = re.compile(r"weighted_distance\s*[=:]\s*([0-9.]+)")


def pairopt_command() -> list[str]:
    """The console script next to this interpreter, else `python -m pairing_opt`."""
    script = Path(sys.executable).parent / "pairopt"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "pairing_opt"]


def commands(scenario: Path) -> dict[str, list[str]]:
    return {
        "pairopt solve": [*pairopt_command(), "solve", str(scenario)],
        "PuLP+CBC script": [
            sys.executable,
            str(Path(__file__).resolve().parent / "hubei_pulp_cbc.py"),
            str(scenario),
        ],
        "bare imports": [sys.executable, "-c", IMPORTS],
    }


def run_once(command: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, check=False, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - start, done.returncode, done.stdout + done.stderr


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cli_latency",
        description="Median wall time of `pairopt solve` on Hubei vs a PuLP+CBC script vs "
        "the bare import of pairopt's dependencies.",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (5)")
    parser.add_argument("--scenario", type=Path, default=HUBEI, help="relative to the repo root")
    parser.add_argument("--csv", type=Path, help="default: benchmarks/results/cli_latency.csv")
    args = parser.parse_args(argv)

    cmds = commands(args.scenario)
    print(f"machine: {machine.describe()}")
    for name, cmd in cmds.items():
        print(f"  {name}: {' '.join(cmd)}")
    times: dict[str, list[float]] = {name: [] for name in cmds}
    objectives: dict[str, set[str]] = {name: set() for name in cmds}
    records = []
    for rep in range(1, args.repeat + 1):
        for name, cmd in cmds.items():
            seconds, code, output = run_once(cmd)
            if code != 0:
                print(f"{name} exited {code}:\n{output[-2000:]}", file=sys.stderr)
                return 1
            match = OBJECTIVE.search(output)
            if match:
                objectives[name].add(f"{float(match.group(1)):.2f}")
            times[name].append(seconds)
            records.append({"run": rep, "command": name, "seconds": round(seconds, 4)})
            print(f"run {rep} {name:<16} {seconds:7.3f} s", flush=True)
    print()
    medians = {name: statistics.median(v) for name, v in times.items()}
    for name in cmds:
        print(
            f"{name:<16} median {medians[name]:7.3f} s  (min {min(times[name]):.3f}, "
            f"max {max(times[name]):.3f}; n={len(times[name])})"
        )
    mine = medians["pairopt solve"]
    print(
        f"pairopt / PuLP+CBC script: {mine / medians['PuLP+CBC script']:.2f}x; "
        f"pairopt / bare imports: {mine / medians['bare imports']:.2f}x"
    )
    same = objectives["pairopt solve"] == objectives["PuLP+CBC script"]
    print(
        f"objectives: pairopt {sorted(objectives['pairopt solve'])}, script "
        f"{sorted(objectives['PuLP+CBC script'])} ({'same' if same else 'DIFFERENT'})"
    )
    print(f"load average after the run: {machine.load_average()}")
    out = args.csv or RESULTS / "cli_latency.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["run", "command", "seconds"])
        writer.writeheader()
        writer.writerows(records)
    print(f"rows written to {out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
