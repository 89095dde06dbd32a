"""evaluate, solve --alternatives and --set: comparing pairings and asking what-if."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pairing_opt.cli import main
from pairing_opt.engine.shares import complete_pairing
from pairing_opt.io.loader import load
from pairing_opt.io.pairings import PairingRow

from .conftest import EXAMPLE, HUBEI

Make = Callable[..., Path]
HUBEI_2020 = HUBEI.parent / "pairing_2020.csv"
EXAMPLE_PAIRING = EXAMPLE.parent / "example_pairing.csv"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ evaluate


def test_evaluate_names_the_broken_rule_and_exits_1() -> None:
    result = run("evaluate", EXAMPLE, EXAMPLE_PAIRING, "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["satisfies_rules"] is False
    assert [(v["rule"], v["donor"], v["recipient"]) for v in data["violations"]] == [
        ("forbidden", "Donor B", "City 2")
    ]
    assert data["shares_computed"] is True
    assert "breaks 1 rule" in result.stderr


def test_evaluate_2020_pairing_reports_each_shortfall_with_amounts() -> None:
    result = run("evaluate", HUBEI, HUBEI_2020, "--format", "json", "--no-timings")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    short = {v["recipient"]: v["amount"] for v in data["violations"]}
    # The 2020 donors' sourced team sizes cannot cover these cities' modelled need under any
    # split (worked out by hand in scenarios/hubei-2020-sourced19/README.md).
    assert short == pytest.approx(
        {"Shiyan": -95, "Suizhou": -86, "Yichang": -69, "Huangshi": -66, "Xiangyang": -10}
    )
    assert {v["rule"] for v in data["violations"]} == {"coverage"}


def test_evaluate_vs_optimal_reports_the_gap() -> None:
    result = run("evaluate", EXAMPLE, EXAMPLE_PAIRING, "--vs-optimal", "--format", "json")
    data = json.loads(result.stdout)
    optimum = data["optimum"]
    assert optimum["proven_optimal"] is True
    assert optimum["difference"] == pytest.approx(data["objective"]["value"] - optimum["value"])


def test_evaluate_of_the_optimum_is_clean(tmp_path: Path) -> None:
    pairing = tmp_path / "best.csv"
    assert run("solve", EXAMPLE, "--format", "csv", "-o", pairing).exit_code == 0
    result = run("evaluate", EXAMPLE, pairing, "--vs-optimal", "--format", "json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["satisfies_rules"] and not data["shares_computed"]
    assert data["optimum"]["difference"] == pytest.approx(0, abs=1e-3)


def test_evaluate_unknown_ids_are_bad_input(tmp_path: Path) -> None:
    pairing = tmp_path / "p.csv"
    pairing.write_text("donor,recipient,share\nDonor Z,City 1,\nDonor A,City 9,5\n")
    result = run("evaluate", EXAMPLE, pairing)
    assert result.exit_code == 2
    assert "p.csv, row 2, column 'donor': unknown donor 'Donor Z'" in result.stderr
    assert "p.csv, row 3, column 'recipient': unknown recipient 'City 9'" in result.stderr
    assert "did you mean 'City 1'" in result.stderr or "City" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_bad_pairing_file(tmp_path: Path) -> None:
    pairing = tmp_path / "p.csv"
    pairing.write_text("province,city\nA,B\n")
    result = run("evaluate", EXAMPLE, pairing)
    assert result.exit_code == 2 and "missing column(s) donor, recipient" in result.stderr
    pairing.write_text("donor,recipient,share\nDonor A,City 1,-3\nDonor A,City 1,2\n")
    result = run("evaluate", EXAMPLE, pairing)
    assert result.exit_code == 2
    assert "'-3' is not a share" in result.stderr and "listed twice" in result.stderr


def test_completion_keeps_given_shares_and_fills_the_rest() -> None:
    scenario = load(EXAMPLE)
    rows = [PairingRow("Donor A", "City 1", 70.0), PairingRow("Donor B", "City 1", None)]
    done = complete_pairing(scenario, rows)
    shares = {(a.donor, a.recipient): a.share for a in done.pairing}
    assert shares[("Donor A", "City 1")] == 70.0
    assert shares[("Donor B", "City 1")] == pytest.approx(50.0)  # City 1 needs 120
    assert done.computed


# ------------------------------------------------------------------ alternatives


def test_alternatives_are_distinct_ordered_and_numbered() -> None:
    result = run("solve", EXAMPLE, "--alternatives", "3", "--format", "json", "--no-timings")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    ranks = [a["rank"] for a in data["alternatives"]]
    values = [a["objective"]["value"] for a in data["alternatives"]]
    sets = [
        frozenset((p["donor"], p["recipient"]) for p in a["pairs"]) for a in data["alternatives"]
    ]
    assert ranks == [1, 2, 3]
    assert values == sorted(values) and len(set(sets)) == 3
    assert all(a["proven_optimal"] and a["verified"] for a in data["alternatives"])


def test_alternatives_csv_has_numbered_rows() -> None:
    result = run("solve", EXAMPLE, "--alternatives", "2", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:5] == ["alternative", "donor", "recipient", "share", "distance_km"]
    assert {r["alternative"] for r in rows} == {"1", "2"}
    assert "Alternative 2 of 2:" in result.stderr


def test_alternatives_stop_when_no_more_pairings_exist(scenario_dir: Make) -> None:
    # One donor, one recipient: exactly one pairing exists.
    path = scenario_dir(
        donors="id,cap,lat,lon\nA,10,30,110\n", recipients="id,need,lat,lon\nX,5,31,111\n"
    )
    result = run("solve", path, "--alternatives", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["alternatives"]) == 1
    assert "only 1 distinct pairing(s) found" in result.stderr


def test_first_alternative_is_the_solve_result() -> None:
    single = json.loads(run("solve", EXAMPLE, "--format", "json", "--no-timings").stdout)
    first = json.loads(
        run("solve", EXAMPLE, "--alternatives", "2", "--format", "json", "--no-timings").stdout
    )["alternatives"][0]
    assert first["pairs"] == single["pairs"]


# ------------------------------------------------------------------ --set


def test_set_overrides_rules_and_objective() -> None:
    result = run(
        "solve",
        HUBEI,
        "--set",
        "rules.max_distance_km=1300",
        "--set",
        "objective=distance",
        "--set",
        "rules.exclude_donors=[Guangdong]",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["objective"]["name"] == "distance"
    assert all(p["distance_km"] <= 1300 for p in data["pairs"])
    assert "Guangdong" not in {p["donor"] for p in data["pairs"]}


def test_set_unknown_key_lists_valid_keys() -> None:
    result = run("solve", EXAMPLE, "--set", "rules.max_km=5")
    assert result.exit_code == 2
    assert "unknown key 'rules.max_km'" in result.stderr
    assert "max_distance_km" in result.stderr and "donors_per_recipient" in result.stderr


def test_set_bad_value_is_attributed_to_set() -> None:
    result = run("solve", EXAMPLE, "--set", "rules.reserve=1.5")
    assert result.exit_code == 2
    assert "--set rules.reserve" in result.stderr and "less than 1" in result.stderr


def test_set_makes_the_fixed_pair_impossible_and_says_which() -> None:
    result = run("solve", EXAMPLE, "--set", "rules.max_distance_km=400")
    assert result.exit_code == 1
    assert "fixed pair Donor A -> City 1 cannot be honoured" in result.stderr
    assert "over max_distance_km 400" in result.stderr


def test_what_if_loop_from_a_shell_script(tmp_path: Path) -> None:
    # The README's loop: one solve per limit, objective values from JSON.
    values = []
    for limit in (1200, 900):
        result = run(
            "solve",
            EXAMPLE,
            "--set",
            f"rules.max_distance_km={limit}",
            "--format",
            "json",
            "--no-timings",
        )
        assert result.exit_code == 0, result.stderr
        values.append(json.loads(result.stdout)["objective"]["value"])
    assert values[1] >= values[0] - 1e-6  # a tighter limit cannot improve the optimum


# ------------------------------------------------------------------ compare


def test_compare_same_file_exits_0(tmp_path: Path) -> None:
    result = run("compare", HUBEI_2020, HUBEI_2020)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().endswith("same")


def test_compare_2020_with_optimum_under_scenario(tmp_path: Path) -> None:
    best = tmp_path / "best.csv"
    assert run("solve", HUBEI, "--format", "csv", "-o", best, "-q").exit_code == 0
    result = run("compare", HUBEI_2020, best, "--scenario", HUBEI, "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["same"] is False and data["violations"] == {"a": 5, "b": 0}
    assert data["objective"]["difference"] < 0  # the optimum is shorter
    only_a = {(p["donor"], p["recipient"]) for p in data["only_in_a"]}
    assert ("Jiangsu", "Huangshi") in only_a or data["counts"]["only_in_a"] > 0


def test_compare_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("donor,recipient\nNowhere,Huangshi\n")
    result = run("compare", HUBEI_2020, bad, "--scenario", HUBEI)
    assert result.exit_code == 2 and "unknown donor 'Nowhere'" in result.stderr
    assert run("compare", HUBEI_2020, tmp_path / "missing.csv").exit_code == 2


def test_set_objective_takes_the_short_column_form() -> None:
    """--set objective=maximize:score means what --objective maximize:score means, and so
    does the same text in the scenario file."""
    args = ["solve", str(EXAMPLE), "--format", "json", "--no-timings", "-q"]
    by_flag = CliRunner().invoke(main, [*args, "--objective", "maximize:score"])
    by_set = CliRunner().invoke(main, [*args, "--set", "objective=maximize:score"])
    assert by_flag.exit_code == by_set.exit_code == 0, by_set.stderr
    assert by_set.stdout == by_flag.stdout
    assert json.loads(by_set.stdout)["objective"]["name"] == "maximize score"
    empty = CliRunner().invoke(main, [*args, "--set", "objective=maximize:"])
    assert empty.exit_code == 2 and "--set objective" in empty.stderr
