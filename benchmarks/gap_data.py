"""Generalized Assignment Problem instances: OR-Library files, best known values, and the
translation of an instance into a pairopt scenario (in memory, as tables of strings).

File format (../shared/benchmarks/gap/README.md): whitespace-separated integers; the
OR-Library files `gapK.txt` start with the number of problems P, the Yagiura files
(`yagiura/*`) hold one problem without P. Each problem is `m n`, the cost matrix c (m x n,
row by agent), the resource matrix a (m x n) and the capacities b (m).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pairing_opt.scenario.spec import (
    ColumnObjective,
    DonorTable,
    PairTable,
    Range,
    RecipientTable,
    Rules,
    ScenarioSpec,
    SolverSpec,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT / ".." / "shared" / "benchmarks" / "gap"

# Named groups of instances (what the targets are stated on).
GROUPS = {
    "or": "OR-Library gap1..gap12 (60 instances, 5x15 ... 10x60)",
    "abc": "types A, B and C with n <= 200 (gapa, gapb, gapc: 18 instances)",
    "de": "types D and E, all files (gapd.txt and yagiura/d*, yagiura/e*: 30 instances)",
    "c-large": "Yagiura type C with n >= 400 (9 instances)",
    "all": "every instance in best_known.csv",
}


@dataclass(frozen=True)
class BestKnown:
    file: str
    index: int
    name: str
    agents: int
    jobs: int
    sense: str  # "min" or "max"
    value: float
    proven_optimal: bool


@dataclass(frozen=True)
class GapInstance:
    """One GAP problem: agents i = 0..m-1 with capacity b[i]; jobs j = 0..n-1; giving job j
    to agent i costs (or earns) c[i, j] and uses a[i, j] of i's capacity."""

    file: str
    index: int  # 1-based position in its file
    name: str
    cost: np.ndarray  # (m, n) int
    resource: np.ndarray  # (m, n) int
    capacity: np.ndarray  # (m,) int
    sense: str  # "min" or "max": the sense the run uses
    best_known: float | None  # for that sense
    best_proven: bool

    @property
    def m(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n(self) -> int:
        return int(self.cost.shape[1])

    @property
    def kind(self) -> str:
        """Instance type: 'OR' for gap1..12, else the letter a..e."""
        return "OR" if self.file.startswith("gap") and self.file[3].isdigit() else self.name[0]


def read_problems(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """All problems of one file as (c, a, b) integer arrays."""
    numbers = np.array(path.read_text().split(), dtype=np.int64)
    single = path.parent.name == "yagiura"
    pos = 0
    count = 1
    if not single:
        count, pos = int(numbers[0]), 1
    problems = []
    for _ in range(count):
        m, n = int(numbers[pos]), int(numbers[pos + 1])
        pos += 2
        c = numbers[pos : pos + m * n].reshape(m, n)
        pos += m * n
        a = numbers[pos : pos + m * n].reshape(m, n)
        pos += m * n
        b = numbers[pos : pos + m]
        pos += m
        problems.append((c, a, b))
    if pos != len(numbers):
        raise ValueError(f"{path}: {len(numbers)} integers, the format needs {pos}")
    return problems


def read_best_known(folder: Path) -> list[BestKnown]:
    with (folder / "best_known.csv").open(newline="") as f:
        return [
            BestKnown(
                file=row["file"],
                index=int(row["instance_index"]),
                name=row["name"],
                agents=int(row["agents"]),
                jobs=int(row["jobs"]),
                sense=row["sense"],
                value=float(row["best_known"]),
                proven_optimal=row["proven_optimal"].strip().lower() == "true",
            )
            for row in csv.DictReader(f)
        ]


def _in_group(entry: BestKnown, group: str) -> bool:
    f, kind = entry.file, entry.name[0]
    is_or = f.startswith("gap") and f[3].isdigit()
    if group == "all":
        return True
    if group == "or":
        return is_or
    if group == "abc":
        return not is_or and kind in "abc" and entry.jobs <= 200
    if group == "de":
        return not is_or and kind in "de"
    if group == "c-large":
        return not is_or and kind == "c" and entry.jobs >= 400
    raise ValueError(f"unknown group '{group}'; use one of {', '.join(GROUPS)}")


def select(
    folder: Path,
    groups: list[str],
    names: list[str] | None = None,
    sense: str = "primary",
    max_jobs: int | None = None,
) -> list[GapInstance]:
    """Instances in best_known.csv order. `names` (e.g. c515-1, d05100) overrides `groups`.
    `sense`: 'primary' is the set's own sense (max for gap1..12 as OR-Library states, min
    for the rest); 'min' or 'max' picks that sense where best_known.csv lists it."""
    entries = read_best_known(folder)
    senses: dict[tuple[str, int], dict[str, BestKnown]] = {}
    order: list[tuple[str, int]] = []
    for e in entries:
        key = (e.file, e.index)
        if key not in senses:
            senses[key] = {}
            order.append(key)
        senses[key][e.sense] = e
    wanted = set(names or [])
    found: set[str] = set()
    cache: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    out = []
    for key in order:
        by_sense = senses[key]
        if sense == "primary":
            chosen = by_sense.get("max") or by_sense["min"]
        elif sense in by_sense:
            chosen = by_sense[sense]
        else:
            continue
        if names:
            if chosen.name not in wanted:
                continue
            found.add(chosen.name)
        elif not any(_in_group(chosen, g) for g in groups):
            continue
        if max_jobs is not None and chosen.jobs > max_jobs:
            continue
        if chosen.file not in cache:
            cache[chosen.file] = read_problems(folder / chosen.file)
        c, a, b = cache[chosen.file][chosen.index - 1]
        if c.shape != (chosen.agents, chosen.jobs):
            raise ValueError(
                f"{chosen.name}: file says {c.shape}, best_known.csv says "
                f"{(chosen.agents, chosen.jobs)}"
            )
        out.append(
            GapInstance(
                file=chosen.file,
                index=chosen.index,
                name=chosen.name,
                cost=c,
                resource=a,
                capacity=b,
                sense=chosen.sense,
                best_known=chosen.value,
                best_proven=chosen.proven_optimal,
            )
        )
    missing = wanted - found
    if missing:
        raise ValueError(f"not in best_known.csv (for sense {sense}): {', '.join(sorted(missing))}")
    return out


# --------------------------------------------------------------------------- pairopt scenario


def scenario_tables(
    inst: GapInstance, time_limit: float | None, mip_gap: float = 0.0
) -> tuple[ScenarioSpec, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The instance as a pairopt scenario: donors = agents with their capacities, recipients =
    jobs with need 1, a pair table with `load` (resource) and `cost` columns, one donor per
    recipient, no distances, objective {minimize: cost} or {maximize: cost}."""
    m, n = inst.m, inst.n
    agents = [f"a{i + 1}" for i in range(m)]
    jobs = [f"j{j + 1}" for j in range(n)]
    donors = pd.DataFrame({"id": agents, "capacity": [str(int(v)) for v in inst.capacity]})
    recipients = pd.DataFrame({"id": jobs, "need": ["1"] * n})
    pairs = pd.DataFrame(
        {
            "donor": np.repeat(np.array(agents, dtype=object), n),
            "recipient": np.tile(np.array(jobs, dtype=object), m),
            "load": inst.resource.ravel().astype(str).astype(object),
            "cost": inst.cost.ravel().astype(str).astype(object),
        }
    )
    if inst.sense == "min":
        objective = ColumnObjective(minimize="cost")
    else:
        objective = ColumnObjective(maximize="cost")
    spec = ScenarioSpec(
        name=f"GAP {inst.name}",
        donors=DonorTable(file="agents", id="id", capacity="capacity"),
        recipients=RecipientTable(file="jobs", id="id", need="need"),
        pairs=PairTable(file="pairs"),
        rules=Rules(donors_per_recipient=Range(min=1, max=1)),
        objective=objective,
        solver=SolverSpec(name="highs", time_limit=time_limit, mip_gap=mip_gap),
    )
    return spec, donors, recipients, pairs


def check_assignment(inst: GapInstance, agent_of_job: np.ndarray) -> tuple[bool, float]:
    """Is the assignment (agent index per job) feasible, and what does it cost? Written
    against the raw instance, for the peers' answers (pairopt verifies its own)."""
    bad = (agent_of_job < 0) | (agent_of_job >= inst.m)
    if agent_of_job.shape != (inst.n,) or bad.any():
        return False, float("nan")
    jobs = np.arange(inst.n)
    used = np.bincount(agent_of_job, weights=inst.resource[agent_of_job, jobs], minlength=inst.m)
    value = float(inst.cost[agent_of_job, jobs].sum())
    return bool((used <= inst.capacity).all()), value


def gap_to_best(inst: GapInstance, value: float | None) -> float | None:
    """How far a value is from the best known, in percent (positive = worse)."""
    if value is None or inst.best_known is None or not np.isfinite(value):
        return None
    diff = value - inst.best_known if inst.sense == "min" else inst.best_known - value
    return 100.0 * diff / abs(inst.best_known)
