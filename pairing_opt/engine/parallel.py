"""Independent solves side by side on the machine's cores (the points of a Pareto front).

Each task runs on a thread of its own (HiGHS releases Python's lock while it works), its
solves with their share of the cores as HiGHS threads: threads competing for the cores
cost more than they give (benchmarks/README.md, section on sweeps). Results come back in
the tasks' order, each the same as it would be alone, so the answer does not depend on
which finished first. On Ctrl-C, or when a task fails, the solver runs of every task
still running are stopped (backends.CANCEL) and waited for before the exception goes on:
a thread still inside the solver when Python exits aborts the process.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

from .backends import CANCEL, HIGHS, POLL_SECONDS, THREADS_HERE, cores

T = TypeVar("T")


def workers_for(solver: str, tasks: int) -> int:
    """How many tasks of this solver to run at once: one per core for HiGHS; CBC runs
    one at a time (a separate process per run, which a cancel cannot reach)."""
    return min(tasks, cores()) if solver == HIGHS else 1


def side_by_side(
    tasks: Sequence[Callable[[], T]], workers: int, ended: Callable[[], None] | None = None
) -> list[T]:
    """Each task's result, in order; at most `workers` at once (one: here, one by one).
    `ended` is called on the caller's thread as each task ends (for a progress bar)."""
    tell = ended or (lambda: None)
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(task())
            tell()
        return results
    cancel = threading.Event()
    share = max(1, cores() // workers)

    def run(task: Callable[[], T]) -> T:
        THREADS_HERE.set(share)
        CANCEL.set(cancel)
        return task()

    pool = ThreadPoolExecutor(workers, thread_name_prefix="pairopt-side")
    futures: list[Future[T]] = []
    try:
        for task in tasks:  # each in a context of its own: one context, one thread
            futures.append(pool.submit(contextvars.copy_context().run, run, task))
        pending = set(futures)
        while pending:
            done, pending = wait(pending, POLL_SECONDS)
            for future in done:
                future.result()  # a failed task stops the others now, not at the end
                tell()
        return [future.result() for future in futures]
    except BaseException:
        cancel.set()
        for future in futures:
            future.cancel()
        _wait_through_interrupts(futures)
        raise
    finally:
        pool.shutdown(wait=False)


def _wait_through_interrupts(futures: Sequence[Future[T]]) -> None:
    """Wait for every started task to end; a further Ctrl-C does not cut the wait short."""
    while True:
        try:
            if not wait(futures, POLL_SECONDS).not_done:
                return
        except KeyboardInterrupt:
            continue
