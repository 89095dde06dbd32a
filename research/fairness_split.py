"""Branching on `fairness`'s participation binary first: the model of an objective with a
`fairness` term solved whole by HiGHS, against its two branches solved apart, "all serve"
(every w_k = 1: each donor taking part serves) and "some idle" (sum of w_k <= K - 1).
With `--intervals N`, the "all serve" branch is split further on the lowest utilisation
lo (one resource): N intervals of [0, 1], each a MILP with lo's bounds set to it.

    python -m research.fairness_split SCENARIO [--objective OBJ ...] [--time-limit 300]
                                      [--intervals N] [--csv OUT]

Why: HiGHS 1.16 has no branching priorities. On hubei-2020 the sum
`weighted_distance=1,fairness=1` spends most of its proof in one branch, so solving the two
apart (the better one's value as the other's cutoff) looked like a way to a faster proof.
Each run is the plain MILP that pairopt builds (engine/model.py build_model, no tie-break,
no staged strategy), mip_gap 0. The two branches partition the pairings, so when every run
is proven the better branch's optimum must equal the whole model's: `main` checks it.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import pairing_opt as po
from pairing_opt.engine.backends import HIGHS, Status, run_milp, solve_relaxation
from pairing_opt.engine.model import Milp, PairingModel, build_model
from research.records import echo, write_rows

FIELDS = ["objective", "run", "seconds", "status", "value", "bound"]
OBJECTIVES = ("fairness", "weighted_distance=1,fairness=1")


def participation_columns(model: PairingModel) -> np.ndarray:
    """The w_k columns: the integer columns that are not pair decisions (fairness's only
    integer columns; see engine/model.py _fairness_rows)."""
    integer = np.flatnonzero(model.milp.integer)
    return np.setdiff1d(integer, model.x_col)


def branches(model: PairingModel) -> dict[str, Milp]:
    """'all serve' (every w_k fixed at 1) and 'some idle' (sum of w_k at most K - 1)."""
    milp = model.milp
    w = participation_columns(model)
    if len(w) == 0:
        raise ValueError("the objective has no fairness term: no participation binary")
    lb = milp.lb.copy()
    lb[w] = 1.0
    row = np.zeros(milp.num_cols)
    row[w] = 1.0
    return {
        "all serve": replace(milp, lb=lb),
        "some idle": milp.with_row(row, -np.inf, float(len(w) - 1)),
    }


def lowest_column(model: PairingModel) -> int:
    """lo, the lowest utilisation: with one resource, fairness's columns are the last four
    (hi, lo, spread, w; engine/model.py _Columns)."""
    w = participation_columns(model)
    if len(w) != 1 or int(w[0]) != model.milp.num_cols - 1:
        raise ValueError("intervals of lo are studied for one resource only")
    return model.milp.num_cols - 3


def intervals(model: PairingModel, n: int) -> dict[str, Milp]:
    """'some idle', then 'all serve' with lo in each of n equal intervals of [0, 1]: the
    parts cover every pairing (lo is at most 1, and 0 unless all serve)."""
    milp, lo = model.milp, lowest_column(model)
    w = int(participation_columns(model)[0])
    parts = {"some idle": branches(model)["some idle"]}
    edges = np.linspace(0.0, 1.0, n + 1)
    for a, b in itertools.pairwise(edges):
        lb, ub = milp.lb.copy(), milp.ub.copy()
        lb[w], lb[lo], ub[lo] = 1.0, a, b
        parts[f"lo in [{a:.2f}, {b:.2f}]"] = replace(milp, lb=lb, ub=ub)
    return parts


def split_study(
    scenario: po.Scenario, objective: str, time_limit: float, n: int
) -> list[dict[str, Any]]:
    """The whole model, then the parts of `intervals` in order of their LP bound, each with
    the best value so far as its cutoff and skipped when its LP bound is no better; a last
    row 'split in all' with the total seconds and the best value."""
    model = build_model(po.configure(scenario, objective=objective), tie_break=False)
    rows = [{"objective": objective, "run": "whole", **solve(model.milp, model, time_limit, None)}]
    start = time.perf_counter()
    bounded = []
    for name, part in intervals(model, n).items():
        lp = solve_relaxation(part, time_limit)  # None: infeasible, or not solved
        bounded.append((-np.inf if lp is None else lp.objective, name, part))
    best: float | None = None
    proven = True
    for bound, name, part in sorted(bounded, key=lambda item: item[0]):
        if best is not None and bound >= best - 1e-9 * max(1.0, abs(best)):
            rows.append(
                {
                    "objective": objective,
                    "run": name,
                    "seconds": 0.0,
                    "status": "pruned by its LP",
                    "value": None,
                    "bound": model.unscaled(bound),
                }
            )
            continue
        found = solve(part, model, time_limit, best)
        rows.append({"objective": objective, "run": name, **found})
        proven = proven and found["status"] in (Status.OPTIMAL.value, Status.INFEASIBLE.value)
        if found["status"] == Status.OPTIMAL.value and found["value"] is not None:
            scaled = (found["value"] - model.offset) / (model.sense * model.scale)
            best = scaled if best is None else min(best, scaled)
    seconds = round(time.perf_counter() - start, 2)
    value = None if best is None else model.unscaled(best)
    status = Status.OPTIMAL.value if proven else Status.LIMIT_FEASIBLE.value
    rows.append(
        {
            "objective": objective,
            "run": "split in all",
            "seconds": seconds,
            "status": status,
            "value": value,
            "bound": None,
        }
    )
    return rows


def solve(
    milp: Milp, model: PairingModel, time_limit: float, cutoff: float | None
) -> dict[str, Any]:
    """One plain HiGHS run, in the objective's own sense and unit."""
    start = time.perf_counter()
    raw = run_milp(HIGHS, milp, time_limit, 0.0, cutoff=cutoff)
    seconds = time.perf_counter() - start
    value = None if raw.objective is None else model.unscaled(raw.objective)
    bound = None if raw.bound is None else model.unscaled(raw.bound)
    return {
        "seconds": round(seconds, 2),
        "status": raw.status.value,
        "value": value,
        "bound": bound,
    }


def study(scenario: po.Scenario, objective: str, time_limit: float) -> list[dict[str, Any]]:
    """The whole model, then 'some idle' (usually quick), then 'all serve' with the first
    branch's value as its cutoff: three rows."""
    model = build_model(po.configure(scenario, objective=objective), tie_break=False)
    rows = [{"objective": objective, "run": "whole", **solve(model.milp, model, time_limit, None)}]
    parts = branches(model)
    idle = solve(parts["some idle"], model, time_limit, None)
    rows.append({"objective": objective, "run": "some idle", **idle})
    cutoff = None
    if idle["value"] is not None and idle["status"] == Status.OPTIMAL.value:
        cutoff = (idle["value"] - model.offset) / (model.sense * model.scale)
    serve = solve(parts["all serve"], model, time_limit, cutoff)
    rows.append({"objective": objective, "run": "all serve (cutoff)", **serve})
    return rows


def agree(rows: Sequence[dict[str, Any]]) -> bool | None:
    """Whether the better branch's optimum is the whole model's (None unless all proven
    or the cut-off branch proven empty)."""
    whole, idle, serve = rows
    if whole["status"] != "optimal" or idle["status"] != "optimal":
        return None
    if serve["status"] == "infeasible":  # nothing under the cutoff: the idle branch wins
        best = idle["value"]
    elif serve["status"] == "optimal":
        best = min(idle["value"], serve["value"])
    else:
        return None
    return bool(abs(best - whole["value"]) <= 1e-6 * max(1.0, abs(whole["value"])))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m research.fairness_split", description=__doc__)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--objective", action="append", help=f"default: {', '.join(OBJECTIVES)}")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--intervals", type=int, help="split 'all serve' on lo, N intervals")
    parser.add_argument("--csv", type=Path, help="write the rows here as well")
    args = parser.parse_args(argv)
    scenario = po.load(args.scenario)
    rows: list[dict[str, Any]] = []
    wrong = False
    for objective in args.objective or OBJECTIVES:
        if args.intervals:
            found = split_study(scenario, objective, args.time_limit, args.intervals)
            for row in found:
                echo(row, FIELDS)
            whole, split = found[0], found[-1]
            same = (
                whole["value"] is not None
                and split["value"] is not None
                and abs(whole["value"] - split["value"]) <= 1e-6 * max(1.0, abs(whole["value"]))
            )
            print(f"{objective}: split and whole model agree: {same}", flush=True)
            wrong = wrong or (whole["status"] == split["status"] == "optimal" and not same)
            rows += found
            continue
        found = study(scenario, objective, args.time_limit)
        for row in found:
            echo(row, FIELDS)
        verdict = agree(found)
        print(f"{objective}: branches agree with the whole model: {verdict}", flush=True)
        wrong = wrong or verdict is False
        rows += found
    if args.csv is not None:
        write_rows(args.csv, FIELDS, rows)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
