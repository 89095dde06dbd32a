"""Smoke test of research/row_order.py: the block order builds the same model with its
rows permuted, solves to the same optimum, and is undone afterwards. It patches a private
name of pairing_opt.engine.model (`_Rows.each`); when that is renamed, this test fails."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import pairing_opt as po
from pairing_opt.engine import model
from research import row_order

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example" / "scenario.yaml"


def _rows(scenario: po.Scenario) -> list[tuple[float, ...]]:
    milp = model.build_model(scenario).milp
    a = np.zeros((milp.num_rows, milp.num_cols))
    a[milp.a_row, milp.a_col] = milp.a_val
    return [(*row, lo, hi) for row, lo, hi in zip(a, milp.row_lb, milp.row_ub, strict=True)]


def test_blocks_permute_the_rows_and_keep_the_optimum() -> None:
    scenario = po.load(EXAMPLE)
    keyed = _rows(scenario)
    with row_order.blocks():
        blocked = _rows(scenario)
    assert keyed != blocked and sorted(keyed) == sorted(blocked)
    assert _rows(scenario) == keyed  # put back
    one = row_order.solve(EXAMPLE, "pair rows first", 30.0)
    other = row_order.solve(EXAMPLE, "blocks", 30.0)
    assert one["status"] == other["status"] == "optimal"
    assert one["objective"] == other["objective"]
    rows = [{"level": "x", "seed": 1, **one}, {"level": "x", "seed": 1, **other}]
    assert "x: 1 seeds proven in both orders" in row_order.summary(rows)
