"""Smoke test of research/fairness_split.py: the two branches partition the pairings (the
better one's optimum is the whole model's) and 'all serve' leaves no donor taking part
idle. It reads fairness's columns from the model pairopt builds; when their layout
changes, this test fails."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pairing_opt as po
from pairing_opt.engine.backends import HIGHS, run_milp
from pairing_opt.engine.model import build_model
from pairing_opt.scenario import measures
from research import fairness_split

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example" / "scenario.yaml"


def test_branches_partition_and_the_better_is_the_whole_models_optimum() -> None:
    scenario = po.load(EXAMPLE)
    for objective in fairness_split.OBJECTIVES:
        rows = fairness_split.study(scenario, objective, 60.0)
        assert [r["run"] for r in rows] == ["whole", "some idle", "all serve (cutoff)"]
        assert fairness_split.agree(rows) is True, rows


def test_all_serve_leaves_no_donor_taking_part_idle() -> None:
    scenario = po.configure(po.load(EXAMPLE), objective="fairness")
    model = build_model(scenario, tie_break=False)
    assert len(fairness_split.participation_columns(model)) == len(scenario.resources)
    raw = run_milp(HIGHS, fairness_split.branches(model)["all serve"], 60.0, 0.0)
    assert raw.values is not None
    used = model.used(raw.values)
    serving = np.zeros(len(scenario.donors), dtype=bool)
    serving[scenario.candidates.donor[used]] = True
    taking_part = measures.fairness_donors(scenario)[:, 0]
    assert np.all(serving[taking_part])


def test_intervals_of_lo_cover_the_pairings_and_find_the_whole_models_optimum() -> None:
    scenario = po.load(EXAMPLE)
    for objective in fairness_split.OBJECTIVES:
        rows = fairness_split.split_study(scenario, objective, 60.0, 10)
        whole, split = rows[0], rows[-1]
        assert split["run"] == "split in all" and split["status"] == "optimal", rows
        assert abs(split["value"] - whole["value"]) <= 1e-6 * max(1.0, abs(whole["value"]))
