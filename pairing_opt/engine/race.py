"""A check that runs beside the solve it checks, on the machine's other core.

While one solver run looks for the optimum, each new pairing it reports is handed to a
check on a thread of its own (the solvers release Python's lock while they work). A check
started on a pairing the solve has since improved on is cancelled: only the latest one
matters. The caller decides what a finished check means (strategy.py: that the pairing is
the only optimum, so the solve can stop); the result of a check depends only on the pair
set it was given, never on when it ran, so the answer does not depend on the race.

A check runs at a lower scheduling priority than the solve it races (where the system lets
a thread have its own): the solve is what must end, and a check at the same priority slowed
it by a fifth or more, while the check of its final pairing mostly runs once it is alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

from .backends import POLL_SECONDS

T = TypeVar("T")
Check = Callable[[np.ndarray, threading.Event], T | None]
"""Checks a pairing (the solver's values); returns None when the event cancelled it."""

# How much nicer a check's thread is than the solve's: 10 higher, the scheduler gives it
# about a tenth of their CPU share when they compete (research/README.md, race_threads.py).
CHECK_NICE = 10
MAX_NICE = 19


def _defer_to_the_solve() -> None:
    """Lower this thread's scheduling priority, and that of the solver threads it starts
    (they inherit it). Linux keeps a nice value per thread; elsewhere it would apply to the
    whole process, so nothing is changed there. Lowering a priority needs no privilege."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            here = threading.get_native_id()
            nice = os.getpriority(os.PRIO_PROCESS, here) + CHECK_NICE
            os.setpriority(os.PRIO_PROCESS, here, min(nice, MAX_NICE))


class _Running(Generic[T]):
    """One check on its thread, and what it returned."""

    def __init__(self, check: Check[T], values: np.ndarray) -> None:
        self.cancel = threading.Event()
        # Set when the check has returned. Waits use it, not Thread.join: a join cut short
        # by Ctrl-C can leave the thread looking stopped while it still runs (CPython).
        self.ended = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None
        # In the caller's context: a check inside a front's task solves with that task's
        # share of the cores and obeys its cancel (backends.THREADS_HERE, CANCEL).
        context = contextvars.copy_context()
        self.thread = threading.Thread(
            target=context.run, args=(self._run, check, values), daemon=True
        )

    def _run(self, check: Check[T], values: np.ndarray) -> None:
        try:
            _defer_to_the_solve()
            self.result = check(values, self.cancel)
        except BaseException as exc:  # handed to the caller's thread in `outcome`
            self.error = exc
        finally:
            self.ended.set()

    def done(self) -> bool:
        return self.ended.is_set()

    def outcome(self) -> T | None:
        self.ended.wait()
        if self.error is not None:
            raise self.error
        return None if self.cancel.is_set() else self.result

    def stop(self) -> None:
        """Cancel and wait for the end; a Ctrl-C meanwhile does not cut the wait short (a
        check still inside the solver when Python exits aborts the process)."""
        self.cancel.set()
        if self.thread.ident is None:  # never started (a Ctrl-C landed just before)
            return
        interrupted = False
        while True:
            try:  # the whole step: an interrupt can land on any line, not only in the wait
                if self.ended.wait(POLL_SECONDS):
                    break
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt


class Racer(Generic[T]):
    """The check of the latest pair set offered, run beside the caller. Pair sets are told
    apart by `key` (the pairing's used pairs)."""

    def __init__(self, check: Check[T], key: Callable[[np.ndarray], bytes]) -> None:
        self._check = check
        self._key = key
        self._current: tuple[bytes, _Running[T]] | None = None
        # Every check started, so that close() ends them all: a Ctrl-C can land between a
        # thread's start and its becoming the current check, and a check still inside the
        # solver when Python exits aborts the process.
        self._started: list[_Running[T]] = []

    def offer(self, values: np.ndarray) -> None:
        """Check this pairing from now on, unless its pair set is the one being checked."""
        key = self._key(values)
        if self._current is not None:
            if self._current[0] == key:
                return
            self._current[1].stop()
        running = _Running(self._check, values)
        self._started = [r for r in self._started if not r.done()]
        self._started.append(running)
        self._current = (key, running)
        running.thread.start()

    def finished(self) -> T | None:
        """What the current check returned, once it has finished; None before, and for a
        check that failed (asked from the solve's polling loop, which must not raise: the
        error comes from `result_for` if that pair set's answer is ever needed)."""
        if self._current is None or not self._current[1].done():
            return None
        running = self._current[1]
        return None if running.error is not None else running.outcome()

    def result_for(self, values: np.ndarray) -> T | None:
        """The check of this pairing's pair set, started now if it is not the current one,
        waited for."""
        self.offer(values)
        assert self._current is not None
        return self._current[1].outcome()

    def close(self) -> None:
        """Cancel whatever still runs (an interrupted or finished solve) and wait for it."""
        started, self._started, self._current = self._started, [], None
        for running in started:
            running.cancel.set()
        interrupted = False
        for running in started:
            try:
                running.stop()
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt
