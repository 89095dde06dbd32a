"""The metrics every result reports, from a verified pairing and the scenario's data alone.

Never read from solver values: the loads are the verifier's own (`Evaluation.donors`), the
shortfall is the verifier's evaluation, and the rest is counted from the pairs, so a
modelling mistake cannot hide in a metric. Why each is defined as it is:

- utilisation_spread: largest gap in utilisation (load / capacity less reserve) between two
  donors able to serve, per resource, maximised over resources: the burden a fair pairing
  should even out, in the resource where it is least even.
- utilisation_gini: Gini of the same utilisations (population form, sum |u_i - u_j| over all
  ordered pairs / (2 n^2 mean)), largest over resources: the whole spread, not its two ends.
- capacity_need_spearman: rank correlation over the pairs between donor strength and
  recipient severity: whether strong donors serve hard-hit recipients, free of units.
- split_recipients: recipients with two or more donors: the coordination a split costs.
- changes: pairs added plus pairs dropped against the incumbent pairing: the disruption of
  moving to this pairing (None when there is no pairing in place).
- shortfall: need left uncovered, summed over resources with their weights, the same weights
  that make resources of different units comparable in the objectives.

Donors in `fairness_donors` (not excluded, with an allowed pair, with capacity left after the
reserve) that serve nobody count with utilisation 0: they could have shared the burden.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..scenario.measures import average_ranks, donor_strength, recipient_severity
from ..scenario.scenario import Scenario
from .verify import Assignment, Evaluation, taking_part_utilisations

METRIC_NAMES: tuple[str, ...] = (
    "utilisation_spread",
    "utilisation_gini",
    "capacity_need_spearman",
    "split_recipients",
    "changes",
    "shortfall",
)


def metrics(
    scenario: Scenario, pairing: list[Assignment], evaluation: Evaluation
) -> dict[str, float | None]:
    """Every metric of a pairing (see the module docstring), keyed in METRIC_NAMES order."""
    first: dict[tuple[str, str], Assignment] = {}
    for a in pairing:  # each pair once, the first given, as the verifier counts
        first.setdefault((a.donor, a.recipient), a)
    pairs = list(first.values())
    utilisation = [np.asarray(u) for u in taking_part_utilisations(scenario, evaluation.donors)]
    # The spread, changes and shortfall are objective terms too: one definition each, the
    # verifier's (Evaluation.values), so a metric and its term can never disagree.
    changes = evaluation.values.get("changes", math.nan)
    return {
        "utilisation_spread": evaluation.values["fairness"],
        "utilisation_gini": max((_gini(u) for u in utilisation), default=0.0),
        "capacity_need_spearman": _capacity_need_spearman(scenario, pairs),
        "split_recipients": _split_recipients(pairs),
        "changes": None if math.isnan(changes) else int(changes),
        "shortfall": evaluation.values["shortfall"],
    }


def _gini(values: np.ndarray) -> float:
    """Gini coefficient: mean absolute difference over all ordered pairs (n^2 of them, self
    pairs included) / (2 * mean); 0 with fewer than two values or a mean of 0."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return 0.0
    mean = float(values.mean())
    if mean <= 0:
        return 0.0
    difference = float(np.abs(values[:, None] - values[None, :]).sum()) / (n * n)
    return difference / (2.0 * mean)


def _capacity_need_spearman(scenario: Scenario, pairs: list[Assignment]) -> float | None:
    """Spearman's rho over the pairs (one observation each) between the donor's strength
    and the recipient's severity; None with fewer than two pairs or a constant side."""
    if len(pairs) < 2:
        return None
    strength = donor_strength(scenario)
    severity = recipient_severity(scenario)
    x = np.array([strength[scenario.donor_index[a.donor]] for a in pairs], dtype=float)
    y = np.array([severity[scenario.recipient_index[a.recipient]] for a in pairs], dtype=float)
    return _pearson(average_ranks(x), average_ranks(y))


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's correlation, clipped to [-1, 1] against round-off; None when either side
    is constant (or there are fewer than two observations)."""
    if len(x) < 2:
        return None
    dx = x - x.mean()
    dy = y - y.mean()
    sx = math.sqrt(float((dx * dx).sum()))
    sy = math.sqrt(float((dy * dy).sum()))
    if sx == 0 or sy == 0:
        return None
    return max(-1.0, min(1.0, float((dx * dy).sum()) / (sx * sy)))


def _split_recipients(pairs: list[Assignment]) -> int:
    """Recipients paired with two or more donors (every pair given counts as a donor, as in
    the verifier's donors_per_recipient)."""
    donors: dict[str, int] = defaultdict(int)
    for a in pairs:
        donors[a.recipient] += 1
    return sum(1 for n in donors.values() if n >= 2)
