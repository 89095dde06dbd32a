"""Shares for a pairing that leaves some empty: the split that breaks the rules least.

`evaluate` and `compare` accept pairings that name only who helps whom. The shares then
come from a small LP over the given pairs, in stages, each keeping what the one before
reached: first the least capacity overload plus over-covered need, plus uncovered need
where it must be covered in full (these break rules); then, under an objective with a
shortfall or max_shortfall term, the least uncovered need (weighted by resource, as the
shortfall term weighs it: that term is minimised, not left at zero cost, but need left
uncovered breaks no rule there); last, among those splits, the least price of uncovered
need and (for a weighted_distance objective, or where no need is priced) the least
weighted distance. Given shares are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..checks.verify import Assignment
from ..errors import SolverError
from ..io.pairings import PairingRow
from ..scenario.scenario import Scenario
from .backends import run_milp
from .model import AMOUNT_BAND, AMOUNT_TARGET, COST_BAND, COST_TARGET, Milp, power_of_ten

# The second stage may lose this much (relative) of the first stage's optimum: LP noise.
FIRST_STAGE_SLACK = 1e-9


@dataclass(frozen=True)
class Completion:
    """A pairing with every share known, and whether pairopt had to compute any."""

    pairing: list[Assignment]
    computed: bool


@dataclass(frozen=True)
class _Rows:
    """The pairing's rows as index arrays into the scenario (loads and needs per resource)."""

    donor: np.ndarray
    recipient: np.ndarray
    need: np.ndarray  # (rows, resources)
    load: np.ndarray  # (rows, resources)
    km: np.ndarray
    given: np.ndarray  # (rows, resources): the fraction given, NaN where left empty


def complete_pairing(scenario: Scenario, rows: list[PairingRow]) -> Completion:
    """Fill in the shares a pairing leaves empty (see the module docstring). A pairing
    that cannot meet the rules under any split gets its smallest possible violations."""
    multi = scenario.multi_resource
    if all(None not in r.amounts for r in rows):
        return Completion(
            [_assignment(r.donor, r.recipient, r.amounts, multi) for r in rows], False
        )
    arrays = _arrays(scenario, rows)
    milp = _share_lp(scenario, arrays)
    fractions = _solve_in_stages(scenario, milp, arrays)
    amounts = np.where(np.isnan(arrays.given), fractions, arrays.given) * arrays.need
    for i, row in enumerate(rows):  # given shares are kept exactly as written
        for k, value in enumerate(row.amounts):
            if value is not None:
                amounts[i, k] = value
    pairing = [
        _assignment(row.donor, row.recipient, tuple(amounts[i]), multi)
        for i, row in enumerate(rows)
    ]
    return Completion(pairing, computed=True)


def _assignment(
    donor: str, recipient: str, amounts: tuple[float | None, ...], multi: bool
) -> Assignment:
    values = tuple(float(v or 0.0) for v in amounts)
    return Assignment(donor, recipient, values[0], values if multi else ())


def _arrays(scenario: Scenario, rows: list[PairingRow]) -> _Rows:
    d = np.array([scenario.donor_index[r.donor] for r in rows], dtype=np.int64)
    r = np.array([scenario.recipient_index[x.recipient] for x in rows], dtype=np.int64)
    n_k = len(scenario.resources)
    pairs = list(zip(d, r, strict=True))
    need = scenario.need_matrix[r].reshape(len(rows), n_k)
    given = np.full((len(rows), n_k), np.nan)
    for i, row in enumerate(rows):
        for k, value in enumerate(row.amounts[:n_k]):
            if value is not None:
                given[i, k] = value / need[i, k] if need[i, k] > 0 else 0.0
    return _Rows(
        donor=d,
        recipient=r,
        need=need,
        load=np.array(
            [[scenario.load(int(i), int(j), k) for k in range(n_k)] for i, j in pairs]
        ).reshape(len(rows), n_k),
        km=np.array([scenario.distance_km(int(i), int(j)) for i, j in pairs]),
        given=given,
    )


def _block(n: int, n_d: int, n_r: int) -> int:
    """Columns per resource: n fractions, n_d overloads, n_r under- and n_r over-coverages,
    n_d underloads (below a donor's min_load)."""
    return n + 2 * n_d + 2 * n_r


def _share_lp(scenario: Scenario, x: _Rows) -> Milp:
    """Per resource, columns: a fraction per row, an overload per donor, under- and
    over-coverage per recipient, an underload per donor; the objective is the total
    overload and underload plus need left uncovered (where _must_cover) or exceeded.
    Resource blocks sit side by side: they share nothing once the pairs are given."""
    n, n_d, n_r = len(x.donor), len(scenario.donors), len(scenario.recipients)
    block = _block(n, n_d, n_r)
    parts = [
        _share_block(scenario, x, k, k * block, k * (n_r + 2 * n_d)) for k in range(x.need.shape[1])
    ]
    return Milp(
        c=np.concatenate([p.c for p in parts]),
        lb=np.concatenate([p.lb for p in parts]),
        ub=np.concatenate([p.ub for p in parts]),
        integer=np.zeros(block * len(parts), dtype=bool),
        a_row=np.concatenate([p.a_row for p in parts]),
        a_col=np.concatenate([p.a_col for p in parts]),
        a_val=np.concatenate([p.a_val for p in parts]),
        row_lb=np.concatenate([p.row_lb for p in parts]),
        row_ub=np.concatenate([p.row_ub for p in parts]),
    )


def _share_block(scenario: Scenario, x: _Rows, k: int, col0: int, row0: int) -> Milp:
    """Resource k's part of the share LP, its columns from col0 and rows from row0."""
    n, n_d, n_r = len(x.donor), len(scenario.donors), len(scenario.recipients)
    need = scenario.need_matrix[:, k]
    available = scenario.available_matrix[:, k]
    n_cols = _block(n, n_d, n_r)
    lb, ub = np.zeros(n_cols), np.full(n_cols, np.inf)
    ub[:n] = 1.0
    given = x.given[:, k]
    lb[:n] = np.where(
        np.isnan(given), np.where(x.need[:, k] > 0, min(scenario.rules.min_share, 1.0), 0.0), given
    )
    ub[:n] = np.where(np.isnan(given), 1.0, given)
    cols = np.arange(n)
    # Amounts (loads, capacities, needs) in one unit of order one (model.power_of_ten): the
    # solver's tolerances are absolute. The fractions, what is read back, need no undoing.
    largest = max(
        float(np.max(x.load[:, k], initial=0.0)),
        float(np.max(available, initial=0.0)),
        float(np.max(need, initial=0.0)),
    )
    unit = power_of_ten(largest, AMOUNT_BAND, AMOUNT_TARGET)
    covered = np.flatnonzero(np.bincount(x.recipient, minlength=n_r) > 0)
    # coverage rows: sum f + under - over = 1 for every recipient with a need and a donor;
    # capacity rows: sum load f - overload <= available; min_load rows (a donor taking
    # part): sum load f + underload >= min_load
    least = np.where(scenario.excluded, 0.0, scenario.min_load_matrix[:, k])
    donors = np.arange(n_d)
    underload = n + n_d + 2 * n_r + donors
    a_row = [
        x.recipient,
        x.donor + n_r,
        covered,
        covered,
        donors + n_r,
        x.donor + n_r + n_d,
        donors + n_r + n_d,
    ]
    a_col = [cols, cols, n + n_d + covered, n + n_d + n_r + covered, n + donors, cols, underload]
    a_val = [
        np.ones(n),
        x.load[:, k] / unit,
        np.ones(len(covered)),
        -np.ones(len(covered)),
        -np.ones(n_d),
        x.load[:, k] / unit,
        np.ones(n_d),
    ]
    row_lb = np.concatenate(
        [np.full(n_r + n_d, -np.inf), np.where(least > 0, least / unit, -np.inf)]
    )
    row_ub = np.concatenate([np.full(n_r, np.inf), available / unit, np.full(n_d, np.inf)])
    positive = covered[need[covered] > 0]
    row_lb[positive] = row_ub[positive] = 1.0
    c = np.zeros(n_cols)
    c[n : n + n_d] = 1.0
    c[underload] = 1.0
    # Uncovered need breaks a rule only where it must be covered in full; elsewhere a later
    # stage minimises it (a shortfall term) or prices it.
    under = 1.0 if _must_cover(scenario)[k] else 0.0
    c[n + n_d : n + n_d + 2 * n_r] = np.concatenate([need * under, need]) / unit
    return Milp(
        c=c,
        lb=lb,
        ub=ub,
        integer=np.zeros(n_cols, dtype=bool),
        a_row=np.concatenate(a_row) + row0,
        a_col=np.concatenate(a_col) + col0,
        a_val=np.concatenate(a_val),
        row_lb=row_lb,
        row_ub=row_ub,
    )


def _must_cover(scenario: Scenario) -> np.ndarray:
    """Per resource, whether need left uncovered breaks a rule: no shortfall price, and no
    shortfall term in the objective (which lets every need go uncovered)."""
    return np.asarray(np.isnan(scenario.penalties))


def _with_largest(milp: Milp, cols: np.ndarray) -> Milp:
    """The LP with one more column t (last, cost 0) held at least every value in `cols`:
    minimised, t is the largest of them."""
    t = milp.num_cols
    rows = milp.num_rows + np.arange(len(cols))
    return replace(
        milp,
        c=np.append(milp.c, 0.0),
        lb=np.append(milp.lb, 0.0),
        ub=np.append(milp.ub, np.inf),
        integer=np.append(milp.integer, False),
        a_row=np.concatenate([milp.a_row, rows, rows]),
        a_col=np.concatenate([milp.a_col, cols, np.full(len(cols), t)]),
        a_val=np.concatenate([milp.a_val, np.ones(len(cols)), -np.ones(len(cols))]),
        row_lb=np.concatenate([milp.row_lb, np.full(len(cols), -np.inf)]),
        row_ub=np.concatenate([milp.row_ub, np.zeros(len(cols))]),
    )


def _solve_in_stages(scenario: Scenario, milp: Milp, x: _Rows) -> np.ndarray:
    """The least violation first; then the objective's shortfall terms, in its order (the
    total uncovered need weighted by resource; the largest uncovered fraction of a need,
    then the total); then the least price of uncovered need plus (for a weighted_distance
    objective, or where no need is priced) the least weighted distance, where every
    distance is known. Each stage keeps the value of the one before."""
    name, limit = scenario.solver.name, scenario.solver.time_limit
    n, n_k = x.need.shape
    n_d, n_r = len(scenario.donors), len(scenario.recipients)
    block = _block(n, n_d, n_r)
    shortfall = list(scenario.shortfall_terms)
    need = scenario.need_matrix
    under = [k * block + n + n_d + np.arange(n_r) for k in range(n_k)]
    if "max_shortfall" in shortfall:
        served = np.bincount(x.recipient, minlength=n_r) > 0
        milp = _with_largest(
            milp, np.concatenate([u[served & (need[:, k] > 0)] for k, u in enumerate(under)])
        )
    first = run_milp(name, milp, limit, 0.0)
    if first.values is None or first.objective is None:
        raise SolverError(
            "could not compute the shares of the pairing (the share LP did not "
            "solve). Fix: give the shares in the pairing file's share column."
        )
    values = first.values
    stage_costs = []
    # After the largest uncovered fraction, the least total: the split keeps capacity in use.
    for term in shortfall + ["shortfall"] * (shortfall == ["max_shortfall"]):
        costs = np.zeros(milp.num_cols)
        if term == "max_shortfall":
            costs[-1] = 1.0
        else:
            for k in range(n_k):
                costs[under[k]] = scenario.weights[k] * need[:, k]
        stage_costs.append(costs)
    last = np.zeros(milp.num_cols)
    # Priced in the last stage only where a price alone scores uncovered need: under a
    # shortfall term the stages before have minimised it.
    priced = ~_must_cover(scenario) & (not shortfall)
    distance = scenario.objective == "weighted_distance" or not priced.any()
    for k in range(n_k):
        start = k * block
        if distance and not np.isnan(x.km).any():
            last[start : start + n] = x.km * x.need[:, k] * scenario.weights[k]
        if priced[k]:
            last[under[k]] = scenario.penalties[k] * need[:, k]
    stage_costs.append(last)
    stages, reached = milp, first.objective
    for costs in stage_costs:
        if not np.any(costs):
            continue
        costs = costs / power_of_ten(float(np.abs(costs).max(initial=0.0)), COST_BAND, COST_TARGET)
        cap = reached + FIRST_STAGE_SLACK * max(1.0, abs(reached))
        stages = stages.with_objective_cap(stages.c, cap, costs)
        run = run_milp(name, stages, limit, 0.0, strict=True)
        if run.values is None or run.objective is None:
            break
        values, reached = run.values, run.objective
    out = np.zeros((n, n_k))
    for k in range(n_k):
        out[:, k] = np.clip(values[k * block : k * block + n], 0.0, 1.0)
    return out
