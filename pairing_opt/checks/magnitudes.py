"""Numbers no solver can compare reliably, refused before any work is done.

A MILP solver works to absolute tolerances of about 1e-6 to 1e-9 on data it has scaled;
amounts that span more than MAX_RATIO cannot all be resolved at once, whatever unit they
are written in. Only ratios count, so the unit a user picks never decides.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, Problem
from ..scenario.scenario import DISTANCE_OBJECTIVES, Scenario
from ..scenario.spec import ColumnObjective

MAX_RATIO = 1e9  # the widest spread of positive values in one group (docs/how-it-works.md)


def check_magnitudes(scenario: Scenario) -> None:
    """Refuse numbers that no solver can compare reliably: positive amounts (or, for the
    objective, distances or the column's nonzero values) further apart than MAX_RATIO. Only ratios
    count, so the unit a user picks never decides. Raises InputError naming the extremes."""
    cand = scenario.candidates
    amounts = np.concatenate(
        [scenario.effective_capacity, scenario.need, cand.load[np.isfinite(cand.load)]]
    )
    groups = [("amounts (capacities after the reserve, needs and pair loads)", amounts)]
    objective = scenario.objective
    if objective in DISTANCE_OBJECTIVES:
        groups.append(("distances (km) of the candidate pairs", cand.km[np.isfinite(cand.km)]))
    if isinstance(objective, ColumnObjective) and scenario.pairs is not None and len(cand):
        values = scenario.pairs.columns[objective.column][scenario.pair_rows(cand)]
        groups.append((f"values of the pair-table column '{objective.column}'", values))
    problems = []
    for what, values in groups:
        positive = np.abs(np.asarray(values, dtype=float))
        positive = positive[np.isfinite(positive) & (positive > 0)]
        if len(positive) == 0:
            continue
        low, high = float(positive.min()), float(positive.max())
        if high > MAX_RATIO * low:
            problems.append(
                Problem(
                    "scenario",
                    f"the {what} range from {low:g} to {high:g}, a ratio of {high / low:.3g}; "
                    f"pairopt solves reliably only within a ratio of {MAX_RATIO:g}.",
                    "drop or round the tiny values (they cannot change the pairing), or "
                    "split the scenario.",
                )
            )
    if problems:
        raise InputError(problems)
