"""The extended formulations in research/relaxations.py, which the benchmark README uses to
say where Hubei's integrality gap lives, must be exact: as MILPs they give the brute-force
optimum (or are infeasible with it), and their LP bounds sit between pairopt's LP bound
and that optimum, in the order the hulls nest."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings

from pairing_opt.checks.diagnose import conflicts
from pairing_opt.engine.backends import Status, run_milp, solve_relaxation
from pairing_opt.engine.model import build_model
from research import relaxations
from tests import examples
from tests.bruteforce import optimum
from tests.test_property import Case, cases


def _at_most(a: float, b: float) -> bool:
    return a <= b + 1e-6 * max(1.0, abs(b))


@settings(max_examples=examples(0.4))  # each solves four MILPs and their LPs
@given(case=cases())
def test_extended_formulations_are_exact_and_nested(case: Case) -> None:
    scenario = case.scenario()
    model = build_model(scenario)
    assume(not model.minimax and model.milp.num_cols > 0)  # nothing to relax otherwise
    expected = optimum(case.problem(), case.brute_objective)
    # A conflict pairopt finds before modelling (a fixed pair beyond the distance limit)
    # is not in any model; the formulations are compared on what they state.
    assume(expected is not None or not conflicts(scenario))
    lp: dict[str, float] = {}
    for name, make in relaxations.formulations(scenario, model).items():
        milp = make()
        raw = run_milp("highs", milp, None, 0.0)
        if expected is None:
            assert raw.status == Status.INFEASIBLE, (name, raw)
            continue
        assert raw.status == Status.OPTIMAL and raw.objective is not None, (name, raw)
        target = model.sense * expected
        # HiGHS seeks each new incumbent only mip_feasibility_tolerance (1e-6, absolute)
        # below the last and may accept one that is that much below within its tolerances,
        # so a MILP optimum is exact to a few 1e-6 absolute, not to 1e-6 at objectives
        # below 1.
        assert math.isclose(raw.objective, target, rel_tol=1e-6, abs_tol=1e-5), (
            name,
            raw.objective,
            target,
            raw.status,
        )
        if milp.num_cols == 0:  # nothing to decide (no donor may take any recipient)
            lp[name] = raw.objective
            continue
        relaxed = solve_relaxation(milp, None)
        assert relaxed is not None, name
        assert _at_most(relaxed.objective, target), (name, relaxed.objective, target)
        lp[name] = relaxed.objective
    if expected is not None:
        assert _at_most(lp["model"], lp["recipient hull"])
        assert _at_most(lp["model"], lp["donor hull"])
        assert _at_most(lp["recipient hull"], lp["both hulls"])
        assert _at_most(lp["donor hull"], lp["both hulls"])


def test_relaxations_table_on_the_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The command runs end to end on the shipped example: every formulation in the table
    and the CSV, each MILP at the proven optimum."""
    example = relaxations.HUBEI.parent.parent / "example" / "scenario.yaml"
    out_csv = tmp_path / "relaxations.csv"
    assert relaxations.main([str(example), "--milp", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "optimum (proven by pairopt): 187,938.52" in out
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["formulation"] for r in rows] == [
        "model",
        "recipient hull",
        "donor hull",
        "both hulls",
    ]
    for r in rows:
        assert f"\n{r['formulation']} " in out
        assert math.isclose(float(r["milp"]), 187938.52, rel_tol=1e-7)
        assert float(r["lp_bound"]) <= float(r["optimum"])


def test_relaxations_reports_a_bad_scenario_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "scenario.yaml"
    missing.write_text("name: x\ndonors: {file: nowhere.csv, id: id, capacity: c}\n")
    assert relaxations.main([str(missing), "--csv", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "scenario.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()
