"""Sweeps on 2 cores (issue #27): `pairopt sweep` on 200 perturbed Hubei variants with 1
and 2 worker processes and on a local 2-worker Dask cluster, against a shell loop of
`pairopt solve` on the same variants; and the memory of a 10,000-run sweep.

    python -m benchmarks.sweep [--scenario scenarios/hubei-2020/scenario.yaml] [--runs 200]
        [--workers 2] [--memory-runs 10000] [--memory-scenario scenarios/example/scenario.yaml]
        [--skip-memory] [--skip-dask] [--out benchmarks/results/sweep.csv]

The variants are `--samples RUNS --perturb recipients.need=lognormal:0.2 --seed 1`. The
shell loop solves exactly those: before it starts, each sample's needs
(`pairing_opt.scenario.perturb.perturbed`, the sweep's own draw) are written into a copy of
the scenario folder per run, and each copy is loaded back and checked to give the same
needs bit for bit. Every figure is the wall time of a whole process (start-up, the sweep's
base solve, its workers' start-up included), measured one after another in one run:
`sweep --workers 1`, `sweep --workers 2`, the loop (one `bash -c 'for ...; done'`), and
the sweep on a Dask scheduler and two 1-thread workers started beforehand (not timed).
Each method's runs are checked against `--workers 1`: same status, objective and
pairing_hash per run; a disagreement is printed loudly and the exit code is 1.

The memory run is a sweep of `--memory-runs` samples of the cheap example scenario; the
RSS of the pairopt process and of its children (/proc/PID/status) is sampled while it
runs, and reported after a tenth, half and all of the runs were written.

Targets: workers 1 / workers N >= 1.8; loop / workers N >= 2; Dask / workers N <= 1.2;
memory flat (here: the RSS at the end at most 1.1x the RSS after a tenth of the runs).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import json
import math
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import pairing_opt as po
from pairing_opt.report.pareto import pair_set_hash
from pairing_opt.scenario.perturb import parse_perturbations, perturbed

from . import machine
from .cli_latency import pairopt_command

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HUBEI = Path("scenarios/hubei-2020/scenario.yaml")
EXAMPLE = Path("scenarios/example/scenario.yaml")
PERTURB = "recipients.need=lognormal:0.2"
SEED = 1
WORKERS_RATIO = 1.8  # workers 1 / workers N at least
LOOP_RATIO = 2.0  # shell loop / workers N at least
DASK_RATIO = 1.2  # Dask / workers N at most
FLAT = 1.1  # RSS at the end / RSS after a tenth of the runs, at most
INTERVAL = 0.25  # seconds between RSS samples
EXIT_STATUS = {1: "infeasible", 2: "error", 3: "solver_failed", 4: "time_limit"}
OBJECTIVE_TOLERANCE = 1e-8  # relative; the runs CSV keeps 10 significant digits
START_TIMEOUT = 60.0
LOAD_WAIT = 1800.0  # seconds --max-load waits at most before each timed process
FIELDS = [
    "part",
    "what",
    "runs",
    "workers",
    "wall_s",
    "cpu_s",
    "run_s_sum",
    "exit",
    "parent_mb",
    "children_mb",
    "value",
    "target",
    "met",
    "load_before",
    "load_after",
]
TRACE_FIELDS = ["t_s", "rows", "parent_mb", "parent_hwm_mb", "children_mb"]


# --- processes and their memory --------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc/PID/task/*/children)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    kids = [int(p) for p in handle.read().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


@dataclass
class Sample:
    t: float
    rows: int
    parent_mb: float
    parent_hwm_mb: float
    children_mb: float


class RowCounter:
    """Rows written so far to a sweep's CSV (read incrementally; the header excluded)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.offset = 0
        self.lines = 0
        self.inode: int | None = None
        self.final = False

    def __call__(self) -> int:
        if self.path is None:
            return 0
        if self.final:
            return max(self.lines - 1, 0)
        try:
            with self.path.open("rb") as handle:
                inode = os.fstat(handle.fileno()).st_ino
                if self.inode is not None and inode != self.inode:
                    self.final = True  # rewritten in run order at the end: all rows are in
                    return max(self.lines - 1, 0)
                self.inode = inode
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return 0
        self.offset += len(data)
        self.lines += data.count(b"\n")
        return max(self.lines - 1, 0)


@dataclass
class Measured:
    """One whole process: wall time, exit code, the RSS samples of it and its children."""

    command: str
    seconds: float
    exit: int
    samples: list[Sample] = field(default_factory=list)
    load_before: float = float("nan")  # 1-minute load average when it started
    load_after: float = float("nan")
    cpu: float = float("nan")  # user + system seconds of it and the descendants it waited for

    @property
    def parent_mb(self) -> float:
        return max((s.parent_hwm_mb for s in self.samples), default=0.0)

    @property
    def children_mb(self) -> float:
        return max((s.children_mb for s in self.samples), default=0.0)


def load_1min() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def wait_for_quiet(max_load: float | None, timeout: float = LOAD_WAIT) -> None:
    """Wait until the 1-minute load average is below `max_load` (at most `timeout`)."""
    if max_load is None:
        return
    deadline = time.monotonic() + timeout
    said = 0.0
    while load_1min() >= max_load and time.monotonic() < deadline:
        if time.monotonic() - said > 60:
            print(f"  waiting for load < {max_load} (now {load_1min():.2f})", file=sys.stderr)
            said = time.monotonic()
        time.sleep(5)


def measure(
    command: list[str] | str,
    log: Path,
    rows_of: Path | None = None,
    announce_every: int = 0,
    max_load: float | None = None,
) -> Measured:
    """Run `command` (a shell string runs in bash) and time it as a whole process, sampling
    its memory and, with `rows_of`, the rows its sweep has written; with `max_load`, first
    wait for the machine to be quiet."""
    wait_for_quiet(max_load)
    load_before = load_1min()
    shell = isinstance(command, str)
    count = RowCounter(rows_of)
    samples: list[Sample] = []
    stop = threading.Event()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            shell=shell,
            executable="/bin/bash" if shell else None,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

        def sample() -> None:
            said = 0
            while not stop.is_set():
                pid = process.pid
                kids = children(pid)
                rows = count()
                samples.append(
                    Sample(
                        round(time.perf_counter() - start, 3),
                        rows,
                        _status_kb(pid, "VmRSS") / 1024,
                        _status_kb(pid, "VmHWM") / 1024,
                        sum(_status_kb(k, "VmRSS") for k in kids) / 1024,
                    )
                )
                if announce_every and rows >= said + announce_every:
                    said = rows - rows % announce_every
                    last = samples[-1]
                    print(
                        f"  {rows} runs written, {last.t:.0f} s, parent {last.parent_mb:.1f} MB, "
                        f"children {last.children_mb:.1f} MB",
                        file=sys.stderr,
                        flush=True,
                    )
                stop.wait(INTERVAL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    text = command if isinstance(command, str) else shlex.join(command)
    return Measured(text, seconds, code, samples, load_before, load_1min(), cpu)


SPIN = (
    "import time\nt = time.perf_counter()\nx = 0\n"
    "for i in range({n}): x += i * i\nprint(time.perf_counter() - t)"
)


def machine_scaling(workers: int, loops: int = 20_000_000) -> tuple[float, float]:
    """Seconds of a fixed CPU-bound Python loop run alone, and the mean of `workers` copies
    run at once: how far the machine's cores scale before pairopt is involved."""

    def run(copies: int) -> float:
        code = SPIN.format(n=loops)
        started = [
            subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(copies)
        ]
        return sum(float(p.communicate()[0]) for p in started) / copies

    return run(1), run(workers)


# --- the variants ----------------------------------------------------------------------


def sweep_command(
    scenario: Path, runs: int, out: Path, workers: int | None = None, dask: str | None = None
) -> list[str]:
    command = [*pairopt_command(), "sweep", str(scenario), "--samples", str(runs)]
    command += ["--perturb", PERTURB, "--seed", str(SEED), "-q", "-o", str(out)]
    command += ["--dask", dask] if dask else ["--workers", str(workers)]
    return command


def write_variants(scenario: Path, runs: int, folder: Path) -> list[Path]:
    """One copy of the scenario folder per run, the recipients table's need column
    replaced by that run's sample; each copy loaded back and checked to give the same
    needs as the sweep's draw, bit for bit. Returns the copies' scenario files."""
    spec = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    recipients = spec["recipients"]
    column, id_column = recipients.get("need"), recipients.get("id")
    if not isinstance(column, str) or recipients.get("need_scale", 1) != 1:
        raise ValueError("the shell loop needs one need column and no need_scale")
    table_name = recipients["file"]
    if not str(table_name).lower().endswith(".csv"):
        raise ValueError("the shell loop writes the recipients table as CSV")
    base = po.load(scenario)
    perturbations = parse_perturbations([PERTURB])
    with (scenario.parent / table_name).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    copies = []
    for k in range(runs):
        drawn = perturbed(base, perturbations, SEED, k)
        need = dict(zip(drawn.recipients, drawn.need.tolist(), strict=True))
        copy = folder / f"run{k + 1:05d}"
        shutil.copytree(scenario.parent, copy)
        with (copy / table_name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, header, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, column: repr(need[str(row[id_column]).strip()])})
        path = copy / scenario.name
        again = po.load(path)
        if again.recipients != drawn.recipients or not np.array_equal(again.need, drawn.need):
            raise RuntimeError(f"{path} does not load to sample {k}'s needs")
        copies.append(path)
    return copies


def loop_command(copies: Sequence[Path]) -> str:
    """One bash `for` loop of `pairopt solve` over the copies, each writing its JSON (none
    when infeasible), its stderr and its exit code."""
    folder = copies[0].parent.parent
    pairopt = shlex.join(pairopt_command())
    name = shlex.quote(copies[0].name)
    return (
        f"for d in {shlex.quote(str(folder))}/run*/; do "
        f'{pairopt} solve "$d"{name} --format json -q -o "$d"result.json 2> "$d"stderr; '
        'echo $? > "$d"exit; done'
    )


# --- the Dask cluster ------------------------------------------------------------------


class Cluster:
    """A scheduler and 1-thread workers on loopback, each its own process group, all
    stopped at the end (only the processes started here)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def _start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def start(self, workers: int) -> str:
        self._start(
            "scheduler",
            "distributed.cli.dask_scheduler",
            "--host=127.0.0.1",
            "--port=0",
            "--no-dashboard",
            f"--scheduler-file={self.file}",
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.address:
            try:
                self.address = json.loads(self.file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline:
                    raise TimeoutError("the Dask scheduler did not start") from None
                time.sleep(0.1)
        for i in range(workers):
            self._start(
                f"worker{i}",
                "distributed.cli.dask_worker",
                self.address,
                "--host=127.0.0.1",
                "--nthreads=1",
                "--nworkers=1",
                "--no-dashboard",
                f"--name=worker{i}",
            )
        distributed: Any = importlib.import_module("distributed")  # untyped, optional
        with distributed.Client(self.address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT)
        return self.address

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- reading and comparing the runs ----------------------------------------------------


def read_sweep(path: Path) -> dict[int, dict[str, Any]]:
    """run -> {status, objective, pairing_hash, seconds} from a sweep's runs CSV."""
    found: dict[int, dict[str, Any]] = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found[int(row["run"])] = {
                "status": row["status"],
                "objective": float(row["objective"]) if row["objective"] else None,
                "pairing_hash": row["pairing_hash"],
                "seconds": float(row["seconds"] or 0),
            }
    return found


def read_loop(copies: Sequence[Path]) -> dict[int, dict[str, Any]]:
    """The same from each copy's result.json and exit code (run k is copy k); a run
    without JSON has the status its exit code names (1: infeasible)."""
    found: dict[int, dict[str, Any]] = {}
    for run, path in enumerate(copies, start=1):
        result = path.parent / "result.json"
        try:
            data = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            try:
                code = int((path.parent / "exit").read_text().strip())
            except (OSError, ValueError):
                code = -1
            status = EXIT_STATUS.get(code, f"no output (exit {code})")
            found[run] = {"status": status, "objective": None, "pairing_hash": "", "seconds": 0}
            continue
        pairs = [(p["donor"], p["recipient"]) for p in data.get("pairs", [])]
        value = (data.get("objective") or {}).get("value")
        found[run] = {
            "status": data.get("status", ""),
            "objective": None if value is None else float(value),
            "pairing_hash": pair_set_hash(pairs) if pairs else "",
            "seconds": float((data.get("solver") or {}).get("seconds") or 0),
        }
    return found


def disagreements(
    reference: dict[int, dict[str, Any]], other: dict[int, dict[str, Any]], runs: int
) -> list[str]:
    """Each run whose status, objective or pairing differs from the reference."""
    found = []
    for run in range(1, runs + 1):
        a, b = reference.get(run), other.get(run)
        if a is None or b is None:
            found.append(f"run {run}: missing ({'reference' if a is None else 'this method'})")
            continue
        what = []
        if a["status"] != b["status"]:
            what.append(f"status {a['status']} / {b['status']}")
        x, y = a["objective"], b["objective"]
        if (x is None) != (y is None) or (
            x is not None
            and y is not None
            and not math.isclose(x, y, rel_tol=OBJECTIVE_TOLERANCE, abs_tol=1e-6)
        ):
            what.append(f"objective {x} / {y}")
        if a["pairing_hash"] != b["pairing_hash"]:
            what.append(f"pairing_hash {a['pairing_hash']} / {b['pairing_hash']}")
        if what:
            found.append(f"run {run}: " + "; ".join(what))
    return found


# --- the run ---------------------------------------------------------------------------


def code_digest() -> str:
    """SHA-256 of the pairing_opt sources this interpreter imports (a change mid-run
    would make the methods measure different code)."""
    folder = Path(po.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _run_seconds(rows: dict[int, dict[str, Any]]) -> float:
    return sum(float(r["seconds"]) for r in rows.values())


def _time_row(
    name: str, runs: int, workers: int, m: Measured, rows: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "part": "time",
        "what": name,
        "runs": runs,
        "workers": workers,
        "wall_s": round(m.seconds, 3),
        "cpu_s": round(m.cpu, 2),
        "run_s_sum": round(_run_seconds(rows), 3),
        "exit": m.exit,
        "parent_mb": round(m.parent_mb, 1),
        "children_mb": round(m.children_mb, 1),
        "load_before": round(m.load_before, 2),
        "load_after": round(m.load_after, 2),
    }


def _target(what: str, value: float, target: str, met: bool) -> dict[str, Any]:
    return {
        "part": "target",
        "what": what,
        "value": round(value, 3),
        "target": target,
        "met": "yes" if met else "no",
    }


def run_timings(
    scenario: Path,
    runs: int,
    workers: int,
    folder: Path,
    dask: bool = True,
    methods: Sequence[str] = ("workers 1", "workers N", "shell loop", "dask"),
    max_load: float | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Time each method on the same `runs` variants, one after another; the rows (time,
    targets, checks) and the disagreements between the methods' runs."""
    print(f"writing {runs} scenario copies for the shell loop ...", file=sys.stderr, flush=True)
    copies = write_variants(scenario, runs, folder / "loop") if "shell loop" in methods else []
    start = time.perf_counter()
    base = po.solve(po.load(scenario))
    print(
        f"the unvaried scenario, loaded and solved in this process: {base.status} in "
        f"{time.perf_counter() - start:.2f} s (each sweep solves it first, before any run)",
        file=sys.stderr,
        flush=True,
    )
    measured: dict[str, tuple[Measured, dict[int, dict[str, Any]]]] = {}
    names = {
        "workers 1": "sweep --workers 1",
        "workers N": f"sweep --workers {workers}",
        "shell loop": f"shell loop of {runs} pairopt solve",
        "dask": f"sweep --dask ({workers} workers x 1 thread)",
    }
    for method in methods:
        if method == "dask" and not dask:
            continue
        out = folder / f"{method.replace(' ', '_')}.csv"
        cluster = None
        if method == "workers 1":
            command: list[str] | str = sweep_command(scenario, runs, out, workers=1)
        elif method == "workers N":
            command = sweep_command(scenario, runs, out, workers=workers)
        elif method == "shell loop":
            command = loop_command(copies)
        else:
            cluster = Cluster(folder)
            print(f"starting a Dask cluster of {workers} workers ...", file=sys.stderr, flush=True)
            command = sweep_command(scenario, runs, out, dask=cluster.start(workers))
        print(
            f"{names[method]}: {command if isinstance(command, str) else shlex.join(command)}",
            file=sys.stderr,
            flush=True,
        )
        try:
            rows_of = None if method == "shell loop" else out
            m = measure(command, folder / f"{method.replace(' ', '_')}.log", rows_of, 0, max_load)
        finally:
            if cluster is not None:
                cluster.stop()
        rows = read_loop(copies) if method == "shell loop" else read_sweep(out)
        measured[method] = (m, rows)
        print(
            f"  {m.seconds:.2f} s, exit {m.exit}, {len(rows)} runs read, sum of run "
            f"seconds {_run_seconds(rows):.2f}; load average {m.load_before:.2f} before, "
            f"{m.load_after:.2f} after",
            file=sys.stderr,
            flush=True,
        )
        if m.exit not in (0, 4):  # 4: a run stopped at a limit; anything else failed
            tail = (folder / f"{method.replace(' ', '_')}.log").read_text(errors="replace")
            print(f"  !!! {names[method]} exited {m.exit}:\n{tail[-2000:]}", file=sys.stderr)

    table = [
        _time_row(names[k], runs, 1 if k in ("workers 1", "shell loop") else workers, m, rows)
        for k, (m, rows) in measured.items()
    ]
    problems: list[str] = []
    reference = measured.get("workers 1", (None, {}))[1]
    for key, (_, rows) in measured.items():
        if key == "workers 1":
            continue
        for text in disagreements(reference, rows, runs):
            problems.append(f"{names[key]} vs sweep --workers 1: {text}")
    statuses: dict[str, int] = {}
    for row in reference.values():
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    table.append(
        {
            "part": "check",
            "what": "runs that disagree with sweep --workers 1 (status, objective, pairing_hash)",
            "runs": runs,
            "value": len(problems),
            "target": "0",
            "met": "yes" if not problems else "no",
        }
    )
    table.append(
        {
            "part": "check",
            "what": "statuses of sweep --workers 1: "
            + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
            "runs": runs,
        }
    )
    seconds = {k: m.seconds for k, (m, _) in measured.items()}
    if "workers 1" in seconds and "workers N" in seconds:
        ratio = seconds["workers 1"] / seconds["workers N"]
        table.append(
            _target(
                f"workers 1 / workers {workers}",
                ratio,
                f">= {WORKERS_RATIO}",
                ratio >= WORKERS_RATIO,
            )
        )
    if "shell loop" in seconds and "workers N" in seconds:
        ratio = seconds["shell loop"] / seconds["workers N"]
        table.append(
            _target(
                f"shell loop / workers {workers}", ratio, f">= {LOOP_RATIO}", ratio >= LOOP_RATIO
            )
        )
    if "dask" in seconds and "workers N" in seconds:
        ratio = seconds["dask"] / seconds["workers N"]
        table.append(
            _target(f"dask / workers {workers}", ratio, f"<= {DASK_RATIO}", ratio <= DASK_RATIO)
        )
    return table, problems


def checkpoints(runs: int) -> list[int]:
    """Where the memory is reported: after a tenth, half and all of the runs."""
    return sorted({max(runs // 10, 1), max(runs // 2, 1), runs})


def at(samples: Sequence[Sample], rows: int) -> Sample | None:
    """The first sample taken once `rows` runs were written."""
    return next((s for s in samples if s.rows >= rows), None)


def run_memory(
    scenario: Path, runs: int, workers: int, folder: Path, max_load: float | None = None
) -> tuple[list[dict[str, Any]], list[Sample]]:
    """A sweep of `runs` samples, its RSS and its children's sampled as rows arrive."""
    out = folder / "memory.csv"
    command = sweep_command(scenario, runs, out, workers=workers)
    print(f"memory sweep: {shlex.join(command)}", file=sys.stderr, flush=True)
    every = max(runs // 10, 1)
    m = measure(command, folder / "memory.log", out, every, max_load)
    written = read_sweep(out)
    print(f"  {m.seconds:.2f} s, exit {m.exit}, {len(written)} runs read", file=sys.stderr)
    table: list[dict[str, Any]] = [
        {
            **_time_row(f"memory sweep --workers {workers}", runs, workers, m, written),
            "part": "memory",
        }
    ]
    marks = []
    for rows in checkpoints(runs):
        s = at(m.samples, rows)
        marks.append(s)
        table.append(
            {
                "part": "memory",
                "what": f"RSS after {rows} runs",
                "runs": rows,
                "wall_s": None if s is None else s.t,
                "parent_mb": None if s is None else round(s.parent_mb, 1),
                "children_mb": None if s is None else round(s.children_mb, 1),
            }
        )
    first, last = marks[0], marks[-1]
    if first is not None and last is not None and first.parent_mb > 0:
        ratio = last.parent_mb / first.parent_mb
        table.append(
            _target(
                f"parent RSS after {runs} / after {checkpoints(runs)[0]} runs",
                ratio,
                f"<= {FLAT}",
                ratio <= FLAT,
            )
        )
        if first.children_mb > 0:
            ratio = last.children_mb / first.children_mb
            table.append(
                _target(
                    f"workers' RSS after {runs} / after {checkpoints(runs)[0]} runs",
                    ratio,
                    f"<= {FLAT}",
                    ratio <= FLAT,
                )
            )
    table.append(
        {
            "part": "memory",
            "what": "parent peak RSS over the whole process (VmHWM, incl. the final rewrite)",
            "runs": runs,
            "parent_mb": round(m.parent_mb, 1),
            "children_mb": round(m.children_mb, 1),
        }
    )
    return table, m.samples


def report(table: Sequence[dict[str, Any]]) -> str:
    """The figures, where the time went, and each target met or not."""
    lines = [
        f"{'method':<42} {'runs':>6} {'wall s':>8} {'CPU s':>8} {'runs s':>8} {'exit':>4} "
        f"{'parent MB':>9} {'child MB':>8} {'load':>11}"
    ]

    def num(value: Any, spec: str) -> str:
        return "" if value is None or value == "" else format(value, spec)

    for r in table:
        if r["part"] in ("time", "memory"):
            lines.append(
                f"{r['what']:<42} {num(r.get('runs'), 'd'):>6} {num(r.get('wall_s'), '.2f'):>8} "
                f"{num(r.get('cpu_s'), '.1f'):>8} {num(r.get('run_s_sum'), '.2f'):>8} "
                f"{num(r.get('exit'), 'd'):>4} {num(r.get('parent_mb'), '.1f'):>9} "
                f"{num(r.get('children_mb'), '.1f'):>8} "
                f"{num(r.get('load_before'), '.2f'):>5}-{num(r.get('load_after'), '.2f'):<5}"
            )
    lines += [
        "(runs s: the sum of the runs' own seconds, from the sweep's CSV; for the loop, the",
        " solve seconds of its JSON, feasible runs only. CPU s: the process and the children",
        " it waited for, so not the Dask workers.)",
        "",
    ]
    for r in table:
        if r["part"] == "time" and r.get("run_s_sum"):
            outside = r["wall_s"] - r["run_s_sum"] / r["workers"]
            lines.append(
                f"  {r['what']}: a run {r['run_s_sum'] / r['runs']:.3f} s on average; "
                f"wall - runs s / {r['workers']} = {outside:.2f} s outside the runs"
            )
        elif r["part"] == "machine":
            lines.append(f"  {r['what']}: {r['value']:.2f}x")
    lines.append("")
    for r in table:
        if r["part"] in ("target", "check") and r.get("target"):
            verdict = "met" if r["met"] == "yes" else "NOT MET"
            value = r["value"]
            shown = f"{value:.2f}x" if r["part"] == "target" else f"{value}"
            lines.append(f"{r['what']:<56} {shown:>8}  target {r['target']:<7} {verdict}")
        elif r["part"] == "check":
            lines.append(str(r["what"]))
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in fields})


def _resolve(path: Path) -> Path:
    return path if path.is_absolute() else (ROOT / path).resolve()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sweep", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--scenario", type=Path, default=HUBEI, help="relative to the repo root")
    parser.add_argument("--runs", type=int, default=200, help="perturbed variants (200)")
    parser.add_argument("--workers", type=int, default=2, help="processes / Dask workers (2)")
    parser.add_argument("--memory-runs", type=int, default=10_000)
    parser.add_argument("--memory-scenario", type=Path, default=EXAMPLE)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--max-load",
        type=float,
        help="before each timed process, wait (at most 30 min) for the 1-minute load "
        "average to fall below this (default: do not wait)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "sweep.csv",
        help="default benchmarks/results/sweep.csv; the memory trace goes "
        "next to it as <name>_memory.csv",
    )
    args = parser.parse_args(argv)
    dask = not args.skip_dask
    if dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print(
                "distributed is not installed: the Dask part is skipped (pip install -e '.[dask]')",
                file=sys.stderr,
            )
            dask = False

    print(f"machine: {machine.describe()}", file=sys.stderr)
    digest = code_digest()
    print(
        f"pairing_opt: {Path(po.__file__).resolve().parent} (sources {digest})",
        file=sys.stderr,
        flush=True,
    )
    wait_for_quiet(args.max_load)
    alone, together = machine_scaling(args.workers)
    print(
        f"a CPU-bound Python loop: {alone:.2f} s alone, {together:.2f} s each with "
        f"{args.workers} at once ({together / alone:.2f}x)",
        file=sys.stderr,
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="pairopt-sweep-bench-"))
    try:
        table, problems = run_timings(
            _resolve(args.scenario),
            args.runs,
            args.workers,
            folder,
            dask=dask,
            max_load=args.max_load,
        )
        table.append(
            {
                "part": "machine",
                "what": f"a CPU-bound Python loop, s each with {args.workers} at once / alone",
                "workers": args.workers,
                "wall_s": round(together, 3),
                "value": round(together / alone, 3),
            }
        )
        samples: list[Sample] = []
        if not args.skip_memory:
            rows, samples = run_memory(
                _resolve(args.memory_scenario),
                args.memory_runs,
                args.workers,
                folder,
                args.max_load,
            )
            table += rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(report(table))
    if problems:
        print("\n!!! THE METHODS DISAGREE on these runs:")
        for text in problems:
            print(f"!!!   {text}")
    changed = code_digest() != digest
    if changed:
        print(
            "\n!!! pairing_opt's sources changed during the run: the methods may have "
            "measured different code"
        )
    print(f"\nload average after the run: {machine.load_average()}")
    out = args.out
    write_csv(out, table, FIELDS)
    print(f"wrote {out}")
    if samples:
        trace = out.with_name(out.stem + "_memory.csv")
        write_csv(
            trace,
            [dict(zip(TRACE_FIELDS, vars(s).values(), strict=True)) for s in samples],
            TRACE_FIELDS,
        )
        print(f"wrote {trace}")
    return 1 if problems or changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
