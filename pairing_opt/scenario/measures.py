"""Definitions from the scenario's data alone that objectives and metrics share: how strong a
donor is, how hard hit a recipient is, which donors take part in fairness, and the unit each
objective term is measured in when terms are summed.

These are definitions, not computations of a pairing: the model (engine) and the verifier
(checks) both read them, and each computes a pairing's terms on its own.
"""

from __future__ import annotations

import math

import numpy as np

from .scenario import Scenario

RANK_TIE = 1e-9  # relative: values this close share a rank


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values`, ties sharing their average rank (as Spearman's rho uses).
    Values equal to RANK_TIE relative are ties: shares of a total computed in another unit
    differ in their last bits, and round-off must not decide a rank."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(n)
    sorted_values = values[order]
    # Each run of equal values gets the mean of the positions it spans.
    apart = ~np.isclose(sorted_values[1:], sorted_values[:-1], rtol=RANK_TIE, atol=0.0)
    starts = np.flatnonzero(np.r_[True, apart])
    ends = np.r_[starts[1:], n]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return ranks


def _shares_of_total(amounts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row, sum_k w_k amount_k / (column k's total): a size comparable across resources
    of different units (resources with a total of 0 count for nothing)."""
    totals = amounts.sum(axis=0)
    safe = np.where(totals > 0, totals, 1.0)
    return np.asarray((amounts / safe * np.where(totals > 0, weights, 0.0)).sum(axis=1))


def donor_strength(scenario: Scenario) -> np.ndarray:
    """Per donor, its capacity as a share of all donors' capacity, summed over resources with
    their weights: 'stronger' in the assortative term and metric."""
    return _shares_of_total(scenario.capacity_matrix, scenario.weights)


def recipient_severity(scenario: Scenario) -> np.ndarray:
    """Per recipient, its need as a share of all need, summed over resources with their
    weights: 'harder hit' in the assortative term and metric."""
    return _shares_of_total(scenario.need_matrix, scenario.weights)


def rank_scores(values: np.ndarray) -> np.ndarray:
    """Average rank / count, in (0, 1]: the largest value scores 1."""
    n = len(values)
    return average_ranks(values) / n if n else np.zeros(0)


def fairness_donors(scenario: Scenario) -> np.ndarray:
    """(donors, resources): the donors whose utilisation of each resource the fairness term
    and the utilisation metrics compare: not excluded, with an allowed pair, and with
    capacity of that resource left after the reserve. A donor who could serve nobody has
    no burden to share."""
    has_pair = np.zeros(len(scenario.donors), dtype=bool)
    has_pair[scenario.candidates.donor] = True
    usable = has_pair & ~scenario.excluded
    return np.asarray(usable[:, None] & (scenario.available_matrix > 0))


def mean_allowed_km(scenario: Scenario) -> float:
    """The mean distance of the allowed pairs (1 km when there are none or no distances)."""
    km = scenario.candidates.km
    known = km[np.isfinite(km)]
    mean = float(known.mean()) if len(known) else math.nan
    return mean if math.isfinite(mean) and mean > 0 else 1.0


def weighted_need(scenario: Scenario) -> float:
    """All need, summed over resources with their weights (1 when there is none)."""
    total = float((scenario.need_matrix.sum(axis=0) * scenario.weights).sum())
    return total if total > 0 else 1.0


def recipients_with_need(scenario: Scenario) -> int:
    return int(scenario.has_need.sum())


def assortative_weights(scenario: Scenario) -> np.ndarray:
    """(donors, recipients) q_d * q_r / R: what a pair adds to the assortative term when it
    covers its recipient's whole need (q: rank scores of strength and severity, R: the
    recipients with need), so the term lies in [0, 1]."""
    q_d = rank_scores(donor_strength(scenario))
    q_r = rank_scores(recipient_severity(scenario))
    count = max(1, recipients_with_need(scenario))
    return np.asarray(np.outer(q_d, q_r) / count)


def need_fractions_weights(scenario: Scenario) -> np.ndarray:
    """(recipients, resources): how much each resource's covered fraction counts towards a
    recipient's covered whole, w_k over the resources it needs (0 where it needs none)."""
    needed = scenario.need_matrix > 0
    weights = np.where(needed, scenario.weights[None, :], 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    return np.asarray(weights / np.where(totals > 0, totals, 1.0))


def term_normaliser(scenario: Scenario, term: str) -> float:
    """The unit a term is divided by in a weighted sum, from the data alone, so that a
    weight of 1 means about as much on every term (docs/scenario-format.md):
    distance: R x mean allowed km; weighted_distance: weighted need x mean allowed km;
    max_distance: mean allowed km; shortfall: weighted need; changes: the incumbent's
    pairs (at least 1); a pair-table column: R x its mean absolute value on the allowed
    pairs; the rest (fractions) 1."""
    count = max(1, recipients_with_need(scenario))
    if term == "distance":
        return count * mean_allowed_km(scenario)
    if term == "weighted_distance":
        return weighted_need(scenario) * mean_allowed_km(scenario)
    if term == "max_distance":
        return mean_allowed_km(scenario)
    if term == "shortfall":
        return weighted_need(scenario)
    if term == "changes":
        return float(max(1, len(scenario.incumbent or ())))
    _, colon, column = term.partition(":")
    if colon and scenario.pairs is not None and column in scenario.pairs.columns:
        rows = scenario.pair_rows(scenario.candidates)
        values = np.abs(scenario.pairs.columns[column][rows]) if len(rows) else np.zeros(0)
        values = values[np.isfinite(values)]
        mean = float(values.mean()) if len(values) else 0.0
        return count * mean if mean > 0 else 1.0
    return 1.0
