"""Random perturbations of need and capacity: the samples of a sweep or a robust solve.

A perturbation multiplies each row's amount by its own random factor. Sample k of seed S
draws from a generator seeded with (S, k) alone, so a sample is the same whichever
worker draws it, in whatever order, and however many samples the run asks for: a resumed
or distributed sweep sees exactly the rows a single run would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import Collector
from .scenario import Scenario

TARGETS = ("recipients.need", "donors.capacity")
DISTRIBUTIONS = "lognormal:SIGMA (factor exp(SIGMA*Z), median 1) or uniform:LO,HI"
EXAMPLE = "recipients.need=lognormal:0.2"


@dataclass(frozen=True)
class Perturbation:
    """Multiply `target` (one resource, or all when `resource` is None) by random factors."""

    target: str  # "recipients.need" or "donors.capacity"
    resource: str | None
    kind: str  # "lognormal" or "uniform"
    params: tuple[float, ...]

    def __str__(self) -> str:
        key = self.target + (f".{self.resource}" if self.resource else "")
        return f"{key}={self.kind}:{','.join(f'{p:g}' for p in self.params)}"

    def factors(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        if self.kind == "lognormal":
            with np.errstate(over="ignore"):
                return np.exp(self.params[0] * rng.standard_normal(rows))
        low, high = self.params
        return rng.uniform(low, high, rows)


def parse_perturbations(texts: Sequence[str], where: str = "perturb") -> list[Perturbation]:
    """Read 'KEY=DIST' texts, e.g. 'recipients.need=lognormal:0.2' or
    'recipients.need.staff=uniform:0.8,1.2'; raises InputError naming every bad one."""
    problems = Collector()
    found: list[Perturbation] = []
    for text in texts:
        place = f"{where} {text}"
        key, sep, dist = (part.strip() for part in text.partition("="))
        target = next((t for t in TARGETS if key == t or key.startswith(t + ".")), None)
        if not sep or target is None:
            problems.add(
                place,
                f"expected KEY=DIST with KEY one of {', '.join(TARGETS)} (optionally .RESOURCE).",
                f"e.g. {EXAMPLE}",
            )
            continue
        resource = key[len(target) + 1 :] or None
        kind, _, raw = dist.partition(":")
        try:
            params = tuple(float(p) for p in raw.split(",")) if raw.strip() else ()
        except ValueError:
            params = ()
        problem = _check(kind.strip(), params)
        if problem:
            problems.add(place, problem, f"write {DISTRIBUTIONS}, e.g. {EXAMPLE}")
            continue
        found.append(Perturbation(target, resource, kind.strip(), params))
    problems.raise_if_any()
    return found


def _check(kind: str, params: tuple[float, ...]) -> str:
    if not all(math.isfinite(p) for p in params):
        return "the parameters must be finite numbers."
    if kind == "lognormal":
        if len(params) != 1 or params[0] < 0:
            return "lognormal takes one SIGMA >= 0."
        return ""
    if kind == "uniform":
        if len(params) != 2 or not 0 <= params[0] <= params[1]:
            return "uniform takes LO,HI with 0 <= LO <= HI."
        return ""
    return f"unknown distribution '{kind}'."


def check_resources(perturbations: Sequence[Perturbation], scenario: Scenario) -> None:
    """A perturbation naming a resource needs that resource in the scenario."""
    problems = Collector()
    known = scenario.resource_names
    for p in perturbations:
        if p.resource is not None and p.resource not in known:
            have = ", ".join(known) if known else "none (the scenario has one unnamed resource)"
            problems.add(
                f"perturb {p}",
                f"unknown resource '{p.resource}'.",
                f"use {p.target} for every resource, or one of: {have}.",
            )
    problems.raise_if_any()


def sample_rng(seed: int, sample: int) -> np.random.Generator:
    """The generator of one sample: a function of (seed, sample) only."""
    return np.random.default_rng([seed, sample])


def perturbed(
    scenario: Scenario, perturbations: Sequence[Perturbation], seed: int, sample: int
) -> Scenario:
    """The scenario with need and capacity multiplied by sample `sample`'s factors."""
    if not perturbations:
        return scenario
    rng = sample_rng(seed, sample)
    needs = scenario.need_matrix.copy()
    capacities = scenario.capacity_matrix.copy()
    names = scenario.resource_names or ("",)
    for p in perturbations:
        amounts = needs if p.target == "recipients.need" else capacities
        columns = [names.index(p.resource)] if p.resource else range(len(names))
        for k in columns:
            with np.errstate(over="ignore"):  # past the largest float: refused before solving
                amounts[:, k] *= p.factors(rng, amounts.shape[0])
    multi = scenario.multi_resource
    return replace(
        scenario,
        need=needs[:, 0].copy(),
        capacity=capacities[:, 0].copy(),
        needs=needs if multi else None,
        capacities=capacities if multi else None,
    )
