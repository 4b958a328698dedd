"""How many answers one person may have in flight at once, across every surface and process.

Each answer in progress holds a slot: a member of a Redis sorted set per person, scored with the time
it expires. Taking a slot drops expired members first, so a process that died mid-answer frees its
slots after `slot_seconds()` instead of locking its person out for good.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Generator, Iterator
from functools import cache
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

# Drop expired members, then add one when fewer than the limit remain; Redis runs it atomically.
# KEYS[1]: the person's set. ARGV: token, limit, seconds a slot lives. Returns 1 (taken) or 0.
_ACQUIRE = """
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_s)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_s + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
return 1
"""


class TooManyAnswers(Exception):
    """The person already has as many answers in progress as they may."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        noun = "answer" if limit == 1 else "answers"
        super().__init__(f"You have {limit} {noun} in progress; wait for one to finish.")


@cache
def _redis() -> redis.Redis:
    # One connection pool per process; short timeouts so a Redis outage cannot stall answering.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def slot_seconds() -> float:
    """How long a slot lives: longer than an answer takes (three model calls and the rest)."""
    return 3 * float(settings.INFERENCE_TIMEOUT) + 60


class AnswerSlot:
    """One answer's place among its person's answers in flight; release it when the answer ends."""

    def __init__(self, key: str, token: str | None) -> None:
        self._key = key
        # None when Redis could not be asked: the slot was granted without being recorded.
        self._token = token

    def release(self) -> None:
        """Free the slot (again is harmless)."""
        token, self._token = self._token, None
        if token is None:
            return
        try:
            _redis().zrem(self._key, token)
        except redis.RedisError:
            logger.warning("could not release an answer slot; it expires by itself", exc_info=True)

    def holding(
        self, make: Callable[P, Iterator[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Generator[T, None, None]:
        """Yield the items of `make(...)`, releasing the slot when they end or the reader stops."""
        try:
            # `yield from` hands close() on to the inner generator, which saves a stopped answer.
            yield from make(*args, **kwargs)
        finally:
            self.release()

    def __enter__(self) -> AnswerSlot:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def answer_slot(user: Any) -> AnswerSlot:
    """Take one of `user`'s answer slots now; TooManyAnswers when all are in use.

    When Redis cannot be reached the answer goes ahead unrecorded: the limit guards against one
    person crowding out others, and refusing everyone while Redis is down would be worse.
    """
    limit = int(settings.MAX_ANSWERS_IN_FLIGHT)
    key = f"assistant:answers-in-flight:{user.pk}"
    token = secrets.token_hex(8)
    try:
        taken = _redis().eval(_ACQUIRE, 1, key, token, limit, slot_seconds())
    except redis.RedisError:
        logger.warning("could not count answers in flight; answering anyway", exc_info=True)
        return AnswerSlot(key, None)
    if not taken:
        raise TooManyAnswers(limit)
    return AnswerSlot(key, token)
