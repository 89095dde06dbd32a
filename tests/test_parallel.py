"""engine/parallel.py: tasks side by side give what they give one by one, in order, and an
interrupt or a failure stops every task's solver runs before it goes on."""

from __future__ import annotations

import _thread
import subprocess
import sys
import threading
import time

import pytest

from pairing_opt.engine import backends, parallel
from pairing_opt.engine.parallel import side_by_side, workers_for

WAIT = 10.0  # seconds a task waits for what the test promises before it gives up


def until_cancelled() -> str:
    cancel = backends.CANCEL.get()
    assert cancel is not None
    if not cancel.wait(WAIT):
        return "never cancelled"
    return "cancelled"


def test_results_come_in_task_order_whichever_finishes_first() -> None:
    first_may_end = threading.Event()

    def slow() -> str:
        first_may_end.wait(WAIT)
        return "first"

    def fast() -> str:
        first_may_end.set()
        return "second"

    assert side_by_side([slow, fast], workers=2) == ["first", "second"]


@pytest.mark.parametrize("workers", [1, 2])
def test_each_task_that_ends_is_told_on_the_callers_thread(workers: int) -> None:
    told: list[threading.Thread] = []
    results = side_by_side(
        [lambda: 1, lambda: 2, lambda: 3],
        workers,
        ended=lambda: told.append(threading.current_thread()),
    )
    assert results == [1, 2, 3]
    assert told == [threading.current_thread()] * 3  # a progress bar is not thread-safe


def test_one_worker_runs_the_tasks_here_one_by_one() -> None:
    where = side_by_side([threading.current_thread, threading.current_thread], workers=1)
    assert where == [threading.current_thread()] * 2
    assert backends.CANCEL.get() is None


@pytest.mark.parametrize(("cores", "workers", "share"), [(2, 2, 1), (8, 2, 4), (3, 2, 1)])
def test_each_task_solves_with_its_share_of_the_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, share: int
) -> None:
    monkeypatch.setattr(parallel, "cores", lambda: cores)
    seen = side_by_side([backends.THREADS_HERE.get] * workers, workers)
    assert seen == [share] * workers
    assert backends.THREADS_HERE.get() is None  # the caller's own solves are untouched


def test_a_failing_task_cancels_the_others_and_its_error_goes_on() -> None:
    ended: list[str] = []

    def fails() -> str:
        raise ValueError("this task failed")

    def waits() -> str:
        ended.append(until_cancelled())
        return ended[-1]

    with pytest.raises(ValueError, match="this task failed"):
        side_by_side([waits, fails], workers=2)
    assert ended == ["cancelled"]


def test_ctrl_c_cancels_every_task_and_waits_for_them() -> None:
    ended: list[str] = []

    def interrupts() -> str:
        time.sleep(0.2)  # the caller is waiting by now
        _thread.interrupt_main()  # Ctrl-C, as the main thread sees it
        ended.append(until_cancelled())
        return ended[-1]

    def waits() -> str:
        result = until_cancelled()
        time.sleep(0.3)  # a solver run takes a moment to stop: the caller must wait
        ended.append(result)
        return result

    with pytest.raises(KeyboardInterrupt):
        side_by_side([interrupts, waits], workers=2)
    assert sorted(ended) == ["cancelled", "cancelled"]


def test_cbc_runs_one_at_a_time() -> None:
    assert workers_for("cbc", 8) == 1
    assert workers_for("highs", 1) == 1


def test_solver_instances_made_on_many_threads_leave_stdout_where_it_was() -> None:
    """Every new HiGHS instance used to point fd 1 at /dev/null and back, to hide the
    banner HiGHS prints once; two threads doing it at once could leave fd 1 at /dev/null,
    and `pairopt pareto` then printed its table into nothing (exit 0, 1 run in 10)."""
    script = (
        "import threading\n"
        "from pairing_opt.engine import backends\n"
        "import highspy\n"
        "def make():\n"
        "    for _ in range(40):\n"
        "        backends._new_highs(highspy)\n"
        "threads = [threading.Thread(target=make) for _ in range(6)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print('the data', flush=True)\n"
    )
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "the data\n"  # and no banner
