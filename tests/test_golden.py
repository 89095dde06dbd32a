"""Golden files: the shipped scenarios' JSON output, byte for byte (solver version aside).

Regenerate after an intended change with PAIROPT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pairing_opt.cli import main

from . import SLOW
from .conftest import EXAMPLE, HUBEI, HUBEI_SOURCED19, MULTI_RESOURCE

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "example": EXAMPLE,
    "hubei-2020": HUBEI,
    "hubei-2020-sourced19": HUBEI_SOURCED19,
    "multi-resource": MULTI_RESOURCE,
}
# Solves that take seconds run in the slow sample (PAIROPT_SLOW=1, CI).
SLOW_CASES = ("hubei-2020-sourced19", "multi-resource")


def normalise(text: str) -> str:
    data = json.loads(text)
    data["solver"]["version"] = "*"  # a newer HiGHS may be installed; the result must not move
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


GOLDEN_PARAMS = [
    pytest.param(
        name,
        marks=[
            pytest.mark.slow,
            pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run"),
        ]
        if name in SLOW_CASES
        else [],
    )
    for name in sorted(CASES)
]


@pytest.mark.parametrize("name", GOLDEN_PARAMS)
def test_solve_json_matches_golden(name: str) -> None:
    result = CliRunner().invoke(
        main, ["solve", str(CASES[name]), "--format", "json", "--no-timings", "--solver", "highs"]
    )
    assert result.exit_code == 0, result.stderr
    actual = normalise(result.stdout)
    golden = GOLDEN / f"{name}.solve.json"
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_evaluate_2020_pairing_json_matches_golden() -> None:
    pairing = HUBEI.parent / "pairing_2020.csv"
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(HUBEI),
            str(pairing),
            "--vs-optimal",
            "--format",
            "json",
            "--no-timings",
            "--solver",
            "highs",
        ],
    )
    assert result.exit_code == 1, result.stderr  # the 2020 pairing breaks coverage rules
    data = json.loads(result.stdout)
    data["pairing"] = "pairing_2020.csv"  # the path depends on where the tests run from
    data["optimum"]["solver"]["version"] = "*"
    actual = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / "hubei-2020.evaluate-2020.json"
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


# Combined objectives on the shipped Hubei scenario, against the official 10 Feb list: an
# order, a weighted sum with every kind of term, and the front between the two orders' ends.
INCUMBENT = HUBEI.parent / "pairing_2020.csv"
OBJECTIVE_CASES = {
    "order": ["solve", "--objective", "changes,weighted_distance"],
    "sum": [
        "solve",
        "--objective",
        "weighted_distance=1,shortfall=1000,max_shortfall=10,changes=50,fairness=1,assortative=1",
    ],
    "front": ["pareto", "--x", "changes", "--y", "weighted_distance", "--points", "4"],
}


OBJECTIVE_PARAMS = [
    pytest.param(
        name,
        marks=[pytest.mark.slow, pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")]
        if name == "front"  # four solves of seconds each: the slow sample (CI) runs it
        else [],
    )
    for name in sorted(OBJECTIVE_CASES)
]


@pytest.mark.parametrize("name", OBJECTIVE_PARAMS)
def test_combined_objective_json_matches_golden(name: str) -> None:
    command, *options = OBJECTIVE_CASES[name]
    args = [command, str(HUBEI), *options, "--incumbent", str(INCUMBENT), "--format", "json"]
    if command == "solve":
        args.append("--no-timings")
    result = CliRunner().invoke(main, [*args, "--solver", "highs"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    if command == "solve":
        data["solver"]["version"] = "*"
    actual = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / f"hubei-2020.{name}.json"
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")
