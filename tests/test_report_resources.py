"""Reports of several resources and of a shortfall price: the pairing CSV (one share column
per resource, the columns the pairing reader takes), the JSON keys, the people's table with
its Shortfall line and table, and a single-resource scenario's output unchanged.

Goldens: tests/golden/example.solve.csv and example.solve.table.txt are what `solve` printed
before resources existed; regenerate with PAIROPT_UPDATE_GOLDEN=1 only for an intended change.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pairing_opt as po
from pairing_opt.cli import main
from pairing_opt.engine.pipeline import SolveResult
from pairing_opt.io.pairings import read_pairing
from pairing_opt.report.common import PAIR_KEYS, pair_keys
from pairing_opt.report.render import SolveReport, render

from .conftest import EXAMPLE

GOLDEN = Path(__file__).parent / "golden"

DONORS: dict[str, list[Any]] = {
    "id": ["A", "B", "C"],
    "staff": [100, 80, 60],
    "funds": [10, 5, 20],
    "lat": [30, 31, 29],
    "lon": [114, 113, 115],
}
RECIPIENTS: dict[str, list[Any]] = {
    "id": ["X", "Y", "Z"],
    "staff": [50, 70, 40],
    "funds": [4, 6, 8],
    "lat": [30.5, 30.2, 29.5],
    "lon": [114, 113.5, 114.5],
}
RULES: dict[str, Any] = {"donors_per_recipient": {"min": 1, "max": 2}}
# 60 per unit of staff is cheaper than carrying it far: X and Z are left short of staff.
PRICED: dict[str, Any] = {**RULES, "coverage": {"shortfall_penalty": {"staff": 60}}}


def multi(rules: dict[str, Any]) -> po.Scenario:
    return po.Scenario.from_frames(DONORS, RECIPIENTS, resources=["staff", "funds"], rules=rules)


def single(rules: dict[str, Any]) -> po.Scenario:
    donors = {k: v for k, v in DONORS.items() if k != "funds"}
    recipients = {k: v for k, v in RECIPIENTS.items() if k != "funds"}
    return po.Scenario.from_frames(
        donors,
        recipients,
        rules=rules,
        donor_columns={"capacity": "staff"},
        recipient_columns={"need": "staff"},
    )


@pytest.fixture(scope="module")
def full() -> po.Result:
    return po.solve(multi(RULES))


@pytest.fixture(scope="module")
def priced() -> po.Result:
    return po.solve(multi(PRICED))


def solutions(result: po.Result) -> list[SolveResult]:
    return list(result.solutions)


def out(result: po.Result, fmt: str, **report: bool) -> str:
    content = render(SolveReport(solutions(result), **report), fmt, timings=False)
    assert isinstance(content, str)
    return content


def after_title(table: str, title: str) -> str:
    """The table output from the line that is `title` (a rich table's centred title) on."""
    found = re.search(rf"(?m)^\s*{title}\s*$", table)
    assert found is not None, table
    return table[found.start() :]


def rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


# --------------------------------------------------------------------------- one resource


def unversioned(text: str) -> str:
    """The table with the solver version blanked: a newer HiGHS may be installed."""
    return re.sub(r"(?m)^(Solver:    highs) \S+$", r"\1 *", text)


@pytest.fixture(scope="module")
def example() -> po.Result:
    return po.solve(po.load(EXAMPLE), solver="highs")


@pytest.mark.parametrize(
    ("fmt", "golden"), [("csv", "example.solve.csv"), ("table", "example.solve.table.txt")]
)
def test_one_resource_csv_and_table_are_unchanged(
    example: po.Result, fmt: str, golden: str
) -> None:
    """What `pairopt solve EXAMPLE --format FMT --no-timings --solver highs` prints."""
    actual = unversioned(out(example, fmt))
    path = GOLDEN / golden
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
    assert "Shortfall" not in actual and "Resource" not in actual


def test_one_resource_json_adds_parts_and_shortfall_only(example: po.Result) -> None:
    data = example.to_dict(timings=False)
    objective = data["objective"]
    assert objective["parts"] == {"weighted_distance": objective["value"], "shortfall": 0.0}
    assert data["shortfall"] == {"need": 0.0}
    assert [list(p) for p in data["pairs"]] == [list(PAIR_KEYS)] * len(data["pairs"])
    keys = ["recipient", "donors", "need", "covered", "shortfall"]
    assert all(list(r) == keys for r in data["recipients"])
    assert all("resource" not in d for d in data["donors"])
    assert all(r["shortfall"] == 0.0 for r in data["recipients"])


# --------------------------------------------------------------------------- several resources


def test_multi_csv_has_one_share_column_per_resource(full: po.Result) -> None:
    content = out(full, "csv", numbered=True, labels=True)
    table = rows(content)
    assert content.splitlines()[0] == (
        "alternative,donor,recipient,share_staff,share_funds,distance_km,"
        "donor_label,recipient_label"
    )
    assert [(r["donor"], r["recipient"]) for r in table] == [
        (a.donor, a.recipient) for a in full.pairs
    ]
    for r, a in zip(table, full.pairs, strict=True):
        assert (float(r["share_staff"]), float(r["share_funds"])) == pytest.approx(a.amounts)
    plain = out(full, "csv").splitlines()
    assert plain[0] == "donor,recipient,share_staff,share_funds,distance_km"
    assert plain[1] == "A,X,50,4,55.598"


def test_multi_csv_is_what_the_pairing_reader_takes(full: po.Result, tmp_path: Path) -> None:
    path = tmp_path / "pairing.csv"
    path.write_text(out(full, "csv", labels=True), encoding="utf-8")
    back = read_pairing(path, full.scenario)
    assert [(r.donor, r.recipient) for r in back] == [(a.donor, a.recipient) for a in full.pairs]
    for r, a in zip(back, full.pairs, strict=True):
        assert r.amounts == pytest.approx(a.amounts)


def test_multi_json_names_each_resource(full: po.Result) -> None:
    data = json.loads(out(full, "json"))
    assert list(data["pairs"][0]) == [
        "donor",
        "recipient",
        "share_staff",
        "share_funds",
        "fraction_staff",
        "fraction_funds",
        "distance_km",
        "donor_label",
        "recipient_label",
    ]
    assert data["pairs"][0]["share_staff"] == 50.0 and data["pairs"][0]["fraction_funds"] == 1.0
    assert [(d["donor"], d["resource"]) for d in data["donors"]] == [
        (d, k) for d in "ABC" for k in ("staff", "funds")
    ]
    assert list(data["donors"][0]) == [
        "donor",
        "resource",
        "recipients",
        "load",
        "capacity",
        "available",
        "utilisation",
    ]
    assert list(data["recipients"][0]) == [
        "recipient",
        "resource",
        "donors",
        "need",
        "covered",
        "shortfall",
    ]
    assert data["shortfall"] == {"staff": 0.0, "funds": 0.0}
    assert data["objective"]["parts"]["shortfall"] == 0.0
    assert data == full.to_dict(timings=False)


def test_multi_table_has_a_column_per_resource_and_counts_donors(full: po.Result) -> None:
    table = out(full, "table")
    header = next(line for line in table.splitlines() if "Recipient" in line)
    assert header.split() == ["Recipient", "Donor", "staff", "funds", "km"]
    assert re.search(r"X\s+A\s+50 \(100%\)\s+4 \(100%\)\s+56", table)
    assert re.search(r"Y\s+A\s+50 \(71%\)\s+6 \(100%\)\s+53", table)
    assert re.search(r"Donor\s+Resource\s+Recipients\s+Load\s+Available\s+Used", table)
    assert re.search(r"A\s+staff\s+2\s+100\s+100\s+100%", table)
    assert "Pairing:   4 pairs; 3 of 3 donors used; 3 recipients" in table
    assert "Shortfall" not in table  # every need must be covered: nothing to say
    assert "Objective: weighted_distance = " in table


def test_multi_markdown_and_xlsx(full: po.Result) -> None:
    markdown = out(full, "markdown")
    assert "| Recipient | Donor | staff | funds | km |" in markdown
    assert "| X | A | 50 (100%) | 4 (100%) | 56 |" in markdown
    assert "| Donor | Resource | Recipients | Load | Available | Used |" in markdown
    assert "| Recipient | Resource | Donors | Need | Covered | Shortfall |" in markdown
    from openpyxl import load_workbook

    content = render(SolveReport(solutions(full)), "xlsx", timings=False)
    assert isinstance(content, bytes)
    book = load_workbook(io.BytesIO(content), read_only=True)
    pairing = [list(r) for r in book["Pairing"].iter_rows(values_only=True)]
    assert tuple(pairing[0]) == pair_keys(full.scenario)
    assert pairing[1][:4] == ["A", "X", 50, 4]
    coverage = [list(r) for r in book["Recipient coverage"].iter_rows(values_only=True)]
    assert coverage[0] == ["recipient", "resource", "donors", "need", "covered", "shortfall"]


def test_result_to_frame_has_the_share_columns(full: po.Result) -> None:
    frame = full.to_frame()
    assert list(frame.columns) == list(pair_keys(full.scenario))
    assert len(frame) == len(full.pairs)
    assert frame["share_staff"].sum() == pytest.approx(160)
    assert frame["share_funds"].sum() == pytest.approx(18)


# --------------------------------------------------------------------------- shortfall


SHORTFALL_LINE = (
    "Shortfall: 60 staff uncovered at 2 recipients (priced at 3600); "
    "objective = weighted_distance {own} + shortfall 3600"
)


def test_priced_summary_says_what_is_left_uncovered(priced: po.Result) -> None:
    solution = priced.solutions[0]
    own = solution.evaluation.value(solution.objective)
    lines = priced.lines()
    assert lines[1].startswith("Objective: weighted_distance + shortfall = ")
    assert lines[2] == SHORTFALL_LINE.format(own=f"{own:.4f}".rstrip("0").rstrip("."))
    value = float(lines[1].split("= ")[1].split(",")[0])
    assert value == pytest.approx(own + 3600, abs=1e-3)


def test_priced_table_lists_the_recipients_short(priced: po.Result) -> None:
    table = out(priced, "table")
    assert "Shortfall: 60 staff uncovered at 2 recipients" in table  # one line, unwrapped
    part = after_title(table, "Shortfall")
    assert re.search(r"Recipient\s+Resource\s+Need\s+Covered\s+Shortfall", part)
    short = re.findall(r"^\s+([XYZ])\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", part, re.M)
    assert short == [("X", "staff", "50", "30", "20"), ("Z", "staff", "40", "0", "40")]


def test_priced_json_gives_the_shortfall_and_the_parts(priced: po.Result) -> None:
    data = json.loads(out(priced, "json"))
    assert data["shortfall"] == {"staff": 60.0, "funds": 0.0}
    parts = data["objective"]["parts"]
    assert list(parts) == ["weighted_distance", "shortfall"]
    assert parts["shortfall"] == 3600.0
    assert parts["weighted_distance"] + 3600 == pytest.approx(data["objective"]["value"])
    short = {(r["recipient"], r["resource"]): r["shortfall"] for r in data["recipients"]}
    assert short == {
        ("X", "staff"): 20.0,
        ("X", "funds"): 0.0,
        ("Y", "staff"): 0.0,
        ("Y", "funds"): 0.0,
        ("Z", "staff"): 40.0,
        ("Z", "funds"): 0.0,
    }
    markdown = out(priced, "markdown")
    assert "- Shortfall: 60 staff uncovered at 2 recipients" in markdown
    assert "| X | staff | 1 | 50 | 30 | 20 |" in markdown


def test_one_resource_priced_and_nothing_short_says_none() -> None:
    result = po.solve(single({**RULES, "coverage": {"shortfall_penalty": 1e6}}))
    assert result.lines()[2] == "Shortfall: none"
    table = out(result, "table")
    assert "Shortfall: none" in table and "\n  Shortfall" not in table
    assert json.loads(out(result, "json"))["shortfall"] == {"need": 0.0}


def test_one_resource_priced_and_short() -> None:
    result = po.solve(single({**RULES, "coverage": {"shortfall_penalty": 60}}))
    line = result.lines()[2]
    assert line.startswith("Shortfall: 60 uncovered at 2 recipients (priced at 3600); ")
    table = out(result, "table")
    part = after_title(table, "Shortfall")
    assert re.search(r"Recipient\s+Need\s+Covered\s+Shortfall", part)
    assert "Resource" not in table
    assert out(result, "csv").splitlines()[0] == "donor,recipient,share,distance_km"


def test_same_scenario_same_bytes(priced: po.Result) -> None:
    again = po.solve(multi(PRICED))
    for fmt in ("table", "csv", "json", "markdown", "xlsx"):
        first = render(SolveReport(solutions(priced)), fmt, timings=False)
        assert first == render(SolveReport(solutions(again)), fmt, timings=False), fmt


# --------------------------------------------------------------------------- command line


def write(folder: Path, rules: str) -> Path:
    def table(data: dict[str, list[Any]]) -> str:
        head = ",".join(data)
        return (
            "\n".join([head, *(",".join(map(str, r)) for r in zip(*data.values(), strict=True))])
            + "\n"
        )

    (folder / "donors.csv").write_text(table(DONORS), encoding="utf-8")
    (folder / "recipients.csv").write_text(table(RECIPIENTS), encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text(
        "name: two\n"
        "resources: [staff, funds]\n"
        "donors: {file: donors.csv, id: id, capacity: {staff: staff, funds: funds}, "
        "lat: lat, lon: lon}\n"
        "recipients: {file: recipients.csv, id: id, need: {staff: staff, funds: funds}, "
        "lat: lat, lon: lon}\n"
        f"rules: {rules}\n",
        encoding="utf-8",
    )
    return scenario


def test_cli_solve_several_resources_with_a_shortfall(tmp_path: Path) -> None:
    scenario = write(
        tmp_path,
        "{donors_per_recipient: {min: 1, max: 2}, coverage: {shortfall_penalty: {staff: 60}}}",
    )
    runner = CliRunner()
    done = runner.invoke(main, ["solve", str(scenario), "--format", "csv", "--no-timings"])
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[0] == "donor,recipient,share_staff,share_funds,distance_km"
    assert "Shortfall: 60 staff uncovered at 2 recipients" in done.stderr
    pairing = tmp_path / "pairing.csv"
    pairing.write_text(done.stdout, encoding="utf-8")
    assert [r.amounts for r in read_pairing(pairing, po.load(scenario))] == [
        tuple(float(r[k]) for k in ("share_staff", "share_funds")) for r in rows(done.stdout)
    ]

    done = runner.invoke(main, ["solve", str(scenario), "--format", "json", "--no-timings"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["shortfall"] == {"staff": 60.0, "funds": 0.0}

    done = runner.invoke(main, ["solve", str(scenario), "--no-timings"])
    assert done.exit_code == 0, done.stderr
    assert "Shortfall: 60 staff uncovered at 2 recipients" in done.stdout
    assert "3 of 3 donors used" in done.stdout or "2 of 3 donors used" in done.stdout


def test_cli_solve_several_resources_in_full(tmp_path: Path) -> None:
    scenario = write(tmp_path, "{donors_per_recipient: {min: 1, max: 2}}")
    done = CliRunner().invoke(main, ["solve", str(scenario), "--no-timings"])
    assert done.exit_code == 0, done.stderr
    assert "3 of 3 donors used" in done.stdout
    assert "Shortfall" not in done.stdout
