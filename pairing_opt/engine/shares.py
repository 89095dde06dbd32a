"""Shares for a pairing that leaves some empty: the split that breaks the rules least.

`evaluate` and `compare` accept pairings that name only who helps whom. The shares then
come from a small LP over the given pairs: first the least capacity overload plus
uncovered or over-covered need, then, among those splits, the least weighted distance.
Given shares are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """The pairing's rows as index arrays into the scenario."""

    donor: np.ndarray
    recipient: np.ndarray
    need: np.ndarray
    load: np.ndarray
    km: np.ndarray


def complete_pairing(scenario: Scenario, rows: list[PairingRow]) -> Completion:
    """Fill in the shares a pairing leaves empty (see the module docstring). A pairing
    that cannot meet the rules under any split gets its smallest possible violations."""
    if all(r.share is not None for r in rows):
        return Completion(
            [Assignment(r.donor, r.recipient, float(r.share or 0.0)) for r in rows], computed=False
        )
    arrays = _arrays(scenario, rows)
    milp = _share_lp(scenario, rows, arrays)
    fractions = _solve_in_two_stages(scenario, milp, arrays)
    pairing = [
        Assignment(
            row.donor,
            row.recipient,
            float(row.share) if row.share is not None else float(fractions[i] * arrays.need[i]),
        )
        for i, row in enumerate(rows)
    ]
    return Completion(pairing, computed=True)


def _arrays(scenario: Scenario, rows: list[PairingRow]) -> _Rows:
    d = np.array([scenario.donor_index[r.donor] for r in rows], dtype=np.int64)
    r = np.array([scenario.recipient_index[x.recipient] for x in rows], dtype=np.int64)
    pairs = list(zip(d, r, strict=True))
    return _Rows(
        donor=d,
        recipient=r,
        need=scenario.need[r],
        load=np.array([scenario.load(int(i), int(j)) for i, j in pairs]),
        km=np.array([scenario.distance_km(int(i), int(j)) for i, j in pairs]),
    )


def _share_lp(scenario: Scenario, rows: list[PairingRow], x: _Rows) -> Milp:
    """Columns: a fraction per row, an overload per donor, under- and over-coverage per
    recipient; the objective is the total overload plus need left uncovered or exceeded."""
    n, n_d, n_r = len(rows), len(scenario.donors), len(scenario.recipients)
    n_cols = n + n_d + 2 * n_r
    lb, ub = np.zeros(n_cols), np.full(n_cols, np.inf)
    ub[:n] = 1.0
    for i, row in enumerate(rows):
        if row.share is not None:
            lb[i] = ub[i] = row.share / x.need[i] if x.need[i] > 0 else 0.0
        elif x.need[i] > 0:
            lb[i] = min(scenario.rules.min_share, 1.0)
    cols = np.arange(n)
    # Amounts (loads, capacities, needs) in one unit of order one (model.power_of_ten): the
    # solver's tolerances are absolute. The fractions, what is read back, need no undoing.
    largest = max(
        float(np.max(x.load, initial=0.0)),
        float(np.max(scenario.effective_capacity, initial=0.0)),
        float(np.max(scenario.need, initial=0.0)),
    )
    unit = power_of_ten(largest, AMOUNT_BAND, AMOUNT_TARGET)
    covered = np.flatnonzero(np.bincount(x.recipient, minlength=n_r) > 0)
    # coverage rows: sum f + under - over = 1 for every recipient with a need and a donor;
    # capacity rows: sum load f - overload <= available
    a_row = [x.recipient, x.donor + n_r, covered, covered, np.arange(n_d) + n_r]
    a_col = [cols, cols, n + n_d + covered, n + n_d + n_r + covered, n + np.arange(n_d)]
    a_val = [
        np.ones(n),
        x.load / unit,
        np.ones(len(covered)),
        -np.ones(len(covered)),
        -np.ones(n_d),
    ]
    row_lb = np.full(n_r + n_d, -np.inf)
    row_ub = np.concatenate([np.full(n_r, np.inf), scenario.effective_capacity / unit])
    positive = covered[scenario.need[covered] > 0]
    row_lb[positive] = row_ub[positive] = 1.0
    c = np.zeros(n_cols)
    c[n : n + n_d] = 1.0
    c[n + n_d :] = np.concatenate([scenario.need, scenario.need]) / unit
    return Milp(
        c=c,
        lb=lb,
        ub=ub,
        integer=np.zeros(n_cols, dtype=bool),
        a_row=np.concatenate(a_row),
        a_col=np.concatenate(a_col),
        a_val=np.concatenate(a_val),
        row_lb=row_lb,
        row_ub=row_ub,
    )


def _solve_in_two_stages(scenario: Scenario, milp: Milp, x: _Rows) -> np.ndarray:
    """The least violation first; then, where every distance is known, the least weighted
    distance among splits that keep it."""
    name, limit = scenario.solver.name, scenario.solver.time_limit
    first = run_milp(name, milp, limit, 0.0)
    if first.values is None or first.objective is None:
        raise SolverError(
            "could not compute the shares of the pairing (the share LP did not "
            "solve). Fix: give the shares in the pairing file's share column."
        )
    values = first.values
    n = len(x.donor)
    if not np.isnan(x.km).any():
        second_c = np.zeros(len(milp.c))
        second_c[:n] = x.km * x.need
        second_c /= power_of_ten(float(np.abs(second_c).max(initial=0.0)), COST_BAND, COST_TARGET)
        cap = first.objective + FIRST_STAGE_SLACK * max(1.0, first.objective)
        second = run_milp(
            name, milp.with_objective_cap(milp.c, cap, second_c), limit, 0.0, strict=True
        )
        if second.values is not None:
            values = second.values
    return np.asarray(np.clip(values[:n], 0.0, 1.0))
