"""Smoke test of the benchmark harness in benchmarks/: the same code paths on tiny inputs, so
the harness cannot rot. The GAP part needs ../shared/benchmarks/gap (skipped without it);
the CP-SAT part needs ortools (`pip install -e '.[bench]'`, skipped without it).

The benchmarks use pairopt's public names only; the research tools that patch its
internals (research/) have their tests in research/tests, outside the default suite."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
import yaml

from benchmarks import (
    cli_latency,
    gap,
    gap_data,
    gap_solvers,
    national,
    objectives,
    sweep,
    synthetic,
    variants,
)

from . import SLOW

GAP_FOLDER = gap_data.DEFAULT_FOLDER.resolve()
SMALL = ["c515-1", "c515-2"]  # gap1.txt #1 and #2 (5 agents x 15 jobs), maximisation


@pytest.fixture(scope="module")
def gap_instances() -> list[gap_data.GapInstance]:
    if not (GAP_FOLDER / "best_known.csv").exists():
        pytest.skip(f"GAP instances not present ({GAP_FOLDER}); a clone has no ../shared")
    return gap_data.select(GAP_FOLDER, ["or"], SMALL)


def test_gap_runner_pairopt_and_pulp(
    gap_instances: list[gap_data.GapInstance], tmp_path: Path
) -> None:
    out = tmp_path / "gap.csv"
    solvers = ["pairopt", "pulp-cbc", "pulp-highs"]
    rows = gap.run_all(gap_instances, solvers, 30.0, out, progress=False)
    assert len(rows) == 2 * len(solvers)
    for r in rows:
        assert r["sense"] == "max"
        assert r["status"] == "optimal", r
        assert r["verified"] is True
        assert r["objective"] == r["best_known"]
        assert r["gap_to_best_pct"] == 0.0
    with out.open() as f:
        assert len(list(csv.DictReader(f))) == len(rows)
    text = gap.summary(rows, solvers)
    assert "pairopt total time / peer total time" in text
    assert "vs pulp-cbc" in text


def test_gap_runner_cpsat(gap_instances: list[gap_data.GapInstance]) -> None:
    pytest.importorskip("ortools")
    for inst in gap_instances:
        run = gap_solvers.runner("cpsat")(inst, 30.0)
        assert run.status == "optimal"
        assert run.verified
        assert run.objective == inst.best_known


def test_gap_main_writes_csv(gap_instances: list[gap_data.GapInstance], tmp_path: Path) -> None:
    out = tmp_path / "main.csv"
    code = gap.main(
        [str(GAP_FOLDER), "--names", "c515-1", "--solvers", "pairopt", "--csv", str(out)]
    )
    assert code == 0
    assert out.read_text().count("\n") == 2  # header and one row


def test_gap_format_and_model_without_shared(tmp_path: Path) -> None:
    """A hand-made OR-Library file: parser, best_known selection, both senses, and every
    solver's answer checked against brute force. Runs without ../shared."""
    c = np.array([[4, 1, 3, 2], [2, 5, 1, 4]])
    a = np.array([[3, 2, 2, 1], [2, 3, 1, 2]])
    b = np.array([5, 4])
    numbers = [1, 2, 4, *c.ravel(), *a.ravel(), *b]
    (tmp_path / "gap1.txt").write_text(" ".join(str(v) for v in numbers) + "\n")
    best = {}
    for sense in ("min", "max"):
        values = []
        for agent in itertools.product(range(2), repeat=4):
            arr = np.array(agent)
            ok, value = gap_data.check_assignment(
                gap_data.GapInstance("f", 1, "t", c, a, b, "min", None, False), arr
            )
            if ok:
                values.append(value)
        best[sense] = min(values) if sense == "min" else max(values)
    rows = [
        "file,instance_index,name,agents,jobs,sense,best_known,proven_optimal",
        f"gap1.txt,1,t-1,2,4,max,{best['max']:g},true",
        f"gap1.txt,1,t-1,2,4,min,{best['min']:g},true",
    ]
    (tmp_path / "best_known.csv").write_text("\n".join(rows) + "\n")
    solvers = ["pairopt", "pulp-cbc", "pulp-highs"]
    for sense in ("max", "min"):
        (inst,) = gap_data.select(tmp_path, ["or"], sense=sense if sense == "min" else "primary")
        assert inst.sense == sense
        assert (inst.cost == c).all() and (inst.resource == a).all() and (inst.capacity == b).all()
        for name in solvers:
            run = gap_solvers.runner(name)(inst, 10.0)
            assert run.status == "optimal", (sense, name, run)
            assert run.objective == best[sense], (sense, name, run)


def test_pulp_status_is_mapped_honestly() -> None:
    """PuLP 3 says "Optimal" for a run stopped at the time limit; sol_status tells."""
    status = gap_solvers.pulp_status
    assert status(pulp.LpStatusOptimal, pulp.LpSolutionOptimal) == "optimal"
    assert status(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible) == "time_limit"
    assert status(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound) == "no_solution"
    assert status(pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible) == "infeasible"


def test_synthetic_scenario_solves_and_is_reproducible(tmp_path: Path) -> None:
    # Ample capacity keeps the tiny scenario quick (40 x 31 at capacity 1.3 x need takes HiGHS
    # ~10 s: a tight packing); the harness, not the solver, is under test here.
    options = {"seed": 7, "recipients": 40, "capacity_ratio": 3.0}
    made = synthetic.generate(tmp_path / "a", "prefecture", **options)  # type: ignore[arg-type]
    again = synthetic.generate(tmp_path / "b", "prefecture", **options)  # type: ignore[arg-type]
    for name in ("scenario.yaml", "donors.csv", "recipients.csv", "pairs.csv"):
        assert (made.folder / name).read_bytes() == (again.folder / name).read_bytes()
    recipients = pd.read_csv(made.folder / "recipients.csv")
    assert len(recipients) == 40
    assert synthetic.inside_china(recipients["lon"].to_numpy(), recipients["lat"].to_numpy()).all()
    assert made.total_capacity >= 3.0 * made.total_need - 1e-9
    pairs = pd.read_csv(made.folder / "pairs.csv")
    merged = pairs.merge(recipients, left_on="recipient", right_on="id")
    assert (merged["donor"] != merged["province"]).all()  # no province helps its own

    figures = national.measure(made.folder / "scenario.yaml", time_limit=30.0)
    assert figures["status"] == "optimal"
    assert figures["verified"] is True
    assert figures["pairs"] == made.pairs == len(pairs)
    assert figures["per_100k_pairs_s"] > 0
    assert figures["peak_rss_mb"] > 0
    assert "scenario" in national.report([{**figures, "child_wall_s": 1.0}])


def test_synthetic_refuses_to_write_into_the_repo() -> None:
    with pytest.raises(ValueError, match="inside the repository"):
        synthetic.generate_all(synthetic.ROOT / "benchmarks" / "generated", ["prefecture"])


def test_cli_latency_commands_exist() -> None:
    cmds = cli_latency.commands(cli_latency.HUBEI)
    assert set(cmds) == {"pairopt solve", "PuLP+CBC script", "bare imports"}
    assert (cli_latency.ROOT / cli_latency.HUBEI).exists()
    assert Path(cmds["PuLP+CBC script"][1]).exists()


@pytest.mark.parametrize(
    "with_kinds",
    [
        False,
        pytest.param(  # seven more solves: the slow sample runs them
            True,
            marks=[pytest.mark.slow, pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1")],
        ),
    ],
)
def test_variants_run_record_and_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], with_kinds: bool
) -> None:
    """The variants runner on the example: its six variants and (slow) the rule kinds
    (several resources, a shortfall price, per-donor columns), every row proven with its
    tie-break done, a digest per pairing, and a comparison of a run with itself that finds
    every pairing the same."""
    out = tmp_path / "variants.csv"
    args = ["--only", "example", "--random", "0", "--small", "0", "--small-kinds", ""]
    args += ["--fresh", "0"]
    args += ["--csv", str(out)] + ([] if with_kinds else ["--no-kinds"])
    assert variants.main(args) == 0
    rows = variants.read_csv(out)
    kinds = [variants.Case("example", out, o, k).variant for k, o in variants.KINDS]
    assert [r["variant"] for r in rows] == [
        " ".join(v) or "as given" for v in variants.SHIPPED_VARIANTS
    ] + (kinds if with_kinds else [])
    assert all(r["status"] == "optimal" and r["tie_break"] == "done" for r in rows), rows
    assert all(len(str(r["pairing"])) == 12 for r in rows)
    # The plain peer proves the same optimum on every variant, and each run has a profile.
    assert all(r["peer_status"] == "optimal" and not variants.mismatch(r) for r in rows), rows
    assert all("verify=" in str(r["stages"]) for r in rows)
    assert len({r["pairing"] for r in rows}) > 1  # the variants change the pairing
    groups = {variants.group(r) for r in rows}
    text = capsys.readouterr().out
    if with_kinds:
        assert {"before", "3 resources", "3 resources + shortfall", "min_load column"} <= groups
        assert "3 resources + shortfall" in text  # the summary by group
    assert variants.main([*args, "--compare", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{len(rows)} runs finished in both" in text
    assert "prove different optima: none" in text
    assert "pairings that differ: 0" in text
    changed = [dict(r, pairing="0" * 12) if i == 0 else r for i, r in enumerate(rows)]
    assert "pairings that differ: 1" in variants.compare(changed, rows)
    # A run of the code before the rule kinds (no shortfall column) still compares.
    before = [{k: v for k, v in r.items() if k != "shortfall"} for r in rows[:6]]
    assert "6 runs finished in both" in variants.compare(before, rows)


def test_variants_derive_kinds_from_the_example(tmp_path: Path) -> None:
    """The derived scenarios: load becomes load_<resource>, fixed pairs stay feasible, and
    the per-donor columns follow their rules."""
    example = variants.ROOT / "scenarios" / "example" / "scenario.yaml"
    path = variants.derive(example, tmp_path / "three", "3 resources")
    pairs = pd.read_csv(path.parent / "pairs.csv")
    assert {"load_staff", "load_supplies", "load_funds"} <= set(pairs.columns)
    assert "load" not in pairs.columns
    spec = yaml.safe_load(path.read_text())
    assert spec["resources"][2] == {"name": "funds", "weight": variants.FUNDS_WEIGHT}
    assert set(spec["donors"]["capacity"]) == {"staff", "supplies", "funds"}
    donors = pd.read_csv(path.parent / "donors.csv")
    recipients = pd.read_csv(path.parent / "recipients.csv")
    a, city1 = donors.set_index("donor").loc["Donor A"], recipients.iloc[0]
    assert a["supplies"] >= city1["supplies"]  # Donor A's fixed pair with City 1
    again = variants.derive(example, tmp_path / "again", "3 resources")
    for name in ("donors.csv", "recipients.csv", "pairs.csv", "scenario.yaml"):
        assert (path.parent / name).read_bytes() == (again.parent / name).read_bytes()

    path = variants.derive(example, tmp_path / "min-load", "min_load column")
    donors = pd.read_csv(path.parent / "donors.csv")
    assert donors["min_load"].notna().tolist() == [False, False, True, False, False]
    assert donors["min_load"][2] == pytest.approx(220 * 0.8 / 5)  # Donor C, after the reserve
    path = variants.derive(example, tmp_path / "reach", "max_distance_km column")
    donors = pd.read_csv(path.parent / "donors.csv")
    assert donors["max_distance_km"].notna().tolist() == [False, True, False, False, True]
    assert (donors["max_distance_km"].dropna() <= 1200).all()  # within the scenario's limit


def test_objectives_benchmark_rows_and_targets() -> None:
    # The example has no pairing in place: the objectives that count changes are left out.
    rows = objectives.run(
        ["example"],
        time_limit=20,
        points=3,
        combined=("weighted_distance=1,fairness=1", "changes,weighted_distance"),
        fronts=(("distance", "fairness"), ("changes", "distance")),
    )
    kinds = [(r["kind"], r["objective"]) for r in rows]
    assert kinds == [
        ("term", "weighted_distance"),
        ("term", "fairness"),
        ("combined", "weighted_distance=1,fairness=1"),
        ("front", "distance vs fairness"),
    ]
    assert all(r["status"] == "optimal" for r in rows)
    assert rows[3]["points"] and int(str(rows[3]["points"])) >= 1
    text = objectives.summary(rows)
    assert text.startswith("combined objectives: ") and "fronts: 1 of 1 within 60 s" in text


def test_sweep_benchmark_times_and_checks_the_same_variants(tmp_path: Path) -> None:
    """The sweep benchmark on one sample of the example: `pairopt sweep --workers 1` and a
    shell loop of `pairopt solve` on a scenario copy holding the same perturbed needs,
    both timed as whole processes, and their runs found to agree."""
    example = sweep.ROOT / "scenarios" / "example" / "scenario.yaml"
    table, problems = sweep.run_timings(
        example, 1, 2, tmp_path, dask=False, methods=("workers 1", "shell loop")
    )
    assert problems == []
    times = [r for r in table if r["part"] == "time"]
    assert [r["what"] for r in times] == ["sweep --workers 1", "shell loop of 1 pairopt solve"]
    assert all(r["exit"] == 0 and r["wall_s"] > r["run_s_sum"] > 0 for r in times), times
    assert {"part": "check", "value": 0, "met": "yes"}.items() <= table[2].items()
    assert sweep.RowCounter(tmp_path / "workers_1.csv")() == 1
    ran = sweep.read_sweep(tmp_path / "workers_1.csv")
    moved = {1: {**ran[1], "pairing_hash": "0" * 12}}
    assert sweep.disagreements(ran, moved, 1) == [
        f"run 1: pairing_hash {ran[1]['pairing_hash']} / {'0' * 12}"
    ]
    assert sweep.checkpoints(10_000) == [1000, 5000, 10_000]
    assert "NOT MET" not in sweep.report(table)
