"""The plain peer of pairopt's solve: the same rules written as the textbook model straight
in highspy, solved once by HiGHS to gap 0, with no staging, no strengthening and no
tie-break. It is what a user would write by hand, and the yardstick the issue of
user-scale speed sets: pairopt's whole solve (tie-break included) must not be slower.

It shares pairopt's reading of the scenario (the allowed pairs, their km and loads, the
capacities less reserves, the count ranges): reading tables is not the model. Everything
from there on is written here independently of pairing_opt.engine, so a run where both
prove an optimum also cross-checks the two models' objectives.

    x_p in {0,1}        pair p = (d, r) used (1 when fixed)
    f_pk in [0,1]       share of r's need of resource k that d covers (f = x when every
                        recipient has one donor and all need is covered)
    s_rk in [0,1]       share left uncovered, priced (rules.coverage)
    sum_d f_pk + s_rk = 1            every need of every resource
    f_pk <= x_p, f_pk >= min_share x_p
    donor counts per recipient, recipient counts per donor, within their ranges
    sum_r load_pk f_pk <= capacity_dk (less the reserve), >= min_load_dk
    objective: distance sum km x; weighted_distance sum w_k km need_rk f_pk;
    max_distance t >= km x; balance t >= load / capacity; a pair column's sum;
    plus sum price_k need_rk s_rk.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from pairing_opt.scenario.scenario import Scenario
from pairing_opt.scenario.spec import ColumnObjective

INF = highspy.kHighsInf


@dataclass(frozen=True)
class PlainResult:
    status: str  # optimal, infeasible, limit
    objective: float | None  # in the objective's own sense and unit
    bound: float | None
    seconds: float  # building the model and solving it


class _Model:
    """Columns and rows accumulated as plain lists, then handed to HiGHS in one go."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[tuple[float, float, list[int], list[float]]] = []

    def column(self, cost: float, lower: float, upper: float, integer: bool = False) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float, cols: list[int], vals: list[float]) -> None:
        if cols:
            self.rows.append((lower, upper, cols, vals))

    def highs(self, time_limit: float | None) -> Any:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-9)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        n = len(self.cost)
        h.addVars(n, np.array(self.lower), np.array(self.upper))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(self.cost))
        ints = np.flatnonzero(self.integer).astype(np.int32)
        if len(ints):
            h.changeColsIntegrality(
                len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger)
            )
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        for _, _, cols, vals in self.rows:
            starts.append(len(index))
            index.extend(cols)
            value.extend(vals)
        h.addRows(
            len(self.rows),
            np.array([r[0] for r in self.rows]),
            np.array([r[1] for r in self.rows]),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value),
        )
        return h


def solve_plain(scenario: Scenario, time_limit: float | None = 60.0) -> PlainResult:
    """Build the textbook model of `scenario` and solve it once to gap 0."""
    start = time.perf_counter()
    m = _Model()
    cand = scenario.candidates
    n, n_res = len(cand), len(scenario.resources)
    need = scenario.need_matrix  # (recipients, resources)
    penalties = scenario.penalties
    single = scenario.single_donor
    objective = scenario.objective
    sense = 1.0
    if isinstance(objective, ColumnObjective) and objective.sense == "max":
        sense = -1.0

    pair_cost = np.zeros(n)
    if objective == "distance":
        pair_cost = cand.km.copy()
    elif isinstance(objective, ColumnObjective):
        assert scenario.pairs is not None
        rows = scenario.pair_rows(cand)
        pair_cost = sense * scenario.pairs.columns[objective.column][rows]
    x = [m.column(float(pair_cost[p]), float(cand.fixed[p]), 1.0, True) for p in range(n)]
    f = [[x[p] for p in range(n)] for _ in range(n_res)]
    if not single:
        for k in range(n_res):
            for p in range(n):
                r = cand.recipient[p]
                cost = 0.0
                if objective == "weighted_distance":
                    cost = cand.km[p] * need[r, k] * scenario.weights[k]
                f[k][p] = m.column(cost, 0.0, 1.0)
                m.row(-INF, 0.0, [f[k][p], x[p]], [1.0, -1.0])
                if scenario.rules.min_share > 0 and need[r, k] > 0:
                    m.row(-INF, 0.0, [x[p], f[k][p]], [scenario.rules.min_share, -1.0])
    elif objective == "weighted_distance":
        for p in range(n):
            r = cand.recipient[p]
            m.cost[x[p]] += float(
                sum(cand.km[p] * need[r, k] * scenario.weights[k] for k in range(n_res))
            )
    t = -1
    if objective in ("max_distance", "balance"):
        t = m.column(1.0, 0.0, INF)
    if objective == "max_distance":
        for p in range(n):
            m.row(-INF, 0.0, [x[p], t], [float(cand.km[p]), -1.0])

    by_recipient: list[list[int]] = [[] for _ in scenario.recipients]
    by_donor: list[list[int]] = [[] for _ in scenario.donors]
    for p in range(n):
        by_recipient[cand.recipient[p]].append(p)
        by_donor[cand.donor[p]].append(p)

    impossible = False  # a need or a count that no allowed pair can meet
    low, high = scenario.donor_count_range
    for r, pairs in enumerate(by_recipient):
        for k in range(n_res):
            if need[r, k] <= 0:
                continue
            cols, vals = [f[k][p] for p in pairs], [1.0] * len(pairs)
            if not np.isnan(penalties[k]):
                cols.append(m.column(float(penalties[k] * need[r, k]), 0.0, 1.0))
                vals.append(1.0)
            impossible |= not cols
            m.row(1.0, 1.0, cols, vals)
        if low[r] > 0 or np.isfinite(high[r]):
            impossible |= low[r] > 0 and not pairs
            m.row(float(low[r]), float(high[r]), [x[p] for p in pairs], [1.0] * len(pairs))

    low, high = scenario.recipient_count_range
    available = scenario.available_matrix
    least = scenario.min_load_matrix
    for d, pairs in enumerate(by_donor):
        excluded = bool(scenario.excluded[d])
        if not excluded and (low[d] > 0 or np.isfinite(high[d])):
            impossible |= low[d] > 0 and not pairs
            m.row(float(low[d]), float(high[d]), [x[p] for p in pairs], [1.0] * len(pairs))
        for k in range(n_res):
            cols = [f[k][p] for p in pairs]
            loads = [float(cand.loads[p, k]) for p in pairs]
            m.row(-INF, float(available[d, k]), cols, loads)
            if least[d, k] > 0 and not excluded:
                impossible |= not cols
                m.row(float(least[d, k]), INF, cols, loads)
            if objective == "balance" and available[d, k] > 0:
                m.row(-INF, 0.0, [*cols, t], [*loads, -float(available[d, k])])

    if impossible:
        return PlainResult("infeasible", None, None, time.perf_counter() - start)
    h = m.highs(time_limit)
    h.run()
    seconds = time.perf_counter() - start
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return PlainResult("infeasible", None, None, seconds)
    found = info.primal_solution_status == 2
    objective_value = sense * info.objective_function_value if found else None
    bound = sense * info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    label = "optimal" if status == highspy.HighsModelStatus.kOptimal else "limit"
    return PlainResult(label, objective_value, bound, seconds)
