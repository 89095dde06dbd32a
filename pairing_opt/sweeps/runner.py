"""Running a sweep's missing runs: in this process, on local worker processes, or on a
Dask cluster, each finished row handed to the store as it arrives.

Only this process writes rows, so a run is never written twice however the workers fail:
a killed local worker's runs are tried again on a fresh pool (a run whose worker dies
three times is written as failed), and Dask reschedules the runs of a lost worker itself.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import SolverError
from .plan import Run
from .worker import Job, run_one

Row = dict[str, Any]
Sink = Callable[[Row], None]
DASK_INSTALL = "pip install 'pairopt[dask]' (or pip install 'dask[distributed]')"
WORKER_DEATHS = 3  # a run whose worker dies this often is written as failed, not retried


def run_here(job: Job, runs: Sequence[Run], sink: Sink) -> None:
    """One run after another in this process: `--workers 1`, and the shell-free baseline."""
    for run in runs:
        sink(run_one(job, run))


def _quiet_worker() -> None:
    """Ctrl-C goes to the whole process group: the parent decides what stops, not workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_local(job: Job, runs: Sequence[Run], workers: int, sink: Sink) -> None:
    """Runs on `workers` processes that each load the scenario once; a few runs in flight
    per worker, so memory stays flat however long the sweep."""
    queue = deque(runs)
    deaths: dict[int, int] = {}
    while queue:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),  # no HiGHS threads forked
            initializer=_quiet_worker,
        )
        try:
            broken = _drain(pool, job, queue, workers, sink)
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)
        for run in broken:
            deaths[run.index] = deaths.get(run.index, 0) + 1
            if deaths[run.index] >= WORKER_DEATHS:
                sink(_died(run))
            else:
                queue.appendleft(run)


def _drain(
    pool: ProcessPoolExecutor, job: Job, queue: deque[Run], workers: int, sink: Sink
) -> list[Run]:
    """Feed the pool until the queue is empty; the runs in flight when a worker died."""
    flying: dict[Future[Row], Run] = {}
    while queue or flying:
        while queue and len(flying) < 2 * workers:
            run = queue.popleft()
            flying[pool.submit(run_one, job, run)] = run
        done, _ = wait(flying, return_when=FIRST_COMPLETED)
        for future in done:
            run = flying.pop(future)
            try:
                row = future.result()
            except BrokenProcessPool:
                return [run, *flying.values()]
            sink(row)
    return []


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now: a solve can take its whole time limit to notice a shutdown."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _died(run: Run) -> Row:
    return {
        "run": run.index,
        **run.columns,
        "sample": run.sample,
        "status": "failed",
        "message": f"the worker process died {WORKER_DEATHS} times running it "
        "(out of memory, or killed).",
    }


def dask_client(address: str, timeout: float = 10.0) -> Any:
    """A client of the Dask scheduler at `address` (exit 3 when the extra is missing or
    the scheduler does not answer)."""
    try:
        from distributed import Client
    except ImportError:
        raise SolverError(
            f"--dask needs Dask's distributed scheduler, an optional extra. Fix: {DASK_INSTALL}."
        ) from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SolverError(
            f"no Dask scheduler answered at {address} ({exc}). Fix: start one "
            "(dask scheduler; dask worker ADDRESS) or check the address."
        ) from None


def run_dask(job: Job, runs: Sequence[Run], client: Any, sink: Sink) -> None:
    """Runs as Dask tasks on `client`'s cluster, a bounded number in flight; Dask moves
    the tasks of a lost worker to the others, and a run whose workers keep dying is
    written as failed."""
    from distributed import as_completed

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    queue = iter(runs)
    by_key: dict[str, Run] = {}

    def submit(run: Run) -> Any:
        future = client.submit(run_one, job, run, pure=False)
        by_key[future.key] = run
        return future

    window = [submit(run) for run in _take(queue, 2 * workers)]
    flow = as_completed(window, loop=client.loop)
    for future in flow:
        run = by_key.pop(future.key)
        try:
            row = future.result()
        except Exception as exc:  # KilledWorker: the run took workers down with it
            row = {**_died(run), "message": f"{type(exc).__name__}: {exc}"}
        sink(row)
        future.release()
        for more in _take(queue, 1):
            flow.add(submit(more))


def _take(runs: Iterator[Run], count: int) -> list[Run]:
    taken = []
    for run in runs:
        taken.append(run)
        if len(taken) == count:
            break
    return taken
