"""Smoke test of research/widen.py: 'every model' widens where the shipped rule does not,
both reach the same optimum, and the constant is put back. It patches
pairing_opt.engine.strategy.WIDEN_MIN_PAIRS; when that is renamed, this test fails."""

from __future__ import annotations

from pathlib import Path

from pairing_opt.engine import strategy
from research import widen

HUBEI = Path(__file__).resolve().parents[2] / "scenarios" / "hubei-2020" / "scenario.yaml"


def test_every_model_widens_on_hubei_and_reaches_the_same_optimum() -> None:
    shipped = strategy.WIDEN_MIN_PAIRS
    rows = widen.run([str(HUBEI)], 60.0)
    assert shipped == strategy.WIDEN_MIN_PAIRS
    by = {r["setting"]: r for r in rows}
    assert by["every model"]["status"] == by["as shipped"]["status"] == "optimal"
    assert by["every model"]["objective"] == by["as shipped"]["objective"]
    assert "widen=" in by["every model"]["stages"] and "widen=" not in by["as shipped"]["stages"]
    assert widen.summary(rows).startswith("1 cases proven in both")
