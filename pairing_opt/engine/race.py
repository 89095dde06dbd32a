"""A check that runs beside the solve it checks, on the machine's other core.

While one solver run looks for the optimum, each new pairing it reports is handed to a
check on a thread of its own (the solvers release Python's lock while they work). A check
started on a pairing the solve has since improved on is cancelled: only the latest one
matters. The caller decides what a finished check means (strategy.py: that the pairing is
the only optimum, so the solve can stop); the result of a check depends only on the pair
set it was given, never on when it ran, so the answer does not depend on the race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")
Check = Callable[[np.ndarray, threading.Event], T | None]
"""Checks a pairing (the solver's values); returns None when the event cancelled it."""


class _Running(Generic[T]):
    """One check on its thread, and what it returned."""

    def __init__(self, check: Check[T], values: np.ndarray) -> None:
        self.cancel = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(check, values), daemon=True)
        self.thread.start()

    def _run(self, check: Check[T], values: np.ndarray) -> None:
        try:
            self.result = check(values, self.cancel)
        except BaseException as exc:  # handed to the caller's thread in `outcome`
            self.error = exc

    def done(self) -> bool:
        return not self.thread.is_alive()

    def outcome(self) -> T | None:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return None if self.cancel.is_set() else self.result

    def stop(self) -> None:
        self.cancel.set()
        self.thread.join()


class Racer(Generic[T]):
    """The check of the latest pair set offered, run beside the caller. Pair sets are told
    apart by `key` (the pairing's used pairs)."""

    def __init__(self, check: Check[T], key: Callable[[np.ndarray], bytes]) -> None:
        self._check = check
        self._key = key
        self._current: tuple[bytes, _Running[T]] | None = None

    def offer(self, values: np.ndarray) -> None:
        """Check this pairing from now on, unless its pair set is the one being checked."""
        key = self._key(values)
        if self._current is not None:
            if self._current[0] == key:
                return
            self._current[1].stop()
        self._current = (key, _Running(self._check, values))

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
        """Cancel whatever still runs (an interrupted or finished solve)."""
        if self._current is not None:
            self._current[1].stop()
            self._current = None
