"""Conflicts found before solving name who causes them, and are never wrong.

Each message names the donors and recipients involved, the rule(s), and ends with what
could be relaxed (checks/diagnose.py). The counting tests (thresholds, Hall-type groups,
forced loads and counts) are checked for soundness against an exhaustive search on tiny
scenarios: whenever `conflicts()` reports anything, no pairing satisfies the rules.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, milp  # type: ignore[import-untyped]

from pairing_opt import Scenario
from pairing_opt.checks.diagnose import conflicts, summary
from pairing_opt.engine.pipeline import solve
from pairing_opt.errors import InfeasibleError
from pairing_opt.report.check import check_text
from pairing_opt.report.render import CheckReport, render

from . import examples
from .builders import one_place_scenario

_scenario = one_place_scenario


def _one(messages: list[str], start: str) -> str:
    found = [m for m in messages if m.startswith(start)]
    assert len(found) == 1, messages
    return found[0]


# --------------------------------------------------------------------------- the issue


def _issue_case() -> Scenario:
    """8 recipients each need more than 25.9 and only 7 donors have that much; the other
    donors (capacity 20) have room for the small needs only."""
    capacity = {f"Big{i}": 30.0 for i in range(7)} | {f"Small{i}": 20.0 for i in range(5)}
    need = {f"City{i}": 26.0 + i / 10 for i in range(8)} | {f"Town{i}": 5.0 for i in range(4)}
    return _scenario(capacity, need)


def test_the_issue_case_is_a_conflict_before_any_solve() -> None:
    scenario = _issue_case()
    # No check of a single row or of the totals finds it: total capacity 310 > need 229.
    message = _one(conflicts(scenario), "8 recipients each need at least 26 ")
    for i in range(8):
        assert f"City{i}" in message
    assert "Town" not in message and "Small" not in message
    assert "only 7 donor(s)" in message and "can take at most 7 of them" in message
    for i in range(7):
        assert f"Big{i} (room for 1)" in message
    assert message.endswith("Relax donors_per_recipient max (to share needs), or add capacity.")
    # `pairopt check` and solve report it too.
    info = summary(scenario)
    assert message in info["conflicts"]  # type: ignore[operator]
    assert f"  - {message}\n" in check_text(info)
    with pytest.raises(InfeasibleError) as raised:
        solve(scenario)
    assert message in raised.value.reasons


def test_threshold_with_shares_counts_fractions() -> None:
    # Each city needs 10; A and B may take one recipient each (whole), C has room for 40%
    # of one need: 2.4 needs at most, and 3 must be covered.
    scenario = _scenario(
        {"A": 50, "B": 50, "C": 4},
        {"X": 10, "Y": 10, "Z": 10},
        {"donors_per_recipient": {"min": 1, "max": 3}, "recipients_per_donor": {"max": 1}},
    )
    message = _one(conflicts(scenario), "3 recipients each need at least 10 ")
    assert "covered in full: X, Y, Z" in message
    assert "A (up to 1), B (up to 1), C (up to 0.4)" in message
    assert "can cover at most 2.4 of these 3 needs" in message
    assert "recipients_per_donor max" in message


# --------------------------------------------------------------------------- capacity


def test_out_of_reach_names_the_best_donors() -> None:
    scenario = _scenario(
        {"A": 3, "B": 4, "C": 1},
        {"X": 10, "Y": 1},
        {"donors_per_recipient": {"min": 1, "max": 2}},
    )
    message = _one(conflicts(scenario), "recipient X needs 10")
    assert "its 2 best allowed donor(s), B (4 available for a load of 10), A (3 available" in (
        message
    )
    assert "can cover only 70.0% of it" in message and "(donors_per_recipient max 2)" in message
    assert "Relax donors_per_recipient max" in message


def test_min_share_forces_a_donor_over_capacity_and_says_so() -> None:
    scenario = _scenario(
        {"A": 10, "B": 100},
        {"X": 30, "Y": 30},
        {
            "donors_per_recipient": {"min": 1, "max": 3},
            "min_share": 0.2,
            "fixed": [{"donor": "A", "recipient": "X"}, {"donor": "A", "recipient": "Y"}],
        },
    )
    message = _one(conflicts(scenario), "donor A must carry at least 12 ")
    assert "(fixed pairs, min_share 0.2) but has only 10 available" in message
    assert "X 6 (fixed pair, min_share 0.2 of 30), Y 6 (fixed pair, min_share 0.2 of 30)" in (
        message
    )
    assert "Relax the fixed pairs or min_share, or add capacity to A." in message


def test_forced_load_counts_recipients_with_no_other_donor() -> None:
    # X can only go to A (the pair table), Y must go to A too (B has no room for it): A
    # must carry 6 + 7 > 10, although each fits A alone.
    pairs = [
        {"donor": "A", "recipient": "X"},
        {"donor": "A", "recipient": "Y"},
        {"donor": "B", "recipient": "Y"},
    ]
    scenario = _scenario({"A": 10, "B": 5}, {"X": 6, "Y": 7}, pairs=pairs)
    message = _one(conflicts(scenario), "donor A must carry at least 13 ")
    assert "Y 7 (no other allowed donor has room for it, whole need)" in message
    assert "X 6 (its only allowed donor, whole need)" in message


def test_min_load_that_cannot_be_reached_is_named() -> None:
    donors = pd.DataFrame({"id": ["A", "B"], "capacity": [100, 100], "least": ["30", ""]})
    recipients = pd.DataFrame({"id": ["X", "Y", "Z"], "need": [10, 12, 5]})
    scenario = Scenario.from_frames(
        donors,
        recipients,
        rules={"recipients_per_donor": {"max": 2}},
        donor_columns={"min_load": "least"},
        objective="balance",
    )
    message = _one(conflicts(scenario), "donor A must carry at least 30 (its min_load)")
    assert "can carry at most 22" in message
    assert "its 2 largest allowed recipient(s) add up to 22 (Y 12, X 10)" in message
    assert "recipients_per_donor max 2" in message


def test_total_capacity_names_the_largest_needs_and_donors() -> None:
    scenario = _scenario({"A": 5, "B": 3}, {"X": 4, "Y": 4, "Z": 2}, {"reserve": 0.0})
    message = _one(conflicts(scenario), "total need (load 10 at the least)")
    assert "exceeds the total available capacity 8 of the 2 donor(s)" in message
    assert "least loads X 4, Y 4, Z 2; the donors' available capacity A 5, B 3." in message


def test_shortfall_price_is_no_capacity_conflict() -> None:
    # With need allowed to go uncovered, too little capacity is a price, not a conflict.
    scenario = _scenario(
        {"A": 1, "B": 1},
        {"X": 10, "Y": 10, "Z": 10},
        {"coverage": {"shortfall_penalty": 5}, "donors_per_recipient": {"min": 0, "max": 1}},
    )
    assert conflicts(scenario) == []


# --------------------------------------------------------------------------- counts


def test_count_totals_name_the_limiting_donors() -> None:
    pairs = [{"donor": d, "recipient": r} for d in "AB" for r in "XYZ"]
    pairs += [{"donor": "C", "recipient": "X"}]
    scenario = _scenario(
        {"A": 9, "B": 9, "C": 9},
        {"X": 1, "Y": 1, "Z": 1},
        {"donors_per_recipient": 2, "recipients_per_donor": {"max": 2}},
        pairs=pairs,
    )
    message = _one(conflicts(scenario), "the 3 recipients (X, Y, Z) need at least 6 pairs")
    assert "(donors_per_recipient min 2) but the 3 donors can take at most 5" in message
    assert "A 2, B 2 (recipients_per_donor max); C 1 (as many as they have allowed" in message


def test_donor_must_take_its_forced_recipients() -> None:
    # X and Y can only use A; Z is fixed to A; A may take two.
    pairs = [{"donor": "A", "recipient": r} for r in "XYZ"] + [{"donor": "B", "recipient": "Z"}]
    scenario = _scenario(
        {"A": 99, "B": 99},
        {"X": 1, "Y": 1, "Z": 1},
        {"recipients_per_donor": {"max": 2}, "fixed": [{"donor": "A", "recipient": "Z"}]},
        pairs=pairs,
    )
    message = _one(conflicts(scenario), "donor A must take at least 3 recipients")
    assert "more than recipients_per_donor max 2" in message
    assert "X (its only allowed donor), Y (its only allowed donor), Z (fixed pair)" in message
    assert "Relax recipients_per_donor max" in message and "the fixed pairs" in message


def test_recipient_must_take_donors_that_have_no_one_else() -> None:
    # Donors A and B must each take one recipient and X is the only one they may serve.
    pairs = [{"donor": d, "recipient": "X"} for d in "ABC"] + [{"donor": "C", "recipient": "Y"}]
    scenario = _scenario(
        {"A": 99, "B": 99, "C": 99},
        {"X": 1, "Y": 1},
        {"recipients_per_donor": {"min": 1}},
        pairs=pairs,
    )
    message = _one(conflicts(scenario), "recipient X must take at least 2 donors")
    assert "more than donors_per_recipient max 1" in message
    assert "A (X is its only allowed recipient: recipients_per_donor min 1)" in message
    assert "B (X is its only allowed recipient" in message


def test_recipients_that_share_few_donors_are_named_together() -> None:
    # Three cities in the west can only use W1 and W2 (one city each); the east is fine.
    west, east = ["W1", "W2"], ["E1", "E2", "E3"]
    pairs = [{"donor": d, "recipient": r} for d in west for r in ("Xa", "Xb", "Xc")]
    pairs += [{"donor": d, "recipient": r} for d in east for r in ("Ya", "Yb")]
    scenario = _scenario(
        dict.fromkeys(west + east, 50),
        {"Xa": 1, "Xb": 1, "Xc": 1, "Ya": 1, "Yb": 1},
        {"recipients_per_donor": {"max": 1}},
        pairs=pairs,
    )
    message = _one(conflicts(scenario), "recipients Xa, Xb, Xc need at least 3 donors")
    assert "their only allowed donors, W1, W2, can take at most 2 of them" in message
    assert "(recipients_per_donor max 1)" in message
    assert not any(m.startswith("the 5 recipients") for m in conflicts(scenario))


def test_nested_neighbourhoods_are_grouped() -> None:
    # Xa may use W1 only, Xb W2 only, Xc either: {Xa, Xb, Xc} need 3 of W1, W2's 2 slots.
    pairs = [
        {"donor": "W1", "recipient": "Xa"},
        {"donor": "W2", "recipient": "Xb"},
        {"donor": "W1", "recipient": "Xc"},
        {"donor": "W2", "recipient": "Xc"},
        {"donor": "E", "recipient": "Y"},
    ]
    scenario = _scenario(
        {"W1": 9, "W2": 9, "E": 9},
        {"Xa": 1, "Xb": 1, "Xc": 1, "Y": 1},
        {"recipients_per_donor": {"max": 1}},
        pairs=pairs,
    )
    message = _one(conflicts(scenario), "recipients Xa, Xb, Xc need at least 3 donors")
    assert "only allowed donors, W1, W2, can take at most 2" in message


def test_unservable_names_the_nearest_and_the_forbidden() -> None:
    donors = pd.DataFrame(
        {"id": ["A", "B", "C"], "capacity": [9, 9, 9], "lat": [30, 30, 30], "lon": [110, 111, 115]}
    )
    recipients = pd.DataFrame({"id": ["X"], "need": [1], "lat": [30], "lon": [110]})
    scenario = Scenario.from_frames(
        donors,
        recipients,
        rules={"max_distance_km": 50, "forbidden": [{"donor": "A", "recipient": "X"}]},
    )
    (message,) = conflicts(scenario)
    assert message.startswith("recipient X can be served by 0 donor(s) but needs 1: ")
    assert "2 donor(s) beyond max_distance_km 50 (the nearest, B, is 96 km away)" in message
    assert "1 forbidden (A)" in message
    assert message.endswith("Relax max_distance_km (to 97 km or more) or the forbidden pairs.")


def test_fixed_pair_too_far_says_how_far_to_relax() -> None:
    donors = pd.DataFrame(
        {"id": ["A", "B"], "capacity": [9, 9], "lat": [30, 30], "lon": [110, 115]}
    )
    recipients = pd.DataFrame({"id": ["X"], "need": [1], "lat": [30], "lon": [110]})
    scenario = Scenario.from_frames(
        donors,
        recipients,
        rules={"max_distance_km": 50, "fixed": [{"donor": "B", "recipient": "X"}]},
    )
    message = _one(conflicts(scenario), "fixed pair B -> X cannot be honoured")
    assert "it is 481 km apart, over max_distance_km 50" in message
    assert message.endswith("Relax the fixed pair or max_distance_km (to 482 km or more).")


def test_one_donor_for_every_resource() -> None:
    # A has room for X's staff, B for its funds, and neither for both.
    donors = pd.DataFrame({"id": ["A", "B"], "staff": [10, 2], "funds": [1, 10]})
    recipients = pd.DataFrame({"id": ["X"], "staff": [5], "funds": [5]})
    scenario = Scenario.from_frames(
        donors, recipients, resources=["staff", "funds"], objective="balance"
    )
    message = _one(conflicts(scenario), "recipient X needs 5 of staff, 5 of funds from one donor")
    assert "none of its allowed donors (A, B) has room for all of it" in message


def test_every_message_ends_with_what_to_relax() -> None:
    for scenario in (_issue_case(), _crowded_west()):
        for message in conflicts(scenario):
            assert "\n" not in message
            assert " Relax " in message or " Add " in message, message
            assert message.endswith("."), message


def _crowded_west() -> Scenario:
    pairs = [{"donor": d, "recipient": r} for d in ("W1", "W2") for r in ("Xa", "Xb", "Xc")]
    return _scenario(
        {"W1": 5, "W2": 5, "E": 5},
        {"Xa": 4, "Xb": 4, "Xc": 4},
        {"recipients_per_donor": {"max": 1}, "fixed": [{"donor": "E", "recipient": "Xa"}]},
        pairs=[*pairs, {"donor": "E", "recipient": "Xa"}],
    )


# --------------------------------------------------------------------------- check totals


def _two_resources(rules: dict[str, Any]) -> Scenario:
    donors = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "staff": [600, 600, 100],
            "funds": [10, 20, 5],
            "lat": 30.0,
            "lon": 110.0,
        }
    )
    recipients = pd.DataFrame(
        {"id": ["X", "Y"], "staff": [500, 450], "funds": [40, 0], "lat": 30.0, "lon": 110.0}
    )
    return Scenario.from_frames(donors, recipients, resources=["staff", "funds"], rules=rules)


def test_check_totals_per_resource() -> None:
    scenario = _two_resources(
        {"reserve": 0.1, "exclude_donors": ["C"], "coverage": {"shortfall_penalty": {"funds": 600}}}
    )
    info = summary(scenario)
    # The top-level totals stay the first resource's.
    assert (info["total_capacity"], info["available_capacity"], info["total_need"]) == (
        1200,
        1080,
        950,
    )
    totals = info["resources"]
    assert isinstance(totals, list)
    staff, funds = totals
    assert staff == {
        "name": "staff",
        "total_capacity": 1200,
        "available_capacity": 1080,
        "total_need": 950,
        "need_share_of_available": pytest.approx(950 / 1080),
        "coverage": "full",
    }
    assert funds["name"] == "funds" and funds["coverage"] == 600
    assert (funds["total_capacity"], funds["available_capacity"], funds["total_need"]) == (
        30,
        pytest.approx(27),
        40,
    )
    # Funds fall short, but at a price: no conflict.
    assert info["conflicts"] == []
    text = check_text(info)
    assert "total capacity:" not in text and "total need:" not in text
    assert (
        "resources:          staff, funds\n"
        "  staff:            capacity 1200 (available 1080); need 950 (88.0% of available); "
        "covered in full\n"
        "  funds:            capacity 30 (available 27); need 40 (148.1% of available); "
        "shortfall priced at 600 per unit\n"
        "conflicts:          none found (the solver decides the rest)\n"
    ) in text
    content = render(CheckReport(info), "json")
    assert isinstance(content, str)
    data = json.loads(content)
    assert data["total_need"] == 950 and [r["name"] for r in data["resources"]] == [
        "staff",
        "funds",
    ]
    assert [r["coverage"] for r in data["resources"]] == ["full", 600]


def test_check_capacity_conflicts_only_for_resources_covered_in_full() -> None:
    # Staff and funds both fall short in total: only staff, covered in full, is a conflict.
    scenario = _two_resources({"reserve": 0.6, "coverage": {"shortfall_penalty": {"funds": 600}}})
    messages = conflicts(scenario)
    assert messages and all("of staff" in m for m in messages), messages
    assert not any("funds" in m for m in messages)
    assert "total need of staff" in "\n".join(messages)
    unpriced = conflicts(_two_resources({"reserve": 0.6}))
    assert _one(unpriced, "total need of funds (load 40 at the least)")


def test_check_single_resource_says_need_may_go_uncovered() -> None:
    scenario = _scenario(
        {"A": 5, "B": 3}, {"X": 6, "Y": 4}, {"coverage": {"shortfall_penalty": 600}}
    )
    info = summary(scenario)
    assert info["resources"] == [
        {
            "name": None,
            "total_capacity": 8,
            "available_capacity": 8,
            "total_need": 10,
            "need_share_of_available": 1.25,
            "coverage": 600,
        }
    ]
    assert check_text(info) == (
        "scenario:           scenario\n"
        "donors:             2 (0 excluded)\n"
        "recipients:         2\n"
        "pairs allowed:      4 of 4\n"
        "total capacity:     8 (available after reserve: 8)\n"
        "total need:         10 (125.0% of available)\n"
        "coverage:           need may go uncovered at 600 per unit (rules.coverage shortfall "
        "price)\n"
        "conflicts:          none found (the solver decides the rest)\n"
    )
    # Covered in full: the lines stay as they were, and the shortfall is a conflict.
    text = check_text(summary(_scenario({"A": 5, "B": 3}, {"X": 6, "Y": 4})))
    assert "total need:         10 (125.0% of available)\nconflicts:          2 " in text
    assert "coverage:" not in text


# --------------------------------------------------------------------------- soundness


@st.composite
def _tiny(draw: st.DrawFn, shares: bool) -> dict[str, Any]:
    """A tiny scenario (at most 4 donors x 4 recipients, 3 x 3 with shares) near the edge of
    feasibility: small capacities, count limits, and sometimes a pair table with loads,
    fixed and forbidden pairs, an excluded donor, per-row rules (max_recipients,
    min_recipients, min_load, min_donors, max_donors), a reserve, two resources, and a
    shortfall price on one resource."""
    top = 3 if shares else 4
    n_d, n_r = draw(st.integers(1, top)), draw(st.integers(1, top))
    plain = draw(st.booleans())  # capacities, loads and counts only: the counting tests
    k = 1 if plain else draw(st.sampled_from([1, 1, 2]))
    donors = [f"D{i}" for i in range(n_d)]
    recipients = [f"R{j}" for j in range(n_r)]
    room = draw(st.sampled_from([8, 12, 20, 30]))  # tight to loose
    cap = [[draw(st.integers(0, room)) for _ in range(k)] for _ in donors]
    need = [[draw(st.integers(0, 8)) for _ in range(k)] for _ in recipients]
    pairs = None
    if draw(st.booleans()):
        keep = [(d, r) for d in range(n_d) for r in range(n_r) if draw(st.integers(0, 3)) > 0] or [
            (0, 0)
        ]
        loads = draw(st.booleans())
        pairs = [
            {"donor": d, "recipient": r}
            | ({"load": [draw(st.integers(0, 10)) for _ in range(k)]} if loads else {})
            for d, r in keep
        ]
    rpd_min = draw(st.sampled_from([0, 0, 0, 1]))
    rpd_max = draw(st.one_of(st.none(), st.integers(rpd_min, 3)))
    rules: dict[str, Any] = {
        "recipients_per_donor": {"min": rpd_min, "max": rpd_max},
        "reserve": draw(st.sampled_from([0.0, 0.0, 0.25])),
    }
    rows: dict[str, list[str]] = {
        "max_recipients": [draw(st.sampled_from(["", "", "1", "2"])) for _ in donors],
        "min_recipients": [""] * n_d,
        "min_load": [draw(st.sampled_from(["", "", "", "", "3", "8"])) for _ in donors],
        "min_donors": [""] * n_r,
        "max_donors": [""] * n_r,
    }
    for i in range(n_d):  # a row's own minimum, at most its maximum
        high = rows["max_recipients"][i]
        low = draw(st.sampled_from(["", "", "", "0", "1", "2"]))
        if low and int(low) <= (int(high) if high else (rpd_max if rpd_max is not None else 9)):
            rows["min_recipients"][i] = low
        elif rpd_min > (int(high) if high else 9):
            rows["max_recipients"][i] = ""
    if shares:
        low = draw(st.sampled_from([0, 1, 1, 2]))
        dpr_max = draw(st.sampled_from([2, 3, None]))
        rules["donors_per_recipient"] = {"min": low, "max": dpr_max}
        rules["min_share"] = draw(st.sampled_from([0.0, 0.0, 0.25, 0.4]))
        if rules["min_share"] * low > 1:
            rules["min_share"] = 0.0
        for j in range(n_r):
            row_low = draw(st.sampled_from(["", "", "", "0", "1", "2", "3"]))
            row_high = draw(st.sampled_from(["", "", "", "1", "2", "3"]))
            lo = int(row_low) if row_low else low
            hi = int(row_high) if row_high else (dpr_max if dpr_max is not None else 9)
            if lo <= hi:
                rows["min_donors"][j], rows["max_donors"][j] = row_low, row_high
        if draw(st.sampled_from([False, False, True])):
            rules["coverage"] = {"shortfall_penalty": {"staff": 5} if k > 1 else 5}
    else:
        rules["donors_per_recipient"] = draw(st.sampled_from([1, {"min": 0, "max": 1}]))
        low = rules["donors_per_recipient"] if isinstance(rules["donors_per_recipient"], int) else 0
        for j in range(n_r):
            rows["max_donors"][j] = draw(st.sampled_from(["", "", "", "", "0", "1"]))
            if rows["max_donors"][j] == "0" and low > 0:
                rows["max_donors"][j] = ""
    allowed = [(d, r) for d in range(n_d) for r in range(n_r)]
    if pairs is not None:
        allowed = [(p["donor"], p["recipient"]) for p in pairs]
    fixed = draw(st.lists(st.sampled_from(allowed), max_size=2, unique=True))
    free = [p for p in allowed if p not in fixed]
    forbidden = draw(st.lists(st.sampled_from(free), max_size=2, unique=True)) if free else []
    used = {d for d, _ in fixed}
    excluded = draw(
        st.lists(st.sampled_from([d for d in range(n_d) if d not in used] or [-1]), max_size=1)
    )
    rules["fixed"] = [{"donor": donors[d], "recipient": recipients[r]} for d, r in fixed]
    rules["forbidden"] = [{"donor": donors[d], "recipient": recipients[r]} for d, r in forbidden]
    rules["exclude_donors"] = [donors[d] for d in excluded if d >= 0]
    if k > 1:
        rows["min_load"] = [""] * n_d  # one resource's column only, kept simple
    if plain:
        rows = {key: [""] * len(values) for key, values in rows.items()}
        rules |= {"fixed": [], "forbidden": [], "exclude_donors": []}
        rules.pop("coverage", None)
    return {
        "donors": donors,
        "recipients": recipients,
        "cap": cap,
        "need": need,
        "pairs": pairs,
        "rules": rules,
        "rows": rows,
        "k": k,
    }


def _build(case: dict[str, Any]) -> Scenario:
    k = case["k"]
    names = ["staff", "funds"][:k]
    donors: dict[str, Any] = {"id": case["donors"]}
    recipients: dict[str, Any] = {"id": case["recipients"]}
    for i, name in enumerate(names if k > 1 else ["capacity"]):
        donors[name] = [c[i] for c in case["cap"]]
    for i, name in enumerate(names if k > 1 else ["need"]):
        recipients[name] = [n[i] for n in case["need"]]
    rows = case["rows"]
    donors |= {"max_r": rows["max_recipients"], "min_r": rows["min_recipients"]}
    donors["least"] = rows["min_load"]
    recipients |= {"min_d": rows["min_donors"], "max_d": rows["max_donors"]}
    columns: dict[str, Any] = {"max_recipients": "max_r", "min_recipients": "min_r"}
    if k == 1:
        columns["min_load"] = "least"
    table = None
    if case["pairs"] is not None:
        lines = []
        for p in case["pairs"]:
            line = {
                "donor": case["donors"][p["donor"]],
                "recipient": case["recipients"][p["recipient"]],
            }
            if "load" in p:
                if k > 1:
                    line |= {f"load_{n}": p["load"][i] for i, n in enumerate(names)}
                else:
                    line["load"] = p["load"][0]
            lines.append(line)
        table = pd.DataFrame(lines)
    return Scenario.from_frames(
        pd.DataFrame(donors),
        pd.DataFrame(recipients),
        table,
        rules=case["rules"],
        donor_columns=columns,
        recipient_columns={"min_donors": "min_d", "max_donors": "max_d"},
        resources=names if k > 1 else None,
        objective="balance",
    )


def _plain(case: dict[str, Any]) -> dict[str, Any]:
    """The case as the brute force reads it, from the raw data (no pairopt code)."""
    rules, k, rows = case["rules"], case["k"], case["rows"]
    n_d, n_r = len(case["donors"]), len(case["recipients"])
    reserve = rules["reserve"]
    avail = [[c * (1 - reserve) for c in row] for row in case["cap"]]
    need = case["need"]
    excluded = {case["donors"].index(d) for d in rules["exclude_donors"]}
    forbidden = {
        (case["donors"].index(p["donor"]), case["recipients"].index(p["recipient"]))
        for p in rules["forbidden"]
    }
    fixed = {
        (case["donors"].index(p["donor"]), case["recipients"].index(p["recipient"]))
        for p in rules["fixed"]
    }
    load: dict[tuple[int, int], list[float]] = {}
    listed = case["pairs"] or [{"donor": d, "recipient": r} for d in range(n_d) for r in range(n_r)]
    for p in listed:
        d, r = p["donor"], p["recipient"]
        if d in excluded or (d, r) in forbidden:
            continue
        given = p.get("load")
        load[d, r] = [
            0.0 if need[r][i] <= 0 else float(given[i] if given is not None else need[r][i])
            for i in range(k)
        ]
    rpd, dpr = rules["recipients_per_donor"], rules["donors_per_recipient"]
    if isinstance(dpr, int):
        dpr = {"min": dpr, "max": dpr}

    def per_row(column: list[str], default: float | None) -> list[float]:
        fallback = math.inf if default is None else float(default)
        return [float(v) if v else fallback for v in column]

    price = rules.get("coverage", {}).get("shortfall_penalty")
    priced = [
        price is not None and (not isinstance(price, dict) or n == "staff")
        for n in ["staff", "funds"][:k]
    ]
    return {
        "n_d": n_d,
        "n_r": n_r,
        "k": k,
        "avail": avail,
        "need": need,
        "load": load,
        "fixed": fixed,
        "excluded": excluded,
        "least_d": per_row(rows["min_recipients"], rpd["min"]),
        "most_d": per_row(rows["max_recipients"], rpd["max"]),
        "least_r": per_row(rows["min_donors"], dpr.get("min", 0)),
        "most_r": per_row(rows["max_donors"], dpr.get("max")),
        "least_load": per_row(rows["min_load"], 0) if k == 1 else [0.0] * n_d,
        "min_share": rules.get("min_share", 0.0),
        "priced": priced,
    }


def _fits(value: float, limit: float) -> bool:
    return value <= limit + 1e-9 * max(1.0, abs(limit))


def _feasible(p: dict[str, Any]) -> bool:
    """Whether any pairing satisfies the rules: by enumeration when every recipient has at
    most one donor and every need is covered in full (then a donor covers a whole need),
    else by a small MILP."""
    if max(p["most_r"]) <= 1 and not any(p["priced"]):
        return _single_feasible(p)
    return _shares_feasible(p)


def _single_feasible(p: dict[str, Any]) -> bool:
    """One donor per recipient: try every assignment of recipients to donors."""
    n_d, n_r, k = p["n_d"], p["n_r"], p["k"]
    options: list[list[int | None]] = []
    for r in range(n_r):
        mine: list[int | None] = [d for d in range(n_d) if (d, r) in p["load"]]
        needy = any(x > 0 for x in p["need"][r])
        low = 1 if needy else p["least_r"][r]
        high = p["most_r"][r]
        options.append(([] if low >= 1 else [None]) + (mine if high >= 1 else []))
    for choice in itertools.product(*options):
        used = {(d, r) for r, d in enumerate(choice) if d is not None}
        if not p["fixed"] <= used:
            continue
        ok = True
        for d in range(n_d):
            mine_r = [r for r, dd in enumerate(choice) if dd == d]
            if d not in p["excluded"] and not p["least_d"][d] <= len(mine_r) <= p["most_d"][d]:
                ok = False
                break
            for i in range(k):
                carried = sum(p["load"][d, r][i] for r in mine_r)
                if not _fits(carried, p["avail"][d][i]):
                    ok = False
                if i == 0 and d not in p["excluded"] and not _fits(p["least_load"][d], carried):
                    ok = False
        if ok:
            return True
    return False


def _shares_feasible(p: dict[str, Any]) -> bool:
    """A small MILP over pair choices x and fractions f, written from the rules (solved by
    scipy's own HiGHS)."""
    pairs = sorted(p["load"])
    n, k = len(pairs), p["k"]
    n_cols = n * (1 + k)  # x_p, then f_pk

    def f(i: int, res: int) -> int:
        return n + res * n + i

    rows, lo, hi = [], [], []

    def add(coef: dict[int, float], a: float, b: float) -> None:
        row = np.zeros(n_cols)
        for c, v in coef.items():
            row[c] += v
        rows.append(row)
        lo.append(a)
        hi.append(b)

    for r in range(p["n_r"]):
        mine = [i for i, (_, rr) in enumerate(pairs) if rr == r]
        add(dict.fromkeys(mine, 1.0), p["least_r"][r], p["most_r"][r])
        for res in range(k):
            if p["need"][r][res] > 0:
                add({f(i, res): 1.0 for i in mine}, 0.0 if p["priced"][res] else 1.0, 1.0)
    for i, (_, r) in enumerate(pairs):
        for res in range(k):
            add({f(i, res): 1.0, i: -1.0}, -math.inf, 0.0)
            if p["need"][r][res] > 0 and p["min_share"] > 0:
                add({f(i, res): 1.0, i: -p["min_share"]}, 0.0, math.inf)
    for d in range(p["n_d"]):
        mine = [i for i, (dd, _) in enumerate(pairs) if dd == d]
        if d not in p["excluded"]:
            add(dict.fromkeys(mine, 1.0), p["least_d"][d], p["most_d"][d])
        for res in range(k):
            coef = {f(i, res): p["load"][pairs[i]][res] for i in mine}
            least = p["least_load"][d] if res == 0 and d not in p["excluded"] else 0.0
            add(coef, least, p["avail"][d][res])
    if not p["fixed"] <= set(pairs):
        return False
    if n_cols == 0:  # no pair at all: only rows that allow nothing hold
        return all(a <= 0 <= b for a, b in zip(lo, hi, strict=True))
    lb = np.zeros(n_cols)
    for i, pair in enumerate(pairs):
        if pair in p["fixed"]:
            lb[i] = 1.0
    integrality = np.zeros(n_cols)
    integrality[:n] = 1
    result = milp(
        np.zeros(n_cols),
        constraints=LinearConstraint(np.array(rows), np.array(lo), np.array(hi)),
        integrality=integrality,
        bounds=(lb, np.ones(n_cols)),
    )
    assert result.status in (0, 2), result.message
    return bool(result.status == 0)


_KINDS = (
    ("can be served by", "too few donors"),
    ("cannot be honoured", "fixed pair not allowed"),
    ("must take at least", "forced count"),
    ("has a need to cover in full", "forced count"),
    ("each covering at least min_share", "forced count"),
    ("best allowed donor", "out of reach"),
    ("has room for all", "out of reach"),
    ("(its min_load)", "min_load"),
    ("must carry at least", "forced load"),
    ("total need", "total capacity"),
    ("each need at least", "threshold"),
    ("between them", "group count"),
    ("pairs (", "count totals"),
    ("cannot be met by", "count minimum"),
)


def _kind(message: str) -> str:
    return next((kind for text, kind in _KINDS if text in message), "other")


def _check_sound(case: dict[str, Any]) -> None:
    scenario = _build(case)
    found = conflicts(scenario)
    note(f"case: {case}")
    note(f"conflicts: {found}")
    if not found:
        event("no conflict")
        return
    kinds = {_kind(message) for message in found}
    for kind in kinds:
        event(f"conflict: {kind}" + (" (alone)" if len(kinds) == 1 else ""))
    assert not _feasible(_plain(case)), f"a feasible scenario was called infeasible: {found}"


@settings(max_examples=examples(0.5))
@given(case=_tiny(shares=False))
def test_conflicts_are_sound_with_one_donor_per_recipient(case: dict[str, Any]) -> None:
    _check_sound(case)


@settings(max_examples=examples(0.3))
@given(case=_tiny(shares=True))
def test_conflicts_are_sound_with_shares(case: dict[str, Any]) -> None:
    _check_sound(case)


def test_fixed_donors_filling_the_maximum_must_cover_the_need() -> None:
    """A city whose fixed donors fill donors_per_recipient max can only be covered by
    them: check says so, naming them, before any solve."""
    scenario = Scenario.from_frames(
        {"id": ["A", "B", "C"], "capacity": [40, 40, 500]},
        {"id": ["X"], "need": [100]},
        rules={
            "donors_per_recipient": {"min": 1, "max": 2},
            "fixed": [{"donor": "A", "recipient": "X"}, {"donor": "B", "recipient": "X"}],
        },
        objective="balance",
    )
    (reason,) = conflicts(scenario)
    assert reason.startswith("recipient X needs 100, but its fixed donors, A (40 available")
    assert "donors_per_recipient max 2 and can cover only 80.0%" in reason
