"""Output safety (issue #24): `-o` never destroys what is there, the format follows the
extension, exit codes survive a closed, full or narrow stdout, and bad numbers or places
end in exit 2 rather than an internal error.

Static bad inputs are in the corpus (tests/data/bad/140-*); what needs generated files
(FIFOs, sockets, symbolic links, read-only folders) or a real process (a closed stdout, a
closed pipe, an ASCII locale) is here.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pairing_opt import api
from pairing_opt.cli import main
from pairing_opt.errors import InputError
from pairing_opt.io.atomic import ESCAPE, choose_format, output_problems, write_text

from .conftest import EXAMPLE

PAIRING = EXAMPLE.parent / "example_pairing.csv"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX files and streams")


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _no_traceback(result: Result) -> str:
    shown = f"exit {result.exit_code}\n{result.stderr}{result.stdout}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.stderr, shown
    return shown


def _read_only(path: object, mode: int, folder: Path) -> bool:
    """Whether os.access, patched, should say `folder` is not writable (root may write
    anywhere, so a read-only folder is simulated)."""
    return bool(mode & os.W_OK) and os.path.realpath(str(path)) == os.path.realpath(folder)


@pytest.fixture
def no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any solve fails the test: refusals must come before the work."""

    def solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved although the output was refused")

    monkeypatch.setattr(api, "solve", solve)


@pytest.fixture
def umask() -> Iterator[int]:
    old = os.umask(0o022)
    try:
        yield 0o022
    finally:
        os.umask(old)


# ------------------------------------------------------------ -o never destroys


@POSIX
def test_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "data" / "pairing.csv"
    real.parent.mkdir()
    real.write_text("earlier\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = run("solve", EXAMPLE, "-o", link, "-q")
    assert result.exit_code == 0, _no_traceback(result)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("donor,recipient,share")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["pairing.csv"]  # no temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link.csv"]


@POSIX
def test_dangling_symlink_writes_where_it_points(tmp_path: Path, umask: int) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    result = run("solve", EXAMPLE, "-o", link, "-q", "--no-timings")
    assert result.exit_code == 0, _no_traceback(result)
    assert link.is_symlink()
    assert json.loads((tmp_path / "target.json").read_text())["proven_optimal"] is True


@POSIX
def test_symlink_loop_is_refused(tmp_path: Path, no_solve: None) -> None:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    result = run("solve", EXAMPLE, "-o", loop)
    assert result.exit_code == 2, _no_traceback(result)
    assert "cannot be used" in result.stderr and loop.is_symlink()


@POSIX
def test_fifo_is_refused_before_solving(tmp_path: Path, no_solve: None) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = run("solve", EXAMPLE, "--format", "csv", "-o", fifo)
    assert result.exit_code == 2, _no_traceback(result)
    assert f"-o {fifo}: is a FIFO" in result.stderr and "Fix:" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert result.stdout == ""


@POSIX
def test_socket_is_refused_before_solving(tmp_path: Path, no_solve: None) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        result = run("evaluate", EXAMPLE, PAIRING, "-o", path)
    assert result.exit_code == 2, _no_traceback(result)
    assert "is a socket" in result.stderr and stat.S_ISSOCK(os.lstat(path).st_mode)


@POSIX
@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device_is_refused_in_the_pre_solve_check(no_solve: None) -> None:
    # Only the validation runs: the solve is replaced by a failure, so nothing is written.
    problems = output_problems("/dev/null")
    assert len(problems) == 1 and "is a character device" in problems[0].what
    result = run("solve", EXAMPLE, "-o", "/dev/null")
    assert result.exit_code == 2, _no_traceback(result)
    assert "> /dev/null" in result.stderr  # the fix: shell redirection
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_folder_and_trailing_separator_are_refused(tmp_path: Path, no_solve: None) -> None:
    result = run("solve", EXAMPLE, "-o", tmp_path)
    assert result.exit_code == 2 and "is a folder" in result.stderr, _no_traceback(result)
    result = run("solve", EXAMPLE, "-o", f"{tmp_path / 'newdir'}{os.sep}")
    assert result.exit_code == 2, _no_traceback(result)
    assert "ends with a separator" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no file named newdir


def test_missing_folder_is_refused_before_solving(tmp_path: Path, no_solve: None) -> None:
    result = run("solve", EXAMPLE, "-o", tmp_path / "no" / "x.csv")
    assert result.exit_code == 2 and "does not exist" in result.stderr, _no_traceback(result)


def test_unwritable_folder_is_refused_before_solving(
    tmp_path: Path, no_solve: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root may write anywhere, so the check's answer is simulated: the folder is read-only.
    real_access = os.access

    def access(path: str, mode: int, **kwargs: object) -> bool:
        return real_access(path, mode) and not _read_only(path, mode, tmp_path)

    monkeypatch.setattr(os, "access", access)
    result = run("solve", EXAMPLE, "-o", tmp_path / "x.csv")
    assert result.exit_code == 2, _no_traceback(result)
    assert "cannot be written: the folder" in result.stderr and "not writable" in result.stderr


@pytest.mark.skipif(IS_ROOT or sys.platform == "win32", reason="root can write anywhere")
def test_read_only_folder_and_file(tmp_path: Path, no_solve: None) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "old.csv").write_text("earlier\n")
    folder.chmod(0o500)
    try:
        result = run("solve", EXAMPLE, "-o", folder / "x.csv")
        assert result.exit_code == 2 and "not writable" in result.stderr, _no_traceback(result)
    finally:
        folder.chmod(0o700)
    (folder / "old.csv").chmod(0o444)
    result = run("solve", EXAMPLE, "-o", folder / "old.csv")
    assert result.exit_code == 2 and "read-only" in result.stderr, _no_traceback(result)
    assert (folder / "old.csv").read_text() == "earlier\n"


@POSIX
@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_new_file_gets_the_umask_mode(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        result = run("solve", EXAMPLE, "-o", tmp_path / "p.csv", "-q")
    finally:
        os.umask(old)
    assert result.exit_code == 0, _no_traceback(result)
    assert stat.S_IMODE((tmp_path / "p.csv").stat().st_mode) == 0o666 & ~mask


@POSIX
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664])
def test_existing_file_keeps_its_mode(tmp_path: Path, mode: int, umask: int) -> None:
    out = tmp_path / "p.csv"
    out.write_text("earlier\n")
    out.chmod(mode)
    result = run("solve", EXAMPLE, "-o", out, "-q")
    assert result.exit_code == 0, _no_traceback(result)
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text().startswith("donor,recipient,share")
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]


@POSIX
def test_library_write_never_replaces_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        write_text("x\n", str(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and [p.name for p in tmp_path.iterdir()] == ["f"]


# ------------------------------------------------------------ the format follows -o


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("p.csv", b"donor,recipient,share"),
        ("p.json", b"{"),
        ("p.md", b"## Example"),
        ("p.MD", b"## Example"),
        ("p.xlsx", b"PK"),
        ("p.txt", b" "),  # unknown extension: the default table
    ],
)
def test_format_follows_the_extension(tmp_path: Path, name: str, starts: bytes) -> None:
    result = run("solve", EXAMPLE, "-o", tmp_path / name, "-q", "--no-timings")
    assert result.exit_code == 0, _no_traceback(result)
    assert (tmp_path / name).read_bytes().startswith(starts)


def test_format_follows_the_extension_for_evaluate_and_compare(tmp_path: Path) -> None:
    result = run("evaluate", EXAMPLE, PAIRING, "-o", tmp_path / "e.json")
    assert result.exit_code == 1, _no_traceback(result)  # the pairing breaks a rule
    assert isinstance(json.loads((tmp_path / "e.json").read_text()), dict)
    result = run("compare", PAIRING, PAIRING, "-o", tmp_path / "c.md")
    assert result.exit_code == 0, _no_traceback(result)
    assert (tmp_path / "c.md").read_text().startswith("#")


def test_stdout_and_dash_keep_the_default_table() -> None:
    for args in ([], ["-o", "-"]):
        result = run("solve", EXAMPLE, "-q", "--no-timings", *args)
        assert result.exit_code == 0, _no_traceback(result)
        assert "Example (synthetic): pairing" in result.stdout


def test_given_format_that_agrees_with_the_extension(tmp_path: Path) -> None:
    result = run("solve", EXAMPLE, "--format", "csv", "-o", tmp_path / "p.csv", "-q")
    assert result.exit_code == 0, _no_traceback(result)
    result = run("solve", EXAMPLE, "--format", "csv", "-o", tmp_path / "p.txt", "-q")
    assert result.exit_code == 0, _no_traceback(result)
    assert (tmp_path / "p.txt").read_text().startswith("donor,recipient,share")


def test_conflicting_format_and_extension(tmp_path: Path, no_solve: None) -> None:
    result = run("solve", EXAMPLE, "--format", "csv", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2, _no_traceback(result)
    assert "--format says csv" in result.stderr and not (tmp_path / "x.xlsx").exists()
    result = run("solve", EXAMPLE, "--format", "table", "-o", tmp_path / "x.json")
    assert result.exit_code == 2 and "--format says table" in result.stderr


def test_extension_the_command_cannot_write(tmp_path: Path) -> None:
    result = run("evaluate", EXAMPLE, PAIRING, "-o", tmp_path / "e.csv")
    assert result.exit_code == 2, _no_traceback(result)
    assert "table, json, markdown, xlsx" in result.stderr
    result = run("compare", PAIRING, PAIRING, "-o", tmp_path / "c.csv")
    assert result.exit_code == 2 and "cannot write" in result.stderr, _no_traceback(result)
    assert list(tmp_path.iterdir()) == []


def test_choose_format() -> None:
    choices = ("table", "csv", "json", "markdown", "xlsx")
    assert choose_format(None, None, choices) == "table"
    assert choose_format("-", None, choices) == "table"
    assert choose_format("a/b.Json", None, choices) == "json"
    assert choose_format("b.txt", None, choices) == "table"
    assert choose_format("b.txt", "csv", choices) == "csv"
    assert choose_format("b.md", "markdown", choices) == "markdown"
    with pytest.raises(InputError, match="--format says csv"):
        choose_format("b.xlsx", "csv", choices)
    with pytest.raises(InputError, match="cannot write"):
        choose_format("b.csv", None, ("table", "json"))


# ------------------------------------------------------------ numbers and init


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "1e999"),
        ("--mip-gap", "nan"),
        ("--mip-gap", "NaN"),
    ],
)
def test_non_finite_numbers_are_bad_input(flag: str, value: str, no_solve: None) -> None:
    result = run("solve", EXAMPLE, flag, value)
    assert result.exit_code == 2, _no_traceback(result)
    assert result.stderr.startswith("pairopt: 1 problem in the input:")
    assert f"  - {flag}: " in result.stderr and "not a finite number" in result.stderr


def test_evaluate_time_limit_nan(no_solve: None) -> None:
    result = run("evaluate", EXAMPLE, PAIRING, "--vs-optimal", "--time-limit", "nan")
    assert result.exit_code == 2 and "--time-limit" in result.stderr, _no_traceback(result)


def test_init_under_a_file_and_into_an_existing_scenario(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x\n")
    result = run("init", tmp_path / "notes.txt" / "s")
    assert result.exit_code == 2, _no_traceback(result)
    assert f"{tmp_path / 'notes.txt' / 's'}: cannot be created" in result.stderr
    result = run("init", tmp_path / "notes.txt")
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "donors.csv").write_text("mine\n")
    result = run("init", tmp_path / "s")
    assert result.exit_code == 2 and "never overwrites" in result.stderr, _no_traceback(result)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_init_where_no_folder_can_be_made(tmp_path: Path) -> None:
    result = run("init", "/proc/pairopt-init-test")
    assert result.exit_code == 2, _no_traceback(result)
    assert "/proc/pairopt-init-test: cannot be created" in result.stderr


def test_init_into_an_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode, **kw: real_access(path, mode) and not _read_only(path, mode, tmp_path),
    )
    result = run("init", tmp_path)
    assert result.exit_code == 2, _no_traceback(result)
    assert "not writable" in result.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(IS_ROOT or sys.platform == "win32", reason="root can write anywhere")
def test_init_into_a_read_only_folder(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        result = run("init", tmp_path / "new")
        assert result.exit_code == 2 and "cannot be created" in result.stderr
        result = run("init", tmp_path)
        assert result.exit_code == 2 and "not writable" in result.stderr
    finally:
        tmp_path.chmod(0o700)


@POSIX
def test_init_files_get_the_umask_mode(tmp_path: Path, umask: int) -> None:
    assert run("init", tmp_path / "s").exit_code == 0
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "s").iterdir()}
    assert modes == {0o644}


# ------------------------------------------------------------ real processes: stdout


def _pairopt(
    *args: object, env: dict[str, str | None] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """pairopt in its own process; `env` adds variables (None removes one)."""
    merged = {**os.environ, **(env or {})}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "pairing_opt", *map(str, args)],
        env={k: v for k, v in merged.items() if v is not None},
        timeout=120,
        **kwargs,
    )


def _closed_fd_1() -> None:
    os.close(1)


@POSIX
def test_closed_stdout(tmp_path: Path) -> None:
    done = _pairopt("solve", EXAMPLE, stderr=subprocess.PIPE, preexec_fn=_closed_fd_1)
    assert done.returncode == 2, done.stderr
    assert b"stdout: is closed" in done.stderr and b"Traceback" not in done.stderr
    # With -o the closed stdout does not matter, and no solver log lands in the file.
    out = tmp_path / "p.csv"
    done = _pairopt("solve", EXAMPLE, "-o", out, stderr=subprocess.PIPE, preexec_fn=_closed_fd_1)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("donor,recipient,share,distance_km\n")
    assert "HiGHS" not in out.read_text() and "Running" not in out.read_text()


@POSIX
def test_closed_stderr_keeps_the_exit_code() -> None:
    def close_2() -> None:
        os.close(2)

    done = _pairopt("solve", EXAMPLE, "--set", "rules.max_km=1", preexec_fn=close_2)
    assert done.returncode == 2
    done = _pairopt("solve", EXAMPLE, stdout=subprocess.PIPE, preexec_fn=close_2)
    assert done.returncode == 0 and b"Example (synthetic)" in done.stdout


@POSIX
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_full_stdout() -> None:
    with open("/dev/full", "wb") as full:
        done = _pairopt("solve", EXAMPLE, "--format", "xlsx", stdout=full, stderr=subprocess.PIPE)
        assert done.returncode == 2, done.stderr
        assert b"No space left" in done.stderr and b"Traceback" not in done.stderr
        done = _pairopt("schema", stdout=full, stderr=subprocess.PIPE)
        assert done.returncode == 2 and b"Traceback" not in done.stderr


@POSIX
def test_closed_pipe_keeps_the_earned_exit_code() -> None:
    # `pairopt solve S --set rules.max_km=1 2>&1 | head -1`, with head gone before the
    # message is written: every write fails with EPIPE; the exit code stays 2.
    read, write = os.pipe()
    os.close(read)
    try:
        done = _pairopt("solve", EXAMPLE, "--set", "rules.max_km=1", stdout=write, stderr=write)
    finally:
        os.close(write)
    assert done.returncode == 2


@POSIX
def test_closed_pipe_on_stdout_is_said_on_stderr() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        done = _pairopt("solve", EXAMPLE, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert done.returncode == 2, done.stderr
    assert b"stdout: cannot be written: Broken pipe" in done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


@POSIX
@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": None, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"},
    ],
    ids=["ascii", "c-locale"],
)
def test_narrow_stdout_encoding_escapes_labels(env: dict[str, str | None]) -> None:
    done = _pairopt("solve", EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    assert b"City 1 \\u4e00\\u5e02" in done.stdout
    assert b" -----" in done.stdout and b"\\u2500" not in done.stdout  # ASCII table rules
    assert b"Traceback" not in done.stderr
    done = _pairopt(
        "evaluate", EXAMPLE, PAIRING, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert done.returncode == 1, done.stderr  # the example pairing breaks a rule
    assert b"\\u" in done.stdout and b"Traceback" not in done.stderr


def test_escape_handler() -> None:
    assert "─│┌ 一…é".encode("ascii", ESCAPE) == b"-|+ \\u4e00...\\xe9"
    assert "一─é".encode("latin-1", ESCAPE) == b"\\u4e00-\xe9"


@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file to another owner")
def test_existing_file_keeps_its_owner(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    out.write_text("earlier\n")
    os.chown(out, 65534, 65534)
    result = run("solve", EXAMPLE, "-o", out, "-q")
    assert result.exit_code == 0, _no_traceback(result)
    assert (out.stat().st_uid, out.stat().st_gid) == (65534, 65534)


@POSIX
def test_plot_refuses_a_fifo_before_solving(tmp_path: Path, no_solve: None) -> None:
    fifo = tmp_path / "map.png"
    os.mkfifo(fifo)
    result = run("plot", EXAMPLE, "-o", fifo)
    assert result.exit_code == 2, _no_traceback(result)
    assert "is a FIFO" in result.stderr and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_never_replaces_an_input_of_the_run(tmp_path: Path) -> None:
    """-o naming the scenario, one of its tables or the pairing being evaluated is refused
    before any work, and the file is left as it was."""
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE.parent, folder)
    scenario = folder / "scenario.yaml"
    incumbent = folder / "in-place.csv"
    shutil.copy(folder / "example_pairing.csv", incumbent)
    for argv, target in (
        (["solve", str(scenario), "-o"], folder / "recipients.csv"),
        (["solve", str(scenario), "--format", "csv", "-o"], scenario),
        (
            ["evaluate", str(scenario), str(folder / "example_pairing.csv"), "-o"],
            folder / "example_pairing.csv",
        ),
        # the --incumbent file was replaced (seventh QA pass), in every command taking it
        (["solve", str(scenario), "--incumbent", str(incumbent), "-o"], incumbent),
        (
            [
                "pareto",
                str(scenario),
                "--x",
                "changes",
                "--y",
                "distance",
                "--incumbent",
                str(incumbent),
                "-o",
            ],
            incumbent,
        ),
        (
            ["evaluate", str(scenario), str(incumbent), "--incumbent", str(incumbent), "-o"],
            incumbent,
        ),
        (["report", str(scenario), "--incumbent", str(incumbent), "-o"], incumbent),
        (
            ["solve", str(scenario), "--need-scenario", str(folder / "recipients.csv"), "-o"],
            folder / "recipients.csv",
        ),
    ):
        before = target.read_bytes()
        result = CliRunner().invoke(main, [*argv, str(target)])
        assert result.exit_code == 2, result.stderr
        assert "is an input of this run" in result.stderr
        assert target.read_bytes() == before


def test_the_library_solves_with_stdout_closed() -> None:
    """A notebook kernel or a daemon may have no stdout: solving must not need one."""
    code = (
        "import os, sys\n"
        "os.close(1)\n"
        "sys.stdout = None\n"
        "import pairing_opt as po\n"
        f"r = po.solve(po.load({str(EXAMPLE)!r}))\n"
        "sys.stderr.write(r.status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("optimal")
