"""The metrics every result reports, on scenarios small enough to work out by hand.

Every donor and recipient sits in one place (distance 0) unless a pair table says otherwise;
the expected numbers are worked out in the comments. Each pairing is checked to be valid
first: metrics are reported for verified pairings.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pairing_opt.checks.metrics import METRIC_NAMES, metrics
from pairing_opt.checks.verify import Assignment, evaluate
from pairing_opt.scenario import measures
from pairing_opt.scenario.scenario import Scenario

from .builders import one_place_scenario

# --------------------------------------------------------------------------- helpers


def _scenario(
    capacity: dict[str, float],
    need: dict[str, float],
    rules: dict[str, Any] | None = None,
    pairs: list[dict[str, Any]] | None = None,
) -> Scenario:
    """One resource, everyone in one place unless a pair table is given."""
    return one_place_scenario(capacity, need, rules, pairs)


def _two_resources(
    capacity: dict[str, tuple[float, float]],
    need: dict[str, tuple[float, float]],
    rules: dict[str, Any] | None = None,
    funds_weight: float = 1.0,
) -> Scenario:
    """Resources staff and funds (weights 1 and `funds_weight`), everyone in one place."""
    donors = pd.DataFrame(
        {
            "id": list(capacity),
            "staff": [c[0] for c in capacity.values()],
            "funds": [c[1] for c in capacity.values()],
            "lat": 30.0,
            "lon": 110.0,
        }
    )
    recipients = pd.DataFrame(
        {
            "id": list(need),
            "staff": [n[0] for n in need.values()],
            "funds": [n[1] for n in need.values()],
            "lat": 30.0,
            "lon": 110.0,
        }
    )
    return Scenario.from_frames(
        donors,
        recipients,
        rules=rules or {},
        resources=["staff", {"name": "funds", "weight": funds_weight}],
    )


def _pairing(*pairs: tuple[str, str, float | tuple[float, ...]]) -> list[Assignment]:
    out = []
    for donor, recipient, amount in pairs:
        if isinstance(amount, tuple):
            out.append(Assignment(donor, recipient, amount[0], amount))
        else:
            out.append(Assignment(donor, recipient, amount))
    return out


def _metrics(scenario: Scenario, pairing: list[Assignment]) -> dict[str, float | None]:
    """The metrics of a pairing that must be valid."""
    evaluation = evaluate(scenario, pairing)
    assert evaluation.ok, evaluation.violations
    return metrics(scenario, pairing, evaluation)


# Three donors of capacity 10, two recipients: A covers X (6), B covers Y (2), C idle.
THREE = {"A": 10.0, "B": 10.0, "C": 10.0}
TWO = {"X": 6.0, "Y": 2.0}
A_X_B_Y = _pairing(("A", "X", 6.0), ("B", "Y", 2.0))


# --------------------------------------------------------------------------- shape


def test_keys_in_order_and_types() -> None:
    result = _metrics(_scenario(THREE, TWO), A_X_B_Y)
    assert METRIC_NAMES == (
        "utilisation_spread",
        "utilisation_gini",
        "capacity_need_spearman",
        "split_recipients",
        "changes",
        "shortfall",
    )
    assert list(result) == list(METRIC_NAMES)
    assert isinstance(result["split_recipients"], int)
    assert result["changes"] is None  # no incumbent


# --------------------------------------------------------------------------- utilisation


def test_spread_and_gini_count_an_able_idle_donor_as_zero() -> None:
    # u = A 0.6, B 0.2, C 0 (idle but able): spread 0.6.
    # Gini: ordered |differences| 2 x (0.4 + 0.6 + 0.2) = 2.4 over 9 = 0.2667; mean 0.2667;
    # 0.2667 / (2 x 0.2667) = 0.5. (Leaving C out would give spread 0.4, Gini 0.25.)
    result = _metrics(_scenario(THREE, TWO), A_X_B_Y)
    assert result["utilisation_spread"] == pytest.approx(0.6)
    assert result["utilisation_gini"] == pytest.approx(0.5)


def test_an_excluded_donor_does_not_count() -> None:
    # Only A (0.6) and B (0.2): spread 0.4; Gini (2 x 0.4 / 4) / (2 x 0.4) = 0.25.
    scenario = _scenario(THREE, TWO, {"exclude_donors": ["C"]})
    result = _metrics(scenario, A_X_B_Y)
    assert result["utilisation_spread"] == pytest.approx(0.4)
    assert result["utilisation_gini"] == pytest.approx(0.25)


def test_a_donor_with_no_allowed_pair_does_not_count() -> None:
    # The pair table gives C no pair: it could serve nobody, so it has no burden to share.
    pairs = [{"donor": d, "recipient": r, "km": 1} for d in ("A", "B") for r in ("X", "Y")]
    scenario = _scenario(THREE, TWO, pairs=pairs)
    result = _metrics(scenario, A_X_B_Y)
    assert result["utilisation_spread"] == pytest.approx(0.4)
    assert result["utilisation_gini"] == pytest.approx(0.25)


def test_utilisation_is_of_capacity_less_reserve() -> None:
    # Reserve 0.2 leaves 8 of each 10: u = 0.75, 0.25, 0 -> spread 0.75 (Gini is scale-free).
    scenario = _scenario(THREE, TWO, {"reserve": 0.2})
    result = _metrics(scenario, A_X_B_Y)
    assert result["utilisation_spread"] == pytest.approx(0.75)
    assert result["utilisation_gini"] == pytest.approx(0.5)


def test_utilisation_uses_the_pair_tables_load() -> None:
    # Covering all of X's need of 6 costs A only 3 of capacity (load column): u_A = 0.3,
    # u_B = 0.2 (no load given: the need), u_C = 0 -> spread 0.3.
    # Gini: ordered differences 2 x (0.1 + 0.3 + 0.2) = 1.2 / 9; mean 0.5 / 3.
    pairs = [
        {"donor": d, "recipient": r, "km": 1, "load": 3 if (d, r) == ("A", "X") else None}
        for d in THREE
        for r in TWO
    ]
    scenario = _scenario(THREE, TWO, pairs=pairs)
    result = _metrics(scenario, A_X_B_Y)
    assert result["utilisation_spread"] == pytest.approx(0.3)
    assert result["utilisation_gini"] == pytest.approx((1.2 / 9) / (2 * 0.5 / 3))


def test_even_load_and_a_lone_donor_have_no_spread() -> None:
    even = _scenario({"A": 10.0, "B": 20.0}, {"X": 5.0, "Y": 10.0})
    result = _metrics(even, _pairing(("A", "X", 5.0), ("B", "Y", 10.0)))
    assert result["utilisation_spread"] == pytest.approx(0.0)
    assert result["utilisation_gini"] == pytest.approx(0.0)
    lone = _scenario({"A": 10.0}, {"X": 5.0})
    result = _metrics(lone, _pairing(("A", "X", 5.0)))
    assert result["utilisation_spread"] == 0.0 and result["utilisation_gini"] == 0.0


@pytest.mark.parametrize("flip", [False, True])
def test_utilisation_takes_the_least_even_resource(flip: bool) -> None:
    # staff: u = 0.6, 0, 0 -> spread 0.6, Gini (2 x 1.2 / 9) / (2 x 0.2) = 2/3.
    # funds: u = 0.9, 0.9, 0 -> spread 0.9, Gini (2 x 1.8 / 9) / (2 x 0.6) = 1/3.
    # Spread comes from one resource and Gini from the other, in either resource order.
    def order(staff: float, funds: float) -> tuple[float, float]:
        return (funds, staff) if flip else (staff, funds)

    scenario = _two_resources(
        {"A": (10.0, 10.0), "B": (10.0, 10.0), "C": (10.0, 10.0)},
        {"X": order(6.0, 9.0), "Y": order(0.0, 9.0)},
    )
    pairing = _pairing(("A", "X", order(6.0, 9.0)), ("B", "Y", order(0.0, 9.0)))
    result = _metrics(scenario, pairing)
    assert result["utilisation_spread"] == pytest.approx(0.9)
    assert result["utilisation_gini"] == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- spearman

# Strength A > B > C; severity X > Y > Z. Neither is evenly spaced, so that a correlation of
# the values themselves (not their ranks) would differ from the expected numbers.
STRONG = {"A": 40.0, "B": 20.0, "C": 10.0}
HIT = {"X": 9.0, "Y": 6.0, "Z": 3.0}


def test_spearman_is_one_when_the_strongest_serves_the_hardest_hit() -> None:
    pairing = _pairing(("A", "X", 9.0), ("B", "Y", 6.0), ("C", "Z", 3.0))
    assert _metrics(_scenario(STRONG, HIT), pairing)["capacity_need_spearman"] == (
        pytest.approx(1.0)
    )


def test_spearman_is_minus_one_when_reversed() -> None:
    pairing = _pairing(("A", "Z", 3.0), ("B", "Y", 6.0), ("C", "X", 9.0))
    assert _metrics(_scenario(STRONG, HIT), pairing)["capacity_need_spearman"] == (
        pytest.approx(-1.0)
    )


def test_spearman_in_between() -> None:
    # Ranks: donors (3, 2, 1), recipients X, Z, Y = (3, 1, 2): deviations (1, 0, -1) and
    # (1, -1, 0), product sum 1 over sqrt(2) x sqrt(2) -> 0.5. (Pearson on the values
    # (4, 2, 1) and (9, 3, 6) would give 0.65.)
    pairing = _pairing(("A", "X", 9.0), ("B", "Z", 3.0), ("C", "Y", 6.0))
    assert _metrics(_scenario(STRONG, HIT), pairing)["capacity_need_spearman"] == (
        pytest.approx(0.5)
    )


def test_spearman_gives_tied_values_their_average_rank() -> None:
    # One observation per pair: A-X, B-X, C-Y. Donor ranks (3, 2, 1); recipient ranks
    # (2.5, 2.5, 1). Deviations (1, 0, -1) and (0.5, 0.5, -1): 1.5 / (sqrt 2 x sqrt 1.5).
    scenario = _scenario(STRONG, {"X": 9.0, "Y": 6.0}, {"donors_per_recipient": {"max": 2}})
    pairing = _pairing(("A", "X", 5.0), ("B", "X", 4.0), ("C", "Y", 6.0))
    assert _metrics(scenario, pairing)["capacity_need_spearman"] == pytest.approx(math.sqrt(3) / 2)


def test_ranks_tie_on_values_that_differ_only_by_round_off() -> None:
    """Two strengths that are equal (shares of a total, summed over resources) can differ
    in their last bits in one unit and not in another, and that must not decide a rank:
    the assortative term and Spearman's rho were unit-dependent. 0.1 + 0.2 is such a
    pair with 0.3; a real difference of 1e-6 still ranks."""
    exact = np.array([0.1 + 0.2, 0.3, 0.5])
    assert exact[0] != exact[1]  # the round-off this test is about
    assert list(measures.average_ranks(exact)) == [1.5, 1.5, 3.0]
    assert list(measures.average_ranks(np.array([0.3, 0.3 + 1e-6, 0.5]))) == [1.0, 2.0, 3.0]


def test_spearman_is_none_with_one_pair_or_a_constant_side() -> None:
    one = _scenario({"A": 10.0, "B": 5.0}, {"X": 5.0})
    assert _metrics(one, _pairing(("A", "X", 5.0)))["capacity_need_spearman"] is None
    # Two pairs, both to X: severity is constant.
    both = _scenario({"A": 10.0, "B": 5.0}, {"X": 5.0}, {"donors_per_recipient": {"max": 2}})
    pairing = _pairing(("A", "X", 3.0), ("B", "X", 2.0))
    assert _metrics(both, pairing)["capacity_need_spearman"] is None
    # Two pairs from one donor: strength is constant.
    one_donor = _scenario({"A": 10.0, "B": 5.0}, {"X": 5.0, "Y": 2.0})
    pairing = _pairing(("A", "X", 5.0), ("A", "Y", 2.0))
    assert _metrics(one_donor, pairing)["capacity_need_spearman"] is None


# --------------------------------------------------------------------------- split, changes


def test_split_recipients_counts_only_recipients_with_two_or_more_donors() -> None:
    scenario = _scenario(
        THREE, {"X": 6.0, "Y": 4.0, "Z": 2.0}, {"donors_per_recipient": {"max": 2}}
    )
    # X: A and B; Y: B and C; Z: C alone -> 2.
    pairing = _pairing(
        ("A", "X", 3.0), ("B", "X", 3.0), ("B", "Y", 2.0), ("C", "Y", 2.0), ("C", "Z", 2.0)
    )
    assert _metrics(scenario, pairing)["split_recipients"] == 2
    single = _pairing(("A", "X", 6.0), ("B", "Y", 4.0), ("C", "Z", 2.0))
    assert _metrics(scenario, single)["split_recipients"] == 0


def test_changes_is_the_symmetric_difference_with_the_incumbent() -> None:
    base = _scenario(THREE, TWO)
    assert _metrics(base, A_X_B_Y)["changes"] is None
    scenario = dataclasses.replace(base, incumbent=(("A", "X"), ("C", "Y")))
    # Kept A-X; dropped C-Y; added B-Y -> 2.
    assert _metrics(scenario, A_X_B_Y)["changes"] == 2
    same = dataclasses.replace(base, incumbent=(("B", "Y"), ("A", "X")))
    assert _metrics(same, A_X_B_Y)["changes"] == 0
    # Nothing kept: both pairs dropped and both added -> 4.
    moved = dataclasses.replace(base, incumbent=(("C", "X"), ("A", "Y")))
    assert _metrics(moved, A_X_B_Y)["changes"] == 4


# --------------------------------------------------------------------------- shortfall


def test_shortfall_is_the_need_left_uncovered() -> None:
    rules = {"coverage": {"shortfall_penalty": 10}, "donors_per_recipient": {"min": 0, "max": 1}}
    scenario = _scenario(THREE, TWO, rules)
    # X gets 4 of 6 (2 short), Y nothing (2 short) -> 4, not priced (not 40).
    pairing = _pairing(("A", "X", 4.0))
    assert _metrics(scenario, pairing)["shortfall"] == pytest.approx(4.0)
    assert _metrics(scenario, A_X_B_Y)["shortfall"] == pytest.approx(0.0)


@pytest.mark.parametrize("unit", [1e-6, 1.0, 1e6])
def test_round_off_in_the_shares_is_no_shortfall(unit: float) -> None:
    """Shares that sum to the need up to round-off (what a solver hands back) leave nothing
    uncovered: the Hubei solve once reported 'shortfall 1.4e-14'. A real gap of a millionth
    of the need still counts. The same at every unit."""
    rules = {"donors_per_recipient": {"min": 1, "max": 2}}
    scenario = _scenario(
        {k: v * unit for k, v in THREE.items()}, {"X": 0.3 * unit, "Y": 0.7 * unit}, rules
    )
    noisy = _pairing(
        ("A", "X", 0.1 * unit), ("B", "X", 0.2 * unit * (1 - 1e-13)), ("C", "Y", 0.7 * unit)
    )
    assert evaluate(scenario, noisy).total_shortfall == 0.0
    assert _metrics(scenario, noisy)["shortfall"] == 0.0
    priced = {**rules, "coverage": {"shortfall_penalty": 10}}
    scenario = _scenario(
        {k: v * unit for k, v in THREE.items()}, {"X": 0.3 * unit, "Y": 0.7 * unit}, priced
    )
    short = _pairing(
        ("A", "X", 0.1 * unit), ("B", "X", 0.2 * unit), ("C", "Y", 0.7 * unit * (1 - 2e-6))
    )
    assert _metrics(scenario, short)["shortfall"] == pytest.approx(1.4e-6 * unit)


def test_shortfall_weights_each_resource() -> None:
    rules = {"coverage": {"shortfall_penalty": 10}, "donors_per_recipient": {"min": 0, "max": 1}}
    scenario = _two_resources(
        {"A": (10.0, 10.0), "B": (10.0, 10.0)},
        {"X": (6.0, 8.0), "Y": (3.0, 3.0)},
        rules,
        funds_weight=0.5,
    )
    # staff: X 2 short, Y 3 short -> 5 x 1; funds: X 4 short, Y 3 short -> 7 x 0.5 = 3.5.
    pairing = _pairing(("A", "X", (4.0, 4.0)))
    assert _metrics(scenario, pairing)["shortfall"] == pytest.approx(5.0 + 3.5)
