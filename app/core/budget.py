"""A time budget for work that runs in Gemseek's own process and cannot be killed from outside.

Extraction runs in a child process with a time limit; chunking and tokenizing
run in the indexer's thread, where nothing can stop a runaway loop. They call
a token counter again and again, so the budget wraps that counter: each call
first checks the deadline (and a stop request), and raises when it is past.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OverBudget(Exception):
    """The work took longer than its budget."""


class Stopped(Exception):
    """The work was asked to stop (pause, quit) while it ran."""


class Budget:
    """``seconds`` from now, or until ``stop`` is set, whichever comes first."""

    def __init__(self, seconds: float, stop: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._deadline = clock() + seconds
        self._stop = stop
        self._clock = clock

    def check(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise Stopped()
        if self._clock() > self._deadline:
            raise OverBudget()

    def guard(self, fn: Callable[[str], T]) -> Callable[[str], T]:
        """``fn``, checking the budget before every call."""

        def guarded(arg: str) -> T:
            self.check()
            return fn(arg)

        return guarded
