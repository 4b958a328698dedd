"""A hang detector for tests of text routines: a call that runs past its budget is stopped."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

from hypothesis import strategies as st

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


def repeated_pieces(pieces: list[str], max_length: int = 100_000) -> st.SearchStrategy[str]:
    """Strings of a short run of `pieces` said over and over, up to `max_length`, between others.

    Mostly the longest: a stall shows best there, and small sizes are tried first anyway.
    """

    @st.composite
    def build(draw: st.DrawFn) -> str:
        unit = "".join(draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4)))
        length = draw(st.sampled_from([max_length, 20_000, 2_000]))
        head = "".join(draw(st.lists(st.sampled_from(pieces), max_size=4)))
        tail = "".join(draw(st.lists(st.sampled_from(pieces), max_size=4)))
        return (head + unit * (length // len(unit)) + tail)[:max_length]

    return build()
