"""Numbers no solver can compare reliably, refused before any work is done.

A MILP solver works to absolute tolerances of about 1e-6 to 1e-9 on data it has scaled;
amounts that span more than MAX_RATIO cannot all be resolved at once, whatever unit they
are written in. Only ratios count, so the unit a user picks never decides.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, Problem
from ..scenario.scenario import DISTANCE_OBJECTIVES, Scenario
from ..scenario.spec import (
    ColumnObjective,
    Objective,
    OrderedObjective,
    objective_terms,
    term_objective,
)

MAX_RATIO = 1e9  # the widest spread of positive values in one group (docs/how-it-works.md)


def _own_costs(scenario: Scenario, objective: Objective) -> np.ndarray:
    """What one term costs per unit of its columns, in the unit the prices are in: km x
    need for weighted distance, need for shortfall (the price is then a plain factor, so
    the unit of need never decides), km or a column's values; 1 for a term without a unit
    (balance, fairness, a count of changes), against which a price is per unit of need."""
    cand = scenario.candidates
    with np.errstate(over="ignore"):  # an overflow is reported by the caller
        if objective == "weighted_distance":
            need = scenario.need_matrix[cand.recipient] * scenario.weights
            return np.asarray((cand.km[:, None] * need).ravel())
        if objective == "shortfall":
            return np.asarray((scenario.need_matrix * scenario.weights).ravel())
    if objective in DISTANCE_OBJECTIVES:
        return np.asarray(cand.km[np.isfinite(cand.km)])
    if isinstance(objective, ColumnObjective) and scenario.pairs is not None and len(cand):
        return np.asarray(scenario.pairs.columns[objective.column][scenario.pair_rows(cand)])
    return np.ones(1)


def check_finite(scenario: Scenario) -> None:
    """Refuse needs and capacities past the largest float (need_scale 1e307 on a need of
    100, or a sample drawn that large): read as infinite they made a need no donor could
    cover, reported as infeasible, or a solver error. Before any diagnosis."""
    problems = []
    for what, values in (
        ("needs", scenario.need_matrix),
        ("capacities", scenario.available_matrix),
    ):
        with np.errstate(over="ignore"):  # their totals too: every check adds them up
            total = values.sum(axis=0)
        if not (np.isfinite(values).all() and np.isfinite(total).all()):
            problems.append(
                Problem(
                    "scenario",
                    f"the {what} (or their total) include values too large to compute with "
                    f"(beyond {np.finfo(float).max:.3g}, after need_scale and any "
                    "perturbation).",
                    "write the amounts in a larger unit, or lower need_scale or the perturbation.",
                )
            )
    if problems:
        raise InputError(problems)


def check_magnitudes(scenario: Scenario) -> None:
    """Refuse numbers that no solver can compare reliably: positive amounts (or, for the
    objective, distances or the column's nonzero values) further apart than MAX_RATIO. Only ratios
    count, so the unit a user picks never decides. Raises InputError naming the extremes."""
    cand = scenario.candidates
    groups = []
    # Each resource is in its own unit: only amounts of one resource must be comparable.
    for k, name in enumerate(scenario.resources):
        loads = cand.loads[:, k]
        amounts = np.concatenate(
            [
                scenario.available_matrix[:, k],
                scenario.need_matrix[:, k],
                scenario.min_load_matrix[:, k],
                loads[np.isfinite(loads)],
            ]
        )
        of = f" of {name}" if name else ""
        groups.append(
            (f"amounts{of} (capacities after the reserve, needs and pair loads)", amounts)
        )
    objective = scenario.objective
    if objective in DISTANCE_OBJECTIVES:
        groups.append(("distances (km) of the candidate pairs", cand.km[np.isfinite(cand.km)]))
    if isinstance(objective, ColumnObjective):
        column = f"values of the pair-table column '{objective.column}'"
        groups.append((column, _own_costs(scenario, objective)))
    priced = ~np.isnan(scenario.penalties)
    if priced.any():
        # Shortfall prices share the objective with its own costs: both must be
        # resolvable at once. An order solves its levels one by one, each with the prices.
        with np.errstate(over="ignore"):  # an overflow is reported below, not warned of
            prices = (np.nan_to_num(scenario.penalties) * scenario.need_matrix)[:, priced]
        if isinstance(objective, OrderedObjective):
            levels = [(f" of level {i}", term_objective(lv.term)) for i, lv in enumerate(
                objective.order, start=1)]  # fmt: skip
        else:
            levels = [("", objective)]
        for of, term in levels:
            groups.append(
                (
                    f"objective costs{of} (the objective's own and shortfall price x need)",
                    np.concatenate([_own_costs(scenario, term), prices.ravel()]),
                )
            )
            if term == "shortfall":  # the levels after it hold it: the price is moot there
                break
    else:  # no price to compare with: only a cost past the largest float is refused
        for key in objective_terms(objective):
            costs = _own_costs(scenario, term_objective(key))
            if np.isinf(costs).any():
                groups.append((f"objective costs of {key} (km x need)", costs))
    problems = []
    scored = "shortfall" in objective_terms(objective)
    for what, values in groups:
        positive = np.abs(np.asarray(values, dtype=float))
        if np.isinf(positive).any():  # a product past 1.8e308: no solver can hold it
            problems.append(
                Problem(
                    "scenario",
                    f"the {what} include values too large to compute with (beyond "
                    f"{np.finfo(float).max:.3g}).",
                    "write the amounts, prices or distances in a larger unit, or lower the "
                    "largest of them.",
                )
            )
            continue
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
                    _fix(what, scored),
                )
            )
    if problems:
        raise InputError(problems)


def _fix(what: str, scored: bool) -> str:
    """How to bring a group within MAX_RATIO: the objective's costs against a price are
    set by the price, which is per unit of need; elsewhere the tiny values cannot matter.
    `scored`: the objective already has a shortfall term."""
    if what.startswith("objective costs"):
        return (
            "bring the shortfall price (rules.coverage) closer to the objective's own costs "
            "(it is a price per unit of need: the larger the need numbers, the smaller it "
            "must be)"
            + (
                ", or leave the price out (the objective's shortfall term scores it)."
                if scored
                else ", or score need left uncovered with a shortfall term of the objective."
            )
        )
    return "drop or round the tiny values (they cannot change the pairing), or split the scenario."
