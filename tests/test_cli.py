"""The command line as users and shell scripts meet it: exit codes, stdout, stderr."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from pairing_opt.cli import main
from pairing_opt.engine import backends as solve_module
from pairing_opt.engine import strategy

from .conftest import EXAMPLE, write_scenario

Make = Callable[..., Path]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_solve_table_on_example() -> None:
    result = run("solve", EXAMPLE)
    assert result.exit_code == 0, result.stderr
    assert "optimal (proven by the solver)" in result.stdout
    assert "City 1" in result.stdout and "Donor load" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_proof_within_a_gap_says_so() -> None:
    # "optimal" alone would read as exact; the example's optimum is within 1% of its LP
    solved = run("solve", EXAMPLE, "--mip-gap", "0.01", "--no-timings")
    assert solved.exit_code == 0, solved.stderr
    assert "Status:    optimal within mip_gap 0.01 (proven by the solver)" in solved.stdout
    pairing = EXAMPLE.parent / "example_pairing.csv"
    scored = run("evaluate", EXAMPLE, pairing, "--vs-optimal", "--set", "solver.mip_gap=0.01")
    assert "(proven optimal within mip_gap 0.01)" in scored.stdout
    exact = run("evaluate", EXAMPLE, pairing, "--vs-optimal")
    assert "(proven optimal)" in exact.stdout and "mip_gap" not in exact.stdout


def test_solve_csv_is_the_pairing_format(solver: str) -> None:
    result = run("solve", EXAMPLE, "--format", "csv", "--solver", solver)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["donor", "recipient", "share", "distance_km"]
    assert {r["recipient"] for r in rows} == {f"City {i}" for i in range(1, 7)}
    assert ("Donor A", "City 1") in {(r["donor"], r["recipient"]) for r in rows}  # fixed
    assert "Status:    optimal" in result.stderr  # the summary goes to stderr, data to stdout


def test_solve_json_has_status_objective_solver_pairs_loads(solver: str) -> None:
    result = run("solve", EXAMPLE, "--format", "json", "--solver", solver)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "optimal" and data["proven_optimal"] is True
    assert data["verified"] is True
    assert set(data["objective"]) == {"name", "value", "bound", "gap", "parts"}
    assert data["objective"]["gap"] == 0
    assert data["solver"]["name"] == solver and data["solver"]["version"]
    assert "seconds" in data["solver"]
    assert {p["recipient"] for p in data["pairs"]} == {f"City {i}" for i in range(1, 7)}
    covered = {r["recipient"]: (r["covered"], r["need"]) for r in data["recipients"]}
    assert all(abs(c - n) < 1e-6 for c, n in covered.values())
    assert all(d["utilisation"] <= 1 + 1e-9 for d in data["donors"])


def test_both_solvers_agree_on_the_optimum() -> None:
    values = []
    for name in ("highs", "cbc"):
        result = run("solve", EXAMPLE, "--format", "json", "--solver", name)
        if result.exit_code == 3:
            pytest.skip(f"{name} not available")
        values.append(json.loads(result.stdout)["objective"]["value"])
    assert values[0] == pytest.approx(values[1], rel=1e-6)


def test_same_scenario_same_bytes() -> None:
    first = run("solve", EXAMPLE, "--format", "json", "--no-timings")
    second = run("solve", EXAMPLE, "--format", "json", "--no-timings")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert "seconds" not in json.loads(first.stdout)["solver"]


def test_objective_override(scenario_dir: Make) -> None:
    path = scenario_dir(rules={"donors_per_recipient": {"min": 1, "max": 2}})
    result = run("solve", path, "--objective", "max_distance", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["objective"]["name"] == "max_distance"


def test_unknown_objective_is_bad_input(scenario_dir: Make) -> None:
    result = run("solve", scenario_dir(), "--objective", "fastest")
    assert result.exit_code == 2
    assert "unknown objective 'fastest'" in result.stderr and "Traceback" not in result.stderr


def test_output_file_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "pairing.csv"
    result = run("solve", EXAMPLE, "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text().startswith("donor,recipient,share,distance_km\n")
    assert [p.name for p in tmp_path.iterdir()] == ["pairing.csv"]  # no temp files left


def test_failed_run_leaves_earlier_output_untouched(tmp_path: Path, scenario_dir: Make) -> None:
    out = tmp_path / "pairing.csv"
    out.write_text("earlier result\n")
    path = scenario_dir(rules={"max_distance_km": 10})  # infeasible
    result = run("solve", path, "--format", "csv", "-o", out)
    assert result.exit_code == 1
    assert out.read_text() == "earlier result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairing.csv", "scenario"]


def test_infeasible_exit_1_names_recipients_and_rule(scenario_dir: Make) -> None:
    result = run("solve", scenario_dir(rules={"max_distance_km": 10}))
    assert result.exit_code == 1
    assert "infeasible" in result.stderr
    assert "recipient X" in result.stderr and "max_distance_km 10" in result.stderr
    assert result.stdout == ""


def test_bad_input_exit_2_lists_every_problem(scenario_dir: Make) -> None:
    path = scenario_dir(donors="id,cap,lat,lon\nA,x,30,110\nA,1,30,110\n")
    result = run("solve", path)
    assert result.exit_code == 2
    assert "2 problems in the input" in result.stderr
    assert "donors.csv, row 2, column 'cap'" in result.stderr
    assert "donors.csv, row 3, column 'id'" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_usage_error_exit_2() -> None:
    result = run("solve", EXAMPLE, "--format", "pdf")
    assert result.exit_code == 2


def test_solver_missing_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategy, "solver_info", lambda name: None)
    result = run("solve", EXAMPLE, "--solver", "cbc")
    assert result.exit_code == 3
    assert "solver 'cbc' is not available" in result.stderr and "--solver highs" in result.stderr


def test_broken_cbc_binary_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "cbc"
    broken.write_text("not a program")  # not executable
    import pulp

    monkeypatch.setattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", str(broken))
    monkeypatch.setattr(solve_module, "cbc_info", lambda: solve_module.SolverInfo("cbc", "?"))
    result = run("solve", EXAMPLE, "--solver", "cbc")
    assert result.exit_code == 3, result.stderr
    assert "CBC" in result.stderr and "--solver highs" in result.stderr


def hard_gap(folder: Path, agents: int = 10, jobs: int = 100) -> Path:
    """A seeded type-D Generalized Assignment instance (Chu & Beasley's generator): loads
    1..100, costs 111 - load + noise, capacity 80% of the average load. Such instances take
    MIP solvers minutes to prove, so a one-second limit always stops short."""
    rng = np.random.default_rng(2020)
    load = rng.integers(1, 101, size=(agents, jobs))
    cost = 111 - load + rng.integers(-10, 11, size=(agents, jobs))
    capacity = (0.8 * load.sum(axis=1) / agents).astype(int)
    donors = "id,cap\n" + "".join(f"a{i},{capacity[i]}\n" for i in range(agents))
    recipients = "id,need\n" + "".join(f"j{j},1\n" for j in range(jobs))
    pairs = "donor,recipient,cost,load\n" + "".join(
        f"a{i},j{j},{cost[i, j]},{load[i, j]}\n" for i in range(agents) for j in range(jobs)
    )
    path = write_scenario(
        folder, donors=donors, recipients=recipients, pairs=pairs, objective={"minimize": "cost"}
    )
    path.write_text(path.read_text().replace("  lat: lat\n  lon: lon\n", ""))
    return path


def test_time_limit_exit_4_is_not_called_optimal(solver: str, tmp_path: Path) -> None:
    path = hard_gap(tmp_path / "gap")
    result = run("solve", path, "--solver", solver, "--time-limit", "1", "--format", "json")
    assert result.exit_code == 4, result.stderr
    assert "NOT proven optimal" in result.stderr or "before any pairing" in result.stderr
    if result.stdout:
        data = json.loads(result.stdout)
        assert data["status"] == "time_limit" and data["proven_optimal"] is False
        assert data["verified"] is True
        assert data["objective"]["gap"] is None or data["objective"]["gap"] > 0
        assert "Status:    stopped at the time limit" in result.stderr
    else:
        assert "no output was written" in result.stderr


def test_check_reports_totals_and_conflicts(scenario_dir: Make) -> None:
    ok = run("check", scenario_dir())
    assert ok.exit_code == 0, ok.stderr
    assert "total need:         17" in ok.stdout and "conflicts:          none" in ok.stdout
    bad = run("check", scenario_dir(rules={"max_distance_km": 10}))
    assert bad.exit_code == 1
    assert "recipient X can be served by 0 donor(s)" in bad.stdout


def test_check_json() -> None:
    result = run("check", EXAMPLE, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["donors"] == 5 and data["excluded_donors"] == 1 and data["conflicts"] == []


def test_solvers_lists_versions() -> None:
    result = run("solvers", "--format", "json")
    assert result.exit_code == 0
    names = {row["name"]: row for row in json.loads(result.stdout)}
    assert names["highs"]["available"] and names["highs"]["version"]


def test_solvers_none_available_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "solver_info", lambda name: None)
    result = run("solvers")
    assert result.exit_code == 3 and "not available" in result.stdout


def test_internal_error_is_one_line_with_debug_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("pairing_opt.engine.pipeline.build_model", boom)
    result = run("solve", EXAMPLE)
    assert result.exit_code == 70
    assert "internal error: RuntimeError: kaboom" in result.stderr and "--debug" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_has_help_with_examples() -> None:
    for command in ("solve", "check", "solvers"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout


def test_objective_flag_replaces_an_objective_the_scenario_could_not_score(
    tmp_path: Path,
) -> None:
    """Without coordinates the file's weighted_distance cannot be scored; --objective
    fairness (which needs no distance) was still refused for it, while --set objective=
    worked. Found by the seventh QA pass."""
    path = write_scenario(
        tmp_path / "nocoord",
        donors="id,cap,lat,lon\nNorth,300,,\nSouth,250,,\n",
        recipients="id,need,lat,lon\nCity A,10,,\nCity B,20,,\n",
        rules={"donors_per_recipient": {"min": 1, "max": 2}},
        objective="weighted_distance",
    )
    refused = run("solve", path, "-q")
    assert refused.exit_code == 2 and "objective" in refused.stderr
    flagged = run("solve", path, "--objective", "fairness", "--format", "csv", "-q")
    assert flagged.exit_code == 0, flagged.stderr
    assert (
        flagged.stdout
        == run("solve", path, "--set", "objective=fairness", "--format", "csv", "-q").stdout
    )
    # the flag's text stays text: not read as YAML (a mapping, or a '#' comment)
    example = run("solve", EXAMPLE, "--objective", "minimize: cost,weighted_distance", "-q")
    assert example.exit_code == 0, example.stderr
    commented = run("solve", EXAMPLE, "--objective", "minimize: cost # total", "-q")
    assert commented.exit_code == 2 and "'cost # total'" in commented.stderr
    wrong = run("solve", path, "--objective", "nonsense", "--set", "rules.reserve=2")
    assert wrong.exit_code == 2
    assert "--objective: unknown objective 'nonsense'" in wrong.stderr
    assert "--set rules.reserve" in wrong.stderr  # every problem at once
