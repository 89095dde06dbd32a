"""`pairopt sweep` and `pairing_opt.sweep`: the grid, the samples, the rows, resuming, the
summary and the pair-stability table, the errors a user can act on (Dask: test_dask.py)."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pairing_opt import InputError, load, solve, sweep
from pairing_opt import evaluate as po_evaluate
from pairing_opt.cli import main
from pairing_opt.engine import backends
from pairing_opt.scenario.perturb import parse_perturbations, perturbed
from pairing_opt.sweeps import sweeper
from pairing_opt.sweeps.plan import parse_vary, plan_runs, split_values
from pairing_opt.sweeps.store import RunStore

from .conftest import write_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "example"
MULTI = ROOT / "scenarios" / "multi-resource" / "scenario.yaml"
GRID = ["rules.max_distance_km=1000,1200,2000", "rules.min_share=0.25,0.4"]


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    """A private copy of the example scenario (sweeps hash and must not touch the repo)."""
    shutil.copytree(EXAMPLE, tmp_path / "example")
    return tmp_path / "example" / "scenario.yaml"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def without_times(found: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in found]


# --------------------------------------------------------------------------- planning


def test_values_split_at_top_level_commas_only() -> None:
    assert split_values("1,[a, b],{min: 1, max: 2},'x,y'") == [
        "1",
        "[a, b]",
        "{min: 1, max: 2}",
        "'x,y'",
    ]


def test_runs_are_numbered_grid_first_then_samples() -> None:
    runs = plan_runs(parse_vary(["a=1,2", "b=x,y,z"]), samples=2)
    assert len(runs) == 12
    assert [r.index for r in runs] == list(range(1, 13))
    assert runs[0].settings == (("a", "1"), ("b", "x")) and runs[0].sample == 0
    assert runs[1].settings == (("a", "1"), ("b", "x")) and runs[1].sample == 1
    assert runs[-1].settings == (("a", "2"), ("b", "z")) and runs[-1].sample == 1
    assert [r.sample for r in plan_runs([], None)] == [None]


def test_bad_vary_texts_are_all_reported() -> None:
    with pytest.raises(InputError) as caught:
        parse_vary(["a", "b=1,,2", "c=1,1", "d=1", "d=2"])
    assert len(caught.value.problems) == 4


# --------------------------------------------------------------------------- perturbing


def test_a_sample_depends_on_seed_and_sample_number_only() -> None:
    scenario = load(EXAMPLE / "scenario.yaml")
    spec = parse_perturbations(["recipients.need=lognormal:0.3"])
    first = perturbed(scenario, spec, seed=7, sample=3).need
    assert np.array_equal(first, perturbed(scenario, spec, seed=7, sample=3).need)
    assert not np.array_equal(first, perturbed(scenario, spec, seed=7, sample=4).need)
    assert not np.array_equal(first, perturbed(scenario, spec, seed=8, sample=3).need)
    assert np.array_equal(scenario.capacity, perturbed(scenario, spec, 7, 3).capacity)


def test_uniform_factors_stay_in_their_range() -> None:
    scenario = load(EXAMPLE / "scenario.yaml")
    spec = parse_perturbations(["donors.capacity=uniform:0.5,0.6"])
    for sample in range(20):
        ratio = perturbed(scenario, spec, 1, sample).capacity / scenario.capacity
        assert np.all((ratio >= 0.5) & (ratio <= 0.6))


def test_one_resource_is_perturbed_alone() -> None:
    scenario = load(MULTI)
    name = scenario.resource_names[1]
    spec = parse_perturbations([f"recipients.need.{name}=uniform:2,3"])
    changed = perturbed(scenario, spec, 0, 0).need_matrix
    assert np.array_equal(changed[:, 0], scenario.need_matrix[:, 0])
    assert np.all(changed[:, 1] >= 2 * scenario.need_matrix[:, 1])


def test_bad_perturbations_name_the_problem() -> None:
    with pytest.raises(InputError) as caught:
        parse_perturbations(
            [
                "recipients.cap=lognormal:0.2",
                "recipients.need=uniform:2,1",
                "donors.capacity=beta:1",
            ]
        )
    messages = [p.what for p in caught.value.problems]
    assert any("KEY one of" in m for m in messages)
    assert any("LO <= HI" in m for m in messages)
    assert any("unknown distribution 'beta'" in m for m in messages)


# --------------------------------------------------------------------------- sweeping


def test_a_grid_gives_one_row_per_combination_with_the_solve_s_answer(
    example: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runs.csv"
    done = sweep(example, out, vary=GRID, workers=1)
    found = rows(out)
    assert [int(r["run"]) for r in found] == list(range(1, 7))
    assert [r["rules.max_distance_km"] for r in found] == ["1000"] * 2 + ["1200"] * 2 + ["2000"] * 2
    for row in found:
        what_if = [f"rules.max_distance_km={row['rules.max_distance_km']}"]
        what_if.append(f"rules.min_share={row['rules.min_share']}")
        alone = solve(load(example, what_if))
        assert row["status"] == alone.status
        if alone.objective is not None:
            assert float(row["objective"]) == pytest.approx(alone.objective, rel=1e-9)
            pairs = sorted([a.donor, a.recipient] for a in alone.pairs)
            assert json.loads(row["pairs"]) == pairs
    assert done.runs == 6 and done.ran == 6
    assert sum(done.summary.statuses.values()) == 6


def test_the_base_pairing_is_scored_in_every_run(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    sweep(example, out, vary=["rules.max_distance_km=1200,5000"], workers=1)
    for row in rows(out):
        # The example's own max_distance_km is 1200: that run's optimum is the base.
        if row["rules.max_distance_km"] == "1200":
            assert row["changes_vs_base"] == "0"
            assert float(row["base_gap"]) == 0
        assert float(row["base_gap"]) >= 0  # never better than the run's own optimum
        assert row["base_broken"] == "0"


def test_with_no_base_pairing_changes_vs_base_is_blank(example: Path, tmp_path: Path) -> None:
    """The base (every run's --set, no --vary) is infeasible here: changes_vs_base was
    counted against the user's pairing instead."""
    out = tmp_path / "runs.csv"
    pairing = example.parent / "example_pairing.csv"
    sweep(
        example,
        out,
        vary=["rules.max_distance_km=1200,2000"],
        overrides=["rules.max_distance_km=10"],
        pairings={"mine": pairing},
        workers=1,
    )
    found = rows(out)
    assert [r["status"] for r in found] == ["optimal", "optimal"]
    assert [r["changes_vs_base"] for r in found] == ["", ""]
    assert all(r["mine_objective"] for r in found)


def test_a_varied_objective_has_a_column_of_its_own(example: Path, tmp_path: Path) -> None:
    """`--vary objective=...` named its column `objective`, which the result's objective
    value then overwrote."""
    out = tmp_path / "runs.csv"
    sweep(example, out, vary=["objective=weighted_distance,max_distance"], workers=1)
    with out.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header.count("objective") == 1 and "varied_objective" in header
    found = rows(out)
    assert [r["varied_objective"] for r in found] == ["weighted_distance", "max_distance"]
    alone = solve(load(example, ["objective=max_distance"]))
    assert alone.objective is not None
    assert float(found[1]["objective"]) == pytest.approx(alone.objective, rel=1e-9)


def test_a_pairing_of_the_user_is_scored_with_its_broken_rules(
    example: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runs.csv"
    pairing = example.parent / "example_pairing.csv"
    sweep(example, out, vary=["recipients.need_scale=1,10"], pairings={"mine": pairing}, workers=1)
    found = rows(out)
    assert {"mine_objective", "mine_gap", "mine_broken", "mine_short"} <= set(found[0])
    # The example pairing uses a forbidden pair, as `evaluate` reports; its need-weighted
    # distance grows with the need it carries.
    assert [r["mine_broken"] for r in found] == ["1", "1"]
    assert float(found[1]["mine_objective"]) == pytest.approx(
        10 * float(found[0]["mine_objective"]), rel=1e-6
    )
    assert float(found[0]["mine_gap"]) > 0


def test_the_summary_gives_each_fixed_pairings_record_and_gap_range(
    example: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runs.csv"
    pairing = example.parent / "example_pairing.csv"
    vary = ["rules.max_distance_km=1200,5000", "recipients.need_scale=1,2"]
    done = sweep(example, out, vary=vary, pairings={"mine": pairing}, workers=1)
    found = rows(out)
    lines = done.lines()
    base = next(line for line in lines if line.startswith("Base:"))
    mine = next(line for line in lines if line.startswith("mine:"))
    gaps = sorted(float(r["base_gap"]) for r in found)
    tied = sum(float(r["base_gap"]) <= 1e-6 for r in found)
    assert f"optimal in {tied} of 4 solved runs" in base and "breaks a rule in 0;" in base
    assert f"{100 * gaps[0]:.3g}% to {100 * gaps[-1]:.3g}%" in base
    assert f"(median {100 * (gaps[1] + gaps[2]) / 2:.3g}%)" in base
    # The example pairing uses a forbidden pair: never optimal, broken in every run.
    mine_gaps = sorted(float(r["mine_gap"]) for r in found)
    assert "optimal in 0 of 4 solved runs (0%), breaks a rule in 4;" in mine
    assert f"{100 * mine_gaps[0]:.3g}% to {100 * mine_gaps[-1]:.3g}%" in mine


def test_samples_are_reproducible_and_differ_from_each_other(example: Path, tmp_path: Path) -> None:
    args = {"samples": 4, "perturb": ["recipients.need=lognormal:0.3"], "seed": 5, "workers": 1}
    sweep(example, tmp_path / "a.csv", **args)
    sweep(example, tmp_path / "b.csv", **args)
    a, b = without_times(rows(tmp_path / "a.csv")), without_times(rows(tmp_path / "b.csv"))
    assert a == b
    assert [r["sample"] for r in a] == ["0", "1", "2", "3"]
    assert len({r["objective"] for r in a}) == 4


def test_worker_processes_give_the_same_rows_as_one_process(example: Path, tmp_path: Path) -> None:
    sweep(example, tmp_path / "one.csv", vary=GRID, workers=1)
    sweep(example, tmp_path / "two.csv", vary=GRID, workers=2)
    assert without_times(rows(tmp_path / "one.csv")) == without_times(rows(tmp_path / "two.csv"))


@pytest.mark.parametrize(("cores", "workers", "threads"), [(2, 2, 1), (8, 2, 4), (3, 2, 1)])
def test_worker_processes_share_the_cores_among_their_solves(
    example: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    workers: int,
    threads: int,
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(sweeper, "_cores", lambda: cores)
    monkeypatch.setattr(sweeper, "run_local", lambda job, *_: seen.append(job.threads))
    sweep(example, tmp_path / "runs.csv", vary=GRID, workers=workers)
    assert seen == [threads]


def test_a_sweep_in_one_process_leaves_highs_its_own_threads(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(sweeper, "run_here", lambda job, *_: seen.append(job.threads))
    sweep(example, tmp_path / "runs.csv", vary=GRID, workers=1)
    assert seen == [0]


def test_runs_on_one_highs_thread_give_the_same_rows(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep(example, tmp_path / "own.csv", vary=GRID, workers=1)
    run_here = sweeper.run_here
    used: list[int] = []

    def one_thread(job: Any, runs: Any, sink: Any) -> None:
        run_here(dataclasses.replace(job, threads=1), runs, sink)
        used.append(backends._threads)

    monkeypatch.setattr(sweeper, "run_here", one_thread)
    try:
        sweep(example, tmp_path / "one.csv", vary=GRID, workers=1)
    finally:
        backends.use_threads(0)
    assert used == [1]
    assert without_times(rows(tmp_path / "one.csv")) == without_times(rows(tmp_path / "own.csv"))


def test_an_interrupted_sweep_runs_only_what_is_missing(example: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole.csv"
    sweep(example, whole, vary=GRID, workers=1)
    cut = tmp_path / "cut.csv"
    sweep(example, cut, vary=GRID, workers=1)
    lines = cut.read_text(encoding="utf-8").splitlines(keepends=True)
    # Runs 1, 2 and 4 finished (in that order); run 5 was cut off mid-line by a kill.
    cut.write_text("".join([*lines[:3], lines[4], lines[5][:25]]), encoding="utf-8")
    done = sweep(example, cut, vary=GRID, workers=1)
    assert (done.ran, done.runs) == (3, 6)
    assert without_times(rows(cut)) == without_times(rows(whole))
    again = sweep(example, cut, vary=GRID, workers=1)
    assert again.ran == 0 and without_times(rows(cut)) == without_times(rows(whole))


def test_the_finished_file_holds_every_record_in_run_order(tmp_path: Path) -> None:
    # Messages can hold newlines, quotes and commas: a record is not a line.
    columns = ["run", "status", "message"]
    rows = [
        {"run": run, "status": "error", "message": text}
        for run, text in [
            (3, 'a "quoted"\nline, and more'),
            (1, ""),
            (10, "two\nnew\nlines"),
            (2, '""'),
            (4, "plain"),
        ]
    ]
    store = RunStore(tmp_path / "runs.csv", columns, {"what": "test"})
    store.open()
    for row in rows:
        store.append(row)
    store.finish()
    expected = RunStore(tmp_path / "expected.csv", columns, {"what": "test"})
    expected.open()
    for row in sorted(rows, key=lambda r: int(r["run"])):
        expected.append(row)
    assert (tmp_path / "runs.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()
    with (tmp_path / "runs.csv").open(encoding="utf-8", newline="") as handle:
        back = list(csv.DictReader(handle))
    assert [r["message"] for r in back] == [
        "",
        '""',
        'a "quoted"\nline, and more',
        "plain",
        "two\nnew\nlines",
    ]


def test_a_different_sweep_never_appends_to_the_file(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    sweep(example, out, vary=["rules.min_share=0.25,0.4"], workers=1)
    before = out.read_bytes()
    with pytest.raises(InputError, match="runs of a different sweep") as caught:
        sweep(example, out, vary=["rules.min_share=0.25,0.3"], workers=1)
    assert "vary" in str(caught.value)
    (example.parent / "recipients.csv").write_text(
        (example.parent / "recipients.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="inputs"):
        sweep(example, out, vary=["rules.min_share=0.25,0.4"], workers=1)
    assert out.read_bytes() == before


def test_a_failing_run_is_a_row_not_a_crashed_sweep(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    done = sweep(example, out, vary=["recipients.need=required_staff,no_such_column"], workers=1)
    good, bad = rows(out)
    assert good["status"] == "optimal"
    assert bad["status"] == "error" and "no_such_column" in bad["message"]
    assert done.summary.statuses == {"optimal": 1, "error": 1}


def test_pair_stability_counts_the_runs_that_use_each_pair(example: Path, tmp_path: Path) -> None:
    out, pairs = tmp_path / "runs.csv", tmp_path / "pairs.csv"
    sweep(example, out, vary=GRID, workers=1, pairs_out=pairs)
    solved = [r for r in rows(out) if r["status"] == "optimal"]
    table = rows(pairs)
    for entry in table:
        pair = [entry["donor"], entry["recipient"]]
        using = sum(pair in json.loads(r["pairs"]) for r in solved)
        assert int(entry["runs"]) == using
        assert float(entry["fraction"]) == pytest.approx(using / len(solved), rel=1e-5)
    fixed = next(e for e in table if (e["donor"], e["recipient"]) == ("Donor A", "City 1"))
    assert float(fixed["fraction"]) == 1 and fixed["in_base"] == "true"


def test_arguments_are_checked_before_any_run(example: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        sweep(
            example,
            tmp_path / "runs.txt",
            vary=["rules.max_distance_km=-5,800", "nonsense.key=1"],
            samples=3,
            perturb=[],
            seed=-1,
        )
    text = str(caught.value)
    for expected in ("writes CSV", "greater than 0", "unknown key 'nonsense'", "go together"):
        assert expected in text
    assert "seed" in text
    assert not (tmp_path / "runs.txt").exists()


def test_a_parquet_sweep_holds_the_csv_rows_and_resumes(example: Path, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    sweep(example, tmp_path / "runs.csv", vary=GRID, workers=1)
    out = tmp_path / "runs.parquet"
    first = sweep(example, out, vary=GRID, workers=1)
    assert first.ran == 6 and not (tmp_path / "runs.parquet.part.csv").exists()
    columns = [c for c in first.columns if c != "seconds"]
    parquet = pd.read_parquet(out)[columns]
    csv_rows = pd.read_csv(tmp_path / "runs.csv")[columns]
    pd.testing.assert_frame_equal(parquet, csv_rows, check_dtype=False)
    again = sweep(example, out, vary=GRID, workers=1)
    assert again.ran == 0 and again.summary.statuses == first.summary.statuses


def test_parquet_without_pyarrow_is_exit_3(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = CliRunner().invoke(
        main, ["sweep", str(example), "--vary", GRID[0], "-o", str(tmp_path / "r.parquet")]
    )
    assert result.exit_code == 3
    assert "pip install 'pairopt[parquet]'" in result.stderr
    assert not (tmp_path / "r.parquet").exists()


# --------------------------------------------------------------------------- the command


def test_the_command_writes_rows_and_a_summary_and_exits_0(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.csv"
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(example),
            "--vary",
            GRID[0],
            "--workers",
            "1",
            "-o",
            str(out),
            "--pairs-out",
            str(tmp_path / "pairs.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # rows go to the file; stdout stays free for data
    assert "Sweep:     3 runs" in result.stderr
    assert "Base:" in result.stderr and "wrote" in result.stderr
    assert len(rows(out)) == 3


def test_the_command_exit_code_follows_the_worst_run(example: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        main,
        [
            "sweep",
            str(example),
            "--vary",
            "recipients.need=required_staff,nope",
            "--workers",
            "1",
            "-o",
            str(tmp_path / "a.csv"),
        ],
    )
    assert bad.exit_code == 2
    infeasible = runner.invoke(
        main,
        [
            "sweep",
            str(example),
            "--vary",
            "rules.max_distance_km=500,1200",
            "--workers",
            "1",
            "-o",
            str(tmp_path / "b.csv"),
        ],
    )
    assert infeasible.exit_code == 0  # a proven infeasible what-if is an answer
    assert "1 infeasible" in infeasible.stderr


def test_the_command_names_its_flags_in_messages(example: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(example),
            "--vary",
            "rules.max_distance_km=-1",
            "--samples",
            "3",
            "--pairing",
            "base=x.csv",
            "-o",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "--vary rules.max_distance_km=-1" in result.stderr
    assert "--samples and --perturb go together" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_dask_extra_or_scheduler_is_exit_3(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were missing
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(example),
            "--dask",
            "tcp://127.0.0.1:1",
            "-o",
            str(tmp_path / "r.csv"),
            "--vary",
            GRID[0],
        ],
    )
    assert result.exit_code == 3
    assert "pip install 'pairopt[dask]'" in result.stderr


@pytest.mark.parametrize("table", ["pairs.csv", "donors.csv", "pairing.csv"])
def test_pairs_out_never_replaces_a_file_the_sweep_reads(
    example: Path, tmp_path: Path, table: str
) -> None:
    """A table of the scenario or a --pairing file named as --pairs-out was replaced by the
    pair-stability table, and every later solve read that instead (exit 0, no word)."""
    folder = example.parent
    official = folder / "pairing.csv"
    official.write_text("donor,recipient\nDonor A,City 1\n", encoding="utf-8")
    before = (folder / table).read_bytes()
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(example),
            "--vary",
            "rules.min_share=0.25,0.4",
            "--workers",
            "1",
            "--pairing",
            f"official={official}",
            "-o",
            str(tmp_path / "runs.csv"),
            "--pairs-out",
            str(folder / table),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--pairs-out" in result.stderr and "is an input of this run" in result.stderr
    assert (folder / table).read_bytes() == before
    assert not (tmp_path / "runs.csv").exists()  # refused before any run


def test_a_file_named_only_by_a_what_if_is_an_input(example: Path, tmp_path: Path) -> None:
    """A recipients table named only in a --vary value was overwritten by --pairs-out, and
    editing it did not stop a resume from mixing rows of the old and new data. Found by
    the seventh QA pass."""
    folder = example.parent
    other = folder / "recipients2.csv"
    shutil.copy(folder / "recipients.csv", other)
    before = other.read_bytes()
    out = tmp_path / "runs.csv"
    args = ["sweep", str(example), "--vary", "recipients.file=recipients.csv,recipients2.csv"]
    args += ["--workers", "1", "-o", str(out)]
    clash = CliRunner().invoke(main, [*args, "--pairs-out", str(other)])
    assert clash.exit_code == 2, clash.output
    assert "--pairs-out" in clash.stderr and "is an input of this run" in clash.stderr
    assert other.read_bytes() == before and not out.exists()
    assert CliRunner().invoke(main, args).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:2]), encoding="utf-8")  # run 2 to do again
    other.write_bytes(before + b"\n")  # an edit to the file only the what-if names
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2, again.output
    assert "differs in: inputs" in again.stderr


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda lines: [*lines, "2,0.4\n"], ["row 4", "has 2 fields"]),
        (lambda lines: [*lines, lines[1]], ["row 4", "run 1 is already on row 2"]),
        (lambda lines: [*lines[:2], "x" + lines[2]], ["row 3", "is not a run number"]),
        # found by the seventh QA pass: exit 70, or rows kept that the sweep never wrote
        (lambda lines: [*lines[:2], "9" * 24 + lines[2][1:]], ["row 3", "(1 to 2)"]),
        (lambda lines: [*lines[:2], "7" + lines[2][1:]], ["row 3", "(1 to 2)"]),
        (lambda lines: [*lines[:2], "0" + lines[2][1:]], ["row 3", "(1 to 2)"]),
        (lambda lines: [*lines[:2], " " + lines[2]], ["row 3", "is not a run number"]),
        (lambda lines: lines[1:], ["row 1", "is not the header the sweep writes"]),
        (
            lambda lines: [lines[0].replace("status,objective", "objective,status"), *lines[1:]],
            ["row 1", "is not the header the sweep writes"],
        ),
    ],
)
def test_resuming_from_an_edited_runs_file_is_an_input_error(
    example: Path, tmp_path: Path, edit: Any, words: list[str]
) -> None:
    """A short line once crashed the summary (exit 70); a run twice was counted twice."""
    out = tmp_path / "runs.csv"
    args = ["sweep", str(example), "--vary", "rules.min_share=0.25,0.4", "--workers", "1"]
    assert CliRunner().invoke(main, [*args, "-o", str(out)]).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(edit(lines)), encoding="utf-8")
    edited = out.read_bytes()
    again = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert again.exit_code == 2, again.output
    assert all(w in again.stderr for w in [str(out), *words, "Fix:"]), again.stderr
    assert "Traceback" not in again.output
    assert out.read_bytes() == edited  # nothing appended before the refusal


def test_with_need_scenarios_the_base_is_scored_by_the_robust_objective(
    example: Path, tmp_path: Path
) -> None:
    """Each run's optimum is the robust (worst-case) objective; the base pairing was scored
    at the nominal need only, so where it is the run's own optimum its gap read -28.6% and
    counted as optimal."""
    folder = example.parent
    need = pd.read_csv(folder / "recipients.csv")
    need["required_staff"] = need["required_staff"] * 1.4
    need[["recipient", "required_staff"]].to_csv(folder / "need_high.csv", index=False)
    text = example.read_text(encoding="utf-8").replace(
        "  min_share: 0.25", "  coverage: {shortfall_penalty: 2000}\n  min_share: 0.25", 1
    )
    example.write_text(text + "uncertainty:\n  needs: [need_high.csv]\n  robust: worst\n", "utf-8")
    out = tmp_path / "runs.csv"
    sweep(example, out, vary=["rules.reserve=0.2,0.1"], workers=1)
    found = rows(out)
    same = [r for r in found if r["changes_vs_base"] == "0"]
    assert same, found
    for r in same:
        assert float(r["base_objective"]) == pytest.approx(float(r["objective"]), rel=1e-9)
        assert float(r["base_gap"]) == pytest.approx(0.0, abs=1e-9)
    assert all(float(r["base_gap"]) >= -1e-9 for r in found)


def test_a_loaded_scenario_is_an_input_error_asking_for_its_path(
    example: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"scenario \(argument\).*pass the file's path"):
        sweep(load(example), tmp_path / "runs.csv", vary=GRID)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "kept"), [("runs.csv", "runs.csv"), ("runs.parquet", "runs.parquet.part.csv")]
)
def test_an_interrupted_sweep_says_where_its_finished_runs_are(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, kept: str
) -> None:
    """A Parquet sweep keeps its finished runs in <out>.part.csv, and the same command
    resumes from them, but Ctrl-C said 'no output was written'. Found by the fourth QA
    pass."""
    out = tmp_path / name

    def interrupted(*args: Any, **kwargs: Any) -> None:
        (tmp_path / kept).write_text("run,status\n1,optimal\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(sweeper, "sweep", interrupted)
    result = CliRunner().invoke(main, ["sweep", str(example), "--vary", GRID[0], "-o", str(out)])
    assert result.exit_code == 130, result.output
    assert f"the runs that finished are kept in {tmp_path / kept}" in result.output
    assert "no output was written" not in result.output


def test_a_bad_set_or_file_value_is_named_where_it_is_not_on_the_varied_values(
    example: Path, tmp_path: Path
) -> None:
    """Every problem met while checking a --vary value was laid at that value: a bad
    --set was reported once per varied value and never named. Found by the fourth QA
    pass."""
    args = ["sweep", str(example), "--set", "rules.max_distance_km=abc"]
    args += ["--vary", "rules.min_share=0.25,0.4", "--vary", "rules.reserve=0.1,0.2"]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 2, result.output
    assert "1 problem in the input" in result.stderr
    assert "--set rules.max_distance_km" in result.stderr and "--vary" not in result.stderr


def test_a_pairing_name_given_twice_is_an_input_error(example: Path, tmp_path: Path) -> None:
    pairing = str(example.parent / "example_pairing.csv")
    args = ["sweep", str(example), "--vary", GRID[0], "--pairing", f"a={pairing}"]
    result = CliRunner().invoke(
        main, [*args, "--pairing", f"a={pairing}", "-o", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 2, result.output
    assert "'a' is given twice" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_pairs_out_must_be_named_csv(example: Path, tmp_path: Path) -> None:
    """--pairs-out pairs.json wrote CSV text into a .json file (fourth QA pass)."""
    args = ["sweep", str(example), "--vary", GRID[0], "-o", str(tmp_path / "r.csv")]
    result = CliRunner().invoke(main, [*args, "--pairs-out", str(tmp_path / "pairs.json")])
    assert result.exit_code == 2, result.output
    assert "--pairs-out" in result.stderr and "*.csv" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_an_optimum_of_zero_gives_no_relative_gap(example: Path, tmp_path: Path) -> None:
    """fairness's optimum on the example is 0, solved as 1e-9: a pairing that misses it
    had a gap of 1e9 (the summary read 'to 1e+11%'), and the row's objective showed the
    solver's 1e-9 where solve says 0. Found by the seventh QA pass."""
    out = tmp_path / "runs.csv"
    official = example.parent / "example_pairing.csv"
    done = sweep(
        example,
        out,
        vary=["objective=fairness,weighted_distance"],
        pairings={"ex": official},
        workers=1,
    )
    first, second = rows(out)
    assert first["objective"] == "0" and first["bound"] == "0"
    assert first["ex_gap"] == "" and first["ex_objective"] != ""
    assert first["base_gap"] in ("", "0")
    assert float(second["ex_gap"]) > 0
    text = "\n".join(done.summary.lines("optimal"))
    assert "e+" not in text and "with an optimum of 0 it misses" in text


@pytest.mark.parametrize("unit", [1e-6, 1.0])
def test_parts_and_shortfall_keep_ten_digits_in_any_unit(tmp_path: Path, unit: float) -> None:
    """The part_* and shortfall columns came from solve's JSON, rounded to 6 decimals:
    in millionths a part read 0.10775 beside an objective of 0.1077500338. Found by the
    seventh QA pass."""
    path = write_scenario(
        tmp_path / "priced",
        donors=f"id,cap,lat,lon\nA,{100 * unit!r},30,110\nB,{50 * unit!r},40,120\n",
        recipients=f"id,need,lat,lon\nX,{100 * unit!r},31,111\nY,{80 * unit!r},39,119\n",
        rules={
            "donors_per_recipient": {"min": 1, "max": 2},
            "coverage": {"shortfall_penalty": 1000},
        },
    )
    out = tmp_path / "runs.csv"
    sweep(path, out, vary=["rules.min_share=0,0.3"], workers=1)
    for row in rows(out):
        parts = float(row["part_weighted_distance"]) + float(row["part_shortfall"])
        assert parts == pytest.approx(float(row["objective"]), rel=1e-9)
        assert float(row["shortfall"]) == pytest.approx(30 * unit, rel=1e-9)


def test_two_varied_keys_one_inside_the_other_are_refused(example: Path, tmp_path: Path) -> None:
    """rules.donors_per_recipient=1,2 with rules.donors_per_recipient.max=2 ran the run
    labelled donors_per_recipient=2 as {max: 2}. Found by the seventh QA pass."""
    with pytest.raises(InputError, match="set the same value, one inside the other"):
        sweep(
            example,
            tmp_path / "runs.csv",
            vary=["rules.donors_per_recipient=1,2", "rules.donors_per_recipient.max=2"],
        )
    assert not (tmp_path / "runs.csv").exists()


def test_numpy_integers_are_whole_numbers(example: Path, tmp_path: Path) -> None:
    """np.int64(1) from a notebook was refused as 'not a whole number' (the QA pass
    after the type checks)."""
    done = sweep(example, tmp_path / "runs.csv", vary=["rules.reserve=0,0.2"], workers=np.int64(1))
    assert done.runs == 2


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"workers": "2"}, "workers (argument): '2' is not a whole number"),
        ({"samples": 2.5, "perturb": ["recipients.need=lognormal:0.2"]}, "samples (argument)"),
        ({"pairings": ["a.csv"]}, "pairings (argument): is a list"),
        ({"vary": "rules.min_share=0.2,0.3"}, "vary (argument): is a str"),
        ({"overrides": "rules.min_share=0.2"}, "overrides (argument): is a str"),
    ],
)
def test_api_arguments_of_the_wrong_type_are_input_errors(
    example: Path, tmp_path: Path, arguments: dict[str, Any], words: str
) -> None:
    """A str for a list was split into letters (one error per letter), and '2' or 2.5 for
    a count, or a list for the pairings, raised TypeError or AttributeError."""
    given = {"vary": ["rules.min_share=0.2,0.3"], **arguments}
    with pytest.raises(InputError) as caught:
        sweep(example, tmp_path / "runs.csv", **given)
    assert words in str(caught.value)
    assert len(caught.value.problems) == 1


def test_under_an_order_the_gap_is_taken_at_the_first_level_that_differs(
    example: Path, tmp_path: Path
) -> None:
    """With objective shortfall,weighted_distance every pairing covering all need had a
    gap of 0 (the first level's), so the base optimum read 'optimal in 2 of 2' though the
    run with no reserve has a shorter optimum. Found by the QA pass after the
    level-by-level ranking of evaluate."""
    out = tmp_path / "runs.csv"
    done = sweep(
        example,
        out,
        vary=["rules.reserve=0,0.2"],
        overrides=["objective=shortfall,weighted_distance"],
        workers=1,
    )
    free, given = rows(out)
    assert float(free["base_gap"]) > 0.01 and float(given["base_gap"]) == 0
    assert "optimal in 1 of 2 solved runs" in "\n".join(done.summary.lines("optimal"))


def test_a_pairing_file_s_shares_are_scored_as_given(example: Path, tmp_path: Path) -> None:
    """`--pairing` kept only the pairs and computed every share: a file whose shares
    overload a donor was scored 129463.5 with 2 rules broken where `evaluate` gives 193630
    and 1 (docs/sweeps.md: only empty shares are computed). Found by the QA pass on
    pairing files."""
    pairing = tmp_path / "given.csv"
    pairing.write_text(
        "donor,recipient,share\nDonor A,City 1,120\nDonor A,City 2,80\nDonor A,City 3,60\n"
        "Donor B,City 4,40\nDonor B,City 5,30\nDonor D,City 6,20\n",
        encoding="utf-8",
    )
    found = po_evaluate(load(example), pairing)
    sweep(
        example, tmp_path / "runs.csv",
        vary=["rules.min_share=0.25"], pairings={"g": pairing}, workers=1,
    )  # fmt: skip
    row = rows(tmp_path / "runs.csv")[0]
    assert float(row["g_objective"]) == pytest.approx(found.objective, rel=1e-9)
    assert int(row["g_broken"]) == len(found.violations) >= 1
