"""The model's row order on national-size scenarios, over several seeds: each pair's rows
first (as built, `engine/model.py` `_Rows`) against every kind of row in a block of its own
(as the rows are added), on the same scenario, back to back.

    python -m research.row_order [--levels prefecture,county] [--seeds 2020,1,2,3,4,5]
                                  [--time-limit 60] [--csv OUT]

Why: the national benchmark (one seed per level) measured the pair rows first 5-20%
slower on the two national scenarios, while they saved about a quarter on 16-city models.
One seed cannot tell a real effect from the run-to-run variability of a MILP solver under
a permutation of its rows; several seeds can. Each solve is the whole library solve with
`solver.tie_break=false` (the proof), in this process; the two orders alternate which goes
first from seed to seed. The scenarios are generated (benchmarks/synthetic.py, as the
national benchmark does, seed varied) into a temporary folder, removed afterwards.
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
from pairing_opt.engine import model
from research.records import echo, finish, scratch, stages_text

FIELDS = ["level", "seed", "pairs", "order", "seconds", "status", "objective", "stages"]
ORDERS = ("pair rows first", "blocks")


@contextlib.contextmanager
def blocks() -> Iterator[None]:
    """Build models with no row tied to a pair: every row stays where it was added, which
    is the order before the pair rows were moved first."""
    keyed = model._Rows.each

    def each(
        self: Any, cols_a: Any, vals_a: Any, cols_b: Any, vals_b: Any, ub: float, key: Any = None
    ) -> None:
        keyed(self, cols_a, vals_a, cols_b, vals_b, ub, None)

    setattr(model._Rows, "each", each)  # noqa: B010 (a method patched for the study)
    try:
        yield
    finally:
        setattr(model._Rows, "each", keyed)  # noqa: B010


def solve(path: Path, order: str, time_limit: float) -> dict[str, Any]:
    scenario = po.load(path, ["solver.tie_break=false"])
    with blocks() if order == "blocks" else contextlib.nullcontext():
        start = time.perf_counter()
        result = po.solve(scenario, time_limit=time_limit)
        seconds = time.perf_counter() - start
    data = result.to_dict(timings=False)
    return {
        "pairs": len(scenario.candidates),
        "order": order,
        "seconds": round(seconds, 2),
        "status": result.status,
        "objective": data["objective"]["value"],
        "stages": stages_text(result.stages),
    }


def run(levels: Sequence[str], seeds: Sequence[int], time_limit: float) -> list[dict[str, Any]]:
    rows = []
    with scratch("pairopt-row-order-") as folder:
        for level in levels:
            for i, seed in enumerate(seeds):
                path = generate(folder / f"{level}-{seed}", level, seed=seed).folder
                orders = ORDERS if i % 2 == 0 else ORDERS[::-1]
                for order in orders:
                    row = {
                        "level": level,
                        "seed": seed,
                        **solve(path / "scenario.yaml", order, time_limit),
                    }
                    rows.append(row)
                    echo(row, FIELDS)
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """Per level: each order's total over the seeds where both orders proved the same
    optimum, and the ratio."""
    lines = []
    for level in dict.fromkeys(r["level"] for r in rows):
        by_seed: dict[int, dict[str, dict[str, Any]]] = {}
        for r in rows:
            if r["level"] == level:
                by_seed.setdefault(r["seed"], {})[r["order"]] = r
        both = [
            s
            for s in by_seed.values()
            if len(s) == 2 and all(r["status"] == "optimal" for r in s.values())
        ]
        first, second = (sum(s[o]["seconds"] for s in both) for o in ORDERS)
        slower = sum(s[ORDERS[0]]["seconds"] > 1.1 * s[ORDERS[1]]["seconds"] for s in both)
        faster = sum(s[ORDERS[0]]["seconds"] < s[ORDERS[1]]["seconds"] / 1.1 for s in both)
        lines.append(
            f"{level}: {len(both)} seeds proven in both orders; pair rows first {first:.2f} s, "
            f"blocks {second:.2f} s ({first / second:.2f}x); pair rows first more than 10% "
            f"slower on {slower}, more than 10% faster on {faster}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m research.row_order", description=__doc__)
    parser.add_argument("--levels", default="prefecture,county")
    parser.add_argument("--seeds", default="2020,1,2,3,4,5")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--csv", type=Path, help="write the rows here as well")
    args = parser.parse_args(argv)
    levels = [x.strip() for x in args.levels.split(",") if x.strip()]
    seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    print(f"machine: {machine.describe()}", flush=True)
    rows = run(levels, seeds, args.time_limit)
    return finish(rows, FIELDS, summary(rows), args.csv)


if __name__ == "__main__":
    sys.exit(main())
