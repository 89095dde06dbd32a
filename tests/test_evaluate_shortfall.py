"""Shares `evaluate` computes when the objective or rules.coverage lets need go uncovered:
uncovered need is minimised under a shortfall or max_shortfall term (never left free) and
priced under a shortfall price; the objective's label names the price, as solve's does;
--robust applies before the scenario (with its --set values) is checked.

The hand-checked scenario: one donor A of capacity 10; X needs 6 at 1 km, Y needs 8 at
5 km. The pairing A-X, A-Y leaves its shares empty; 14 - 10 = 4 cannot be covered, and the
least weighted distance covers the nearer X in full: X 6, Y 4 (6 x 1 + 4 x 5 = 26).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import pairing_opt as po
from pairing_opt.cli import main
from pairing_opt.sweeps.worker import scored

from . import SLOW
from .builders import one_place_scenario, write_scenario_folder
from .conftest import HUBEI

CAPACITY = {"A": 10.0}
NEED = {"X": 6.0, "Y": 8.0}
KM = {("A", "X"): 1.0, ("A", "Y"): 5.0}
PAIRING = [("A", "X"), ("A", "Y")]
HUBEI_2020 = HUBEI.parent / "pairing_2020.csv"


def _scenario(objective: Any = "weighted_distance", price: Any = None) -> po.Scenario:
    rules = {} if price is None else {"coverage": {"shortfall_penalty": price}}
    pairs = [{"donor": d, "recipient": r, "km": k} for (d, r), k in KM.items()]
    return one_place_scenario(CAPACITY, NEED, rules, pairs, objective=objective)


def _covered(found: po.Evaluation) -> dict[str, float]:
    return {c.recipient: c.covered for c in found.recipients}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- one resource


@pytest.mark.parametrize(
    ("objective", "price", "value"),
    [
        ("shortfall", None, 4.0),
        (["shortfall", "weighted_distance"], None, 4.0),  # an order: its first level
        ("shortfall", 3.0, 4.0 + 3.0 * 4),
        ("weighted_distance", 100.0, 26.0 + 100.0 * 4),  # the price alone scores it
    ],
)
def test_uncovered_need_is_minimised_not_left_free(
    objective: Any, price: float | None, value: float
) -> None:
    """Under a shortfall term (with or without a price) or a price high enough, the split
    leaves only the 4 that A cannot give uncovered, and gives the nearer X its whole need."""
    found = po.evaluate(_scenario(objective, price), PAIRING)
    assert found.shares_computed
    assert found.ok  # uncovered need breaks no rule here, and A carries no more than 10
    assert found.shortfall == {"": pytest.approx(4.0)}
    assert _covered(found) == pytest.approx({"X": 6.0, "Y": 4.0})
    assert found.donors[0].load == pytest.approx(10.0)
    assert found.objective == pytest.approx(value)


@pytest.mark.parametrize(
    ("objective", "price", "value"),
    [("max_shortfall", None, 2 / 7), (["max_shortfall", "shortfall"], 3.0, 2 / 7 + 3.0 * 4)],
)
def test_max_shortfall_spreads_the_uncovered_need_as_solve_does(
    objective: Any, price: float | None, value: float
) -> None:
    """The 4 that A cannot give, spread so that X and Y each go short by the same fraction
    (4 / 14 = 2/7): the split solve itself gives these pairs, so a pairing scored without
    its shares is not worse than the same pairing solved."""
    scenario = _scenario(objective, price)
    found = po.evaluate(scenario, PAIRING)
    assert found.ok and found.shortfall == {"": pytest.approx(4.0)}
    assert _covered(found) == pytest.approx({"X": 6 * 5 / 7, "Y": 8 * 5 / 7})
    assert found.objective == pytest.approx(value)
    assert po.solve(scenario).objective == pytest.approx(value)


@pytest.mark.parametrize(
    "objective", ["shortfall", "max_shortfall", {"weighted_distance": 1, "shortfall": 1}]
)
def test_need_goes_uncovered_rather_than_overload_the_donor(objective: Any) -> None:
    """D0 (50) alone serves R0 and R1 (40 each): under a shortfall term 30 going uncovered
    breaks no rule, while 30 over D0's capacity would; a unit of one must not count as a
    unit of the other (it once reported D0 at 160%)."""
    scenario = one_place_scenario(
        {"D0": 50.0, "D1": 100.0}, {"R0": 40.0, "R1": 40.0}, objective=objective
    )
    found = po.evaluate(scenario, [("D0", "R0"), ("D0", "R1")])
    assert found.ok, found.violations
    assert found.donors[0].load == pytest.approx(50.0)
    assert found.shortfall == {"": pytest.approx(30.0)}


def test_a_weighted_sum_with_a_shortfall_term_minimises_uncovered_need() -> None:
    found = po.evaluate(_scenario({"weighted_distance": 1, "shortfall": 1}), PAIRING)
    assert found.shortfall == {"": pytest.approx(4.0)}
    assert _covered(found) == pytest.approx({"X": 6.0, "Y": 4.0})


def test_a_price_below_the_distance_leaves_the_far_need_uncovered() -> None:
    """Without a shortfall term the price is the score's part: at 3 per unit, a unit of Y
    (5 km) costs more to move than to leave, X's (1 km) less: X 6, Y 0, 6 + 3 x 8 = 30."""
    found = po.evaluate(_scenario("weighted_distance", 3.0), PAIRING)
    assert _covered(found) == pytest.approx({"X": 6.0, "Y": 0.0}, abs=1e-6)
    assert found.shortfall == {"": pytest.approx(8.0)}
    assert found.objective == pytest.approx(30.0)


def test_full_coverage_breaks_coverage_least_without_overloading() -> None:
    found = po.evaluate(_scenario(), PAIRING)
    assert [v.rule for v in found.violations] == ["coverage"]
    assert found.shortfall == {"": pytest.approx(4.0)}
    assert _covered(found) == pytest.approx({"X": 6.0, "Y": 4.0})


# --------------------------------------------------------------------------- resources

DONORS = {"id": ["A"], "staff": [10.0], "funds": [5.0], "lat": [30.0], "lon": [110.0]}
RECIPIENTS = {
    "id": ["X", "Y"],
    "staff": [6.0, 8.0],
    "funds": [4.0, 4.0],
    "lat": [30.0, 30.0],
    "lon": [110.0, 110.0],
}


@pytest.mark.parametrize(
    ("objective", "coverage", "ok"),
    [
        ("shortfall", None, True),
        ("shortfall", {"shortfall_penalty": {"funds": 100}}, True),  # staff: no price of its own
        ("max_shortfall", {"shortfall_penalty": 50}, True),
        ("weighted_distance", {"shortfall_penalty": {"funds": 100}}, False),  # staff in full
    ],
)
def test_every_resource_leaves_only_what_capacity_cannot_cover(
    objective: str, coverage: dict[str, Any] | None, ok: bool
) -> None:
    """staff: 14 needed, 10 given; funds: 8 needed, 5 given."""
    rules = {} if coverage is None else {"coverage": coverage}
    pairs = pd.DataFrame([{"donor": d, "recipient": r, "km": k} for (d, r), k in KM.items()])
    scenario = po.Scenario.from_frames(
        DONORS, RECIPIENTS, pairs, rules=rules, objective=objective, resources=["staff", "funds"]
    )
    found = po.evaluate(scenario, PAIRING)
    assert found.shortfall == {"staff": pytest.approx(4.0), "funds": pytest.approx(3.0)}
    assert all(d.load <= d.available + 1e-6 for d in found.donors)
    assert found.ok == ok  # under weighted_distance, staff must be covered in full


# --------------------------------------------------------------------------- need scenarios


def test_each_need_scenario_minimises_its_uncovered_need() -> None:
    """A second need (X 7, Y 9) leaves 16 - 10 = 6 uncovered; worst of 4 + 4 and 6 + 6."""
    scenario = _scenario("shortfall", 1.0)
    second = pd.DataFrame({"id": ["X", "Y"], "need": [7.0, 9.0]})
    found = po.evaluate(scenario, PAIRING, need_scenarios=[second], robust="worst")
    assert found.robust is not None
    short = [o.evaluation.total_shortfall for o in found.robust.outcomes]
    assert short == pytest.approx([4.0, 6.0])
    assert found.robust.value == pytest.approx(12.0)


def test_a_sweep_scores_the_optimum_s_own_pairs_at_no_gap() -> None:
    """The sweep's scored pairings go through evaluate: the optimum's pairs, shares left
    empty, score as the optimum does."""
    result = po.solve(_scenario(["shortfall", "weighted_distance"]))
    assert result.status == "optimal"
    pairs = [(a.donor, a.recipient) for a in result.pairs]
    row = scored(result, "base", pairs)
    assert row["base_objective"] == pytest.approx(4.0)
    assert row["base_gap"] == pytest.approx(0.0, abs=1e-6)  # was 2.5: 14 left uncovered
    assert (row["base_broken"], row["base_short"]) == (0, 1)


# --------------------------------------------------------------------------- Hubei


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("objective=[shortfall, weighted_distance]",),
        ("objective=max_shortfall",),
        ("objective=shortfall", "rules.coverage={shortfall_penalty: 5000}"),
        ("rules.coverage={shortfall_penalty: 5000}",),
    ],
)
def test_the_2020_pairing_leaves_326_uncovered(overrides: tuple[str, ...]) -> None:
    """The split that breaks capacity least leaves 326 uncovered whatever the objective
    (under a shortfall term it used to leave 3,707.5: the term's price of 0 set it free)."""
    found = po.evaluate(po.load(HUBEI, overrides), HUBEI_2020)
    assert found.check.total_shortfall == pytest.approx(326.0, abs=1e-4)
    assert not any(v.rule == "capacity" for v in found.violations)


# --------------------------------------------------------------------------- labels


def _objective_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Objective:"))


@pytest.mark.parametrize(
    ("objective", "label"),
    [
        ("weighted_distance", "weighted_distance + shortfall"),
        ("maximize:cost", "maximize cost - shortfall"),
    ],
)
def test_evaluate_labels_a_priced_objective_as_solve_does(
    tmp_path: Path, objective: str, label: str
) -> None:
    """The value includes the price: the label says so, in the table and markdown, with
    the same words as solve's table line."""
    path = write_scenario_folder(
        tmp_path,
        CAPACITY,
        NEED,
        KM,
        objective=objective,
        rules={"coverage": {"shortfall_penalty": 100}},
    )
    pairing = tmp_path / "pairing.csv"
    pairing.write_text("donor,recipient\nA,X\nA,Y\n", encoding="utf-8")
    solved = run("solve", path, "--no-timings")
    assert solved.exit_code == 0, solved.stderr
    evaluated = run("evaluate", path, pairing)
    assert evaluated.exit_code == 0, evaluated.stderr
    line = _objective_line(evaluated.stdout)
    assert line.startswith(f"Objective: {label} = ")
    assert _objective_line(solved.stdout).startswith(f"Objective: {label} = ")
    markdown = run("evaluate", path, pairing, "--format", "markdown")
    assert f"- Objective: {label} = " in markdown.stdout
    data = run("evaluate", path, pairing, "--format", "json").stdout
    name = label.rsplit(" ", 2)[0]
    assert f'"name": "{name}"' in data  # JSON keeps the bare name; its parts split the price


def test_evaluate_says_the_objective_scores_unpriced_shortfall(tmp_path: Path) -> None:
    path = write_scenario_folder(tmp_path, CAPACITY, NEED, KM, objective="shortfall")
    pairing = tmp_path / "pairing.csv"
    pairing.write_text("donor,recipient\nA,X\nA,Y\n", encoding="utf-8")
    result = run("evaluate", path, pairing)
    assert result.exit_code == 0, result.stderr
    assert "Objective: shortfall = 4\n" in result.stdout
    assert "Shortfall: uncovered need 4 (the objective's shortfall term)" in result.stdout
    assert "priced at" not in result.stdout


# --------------------------------------------------------------------------- --robust


def _robust_folder(tmp_path: Path) -> Path:
    path = write_scenario_folder(tmp_path, CAPACITY, {"X": 6.0, "Y": 4.0}, KM)
    (tmp_path / "need_1.csv").write_text("id,need\nX,7\nY,5\n", encoding="utf-8")
    return path


def test_robust_applies_before_the_set_values_are_checked(tmp_path: Path) -> None:
    """--set gives the need scenarios (robust full by default) and a price, which full
    refuses; --robust worst is applied first, so the combination is valid."""
    path = _robust_folder(tmp_path)
    flags = (
        "--robust",
        "worst",
        "--set",
        "uncertainty={needs: [{file: need_1.csv}]}",
        "--set",
        "rules.coverage={shortfall_penalty: 100}",
    )
    solved = run("solve", path, *flags, "--no-timings")
    assert solved.exit_code == 0, solved.stderr
    assert "worst of 2 need scenarios" in solved.stdout
    pairing = tmp_path / "pairing.csv"
    pairing.write_text("donor,recipient\nA,X\nA,Y\n", encoding="utf-8")
    evaluated = run("evaluate", path, pairing, *flags)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "Robust:" in evaluated.stdout
    # --robust wins over the uncertainty.robust a --set gives
    full = run("solve", path, "--robust", "full", "--set", flags[3], "--set", flags[5])
    assert full.exit_code == 2
    assert "--robust: uncertainty.robust is full" in full.stderr  # the setting that clashes


def test_a_robust_mode_problem_is_located_at_the_flag(tmp_path: Path) -> None:
    path = _robust_folder(tmp_path)
    result = run("solve", path, "--robust", "worst", "--set", "uncertainty={needs: [need_1.csv]}")
    assert result.exit_code == 2
    assert "  - --robust: uncertainty.robust is worst" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="a robust solve of Hubei (PAIROPT_SLOW=1)")
def test_the_reported_hubei_robust_command_runs() -> None:
    result = run(
        "solve",
        HUBEI,
        "--robust",
        "worst",
        "--set",
        "uncertainty={needs: [{file: cities.csv, need: need_mar10}]}",
        "--set",
        "rules.coverage={shortfall_penalty: 5000}",
        "--no-timings",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr


def test_computed_shares_keep_a_donor_s_minimum_load() -> None:
    """A (min_load 30, 100 km) and B (50 km) share X's 50: the optimum gives A its 30 and B
    20. The same pairs without shares were once split B 50, A 0, reported as breaking A's
    min_load (exit 1) and scored below the proven optimum."""
    donors = pd.DataFrame({"id": ["A", "B"], "capacity": [100, 100], "min_load": [30, None]})
    recipients = pd.DataFrame({"id": ["X"], "need": [50]})
    pairs = pd.DataFrame({"donor": ["A", "B"], "recipient": ["X", "X"], "km": [100, 50]})
    scenario = po.Scenario.from_frames(
        donors,
        recipients,
        pairs,
        donor_columns={"capacity": "capacity", "min_load": "min_load"},
        rules={"donors_per_recipient": {"min": 1, "max": 2}},
    )
    optimum = po.solve(scenario)
    found = po.evaluate(scenario, [("A", "X"), ("B", "X")])
    assert found.ok, found.violations
    assert {d.donor: d.load for d in found.donors} == pytest.approx({"A": 30.0, "B": 20.0})
    assert found.objective == pytest.approx(optimum.objective) == pytest.approx(4000.0)
