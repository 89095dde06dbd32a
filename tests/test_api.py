"""The Python API as a notebook uses it: the same answers, checks and JSON as the CLI."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import pairing_opt as po
from pairing_opt.cli import main

from .conftest import EXAMPLE

DONORS = {
    "id": ["A", "B", "C"],
    "capacity": [10, 8, 5],
    "lat": [30, 31, 35],
    "lon": [110, 115, 120],
}
RECIPIENTS = {
    "id": ["X", "Y", "Z"],
    "need": [6, 7, 4],
    "lat": [30.5, 32, 34],
    "lon": [112, 116, 119],
}


def test_result_to_dict_is_the_json_the_cli_prints() -> None:
    result = po.solve(po.load(EXAMPLE))
    cli = CliRunner().invoke(main, ["solve", str(EXAMPLE), "--format", "json", "--no-timings"])
    assert cli.exit_code == 0
    assert json.loads(cli.stdout) == result.to_dict(timings=False)


def test_alternatives_to_dict_matches_the_cli_numbering() -> None:
    result = po.solve(po.load(EXAMPLE), alternatives=2)
    cli = CliRunner().invoke(
        main, ["solve", str(EXAMPLE), "--format", "json", "--no-timings", "--alternatives", "2"]
    )
    assert json.loads(cli.stdout) == result.to_dict(timings=False)
    assert [a.objective for a in result.alternatives] == sorted(
        a.objective for a in result.alternatives
    )


def test_from_frames_equals_the_same_tables_as_files(scenario_dir) -> None:  # type: ignore[no-untyped-def]
    rules = {"donors_per_recipient": 1}
    from_files = po.solve(po.load(scenario_dir(rules=rules)))
    frames = po.Scenario.from_frames(
        pd.DataFrame(DONORS).rename(columns={"capacity": "cap"}),
        RECIPIENTS,
        donor_columns={"capacity": "cap"},
        rules=rules,
        solver={"name": "highs"},
    )
    in_memory = po.solve(frames)
    assert in_memory.pairs == from_files.pairs
    assert in_memory.objective == pytest.approx(from_files.objective, rel=1e-12)


def test_from_frames_reports_every_problem_by_table_and_setting() -> None:
    donors = dict(DONORS, capacity=[10, None, "lots"])
    with pytest.raises(po.InputError) as caught:
        po.Scenario.from_frames(
            donors, RECIPIENTS, rules={"fixed": [{"donor": "Q", "recipient": "X"}]}
        )
    text = str(caught.value)
    assert len(caught.value.problems) == 3
    assert "donors table, row 3, column 'capacity': the cell is empty" in text
    assert "donors table, row 4, column 'capacity'" in text and "lots" in text
    assert "scenario setting rules.fixed.0.donor: unknown donor 'Q'" in text


def test_from_frames_rejects_what_is_not_a_table_or_a_column_key() -> None:
    with pytest.raises(po.InputError, match=r"argument 'donors'.*expected a table"):
        po.Scenario.from_frames([1, 2, 3], RECIPIENTS)
    with pytest.raises(po.InputError, match=r"argument 'donor_columns'.*capcity"):
        po.Scenario.from_frames(DONORS, RECIPIENTS, donor_columns={"capcity": "x"})
    with pytest.raises(po.InputError, match=r"scenario setting rules\.reserve"):
        po.Scenario.from_frames(DONORS, RECIPIENTS, rules={"reserve": 2})


def test_infeasible_is_a_result_with_reasons_not_an_exception() -> None:
    scenario = po.Scenario.from_frames(DONORS, RECIPIENTS, rules={"max_distance_km": 10})
    result = po.solve(scenario)
    assert result.status == "infeasible" and not result.proven_optimal
    assert result.pairs == () and result.objective is None
    assert any("max_distance_km 10" in r for r in result.reasons)
    assert "infeasible" in str(result) and result.to_dict()["status"] == "infeasible"


def test_bad_options_are_input_errors_naming_the_argument() -> None:
    scenario = po.Scenario.from_frames(DONORS, RECIPIENTS)
    with pytest.raises(po.InputError, match=r"solver \(argument\).*'gurobi9'"):
        po.solve(scenario, solver="gurobi9")
    with pytest.raises(po.InputError, match=r"time_limit \(argument\)"):
        po.solve(scenario, time_limit=-1)
    with pytest.raises(po.InputError, match=r"objective \(argument\).*'fastest'"):
        po.solve(scenario, objective="fastest")
    with pytest.raises(po.InputError, match=r"alternatives \(argument\)"):
        po.solve(scenario, alternatives=0)
    # Library messages speak of arguments and keys, never of command-line flags.
    with pytest.raises(po.InputError) as caught:
        po.solve(scenario, mip_gap=2)
    assert "--" not in str(caught.value)


def test_evaluate_accepts_every_pairing_form_alike() -> None:
    scenario = po.Scenario.from_frames(DONORS, RECIPIENTS, rules={"donors_per_recipient": 1})
    best = po.solve(scenario)
    as_tuples = [(a.donor, a.recipient, a.share) for a in best.pairs]
    frame = pd.DataFrame(as_tuples, columns=["donor", "recipient", "share"])
    forms = [best, as_tuples, frame, {c: list(frame[c]) for c in frame.columns}, list(best.pairs)]
    values = [po.evaluate(scenario, form).objective for form in forms]
    assert all(v == pytest.approx(best.objective, rel=1e-9) for v in values)
    assert all(po.evaluate(scenario, form).ok for form in forms)


def test_evaluate_computes_missing_shares_and_reports_against_the_optimum() -> None:
    scenario = po.Scenario.from_frames(DONORS, RECIPIENTS, rules={"donors_per_recipient": 1})
    best = po.solve(scenario)
    worse = po.evaluate(scenario, [("C", "X"), ("A", "Y"), ("B", "Z")], optimum=best)
    assert worse.shares_computed
    assert worse.objective >= best.objective
    report = worse.to_dict(timings=False)
    assert report["optimum"]["difference"] == pytest.approx(
        worse.objective - best.objective, rel=1e-6
    )


def test_evaluate_rejects_unknown_ids_with_the_problem_located() -> None:
    scenario = po.Scenario.from_frames(DONORS, RECIPIENTS)
    with pytest.raises(po.InputError, match="unknown donor 'Q'"):
        po.evaluate(scenario, [("Q", "X")])
    with pytest.raises(po.InputError, match="not a pair"):
        po.evaluate(scenario, ["A"])


def test_compare_names_differences_and_equal_pairings_are_same() -> None:
    scenario = po.load(EXAMPLE)
    best = po.solve(scenario)
    assert po.compare(best, best, scenario).same
    other = po.solve(scenario, alternatives=2).alternatives[1]
    diff = po.compare(best, other, scenario, names=("first", "second"))
    assert not diff.same
    data = diff.to_dict()
    assert data["names"] == {"a": "first", "b": "second"}
    assert data["only_in_a"] or data["only_in_b"] or data["share_differences"]
    assert str(diff).startswith("Scenario:")


def test_results_read_well_in_a_notebook() -> None:
    result = po.solve(po.load(EXAMPLE))
    assert repr(result).startswith("<Result optimal: weighted_distance = ")
    assert str(result).splitlines()[0].startswith("Status:    optimal")
    frame = result.to_frame()
    assert len(frame) == len(result.pairs)
    assert math.isclose(frame["share"].sum(), sum(a.share for a in result.pairs), rel_tol=1e-6)


def test_check_and_solvers() -> None:
    info = po.check(po.load(EXAMPLE))
    assert info["conflicts"] == [] and info["recipients"] == 6
    assert {s["name"] for s in po.solvers()} == {"highs", "cbc"}


def test_result_says_where_the_solve_spent_its_time() -> None:
    """result.stages names each stage of the solve with its seconds, so a user can see
    whether the proof or the tie-break is slow before turning anything off; an infeasible
    result has them too (the diagnosis that found the conflict)."""
    result = po.solve(po.load(EXAMPLE))
    names = [name for name, _ in result.stages]
    assert names[0] == "diagnose" and names[-1] == "verify"
    assert "lp" in names and "build" in names
    assert all(seconds >= 0 for _, seconds in result.stages)
    blocked = po.solve(po.load(EXAMPLE, ["rules.max_distance_km=1"]))
    assert blocked.status == "infeasible"
    assert [name for name, _ in blocked.stages] == ["diagnose"]


def test_use_threads_returns_the_previous_setting_and_rejects_bad_counts() -> None:
    scenario = po.load(EXAMPLE)
    default = po.solve(scenario)
    try:
        assert po.use_threads(1) == 0
        assert po.solve(scenario).pairs == default.pairs
        assert po.use_threads(2) == 1
        for bad in (-1, 1.5, True, "2"):
            with pytest.raises(ValueError, match="threads must be a whole number"):
                po.use_threads(bad)  # type: ignore[arg-type]
        assert po.use_threads(0) == 2  # a refused value changes nothing
    finally:
        po.use_threads(0)


@pytest.mark.parametrize("call", ["solve", "check", "evaluate", "pareto", "compare"])
def test_a_path_where_a_scenario_is_expected_is_an_input_error(call: str) -> None:
    """po.solve("scenario.yaml") is a notebook's likely first call: it raised
    AttributeError deep inside. Found by the fourth QA pass."""
    path = str(EXAMPLE)
    calls = {
        "solve": lambda: po.solve(path),  # type: ignore[arg-type]
        "check": lambda: po.check(path),  # type: ignore[arg-type]
        "evaluate": lambda: po.evaluate(path, EXAMPLE.parent / "example_pairing.csv"),  # type: ignore[arg-type]
        "pareto": lambda: po.pareto(path, "distance", "fairness"),  # type: ignore[arg-type]
        "compare": lambda: po.compare(
            EXAMPLE.parent / "example_pairing.csv", EXAMPLE.parent / "example_pairing.csv", path
        ),  # type: ignore[arg-type]
    }
    with pytest.raises(
        po.InputError, match=r"scenario \(argument\): is a str, not a Scenario.*po.load"
    ):
        calls[call]()


def test_misused_arguments_of_evaluate_and_compare_are_input_errors() -> None:
    """A string for `optimum` failed only in to_dict(), and one name for `names` was an
    IndexError. Found by the fourth QA pass."""
    scenario = po.load(EXAMPLE)
    pairing = EXAMPLE.parent / "example_pairing.csv"
    with pytest.raises(po.InputError, match=r"optimum \(argument\): is a str, not a Result"):
        po.evaluate(scenario, pairing, optimum="x")  # type: ignore[arg-type]
    for names in (("a",), "ab", ("a", "b", "c"), ("a", 2)):
        with pytest.raises(po.InputError, match=r"names \(argument\).*not two names"):
            po.compare(pairing, pairing, scenario, names=names)  # type: ignore[arg-type]
    assert po.compare(pairing, pairing, scenario, names=("x", "y")).to_dict() is not None


def test_the_fix_offers_a_shortfall_price_only_where_need_must_be_covered() -> None:
    """Found by the fourth QA pass: a scenario that already prices every shortfall was
    told to price it."""
    full = po.load(EXAMPLE, "rules.max_distance_km=10")
    priced = po.load(EXAMPLE, ["rules.max_distance_km=10", "rules.coverage={shortfall_penalty: 9}"])
    assert "shortfall_penalty" in po.solve(full).fix
    assert po.solve(priced).status == "infeasible"
    assert "shortfall_penalty" not in po.solve(priced).fix
    assert "relax the rules named above" in po.solve(priced).fix


@pytest.mark.parametrize(
    "override, where",
    [("objective=changes", "objective"), ("rules.max_changes=0", "rules.max_changes")],
)
def test_evaluate_and_compare_refuse_changes_with_no_incumbent(override: str, where: str) -> None:
    """They scored changes as nothing and called max_changes kept, exit 0, where solve
    and check refuse the scenario. Found by the fifth QA pass."""
    scenario = po.load(EXAMPLE, override)
    pairing = EXAMPLE.parent / "example_pairing.csv"
    for call in (
        lambda: po.evaluate(scenario, pairing),
        lambda: po.compare(pairing, pairing, scenario),
    ):
        with pytest.raises(po.InputError, match=rf"{where}: .*names none"):
            call()
    with_one = po.configure(scenario, incumbent=pairing)
    assert po.evaluate(with_one, pairing).to_dict() is not None


@pytest.mark.parametrize("pairing", [None, 5, b"donor,recipient"])
def test_a_pairing_of_no_known_form_is_an_input_error(pairing: object) -> None:
    scenario = po.load(EXAMPLE)
    with pytest.raises(po.InputError, match=r"pairing \(argument\): is a \w+, not a pairing"):
        po.evaluate(scenario, pairing)  # type: ignore[arg-type]


ALT3 = [
    ("Donor A", "City 1", 30), ("Donor B", "City 1", 90), ("Donor A", "City 2", 60),
    ("Donor D", "City 2", 20), ("Donor A", "City 3", 60), ("Donor D", "City 4", 40),
    ("Donor B", "City 5", 30), ("Donor B", "City 6", 12.884615), ("Donor D", "City 6", 7.115385),
]  # fmt: skip


def test_no_relative_difference_from_an_optimum_that_is_zero_up_to_round_off() -> None:
    """fairness's optimum here is 0, solved as about 1e-9: the relative difference read
    +100000002415.69%. Found by the fifth QA pass."""
    scenario = po.load(EXAMPLE, "objective=fairness")
    optimum = po.solve(scenario)
    assert abs(optimum.objective) < 1e-6
    found = po.evaluate(scenario, ALT3, optimum=optimum).to_dict()["optimum"]
    assert found["comparable"] and found["difference"] == pytest.approx(1.0, abs=1e-6)
    assert found["relative_difference"] is None
    assert "%" not in found["verdict"]
    # The optimum itself, re-read with its shares rounded: both are 0 up to round-off
    # (6.5e-9 against 1e-9 read +552.78%). Found by the sixth QA pass.
    rounded = [(a.donor, a.recipient, round(a.share, 4)) for a in optimum.pairs]
    again = po.evaluate(scenario, rounded, optimum=optimum).to_dict()["optimum"]
    assert again["relative_difference"] in (None, 0.0) and "%" not in again["verdict"]


@pytest.mark.parametrize("unit", [1.0, 1e-6])
def test_need_left_uncovered_ranks_a_plan_below_the_optimum_in_any_unit(unit: float) -> None:
    """A plan 0.06% short of all need: in millionths its shortfall was under an absolute
    1e-6 and read as none (the verdict then only counted a broken rule)."""
    scenario = po.load(EXAMPLE, ["objective=fairness", f"recipients.need_scale={unit}"])
    plan = [(d, r, share * unit) for d, r, share in ALT3]
    plan[1] = (plan[1][0], plan[1][1], plan[1][2] - 0.2 * unit)
    found = po.evaluate(scenario, plan, optimum=po.solve(scenario)).to_dict()["optimum"]
    assert found["verdict"].startswith("leaves")
    assert not found["comparable"]


def test_one_override_may_be_given_alone() -> None:
    # A string was read as a sequence of one-letter overrides.
    assert po.load(EXAMPLE, "rules.min_share=0.2").rules.min_share == 0.2  # type: ignore[arg-type]


def test_an_optimum_of_another_objective_or_scenario_is_refused() -> None:
    """evaluate(optimum=solve(scenario, objective="max_distance")) reported the weighted
    distance optimum as 10.33% better than "the optimum" (802, a max_distance value), and
    an optimum of another scenario was taken too. Found by the QA pass on the API."""
    scenario = po.load(EXAMPLE)
    best = po.solve(scenario)
    with pytest.raises(po.InputError, match="its objective is max_distance"):
        po.evaluate(scenario, best, optimum=po.solve(scenario, objective="max_distance"))
    other = po.load(EXAMPLE, ["rules.max_distance_km=1000"])
    with pytest.raises(po.InputError, match="its rules or incumbent differ"):
        po.evaluate(scenario, best, optimum=po.solve(other))
    plain = po.evaluate(scenario, best)
    with pytest.raises(po.InputError, match="not an optimum of this scenario"):
        plain.against(po.solve(other))
    kept = po.evaluate(scenario, best, optimum=best)
    assert kept.to_dict(timings=False)["optimum"]["value"] == pytest.approx(best.objective)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda sc, res: po.evaluate(sc, [("Donor A", "City 1", "x")]), "'x' is not a share"),
        (lambda sc, res: po.evaluate(sc, [("Donor A", "City 1", [1])]), "is not a number"),
        (lambda sc, res: po.evaluate(sc, res.to_dict()), "this is a result's to_dict()"),
        (lambda sc, res: po.compare(res.to_dict(), res), "this is a result's to_dict()"),
        (lambda sc, res: po.solve(sc, incumbent=res.to_dict()), "a single value"),
        (
            lambda sc, res: po.evaluate(sc, {"donor": "Donor A", "recipient": "City 1"}),
            "'donor', 'recipient' hold a single value",
        ),
        (
            lambda sc, res: po.Scenario.from_frames(
                {"id": ["A"], "capacity": [1]}, {"id": ["X"], "need": [1]}, donor_columns="id"
            ),
            "donor_columns (argument): is a str",
        ),
        (
            lambda sc, res: po.Scenario.from_frames(
                {"id": ["A"], "capacity": [1]}, {"id": ["X"], "need": [1]}, resources="staff"
            ),
            "resources (argument): is a str",
        ),
        (lambda sc, res: po.load(5), "path (argument): is a int"),
        (lambda sc, res: po.solve(sc, progress=5), "progress (argument)"),
    ],
)
def test_api_arguments_of_the_wrong_kind_are_input_errors(call: Any, words: str) -> None:
    """Each raised a bare ValueError or TypeError ('bool' object is not iterable, float()
    argument must be ...), or a misleading message ('resources named twice: f'). Found by
    the QA pass on the API."""
    scenario = po.load(EXAMPLE)
    with pytest.raises(po.InputError) as caught:
        call(scenario, po.solve(scenario))
    assert words in str(caught.value)


@pytest.mark.parametrize("overrides", [5, [5], [None]])
def test_overrides_of_the_wrong_kind_are_input_errors(overrides: Any) -> None:
    """load(path, 5) raised TypeError and load(path, [5]) AttributeError. Found by the QA
    pass on this session's changes."""
    with pytest.raises(po.InputError, match="is not a list of KEY=VALUE texts"):
        po.load(EXAMPLE, overrides)
    assert po.load(EXAMPLE, iter(["rules.max_distance_km=1000"])).rules.max_distance_km == 1000
