"""The command line on scenarios with several resources, a shortfall price and per-row
rules: each exit code a shell script relies on, and what it prints."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from pairing_opt.cli import main
from pairing_opt.engine import strategy

DONORS = (
    "id,staff,funds,lat,lon,most,least_funds\n"
    "A,100,10,30,114,2,\nB,80,5,31,113,,2\nC,60,20,29,115,1,\n"
)
RECIPIENTS = "id,staff,funds,lat,lon\nX,50,4,30.5,114\nY,70,6,30.2,113.5\nZ,40,8,29.5,114.5\n"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def scenario(folder: Path, **rules: object) -> Path:
    """Two resources, staff covered in full and funds priced, per-donor columns."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "donors.csv").write_text(DONORS, encoding="utf-8")
    (folder / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    spec = {
        "name": "two resources",
        "resources": ["staff", {"name": "funds", "weight": 0.1}],
        "donors": {
            "file": "donors.csv",
            "id": "id",
            "capacity": {"staff": "staff", "funds": "funds"},
            "lat": "lat",
            "lon": "lon",
            "max_recipients": "most",
            "min_load": {"funds": "least_funds"},
        },
        "recipients": {
            "file": "recipients.csv",
            "id": "id",
            "need": {"staff": "staff", "funds": "funds"},
            "lat": "lat",
            "lon": "lon",
        },
        "rules": {
            "donors_per_recipient": {"min": 1, "max": 2},
            "coverage": {"shortfall_penalty": {"funds": 1000}},
            **rules,
        },
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_solve_exit_0_writes_one_share_column_per_resource(tmp_path: Path) -> None:
    path = scenario(tmp_path / "s")
    result = run("solve", path, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["donor", "recipient", "share_staff", "share_funds", "distance_km"]
    staff = {r: 0.0 for r in "XYZ"}
    for row in rows:
        staff[row["recipient"]] += float(row["share_staff"])
    assert staff == {"X": 50.0, "Y": 70.0, "Z": 40.0}  # staff is covered in full
    # The pairing solve wrote evaluates as satisfying every rule, with the same score.
    pairing = tmp_path / "pairing.csv"
    pairing.write_text(result.stdout, encoding="utf-8")
    solved = json.loads(run("solve", path, "--format", "json", "--no-timings").stdout)
    scored = run("evaluate", path, pairing, "--format", "json", "--no-timings")
    assert scored.exit_code == 0, scored.stderr
    data = json.loads(scored.stdout)
    assert data["satisfies_rules"] is True
    assert data["objective"]["value"] == pytest.approx(solved["objective"]["value"], rel=1e-6)
    assert set(data["objective"]["parts"]) == {"weighted_distance", "shortfall"}


def test_shortfall_is_reported_on_the_summary_line(tmp_path: Path) -> None:
    # C alone near Z with few funds: some funds need is cheaper left uncovered at 0.01.
    path = scenario(tmp_path / "s", coverage={"shortfall_penalty": {"funds": 0.01}})
    result = run("solve", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["shortfall"]["funds"] > 0 and data["shortfall"]["staff"] == 0
    assert "Shortfall:" in result.stderr and "funds uncovered" in result.stderr


def test_infeasible_exit_1_names_the_donor_and_its_own_rule(tmp_path: Path) -> None:
    path = scenario(tmp_path / "s")
    donors = (
        (tmp_path / "s" / "donors.csv").read_text().replace("B,80,5,31,113,,2", "B,80,5,31,113,,9")
    )
    (tmp_path / "s" / "donors.csv").write_text(donors, encoding="utf-8")
    for command in ("check", "solve"):
        result = run(command, path)
        assert result.exit_code == 1, result.stderr
        text = result.stdout + result.stderr
        assert "donor B" in text and "min_load" in text


def test_evaluate_exit_1_ranks_uncovered_need_below_the_optimum(tmp_path: Path) -> None:
    path = scenario(tmp_path / "s")
    plan = tmp_path / "plan.csv"
    # Staff must be covered in full; this plan leaves 30 of Y's 70 uncovered.
    plan.write_text(
        "donor,recipient,share_staff,share_funds\nA,X,50,4\nA,Y,40,6\nC,Z,40,8\n",
        encoding="utf-8",
    )
    result = run("evaluate", path, plan, "--vs-optimal", "--format", "json", "--no-timings")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["shortfall"]["staff"] == 30
    assert {v["rule"] for v in data["violations"]} >= {"coverage", "min_load"}
    optimum = data["optimum"]
    assert optimum["comparable"] is False and optimum["relative_difference"] is None
    assert optimum["uncovered_difference"] == {"staff": 30.0}
    assert optimum["verdict"].startswith("leaves 30 staff more need uncovered")


def test_bad_resource_mapping_exit_2_names_the_key(tmp_path: Path) -> None:
    path = scenario(tmp_path / "s")
    path.write_text(path.read_text().replace("funds: least_funds", "fund: least_funds"))
    result = run("check", path)
    assert result.exit_code == 2
    assert "donors.min_load names unknown resource(s) fund" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_solver_missing_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(strategy, "solver_info", lambda name: None)
    result = run("solve", scenario(tmp_path / "s"), "--solver", "cbc")
    assert result.exit_code == 3 and "solver 'cbc' is not available" in result.stderr


def test_time_limit_exit_4_with_two_resources(tmp_path: Path) -> None:
    """A seeded two-resource GAP (loads 1..100 per resource, capacity 80% of the average):
    such instances take minutes to prove, so a half-second limit stops short."""
    rng = np.random.default_rng(2026)
    agents, jobs = 10, 100
    load = rng.integers(1, 101, size=(2, agents, jobs))
    cost = 111 - load[0] + rng.integers(-10, 11, size=(agents, jobs))
    cap = (0.8 * load.sum(axis=2) / agents).astype(int)
    folder = tmp_path / "gap"
    folder.mkdir()
    (folder / "d.csv").write_text(
        "id,a,b\n" + "".join(f"a{i},{cap[0, i]},{cap[1, i]}\n" for i in range(agents))
    )
    (folder / "r.csv").write_text("id,a,b\n" + "".join(f"j{j},1,1\n" for j in range(jobs)))
    (folder / "p.csv").write_text(
        "donor,recipient,cost,load_a,load_b\n"
        + "".join(
            f"a{i},j{j},{cost[i, j]},{load[0, i, j]},{load[1, i, j]}\n"
            for i in range(agents)
            for j in range(jobs)
        )
    )
    spec = {
        "resources": ["a", "b"],
        "donors": {"file": "d.csv", "id": "id", "capacity": {"a": "a", "b": "b"}},
        "recipients": {"file": "r.csv", "id": "id", "need": {"a": "a", "b": "b"}},
        "pairs": {"file": "p.csv"},
        "objective": {"minimize": "cost"},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = run("solve", path, "--time-limit", "0.5", "--format", "json")
    if result.exit_code == 1:
        pytest.skip("this seed's instance is infeasible")  # not a time-limit case
    assert result.exit_code == 4, result.stderr
    if result.stdout:
        data = json.loads(result.stdout)
        assert data["status"] == "time_limit" and data["proven_optimal"] is False
        assert data["verified"] is True
