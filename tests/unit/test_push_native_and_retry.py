"""What a native push may carry and say, and when a push is sent again."""

from __future__ import annotations

import pytest

from alerting.push.base import PushFailed, PushMessage, PushRetryable
from alerting.push.native import notification, third_party_payload
from alerting.push.retry import RetryPolicy, retry_after_s, send_with_retries
from alerting.settings import Settings


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_s("7") == 7.0
    assert retry_after_s("Wed, 02 Dec 2026 14:00:30 GMT", now=1_796_220_000.0) == 30.0
    assert retry_after_s("Wed, 02 Dec 2026 13:00:00 GMT", now=1_796_220_000.0) == 0.0
    assert retry_after_s(None) is None and retry_after_s("soon") is None and retry_after_s(" ") is None


def test_an_alert_through_a_third_party_carries_no_place():
    frame = {
        "type": "alert",
        "alert_id": "a",
        "incident_id": "i",
        "category": "09-E-01",
        "lat": 1.0,
        "lon": 2.0,
        "address": "1 Park Row",
        "area_hint": "Park Row",
        "aed": {"id": "x"},
        "distance_m": 80,
        "expires_at": "t",
        "state": "alerted",
        "private_place": True,
    }
    assert third_party_payload(frame) == {
        "type": "alert",
        "alert_id": "a",
        "incident_id": "i",
        "category": "09-E-01",
        "distance_m": 80,
        "expires_at": "t",
        "state": "alerted",
    }
    reminder = {"type": "reminder", "text": "Your DBS check expires in 10 days"}
    assert third_party_payload(reminder) == reminder
    assert notification(frame) == ("Emergency nearby", "About 80 m from you. Open the app to answer.")
    assert notification(reminder) == ("Your credentials", "Your DBS check expires in 10 days")


class Flaky:
    """Refuses with `errors` in turn, then takes the message."""

    kind = "fcm"

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.sent = 0

    async def send(self, target, message):
        self.sent += 1
        if self.errors:
            raise self.errors.pop(0)


async def test_retryable_failures_are_sent_again_within_the_budget_and_others_are_not():
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    message = PushMessage(payload={"type": "alert"}, ttl_s=60)
    busy = Flaky(PushRetryable("429", retry_after_s=2), PushRetryable("503"))
    await send_with_retries(busy, {}, message, RetryPolicy(3, 0.5, 10), sleep=sleep, draw=lambda: 0.5)
    assert busy.sent == 3 and waits == [2, 0.5]  # Retry-After, then half of base * 2
    refused = Flaky(PushFailed("400"))
    with pytest.raises(PushFailed):
        await send_with_retries(refused, {}, message, RetryPolicy(3, 0.5, 10), sleep=sleep)
    assert refused.sent == 1
    too_long = Flaky(PushRetryable("429", retry_after_s=60))
    with pytest.raises(PushRetryable):
        await send_with_retries(too_long, {}, message, RetryPolicy(3, 0.5, 10), sleep=sleep)
    assert too_long.sent == 1


def test_apns_topics_are_comma_separated():
    assert Settings(apns_topics="uk.nhs.a, uk.nhs.b").apns_topics == ["uk.nhs.a", "uk.nhs.b"]
