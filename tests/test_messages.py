"""Messages about ids (issue #24): the row's id in cell messages, suggestions that never
swap one real entity for another, Unicode look-alikes and control characters.

The corpus cases tests/data/bad/180-* to 198-* hold the same faults as files run through
the CLI; these tests go through the library (Scenario.from_frames, load, read_pairing).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

import pairing_opt as po
from pairing_opt.io.pairings import parse_pairing, read_pairing
from pairing_opt.scenario.scenario import Names, Suggester, name_key, nfc, shown, suggest
from pairing_opt.scenario.table import Table

from .conftest import write_scenario

NFC = "Café"
NFD = unicodedata.normalize("NFD", NFC)
PROVINCES = ["Anhui", "Shanxi", "Hunan", "Yunnan", "Guangdong"]


def _donors(**changes: Any) -> dict[str, list[Any]]:
    table: dict[str, list[Any]] = {
        "id": list(PROVINCES),
        "capacity": [600, 500, 600, 300, 900],
        "lat": [31.86, 37.87, 28.23, 25.04, 23.13],
        "lon": [117.28, 112.55, 112.94, 102.71, 113.26],
        "label": ["安徽省", "山西省", "湖南省", "云南省", "广东省"],
    }
    table.update(changes)
    return table


RECIPIENTS = {
    "id": ["Huangshi", "Xiaogan", "Suizhou"],
    "need": [300, 500, 400],
    "lat": [30.20, 30.92, 31.69],
    "lon": [115.04, 113.92, 113.38],
    "label": ["黄石市", "孝感市", "随州市"],
}


def _problems(donors: Any = None, recipients: Any = None, **kwargs: Any) -> list[str]:
    with pytest.raises(po.InputError) as caught:
        po.Scenario.from_frames(
            donors if donors is not None else _donors(),
            recipients if recipients is not None else RECIPIENTS,
            **kwargs,
        )
    return [str(p) for p in caught.value.problems]


def _fixed(donor: str, recipient: str = "Huangshi") -> dict[str, Any]:
    return {"fixed": [{"donor": donor, "recipient": recipient}]}


# ------------------------------------------------------------------ the row's id


def test_a_bad_cell_names_the_rows_id_and_echoes_the_value() -> None:
    (msg,) = _problems(_donors(capacity=[600, 500, 600, -400, 900]))
    assert msg.startswith("donors table, row 5, column 'capacity': -400 is below the minimum 0")
    assert "(donor Yunnan)" in msg


def test_text_infinite_and_half_coordinates_name_the_row() -> None:
    donors = _donors(capacity=[600, "ten", "inf", 300, 900], lat=[31.86, 37.87, 28.23, "", 23.13])
    msgs = _problems(donors)
    assert any("row 3, column 'capacity': 'ten'" in m and "(donor Shanxi)" in m for m in msgs)
    assert any("row 4, column 'capacity': 'inf'" in m and "(donor Hunan)" in m for m in msgs)
    half = [m for m in msgs if "only one coordinate" in m]
    assert half and "(donor Yunnan)" in half[0] and "'102.71'" in half[0]


def test_a_row_whose_id_is_repeated_or_empty_is_not_named_by_it() -> None:
    donors = _donors(
        id=["Anhui", "Shanxi", "Anhui", "", "Guangdong"], capacity=["w", "x", "y", "z", 900]
    )
    msgs = _problems(donors)
    for row in (2, 4, 5):
        (msg,) = [m for m in msgs if f"row {row}, column 'capacity'" in m]
        assert "(donor" not in msg
    (msg,) = [m for m in msgs if "row 3, column 'capacity'" in m]
    assert "(donor Shanxi)" in msg


def test_a_pair_table_cell_names_its_pair() -> None:
    pairs = {"donor": ["Anhui", "Hunan", "Nowhere"], "recipient": ["Huangshi"] * 3}
    pairs["km"] = ["260", "far", "x"]  # type: ignore[list-item]
    msgs = _problems(pairs=pairs)
    assert any("row 3, column 'km': 'far'" in m and "(pair Hunan -> Huangshi)" in m for m in msgs)
    # The row of an unknown donor has no valid id: its km message names none.
    (km,) = [m for m in msgs if "row 4, column 'km'" in m]
    assert "(pair" not in km


def test_a_pairing_files_share_names_its_pair(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("donor,recipient,share\nHunan,Huangshi,lots\n", encoding="utf-8")
    with pytest.raises(po.InputError) as caught:
        read_pairing(path)
    assert "'lots' is not a share (a number >= 0) (pair Hunan -> Huangshi)" in str(caught.value)


# ------------------------------------------------------------------ suggestions


@pytest.mark.parametrize(
    ("typed", "unsafe"),
    [("Henan", "Hunan"), ("Shaanxi", "Shanxi"), ("Guangxi", "Guangdong"), ("Hubei", "Hunan")],
)
def test_a_different_real_province_is_never_suggested(typed: str, unsafe: str) -> None:
    (msg,) = _problems(rules=_fixed(typed))
    assert f"unknown donor '{typed}'" in msg
    assert "did you mean" not in msg and unsafe not in msg.split("Fix:")[1]


@pytest.mark.parametrize(
    ("typed", "meant", "says"),
    [
        ("hunan", "Hunan", "letter case"),
        ("Ｈｕｎａｎ", "Hunan", "full-width"),
        ("Hu nan", "Hunan", "spaces or punctuation"),
        ("HU-NAN", "Hunan", "letter case and spaces or punctuation"),
        ("Anhwei", "Anhui", "another spelling"),
        ("Kwangtung", "Guangdong", "another spelling"),
        ("Hunnan", "Hunan", ""),  # a doubled letter, and no real place of its own
        ("Yunann", "Yunnan", ""),  # two letters swapped
    ],
)
def test_what_is_plausibly_the_same_name_is_suggested(typed: str, meant: str, says: str) -> None:
    (msg,) = _problems(rules=_fixed(typed))
    assert f"did you mean '{meant}'?" in msg
    assert says in msg


def test_a_name_known_elsewhere_is_said_to_be_so() -> None:
    msgs = _problems(
        rules={
            "fixed": [
                {"donor": "Xiaogan", "recipient": "Huangshi"},
                {"donor": "湖南省", "recipient": "孝感市"},
                {"donor": "Hunan", "recipient": "Yunnan"},
            ]
        }
    )
    joined = "\n".join(msgs)
    assert "'Xiaogan' is a recipient, not a donor" in joined
    assert "'湖南省' is the label of donor Hunan" in joined
    assert "'孝感市' is the label of recipient Xiaogan" in joined
    assert "'Yunnan' is a donor, not a recipient" in joined
    assert "did you mean" not in joined


def test_ids_that_differ_in_a_digit_are_different_names() -> None:
    names = Names("recipient", ["City 1", "City 2", "City 11"])
    for typed in ("City 9", "City 12", "City 111"):
        assert "did you mean" not in suggest(typed, names)
    assert "did you mean 'City 11'?" in suggest("city 11", names)


def test_suggest_keeps_its_old_call() -> None:
    assert suggest("AA", ["A", "B"]) == "did you mean 'A'?"
    assert suggest("Q", ["A", "B"]) == "use an id from that table."


def test_the_fix_for_a_name_is_computed_once() -> None:
    calls: list[str] = []

    class Counting(Suggester):
        def _fix(self, name: str) -> str:
            calls.append(name)
            return super()._fix(name)

    fix = Counting(Names("donor", PROVINCES))
    answers = {fix(name) for name in ["hunan", "hunan", "Henan", "hunan", "Henan"]}
    assert calls == ["hunan", "Henan"] and len(answers) == 2


def test_name_key() -> None:
    assert name_key("Ｈｕ-ｎａｎ ") == name_key("hu nan") == "hunan"
    assert name_key(NFD) == name_key(NFC)


# ------------------------------------------------------------------ Unicode look-alikes


def test_nfd_ids_in_rules_and_pair_table_are_the_nfc_ids() -> None:
    donors = _donors(id=[NFC, *PROVINCES[1:]])
    pairs = {
        "donor": [NFD, NFD, "Hunan", "Shanxi", "Yunnan", "Guangdong"],
        "recipient": ["Huangshi", "Xiaogan", "Suizhou", "Suizhou", "Xiaogan", "Huangshi"],
    }
    scenario = po.Scenario.from_frames(
        donors, RECIPIENTS, pairs, rules=_fixed(NFD), solver={"name": "highs"}
    )
    assert scenario.donors[0] == NFC
    assert scenario.rules.fixed[0].donor == NFC
    assert scenario.pairs is not None and scenario.pairs.donor[:2].tolist() == [0, 0]


def test_nfd_table_ids_are_read_as_nfc() -> None:
    scenario = po.Scenario.from_frames(_donors(id=[NFD, *PROVINCES[1:]]), RECIPIENTS)
    assert scenario.donors[0] == NFC and scenario.donor_index[NFC] == 0


def test_ids_equal_after_normalisation_are_duplicates_naming_both_rows() -> None:
    (msg,) = _problems(_donors(id=[NFC, "Shanxi", "Hunan", NFD, "Guangdong"]))
    assert "row 5, column 'id': duplicate id 'Café' (also in row 2)" in msg
    assert "NFC and NFD" in msg


def test_a_pairing_file_in_nfd_matches_the_scenario(tmp_path: Path) -> None:
    scenario = po.Scenario.from_frames(_donors(id=[NFC, *PROVINCES[1:]]), RECIPIENTS)
    path = tmp_path / "p.csv"
    path.write_text(f"donor,recipient,share\n{NFD},Huangshi,300\n", encoding="utf-8")
    (row,) = read_pairing(path, scenario)
    assert row.donor == NFC


def test_width_is_not_folded_silently() -> None:
    (msg,) = _problems(rules=_fixed("Ｈｕｎａｎ"))
    assert "unknown donor 'Ｈｕｎａｎ'" in msg and "full-width" in msg


# ------------------------------------------------------------------ control characters


@pytest.mark.parametrize("char", ["\x00", "\x01", "\t", "\x1b", "\x7f", "\x85", "\x9f"])
def test_a_control_character_in_an_id_is_an_error_naming_the_cell(char: str) -> None:
    msgs = _problems(_donors(id=["Anhui", "Shanxi", f"Hu{char}nan", "Yunnan", "Guangdong"]))
    (msg,) = [m for m in msgs if "column 'id'" in m]
    assert msg.startswith("donors table, row 4, column 'id'")
    assert f"U+{ord(char):04X}" in msg and "control character" in msg
    assert char not in msg  # escaped, never printed raw
    assert shown(f"Hu{char}nan") in msg


def test_a_control_character_in_a_label_is_an_error_naming_the_cell() -> None:
    labels = ["安徽省", "山\x1b[31m西省", "湖南省", "云南省", "广东省"]
    (msg,) = _problems(_donors(label=labels))
    assert msg.startswith("donors table, row 3, column 'label'")
    assert "U+001B" in msg and "(donor Shanxi)" in msg and "\x1b" not in msg


def test_a_control_character_in_a_rule_id_points_to_the_clean_id() -> None:
    (msg,) = _problems(rules=_fixed("Hunan\x00"))
    assert "unknown donor 'Hunan\\x00'" in msg and "U+0000" in msg and "'Hunan' is a donor" in msg


def test_a_control_character_in_a_pairing_file(tmp_path: Path) -> None:
    scenario = po.load(write_scenario(tmp_path))
    table = Table({"donor": ["A\x07"], "recipient": ["X"], "share": ["1"]})
    with pytest.raises(po.InputError) as caught:
        parse_pairing(table, "p.csv", scenario)
    text = str(caught.value)
    assert "unknown donor 'A\\x07'" in text and "U+0007" in text and "\x07" not in text
    assert "'A' is a donor" in text


def test_nfc_leaves_ascii_and_composed_text_alone() -> None:
    assert nfc("Hunan") == "Hunan" and nfc(NFD) == NFC and nfc("湖南") == "湖南"
