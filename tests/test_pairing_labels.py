"""A pairing file written with the scenario's display labels (山东省 for Shandong) is read by
label: when no value of a column is an id and every value is a label that belongs to one id,
the column is translated to ids and one note per column says so (on stderr from the CLI,
in `notes` from the API). A label that belongs to two ids is an input error; a column of
ids and labels mixed is read by id, as before (unknown ids, with the label hint)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

import pairing_opt as po
from pairing_opt.errors import ExitCode
from pairing_opt.io.pairings import read_pairing

from .conftest import HUBEI, write_scenario

HUBEI_PAIRING = HUBEI.parent / "pairing_2020.csv"


def run(*args: str | Path) -> Result:
    from pairing_opt.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def notes_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("pairopt: note: ")]


# ------------------------------------------------------------------ the Hubei pairing


@pytest.fixture(scope="module")
def hubei() -> po.Scenario:
    return po.load(HUBEI)


def _hubei_rows() -> list[dict[str, str]]:
    with HUBEI_PAIRING.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pairing.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _labelled(
    scenario: po.Scenario, folder: Path, *, donor: bool = True, recipient: bool = True
) -> Path:
    """The 2020 pairing with the chosen columns written as the scenario's labels."""
    donors = dict(zip(scenario.donors, scenario.donor_labels, strict=True))
    recipients = dict(zip(scenario.recipients, scenario.recipient_labels, strict=True))
    rows = [
        {
            **row,
            "donor": donors[row["donor"]] if donor else row["donor"],
            "recipient": recipients[row["recipient"]] if recipient else row["recipient"],
        }
        for row in _hubei_rows()
    ]
    return _write(folder, rows)


def _expected_note(scenario: po.Scenario, column: str) -> str:
    """The note for the labelled 2020 pairing: the first three labels in file order."""
    ids = scenario.donors if column == "donor" else scenario.recipients
    labels = scenario.donor_labels if column == "donor" else scenario.recipient_labels
    label_of = dict(zip(ids, labels, strict=True))
    first = list(dict.fromkeys(row[column] for row in _hubei_rows()))
    examples = ", ".join(f"{label_of[i]} is {i}" for i in first[:3])
    return (
        f"pairing.csv: column '{column}' holds the {column}s' labels ({examples}, ...); "
        "read by label."
    )


def test_the_labelled_file_really_holds_labels_only(hubei: po.Scenario, tmp_path: Path) -> None:
    text = _labelled(hubei, tmp_path).read_text(encoding="utf-8")
    assert "山东省" in text and "黄冈市" in text
    assert not any(f"{i}," in text for i in ("Shandong", "Huanggang", "Xiaogan"))


def test_api_evaluate_reads_labels_as_ids(
    hubei: po.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _labelled(hubei, tmp_path / "labels")
    _write(tmp_path / "ids", _hubei_rows())
    monkeypatch.chdir(tmp_path / "ids")
    by_id = po.evaluate(hubei, "pairing.csv")
    monkeypatch.chdir(tmp_path / "labels")
    by_label = po.evaluate(hubei, "pairing.csv")
    assert by_label.to_dict(timings=False) == by_id.to_dict(timings=False)
    assert by_label.pairs == by_id.pairs and by_label.violations == by_id.violations
    assert by_id.notes == ()
    assert by_label.notes == (_expected_note(hubei, "donor"), _expected_note(hubei, "recipient"))
    assert "山东省 is Shandong" in by_label.notes[0]
    assert by_label.against(None).notes == by_label.notes  # kept by `against`


def test_read_pairing_keeps_its_list_and_carries_the_notes(
    hubei: po.Scenario, tmp_path: Path
) -> None:
    rows = read_pairing(_labelled(hubei, tmp_path, recipient=False), hubei)
    assert rows == read_pairing(HUBEI_PAIRING, hubei)
    assert isinstance(rows, list) and len(rows.notes) == 1
    assert "column 'donor' holds the donors' labels" in rows.notes[0]
    assert read_pairing(HUBEI_PAIRING, hubei).notes == ()


def test_cli_evaluate_same_stdout_one_note_per_translated_column(
    hubei: po.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _labelled(hubei, tmp_path / "labels")
    _labelled(hubei, tmp_path / "donors", recipient=False)
    _write(tmp_path / "ids", _hubei_rows())
    results = {}
    for name in ("ids", "labels", "donors"):
        monkeypatch.chdir(tmp_path / name)
        results[name] = run("evaluate", HUBEI, "pairing.csv", "--no-timings")
    ids, labels, donors = results["ids"], results["labels"], results["donors"]
    assert ids.exit_code == labels.exit_code == donors.exit_code == ExitCode.INFEASIBLE
    assert labels.stdout == ids.stdout and donors.stdout == ids.stdout
    assert notes_in(ids.stderr) == []
    assert notes_in(labels.stderr) == [
        f"pairopt: note: {_expected_note(hubei, 'donor')}",
        f"pairopt: note: {_expected_note(hubei, 'recipient')}",
    ]
    assert notes_in(donors.stderr) == [f"pairopt: note: {_expected_note(hubei, 'donor')}"]
    assert "read by label" not in labels.stdout  # stdout carries the report only
    assert labels.stderr.replace("\n".join(notes_in(labels.stderr)) + "\n", "") == ids.stderr


def test_cli_evaluate_json_is_the_same(
    hubei: po.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _labelled(hubei, tmp_path / "labels")
    _write(tmp_path / "ids", _hubei_rows())
    out = []
    for name in ("ids", "labels"):
        monkeypatch.chdir(tmp_path / name)
        out.append(run("evaluate", HUBEI, "pairing.csv", "--format", "json", "--no-timings"))
    assert out[0].stdout == out[1].stdout and out[0].stdout.startswith("{")
    assert len(notes_in(out[1].stderr)) == 2


def test_api_compare_of_ids_and_labels_is_same(hubei: po.Scenario, tmp_path: Path) -> None:
    labelled = _labelled(hubei, tmp_path)
    result = po.compare(HUBEI_PAIRING, labelled, hubei)
    assert result.same
    assert len(result.notes) == 2 and all(str(labelled) in n for n in result.notes)
    assert po.compare(HUBEI_PAIRING, HUBEI_PAIRING, hubei).notes == ()
    # Without a scenario there are no labels to read: the files differ.
    assert not po.compare(HUBEI_PAIRING, labelled).same
    assert po.compare(HUBEI_PAIRING, labelled).notes == ()


def test_cli_compare_notes_on_stderr(hubei: po.Scenario, tmp_path: Path) -> None:
    labelled = _labelled(hubei, tmp_path, recipient=False)
    result = run("compare", HUBEI_PAIRING, labelled, "--scenario", HUBEI)
    assert result.exit_code == 0, result.stderr
    (note,) = notes_in(result.stderr)
    assert note.startswith(f"pairopt: note: {labelled}: column 'donor' holds the donors' labels")
    assert "read by label" not in result.stdout
    unlabelled = run("compare", HUBEI_PAIRING, HUBEI_PAIRING, "--scenario", HUBEI)
    assert result.stdout.replace(str(labelled), str(HUBEI_PAIRING)) == unlabelled.stdout


# ------------------------------------------------------------------ small scenarios

DONORS: dict[str, list[Any]] = {
    "id": ["Anhui", "Shanxi", "Shaanxi", "Hunan"],
    "cap": [600, 500, 700, 600],
    "lat": [31.86, 37.87, 34.27, 28.23],
    "lon": [117.28, 112.55, 108.95, 112.94],
    "label": ["安徽省", "山西省", "陕西省", "湖南省"],
}
RECIPIENTS: dict[str, list[Any]] = {
    "id": ["Huangshi", "Xiaogan", "Suizhou"],
    "need": [300, 500, 400],
    "lat": [30.20, 30.92, 31.69],
    "lon": [115.04, 113.92, 113.38],
    "label": ["黄石市", "孝感市", "随州市"],
}


def small(**donor_changes: list[Any]) -> po.Scenario:
    return po.Scenario.from_frames(
        {**DONORS, **donor_changes}, RECIPIENTS, donor_columns={"capacity": "cap"}
    )


def pairing(*rows: tuple[str, str] | tuple[str, str, float]) -> dict[str, list[Any]]:
    return {
        "donor": [r[0] for r in rows],
        "recipient": [r[1] for r in rows],
        "share": [r[2] if len(r) == 3 else None for r in rows],
    }


def problems(scenario: po.Scenario, table: Any) -> list[str]:
    with pytest.raises(po.InputError) as caught:
        po.evaluate(scenario, table)
    return [str(p) for p in caught.value.problems]


def test_a_dataframe_of_labels_is_read_by_label() -> None:
    found = po.evaluate(small(), pairing(("湖南省", "黄石市", 300), ("山西省", "孝感市", 500)))
    assert [(p.donor, p.recipient) for p in found.pairs] == [
        ("Hunan", "Huangshi"),
        ("Shanxi", "Xiaogan"),
    ]
    assert found.notes == (
        "pairing table: column 'donor' holds the donors' labels (湖南省 is Hunan, 山西省 is "
        "Shanxi); read by label.",
        "pairing table: column 'recipient' holds the recipients' labels (黄石市 is Huangshi, "
        "孝感市 is Xiaogan); read by label.",
    )


def test_labels_are_compared_in_nfc_and_stripped_but_not_fuzzily() -> None:
    scenario = small(label=["安徽省", "Café", "陕西省", "湖南省"])
    nfd = unicodedata.normalize("NFD", "Café")
    found = po.evaluate(scenario, pairing((f"  {nfd} ", "Xiaogan", 500)))
    assert [p.donor for p in found.pairs] == ["Shanxi"] and len(found.notes) == 1
    # Case and width are not folded: 'café' is no label, so it is an unknown donor.
    (msg,) = problems(scenario, pairing(("café", "Xiaogan", 500)))
    assert "unknown donor 'café'" in msg


def test_an_ambiguous_label_is_an_input_error_naming_it_and_its_ids() -> None:
    scenario = small(label=["安徽省", "山西省", "山西省", "湖南省"])
    table = pairing(("湖南省", "Huangshi", 300), ("山西省", "Xiaogan", 500), ("安徽省", "Suizhou"))
    (msg,) = problems(scenario, table)
    assert msg.startswith("pairing table, column 'donor': the column holds the donors' labels")
    assert "'山西省' belongs to 2 donors: Shanxi and Shaanxi (row 3)" in msg
    assert msg.endswith("Fix: write the ids instead.")
    assert "unknown donor" not in msg


def labelled_scenario(folder: Path, labels: list[str]) -> Path:
    """conftest's three-by-three scenario file (donors A, B, C) with these donor labels."""
    rows = zip(("A,10,30,110", "B,8,31,115", "C,5,35,120"), labels, strict=True)
    donors = "id,cap,lat,lon,zh\n" + "".join(f"{row},{label}\n" for row, label in rows)
    path = write_scenario(folder, donors=donors)
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["donors"]["label"] = "zh"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_an_ambiguous_label_through_the_cli_exits_2(tmp_path: Path) -> None:
    path = labelled_scenario(tmp_path, ["甲", "甲", "丙"])
    pairs = tmp_path / "pairing.csv"
    pairs.write_text("donor,recipient,share\n丙,X,4\n甲,Y,7\n甲,Z,4\n", encoding="utf-8")
    result = run("evaluate", path, pairs)
    assert result.exit_code == ExitCode.BAD_INPUT == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert "pairopt: 1 problem in the input:" in result.stderr
    assert f"{pairs}, column 'donor'" in result.stderr
    assert "'甲' belongs to 2 donors: A and B (rows 3, 4)" in result.stderr
    assert "Fix: write the ids instead." in result.stderr
    assert notes_in(result.stderr) == []


def test_a_mixed_column_errors_as_before_with_the_label_hint() -> None:
    table = pairing(("Hunan", "Huangshi", 300), ("山西省", "Xiaogan", 500))
    (msg,) = problems(small(), table)
    assert msg.startswith("pairing table, row 3, column 'donor': unknown donor '山西省'")
    assert "'山西省' is the label of donor Shanxi: use its id 'Shanxi'." in msg


def test_a_mixed_column_through_the_cli_errors_as_before(tmp_path: Path) -> None:
    path = labelled_scenario(tmp_path, ["甲", "乙", "丙"])
    pairs = tmp_path / "pairing.csv"
    pairs.write_text("donor,recipient,share\nA,X,4\n乙,Y,7\n", encoding="utf-8")
    result = run("evaluate", path, pairs)
    assert result.exit_code == 2
    assert f"{pairs}, row 3, column 'donor': unknown donor '乙'" in result.stderr
    assert "'乙' is the label of donor B: use its id 'B'." in result.stderr
    assert notes_in(result.stderr) == []


def test_a_value_that_is_no_label_keeps_the_column_read_by_id() -> None:
    table = pairing(("湖南省", "Huangshi", 300), ("山西", "Xiaogan", 500))
    msgs = problems(small(), table)
    assert len(msgs) == 2 and all("unknown donor" in m for m in msgs)
    assert "'湖南省' is the label of donor Hunan" in msgs[0]


def test_a_label_that_is_another_ids_id_is_read_as_the_id() -> None:
    scenario = small(label=["Shanxi", "山西省", "陕西省", "湖南省"])  # Anhui's label: 'Shanxi'
    found = po.evaluate(scenario, pairing(("Shanxi", "Xiaogan", 500)))
    assert [p.donor for p in found.pairs] == ["Shanxi"] and found.notes == ()


def test_an_empty_cell_in_a_label_column_is_the_only_problem() -> None:
    table = pairing(("湖南省", "Huangshi", 300), ("", "Xiaogan", 500), ("山西省", "Suizhou"))
    (msg,) = problems(small(), table)
    assert msg.startswith("pairing table, row 3, column 'donor': the cell is empty.")


def test_a_pair_twice_by_label_is_named_by_its_ids() -> None:
    table = pairing(("湖南省", "Huangshi", 300), ("湖南省", "Huangshi", 200))
    (msg,) = problems(small(), table)
    assert "the pair Hunan -> Huangshi is listed twice (also row 2)" in msg


def test_a_scenario_without_labels_reads_ids_only() -> None:
    scenario = small(label=["", "", "", ""])  # labels default to the ids
    (msg,) = problems(scenario, pairing(("湖南省", "Huangshi", 300)))
    assert "unknown donor '湖南省'" in msg
