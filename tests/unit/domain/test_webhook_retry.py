"""Webhook retry timing: exponential, jittered, capped, and never past the alert TTL."""

from __future__ import annotations

import pytest

from alerting.domain.webhook_retry import backoff_s, next_attempt_at


def test_the_ceiling_doubles_per_failure_until_the_cap():
    ceilings = [backoff_s(n, base_s=1, cap_s=60, draw=0.999999) for n in range(1, 9)]
    assert [round(c) for c in ceilings] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_jitter_spreads_retries_below_the_ceiling():
    low, high = backoff_s(4, base_s=1, cap_s=60, draw=0.0), backoff_s(4, base_s=1, cap_s=60, draw=0.5)
    assert low == pytest.approx(0.1) and high == pytest.approx(4.0)


def test_never_zero_so_a_failing_receiver_is_not_hammered():
    assert backoff_s(1, base_s=2, cap_s=60, draw=0.0) == pytest.approx(0.2)


@pytest.mark.parametrize("attempts, draw", [(0, 0.5), (1, 1.0), (1, -0.1)])
def test_bad_arguments_are_refused(attempts, draw):
    with pytest.raises(ValueError):
        backoff_s(attempts, base_s=1, cap_s=60, draw=draw)


def test_gives_up_when_the_next_try_would_be_after_the_deadline():
    assert next_attempt_at(100.0, 3, base_s=1, cap_s=60, draw=0.5, give_up_at=200.0) == pytest.approx(102.0)
    assert next_attempt_at(100.0, 3, base_s=1, cap_s=60, draw=0.5, give_up_at=101.0) is None
