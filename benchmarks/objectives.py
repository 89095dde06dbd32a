"""Combined objectives and Pareto fronts on the shipped Hubei scenarios: each weighted sum
and lexicographic order against its slowest single term alone, and 10-point fronts.

    python -m benchmarks.objectives [--csv OUT] [--time-limit 60] [--points 10]
                                    [--only hubei-2020]

Also run by `python -m benchmarks.variants --objectives`. Targets (the issue of
combined objectives): a sum or an order is proven in at most 2x the time of its slowest
term alone; a 10-point front finishes within 60 s. The incumbent is the official 10 Feb
2020 list (scenarios/hubei-2020/pairing_2020.csv), so that `changes` means something.
Every solve is the whole library solve (`pairing_opt.solve` / `pairing_opt.pareto`) in
this process, timed from the loaded scenario.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pairing_opt as po
from pairing_opt.scenario.spec import objective_terms
from pairing_opt.scenario.validation import parse_objective

from . import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("hubei-2020", "hubei-2020-sourced19")
INCUMBENT = ROOT / "scenarios" / "hubei-2020" / "pairing_2020.csv"
COMBINED = (
    "weighted_distance=1,shortfall=1000,changes=50",  # the example
    "shortfall,changes,weighted_distance",
    "changes,weighted_distance",
    "weighted_distance,changes",  # a front's end: its second level under a cap on distance
    "distance,weighted_distance",
    "weighted_distance=1,changes=1",
    "weighted_distance=1,fairness=1",
    "fairness,weighted_distance",
    "weighted_distance=1,assortative=1",
    "max_shortfall,weighted_distance",
)
FRONTS = (("changes", "weighted_distance"), ("weighted_distance", "fairness"))
SUM_RATIO = 2.0
FRONT_SECONDS = 60.0
FIELDS = ["scenario", "kind", "objective", "seconds", "status", "slowest_term", "ratio", "points"]


def _solve(scenario: po.Scenario, objective: str, time_limit: float) -> tuple[float, str]:
    start = time.perf_counter()
    result = po.solve(scenario, objective=parse_objective(objective), time_limit=time_limit)
    return time.perf_counter() - start, result.status


def run(
    names: Sequence[str],
    time_limit: float,
    points: int,
    combined: Sequence[str] = COMBINED,
    fronts: Sequence[tuple[str, str]] = FRONTS,
) -> list[dict[str, object]]:
    """Each term alone, each combined objective, each front, per scenario (rows as in
    FIELDS). A scenario folder's own pairing_2020.csv is its incumbent; without one, the
    objectives and fronts that count changes are left out."""
    rows: list[dict[str, object]] = []
    for name in names:
        folder = ROOT / "scenarios" / name
        scenario = po.load(folder / "scenario.yaml")
        incumbent = folder / INCUMBENT.name
        if incumbent.exists():
            scenario = po.configure(scenario, incumbent=incumbent)
        alone: dict[str, tuple[float, str]] = {}
        usable = [o for o in combined if incumbent.exists() or "changes" not in o]
        for objective in usable:
            for term in objective_terms(parse_objective(objective)):
                if term not in alone:
                    alone[term] = _solve(scenario, term, time_limit)
                    seconds, status = alone[term]
                    rows.append(_row(name, "term", term, seconds, status))
                    print(_text(rows[-1]), file=sys.stderr)
            seconds, status = _solve(scenario, objective, time_limit)
            terms = objective_terms(parse_objective(objective))
            slowest = max(terms, key=lambda t: alone[t][0])
            ratio = seconds / alone[slowest][0]
            rows.append(_row(name, "combined", objective, seconds, status, slowest, ratio))
            print(_text(rows[-1]), file=sys.stderr)
        for x, y in fronts:
            if "changes" in (x, y) and not incumbent.exists():
                continue
            start = time.perf_counter()
            front = po.pareto(scenario, x, y, points=points, time_limit=time_limit)
            seconds = time.perf_counter() - start
            proven = all(p.proven_optimal for p in front.points)
            status = "optimal" if proven else "time_limit"
            rows.append(
                _row(name, "front", f"{x} vs {y}", seconds, status, points=len(front.points))
            )
            print(_text(rows[-1]), file=sys.stderr)
    return rows


def _row(
    scenario: str,
    kind: str,
    objective: str,
    seconds: float,
    status: str,
    slowest: str = "",
    ratio: float | None = None,
    points: int | None = None,
) -> dict[str, object]:
    return {
        "scenario": scenario,
        "kind": kind,
        "objective": objective,
        "seconds": round(seconds, 3),
        "status": status,
        "slowest_term": slowest,
        "ratio": "" if ratio is None else round(ratio, 3),
        "points": "" if points is None else points,
    }


def _text(row: dict[str, object]) -> str:
    extra = ""
    if row["kind"] == "combined":
        extra = f"  {row['ratio']}x {row['slowest_term']}"
    elif row["kind"] == "front":
        extra = f"  {row['points']} points"
    head = f"{row['scenario']:<22} {row['kind']:<8} {row['objective']:<48}"
    return f"{head} {row['seconds']:>8.2f} s  {row['status']}{extra}"


def summary(rows: list[dict[str, object]]) -> str:
    """Each target, met or not, over the rows."""
    combined = [r for r in rows if r["kind"] == "combined"]
    fronts = [r for r in rows if r["kind"] == "front"]
    over = [r for r in combined if float(str(r["ratio"])) > SUM_RATIO]
    unproven = [r for r in combined if r["status"] != "optimal"]
    slow = [r for r in fronts if float(str(r["seconds"])) > FRONT_SECONDS]
    worst = max((float(str(r["ratio"])) for r in combined), default=0.0)
    lines = [
        f"combined objectives: {len(combined) - len(over)} of {len(combined)} within "
        f"{SUM_RATIO}x their slowest term (largest {worst:.2f}x); {len(unproven)} not proven",
        f"fronts: {len(fronts) - len(slow)} of {len(fronts)} within {FRONT_SECONDS:.0f} s "
        f"(slowest {max((float(str(r['seconds'])) for r in fronts), default=0.0):.2f} s)",
    ]
    lines += [f"  over: {r['scenario']} {r['objective']} {r['ratio']}x" for r in over]
    lines += [f"  slow front: {r['scenario']} {r['objective']} {r['seconds']} s" for r in slow]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=RESULTS / "objectives.csv")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    print(machine.describe(), file=sys.stderr)
    rows = run(args.only.split(","), args.time_limit, args.points)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(summary(rows))
    print(f"wrote {args.csv}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
