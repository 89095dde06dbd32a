"""The check that races a solve (engine/race.py): only the latest pair set's check counts,
an abandoned check is cancelled, and the answer never depends on which run ends first."""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import time

import numpy as np
import pytest

from pairing_opt.engine import backends, race
from pairing_opt.engine.race import Racer


def _key(values: np.ndarray) -> bytes:
    return (values > 0.5).tobytes()


def test_a_new_pair_set_cancels_the_check_of_the_old_one() -> None:
    started: list[float] = []
    cancelled: list[float] = []

    def check(values: np.ndarray, cancel: threading.Event) -> str | None:
        started.append(float(values.sum()))
        if values.sum() == 1:  # the first pairing's check runs until it is cancelled
            cancel.wait(5)
            cancelled.append(float(values.sum()))
            return None
        return "alone"

    racer: Racer[str] = Racer(check, _key)
    racer.offer(np.array([1.0, 0.0]))
    racer.offer(np.array([0.999, 0.0]))  # the same pair set: its check goes on
    racer.offer(np.array([1.0, 1.0]))
    assert cancelled == [1.0]
    assert racer.result_for(np.array([1.0, 1.0])) == "alone"
    assert started == [1.0, 2.0]  # each pair set checked once
    racer.close()


def test_finished_is_none_until_the_check_ends() -> None:
    release = threading.Event()

    def check(values: np.ndarray, cancel: threading.Event) -> str | None:
        release.wait(5)
        return "tied"

    racer: Racer[str] = Racer(check, _key)
    assert racer.finished() is None  # nothing offered yet
    racer.offer(np.array([1.0]))
    assert racer.finished() is None
    release.set()
    assert racer.result_for(np.array([1.0])) == "tied"
    assert racer.finished() == "tied"
    racer.close()


def test_an_error_in_a_check_reaches_the_caller() -> None:
    def check(values: np.ndarray, cancel: threading.Event) -> str | None:
        raise RuntimeError("solver failed")

    racer: Racer[str] = Racer(check, _key)
    racer.offer(np.array([1.0]))
    racer._current[1].ended.wait(5)  # type: ignore[index]
    assert racer.finished() is None  # the polling loop is never the one to raise
    try:
        racer.result_for(np.array([1.0]))
    except RuntimeError as exc:
        assert "solver failed" in str(exc)
    else:
        raise AssertionError("the check's error was swallowed")
    racer.close()


def test_a_second_ctrl_c_while_closing_still_waits_for_the_check() -> None:
    # A check still inside the solver when Python exits aborts the process (seen with two
    # SIGINTs on `pairopt solve`): close() must wait for it even when interrupted.
    import _thread

    ended = threading.Event()

    def check(values: np.ndarray, cancel: threading.Event) -> str | None:
        cancel.wait(5)
        time.sleep(0.3)  # a solver that takes a while to notice
        ended.set()
        return None

    racer: Racer[str] = Racer(check, _key)
    racer.offer(np.array([1.0]))
    threading.Timer(0.1, _thread.interrupt_main).start()
    try:
        racer.close()
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was swallowed")
    assert ended.is_set()


def test_a_check_runs_in_the_context_of_the_solve_that_offered_it() -> None:
    # Inside a front's task the solve has a share of the cores and a cancel event
    # (parallel.side_by_side); the check beside it must solve under the same ones.
    seen: list[object] = []

    def check(values: np.ndarray, cancel: threading.Event) -> bool:
        seen.append((backends.THREADS_HERE.get(), backends.CANCEL.get()))
        return True

    front_cancel = threading.Event()

    def task() -> None:
        backends.THREADS_HERE.set(1)
        backends.CANCEL.set(front_cancel)
        racer = Racer(check, key=lambda v: v.tobytes())
        assert racer.result_for(np.array([1.0])) is True
        racer.close()

    contextvars.copy_context().run(task)
    assert seen == [(1, front_cancel)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread")
def test_a_check_runs_at_a_lower_priority_than_the_solve_and_leaves_the_solve_as_it_was() -> None:
    # The solve must end first; the check only uses what the solve leaves of the cores.
    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def check(values: np.ndarray, cancel: threading.Event) -> int:
        return nice()

    before = nice()
    racer: Racer[int] = Racer(check, _key)
    assert racer.result_for(np.array([1.0])) == min(before + race.CHECK_NICE, race.MAX_NICE)
    racer.close()
    assert nice() == before
