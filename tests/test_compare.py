"""compare on small in-memory pairings, with numbers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pairing_opt.checks.compare import (
    Comparison,
    LoadDifference,
    PairEntry,
    RecipientChange,
    ShareDifference,
    compare,
)
from pairing_opt.checks.verify import Assignment
from pairing_opt.io.pairings import PairingRow
from pairing_opt.report.comparison import (
    comparison_markdown,
    comparison_to_dict,
    comparison_to_text,
)
from pairing_opt.scenario.scenario import Scenario

from .conftest import scenario_from_columns as scenario


def rows(*pairs: tuple[str, str] | tuple[str, str, float | None]) -> list[PairingRow]:
    return [PairingRow(p[0], p[1], p[2] if len(p) == 3 else None) for p in pairs]


def two_by_two(**spec: Any) -> Scenario:
    """Donors P (capacity 3) and Q (10); recipients X (need 2) and Y (need 4).

    km   X    Y
    P    100  300
    Q    200  50
    """
    return scenario(
        {"id": ["P", "Q"], "cap": [3, 10]},
        {"id": ["X", "Y"], "need": [2, 4]},
        {
            "donor": ["P", "P", "Q", "Q"],
            "recipient": ["X", "Y", "X", "Y"],
            "km": [100, 300, 200, 50],
            "cost": [1, 2, 3, 4],
        },
        **spec,
    )


def check_output(c: Comparison) -> dict[str, Any]:
    """Text and dict are deterministic, and the dict survives JSON."""
    assert comparison_to_text(c) == comparison_to_text(c)
    first, second = comparison_to_dict(c), comparison_to_dict(c)
    assert json.dumps(first) == json.dumps(second)
    assert json.loads(json.dumps(first, allow_nan=False)) == first
    return first


# --------------------------------------------------------------------------- no scenario


def test_identical_pairings_are_same() -> None:
    a = rows(("P", "X", 2.0), ("Q", "Y"))
    b = list(reversed(rows(("P", "X", 2.0), ("Q", "Y"))))
    c = compare(a, b, names=("old.csv", "new.csv"))
    assert c.same
    assert not (c.only_in_a or c.only_in_b or c.changed_recipients or c.share_differences)
    assert c.scenario is None and c.objective is None and c.values is None
    assert c.violations is None and c.load_differences is None
    data = check_output(c)
    assert data["same"] is True
    assert data["objective"] is None and data["load_differences"] is None
    assert comparison_to_text(c) == "same\n"


def test_only_in_a_and_b_and_changed_recipients_alphabetical() -> None:
    a = rows(("Q", "Y", 4.0), ("P", "X", 2.0), ("R", "Z"))
    b = rows(("Q", "X", 2.0), ("P", "Y", 4.0), ("R", "Z"), ("Q", "W"))
    c = compare(a, b, names=("a.csv", "b.csv"))
    assert not c.same
    # alphabetical by recipient, then donor
    assert c.only_in_a == (PairEntry("P", "X", 2.0), PairEntry("Q", "Y", 4.0))
    assert c.only_in_b == (
        PairEntry("Q", "W", None),
        PairEntry("Q", "X", 2.0),
        PairEntry("P", "Y", 4.0),
    )
    assert c.changed_recipients == (
        RecipientChange("W", (), ("Q",)),
        RecipientChange("X", ("P",), ("Q",)),
        RecipientChange("Y", ("Q",), ("P",)),
    )
    assert c.share_differences == ()
    data = check_output(c)
    assert data["counts"] == {
        "only_in_a": 2,
        "only_in_b": 3,
        "changed_recipients": 3,
        "share_differences": 0,
        "shares_not_compared": 0,
        "load_differences": None,
    }
    assert data["only_in_b"][0] == {"donor": "Q", "recipient": "W", "share": None}
    assert data["changed_recipients"][1] == {
        "recipient": "X",
        "donors_a": ["P"],
        "donors_b": ["Q"],
    }
    out = comparison_to_text(c)
    assert "Only in a.csv (2):\n  P -> X (share 2)\n  Q -> Y (share 4)\n" in out
    assert "Only in b.csv (3):\n  Q -> W\n" in out
    assert "Changed recipients (3):\n  W: none in a.csv; Q in b.csv\n" in out
    assert out.endswith("differ: 2 pairs only in a.csv, 3 only in b.csv, 3 recipients changed\n")


def test_added_donor_changes_the_recipient_set() -> None:
    a = rows(("P", "X"))
    b = rows(("P", "X"), ("Q", "X"))
    c = compare(a, b)
    assert c.only_in_a == () and c.only_in_b == (PairEntry("Q", "X", None),)
    assert c.changed_recipients == (RecipientChange("X", ("P",), ("P", "Q")),)
    assert "  X: P in A; P, Q in B\n" in comparison_to_text(c)


def test_share_differences_need_both_shares_and_a_real_difference() -> None:
    a = rows(("P", "X", 1.0), ("Q", "X", 1.0), ("P", "Y", 5.0), ("Q", "Y", 100.0))
    b = rows(("P", "X", 1.5), ("Q", "X", 0.5), ("P", "Y"), ("Q", "Y", 100.00005))
    c = compare(a, b)
    # P->Y: B gives no share. Q->Y: 5e-5 apart on 100 is 5e-7 relative, within 1e-6.
    assert c.share_differences == (
        ShareDifference("P", "X", 1.0, 1.5),
        ShareDifference("Q", "X", 1.0, 0.5),
    )
    assert c.share_differences[1].difference == pytest.approx(-0.5)
    assert not c.same  # same pairs, different shares
    assert c.only_in_a == c.only_in_b == ()
    assert c.changed_recipients == ()
    data = check_output(c)
    assert data["share_differences"][1] == {
        "donor": "Q",
        "recipient": "X",
        "share_a": 1.0,
        "share_b": 0.5,
        "difference": -0.5,
    }
    out = comparison_to_text(c)
    assert "Share differences (2):\n  P -> X: A=1, B=1.5, B-A=+0.5\n" in out
    assert "  Q -> X: A=1, B=0.5, B-A=-0.5\n" in out
    assert out.endswith(
        "differ: 0 pairs only in A, 0 only in B, 0 recipients changed, 2 shares differ\n"
    )
    assert data["counts"]["shares_not_compared"] == 1


def test_same_pairs_with_shares_on_one_side_only_are_not_called_the_same_shares() -> None:
    """A file with shares against the same pairs with shares left empty read 'same', as
    if the shares had been compared."""
    a = rows(("P", "X", 1.0), ("Q", "X", 3.0))
    c = compare(a, rows(("P", "X"), ("Q", "X")))
    assert c.same and c.unknown_shares == 2
    assert comparison_to_text(c).endswith(
        "same pairs; 2 shares not compared (given on one side only)\n"
    )
    assert comparison_markdown(check_output(c)).count("2 shares not compared") == 1
    assert compare(a, a).unknown_shares == 0
    assert comparison_to_text(compare(a, a)) == "same\n"


def test_share_above_tolerance_differs() -> None:
    c = compare(rows(("P", "X", 100.0)), rows(("P", "X", 100.001)))
    assert len(c.share_differences) == 1


@pytest.mark.parametrize("unit", [1e-6, 1.0, 1e6])
def test_split_shares_differ_in_any_unit(unit: float) -> None:
    """20/80 against 80/20 of one recipient's need differs whatever the unit of need (with
    a floor of one unit, needs written in millions compared as the same)."""
    a = rows(("P", "X", 0.2 * unit), ("Q", "X", 0.8 * unit))
    b = rows(("P", "X", 0.8 * unit), ("Q", "X", 0.2 * unit))
    assert len(compare(a, b).share_differences) == 2
    close = rows(("P", "X", 0.2 * unit * (1 + 1e-8)), ("Q", "X", 0.8 * unit))
    assert compare(a, close).same  # round-off, relative to what X receives


def test_every_resource_s_share_is_compared() -> None:
    """Swapping the second resource's shares between X's donors is a difference, named by
    resource, even where the first resource's shares are the same."""
    a = [PairingRow("P", "X", 1.0, (1.0, 3.0)), PairingRow("Q", "X", 1.0, (1.0, 7.0))]
    b = [PairingRow("P", "X", 1.0, (1.0, 7.0)), PairingRow("Q", "X", 1.0, (1.0, 3.0))]
    c = compare(a, b)
    assert not c.same
    assert c.share_differences == (
        ShareDifference("P", "X", 3.0, 7.0, "resource 2"),
        ShareDifference("Q", "X", 7.0, 3.0, "resource 2"),
    )
    assert check_output(c)["share_differences"][0]["resource"] == "resource 2"
    assert "  P -> X (resource 2): A=3, B=7, B-A=+4\n" in comparison_to_text(c)


def test_completed_pairings_supply_missing_shares() -> None:
    a = rows(("P", "X"), ("Q", "X"))
    b = rows(("P", "X"), ("Q", "X"))
    a_full = [Assignment("P", "X", 1.0), Assignment("Q", "X", 1.0)]
    b_full = [Assignment("P", "X", 2.0), Assignment("Q", "X", 0.0)]
    c = compare(a, b, a_pairing=a_full, b_pairing=b_full)
    assert c.share_differences == (
        ShareDifference("P", "X", 1.0, 2.0),
        ShareDifference("Q", "X", 1.0, 0.0),
    )
    assert compare(a, b).same  # without them the shares are unknown


def test_completed_pairing_with_other_pairs_is_an_error() -> None:
    with pytest.raises(ValueError, match="same pairs"):
        compare(rows(("P", "X")), rows(("P", "X")), a_pairing=[Assignment("Q", "X", 1.0)])


# --------------------------------------------------------------------------- scenario


def test_scenario_objective_values_violations_and_loads() -> None:
    s = two_by_two()
    # A: P->X (2), Q->Y (4). B: Q->X (2), P->Y (4): P carries 4 > capacity 3.
    a = rows(("Q", "Y", 4.0), ("P", "X", 2.0))
    b = rows(("P", "Y", 4.0), ("Q", "X", 2.0))
    c = compare(a, b, s, names=("a.csv", "b.csv"))
    assert c.scenario == "tiny"
    assert c.only_in_a == (PairEntry("P", "X", 2.0), PairEntry("Q", "Y", 4.0))
    assert c.only_in_b == (PairEntry("Q", "X", 2.0), PairEntry("P", "Y", 4.0))
    assert c.objective is not None and c.objective.name == "weighted_distance"
    # weighted: A 2*100 + 4*50 = 400; B 2*200 + 4*300 = 1600
    assert (c.objective.a, c.objective.b) == pytest.approx((400, 1600))
    assert c.violations == (0, 1)
    assert c.load_differences == (LoadDifference("P", 2.0, 4.0), LoadDifference("Q", 4.0, 2.0))

    data = check_output(c)
    assert data["scenario"] == "tiny"
    assert data["objective"] == {
        "name": "weighted_distance",
        "a": 400.0,
        "b": 1600.0,
        "difference": 1200.0,
    }
    # distance A 100+50, B 200+300; longest A 100, B 300; balance A max(2/3, 4/10),
    # B max(4/3, 2/10); cost A 1+4, B 2+3
    assert data["values"] == {
        "distance": {"a": 150.0, "b": 500.0, "difference": 350.0},
        "weighted_distance": {"a": 400.0, "b": 1600.0, "difference": 1200.0},
        "max_distance": {"a": 100.0, "b": 300.0, "difference": 200.0},
        "balance": {"a": 0.666667, "b": 1.333333, "difference": 0.666667},
        "shortfall": {"a": 0.0, "b": 0.0, "difference": 0.0},
        "max_shortfall": {"a": 0.0, "b": 0.0, "difference": 0.0},
        # utilisation spread: A 2/3 - 4/10, B 4/3 - 2/10
        "fairness": {"a": 0.266667, "b": 1.133333, "difference": 0.866667},
        # Q (capacity 10) and Y (need 4) rank first (score 1), P and X second (0.5), over
        # 2 recipients: A (.5*.5 + 1*1) / 2, B (1*.5 + .5*1) / 2
        "assortative": {"a": 0.625, "b": 0.5, "difference": -0.125},
        "cost": {"a": 5.0, "b": 5.0, "difference": 0.0},
    }
    assert data["violations"] == {"a": 0, "b": 1}
    assert data["load_differences"] == [
        {"donor": "P", "load_a": 2.0, "load_b": 4.0, "difference": 2.0},
        {"donor": "Q", "load_a": 4.0, "load_b": 2.0, "difference": -2.0},
    ]
    assert data["counts"]["load_differences"] == 2

    out = comparison_to_text(c)
    assert out.startswith("Scenario: tiny\n")
    assert "Objective (weighted_distance): a.csv=400, b.csv=1600, b.csv-a.csv=+1200\n" in out
    assert "  cost: a.csv=5, b.csv=5, b.csv-a.csv=0\n" in out
    assert "Broken rules: a.csv=0, b.csv=1\n" in out
    assert "Load differences (2):\n  P: a.csv=2, b.csv=4, b.csv-a.csv=+2\n" in out
    assert "  Q: a.csv=4, b.csv=2, b.csv-a.csv=-2\n" in out
    assert out.endswith("differ: 2 pairs only in a.csv, 2 only in b.csv, 2 recipients changed\n")


def test_scenario_same_pairing_has_zero_differences() -> None:
    s = two_by_two(objective={"minimize": "cost"})
    a = rows(("P", "X", 2.0), ("Q", "Y", 4.0))
    c = compare(a, list(a), s)
    assert c.same
    assert c.objective is not None and c.objective.name == "minimize cost"
    assert (c.objective.a, c.objective.b, c.objective.difference) == (5.0, 5.0, 0.0)
    assert c.load_differences == ()
    assert c.violations == (0, 0)
    out = comparison_to_text(c)
    assert "Objective (minimize cost): A=5, B=5, B-A=0\n" in out
    assert "Load differences" not in out
    assert out.endswith("\nsame\n")
    assert check_output(c)["load_differences"] == []


def test_scenario_uses_completed_pairings_for_shares_and_loads() -> None:
    s = two_by_two(rules={"donors_per_recipient": {"min": 1, "max": 2}})
    a = rows(("Q", "X"), ("Q", "Y"))
    b = rows(("Q", "X"), ("P", "Y"), ("Q", "Y"))
    a_full = [Assignment("Q", "X", 2.0), Assignment("Q", "Y", 4.0)]
    b_full = [Assignment("Q", "X", 2.0), Assignment("P", "Y", 1.0), Assignment("Q", "Y", 3.0)]
    c = compare(a, b, s, a_pairing=a_full, b_pairing=b_full)
    assert c.only_in_b == (PairEntry("P", "Y", 1.0),)
    assert c.changed_recipients == (RecipientChange("Y", ("Q",), ("P", "Q")),)
    assert c.share_differences == (ShareDifference("Q", "Y", 4.0, 3.0),)
    # weighted: A 2*200 + 4*50 = 600; B 2*200 + 1*300 + 3*50 = 850
    assert c.objective is not None
    assert (c.objective.a, c.objective.b) == pytest.approx((600, 850))
    assert c.load_differences == (LoadDifference("P", 0.0, 1.0), LoadDifference("Q", 6.0, 5.0))


def test_scenario_order_not_alphabetical() -> None:
    s = scenario(
        {"id": ["Zhe", "An"], "cap": [10, 10]},
        {"id": ["Yi", "Er"], "need": [1, 1]},
        {
            "donor": ["Zhe", "Zhe", "An", "An"],
            "recipient": ["Yi", "Er", "Yi", "Er"],
            "km": [1, 2, 3, 4],
        },
        rules={"donors_per_recipient": {"min": 1, "max": 2}},
    )
    b = rows(("An", "Er", 0.5), ("An", "Yi", 0.5), ("Zhe", "Er", 0.5), ("Zhe", "Yi", 0.5))
    c = compare([], b, s)
    order = [(p.recipient, p.donor) for p in c.only_in_b]
    assert order == [("Yi", "Zhe"), ("Yi", "An"), ("Er", "Zhe"), ("Er", "An")]
    assert [x.recipient for x in c.changed_recipients] == ["Yi", "Er"]
    assert c.changed_recipients[0].donors_b == ("Zhe", "An")
    # the empty side breaks coverage and the donor count for both recipients
    assert c.violations == (4, 0)
    alphabetical = compare([], b)
    assert [(p.recipient, p.donor) for p in alphabetical.only_in_b] == [
        ("Er", "An"),
        ("Er", "Zhe"),
        ("Yi", "An"),
        ("Yi", "Zhe"),
    ]


def test_scenario_without_shares_needs_completed_pairing() -> None:
    with pytest.raises(ValueError, match="completed pairing"):
        compare(rows(("P", "X")), rows(("P", "X", 2.0)), two_by_two())


def test_without_a_scenario_share_columns_are_matched_by_name(tmp_path: Path) -> None:
    """Two files of one pairing whose share_* columns came in another order were compared
    column by column in place (staff against funds): '66 shares differ', exit 1. Found
    by the QA pass on pairing files."""
    from pairing_opt.io.pairings import read_pairing

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("donor,recipient,share_staff,share_funds\nP,X,1,50\nQ,X,2,60\n", "utf-8")
    b.write_text("donor,recipient,share_funds,share_staff\nP,X,50,1\nQ,X,61,2\n", "utf-8")
    c = compare(read_pairing(a), read_pairing(b))
    assert c.share_differences == (ShareDifference("Q", "X", 60.0, 61.0, "funds"),)
    only_staff = tmp_path / "c.csv"
    only_staff.write_text("donor,recipient,share_staff\nP,X,1\nQ,X,2\n", "utf-8")
    c = compare(read_pairing(a), read_pairing(only_staff))
    assert c.same and c.unknown_shares == 2


def test_one_share_column_each_is_the_one_resource_whatever_its_name(tmp_path: Path) -> None:
    """A file with 'share' against one with 'share_staff' (what pairopt writes for a
    scenario with resources: [staff]) read 'same pairs; shares not compared', exit 0,
    where a share differed (30 against 45). Found by the QA pass on this session's
    changes."""
    from pairing_opt.io.pairings import read_pairing

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("donor,recipient,share\nP,X,30\nQ,X,2\n", "utf-8")
    b.write_text("donor,recipient,share_staff,shared_with\nP,X,45,z\nQ,X,2,z\n", "utf-8")
    c = compare(read_pairing(a), read_pairing(b))
    assert c.share_differences == (ShareDifference("P", "X", 30.0, 45.0),)
    assert c.unknown_shares == 0
