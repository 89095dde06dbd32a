"""Combined objectives against brute force: weighted sums, lexicographic orders, the changes
budget and the new terms, on random small scenarios with one donor per recipient.

The brute force enumerates every assignment of a donor to each recipient, keeps those the
verifier passes (capacity, counts, rules.max_changes) and ranks them by the verifier's own
term values (checks/verify.py, written from the tables, never from the model): a sum by its
score, an order level by level. pairopt's model must prove the same optimum.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pairing_opt as po
from pairing_opt.checks.verify import Assignment, Evaluation, evaluate
from pairing_opt.scenario.scenario import Scenario
from pairing_opt.scenario.spec import (
    OrderedObjective,
    maximised,
    term_objective,
)
from pairing_opt.scenario.validation import parse_objective

from . import SLOW, examples
from .builders import single_donor_pairings

# Pair-set-determined with one donor per recipient and full coverage: the brute force can
# score a pairing without solving for shares.
SET_TERMS = (
    "distance",
    "weighted_distance",
    "max_distance",
    "balance",
    "changes",
    "fairness",
    "assortative",
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, str]:
    n_donors = draw(st.integers(2, 3))
    n_recipients = draw(st.integers(2, 4))
    capacity = [draw(st.integers(3, 12)) for _ in range(n_donors)]
    need = [draw(st.integers(1, 6)) for _ in range(n_recipients)]
    coords = st.tuples(st.integers(25, 35), st.integers(105, 120))
    donors = pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(n_donors)],
            "capacity": capacity,
            "lat": [0.0] * n_donors,
            "lon": [0.0] * n_donors,
        }
    )
    recipients = pd.DataFrame(
        {"id": [f"r{j}" for j in range(n_recipients)], "need": need, "lat": 0.0, "lon": 0.0}
    )
    for frame in (donors, recipients):
        points = [draw(coords) for _ in range(len(frame))]
        frame["lat"] = [float(p[0]) for p in points]
        frame["lon"] = [float(p[1]) for p in points]
    incumbent = tuple(
        (f"D{draw(st.integers(0, n_donors - 1))}", f"r{j}") for j in range(n_recipients)
    )
    rules: dict[str, object] = {}
    if draw(st.booleans()):
        rules["max_changes"] = draw(st.integers(0, 2 * n_recipients))
    form = draw(st.sampled_from(["single", "sum", "order"]))
    if form == "single":
        text = draw(st.sampled_from(["changes", "fairness", "assortative"]))
    elif form == "sum":
        terms = draw(st.lists(st.sampled_from(SET_TERMS), min_size=2, max_size=3, unique=True))
        text = ",".join(f"{t}={draw(st.integers(1, 20))}" for t in terms)
    else:
        terms = draw(st.lists(st.sampled_from(SET_TERMS), min_size=2, max_size=3, unique=True))
        text = ",".join(terms)
    scenario = Scenario.from_frames(
        donors, recipients, rules=rules, objective=parse_objective(text)
    )
    return replace(scenario, incumbent=incumbent), text


def _feasible(scenario: Scenario) -> list[tuple[list[Assignment], Evaluation]]:
    """Every single-donor pairing the verifier passes, with its evaluation."""
    return [(p, e) for p, e in single_donor_pairings(scenario) if e.ok]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)


def _level_values(objective: OrderedObjective, evaluation: Evaluation) -> list[float]:
    """Each level in minimisation form (a maximised term negated)."""
    return [
        (-1.0 if maximised(level.term) else 1.0) * evaluation.value(term_objective(level.term))
        for level in objective.order
    ]


def _lexicographic_best(
    objective: OrderedObjective, feasible: list[tuple[list[Assignment], Evaluation]]
) -> list[float]:
    """The best values level by level: keep the pairings tied (up to rounding) on each
    level, then the best of them on the next."""
    pool = [_level_values(objective, e) for _, e in feasible]
    best: list[float] = []
    for level in range(len(objective.order)):
        value = min(v[level] for v in pool)
        best.append(value)
        pool = [v for v in pool if v[level] <= value + 1e-9 * max(1.0, abs(value))]
    return best


def check(case: tuple[Scenario, str]) -> None:
    scenario, text = case
    feasible = _feasible(scenario)
    if not feasible:
        assert po.solve(scenario).status == "infeasible", text
        return
    result = po.solve(scenario)
    assert result.status == "optimal", (text, result)
    chosen = [(a.donor, a.recipient) for a in result.pairs]
    check_again = evaluate(scenario, list(result.pairs))
    assert check_again.ok, (text, check_again.violations)
    budget = scenario.rules.max_changes
    if budget is not None:
        assert len(set(chosen) ^ set(scenario.incumbent or ())) <= budget
    objective = scenario.objective
    if isinstance(objective, OrderedObjective):
        got = _level_values(objective, check_again)
        want = _lexicographic_best(objective, feasible)
        assert all(_close(g, w) for g, w in zip(got, want, strict=True)), (text, got, want)
        return
    sign = -1.0 if maximised(objective) else 1.0
    best = min(sign * e.score(objective) for _, e in feasible)
    assert _close(sign * check_again.score(objective), best), (text, chosen, best)
    assert result.objective is not None and _close(result.objective, check_again.score(objective))


@settings(max_examples=examples(0.1))
@given(cases())
def test_combined_objectives_match_bruteforce(case: tuple[Scenario, str]) -> None:
    check(case)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@settings(max_examples=examples(1.0))
@given(cases())
def test_combined_objectives_match_bruteforce_slow(case: tuple[Scenario, str]) -> None:
    check(case)


# ----------------------------------------------------------------- need left uncovered
# With a shortfall term a pair no longer fixes its shares: each pair set's best shares come
# from an LP written here from the definitions (scipy), not from pairopt's model.

F_TERMS = (
    "shortfall",
    "max_shortfall",
    "weighted_distance",
    "distance",
    "changes",
    "fairness",
    "assortative",
    "balance",
)


@st.composite
def short_cases(draw: st.DrawFn) -> tuple[Scenario, str]:
    """Capacity often below need, an objective that names shortfall or max_shortfall."""
    scenario, _ = draw(cases())
    scale = draw(st.sampled_from([0.3, 0.6, 1.0]))
    donors = pd.DataFrame(
        {
            "id": list(scenario.donors),
            "capacity": [max(1.0, round(c * scale)) for c in scenario.capacity],
            "lat": scenario.donor_lat,
            "lon": scenario.donor_lon,
        }
    )
    recipients = pd.DataFrame(
        {
            "id": list(scenario.recipients),
            "need": scenario.need,
            "lat": scenario.recipient_lat,
            "lon": scenario.recipient_lon,
        }
    )
    first = draw(st.sampled_from(["shortfall", "max_shortfall"]))
    others = draw(st.lists(st.sampled_from(F_TERMS), max_size=2, unique=True))
    terms = [first, *[t for t in others if t != first]]
    if draw(st.booleans()) and len(terms) > 1:
        text = ",".join(f"{t}={draw(st.integers(1, 20))}" for t in terms)
    else:
        text = ",".join(terms) if len(terms) > 1 else first
    built = Scenario.from_frames(
        donors,
        recipients,
        rules=dict(scenario.rules.model_dump(exclude_defaults=True)),
        objective=parse_objective(text),
    )
    return replace(built, incumbent=scenario.incumbent), text


def _term_rows(
    scenario: Scenario, donors: tuple[str, ...], term: str
) -> tuple[np.ndarray, float, list[tuple[np.ndarray, float]], int]:
    """The term as c.v + constant over v = (f_1..f_R, m, hi, lo, t), with its rows A v <= b,
    for the pair set that gives recipient r the donor donors[r] (f_r: covered fraction)."""
    n = len(scenario.recipients)
    need = np.asarray(scenario.need, dtype=float)
    capacity = np.asarray(scenario.capacity, dtype=float)
    d_index = [scenario.donor_index[d] for d in donors]
    km = np.array([scenario.distance_km(d, r) for r, d in enumerate(d_index)])
    c = np.zeros(n + 4)
    rows: list[tuple[np.ndarray, float]] = []
    m_col, hi_col, lo_col, t_col = n, n + 1, n + 2, n + 3
    # u_d = sum of need_r f_r over its recipients / capacity_d
    usage = np.zeros((len(scenario.donors), n + 4))
    for r, d in enumerate(d_index):
        usage[d, r] = need[r] / capacity[d]
    if term == "shortfall":
        c[:n] = -need
        return c, float(need.sum()), rows, 0
    if term == "max_shortfall":
        for r in range(n):  # 1 - f_r <= m
            a = np.zeros(n + 4)
            a[r], a[m_col] = -1.0, -1.0
            rows.append((a, -1.0))
        c[m_col] = 1.0
        return c, 0.0, rows, 0
    if term == "weighted_distance":
        c[:n] = km * need
        return c, 0.0, rows, 0
    if term == "distance":
        return c, float(km.sum()), rows, 0
    if term == "changes":
        chosen = set(zip(donors, scenario.recipients, strict=True))
        return c, float(len(chosen ^ set(scenario.incumbent or ()))), rows, 0
    if term == "balance":
        for d in range(len(scenario.donors)):  # u_d <= t
            a = usage[d].copy()
            a[t_col] = -1.0
            rows.append((a, 0.0))
        c[t_col] = 1.0
        return c, 0.0, rows, 0
    if term == "fairness":
        for d in range(len(scenario.donors)):  # lo <= u_d <= hi (every donor can serve)
            a = usage[d].copy()
            a[hi_col] = -1.0
            rows.append((a, 0.0))
            a = -usage[d].copy()
            a[lo_col] = 1.0
            rows.append((a, 0.0))
        c[hi_col], c[lo_col] = 1.0, -1.0
        return c, 0.0, rows, 0
    if term == "assortative":
        strength = _rank_scores(capacity)
        severity = _rank_scores(need)
        for r, d in enumerate(d_index):
            c[r] = strength[d] * severity[r] / n
        return c, 0.0, rows, 0
    raise AssertionError(term)


def _rank_scores(values: np.ndarray) -> np.ndarray:
    """Average ranks / count (ties share their mean rank)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = np.zeros(len(values))
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j + 2) / 2.0
        i = j + 1
    return ranks / len(values)


def _pair_set_best(
    scenario: Scenario,
    donors: tuple[str, ...],
    weights: dict[str, float],
    caps: list[tuple[dict[str, float], float]],
) -> float | None:
    """min sum_t weights[t] x term_t over the shares of this pair set, with each cap
    (weights, b) holding sum weights x term <= b; None when the caps leave nothing."""
    from scipy.optimize import linprog

    n = len(scenario.recipients)
    need = np.asarray(scenario.need, dtype=float)
    capacity = np.asarray(scenario.capacity, dtype=float)
    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    for d, name in enumerate(scenario.donors):  # capacity
        a = np.zeros(n + 4)
        for r, chosen in enumerate(donors):
            if chosen == name:
                a[r] = need[r]
        a_ub.append(a)
        b_ub.append(float(capacity[d]))

    def combined(ws: dict[str, float]) -> tuple[np.ndarray, float]:
        c, constant = np.zeros(n + 4), 0.0
        for term, w in ws.items():
            tc, tk, rows, _ = _term_rows(scenario, donors, term)
            c += w * tc
            constant += w * tk
            for a, b in rows:
                a_ub.append(a)
                b_ub.append(b)
        return c, constant

    c, constant = combined(weights)
    for ws, bound in caps:
        cc, ck = combined(ws)
        a_ub.append(cc)
        b_ub.append(bound - ck)
    bounds = [(0.0, 1.0)] * n + [(0.0, 1.0), (0.0, None), (0.0, None), (0.0, None)]
    lp = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if lp.status != 0:
        return None
    # The solver's values may sit just outside their bounds (a share of -2e-8): clipped,
    # the value is that of a point that really is a pairing's.
    lower = np.array([b[0] for b in bounds])
    upper = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    return float(c @ np.clip(lp.x, lower, upper)) + constant


def _best_under(
    scenario: Scenario,
    pair_sets: list[tuple[str, ...]],
    weights: dict[str, float],
    caps: list[tuple[dict[str, float], float]],
) -> float:
    """The least value over the pair sets; a cap at the previous level's optimum can be
    just out of reach of an LP's own tolerance, so it is widened a little until one fits."""
    for widen in (0.0, 1e-9, 1e-7):
        wider = [(ws, b + widen * max(1.0, abs(b))) for ws, b in caps]
        values = [
            v for s in pair_sets if (v := _pair_set_best(scenario, s, weights, wider)) is not None
        ]
        if values:
            return min(values)
    raise AssertionError(f"no pair set meets the earlier levels: {caps}, {weights}")


def check_short(case: tuple[Scenario, str]) -> None:
    from pairing_opt.scenario.measures import term_normaliser

    scenario, text = case
    objective = scenario.objective
    budget = scenario.rules.max_changes
    pair_sets = [
        donors
        for donors in itertools.product(scenario.donors, repeat=len(scenario.recipients))
        if budget is None
        or len(set(zip(donors, scenario.recipients, strict=True)) ^ set(scenario.incumbent or ()))
        <= budget
    ]
    result = po.solve(scenario)
    if not pair_sets:
        assert result.status == "infeasible", text
        return
    assert result.status == "optimal", (text, result)
    verified = evaluate(scenario, list(result.pairs))
    assert verified.ok, (text, verified.violations)
    if isinstance(objective, OrderedObjective):
        # Two chains of caps: each level at its optimum exactly (the lexicographic optimum
        # pairopt's final shares are held to, pipeline._held_exactly), and each within
        # pairopt's margin (pipeline.LEVEL_MARGIN: the room in which a level's pair set is
        # chosen). A level's value lies between the two chains' values.
        chains: dict[float, list[tuple[dict[str, float], float]]] = {0.0: [], 1e-7: []}
        for level in objective.order:
            sign = -1.0 if maximised(level.term) else 1.0
            ws = {level.term: sign}
            unit = term_normaliser(scenario, level.term)
            bests = {}
            for margin, caps in chains.items():
                best = _best_under(scenario, pair_sets, ws, caps)
                bests[margin] = best
                caps.append((ws, best + margin * max(abs(best), unit)))
            got = sign * verified.value(term_objective(level.term))
            low, high = min(bests.values()), max(bests.values())
            # Up to the LPs' tolerances, in the term's own unit: pairopt holds a level
            # within 1e-7 of its unit, 1e-5 when it must widen (pipeline._solve_level); a
            # wrong model is off by a good fraction of it.
            slack = 1e-6 * max(abs(low), abs(high)) + 2e-5 * unit
            assert low - slack <= got <= high + slack, (text, level.term, got, bests)
        return
    if isinstance(objective, str):
        weights = {objective: -1.0 if maximised(objective) else 1.0}
    else:
        weights = {
            t: w.weight
            / (w.scale or term_normaliser(scenario, t))
            * (-1.0 if maximised(t) else 1.0)
            for t, w in objective.terms.items()
        }
    best = min(v for s in pair_sets if (v := _pair_set_best(scenario, s, weights, [])) is not None)
    sign = -1.0 if maximised(objective) else 1.0
    assert _close(sign * verified.score(objective), best), (text, best, result.pairs)


@settings(max_examples=examples(0.1))
@given(short_cases())
def test_shortfall_objectives_match_bruteforce(case: tuple[Scenario, str]) -> None:
    check_short(case)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@settings(max_examples=examples(1.0))
@given(short_cases())
def test_shortfall_objectives_match_bruteforce_slow(case: tuple[Scenario, str]) -> None:
    check_short(case)


def _case(
    capacity: list[float],
    donor_lon: list[float],
    need: list[float],
    recipient_lon: list[float],
    text: str,
    donor_lat: list[float] | None = None,
    recipient_lat: list[float] | None = None,
) -> tuple[Scenario, str]:
    donors = pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(len(capacity))],
            "capacity": capacity,
            "lat": donor_lat or [25.0] * len(capacity),
            "lon": donor_lon,
        }
    )
    recipients = pd.DataFrame(
        {
            "id": [f"r{j}" for j in range(len(need))],
            "need": need,
            "lat": recipient_lat or [25.0] * len(need),
            "lon": recipient_lon,
        }
    )
    scenario = Scenario.from_frames(donors, recipients, objective=parse_objective(text))
    incumbent = tuple(("D0", f"r{j}") for j in range(len(need)))
    return replace(scenario, incumbent=incumbent), text


# Found by the property tests: HiGHS 1.16 stopped with 'Solve error' on the first three
# (a MIP solution 1e-6 outside a bound, rejected at 1e-7; the strict tolerance); the
# orders came back infeasible or off when their levels ran at the default tolerance.
FOUND = {
    "fairness-presolve": _case(
        [3, 6, 7],
        [105, 106, 105],
        [1, 1, 5],
        [106, 105, 105],
        "distance=6,fairness=7",
        donor_lat=[25, 25, 26],
        recipient_lat=[25, 26, 26],
    ),
    "fairness-mip-tolerance": _case(
        [3, 6, 7],
        [105, 106, 105],
        [1, 1, 5],
        [106, 105, 105],
        "distance=7,fairness=7",
        donor_lat=[25, 25, 26],
        recipient_lat=[25, 26, 26],
    ),
    "fairness-strict": _case([3, 4], [105, 105], [3, 5], [105, 106], "shortfall=8,fairness=1"),
    "order-tolerance": _case(
        [1, 2], [105, 106], [2, 6], [107, 106], "shortfall,weighted_distance,max_shortfall"
    ),
    "order-bound-noise": _case(
        [1, 1], [105, 106], [4, 6], [105, 106], "shortfall,weighted_distance,max_shortfall"
    ),
}


@pytest.mark.parametrize("name", list(FOUND))
def test_found_by_property(name: str) -> None:
    case = FOUND[name]
    check_short(case) if "shortfall" in case[1] else check(case)
