"""Property test: pairopt's optimum equals an independent brute force on small scenarios.

Random scenarios (tables of strings, every rule and objective, both solvers) are solved by
pairopt and by `tests/bruteforce.py`, which enumerates every pair set and solves the
remaining share LP with scipy. Infeasible scenarios must raise InfeasibleError; feasible
ones must come back OPTIMAL, verified, and with the brute-force optimal value.

A second property does the same for several resources (with weights), the shortfall price
(rules.coverage) and per-row rule columns (per-donor counts, distance limit, reserve and
minimum load; per-recipient counts), scored with the price and checked per resource.

The example budgets come from the hypothesis profile (tests/__init__.py): 200 examples by
default (150 for the resource property). The slow variants (five times the profile's
budget: 10,000 examples with the `slow` profile) run only with PAIROPT_SLOW=1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import pandas as pd
import pytest
from hypothesis import (
    HealthCheck,
    assume,
    currently_in_test_context,
    event,
    given,
    note,
    settings,
)
from hypothesis import strategies as st

from pairing_opt.checks.verify import REL_TOL, evaluate
from pairing_opt.engine.backends import Status
from pairing_opt.engine.pipeline import solve, with_options
from pairing_opt.errors import InfeasibleError, SolverError
from pairing_opt.scenario.scenario import Scenario, build
from pairing_opt.scenario.spec import ColumnObjective, Objective, ScenarioSpec

from . import SLOW, examples
from .bruteforce import (
    Pair,
    Problem,
    haversine_km,
    objective_value,
    optimum,
    score,
    secondary_value,
    tied_secondary,
    uncovered,
    violations,
)

NAMED = ("distance", "weighted_distance", "max_distance", "balance")
COLUMN_OBJECTIVES = (
    {"minimize": "cost"},
    {"maximize": "cost"},
    {"minimize": "score"},
    {"maximize": "score"},
)
SLOW_SHARE = 5  # the slow variant draws five times the profile's budget


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One random scenario as the user would write it: tables of strings and a spec."""

    donors: list[dict[str, str]]  # id, capacity, lat, lon
    recipients: list[dict[str, str]]  # id, need, lat, lon
    pairs: list[dict[str, str]] | None  # donor, recipient, [km], [load], cost, score
    rules: dict[str, Any]
    objective: str | dict[str, str]
    solver: str
    override: bool = False  # give the objective through with_options, not the spec

    def describe(self) -> str:
        """A reproducer: the tables as CSV and the spec's rules and objective."""
        parts = [
            "donors.csv:\n" + pd.DataFrame(self.donors).to_csv(index=False),
            "recipients.csv:\n" + pd.DataFrame(self.recipients).to_csv(index=False),
        ]
        if self.pairs is not None:
            parts.append("pairs.csv:\n" + pd.DataFrame(self.pairs).to_csv(index=False))
        how = " (through with_options)" if self.override else ""
        parts.append(f"rules: {self.rules}\nobjective: {self.objective}{how}")
        parts.append(f"solver: {self.solver}")
        return "\n".join(parts)

    def scenario(self) -> Scenario:
        spec = ScenarioSpec.model_validate(
            {
                "name": "property",
                "donors": {"file": "donors.csv", "id": "id", "capacity": "capacity"}
                | {"lat": "lat", "lon": "lon"},
                "recipients": {"file": "recipients.csv", "id": "id", "need": "need"}
                | {"lat": "lat", "lon": "lon"},
                "pairs": {"file": "pairs.csv"} if self.pairs is not None else None,
                "rules": self.rules,
                "objective": "weighted_distance" if self.override else self.objective,
                "solver": {"name": "highs", "time_limit": None, "mip_gap": 0},
            }
        )
        pairs = None
        if self.pairs is not None:
            columns = list(self.pairs[0]) if self.pairs else ["donor", "recipient"]
            pairs = pd.DataFrame(self.pairs, columns=columns, dtype=str)
        scenario = build(
            spec,
            pd.DataFrame(self.donors, dtype=str),
            pd.DataFrame(self.recipients, dtype=str),
            pairs,
        )
        if not self.override:
            return with_options(scenario, solver=self.solver)
        objective = cast(
            Objective,
            self.objective
            if isinstance(self.objective, str)
            else ColumnObjective.model_validate(self.objective),
        )
        return with_options(scenario, objective=objective, solver=self.solver)

    def problem(self) -> Problem:
        """The same scenario for the brute force, read from the raw strings."""
        donors = {row["id"]: row for row in self.donors}
        recipients = {row["id"]: row for row in self.recipients}

        def pair(d: str, r: str, row: dict[str, str]) -> Pair:
            dr, rr = donors[d], recipients[r]
            km_text, load_text = row.get("km", ""), row.get("load", "")
            km = (
                float(km_text)
                if km_text
                else haversine_km(
                    float(dr["lat"]), float(dr["lon"]), float(rr["lat"]), float(rr["lon"])
                )
            )
            load = float(load_text) if load_text else float(rr["need"])
            values: dict[str, float] = {k: float(row[k]) for k in ("cost", "score") if k in row}
            return Pair(d, r, km, load, values)

        if self.pairs is None:
            pairs = [pair(d, r, {}) for d in donors for r in recipients]
        else:
            pairs = [pair(row["donor"], row["recipient"], row) for row in self.pairs]

        def count_range(value: int | dict[str, int | None]) -> tuple[int, int | None]:
            if isinstance(value, int):
                return value, value
            low = value.get("min", 0)
            return 0 if low is None else low, value.get("max")

        rules = self.rules
        return Problem(
            capacity={d: float(row["capacity"]) for d, row in donors.items()},
            need={r: float(row["need"]) for r, row in recipients.items()},
            pairs=pairs,
            dpr=count_range(rules.get("donors_per_recipient", 1)),
            rpd=count_range(rules.get("recipients_per_donor", {})),
            max_distance_km=rules.get("max_distance_km"),
            fixed=frozenset((p["donor"], p["recipient"]) for p in rules.get("fixed", [])),
            forbidden=frozenset((p["donor"], p["recipient"]) for p in rules.get("forbidden", [])),
            excluded=frozenset(rules.get("exclude_donors", [])),
            reserve=rules.get("reserve", 0.0),
            min_share=rules.get("min_share", 0.0),
        )

    @property
    def brute_objective(self) -> str | tuple[str, str]:
        if isinstance(self.objective, str):
            return self.objective
        ((sense, column),) = self.objective.items()
        return ("min" if sense == "minimize" else "max", column)


# Capacities and needs 0..20, biased towards scenarios that are often feasible: half the
# capacities come from the upper part of the range, and each case draws its needs from
# 0..5, 0..10 or 0..20.
capacities = st.one_of(st.integers(0, 20), st.integers(10, 20))
lats = st.floats(min_value=20, max_value=45).map(lambda x: f"{x:.3f}")
lons = st.floats(min_value=100, max_value=125).map(lambda x: f"{x:.3f}")


rarely = st.sampled_from([False, False, True])


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[int]) -> str:
    """A number as text, or an empty cell (the default applies)."""
    value = draw(st.one_of(st.none(), strategy))
    return "" if value is None else str(value)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    single = draw(st.booleans())  # one donor per recipient (GAP) or continuous shares
    n_d = draw(st.integers(1, 5 if single else 4))
    n_r = draw(st.integers(1, 6 if single else 4))
    donors = [
        {"id": f"D{i}", "capacity": str(draw(capacities)), "lat": draw(lats), "lon": draw(lons)}
        for i in range(n_d)
    ]
    needs = st.integers(0, draw(st.sampled_from([5, 10, 20])))
    recipients = [
        {"id": f"R{j}", "need": str(draw(needs)), "lat": draw(lats), "lon": draw(lons)}
        for j in range(n_r)
    ]
    if draw(rarely):  # a recipient without need (it may still have to get donors)
        recipients[draw(st.integers(0, n_r - 1))]["need"] = "0"
    product = [(d["id"], r["id"]) for d in donors for r in recipients]

    table = None
    keys = product
    if draw(st.booleans()):
        dropped = draw(st.sets(st.sampled_from(product), max_size=len(product) // 3))
        # Keep at least one row per recipient (a recipient without rows is infeasible).
        kept = {r for d, r in product if (d, r) not in dropped}
        keys = [(d, r) for d, r in product if (d, r) not in dropped or r not in kept]
        with_km, with_load = draw(st.booleans()), draw(st.booleans())
        table = []
        for d, r in keys:
            row = {"donor": d, "recipient": r}
            if with_km:
                row["km"] = _maybe(draw, st.integers(50, 3000))
            if with_load:
                row["load"] = _maybe(draw, st.integers(0, 20))
            row["cost"] = str(draw(st.integers(-10, 50)))
            row["score"] = str(draw(st.integers(-5, 20)))
            table.append(row)

    dpr: int | dict[str, int | None]
    if single:
        one: list[int | dict[str, int | None]] = [
            1,
            {"max": 1},
            {"min": 1, "max": 1},
            {"min": 0, "max": 1},
        ]
        dpr = draw(st.sampled_from(one))
    elif draw(st.booleans()):
        dpr = draw(st.integers(2, 3))
    else:
        low = draw(st.sampled_from([0, 1, 1, 2, 3]))
        dpr = {
            "min": low,
            "max": draw(st.sampled_from([m for m in (2, 3, 4, None) if m is None or m >= low])),
        }
    rpd_min = draw(st.sampled_from([0, 0, 0, 0, 1, 2]))
    rpd_max = draw(st.one_of(st.none(), st.none(), st.integers(rpd_min, 4)))
    rpd = {"min": rpd_min, "max": rpd_max}

    # Each optional rule appears in about a third of the cases, so that most scenarios
    # stay feasible while every combination still comes up.
    fixed: list[tuple[str, str]] = []
    if draw(rarely):
        fixed = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
    free = [k for k in keys if k not in fixed]
    forbidden: list[tuple[str, str]] = []
    if draw(rarely) and free:
        forbidden = draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
    keep = {d for d, _ in fixed}
    others = [d["id"] for d in donors if d["id"] not in keep]
    excluded: list[str] = []
    if draw(rarely) and others and n_d > 1:
        excluded = draw(
            st.lists(st.sampled_from(others), min_size=1, max_size=min(2, n_d - 1), unique=True)
        )

    rules: dict[str, Any] = {
        "donors_per_recipient": dpr,
        "recipients_per_donor": rpd,
        "reserve": draw(st.sampled_from([0.0, 0.1, 0.25])),
        "min_share": draw(st.sampled_from([0.0, 0.2])),
        "fixed": [{"donor": d, "recipient": r} for d, r in fixed],
        "forbidden": [{"donor": d, "recipient": r} for d, r in forbidden],
        "exclude_donors": excluded,
    }
    if draw(rarely):
        rules["max_distance_km"] = draw(st.integers(500, 3500))
    objectives: list[str | dict[str, str]] = list(NAMED)
    if table is not None:
        objectives += COLUMN_OBJECTIVES
    return Case(
        donors=donors,
        recipients=recipients,
        pairs=table,
        rules=rules,
        objective=draw(st.sampled_from(objectives)),
        solver=draw(st.sampled_from(["highs", "cbc"])),
        override=draw(st.booleans()),
    )


# --------------------------------------------------------------------------- the property


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def _note(text: str) -> None:
    """Shown with a failing example (printed for the plain tests)."""
    if currently_in_test_context():
        note(text)
    else:
        print(text)


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def check_against_bruteforce(case: Case) -> None:
    _note(case.describe())
    scenario = case.scenario()
    problem = case.problem()
    objective = case.brute_objective
    expected = optimum(problem, objective)
    _note(f"brute-force optimum: {expected}")
    _event("one donor per recipient" if problem.single else "shares")
    _event(f"objective {case.brute_objective}, solver {case.solver}")
    _event("infeasible" if expected is None else "feasible")

    if expected is None:
        with pytest.raises(InfeasibleError):
            result = solve(scenario)
            _note(f"pairopt pairing: {result.pairing}, value {result.objective_value}")
        return

    try:
        result = solve(scenario)
    except InfeasibleError as exc:
        pytest.fail(f"pairopt says infeasible ({exc.reasons}); brute force found {expected}")
    pairing = [(a.donor, a.recipient, a.share) for a in result.pairing]
    _note(f"pairopt pairing: {pairing}, value {result.objective_value}")
    assert result.status == Status.OPTIMAL
    assert result.evaluation.ok, result.evaluation.violations
    again = evaluate(scenario, result.pairing)
    assert again.ok, again.violations
    assert violations(problem, pairing) == []
    # Our scoring and pairopt's verifier agree on pairopt's own pairing ...
    assert _close(again.value(scenario.objective), objective_value(problem, objective, pairing))
    # ... and pairopt's value is the optimum.
    assert _close(result.objective_value, expected), (result.objective_value, expected)
    # No time limit, and the tie-break's node cap is far beyond what these scenarios need.
    assert result.tie_break != "stopped at limit"
    # Among pairings as good, the tie-break's pick is the best by the secondary objective.
    if result.tie_break != "done":
        _event(f"tie-break {result.tie_break}")
        return
    least = tied_secondary(problem, objective, expected)
    if least is None:
        _event("tie-break not judged")
        return
    _event("tie-break judged")
    chosen = secondary_value(problem, objective, pairing)
    assert _close(chosen, least), f"tie-break picked {chosen}, the best tied pairing has {least}"


@given(case=cases())
def test_optimum_matches_bruteforce(case: Case) -> None:
    check_against_bruteforce(case)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@settings(max_examples=examples(SLOW_SHARE))
@given(case=cases())
def test_optimum_matches_bruteforce_slow(case: Case) -> None:
    check_against_bruteforce(case)


# --------------------------------------------------------------------------- found by the property

# Minimal scenarios on which the property test found pairopt wrong (all fixed since),
# kept as plain tests so that each one is named. Expected values are the brute force's,
# and each is easy to check by hand.


def _donor(name: str, capacity: int, lat: str = "30", lon: str = "110") -> dict[str, str]:
    return {"id": name, "capacity": str(capacity), "lat": lat, "lon": lon}


def _recipient(name: str, need: int, lat: str = "30", lon: str = "110") -> dict[str, str]:
    return {"id": name, "need": str(need), "lat": lat, "lon": lon}


REGRESSIONS = {
    # An excluded donor is exempt from recipients_per_donor (the verifier and the
    # diagnostics say so), but the model required it to take min recipients too.
    # D1 -> R0 is a valid pairing (distance 0); pairopt said infeasible.
    "excluded_donor_with_recipients_per_donor_min": Case(
        donors=[_donor("D0", 5), _donor("D1", 5)],
        recipients=[_recipient("R0", 3)],
        pairs=None,
        rules={"recipients_per_donor": {"min": 1}, "exclude_donors": ["D0"]},
        objective="distance",
        solver="highs",
    ),
    # No allowed pair at all and nothing to decide (need 0, donors_per_recipient min 0):
    # the empty pairing is optimal with value 0. HiGHS returned model status 'Empty',
    # which pairopt turned into a SolverError.
    "no_allowed_pairs_nothing_to_do": Case(
        donors=[_donor("D0", 5)],
        recipients=[_recipient("R0", 0)],
        pairs=None,
        rules={"donors_per_recipient": {"min": 0, "max": 2}, "exclude_donors": ["D0"]},
        objective="distance",
        solver="highs",
    ),
    # One donor per recipient, a recipient with need 0 whose pair has a table load of 1:
    # the verifier (and the model with shares) puts no load on the donor for a need of 0,
    # but the one-donor model charged the whole load, so D0 (capacity 0) "could not"
    # serve R0. D0 -> R0 with share 0 verifies; pairopt said infeasible.
    "zero_need_load_one_donor_per_recipient": Case(
        donors=[_donor("D0", 0)],
        recipients=[_recipient("R0", 0)],
        pairs=[{"donor": "D0", "recipient": "R0", "km": "100", "load": "1"}],
        rules={"donors_per_recipient": 1},
        objective="distance",
        solver="highs",
    ),
    # A fixed pair to a recipient with need 0: min_share does not apply (no need), yet the
    # diagnostics charged min_share x load = 0.2 x 10 = 2 against D0's capacity 1 and
    # reported infeasible. D0 -> R0 with share 0 is a valid pairing (distance 100).
    "fixed_pair_to_zero_need_with_min_share": Case(
        donors=[_donor("D0", 1)],
        recipients=[_recipient("R0", 0)],
        pairs=[{"donor": "D0", "recipient": "R0", "km": "100", "load": "10"}],
        rules={
            "donors_per_recipient": {"min": 1, "max": 2},
            "min_share": 0.2,
            "fixed": [{"donor": "D0", "recipient": "R0"}],
        },
        objective="distance",
        solver="highs",
    ),
    # CBC 2.10.3's preprocessing proved a wrong optimum: D1 must take R3 (load 10 of 14), then
    # R1 (load 2, score 2) or R2 (load 3, score 1); CBC called the score-1 pairing optimal.
    # The tie-break then found the score-2 one, so the verifier saw two different values.
    # pairopt now runs CBC with "preprocess off".
    "cbc_preprocessing_wrong_optimum": Case(
        donors=[_donor("D0", 5), _donor("D1", 14), _donor("D2", 1)],
        recipients=[_recipient(f"R{i}", need) for i, need in enumerate((0, 2, 3, 10))],
        pairs=[
            {"donor": d, "recipient": r, "cost": "0", "score": score}
            for d in ("D0", "D1", "D2")
            for r, score in zip(
                ("R0", "R1", "R2", "R3"),
                ("0", "2", "1", "0") if d == "D1" else ("0", "0", "0", "0"),
                strict=True,
            )
        ],
        rules={"donors_per_recipient": 1},
        objective={"maximize": "score"},
        solver="cbc",
    ),
    # Without preprocessing CBC 2.10.3 crashed (segmentation fault) on this infeasible model
    # (R1 and R3 both fit only D1, whose capacity less the reserve, 6.3, is below 6 + 1);
    # pairopt then retries CBC with its defaults, which prove it infeasible.
    "cbc_crash_without_preprocessing": Case(
        donors=[_donor(f"D{i}", c) for i, c in enumerate((1, 7, 0, 0))],
        recipients=[_recipient(f"R{i}", need) for i, need in enumerate((0, 1, 0, 1, 0, 0))],
        pairs=[
            {"donor": d, "recipient": r, "load": load, "cost": "0", "score": "0"}
            for d, r, load in [
                *[("D0", r, "2" if r == "R1" else "") for r in ("R0", "R1", "R2", "R4", "R5")],
                *[("D1", r, "6" if r == "R1" else "") for r in ("R0", "R1", "R2", "R3")],
                *[(d, f"R{i}", "") for d in ("D2", "D3") for i in range(6)],
            ]
        ],
        rules={"donors_per_recipient": 1, "reserve": 0.1},
        objective="distance",
        solver="cbc",
    ),
    # CBC writes its values with 8 significant digits: the longest pair, 104.48904122 km,
    # came back as 104.48904, so the tie-break's cap (that plus 1e-9 relative) was below the
    # pairing's own value, the capped model was infeasible and the tie-break reported
    # "stopped at limit" with no limit reached. The cap now allows for the rounding.
    "cbc_rounded_values_below_the_cap": Case(
        donors=[_donor("D0", 0, "20.000", "100.000")],
        recipients=[_recipient("R0", 0, "20.000", "101.000")],
        pairs=None,
        rules={"donors_per_recipient": 1},
        objective="max_distance",
        solver="cbc",
    ),
    # HiGHS's first pairing (D2 and D3 -> R0, D0 and D2 -> R1) gave D2 a share of 0.19999999
    # for a min_share of 0.2 (within its feasibility tolerance), a value 1e-6 below the exact
    # 0.2 x 111.195 km. The tie cap started from it, below the exact value of every tie, so
    # the uniqueness check found no other pair set and D3 -> R0 (104 km) stayed, where
    # D1 -> R0 (0 km; capacity 0 is no matter for a need of 0) ties. The cap now starts
    # from the pair set's exact value.
    "tie_cap_below_the_exact_optimum": Case(
        donors=[
            _donor("D0", 1, "21.000", "100.000"),
            _donor("D1", 0, "20.000", "100.000"),
            _donor("D2", 1, "20.000", "100.000"),
            _donor("D3", 1, "20.000", "101.000"),
        ],
        recipients=[
            _recipient("R0", 0, "20.000", "100.000"),
            _recipient("R1", 1, "21.000", "100.000"),
        ],
        pairs=None,
        rules={"donors_per_recipient": 2, "min_share": 0.2},
        objective="weighted_distance",
        solver="highs",
    ),
}


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_found_by_property(name: str, solver: str) -> None:
    case = REGRESSIONS[name]
    check_against_bruteforce(replace(case, solver=solver))


# --------------------------------------------------------------------------- the oracle itself


@settings(
    max_examples=examples(0.5),  # each solves the LP of every pair set
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=cases())
def test_bruteforce_shortcuts_are_exact(case: Case) -> None:
    """The best-first order and the infeasibility shortcut change nothing: the same
    optimum as solving the LP of every pair set (3 x 3 at most: this is slow). One donor
    per recipient takes neither shortcut."""
    assume(len(case.donors) <= 3 and len(case.recipients) <= 3)
    problem = case.problem()
    assume(not problem.single)
    objective = case.brute_objective
    fast, slow = optimum(problem, objective), optimum(problem, objective, exhaustive=True)
    _event("infeasible" if slow is None else "feasible")
    assert (fast is None) == (slow is None), (fast, slow)
    if fast is not None and slow is not None:
        assert _close(fast, slow), (fast, slow)


def _two_by_two(**rules: Any) -> Problem:
    """Donors A (capacity 10) and B (capacity 5); recipients X (need 6), Y (need 4); the
    loads are the needs, the cost column is km / 100.

    km:      X    Y
        A  100  300
        B  200  100
    """
    km = {("A", "X"): 100.0, ("A", "Y"): 300.0, ("B", "X"): 200.0, ("B", "Y"): 100.0}
    need = {"X": 6.0, "Y": 4.0}
    pairs = [Pair(d, r, k, need[r], {"cost": k / 100}) for (d, r), k in km.items()]
    return Problem(capacity={"A": 10.0, "B": 5.0}, need=need, pairs=pairs, **rules)


def test_bruteforce_single_donor_by_hand() -> None:
    # One donor each (the default). B cannot take X (6 > 5), so two pairings remain:
    #   A->X, B->Y: loads A 6/10, B 4/5; distance 200, weighted 600 + 400 = 1000,
    #               max 100, balance max(0.6, 0.8) = 0.8, cost 1 + 1 = 2;
    #   A->X, A->Y: load A 10/10; distance 400, weighted 1800, max 300, balance 1, cost 4.
    p = _two_by_two()
    assert optimum(p, "distance") == pytest.approx(200)
    assert optimum(p, "weighted_distance") == pytest.approx(1000)
    assert optimum(p, "max_distance") == pytest.approx(100)
    assert optimum(p, "balance") == pytest.approx(0.8)
    assert optimum(p, ("max", "cost")) == pytest.approx(4)
    assert optimum(p, ("min", "cost")) == pytest.approx(2)
    # A reserve of 0.2 leaves A 8 and B 4: A can no longer take both.
    assert optimum(_two_by_two(reserve=0.2), ("max", "cost")) == pytest.approx(2)
    # ... and with B -> Y forbidden as well, nothing is left.
    forbidden = frozenset({("B", "Y")})
    assert optimum(_two_by_two(reserve=0.2, forbidden=forbidden), "distance") is None
    # A fixed pair that is forbidden by the distance limit: infeasible.
    assert (
        optimum(_two_by_two(max_distance_km=250, fixed=frozenset({("A", "Y")})), "balance") is None
    )


def test_bruteforce_shares_by_hand() -> None:
    # Up to two donors each. Balance: the total load 10 over the capacity 15 gives at
    # least 2/3, reached by A 20/3 (X 6 + Y 2/3) and B 10/3 (Y 10/3).
    p = _two_by_two(dpr=(1, 2))
    assert optimum(p, "balance") == pytest.approx(2 / 3)
    # Weighted distance: everything on its nearest donor (A->X, B->Y) costs 1000 and fits.
    assert optimum(p, "weighted_distance") == pytest.approx(1000)
    # Exactly two donors each, min_share 0.2, reserve 0.2 (A 8, B 4 available). Cheapest
    # shares: X 4.8 A + 1.2 B, Y 0.8 A + 3.2 B, but B's load 4.4 exceeds 4, so 0.4 of Y
    # moves from B to A (+200 a unit; X's B share is already at its minimum):
    # X 4.8 A + 1.2 B, Y 1.2 A + 2.8 B = 480 + 240 + 360 + 280 = 1360.
    p2 = _two_by_two(dpr=(2, 2), min_share=0.2, reserve=0.2)
    assert optimum(p2, "weighted_distance") == pytest.approx(1360)
    assert optimum(p2, "distance") == pytest.approx(700)  # all four pairs
    assert optimum(p2, "max_distance") == pytest.approx(300)
    # Each donor may take one recipient only, but both recipients need two donors.
    assert optimum(_two_by_two(dpr=(2, 2), rpd=(0, 1)), "distance") is None
    # With B's capacity at 0 and two donors required for each recipient, B cannot take
    # even the min_share 0.2 of a need.
    zero_b = replace(_two_by_two(dpr=(2, 2), min_share=0.2), capacity={"A": 10.0, "B": 0.0})
    assert optimum(zero_b, "distance") is None


def test_bruteforce_zero_need_and_excluded() -> None:
    # X has need 0: it may go without donors (dpr min 0) and puts no load on its donor.
    # B excluded: A must cover Y (4 <= 10) and X can stay unserved: distance 300, or,
    # with one donor required for everyone, A->X as well: distance 400.
    pairs = [Pair("A", "X", 100.0, 50.0), Pair("A", "Y", 300.0, 4.0), Pair("B", "Y", 1.0, 4.0)]
    base = Problem(
        capacity={"A": 4.0, "B": 9.0},
        need={"X": 0.0, "Y": 4.0},
        pairs=pairs,
        excluded=frozenset({"B"}),
    )
    assert optimum(replace(base, dpr=(0, 1)), "distance") == 300
    assert optimum(replace(base, dpr=(1, 1)), "distance") == 400
    # Excluded donors are exempt from recipients_per_donor min.
    assert optimum(replace(base, dpr=(1, 1), rpd=(1, None)), "balance") == 1
    # A pairing is checked against the rules and scored independently.
    good = [("A", "X", 0.0), ("A", "Y", 4.0)]
    problem = replace(base, dpr=(1, 1))
    assert violations(problem, good) == []
    assert objective_value(problem, "weighted_distance", good) == 1200
    assert violations(problem, [("B", "Y", 4.0)]) != []


# --------------------------------------------------------------------------- several resources

# The same property on the rules that came with several resources: named resources with
# weights, a shortfall price (rules.coverage), and per-row rule columns (donors:
# max/min_recipients, max_distance_km, reserve, min_load; recipients: min/max_donors), a
# blank cell meaning the scenario-wide rule. Instances are tiny (at most 4 x 4 with one
# donor per recipient, 3 x 3 with shares) so that the brute force stays quick.

RESOURCE_NAMES = ("staff", "supplies", "funds")
# Prices per unit of uncovered need, from below a balance step to above a long distance.
PRICES = (0.0, 0.02, 0.5, 20.0, 200.0, 2000.0)
RESOURCE_SHARE = 0.75  # of the profile's budget: 150 examples by default
MOST_WHOLE, MOST_SHARES = 4, 3  # most donors (and recipients) without and with shares
# Every resource must fit: capacities mostly from the upper part of the range.
resource_capacities = st.one_of(st.integers(8, 24), st.integers(8, 24), st.integers(0, 24))


@dataclass(frozen=True)
class ResourceCase:
    """A random scenario with resources and per-row rules, as tables of strings and a spec."""

    resources: list[str | dict[str, Any]] | None  # the spec's `resources` (None: unnamed)
    donors: list[dict[str, str]]  # id, lat, lon, cap_<resource>, rule columns
    recipients: list[dict[str, str]]  # id, lat, lon, need_<resource>, rule columns
    pairs: list[dict[str, str]] | None  # donor, recipient, [km], [load...], cost, score
    donor_columns: dict[str, Any]  # spec key -> column (min_load: column or mapping)
    recipient_columns: dict[str, str]
    rules: dict[str, Any]
    objective: str | dict[str, str]
    solver: str

    @property
    def names(self) -> list[str]:
        """Resource names ('' for the one unnamed resource)."""
        if self.resources is None:
            return [""]
        return [r if isinstance(r, str) else str(r["name"]) for r in self.resources]

    def column(self, what: str, k: int) -> str:
        """The table column of resource k's capacity (cap) or need."""
        name = self.names[k]
        return f"{what}_{name}" if name else what

    def load_column(self, k: int) -> str:
        return f"load_{self.names[k]}" if self.resources is not None else "load"

    def _amounts(self, what: str) -> str | dict[str, str]:
        if self.resources is None:
            return what
        return {name: self.column(what, k) for k, name in enumerate(self.names)}

    def describe(self) -> str:
        parts = [
            f"resources: {self.resources}",
            "donors.csv:\n" + pd.DataFrame(self.donors).to_csv(index=False),
            "recipients.csv:\n" + pd.DataFrame(self.recipients).to_csv(index=False),
        ]
        if self.pairs is not None:
            parts.append("pairs.csv:\n" + pd.DataFrame(self.pairs).to_csv(index=False))
        parts.append(f"donor columns: {self.donor_columns}")
        parts.append(f"recipient columns: {self.recipient_columns}")
        parts.append(f"rules: {self.rules}\nobjective: {self.objective}\nsolver: {self.solver}")
        return "\n".join(parts)

    def spec(self) -> dict[str, Any]:
        """The scenario file's content."""
        spec: dict[str, Any] = {
            "name": "resources",
            "donors": {"file": "donors.csv", "id": "id", "capacity": self._amounts("cap")}
            | {"lat": "lat", "lon": "lon"}
            | self.donor_columns,
            "recipients": {"file": "recipients.csv", "id": "id", "need": self._amounts("need")}
            | {"lat": "lat", "lon": "lon"}
            | self.recipient_columns,
            "rules": self.rules,
            "objective": self.objective,
            "solver": {"name": self.solver, "time_limit": None, "mip_gap": 0},
        }
        if self.resources is not None:
            spec["resources"] = self.resources
        if self.pairs is not None:
            spec["pairs"] = {"file": "pairs.csv"}
        return spec

    def scenario(self) -> Scenario:
        pairs = None
        if self.pairs is not None:
            columns = list(self.pairs[0]) if self.pairs else ["donor", "recipient"]
            pairs = pd.DataFrame(self.pairs, columns=columns, dtype=str)
        return build(
            ScenarioSpec.model_validate(self.spec()),
            pd.DataFrame(self.donors, dtype=str),
            pd.DataFrame(self.recipients, dtype=str),
            pairs,
        )

    def problem(self) -> Problem:
        """The same scenario for the brute force, read from the raw strings."""
        n_k = len(self.names)
        donors = {row["id"]: row for row in self.donors}
        recipients = {row["id"]: row for row in self.recipients}

        def amounts(row: dict[str, str], what: str) -> tuple[float, ...]:
            return tuple(float(row[self.column(what, k)]) for k in range(n_k))

        def pair(d: str, r: str, row: dict[str, str]) -> Pair:
            dr, rr = donors[d], recipients[r]
            km_text = row.get("km", "")
            km = (
                float(km_text)
                if km_text
                else haversine_km(
                    float(dr["lat"]), float(dr["lon"]), float(rr["lat"]), float(rr["lon"])
                )
            )
            need = amounts(rr, "need")
            load = tuple(
                float(text) if (text := row.get(self.load_column(k), "")) else need[k]
                for k in range(n_k)
            )
            values: dict[str, float] = {k: float(row[k]) for k in ("cost", "score") if k in row}
            return Pair(d, r, km, load, values)

        if self.pairs is None:
            pairs = [pair(d, r, {}) for d in donors for r in recipients]
        else:
            pairs = [pair(row["donor"], row["recipient"], row) for row in self.pairs]
        rules = self.rules
        dpr = _count_range(rules.get("donors_per_recipient", 1))
        rpd = _count_range(rules.get("recipients_per_donor", {}))

        def cell(row: dict[str, str], key: str, table: dict[str, Any]) -> float | None:
            column = table.get(key)
            text = row.get(column, "") if isinstance(column, str) else ""
            return float(text) if text else None

        def counts(
            rows: dict[str, dict[str, str]], low: str, high: str, rule: tuple[int, int | None]
        ) -> dict[str, tuple[int, int | None]]:
            table = self.donor_columns if low == "min_recipients" else self.recipient_columns
            out = {}
            for name, row in rows.items():
                lo, hi = cell(row, low, table), cell(row, high, table)
                if lo is not None or hi is not None:
                    out[name] = (
                        rule[0] if lo is None else int(lo),
                        rule[1] if hi is None else int(hi),
                    )
            return out

        min_load: dict[str, tuple[float, ...]] = {}
        spec = self.donor_columns.get("min_load")
        if spec is not None:
            mapping = spec if isinstance(spec, dict) else dict.fromkeys(self.names, spec)
            for name, row in donors.items():
                min_load[name] = tuple(
                    float(row[mapping[res]]) if res in mapping and row[mapping[res]] else 0.0
                    for res in self.names
                )
        reserves = {
            name: value
            for name, row in donors.items()
            if (value := cell(row, "reserve", self.donor_columns)) is not None
        }
        limits = {
            name: value
            for name, row in donors.items()
            if (value := cell(row, "max_distance_km", self.donor_columns)) is not None
        }
        penalty: tuple[float | None, ...] | None = None
        coverage = rules.get("coverage", "full")
        if coverage != "full":
            price = coverage["shortfall_penalty"]
            penalty = tuple(
                price.get(name) if isinstance(price, dict) else float(price) for name in self.names
            )
        weights = tuple(
            1.0 if isinstance(r, str) else float(r.get("weight", 1.0))
            for r in self.resources or [""]
        )
        return Problem(
            capacity={d: amounts(row, "cap") for d, row in donors.items()},
            need={r: amounts(row, "need") for r, row in recipients.items()},
            pairs=pairs,
            dpr=dpr,
            rpd=rpd,
            max_distance_km=rules.get("max_distance_km"),
            fixed=frozenset((p["donor"], p["recipient"]) for p in rules.get("fixed", [])),
            forbidden=frozenset((p["donor"], p["recipient"]) for p in rules.get("forbidden", [])),
            excluded=frozenset(rules.get("exclude_donors", [])),
            reserve=rules.get("reserve", 0.0),
            min_share=rules.get("min_share", 0.0),
            weights=weights,
            penalty=penalty,
            donor_counts=counts(donors, "min_recipients", "max_recipients", rpd),
            recipient_counts=counts(recipients, "min_donors", "max_donors", dpr),
            donor_max_km=limits,
            donor_reserve=reserves,
            min_load=min_load,
        )

    @property
    def brute_objective(self) -> str | tuple[str, str]:
        if isinstance(self.objective, str):
            return self.objective
        ((sense, column),) = self.objective.items()
        return ("min" if sense == "minimize" else "max", column)


def _count_range(value: int | dict[str, int | None]) -> tuple[int, int | None]:
    if isinstance(value, int):
        return value, value
    low = value.get("min", 0)
    return 0 if low is None else low, value.get("max")


def _cells(draw: st.DrawFn, n: int, values: Sequence[str]) -> list[str]:
    """One cell per row: blank (the scenario-wide rule) half the time, else a value."""
    return [draw(st.sampled_from(["", "", *values])) for _ in range(n)]


def _ordered(low: list[str] | None, high: list[str] | None, rule: tuple[int, int | None]) -> None:
    """Blank a row's cells where its range with the rule's would be empty (min > max)."""
    n = len(low) if low is not None else len(high) if high is not None else 0
    for i in range(n):
        lo = int(low[i]) if low is not None and low[i] else rule[0]
        hi = int(high[i]) if high is not None and high[i] else rule[1]
        if hi is not None and lo > hi:
            for cells in (low, high):
                if cells is not None:
                    cells[i] = ""


@st.composite
def resource_cases(draw: st.DrawFn) -> ResourceCase:
    n_k = draw(st.sampled_from([1, 1, 2, 2, 3]))
    named = n_k > 1 or draw(st.booleans())
    resources: list[str | dict[str, Any]] | None = None
    if named:
        resources = []
        for name in RESOURCE_NAMES[:n_k]:
            weight = draw(st.sampled_from([1.0, 1.0, 1.0, 0.5, 3.0, 0.01]))
            resources.append(name if weight == 1.0 else {"name": name, "weight": weight})
    names = [r if isinstance(r, str) else str(r["name"]) for r in resources or [""]]

    def col(what: str, k: int) -> str:
        return f"{what}_{names[k]}" if names[k] else what

    single = draw(st.booleans())
    most = MOST_WHOLE if single else MOST_SHARES
    n_d, n_r = draw(st.integers(1, most)), draw(st.integers(1, most))
    donors = [
        {"id": f"D{i}", "lat": draw(lats), "lon": draw(lons)}
        | {col("cap", k): str(draw(resource_capacities)) for k in range(n_k)}
        for i in range(n_d)
    ]
    levels = [draw(st.sampled_from([5, 10, 10, 20])) for _ in range(n_k)]
    recipients = [
        {"id": f"R{j}", "lat": draw(lats), "lon": draw(lons)}
        | {col("need", k): str(draw(st.integers(0, levels[k]))) for k in range(n_k)}
        for j in range(n_r)
    ]
    product = [(d["id"], r["id"]) for d in donors for r in recipients]

    table = None
    keys = product
    if draw(st.booleans()):
        dropped = draw(st.sets(st.sampled_from(product), max_size=len(product) // 3))
        kept = {r for d, r in product if (d, r) not in dropped}
        keys = [(d, r) for d, r in product if (d, r) not in dropped or r not in kept]
        with_km = draw(st.booleans())
        with_load = [draw(st.booleans()) for _ in range(n_k)]
        table = []
        for d, r in keys:
            row = {"donor": d, "recipient": r}
            if with_km:
                row["km"] = _maybe(draw, st.integers(50, 3000))
            for k in range(n_k):
                if with_load[k]:
                    row[f"load_{names[k]}" if named else "load"] = _maybe(draw, st.integers(0, 20))
            row["cost"] = str(draw(st.integers(-10, 50)))
            row["score"] = str(draw(st.integers(-5, 20)))
            table.append(row)

    # Need may go uncovered at a price: for every resource, or for some (named) ones.
    coverage: dict[str, Any] | None = None
    how = draw(st.sampled_from(["one", "full", "each", "full"]))
    if how == "one" or (how == "each" and not named):
        coverage = {"shortfall_penalty": draw(st.sampled_from(PRICES))}
    elif how == "each":
        priced = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        coverage = {"shortfall_penalty": {name: draw(st.sampled_from(PRICES)) for name in priced}}

    dpr: int | dict[str, int | None]
    if single and coverage is not None:  # a recipient may then go without a donor
        priced_one: list[int | dict[str, int | None]] = [{"max": 1}, {"max": 1}, 1]
        dpr = draw(st.sampled_from(priced_one))
    elif single:
        one: list[int | dict[str, int | None]] = [1, {"max": 1}, {"min": 0, "max": 1}]
        dpr = draw(st.sampled_from(one))
    else:
        low = draw(st.sampled_from([0, 1, 1, 2] if coverage is None else [0, 0, 1, 2]))
        dpr = {
            "min": low,
            "max": draw(st.sampled_from([m for m in (2, 3, None) if m is None or m >= low])),
        }
    rpd_min = draw(st.sampled_from([0, 0, 0, 1]))
    rpd = {
        "min": rpd_min,
        "max": draw(st.one_of(st.none(), st.none(), st.integers(max(rpd_min, 1), 3))),
    }
    rules: dict[str, Any] = {
        "donors_per_recipient": dpr,
        "recipients_per_donor": rpd,
        "reserve": draw(st.sampled_from([0.0, 0.1, 0.25])),
        "min_share": draw(st.sampled_from([0.0, 0.0, 0.2])),
    }
    if draw(rarely):
        rules["fixed"] = [
            {"donor": d, "recipient": r}
            for d, r in draw(st.lists(st.sampled_from(keys), max_size=1))
        ]
    if draw(rarely):
        fixed = {(p["donor"], p["recipient"]) for p in rules.get("fixed", [])}
        free = [k for k in keys if k not in fixed]
        if free:
            rules["forbidden"] = [
                {"donor": d, "recipient": r}
                for d, r in draw(
                    st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True)
                )
            ]
    if draw(rarely) and n_d > 1:
        keep = {p["donor"] for p in rules.get("fixed", [])}
        others = [d["id"] for d in donors if d["id"] not in keep]
        if others:
            rules["exclude_donors"] = [draw(st.sampled_from(others))]
    if draw(rarely):
        rules["max_distance_km"] = draw(st.integers(500, 3500))
    if coverage is not None:
        rules["coverage"] = coverage

    # Per-row rule columns, each in about a third of the cases.
    donor_columns: dict[str, Any] = {}
    recipient_columns: dict[str, str] = {}
    rpd_rule = _count_range(rpd)
    dpr_rule = _count_range(dpr)
    d_low = _cells(draw, n_d, ["0", "1", "2"]) if draw(rarely) else None
    d_high = _cells(draw, n_d, ["0", "1", "2", "3"]) if draw(rarely) else None
    _ordered(d_low, d_high, rpd_rule)
    wide = n_d * n_r <= 9  # up to three donors a recipient only where the brute force is quick
    r_low = _cells(draw, n_r, ["0", "1", "2"] if wide else ["0", "1"]) if draw(rarely) else None
    r_high = (
        _cells(draw, n_r, ["0", "1", "2", "3"] if wide else ["0", "1"]) if draw(rarely) else None
    )
    _ordered(r_low, r_high, dpr_rule)
    per_row = {
        "min_recipients": d_low,
        "max_recipients": d_high,
        "max_distance_km": (
            _cells(draw, n_d, ["400", "900", "1500", "2500"]) if draw(rarely) else None
        ),
        "reserve": _cells(draw, n_d, ["0", "0.2", "0.5"]) if draw(rarely) else None,
    }
    for key, cells in per_row.items():
        if cells is not None:
            donor_columns[key] = f"rule_{key}"
            for row, value in zip(donors, cells, strict=True):
                row[f"rule_{key}"] = value
    if draw(rarely):
        # min_load: one column (for every resource) or a column for some resources.
        mapped = names
        if named and draw(st.booleans()):
            mapped = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
            donor_columns["min_load"] = {name: f"min_{name}" for name in mapped}
        else:
            donor_columns["min_load"] = "min_load"
        for column in (
            {donor_columns["min_load"]}
            if isinstance(donor_columns["min_load"], str)
            else set(donor_columns["min_load"].values())
        ):
            for row, value in zip(donors, _cells(draw, n_d, ["0", "1", "3", "6"]), strict=True):
                row[column] = value
    for key, cells in (("min_donors", r_low), ("max_donors", r_high)):
        if cells is not None:
            recipient_columns[key] = f"rule_{key}"
            for row, value in zip(recipients, cells, strict=True):
                row[f"rule_{key}"] = value

    objectives: list[str | dict[str, str]] = list(NAMED)
    if table is not None:
        objectives += COLUMN_OBJECTIVES
    return ResourceCase(
        resources=resources,
        donors=donors,
        recipients=recipients,
        pairs=table,
        donor_columns=donor_columns,
        recipient_columns=recipient_columns,
        rules=rules,
        objective=draw(st.sampled_from(objectives)),
        solver=draw(st.sampled_from(["highs", "cbc"])),
    )


def check_resources_against_bruteforce(
    case: ResourceCase, most_share_pairs: int | None = None
) -> None:
    """`most_share_pairs`: a property test skips cases with shares and more candidate pairs
    (the oracle solves an LP for every pair set, up to 2**9 of them: the default run keeps
    to the cheaper ones, the slow one takes them all)."""
    _note(case.describe())
    scenario = case.scenario()
    problem = case.problem()
    if most_share_pairs is not None:
        pairs = (
            len(case.pairs) if case.pairs is not None else len(case.donors) * len(case.recipients)
        )
        assume(problem.single or pairs <= most_share_pairs)
    objective = case.brute_objective
    expected = optimum(problem, objective)
    _note(f"brute-force optimum: {expected}")
    _event("one donor per recipient" if problem.single else "shares")
    _event(f"{problem.n_res} resource(s)" + (", shortfall price" if problem.priced else ""))
    _event("infeasible" if expected is None else "feasible")

    if expected is None:
        with pytest.raises(InfeasibleError):
            result = solve(scenario)
            _note(f"pairopt pairing: {result.pairing}, value {result.objective_value}")
        return
    try:
        result = solve(scenario)
    except InfeasibleError as exc:
        pytest.fail(f"pairopt says infeasible ({exc.reasons}); brute force found {expected}")
    pairing: list[tuple[str, str, Any]] = [
        (a.donor, a.recipient, a.amounts) for a in result.pairing
    ]
    _note(f"pairopt pairing: {pairing}, value {result.objective_value}")
    assert result.status == Status.OPTIMAL
    again = evaluate(scenario, result.pairing)
    assert again.ok, again.violations
    assert violations(problem, pairing) == []
    # The verifier and the brute force score pairopt's pairing alike, shortfall included ...
    assert _close(again.value(scenario.objective), objective_value(problem, objective, pairing))
    assert _close(again.score(scenario.objective), score(problem, objective, pairing))
    short = uncovered(problem, pairing)
    for k, name in enumerate(scenario.resources):
        left = sum(v for (_, kk), v in short.items() if kk == k)
        # The verifier counts no shortfall within REL_TOL of a recipient's need (solver
        # round-off, e.g. CBC's 8 digits), so it may be below the exact sum by that much.
        noise = sum(REL_TOL * problem.needs(r)[k] for r in problem.need)
        reported = again.shortfall[name]
        assert _close(reported, left) or left - noise - 1e-9 <= reported <= left, (
            name,
            again.shortfall,
            left,
        )
    # ... and pairopt's value is the optimum.
    assert _close(result.objective_value, expected), (result.objective_value, expected)
    # Without a shortfall price, the tie-break's pick is the best tied pairing (weights
    # included in its weighted distance).
    assert result.tie_break != "stopped at limit"
    least = tied_secondary(problem, objective, expected) if result.tie_break == "done" else None
    _event("tie-break judged" if least is not None else "tie-break not judged")
    if least is not None:
        chosen = secondary_value(problem, objective, pairing)
        assert _close(chosen, least), f"tie-break picked {chosen}, the best tied has {least}"


@settings(
    max_examples=examples(RESOURCE_SHARE),
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(case=resource_cases())
def test_resources_optimum_matches_bruteforce(case: ResourceCase) -> None:
    check_resources_against_bruteforce(case, most_share_pairs=6)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@settings(max_examples=examples(SLOW_SHARE))
@given(case=resource_cases())
def test_resources_optimum_matches_bruteforce_slow(case: ResourceCase) -> None:
    check_resources_against_bruteforce(case)


# --------------------------------------------------------------------------- the oracle, resources


@settings(
    max_examples=examples(0.15),  # each solves the LP of every pair set
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=resource_cases())
def test_resource_bruteforce_shortcuts_are_exact(case: ResourceCase) -> None:
    """The best-first order, the lower bounds (with shortfall prices and several
    resources) and the infeasibility shortcut change nothing: the same optimum as solving
    the LP of every pair set (at most six pairs)."""
    assume(len(case.donors) * len(case.recipients) <= 6)
    problem = case.problem()
    assume(not problem.single)
    objective = case.brute_objective
    fast, slow = optimum(problem, objective), optimum(problem, objective, exhaustive=True)
    _event("infeasible" if slow is None else "feasible")
    assert (fast is None) == (slow is None), (fast, slow)
    if fast is not None and slow is not None:
        assert _close(fast, slow), (fast, slow)


def _km_pairs(km: dict[str, dict[str, float]], need: Mapping[str, tuple[float, ...]]) -> list[Pair]:
    return [Pair(d, r, k, need[r]) for d, row in km.items() for r, k in row.items()]


def test_bruteforce_resources_by_hand() -> None:
    # Donors A (staff 10, funds 2) and B (staff 10, funds 10); X needs (4, 4), Y (4, 1).
    # km A-X 100, A-Y 500, B-X 400, B-Y 100. A cannot take X (funds 4 > 2): with one
    # donor each the best is B-X, B-Y (500); staff alone would allow A-X, B-Y (200).
    need = {"X": (4.0, 4.0), "Y": (4.0, 1.0)}
    km = {"A": {"X": 100.0, "Y": 500.0}, "B": {"X": 400.0, "Y": 100.0}}
    two = Problem(
        capacity={"A": (10.0, 2.0), "B": (10.0, 10.0)},
        need=need,
        pairs=_km_pairs(km, need),
        weights=(1.0, 1.0),
    )
    assert optimum(two, "distance") == pytest.approx(500)
    staff_need = {r: n[0] for r, n in need.items()}
    staff = Problem(
        capacity={"A": 10.0, "B": 10.0},
        need=staff_need,
        pairs=[Pair(p.donor, p.recipient, p.km, staff_need[p.recipient]) for p in two.pairs],
    )
    assert optimum(staff, "distance") == pytest.approx(200)
    # Weighted distance with funds at weight 0.01: 4 x 400 + 4 x 100 + 0.01 x 1700 = 2017.
    assert optimum(replace(two, weights=(1.0, 0.01)), "weighted_distance") == pytest.approx(2017)
    # Balance: B-X and A-Y: A carries funds 1 of 2, B staff 4 of 10 and funds 4 of 10: 0.5.
    assert optimum(two, "balance") == pytest.approx(0.5)
    # A's minimum commitment of 4 staff: A-Y and B-X (900); of 5 funds on B: infeasible.
    assert optimum(replace(two, min_load={"A": (4.0, 0.0)}), "distance") == pytest.approx(900)
    assert optimum(replace(two, min_load={"B": (0.0, 6.0)}), "distance") is None
    # ... unless B is excluded (exempt), when A must take both: funds 5 > 2, infeasible.
    excluded = replace(two, min_load={"B": (0.0, 6.0)}, excluded=frozenset({"B"}))
    assert optimum(excluded, "distance") is None
    # B's own reserve of 0.5 leaves it 5 staff: one recipient: B-X and A-Y (900).
    assert optimum(replace(two, donor_reserve={"B": 0.5}), "distance") == pytest.approx(900)
    # B's own limit of one recipient: the same.
    assert optimum(replace(two, donor_counts={"B": (0, 1)}), "distance") == pytest.approx(900)
    # B's own distance limit of 300 km: B-X is out, and A cannot take X: infeasible.
    assert optimum(replace(two, donor_max_km={"B": 300.0}), "distance") is None


def test_bruteforce_shortfall_by_hand() -> None:
    # One donor A (staff 5, funds 10) for X (3, 4) and Y (4, 2); km A-X 100, A-Y 300.
    need = {"X": (3.0, 4.0), "Y": (4.0, 2.0)}
    base = Problem(
        capacity={"A": (5.0, 10.0)},
        need=need,
        pairs=_km_pairs({"A": {"X": 100.0, "Y": 300.0}}, need),
        dpr=(0, 2),
        weights=(1.0, 1.0),
    )
    assert optimum(base, "weighted_distance") is None  # staff 7 > 5
    # Staff at 1000 a unit: X's 3 and 2 of Y's staff are sent (1900 with funds), 2 left.
    priced = replace(base, penalty=(1000.0, None))
    assert optimum(priced, "weighted_distance") == pytest.approx(3900)
    # At 200 a unit, Y's staff (300 km a unit) is left: 300 + funds 1000 + 4 x 200.
    assert optimum(replace(base, penalty=(200.0, None)), "weighted_distance") == pytest.approx(2100)
    # Distance with a price: pairs A-X (100) and A-Y (300) cost 400 + 2 x 1000; leaving
    # Y out costs 100 + 4 x 1000 + funds (not priced: Y must be covered). So 2400.
    assert optimum(priced, "distance") == pytest.approx(2400)
    # Max-distance, balance and a maximised column take the price too.
    assert optimum(priced, "max_distance") == pytest.approx(300 + 2000)
    assert optimum(priced, "balance") == pytest.approx(1.0 + 2000)
    # The scoring of a pairing agrees.
    pairing = [("A", "X", (3.0, 4.0)), ("A", "Y", (2.0, 2.0))]
    assert violations(priced, pairing) == []
    assert uncovered(priced, pairing)[("Y", 0)] == pytest.approx(2)
    assert score(priced, "weighted_distance", pairing) == pytest.approx(3900)
    # Covering beyond the need, or leaving funds (not priced) short, breaks a rule.
    assert violations(priced, [("A", "X", (4.0, 4.0)), ("A", "Y", (1.0, 2.0))]) != []
    assert violations(priced, [("A", "X", (3.0, 3.0)), ("A", "Y", (2.0, 2.0))]) != []


# Minimal scenarios on which the resource property (or its larger runs) found pairopt
# wrong. A case still wrong is marked xfail(strict=True): it fails once pairopt is fixed.
_PLACES = {
    "D1": ("37.779", "100.000"),
    "D4": ("20.025", "111.418"),
    "D5": ("28.288", "100.000"),
    "D8": ("26.372", "101.856"),
    "D11": ("31.963", "122.555"),
    "R1": ("23.462", "121.865"),
    "R3": ("20.621", "106.991"),
    "R4": ("34.134", "105.185"),
    "R6": ("42.813", "102.119"),
    "R8": ("20.411", "107.930"),
    "R9": ("20.000", "108.301"),
    "R10": ("41.688", "121.899"),
    "R12": ("42.453", "105.696"),
}


def _placed(name: str, column: str, amount: int) -> dict[str, str]:
    lat, lon = _PLACES[name]
    return {"id": name, "lat": lat, "lon": lon, column: str(amount)}


RESOURCE_REGRESSIONS = {
    # A shortfall price of 2000 a unit, and every need can be covered (each recipient has
    # one allowed donor with room to spare; the optimum 1.0 leaves nothing uncovered). CBC
    # returns one uncovered fraction of 1.4e-10 instead of 0: priced at 2000 x need 7 it
    # puts 2e-6 into CBC's objective (1.00000195), and pairopt's check of the solver's
    # objective against the verified one (1e-6 of max(1, |value|), blind to the size of
    # the prices) raises SolverError "report this scenario" on a valid scenario.
    "cbc_shortfall_noise_fails_the_objective_check": ResourceCase(
        resources=None,
        donors=[_placed(d, "cap", 100) for d in ("D1", "D4", "D5", "D8", "D11")],
        recipients=[
            _placed(r, "need", n)
            for r, n in (
                ("R1", 4),
                ("R3", 7),
                ("R4", 8),
                ("R6", 0),
                ("R8", 7),
                ("R9", 0),
                ("R10", 5),
                ("R12", 3),
            )
        ],
        pairs=[
            {"donor": d, "recipient": r, "score": str(v)}
            for d, r, v in (
                ("D1", "R4", -5),
                ("D1", "R12", -4),
                ("D4", "R1", -1),
                ("D5", "R6", 9),
                ("D8", "R3", -2),
                ("D8", "R10", -2),
                ("D11", "R8", 11),
                ("D11", "R9", -5),
            )
        ],
        donor_columns={},
        recipient_columns={},
        rules={"coverage": {"shortfall_penalty": 2000}},
        objective={"minimize": "score"},
        solver="cbc",
    ),
    # Two donors per recipient and D0 -> R0 forbidden: R0 takes D1 and D2, so the longest
    # pair is D2 -> R0 (1000.7557221 km) and no tie can be shorter. The tie-break's capped
    # model (c.v <= 1000.7557231, met by the first pairing with every row exact) was called
    # infeasible by HiGHS 1.16's presolve (its probing; with presolve or probing off it
    # solves). Given the first pairing as a start, HiGHS handed it back with the value of its
    # reduced model (3315.7 for 4316.5), pairopt dropped the start as inconsistent, the run
    # without it said infeasible, and the tie-break reported "stopped at limit" with no limit
    # reached. A run with a start that HiGHS calls infeasible now runs again without presolve.
    "tie_break_presolve_says_infeasible": ResourceCase(
        resources=["staff", "supplies"],
        donors=[
            {"id": d, "lat": lat, "lon": lon, "cap_staff": "8", "cap_supplies": "8"}
            for d, lat, lon in (
                ("D0", "20.000", "100.000"),
                ("D1", "20.000", "101.000"),
                ("D2", "29.000", "100.000"),
            )
        ],
        recipients=[
            {"id": r, "lat": "20.000", "lon": "100.000", "need_staff": s, "need_supplies": u}
            for r, s, u in (("R0", "0", "1"), ("R1", "1", "1"), ("R2", "0", "0"))
        ],
        pairs=None,
        donor_columns={},
        recipient_columns={},
        rules={
            "donors_per_recipient": 2,
            "forbidden": [{"donor": "D0", "recipient": "R0"}],
            "coverage": {"shortfall_penalty": 2000},
        },
        objective="max_distance",
        solver="highs",
    ),
}
RESOURCE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(raises=SolverError, reason=RESOURCE_XFAIL[name], strict=True)]
            if name in RESOURCE_XFAIL
            else [],
        )
        for name in sorted(RESOURCE_REGRESSIONS)
    ],
)
def test_found_by_resource_property(name: str) -> None:
    check_resources_against_bruteforce(RESOURCE_REGRESSIONS[name])
