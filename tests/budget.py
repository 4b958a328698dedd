"""A hang detector for tests of text routines: a call that runs past its budget is stopped."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

T = TypeVar("T")


class OverBudget(Exception):
    """A call used more CPU time than the test allows it."""


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise OverBudget in the block once this process has spent `seconds` of CPU time in it.

    CPU time rather than wall time, so other work on a busy machine does not count against the
    call. Regular expressions check for signals while they run, so a pattern that backtracks
    without end is stopped too (the budget is a hang detector, not a performance claim).
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise OverBudget(f"the call used more than {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def within_budget(call: Callable[..., T], *args: object, seconds: float = 2.0) -> T:
    """`call(*args)`, stopped with OverBudget if it needs more than `seconds` of CPU time."""
    with cpu_budget(seconds):
        return call(*args)
