"""A side channel from deep inside a model call up to the game that made it: retry waits.

The HTTP layer cannot yield game events, so the game registers a listener for the duration of each call
(a context variable: per thread, so concurrent games each hear only their own calls).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from engine.keys import mask_keys

RetryListener = Callable[[str, float, int], None]  # (reason, seconds until the next attempt, failed attempt)

log = logging.getLogger(__name__)
_listener: ContextVar[RetryListener | None] = ContextVar("retry_listener", default=None)


@contextmanager
def retries_reported_to(listener: RetryListener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def report_retry(what: str, reason: str, seconds: float, attempt: int) -> None:
    """Log a retry wait and tell the game whose call it is, if one listens; the server's reason is masked."""
    reason = mask_keys(reason)
    log.warning("%s: %s; retrying in %.1f s (attempt %d failed)", what, reason, seconds, attempt)
    listener = _listener.get()
    if listener is not None:
        listener(reason, seconds, attempt)
