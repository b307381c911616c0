"""The FCM and APNs providers against servers on loopback that speak those protocols (over TLS,
APNs over HTTP/2 only): sign-in and its caching, the message's shape, each error answer."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import SecretStr

from alerting.push.apns import ApnsKey, ApnsProvider
from alerting.push.base import PushFailed, PushMessage, PushRetryable, SubscriptionGone
from alerting.push.configured import PushConfigError, push_providers
from alerting.push.fcm import FcmProvider, ServiceAccount
from alerting.push.retry import RetryPolicy, send_with_retries
from alerting.push.vapid import load_or_create
from alerting.settings import Settings
from tests.support.native_push import Answer, ApnsService, FcmService, make_tls

ALERT = {
    "type": "alert",
    "alert_id": "a1",
    "incident_id": "i1",
    "category": "09-E-01",
    "category_label": "Cardiac arrest",
    "lat": 53.8,
    "lon": -1.55,
    "address": "1 Park Row",
    "distance_m": 42,
    "expires_at": "2026-12-02T15:00:00Z",
    "state": "alerted",
    "private_place": False,
}
MESSAGE = PushMessage(payload=ALERT, ttl_s=600)
FCM_TOKEN = "fcm-device-" + "x" * 40
APNS_TOKEN = "ab" * 32


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


class Clock:
    """Now, for a service and its client alike, moved by the test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def closing(fcm, apns):
    """Providers a test made, closed after it: their connections end before the servers stop."""
    made: list = []
    yield made.append
    for provider in made:
        await provider.aclose()


@pytest.fixture
async def fcm(tls, monkeypatch, clock):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    service = FcmService(clock=clock)
    await service.start(tls)
    yield service
    await service.stop()


@pytest.fixture
async def apns(tls, monkeypatch, clock):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    service = ApnsService(clock=clock)
    await service.start(tls)
    yield service
    await service.stop()


@pytest.fixture
def fcm_provider(fcm, clock, closing):
    account = ServiceAccount.read(json.dumps(fcm.service_account()))
    provider = FcmProvider(account, project_id=fcm.project_id, url=fcm.url, timeout_s=5, clock=clock)
    closing(provider)
    return provider


@pytest.fixture
def apns_provider(apns, clock, closing):
    key = ApnsKey.read(apns.p8(), key_id=apns.key_id, team_id=apns.team_id)
    provider = ApnsProvider(key, url=apns.url, topics=apns.topics, timeout_s=5, clock=clock)
    closing(provider)
    return provider


async def test_fcm_signs_in_once_sends_the_alert_without_its_place_and_signs_in_again_near_expiry(
    fcm, fcm_provider, clock
):
    provider = fcm_provider
    await provider.send({"token": FCM_TOKEN}, MESSAGE)
    await provider.send({"token": FCM_TOKEN}, MESSAGE)
    assert fcm.sign_ins == 1 and fcm.refused_sign_ins == [], fcm.refused_sign_ins
    sent = fcm.received[FCM_TOKEN][0]
    assert (
        sent["android"] == {"priority": "high", "ttl": "600s", "collapse_key": "a1"} and sent["data"]["type"] == "alert"
    )
    frame = json.loads(sent["data"]["frame"])
    assert frame["alert_id"] == "a1" and frame["distance_m"] == 42 and frame["category_label"] == "Cardiac arrest"
    # Google and Apple can read what they carry: no coordinates, address or AED.
    assert not {"lat", "lon", "address", "area_hint", "aed"} & frame.keys()
    clock.offset += 3600 - 200  # inside the refresh margin: a new token before this push
    await provider.send({"token": FCM_TOKEN}, MESSAGE)
    assert fcm.sign_ins == 2 and len(fcm.received[FCM_TOKEN]) == 3


async def test_fcm_unregistered_and_a_token_refused_as_invalid_are_gone_busy_and_down_are_retryable(fcm, fcm_provider):
    provider = fcm_provider
    fcm.answers = {
        "gone-" + "1" * 30: Answer("unregistered"),
        "bad-" + "1" * 30: Answer("invalid"),
        "busy-" + "1" * 30: Answer("busy"),
        "down-" + "1" * 30: Answer("down"),
    }
    for token in ("gone-" + "1" * 30, "bad-" + "1" * 30):
        with pytest.raises(SubscriptionGone):
            await provider.send({"token": token}, MESSAGE)
    with pytest.raises(PushRetryable) as busy:
        await provider.send({"token": "busy-" + "1" * 30}, MESSAGE)
    assert busy.value.retry_after_s == 1.0 and "QUOTA_EXCEEDED" in str(busy.value)
    with pytest.raises(PushRetryable) as down:
        await provider.send({"token": "down-" + "1" * 30}, MESSAGE)
    assert down.value.retry_after_s is None


async def test_fcm_with_the_wrong_key_is_refused_at_sign_in_and_says_so_without_the_key(fcm, closing):
    other = FcmService()  # another account's key, this service's token endpoint
    account = dict(other.service_account(), token_uri=f"{fcm.url}/token", client_email=fcm.client_email)
    provider = FcmProvider(
        ServiceAccount.read(json.dumps(account)),
        project_id=fcm.project_id,
        url=fcm.url,
        timeout_s=5,
    )
    closing(provider)
    with pytest.raises(PushFailed) as refused:
        await provider.send({"token": FCM_TOKEN}, MESSAGE)
    assert "sign-in" in str(refused.value) and "400 invalid_grant" in str(refused.value)
    assert "PRIVATE KEY" not in str(refused.value) and fcm.refused_sign_ins and FCM_TOKEN not in fcm.attempts


async def test_retries_wait_for_retry_after_and_then_deliver(fcm, fcm_provider):
    provider = fcm_provider
    fcm.answers = {FCM_TOKEN: Answer("busy", times=2)}
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    await send_with_retries(provider, {"token": FCM_TOKEN}, MESSAGE, RetryPolicy(3, 0.5, 10), sleep=sleep)
    assert waits == [1.0, 1.0] and fcm.attempts[FCM_TOKEN] == 3 and len(fcm.received[FCM_TOKEN]) == 1
    # Out of attempts, or a wait longer than allowed: the failure as it was.
    fcm.answers = {"again-" + "2" * 30: Answer("busy")}
    with pytest.raises(PushRetryable):
        await send_with_retries(
            provider, {"token": "again-" + "2" * 30}, MESSAGE, RetryPolicy(3, 0.5, 1.5), sleep=sleep
        )
    assert fcm.attempts["again-" + "2" * 30] == 2


async def test_apns_over_http2_with_a_provider_token_made_again_before_fifty_minutes(apns, apns_provider, clock):
    provider = apns_provider
    await provider.send({"device_token": APNS_TOKEN, "topic": "uk.nhs.responders"}, MESSAGE)
    got = apns.received[APNS_TOKEN][0]
    headers, payload = got["headers"], got["payload"]
    assert headers["apns-push-type"] == "alert" and headers["apns-priority"] == "10"
    assert headers["apns-topic"] == "uk.nhs.responders" and headers["apns-collapse-id"] == "a1"
    assert int(clock()) - 60 <= int(headers["apns-expiration"]) - 600 <= int(clock())  # sent a moment ago
    assert payload["aps"]["alert"] == {
        "title": "Emergency nearby: Cardiac arrest",
        "body": "About 42 m from you. Open the app to answer.",
    }
    assert payload["frame"]["alert_id"] == "a1" and "address" not in payload["frame"] and "lat" not in payload["frame"]
    clock.offset += 20 * 60
    await provider.send({"device_token": APNS_TOKEN, "topic": "uk.nhs.responders"}, MESSAGE)
    assert len(apns.provider_tokens) == 1  # reused: Apple throttles tokens made more often
    clock.offset += 30 * 60  # 50 minutes after it was made
    await provider.send({"device_token": APNS_TOKEN, "topic": "uk.nhs.responders"}, MESSAGE)
    assert len(apns.provider_tokens) == 2 and apns.refused == []


async def test_apns_errors_unregistered_and_bad_token_are_gone_busy_and_down_retryable(apns, apns_provider):
    provider = apns_provider
    apns.answers = {"01" * 32: Answer("unregistered"), "02" * 32: Answer("invalid"), "03" * 32: Answer("busy")}
    apns.answers["04" * 32] = Answer("down")
    for token in ("01" * 32, "02" * 32):
        with pytest.raises(SubscriptionGone):
            await provider.send({"device_token": token, "topic": "uk.nhs.responders"}, MESSAGE)
    for token in ("03" * 32, "04" * 32):
        with pytest.raises(PushRetryable):
            await provider.send({"device_token": token, "topic": "uk.nhs.responders"}, MESSAGE)
    # A topic the key does not serve is the service's refusal, not a gone device.
    with pytest.raises(PushFailed) as refused:
        await provider.send({"device_token": APNS_TOKEN, "topic": "org.other.app"}, MESSAGE)
    assert not isinstance(refused.value, SubscriptionGone | PushRetryable) and "TopicDisallowed" in str(refused.value)
    assert provider.refusal({"device_token": APNS_TOKEN, "topic": "org.other.app"})[0] == "topic"
    assert provider.refusal({"device_token": APNS_TOKEN, "topic": "uk.nhs.responders"}) is None


async def test_apns_with_a_key_apple_does_not_know_is_refused(apns, closing):
    stranger = ApnsService()
    key = ApnsKey.read(stranger.p8(), key_id=apns.key_id, team_id=apns.team_id)
    provider = ApnsProvider(key, url=apns.url, timeout_s=5)
    closing(provider)
    with pytest.raises(PushFailed) as refused:
        await provider.send({"device_token": APNS_TOKEN, "topic": "uk.nhs.responders"}, MESSAGE)
    assert "403 InvalidProviderToken" in str(refused.value) and APNS_TOKEN not in apns.received


def settings(tmp_path, **overrides) -> Settings:
    return Settings(vapid_key_file=str(tmp_path / "vapid.pem"), **overrides)


def test_configured_kinds_and_broken_credentials(tmp_path):
    fcm, apns = FcmService(), ApnsService()
    account = json.dumps(fcm.service_account())
    vapid = load_or_create(settings(tmp_path))
    assert push_providers(settings(tmp_path), vapid).kinds == {"webpush"}
    both = settings(
        tmp_path,
        fcm_service_account=SecretStr(account),
        apns_key=SecretStr(apns.p8()),
        apns_key_id=apns.key_id,
        apns_team_id=apns.team_id,
    )
    configured = push_providers(both, vapid)
    assert configured.kinds == {"webpush", "fcm", "apns"}
    production_apple = configured.get("apns")
    assert isinstance(production_apple, ApnsProvider) and production_apple.url == "https://api.push.apple.com"
    sandbox = push_providers(both.model_copy(update={"apns_sandbox": True}), vapid).get("apns")
    assert isinstance(sandbox, ApnsProvider) and sandbox.url == "https://api.sandbox.push.apple.com"
    key_file = tmp_path / "AuthKey.p8"
    key_file.write_text(apns.p8())
    by_path = settings(tmp_path, apns_key=SecretStr(str(key_file)), apns_key_id="K", apns_team_id="T")
    assert push_providers(by_path, vapid).kinds == {"webpush", "apns"}

    production = {
        "environment": "production",
        "operator_token": "o" * 40,
        "secret_key": SecretStr("A" * 43 + "="),
        "vapid_private_key": vapid.private_pem().decode(),
    }
    broken = [
        {"fcm_service_account": SecretStr(str(tmp_path / "missing.json"))},
        {"fcm_service_account": SecretStr(account.replace("service_account", "authorized_user"))},
        {"fcm_service_account": SecretStr(json.dumps({**fcm.service_account(), "private_key": "-----BEGIN nope"}))},
        {"apns_key": SecretStr(apns.p8()), "apns_team_id": "T"},  # no key id
        {"apns_key": SecretStr(fcm.service_account()["private_key"]), "apns_key_id": "K", "apns_team_id": "T"},
    ]
    for given in broken:
        with pytest.raises(PushConfigError) as refused:
            push_providers(settings(tmp_path, **production, **given), vapid)
        assert "PRIVATE KEY" not in str(refused.value) and "MII" not in str(refused.value), refused.value
        # In development the kind is left out (and devices of it refused at registration).
        assert push_providers(settings(tmp_path, **given), vapid).kinds == {"webpush"}
    # Production asks for https to Google and Apple.
    with pytest.raises(PushConfigError, match="https"):
        push_providers(
            settings(
                tmp_path, **production, fcm_service_account=SecretStr(account.replace("https://127", "http://127"))
            ),
            vapid,
        )
