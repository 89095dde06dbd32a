"""A pairing across need scenarios, checked and scored from the verifier's side.

One pairing (its pairs) is shared by every need scenario; each need scenario has its own
shares and is verified on its own (verify.evaluate). The robust objective is computed here
from those verified scores, never from the solver: the mean over the need scenarios for
`full` and `mean`, the worst for `worst`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scenario.scenario import Scenario
from ..scenario.spec import Objective, maximised
from .compare import Standing
from .verify import Assignment, Evaluation, Violation, evaluate


@dataclass(frozen=True)
class NeedOutcome:
    """The pairing under one need scenario: its shares there and the verifier's verdict."""

    name: str
    scenario: Scenario
    pairing: list[Assignment]
    evaluation: Evaluation

    def score(self, objective: Objective) -> float:
        """The objective as `solve` scores it in this need scenario (plus the shortfall
        price)."""
        return self.evaluation.score(objective)

    @property
    def short_recipients(self) -> list[str]:
        """Recipients with need left uncovered beyond the verifier's tolerance, in the
        scenario's order (each once, whatever the resource)."""
        short = {c.recipient for c in self.evaluation.recipients if c.uncovered > 0}
        return [r for r in self.scenario.recipients if r in short]


def outcome(name: str, scenario: Scenario, pairing: list[Assignment]) -> NeedOutcome:
    """The pairing verified and scored under one need scenario."""
    return NeedOutcome(name, scenario, pairing, evaluate(scenario, pairing))


@dataclass(frozen=True)
class Robust:
    """A pairing's outcomes over every need scenario, and the robust objective over them."""

    mode: str  # full, worst or mean
    objective: Objective
    outcomes: tuple[NeedOutcome, ...]

    @property
    def scores(self) -> list[float]:
        return [o.score(self.objective) for o in self.outcomes]

    @property
    def worst(self) -> NeedOutcome:
        """The need scenario with the worst score (the first of equals)."""
        scores = self.scores
        pick = min if maximised(self.objective) else max
        return self.outcomes[scores.index(pick(scores))]

    @property
    def value(self) -> float:
        """The robust objective: the worst score for `worst`, else the mean score."""
        if self.mode == "worst":
            return self.worst.score(self.objective)
        return math.fsum(self.scores) / len(self.outcomes)

    def parts(self) -> dict[str, float]:
        """The robust objective split as one scenario's is (Evaluation.parts): the worst
        scenario's parts for `worst`, each part's mean otherwise; they add up to `value`."""
        if self.mode == "worst":
            return self.worst.evaluation.parts(self.objective)
        each = [o.evaluation.parts(self.objective) for o in self.outcomes]
        return {key: math.fsum(p[key] for p in each) / len(each) for key in each[0]}

    @property
    def ok(self) -> bool:
        return all(o.evaluation.ok for o in self.outcomes)

    def violations(self) -> list[tuple[str, Violation]]:
        """Every broken rule, with the need scenario it is broken in."""
        return [(o.name, v) for o in self.outcomes for v in o.evaluation.violations]

    def unshared(self) -> list[str]:
        """The need scenarios whose pairs differ from the first's: a robust pairing has one
        set of pairs for all of them."""
        pairs = [{(a.donor, a.recipient) for a in o.pairing} for o in self.outcomes]
        return [o.name for o, p in zip(self.outcomes, pairs, strict=True) if p != pairs[0]]


def robust_standing(plan: Robust, best: float) -> Standing:
    """How a pairing's robust objective ranks against the robust optimum `best`: as
    compare.standing does for one need, a pairing that breaks a rule in any need scenario
    (under `full`, leaving need uncovered is one) ranks below it whatever its objective."""
    broken = len(plan.violations())
    fair = not broken and best != 0 and math.isfinite(best)
    return Standing(
        difference=plan.value - best,
        relative=(plan.value - best) / abs(best) if fair else None,
        uncovered={},
        broken=broken,
    )
