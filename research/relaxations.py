"""Where a scenario's integrality gap lives: the LP bound of pairopt's model against the LP
bounds of three stronger (extended) formulations of the same problem.

    python -m research.relaxations [SCENARIO] [--milp] [--csv FILE]

- `model`: pairopt's own MILP (pairing_opt.engine.model), relaxed.
- `recipient hull`: one binary per recipient and set of donors it may get (a pattern),
  with the shares disaggregated per pattern. Its LP is the convex hull of each recipient's
  choices (Balas), so it removes every gap that comes from one recipient's rules alone
  (donor counts, minimum shares, the reach of small donors).
- `donor hull`: the same per donor and set of recipients it may cover, capacity kept per
  pattern: the Dantzig-Wolfe bound of a decomposition by donor.
- `both hulls`: the two, linked pair by pair (x and share sums agree).

What is left between `both hulls` and the optimum comes from how the recipients' and the
donors' choices interact: no decomposition by one side closes it, only branching or cuts
over both. Patterns are enumerated, so this is for small scenarios (Hubei: 17,557 donor
patterns, about a minute for the LP of `both hulls`). `--milp` also solves each extended
formulation as a MILP, which must give the proven optimum (a check of the formulations).
Linear objectives only; minimax objectives are refused. The table goes to stdout and to
research/results/relaxations_<scenario folder>.csv.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import machine
from pairing_opt.engine.backends import Status, run_milp, solve_relaxation
from pairing_opt.engine.model import INF, Milp, PairingModel, build_model
from pairing_opt.engine.pipeline import solve
from pairing_opt.errors import PairoptError
from pairing_opt.io.loader import load
from pairing_opt.scenario.scenario import Scenario

HUBEI = Path(__file__).resolve().parent.parent / "scenarios/hubei-2020/scenario.yaml"
RESULTS = Path(__file__).resolve().parent / "results"
MAX_PATTERNS = 200_000  # per side; beyond this the enumeration is not the tool to use


class Builder:
    """A MILP assembled entry by entry (COO), for formulations built pattern by pattern."""

    def __init__(self) -> None:
        self.c: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lb: list[float] = []
        self.row_ub: list[float] = []

    def row(self, lb: float, ub: float) -> int:
        self.row_lb.append(lb)
        self.row_ub.append(ub)
        return len(self.row_lb) - 1

    def col(self, cost: float, integer: bool) -> int:
        self.c.append(cost)
        self.integer.append(integer)
        return len(self.c) - 1

    def add(self, row: int, col: int, val: float) -> None:
        self.rows.append(row)
        self.cols.append(col)
        self.vals.append(val)

    def milp(self) -> Milp:
        """The model, entries on the same row and column summed (HiGHS refuses repeats;
        with one donor per recipient a pattern's share is its use, so they occur)."""
        n = len(self.c)
        key = np.array(self.rows, dtype=np.int64) * max(n, 1) + np.array(self.cols, dtype=np.int64)
        unique, position = np.unique(key, return_inverse=True)
        values = np.bincount(position, weights=np.array(self.vals, dtype=float))
        return Milp(
            c=np.array(self.c, dtype=float),
            lb=np.zeros(n),
            ub=np.ones(n),
            integer=np.array(self.integer, dtype=bool),
            a_row=unique // max(n, 1),
            a_col=unique % max(n, 1),
            a_val=values,
            row_lb=np.array(self.row_lb, dtype=float),
            row_ub=np.array(self.row_ub, dtype=float),
        )


@dataclass
class Pairs:
    """What every formulation needs per candidate pair, read off pairopt's own model so the
    extended formulations minimise exactly what pairopt does."""

    donor: np.ndarray
    recipient: np.ndarray
    fixed: np.ndarray
    load: np.ndarray
    x_cost: np.ndarray  # cost of using the pair
    f_cost: np.ndarray  # cost per unit share of the recipient's need
    lo: np.ndarray  # least share when used (1 with one donor per recipient)
    hi: np.ndarray  # most share when used (the donor's reach)
    single: bool

    def __len__(self) -> int:
        return len(self.donor)


def pair_data(scenario: Scenario, model: PairingModel) -> Pairs:
    cand, milp = model.candidates, model.milp
    # None with one donor per recipient: every share is 1. This study models one resource.
    least = None if model.min_fraction is None else model.min_fraction[0]
    ones = np.ones(len(cand))
    return Pairs(
        donor=cand.donor,
        recipient=cand.recipient,
        fixed=cand.fixed,
        load=cand.load,
        x_cost=milp.c[model.x_col],
        f_cost=np.zeros(len(cand)) if least is None else milp.c[model.f_col],
        lo=ones if least is None else least,
        hi=ones if least is None else scenario.reach,
        single=least is None,
    )


def _sizes(low: int, high: int | None, available: int) -> range:
    return range(max(low, 1), min(available if high is None else high, available) + 1)


def _count(groups: list[np.ndarray], sizes: list[range]) -> int:
    return sum(math.comb(len(g), k) for g, ks in zip(groups, sizes, strict=True) for k in ks)


def _check_size(count: int, side: str) -> None:
    if count > MAX_PATTERNS:
        raise SystemExit(
            f"error: the {side} hull would need {count:,} patterns (limit {MAX_PATTERNS:,}); "
            "this benchmark enumerates patterns and is meant for small scenarios."
        )


def _shares(pairs: Pairs, members: Sequence[int], cover: bool) -> tuple[list[float], list[float]]:
    """Share bounds of each member of a recipient pattern (a lone donor covers it all)."""
    if cover and len(members) == 1 and not pairs.single:
        return [1.0], [float(pairs.hi[members[0]])]
    return [float(pairs.lo[p]) for p in members], [float(pairs.hi[p]) for p in members]


def recipient_side(
    b: Builder, scenario: Scenario, pairs: Pairs, costs: bool
) -> tuple[list[list[int]], list[list[int]]]:
    """Recipient patterns into `b`; per pair, the pattern columns (x) and share columns
    (f) that use it. Without `costs` the pattern columns carry no cost (the donor side does)."""
    rules = scenario.rules
    dpr = rules.donors_per_recipient
    groups = [np.flatnonzero(pairs.recipient == r) for r in range(len(scenario.recipients))]
    sizes = [_sizes(dpr.min, dpr.max, len(g)) for g in groups]
    _check_size(_count(groups, sizes), "recipient")
    x_cols: list[list[int]] = [[] for _ in range(len(pairs))]
    f_cols: list[list[int]] = [[] for _ in range(len(pairs))]
    for r, (group, ks) in enumerate(zip(groups, sizes, strict=True)):
        cover = bool(scenario.need[r] > 0)
        must = set(group[pairs.fixed[group]].tolist())
        choose = b.row(1.0 if cover or dpr.min > 0 or must else 0.0, 1.0)
        for k in ks:
            for members in itertools.combinations(group.tolist(), k):
                if not must <= set(members):
                    continue
                lo, hi = _shares(pairs, members, cover)
                if any(a > z + 1e-12 for a, z in zip(lo, hi, strict=True)):
                    continue
                if cover and (sum(lo) > 1 + 1e-12 or sum(hi) < 1 - 1e-12):
                    continue
                x_cost = float(pairs.x_cost[list(members)].sum()) if costs else 0.0
                y = b.col(x_cost, True)
                b.add(choose, y, 1.0)
                total = b.row(0.0, 0.0) if cover and not pairs.single else None
                if total is not None:
                    b.add(total, y, -1.0)
                for p, low, high in zip(members, lo, hi, strict=True):
                    x_cols[p].append(y)
                    if pairs.single:
                        f_cols[p].append(y)
                        continue
                    g = b.col(float(pairs.f_cost[p]) if costs else 0.0, False)
                    f_cols[p].append(g)
                    if total is not None:
                        b.add(total, g, 1.0)
                    _between(b, g, y, low, high)
    return x_cols, f_cols


def donor_side(
    b: Builder, scenario: Scenario, pairs: Pairs, cover: bool
) -> tuple[list[list[int]], list[list[int]]]:
    """Donor patterns into `b`, with the costs; per pair, the pattern and share columns.
    With `cover`, the recipients' coverage and count rows are added over these columns
    (the donor hull alone); otherwise the recipient side states them."""
    rules = scenario.rules
    rpd, dpr = rules.recipients_per_donor, rules.donors_per_recipient
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    cap = scenario.effective_capacity
    groups = [np.flatnonzero(pairs.donor == d) for d in range(n_d)]
    lows = [0 if scenario.excluded[d] else rpd.min for d in range(n_d)]  # excluded: exempt
    sizes = [_sizes(low, rpd.max, len(g)) for low, g in zip(lows, groups, strict=True)]
    _check_size(_count(groups, sizes), "donor")
    coverage = [b.row(1.0, 1.0) if cover and scenario.need[r] > 0 else -1 for r in range(n_r)]
    counts = [b.row(float(dpr.min), INF if dpr.max is None else float(dpr.max)) for _ in range(n_r)]
    fixed_rows = {int(p): b.row(1.0, 1.0) for p in np.flatnonzero(pairs.fixed)}
    x_cols: list[list[int]] = [[] for _ in range(len(pairs))]
    f_cols: list[list[int]] = [[] for _ in range(len(pairs))]
    for d, (group, ks) in enumerate(zip(groups, sizes, strict=True)):
        choose = b.row(1.0 if lows[d] > 0 else 0.0, 1.0)
        for k in ks:
            for members in itertools.combinations(group.tolist(), k):
                idx = list(members)
                if float(pairs.load[idx] @ pairs.lo[idx]) > cap[d] + 1e-9:
                    continue
                z = b.col(float(pairs.x_cost[idx].sum()), True)
                b.add(choose, z, 1.0)
                capacity = b.row(-INF, 0.0)
                b.add(capacity, z, -float(cap[d]))
                for p in members:
                    r = int(pairs.recipient[p])
                    x_cols[p].append(z)
                    b.add(counts[r], z, 1.0)
                    if p in fixed_rows:
                        b.add(fixed_rows[p], z, 1.0)
                    if pairs.single:
                        g = z
                    else:
                        g = b.col(float(pairs.f_cost[p]), False)
                        _between(b, g, z, float(pairs.lo[p]), float(pairs.hi[p]))
                    f_cols[p].append(g)
                    b.add(capacity, g, float(pairs.load[p]))
                    if coverage[r] >= 0:
                        b.add(coverage[r], g, 1.0)
    return x_cols, f_cols


def _between(b: Builder, share: int, use: int, low: float, high: float) -> None:
    """low * use <= share <= high * use."""
    if low > 0:
        row = b.row(-INF, 0.0)
        b.add(row, share, -1.0)
        b.add(row, use, low)
    row = b.row(-INF, 0.0)
    b.add(row, share, 1.0)
    b.add(row, use, -high)


def recipient_hull(scenario: Scenario, pairs: Pairs) -> Milp:
    """The recipient patterns, with donor counts and capacities as pairopt states them."""
    b = Builder()
    x_cols, f_cols = recipient_side(b, scenario, pairs, costs=True)
    rules = scenario.rules
    rpd = rules.recipients_per_donor
    cap = scenario.effective_capacity
    for d in range(len(scenario.donors)):
        group = np.flatnonzero(pairs.donor == d)  # an empty row still states the count rule
        least = 0.0 if scenario.excluded[d] else float(rpd.min)
        count = b.row(least, INF if rpd.max is None else float(rpd.max))
        capacity = b.row(-INF, float(cap[d]))
        for p in group:
            for y in x_cols[p]:
                b.add(count, y, 1.0)
            for g in f_cols[p]:
                b.add(capacity, g, float(pairs.load[p]))
    return b.milp()


def donor_hull(scenario: Scenario, pairs: Pairs) -> Milp:
    b = Builder()
    donor_side(b, scenario, pairs, cover=True)
    return b.milp()


def both_hulls(scenario: Scenario, pairs: Pairs) -> Milp:
    """Donor and recipient patterns, each pair's use and share equal on both sides."""
    b = Builder()
    dx, df = donor_side(b, scenario, pairs, cover=False)
    rx, rf = recipient_side(b, scenario, pairs, costs=False)
    for p in range(len(pairs)):
        for left, right in ((dx[p], rx[p]), (df[p], rf[p])):
            link = b.row(0.0, 0.0)  # with one donor per recipient the two rows coincide
            for col in left:
                b.add(link, col, 1.0)
            for col in right:
                b.add(link, col, -1.0)
    return b.milp()


def formulations(scenario: Scenario, model: PairingModel) -> dict[str, Callable[[], Milp]]:
    """Each formulation by name, built on demand (the hulls take a while on Hubei)."""
    if model.minimax:
        raise SystemExit("error: minimax objectives have no pattern formulation here.")
    pairs = pair_data(scenario, model)
    return {
        "model": lambda: model.milp,
        "recipient hull": lambda: recipient_hull(scenario, pairs),
        "donor hull": lambda: donor_hull(scenario, pairs),
        "both hulls": lambda: both_hulls(scenario, pairs),
    }


@dataclass
class Bound:
    name: str
    cols: int
    rows: int
    lp: float | None
    seconds: float
    milp: float | None = None


def measure(scenario: Scenario, with_milp: bool, time_limit: float) -> tuple[list[Bound], float]:
    """The four LP bounds (minimisation form) and the proven optimum."""
    model = build_model(scenario)
    makers = formulations(scenario, model)
    result = solve(scenario)
    if not result.proven_optimal or result.objective_value is None:
        raise SystemExit(f"error: pairopt did not prove the optimum ({result.status}).")
    optimum = model.sense * result.objective_value
    bounds = []
    for name, make in makers.items():
        milp = make()
        start = time.perf_counter()
        lp = solve_relaxation(milp, None)
        seconds = time.perf_counter() - start
        objective = None if lp is None else lp.objective
        bound = Bound(name, milp.num_cols, milp.num_rows, objective, seconds)
        if with_milp:
            raw = run_milp("highs", milp, time_limit, 0.0)
            bound.milp = raw.objective if raw.status == Status.OPTIMAL else None
        bounds.append(bound)
        print(f"  {name}: LP solved in {bound.seconds:.2f} s", file=sys.stderr, flush=True)
    return bounds, optimum


def table(bounds: list[Bound], optimum: float) -> str:
    base = bounds[0].lp
    lines = [
        f"optimum (proven by pairopt): {optimum:,.2f}",
        f"{'formulation':<16}{'columns':>9}{'rows':>9}{'LP bound':>16}{'gap %':>9}"
        f"{'closed %':>10}{'LP s':>8}{'MILP':>16}",
    ]
    for b in bounds:
        gap = closed = "-"
        if b.lp is not None:
            gap = f"{100 * (optimum - b.lp) / max(1.0, abs(optimum)):.4f}"
            if base is not None and optimum > base:
                closed = f"{100 * (b.lp - base) / (optimum - base):.1f}"
        lp = "-" if b.lp is None else f"{b.lp:,.2f}"
        milp = "" if b.milp is None else f"{b.milp:,.2f}"
        lines.append(
            f"{b.name:<16}{b.cols:>9}{b.rows:>9}{lp:>16}{gap:>9}{closed:>10}"
            f"{b.seconds:>8.2f}{milp:>16}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m research.relaxations",
        description="LP bounds of pairopt's model and of three extended formulations.",
    )
    parser.add_argument("scenario", nargs="?", type=Path, default=HUBEI)
    parser.add_argument(
        "--milp", action="store_true", help="also solve each formulation as a MILP (a check)"
    )
    parser.add_argument("--time-limit", type=float, default=600.0, help="per MILP (600 s)")
    parser.add_argument("--csv", type=Path, help="default: results/relaxations_<folder>.csv")
    args = parser.parse_args(argv)
    print(f"machine: {machine.describe()}")
    print(f"scenario: {args.scenario}")
    try:
        bounds, optimum = measure(load(args.scenario), args.milp, args.time_limit)
    except PairoptError as exc:  # the scenario's own problems, as pairopt reports them
        print("\n".join(exc.lines()), file=sys.stderr)
        return int(exc.exit_code)
    print(table(bounds, optimum))
    print(f"load average after the run: {machine.load_average()}")
    out = args.csv or RESULTS / f"relaxations_{args.scenario.resolve().parent.name}.csv"
    write_csv(out, bounds, optimum)
    print(f"rows written to {out}")
    return 0


def write_csv(path: Path, bounds: list[Bound], optimum: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["formulation", "columns", "rows", "lp_bound", "optimum", "lp_seconds", "milp"]
        )
        for b in bounds:
            writer.writerow([b.name, b.cols, b.rows, b.lp, optimum, round(b.seconds, 3), b.milp])


if __name__ == "__main__":
    sys.exit(main())
