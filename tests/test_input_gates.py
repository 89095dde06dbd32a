"""The gates every input passes before it is read (issue #24, the input side).

Each case that could block (a FIFO) or run away (a device, a bomb) if its gate regressed
runs the command line in a subprocess with a timeout, so a regression fails here instead
of hanging the suite; the run must also end within a few seconds (the gates answer at
once: a second or so is the interpreter's start-up).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pairing_opt.errors import InputError
from pairing_opt.io.loader import read_csv_text
from pairing_opt.scenario.table import number_problem, parse_number, without_thousands

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "example"
TIMEOUT = 30  # seconds; a gate answers in about one (mostly the interpreter's start-up)


def _pairopt(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    """Run `python -m pairing_opt ARGS`; returns the exit code, stderr and seconds taken."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pairing_opt", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stderr, time.monotonic() - start


@pytest.fixture
def example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _bad(code: int, stderr: str, *tokens: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert "Fix:" in stderr, stderr
    for token in tokens:
        assert token in stderr, f"{token!r} not in {stderr}"


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")


@needs_fifo
@pytest.mark.parametrize("name", ["scenario.yaml", "donors.csv", "pairs.csv"])
def test_a_fifo_is_refused_at_once(example: Path, name: str) -> None:
    (example / name).unlink()
    os.mkfifo(example / name)
    code, err, seconds = _pairopt("check", str(example / "scenario.yaml"))
    _bad(code, err, name, "named pipe")
    assert seconds < 10


@needs_fifo
def test_a_fifo_pairing_is_refused_at_once(example: Path) -> None:
    os.mkfifo(example / "fifo.csv")
    code, err, _ = _pairopt("evaluate", str(example / "scenario.yaml"), str(example / "fifo.csv"))
    _bad(code, err, "fifo.csv", "named pipe")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
@pytest.mark.parametrize("name", ["scenario.yaml", "recipients.csv"])
def test_a_device_is_refused(example: Path, device: str, name: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    (example / name).unlink()
    (example / name).symlink_to(device)
    code, err, _ = _pairopt("check", str(example / "scenario.yaml"))
    _bad(code, err, name, "character device", device)


def test_a_device_named_directly_is_refused() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    code, err, _ = _pairopt("check", "/dev/zero")
    _bad(code, err, "/dev/zero", "character device")


def test_the_table_cap_follows_the_environment(example: Path) -> None:
    scenario = str(example / "scenario.yaml")
    code, err, _ = _pairopt("check", scenario, env={"PAIROPT_MAX_TABLE_MB": "0.0005"})
    _bad(code, err, "pairs.csv", "bytes", "PAIROPT_MAX_TABLE_MB")
    assert "donors.csv" not in err  # 178 bytes: under the 524-byte cap
    code, err, _ = _pairopt("check", scenario, env={"PAIROPT_MAX_TABLE_MB": "1"})
    assert code == 0, err


def test_the_scenario_cap_follows_the_environment(example: Path) -> None:
    code, err, _ = _pairopt(
        "check", str(example / "scenario.yaml"), env={"PAIROPT_MAX_SCENARIO_MB": "0.0001"}
    )
    _bad(code, err, "scenario.yaml", "bytes", "PAIROPT_MAX_SCENARIO_MB")


def test_a_bad_limit_is_named_once(example: Path) -> None:
    code, err, _ = _pairopt(
        "check", str(example / "scenario.yaml"), env={"PAIROPT_MAX_TABLE_MB": "lots"}
    )
    _bad(code, err, "PAIROPT_MAX_TABLE_MB", "'lots'")
    assert err.count("PAIROPT_MAX_TABLE_MB: ") == 1, err


def test_an_alias_bomb_ends_at_once(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    code, err, seconds = _pairopt("check", str(tmp_path / "bomb.yaml"))
    _bad(code, err, "bomb.yaml", "line 6", "aliases")
    assert seconds < 10


# ------------------------------------------------------------------ decoding


def _message(data: bytes, encoding: str | None = None) -> str:
    with pytest.raises(InputError) as info:
        read_csv_text(data, "t.csv", encoding)
    (problem,) = info.value.problems
    return str(problem)


def test_a_utf8_table_with_one_gbk_line_is_refused() -> None:
    data = "id,need\n广东,1\n".encode() + "湖南,2\n".encode("gbk") + "河南,3\n".encode()
    message = _message(data)
    assert "t.csv, line 3" in message and "mixes encodings" in message and "line 2" in message


def test_a_table_all_in_gbk_is_still_read() -> None:
    table, used = read_csv_text("id,need\n广东,1\n湖南,2\n".encode("gbk"), "t.csv", None)
    assert used == "gb18030" and table["id"] == ["广东", "湖南"]


def test_utf8_with_bom_is_read() -> None:
    table, _ = read_csv_text("id,need\n广东,1\n".encode("utf-8-sig"), "t.csv", None)
    assert table.columns == ["id", "need"] and table["id"] == ["广东"]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x0c"])
def test_control_characters_are_refused_with_their_line(char: str) -> None:
    message = _message(f"id,need\nA,1\nB{char},2\n".encode())
    assert "t.csv, line 3" in message and f"U+{ord(char):04X}" in message


def test_tabs_and_carriage_returns_are_text() -> None:
    table, _ = read_csv_text(b"id,note,need\r\nA,a\tb,1\r\n", "t.csv", None)
    assert table["note"] == ["a\tb"]


def test_a_huge_cell_has_its_own_message() -> None:
    message = _message(b"id,need\nA," + b"9" * 200_000 + b"\n")
    assert "t.csv, line 2" in message and "a cell of more than" in message


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234", 1234.0), ("1,234,567.5", 1234567.5), ("-12,345", -12345.0), ("1234", 1234.0)],
)
def test_thousands_separators(text: str, value: float) -> None:
    assert parse_number(without_thousands(text)) == value
    assert number_problem(text) is None


@pytest.mark.parametrize("text", ["1,5", "0,9", "1,2,3", "12,34", "1,23,456", "1,2345", ",5"])
def test_other_commas_are_no_number(text: str) -> None:
    assert without_thousands(text) == text
    problem = number_problem(text, "a capacity")
    assert problem is not None and f"'{text}' is not a capacity" in problem
    assert "decimal comma" in problem


def test_decimal_comma_suggests_the_point() -> None:
    assert "write '0.9'" in (number_problem("0,9") or "")


@needs_fifo
def test_a_fifo_case_cannot_hang_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the gate gone (the file read as before), the corpus's FIFO case would fail
    after its alarm instead of blocking the suite."""
    from pairing_opt.io import loader

    from . import test_bad_inputs as corpus

    monkeypatch.setattr(corpus, "ALARM_SECONDS", 2)
    monkeypatch.setattr(loader, "read_capped", lambda path, name, **_: Path(path).read_bytes())
    with pytest.raises(corpus.CaseTimeout):
        corpus._run(corpus.BAD / "110-scenario-fifo", tmp_path, monkeypatch)


def test_too_many_candidate_pairs_are_refused_before_they_are_built(tmp_path: Path) -> None:
    """Donors x recipients beyond PAIROPT_MAX_PAIRS is one located message, exit 2, before
    the pairs take memory; a pair table lifts it (only its rows are candidates)."""
    folder = tmp_path / "wide"
    folder.mkdir()
    donors = "id,cap\n" + "".join(f"d{i},5\n" for i in range(300))
    recipients = "id,need\n" + "".join(f"r{j},1\n" for j in range(40))
    (folder / "donors.csv").write_text(donors, encoding="utf-8")
    (folder / "recipients.csv").write_text(recipients, encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text(
        "donors: {file: donors.csv, id: id, capacity: cap}\n"
        "recipients: {file: recipients.csv, id: id, need: need}\n"
        "objective: balance\n",
        encoding="utf-8",
    )

    def check(limit: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PAIROPT_MAX_PAIRS": limit}
        command = [sys.executable, "-m", "pairing_opt", "check", str(scenario)]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    done = check("10000")
    assert done.returncode == 2, done.stderr
    assert "300 donors x 40 recipients = 12,000 candidate pairs" in done.stderr
    assert "PAIROPT_MAX_PAIRS" in done.stderr and "Traceback" not in done.stderr
    done = check("12000")
    assert done.returncode == 0, done.stderr


def test_running_out_of_memory_is_a_clean_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """An input past what the caps catch must still end in a message, not 'internal error'."""
    from click.testing import CliRunner

    from pairing_opt import api
    from pairing_opt.cli import main

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(api, "load", exhausted)
    result = CliRunner().invoke(main, ["check", "any.yaml"])
    assert result.exit_code == 2
    assert "too large for this machine's memory" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
