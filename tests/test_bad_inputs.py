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
  as static data (see GENERATORS below: FIFOs, links to devices, alias bombs, zip bombs,
  huge cells). A case with a file that could block or run away if its fix regressed (a
  FIFO, a device, a bomb) runs under an alarm, so it fails instead of hanging the suite;
- optional `monkeypatch`: pairing_opt.io.loader constants to override for the run;
- optional `xfail`: the reason pairopt does not meet the expectation yet. Such a case is
  run with pytest.mark.xfail(strict=True), so it fails once pairopt is fixed: then drop
  the key.

Every case must end with one message on stderr, the documented exit code and no
traceback; with `--debug` the traceback is shown and the exit code is the same.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
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


def _fifo(folder: Path, spec: dict[str, Any]) -> None:
    """The file replaced by a named pipe that nobody writes to: reading it blocks forever,
    so such a case runs under an alarm (BLOCKING_KINDS)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = folder / spec["file"]
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _symlink(folder: Path, spec: dict[str, Any]) -> None:
    """The file replaced by a symbolic link to `target` (a device such as /dev/zero)."""
    if not Path(spec["target"]).exists():
        pytest.skip(f"no {spec['target']} on this system")
    path = folder / spec["file"]
    path.unlink(missing_ok=True)
    path.symlink_to(spec["target"])


def _alias_bomb(folder: Path, spec: dict[str, Any]) -> None:
    """'Billion laughs': `levels` anchors, each a list of nine aliases of the one before,
    appended to the scenario as an unknown key (9**levels values once expanded)."""
    lines = [f"{spec['key']}:", f"  - &l0 [{', '.join(['lol'] * 9)}]"]
    for level in range(1, spec["levels"] + 1):
        lines.append(f"  - &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    path = folder / spec["file"]
    path.write_text(path.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")


def _deep_yaml(folder: Path, spec: dict[str, Any]) -> None:
    """A key whose value nests `depth` flow lists ([[[...]]]), appended to the scenario."""
    path = folder / spec["file"]
    depth = spec["depth"]
    text = path.read_text(encoding="utf-8") + f"{spec['key']}: {'[' * depth}1{']' * depth}\n"
    path.write_text(text, encoding="utf-8")


def _replace(folder: Path, spec: dict[str, Any]) -> None:
    """Replace the first `old` by `new` (the text encoded in `encoding`, utf-8 by default):
    one line in another encoding, a NUL or a control character."""
    path = folder / spec["file"]
    data = path.read_bytes()
    old = spec["old"].encode("utf-8")
    assert old in data, f"{spec['old']!r} not in {spec['file']}"
    path.write_bytes(data.replace(old, spec["new"].encode(spec.get("encoding", "utf-8")), 1))


def _pad_cell(folder: Path, spec: dict[str, Any]) -> None:
    """The first `old` followed by `size` more characters: one huge cell."""
    path = folder / spec["file"]
    data = path.read_bytes()
    old = spec["old"].encode("utf-8")
    assert old in data, f"{spec['old']!r} not in {spec['file']}"
    path.write_bytes(data.replace(old, old + b"x" * spec["size"], 1))


def _zip_bomb(folder: Path, spec: dict[str, Any]) -> None:
    """A workbook with one more part, `size` zero bytes that compress to almost nothing."""
    import zipfile

    path = folder / spec["file"]
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as part,
    ):
        block = bytes(1 << 20)
        for start in range(0, spec["size"], len(block)):
            part.write(block[: spec["size"] - start])


def _xlsx_formula(folder: Path, spec: dict[str, Any]) -> None:
    """One cell of a workbook replaced by a formula without a saved value (as scripts
    write them: openpyxl saves no values for formulas)."""
    import openpyxl

    path = folder / spec["file"]
    book = openpyxl.load_workbook(path)
    book.active[spec["cell"]] = spec["formula"]
    book.save(path)


GENERATORS: dict[str, Callable[[Path, dict[str, Any]], None]] = {
    "binary_junk": _binary_junk,
    "unreadable": _unreadable,
    "huge_scenario": _huge_scenario,
    "encode": _encode,
    "xlsx": _xlsx,
    "fifo": _fifo,
    "symlink": _symlink,
    "alias_bomb": _alias_bomb,
    "deep_yaml": _deep_yaml,
    "replace": _replace,
    "pad_cell": _pad_cell,
    "zip_bomb": _zip_bomb,
    "xlsx_formula": _xlsx_formula,
}
# A case with one of these could block or run away if its fix regressed: it runs under an
# alarm of ALARM_SECONDS, which ends it with an exception instead of hanging the suite.
BLOCKING_KINDS = {"fifo", "symlink", "alias_bomb", "zip_bomb"}
ALARM_SECONDS = 20


class CaseTimeout(BaseException):
    """A case ran over its alarm. Not an Exception (nor an OSError, as TimeoutError is):
    the command line's handlers must not turn it into a message."""


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    """SIGALRM after `seconds` (0: none) raises CaseTimeout in the running case."""
    if not seconds or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise CaseTimeout(f"the case ran over {seconds} s (a blocking read or a runaway?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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
    kinds = {spec["kind"] for spec in expect.get("generate", [])}
    with _alarm(ALARM_SECONDS if kinds & BLOCKING_KINDS else 0):
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
