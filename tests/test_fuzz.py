"""Byte-level fuzzing of the input side: the shipped example with its bytes mutated.

hypothesis takes the example scenario (scenario.yaml and its CSV tables) and changes the
bytes of one file: a few bytes flipped or replaced, bytes inserted (control characters,
NULs, invalid UTF-8, YAML and CSV punctuation), a range deleted or repeated, hundreds of
levels of nesting inserted, or the whole file replaced by random bytes. The command line
then runs `check` or `solve --time-limit 5` in a subprocess, under an address-space
limit (RLIMIT_AS, 2 GB) and a wall-clock timeout. Whatever the bytes, it must end in
time with a documented exit code (0-4), never a traceback, an internal error (70) or a
crash, and a bad input (2) must say so.

The default run draws DEFAULT_EXAMPLES examples (each costs a subprocess, about half a
second of start-up); the long variant, marked slow, runs with PAIROPT_SLOW=1.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import SLOW, examples

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "example"
FILES = ("scenario.yaml", "donors.csv", "recipients.csv", "pairs.csv")
DEFAULT_EXAMPLES = 8  # each is a subprocess: a short smoke by default, the long run is slow
SLOW_SHARE = 0.25  # of the profile's budget: 500 examples with the slow profile
MEMORY = 2 << 30  # bytes of address space for each run
WALL = 60  # seconds for each run: `solve` stops at 5 s, the rest is start-up and margin
DOCUMENTED_EXITS = {0, 1, 2, 3, 4}
# Bytes worth inserting: controls, NUL, BOMs, invalid and valid UTF-8, GBK, YAML and CSV
# syntax, an alias, a decimal comma.
SPICE = (
    b"\x00",
    b"\x1b",
    b"\r",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"\xe6\xb9\x96",
    b"\xba\xfe\xc4\xcf",
    b'"',
    b",",
    b"\n",
    b"\t",
    b":",
    b"[",
    b"{",
    b"&a ",
    b"*a",
    b"- ",
    b"1,5",
    b"nan",
    b"-inf",
    b"1e400",
    b"9" * 40,
)


def _limit_memory() -> None:  # pragma: no cover (runs in the child)
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    if kind == "random":
        return rng.randbytes(rng.randrange(0, 2000))
    if not data:
        return rng.choice(SPICE)
    where = rng.randrange(len(data) + 1)
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == "insert":
        return data[:where] + rng.choice(SPICE) * rng.randint(1, 3) + data[where:]
    if kind == "delete":
        return data[:where] + data[where + rng.randint(1, 64) :]
    if kind == "deep":  # nesting hundreds of levels deep (a RecursionError once)
        values = [i + 2 for i in range(len(data)) if data.startswith(b": ", i)]
        where = rng.choice(values) if values else where  # where a YAML value starts
        opener, closer = rng.choice([(b"[", b"]"), (b"{a: ", b"}"), (b"&x [*x, ", b"]")])
        depth = rng.randint(100, 1000)
        end = data.find(b"\n", where)  # the value replaced, up to the end of its line
        end = len(data) if end < 0 else end
        return data[:where] + opener * depth + b"1" + closer * depth + data[end:]
    if kind == "repeat":
        piece = data[where : where + rng.randint(1, 200)]
        return data[:where] + piece * rng.randint(2, 50) + data[where:]
    raise AssertionError(kind)


def _run(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pairing_opt", command, str(folder / "scenario.yaml")]
    if command == "solve":
        argv += ["--time-limit", "5", "--no-timings"]
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=WALL,
            stdin=subprocess.DEVNULL,
            preexec_fn=_limit_memory if sys.platform != "win32" else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`pairopt {command}` did not end within {WALL} s") from exc


def _check_one(tmp: Path, name: str, kind: str, command: str, seed: int) -> None:
    folder = tmp / "case"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(EXAMPLE, folder)
    path = folder / name
    path.write_bytes(_mutate(path.read_bytes(), kind, random.Random(seed)))
    proc = _run(folder, command)
    shown = f"{command} with {name} mutated ({kind}, seed {seed}): exit {proc.returncode}\n"
    shown += proc.stderr[-3000:]
    assert proc.returncode in DOCUMENTED_EXITS, shown
    assert "Traceback" not in proc.stderr, shown
    assert "internal error" not in proc.stderr, shown
    if proc.returncode == 2:  # one line per problem, each with its fix
        head, *items = proc.stderr.splitlines()
        assert head.startswith("pairopt: ") and head.endswith(" in the input:"), shown
        assert items and all(i.startswith("  - ") and "Fix: " in i for i in items), shown


CASES = st.tuples(
    st.sampled_from(FILES),
    st.sampled_from(["flip", "insert", "delete", "repeat", "deep", "random"]),
    st.sampled_from(["check", "check", "solve"]),
    st.integers(0, 2**32 - 1),
)


@settings(
    max_examples=DEFAULT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=CASES)
def test_mutated_bytes_never_crash(tmp_path: Path, case: tuple[str, str, str, int]) -> None:
    _check_one(tmp_path, *case)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@settings(
    max_examples=examples(SLOW_SHARE),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=CASES)
def test_mutated_bytes_never_crash_slow(tmp_path: Path, case: tuple[str, str, str, int]) -> None:
    _check_one(tmp_path, *case)


def test_the_memory_limit_applies() -> None:
    """The limit is real: a child that asks for 3 GB fails with MemoryError, not the host."""
    if sys.platform == "win32":
        pytest.skip("no RLIMIT_AS")
    proc = subprocess.run(
        [sys.executable, "-c", "b = bytearray(3 << 30)"],
        capture_output=True,
        text=True,
        timeout=WALL,
        preexec_fn=_limit_memory,
    )
    assert proc.returncode != 0 and "MemoryError" in proc.stderr
