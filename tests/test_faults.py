"""Faults a real run meets: Ctrl-C and SIGTERM mid-solve, and files that must survive them.

These start pairopt as a separate process (signals need a real process) on a GAP instance
that takes the solvers minutes, interrupt it after it has started solving, and check the
exit code, the message, the user's earlier output file, and that no solver is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import AVAILABLE_SOLVERS
from .test_cli import hard_gap

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _cbc_children(pid: int) -> set[int]:
    """The CBC processes that `pid` started: only this test's own, so a test run beside it
    that solves with CBC cannot make it fail."""
    return {
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_and_name(stat) == (str(pid), "(cbc)")
    }


def _running(pid: int) -> bool:
    """Whether `pid` is still a live process (a zombie has finished)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_solving(pid: int, solver: str, timeout: float = 60.0) -> None:
    """Wait (on CPU time, not wall time, so a loaded machine does not fool it) until the
    solver is surely running: importing, loading and building take about a CPU second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if solver == "cbc":
            if _cbc_children(pid):
                time.sleep(0.5)
                return
        elif _cpu_seconds(pid) > 3.0:
            return
        time.sleep(0.1)
    raise AssertionError("the solve did not start")


def _start(args: list[object], **env: str) -> subprocess.Popen[str]:
    """pairopt ARGS as a process of its own (signals need a real one), output captured,
    with `env` added to the environment."""
    command = [sys.executable, "-m", "pairing_opt", *map(str, args)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _parent_and_name(stat: Path) -> tuple[str, str]:
    try:
        fields = stat.read_text().split()
    except OSError:
        return ("", "")
    return (fields[3], fields[1]) if len(fields) > 3 else ("", "")


@pytest.mark.parametrize("solver", AVAILABLE_SOLVERS)
@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated"),
    ],
)
def test_signal_mid_solve_stops_cleanly(
    tmp_path: Path, solver: str, signum: int, code: int, word: str
) -> None:
    scenario = hard_gap(tmp_path / "gap", agents=10, jobs=200)
    out = tmp_path / "pairing.csv"
    out.write_text("earlier result\n")
    scratch = tmp_path / "tmp"  # the solve's temporary folder (CBC's model files go there)
    scratch.mkdir()
    args = ["solve", scenario, "--solver", solver, "--time-limit", 120, "--format", "csv"]
    process = _start([*args, "-o", out], TMPDIR=str(scratch))
    _wait_until_solving(process.pid, solver)
    assert process.poll() is None, process.communicate()
    solvers = _cbc_children(process.pid)
    started = time.perf_counter()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    stopped_in = time.perf_counter() - started
    assert process.returncode == code, stderr
    assert word in stderr and "no output was written" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert stopped_in < 15
    assert out.read_text() == "earlier result\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gap", "pairing.csv", "tmp"]
    assert list(scratch.iterdir()) == []  # no temporary file left behind
    time.sleep(0.5)
    assert not [pid for pid in solvers if _running(pid)], "a CBC process was left running"


def test_a_second_interrupt_does_not_break_the_clean_stop(tmp_path: Path) -> None:
    """Ctrl-C in a terminal under `timeout` sends two SIGINTs. On a sweep with worker
    processes the second broke into the stop: a traceback at exit (the pool's threads
    being joined), or click's 'Aborted!' and exit 1. Found by the fourth QA pass; here
    SIGINT comes every 20 ms until the process has stopped."""
    scenario = hard_gap(tmp_path / "gap", agents=10, jobs=200)
    out = tmp_path / "runs.csv"
    args = ["sweep", scenario, "--vary", "rules.reserve=0,0.01,0.02,0.03", "--workers", 2]
    process = _start([*args, "--time-limit", 120, "-o", out])
    _wait_until_solving(process.pid, "highs")
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)  # again and again, until it has stopped
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr


def test_output_to_unwritable_folder_is_bad_input(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pairing_opt.cli import main

    from .conftest import EXAMPLE

    result = CliRunner().invoke(main, ["solve", str(EXAMPLE), "-o", str(tmp_path / "no" / "x.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can write anywhere"
)
def test_output_permission_denied(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pairing_opt.cli import main

    from .conftest import EXAMPLE

    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    result = CliRunner().invoke(main, ["solve", str(EXAMPLE), "-o", str(folder / "x.csv")])
    assert result.exit_code == 2 and "cannot be written" in result.stderr


def test_csv_neutralises_formula_injection_and_reads_it_back(
    tmp_path: Path, scenario_dir: Callable[..., Path]
) -> None:
    from click.testing import CliRunner

    from pairing_opt.cli import main

    donors = "id,cap,lat,lon\n=HYPERLINK(1),10,30,110\n+B,8,31,115\n@C,5,35,120\n"
    recipients = "id,need,lat,lon\n-X,6,30.5,112\nY,7,32,116\nZ,4,34,119\n"
    path = scenario_dir(
        donors=donors, recipients=recipients, rules={"donors_per_recipient": {"min": 1, "max": 2}}
    )
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(main, ["solve", str(path), "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    body = out.read_text().splitlines()[1:]
    assert body and all(line[0] not in "=+-@" for line in body)
    assert any(line.startswith("'=HYPERLINK(1),") or ",'-X," in line for line in body)
    again = CliRunner().invoke(main, ["evaluate", str(path), str(out)])
    assert again.exit_code == 0, again.stderr + again.stdout
