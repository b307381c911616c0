"""Sending one push again when its service was busy or briefly down (429, 5xx).

An alert is worth seconds, so a push is retried at once, inside the same send, with jittered
exponential backoff (alerting/domain/webhook_retry.py) or after the service's Retry-After, a few
times and never waiting longer than `max_wait_s` in all; past that the failure is reported as it
is, and the incident's timeline records it.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alerting.domain.webhook_retry import backoff_s
from alerting.push.base import PushMessage, PushProvider, PushRetryable

__all__ = ["RetryPolicy", "retry_after_s", "send_with_retries"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int  # sends in all, the first included
    base_s: float  # backoff base when the service gave no Retry-After
    max_wait_s: float  # the most one push may spend waiting between its attempts


def retry_after_s(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) in seconds from now, or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def send_with_retries(
    provider: PushProvider,
    target: Mapping[str, Any],
    message: PushMessage,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    draw: Callable[[], float] = random.random,
) -> None:
    """`provider.send`, again after a PushRetryable while attempts and waiting time remain."""
    waited = 0.0
    for attempt in range(1, policy.attempts + 1):
        try:
            await provider.send(target, message)
            return
        except PushRetryable as exc:
            if attempt == policy.attempts:
                raise
            delay = exc.retry_after_s
            if delay is None:
                delay = backoff_s(attempt, base_s=policy.base_s, cap_s=policy.max_wait_s, draw=draw())
            if waited + delay > policy.max_wait_s:
                raise
            waited += delay
            await sleep(delay)
