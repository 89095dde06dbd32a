"""Scenario variants: the whole `engine.solve` on the shipped and synthetic scenarios, each
as given and with the rule changes users try, timed in-process, so that a change to the
solve strategy is measured on many scenarios at once and not tuned to one.

    python -m benchmarks.variants [--time-limit 60] [--csv OUT] [--compare OLD.csv]
                                  [--only hubei-2020,prefecture-80] [--random 12] [--small 12]

The set: the example, Hubei and sourced19 scenarios with six variants each; a synthetic
prefecture scenario of 80 cities (seed 7) with five; `--random` synthetic prefecture
scenarios of 25 cities (seeds 1..N) and `--small` ones of 16 cities, Hubei's size (seeds
1..N), each as generated, with objective=distance and with min_share=0.25. Synthetic
scenarios are written to a temporary folder. Each row records the seconds, status,
tie-break state, objective and a digest of the pairing (pairs and shares to 6 decimals).
`--compare` reads an earlier run's CSV (another commit, say) and prints both side by
side: totals over the runs that both finished, the median ratio, and every pairing that
differs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pairing_opt.engine import pipeline as engine
from pairing_opt.engine.backends import Status
from pairing_opt.errors import InfeasibleError
from pairing_opt.io import loader

from . import machine, synthetic

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SHIPPED = ("example", "hubei-2020", "hubei-2020-sourced19")
SHIPPED_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("objective=max_distance",),
    ("rules.min_share=0.2",),
    ("rules.max_distance_km=1500",),
    ("objective=balance",),
)
PREFECTURE_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("objective=max_distance",),
    ("rules.min_share=0.2",),
    ("objective=balance",),
)
RANDOM_VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("objective=distance",),
    ("rules.min_share=0.25",),
)
FIELDS = ["scenario", "variant", "seconds", "status", "tie_break", "objective", "pairing"]


@dataclass(frozen=True)
class Case:
    scenario: str
    path: Path
    overrides: tuple[str, ...]

    @property
    def variant(self) -> str:
        return " ".join(self.overrides) or "as given"


def cases(folder: Path, random_count: int, small_count: int = 0) -> list[Case]:
    """Every (scenario, variant) of the set; synthetic scenarios are written under `folder`."""
    found = [
        Case(name, ROOT / "scenarios" / name / "scenario.yaml", v)
        for name in SHIPPED
        for v in SHIPPED_VARIANTS
    ]
    made = synthetic.generate(folder / "prefecture-80", "prefecture", seed=7, recipients=80)
    found += [Case("prefecture-80", made.folder / "scenario.yaml", v) for v in PREFECTURE_VARIANTS]
    for seed in range(1, random_count + 1):
        made = synthetic.generate(folder / f"random-{seed}", "prefecture", seed=seed, recipients=25)
        found += [Case(f"random-{seed}", made.folder / "scenario.yaml", v) for v in RANDOM_VARIANTS]
    for seed in range(1, small_count + 1):
        made = synthetic.generate(folder / f"small-{seed}", "prefecture", seed=seed, recipients=16)
        found += [Case(f"small-{seed}", made.folder / "scenario.yaml", v) for v in RANDOM_VARIANTS]
    return found


def run_case(case: Case, time_limit: float) -> dict[str, object]:
    """One whole solve, as `pairopt solve --time-limit` would run it."""
    scenario = loader.load(case.path, [*case.overrides, f"solver.time_limit={time_limit}"])
    start = time.perf_counter()
    try:
        result = engine.solve(scenario)
    except InfeasibleError:
        seconds = time.perf_counter() - start
        return _row(case, seconds, "infeasible", "", "", "")
    seconds = time.perf_counter() - start
    text = "\n".join(f"{a.donor}\t{a.recipient}\t{a.share:.6f}" for a in result.pairing)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    status = "optimal" if result.status == Status.OPTIMAL else str(result.status)
    return _row(case, seconds, status, result.tie_break, f"{result.objective_value:.6f}", digest)


def _row(
    case: Case, seconds: float, status: str, tie: str, objective: str, digest: str
) -> dict[str, object]:
    return {
        "scenario": case.scenario,
        "variant": case.variant,
        "seconds": round(seconds, 3),
        "status": status,
        "tie_break": tie,
        "objective": objective,
        "pairing": digest,
    }


def finished(row: dict[str, object]) -> bool:
    """Solved within the limit: proven optimal with a finished tie-break, or infeasible."""
    return row["status"] == "infeasible" or (
        row["status"] == "optimal" and row["tie_break"] in ("done", "skipped")
    )


def compare(old: list[dict[str, object]], new: list[dict[str, object]]) -> str:
    """Side by side against an earlier run: totals over the runs both finished, the
    median ratio new/old, and every run whose pairing differs."""
    before = {(str(r["scenario"]), str(r["variant"])): r for r in old}
    lines = [f"{'scenario':<22} {'variant':<28} {'old s':>8} {'new s':>8}  pairing"]
    ratios, totals, differ = [], [0.0, 0.0], []
    for row in new:
        key = (str(row["scenario"]), str(row["variant"]))
        if key not in before:
            continue
        was = before[key]
        same = was["pairing"] == row["pairing"] and was["status"] == row["status"]
        lines.append(
            f"{key[0]:<22} {key[1]:<28} {float(str(was['seconds'])):8.2f} "
            f"{float(str(row['seconds'])):8.2f}  {'same' if same else 'DIFFERENT'}"
        )
        if not same:
            differ.append(f"{key[0]} {key[1]}: {_state(was)} -> {_state(row)}")
        if finished(was) and finished(row) and row["status"] != "infeasible":
            a, b = float(str(was["seconds"])), float(str(row["seconds"]))
            totals[0] += a
            totals[1] += b
            ratios.append(b / max(a, 1e-3))
    lines.append("")
    if ratios:
        faster = sum(r < 1 for r in ratios)
        lines.append(
            f"{len(ratios)} runs finished in both: {totals[0]:.2f} s old, {totals[1]:.2f} s "
            f"new ({totals[1] / max(totals[0], 1e-9):.2f}x); median ratio new/old "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f} to {max(ratios):.2f}); "
            f"{faster} faster, {len(ratios) - faster} not"
        )
    lines.append(f"pairings that differ: {len(differ)}")
    lines.extend(f"  {d}" for d in differ)
    return "\n".join(lines)


def _state(row: dict[str, object]) -> str:
    return f"{row['status']}/{row['tie_break'] or '-'} {row['objective'] or '-'} {row['pairing']}"


def read_csv(path: Path) -> list[dict[str, object]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.variants",
        description="Whole engine.solve time on shipped and synthetic scenario variants.",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve (60 s)")
    parser.add_argument("--random", type=int, default=12, help="random 25-city scenarios (12)")
    parser.add_argument("--small", type=int, default=12, help="random 16-city scenarios (12)")
    parser.add_argument("--only", help="comma-separated scenario names to run")
    parser.add_argument("--csv", type=Path, help="default: benchmarks/results/variants.csv")
    parser.add_argument("--compare", type=Path, help="an earlier run's CSV to compare with")
    args = parser.parse_args(argv)
    old = read_csv(args.compare) if args.compare else None

    print(f"machine: {machine.describe()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pairopt-variants-") as tmp:
        todo = cases(Path(tmp), args.random, args.small)
        if args.only:
            wanted = {s.strip() for s in args.only.split(",")}
            todo = [c for c in todo if c.scenario in wanted]
        for case in todo:
            row = run_case(case, args.time_limit)
            rows.append(row)
            print(
                f"{case.scenario:<22} {case.variant:<28} {row['seconds']:>8} s  "
                f"{row['status']}/{row['tie_break'] or '-'}  {row['pairing']}",
                flush=True,
            )
    done = [r for r in rows if finished(r) and r["status"] != "infeasible"]
    total = sum(float(str(r["seconds"])) for r in done)
    print(f"\n{len(done)} of {len(rows)} runs proven with the tie-break done: {total:.2f} s")
    print(f"load average after the run: {machine.load_average()}")
    out = args.csv or RESULTS / "variants.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"rows written to {out}")
    if old is not None:
        print()
        print(compare(old, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
