"""`pairopt sweep --dask` on a real Dask cluster: a scheduler and two workers started as
processes on loopback, as a user's cluster would be (not an in-process stand-in)."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import SLOW

pytest.importorskip("distributed", reason="the dask extra is not installed")

from pairing_opt import sweep

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(handle)]


class Cluster:
    """A scheduler and named workers, each its own process, all stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.address = ""

    def _start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT
        )

    def start(self, workers: int) -> None:
        self._start(
            "scheduler",
            "distributed.cli.dask_scheduler",
            "--host=127.0.0.1",
            "--port=0",
            "--no-dashboard",
            f"--scheduler-file={self.file}",
        )
        self.address = self._wait(lambda: json.loads(self.file.read_text())["address"])
        for i in range(workers):
            self._start(
                f"worker{i}",
                "distributed.cli.dask_worker",
                self.address,
                "--host=127.0.0.1",
                "--nthreads=1",
                "--nworkers=1",
                "--no-dashboard",
                "--no-nanny",  # a killed worker stays dead, as a lost machine would
                f"--name=worker{i}",
            )
        from distributed import Client

        with Client(self.address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT)

    def _wait(self, read: object) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                return str(read())  # type: ignore[operator]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise TimeoutError("the Dask scheduler did not start")

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()  # a clean Dask shutdown takes seconds; nothing here needs one
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path)
    try:
        running.start(workers=2)
        yield running
    finally:
        running.stop()


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scenarios" / "example", tmp_path / "example")
    return tmp_path / "example" / "scenario.yaml"


def test_a_sweep_on_a_dask_cluster_gives_the_local_rows(
    cluster: Cluster, example: Path, tmp_path: Path
) -> None:
    args = {
        "vary": ["rules.max_distance_km=1000,1200,2000"],
        "samples": 3,
        "perturb": ["recipients.need=lognormal:0.3"],
        "seed": 11,
    }
    sweep(example, tmp_path / "local.csv", workers=2, **args)  # type: ignore[arg-type]
    done = sweep(example, tmp_path / "dask.csv", dask=cluster.address, **args)  # type: ignore[arg-type]
    assert done.ran == 9
    assert rows(tmp_path / "dask.csv") == rows(tmp_path / "local.csv")


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
def test_losing_a_worker_mid_sweep_loses_no_run(cluster: Cluster, tmp_path: Path) -> None:
    scenario = tmp_path / "hubei" / "scenario.yaml"
    shutil.copytree(ROOT / "scenarios" / "hubei-2020", scenario.parent)
    args = {"samples": 16, "perturb": ["recipients.need=lognormal:0.2"], "seed": 3}
    out = tmp_path / "dask.csv"
    killed = threading.Event()

    def kill_after_first_rows() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= 3:
                cluster.kill("worker0")
                killed.set()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=kill_after_first_rows, daemon=True)
    watcher.start()
    done = sweep(scenario, out, dask=cluster.address, **args)  # type: ignore[arg-type]
    watcher.join(timeout=5)
    assert killed.is_set(), "the sweep ended before a worker could be killed"
    assert cluster.processes["worker0"].poll() is not None
    found = rows(out)
    assert sorted(int(r["run"]) for r in found) == list(range(1, 17))  # each run once
    assert done.summary.statuses.get("failed", 0) == 0
    sweep(scenario, tmp_path / "local.csv", workers=1, **args)  # type: ignore[arg-type]
    assert found == rows(tmp_path / "local.csv")
