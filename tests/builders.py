"""Small scenarios in memory and the pairings of them, shared by the test modules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pairing_opt.checks.verify import Assignment, Evaluation, evaluate
from pairing_opt.scenario.scenario import Scenario


def one_place_scenario(
    capacity: dict[str, float],
    need: dict[str, float],
    rules: dict[str, Any] | None = None,
    pairs: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Scenario:
    """One resource; every donor and recipient in one place (distance 0) unless a pair
    table says otherwise."""
    donors = pd.DataFrame(
        {"id": list(capacity), "capacity": list(capacity.values()), "lat": 30.0, "lon": 110.0}
    )
    recipients = pd.DataFrame(
        {"id": list(need), "need": list(need.values()), "lat": 30.0, "lon": 110.0}
    )
    table = None if pairs is None else pd.DataFrame(pairs)
    return Scenario.from_frames(donors, recipients, table, rules=rules or {}, **kwargs)


def single_donor_pairings(scenario: Scenario) -> Iterator[tuple[list[Assignment], Evaluation]]:
    """Every pairing that gives each recipient one donor and covers its whole (first
    resource's) need, with the verifier's evaluation; the caller keeps the valid ones."""
    need = dict(zip(scenario.recipients, scenario.need_matrix[:, 0], strict=True))
    for donors in itertools.product(scenario.donors, repeat=len(scenario.recipients)):
        pairing = [
            Assignment(d, r, float(need[r]))
            for d, r in zip(donors, scenario.recipients, strict=True)
        ]
        yield pairing, evaluate(scenario, pairing)


def write_scenario_folder(
    folder: Path,
    capacity: Mapping[str, float],
    need: Mapping[str, float],
    km: Mapping[tuple[str, str], float],
    name: str = "scenario",
    **spec: Any,
) -> Path:
    """The scenario as files: donors.csv, recipients.csv, pairs.csv (km, and a cost column
    equal to km) and scenario.yaml with the keys given; returns the YAML's path."""
    folder.mkdir(parents=True, exist_ok=True)
    donors = "id,cap\n" + "".join(f"{d},{c:g}\n" for d, c in capacity.items())
    recipients = "id,need\n" + "".join(f"{r},{n:g}\n" for r, n in need.items())
    pairs = "donor,recipient,km,cost\n" + "".join(
        f"{d},{r},{k:g},{k:g}\n" for (d, r), k in km.items()
    )
    (folder / "donors.csv").write_text(donors, encoding="utf-8")
    (folder / "recipients.csv").write_text(recipients, encoding="utf-8")
    (folder / "pairs.csv").write_text(pairs, encoding="utf-8")
    data: dict[str, Any] = {
        "name": name,
        "donors": {"file": "donors.csv", "id": "id", "capacity": "cap"},
        "recipients": {"file": "recipients.csv", "id": "id", "need": "need"},
        "pairs": {"file": "pairs.csv"},
        "solver": {"name": "highs"},
        **spec,
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
