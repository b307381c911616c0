"""When to try a failed webhook again: exponential backoff with full jitter, bounded by a deadline.

Full jitter (a uniform draw below the exponential ceiling) keeps many incidents that failed
together from retrying in lockstep against a recovering CAD. Pure: the random draw is passed in.
"""

from __future__ import annotations

__all__ = ["backoff_s", "next_attempt_at"]


def backoff_s(attempts: int, *, base_s: float, cap_s: float, draw: float) -> float:
    """Delay after `attempts` failures (1 for the first); `draw` is uniform in [0, 1)."""
    if attempts < 1:
        raise ValueError("attempts counts failures and starts at 1")
    if not 0.0 <= draw < 1.0:
        raise ValueError("draw must be in [0, 1)")
    ceiling = min(cap_s, base_s * 2.0 ** (attempts - 1))
    return max(ceiling * draw, min(base_s, ceiling) / 10)


def next_attempt_at(
    now: float, attempts: int, *, base_s: float, cap_s: float, draw: float, give_up_at: float
) -> float | None:
    """When to retry, or None when the next try would fall after `give_up_at` (the alert TTL)."""
    at = now + backoff_s(attempts, base_s=base_s, cap_s=cap_s, draw=draw)
    return at if at <= give_up_at else None
