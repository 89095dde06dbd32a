"""Wider cores before the proof (`engine/strategy.py`, `_Cores.widen`) on every model, as
before `WIDEN_MIN_PAIRS`, against only on models where the pairs that could beat the
core's pairing number more than `WIDEN_MIN_PAIRS` (as shipped); each the whole library
solve, back to back, which goes first alternating by case.

    python -m research.widen [--cases random-3:objective=distance,national-2020:prefecture,...]
                             [--time-limit 60] [--csv OUT]

A case is NAME[:OVERRIDE]. NAME is random-S, small-S or fresh-S (the synthetic 25- and
16-city scenarios of seed S, as benchmarks/variants.py names them), prefecture-80 (its
80-city one), national-S:LEVEL (the national generator's prefecture or county level of
seed S), or a scenario.yaml path; OVERRIDE is one `--set`. Scenarios are generated into a
temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pairing_opt as po
from benchmarks import machine
from benchmarks.synthetic import generate
from pairing_opt.engine import strategy
from research.race_threads import scenario_path
from research.records import echo, finish, scratch, stages_text

FIELDS = ["case", "setting", "seconds", "status", "objective", "stages"]
SETTINGS = ("every model", "as shipped")
CASES = (
    "random-3:objective=distance",
    "random-5:objective=distance",
    "random-7:objective=distance",
    "random-8:objective=distance",
    "random-10:objective=distance",
    "random-11:objective=distance",
    "random-12:objective=distance",
    "small-3:objective=distance",
    "small-7:objective=distance",
    "scenarios/hubei-2020-sourced19/scenario.yaml:objective=distance",
    "scenarios/hubei-2020/scenario.yaml",
    "prefecture-80",
    "national-2020:prefecture",
    "national-1:prefecture",
    "national-2:prefecture",
)


@contextlib.contextmanager
def setting(name: str) -> Iterator[None]:
    """'every model': wider cores whatever the number of pairs (WIDEN_MIN_PAIRS 0)."""
    if name not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}, not {name!r}")
    saved = strategy.WIDEN_MIN_PAIRS
    if name == "every model":
        strategy.WIDEN_MIN_PAIRS = 0
    try:
        yield
    finally:
        strategy.WIDEN_MIN_PAIRS = saved


def case_path(folder: Path, name: str) -> tuple[Path, str]:
    """The scenario of a case and its override."""
    if name.startswith("national-"):
        seed, _, rest = name.removeprefix("national-").partition(":")
        level, _, override = rest.partition(":")
        target = folder / f"national-{seed}-{level}"
        if not target.exists():
            generate(target, level, seed=int(seed))
        return target / "scenario.yaml", override
    base, _, override = name.partition(":")
    if base == "prefecture-80":
        target = folder / base
        if not target.exists():
            generate(target, "prefecture", seed=7, recipients=80)
        return target / "scenario.yaml", override
    if base.endswith(".yaml"):
        return Path(base), override
    return scenario_path(folder, base), override


def solve(path: Path, override: str, name: str, time_limit: float) -> dict[str, Any]:
    scenario = po.load(path, [override] if override else [])
    with setting(name):
        start = time.perf_counter()
        result = po.solve(scenario, time_limit=time_limit)
        seconds = time.perf_counter() - start
    return {
        "setting": name,
        "seconds": round(seconds, 2),
        "status": result.status,
        "objective": result.to_dict(timings=False)["objective"]["value"],
        "stages": stages_text(result.stages),
    }


def run(cases: Sequence[str], time_limit: float) -> list[dict[str, Any]]:
    rows = []
    with scratch("pairopt-widen-") as folder:
        for i, case in enumerate(cases):
            path, override = case_path(folder, case)
            for s in SETTINGS if i % 2 == 0 else SETTINGS[::-1]:
                row = {"case": case, **solve(path, override, s, time_limit)}
                rows.append(row)
                echo(row, FIELDS)
    return rows


def summary(rows: Sequence[dict[str, Any]]) -> str:
    """Seconds of each setting over the cases proven in both, and the ratio."""
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["case"], {})[row["setting"]] = row
    both = [
        c
        for c in by_case.values()
        if all(c.get(s, {}).get("status") == "optimal" for s in SETTINGS)
    ]
    every = sum(c["every model"]["seconds"] for c in both)
    shipped = sum(c["as shipped"]["seconds"] for c in both)
    ratio = shipped / every if every else float("nan")
    return (
        f"{len(both)} cases proven in both: every model {every:.2f} s, "
        f"as shipped {shipped:.2f} s ({ratio:.2f}x)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m research.widen", description=__doc__)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--csv", type=Path, help="write the rows here as well")
    args = parser.parse_args(argv)
    print(f"machine: {machine.describe()}", flush=True)
    rows = run([c for c in args.cases.split(",") if c], args.time_limit)
    return finish(rows, FIELDS, summary(rows), args.csv)


if __name__ == "__main__":
    sys.exit(main())
