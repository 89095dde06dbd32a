"""Shared fixtures: small scenarios written to a temporary folder, and the solvers present."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import pairing_opt.engine.backends as backends
from pairing_opt.engine.backends import SOLVERS, solver_info
from pairing_opt.scenario.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLE = SCENARIOS / "example" / "scenario.yaml"
HUBEI = SCENARIOS / "hubei-2020" / "scenario.yaml"
HUBEI_SOURCED19 = SCENARIOS / "hubei-2020-sourced19" / "scenario.yaml"
MULTI_RESOURCE = SCENARIOS / "multi-resource" / "scenario.yaml"

AVAILABLE_SOLVERS = [name for name in SOLVERS if solver_info(name) is not None]

DONORS = "id,cap,lat,lon\nA,10,30,110\nB,8,31,115\nC,5,35,120\n"
RECIPIENTS = "id,need,lat,lon\nX,6,30.5,112\nY,7,32,116\nZ,4,34,119\n"


def write_scenario(
    folder: Path,
    *,
    donors: str = DONORS,
    recipients: str = RECIPIENTS,
    pairs: str | None = None,
    **overrides: Any,
) -> Path:
    """Write a three-by-three scenario (or the tables given) and return its YAML path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "donors.csv").write_text(donors, encoding="utf-8")
    (folder / "recipients.csv").write_text(recipients, encoding="utf-8")
    spec: dict[str, Any] = {
        "name": "test",
        "donors": {"file": "donors.csv", "id": "id", "capacity": "cap", "lat": "lat", "lon": "lon"},
        "recipients": {
            "file": "recipients.csv",
            "id": "id",
            "need": "need",
            "lat": "lat",
            "lon": "lon",
        },
        "solver": {"name": "highs"},
    }
    if pairs is not None:
        (folder / "pairs.csv").write_text(pairs, encoding="utf-8")
        spec["pairs"] = {"file": "pairs.csv"}
    spec.update(overrides)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Callable[..., Path]:
    def make(**kwargs: Any) -> Path:
        return write_scenario(tmp_path / "scenario", **kwargs)

    return make


@pytest.fixture(params=AVAILABLE_SOLVERS)
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def scenario_from_columns(
    donors: dict[str, list[Any]],
    recipients: dict[str, list[Any]],
    pairs: dict[str, list[Any]] | None = None,
    **spec: Any,
) -> Scenario:
    """A scenario built in memory from column lists (no files); coordinates are used when
    the donors have a 'lat' column; pair-table columns beyond donor/recipient are data."""
    return Scenario.from_frames(
        donors,
        recipients,
        pairs,
        donor_columns={"capacity": "cap"},
        name=spec.pop("name", "tiny"),
        **spec,
    )


def recorded_highs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every HiGHS object made from now on (LPs included), to read its options after."""
    made: list[Any] = []
    new_highs = backends._new_highs

    def recorded(highspy: object) -> object:
        made.append(new_highs(highspy))
        return made[-1]

    monkeypatch.setattr(backends, "_new_highs", recorded)
    return made
