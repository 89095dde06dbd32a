"""The bad-input corpus in tests/data/bad/: one folder per fault.

Each folder holds a small scenario (scenario.yaml plus the tables it names, or a pairing
CSV for `evaluate`) and an expect.yaml with:

- `why`: one line saying what is wrong;
- `command`: the argv after `pairopt`; the token SCENARIO stands for the case's
  scenario.yaml, and CASE (alone or as a prefix, CASE/pairing.csv) for the case folder;
- `exit`: the documented exit code (README, "Exit codes");
- `stderr_contains`: substrings the message must contain (file, row/line, column, the fix).
  The case folder's temporary path is shown as CASE, so a case's own folder name can
  never satisfy an expectation;
- optional `stderr_not_contains`: substrings the message must not contain;
- optional `problems`: for exit 2, how many problems the message lists (default 1: one
  fault, one message);
- optional `stdout_contains`: substrings the report on stdout must contain;
- optional `generate`: files made in the temporary copy because they cannot be committed
  as static data (see GENERATORS below);
- optional `monkeypatch`: pairing_opt.io.loader constants to override for the run;
- optional `xfail`: the reason pairopt does not meet the expectation yet. Such a case is
  run with pytest.mark.xfail(strict=True), so it fails once pairopt is fixed: then drop
  the key.

Every case must end with one message on stderr, the documented exit code and no
traceback; with `--debug` the traceback is shown and the exit code is the same.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from pairing_opt.cli import main
from pairing_opt.io import loader

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = sorted(p for p in BAD.iterdir() if (p / "expect.yaml").is_file())
KEYS = {
    "why",
    "command",
    "exit",
    "stderr_contains",
    "stderr_not_contains",
    "problems",
    "stdout_contains",
    "generate",
    "monkeypatch",
    "xfail",
}
DOCUMENTED_EXITS = {0, 1, 2, 3, 4}
# Run again with --debug (named without their number, which may shift).
DEBUG_CASES = (
    "yaml-tab-indent",
    "table-binary-junk",
    "duplicate-donor-id",
    "total-need-above-capacity",
    "evaluate-unknown-donor",
)


def _expect(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{case.name}/expect.yaml is not a mapping"
    return data


# ------------------------------------------------------------------ generators
# Each takes the temporary copy of the case folder and its `generate:` entry.


def _binary_junk(folder: Path, spec: dict[str, Any]) -> None:
    """Every byte value, NULs included, as an image or archive would have."""
    (folder / spec["file"]).write_bytes(bytes(range(256)) * 16)


def _unreadable(folder: Path, spec: dict[str, Any]) -> None:
    """chmod 000. Root reads such files anyway, so the case is skipped there."""
    if getattr(os, "geteuid", lambda: -1)() == 0:
        pytest.skip("running as root: a chmod 000 file is still readable")
    os.chmod(folder / spec["file"], 0)


def _huge_scenario(folder: Path, spec: dict[str, Any]) -> None:
    """The scenario padded with a YAML comment to MAX_SCENARIO_BYTES + 1 bytes (1 MiB)."""
    path = folder / spec["file"]
    text = path.read_bytes()
    size = loader.MAX_SCENARIO_BYTES + 1
    path.write_bytes(text + b"#" + b"x" * (size - len(text) - 2) + b"\n")
    assert path.stat().st_size == size


def _encode(folder: Path, spec: dict[str, Any]) -> None:
    """Re-encode a committed UTF-8 file into another codec (gbk, big5, utf-16)."""
    path = folder / spec["file"]
    path.write_bytes(path.read_text(encoding="utf-8").encode(spec["encoding"]))


def _xlsx(folder: Path, spec: dict[str, Any]) -> None:
    """Save a committed CSV as an .xlsx workbook with the given sheet name."""
    frame = pd.read_csv(folder / spec["file"], dtype=str, keep_default_na=False)
    frame.to_excel(folder / spec["to"], sheet_name=spec["sheet"], index=False)


GENERATORS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "binary_junk": _binary_junk,
    "unreadable": _unreadable,
    "huge_scenario": _huge_scenario,
    "encode": _encode,
    "xlsx": _xlsx,
}


# ------------------------------------------------------------------ running a case


def _argv(command: list[str], folder: Path) -> list[str]:
    out = []
    for arg in map(str, command):
        if arg == "SCENARIO":
            arg = str(folder / "scenario.yaml")
        elif arg == "CASE" or arg.startswith("CASE/"):
            arg = str(folder) + arg[len("CASE") :]
        out.append(arg)
    return out


def _run(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool = False
) -> tuple[Result, str, dict[str, Any]]:
    """Copy the case to tmp_path, generate its files and run the CLI.

    Returns the result, its stderr with the temporary folder shown as CASE, and the
    expectation."""
    expect = _expect(case)
    folder = tmp_path / case.name
    shutil.copytree(case, folder)
    for spec in expect.get("generate", []):
        GENERATORS[spec["kind"]](folder, spec)
    for name, value in expect.get("monkeypatch", {}).items():
        monkeypatch.setattr(loader, name, value)  # raising=True: the constant must exist
    argv = _argv(expect["command"], folder)
    result = CliRunner().invoke(main, ["--debug", *argv] if debug else argv)
    stderr = result.stderr.replace(str(folder), "CASE").replace(str(tmp_path), "TMP")
    return result, stderr, expect


def _show(result: Result, stderr: str) -> str:
    return f"\n--- exit {result.exit_code}\n--- stderr:\n{stderr}--- stdout:\n{result.stdout}"


def _params(cases: list[Path]) -> list[Any]:
    params = []
    for case in cases:
        reason = _expect(case).get("xfail")
        marks = [pytest.mark.xfail(reason=str(reason), strict=True)] if reason else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, stderr, expect = _run(case, tmp_path, monkeypatch)
    shown = _show(result, stderr)
    # An exception the CLI did not turn into a message (CliRunner catches it).
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert result.exit_code == expect["exit"], shown
    assert "Traceback" not in stderr, shown
    for text in expect["stderr_contains"]:
        assert text in stderr, f"{text!r} not in stderr" + shown
    for text in expect.get("stderr_not_contains", []):
        assert text not in stderr, f"{text!r} in stderr" + shown
    for text in expect.get("stdout_contains", []):
        assert text in result.stdout, f"{text!r} not in stdout" + shown
    if expect["exit"] != 0:
        assert stderr.startswith("pairopt: "), "no pairopt message on stderr" + shown
    if expect["exit"] == 2:
        assert result.stdout == "", "bad input must write nothing to stdout" + shown
        head, *items = stderr.splitlines()
        count = expect.get("problems", 1)
        assert head == f"pairopt: {count} problem{'s' if count != 1 else ''} in the input:", shown
        assert len(items) == count, "one line per problem" + shown
        assert all(line.startswith("  - ") and "Fix: " in line for line in items), shown


def _by_name(name: str) -> Path:
    (case,) = [c for c in CASES if c.name[3:] == name]
    return case


@pytest.mark.parametrize("case", _params([_by_name(name) for name in DEBUG_CASES]))
def test_debug_shows_the_traceback(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, stderr, expect = _run(case, tmp_path, monkeypatch, debug=True)
    shown = _show(result, stderr)
    assert result.exit_code == expect["exit"], shown
    assert "Traceback" in stderr, shown
    for text in expect["stderr_contains"]:
        assert text in stderr, f"{text!r} not in stderr" + shown


def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= 40
    numbers = []
    for case in CASES:
        match = re.fullmatch(r"(\d{2,3})-[a-z0-9]+(-[a-z0-9]+)*", case.name)
        assert match, f"{case.name}: name it NN-short-name"
        numbers.append(int(match.group(1)))
        expect = _expect(case)
        assert set(expect) <= KEYS, f"{case.name}: unknown keys {set(expect) - KEYS}"
        assert {"why", "command", "exit", "stderr_contains"} <= set(expect), case.name
        assert expect["exit"] in DOCUMENTED_EXITS, case.name
        assert isinstance(expect["stderr_contains"], list), case.name
        assert expect["exit"] == 2 or "problems" not in expect, case.name
        for spec in expect.get("generate", []):
            assert spec["kind"] in GENERATORS, f"{case.name}: unknown generator {spec['kind']}"
        for name in expect.get("monkeypatch", {}):
            assert hasattr(loader, name), f"{case.name}: pairing_opt.io.loader has no {name}"
        if "SCENARIO" in expect["command"]:
            assert (case / "scenario.yaml").is_file(), f"{case.name}: no scenario.yaml"
    assert len(set(numbers)) == len(numbers), "case numbers must be unique"
    assert all(len([c for c in CASES if c.name[3:] == n]) == 1 for n in DEBUG_CASES)
