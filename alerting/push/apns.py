"""Apple Push Notification service over HTTP/2 with token-based authentication: iOS apps' pushes.

`POST {apns_url}/3/device/{device_token}` with `authorization: bearer <JWT>` (ES256, header `kid`
the key id, claims `iss` the team id and `iat`), made again before it is 50 minutes old (Apple
refuses one older than an hour and throttles ones made more often than every 20 minutes), and
`apns-topic`, `apns-push-type: alert`, `apns-priority`, `apns-expiration`. Targets are
`{device_token, topic}`: the app's token (hex) and its bundle id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from alerting.domain.vocabulary import PushKind
from alerting.push.base import PushFailed, PushMessage, PushRetryable, SubscriptionGone
from alerting.push.native import notification, third_party_payload
from alerting.push.retry import retry_after_s

__all__ = ["APNS_PRODUCTION", "APNS_SANDBOX", "ApnsKey", "ApnsProvider"]

APNS_PRODUCTION = "https://api.push.apple.com"
APNS_SANDBOX = "https://api.sandbox.push.apple.com"
TOKEN_LIFETIME_S = 45 * 60  # a provider token is made anew after this long
GONE_REASONS = frozenset({"Unregistered", "BadDeviceToken"})
STALE_TOKEN_REASONS = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})


@dataclass(frozen=True)
class ApnsKey:
    """A .p8 signing key from Apple's developer account, its key id and the team's id."""

    key_id: str
    team_id: str
    private_key: ECKey = field(repr=False)

    @classmethod
    def read(cls, value: str, *, key_id: str, team_id: str) -> ApnsKey:
        """From the .p8 file's PEM, or its path. Raises ValueError saying what is wrong (never
        quoting the key)."""
        text = value if value.lstrip().startswith("-----BEGIN") else _read(value)
        try:
            key = ECKey.import_key(text)
        except Exception:  # noqa: BLE001 - joserfc/cryptography raise several kinds; all mean "not a key"
            raise ValueError("the APNs key is not an EC private key (.p8)") from None
        if not key.is_private or key.curve_name != "P-256":
            raise ValueError("the APNs key is not a P-256 private key (.p8)")
        if not key_id.strip() or not team_id.strip():
            raise ValueError("the APNs key needs its key id and the team id")
        return cls(key_id=key_id.strip(), team_id=team_id.strip(), private_key=key)

    def provider_token(self, now: int) -> str:
        return jwt.encode({"alg": "ES256", "kid": self.key_id}, {"iss": self.team_id, "iat": now}, self.private_key)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ValueError(f"the APNs key file {path} cannot be read: {exc.strerror}") from None


class ApnsProvider:
    """One HTTP/2 connection per process (made on first use, in the loop that sends); every push
    is a stream on it, as Apple asks."""

    kind = PushKind.APNS

    def __init__(
        self,
        key: ApnsKey,
        *,
        url: str,
        topics: Collection[str] = (),
        timeout_s: float,
        clock: Callable[[], float] = time.time,
    ):
        self._key = key
        self._url = url.rstrip("/")
        self._host = urlsplit(url).netloc
        self._topics = frozenset(topics)
        self._timeout_s = timeout_s
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None  # (provider token, when it was made)

    @property
    def url(self) -> str:
        """Where pushes go: Apple's production or sandbox host (or a stand-in)."""
        return self._url

    def refusal(self, target: Mapping[str, Any]) -> tuple[str, str] | None:
        if self._topics and target.get("topic") not in self._topics:
            return "topic", f"this deployment pushes to the apps {', '.join(sorted(self._topics))} only"
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, target: Mapping[str, Any], message: PushMessage) -> None:
        title, body = notification(message.payload)
        high = message.urgency == "high"
        payload = {
            "aps": {
                "alert": {"title": title, "body": body},
                "sound": "default",
                "interruption-level": "time-sensitive" if high else "active",
            },
            "frame": third_party_payload(message.payload),
        }
        content = json.dumps(payload, separators=(",", ":")).encode()
        path = f"{self._url}/3/device/{target['device_token']}"
        answer = await self._post(path, content, target, message, high=high)
        reason = _reason(answer)
        if answer.status_code == 403 and reason in STALE_TOKEN_REASONS:
            self._token = None  # made anew, once
            answer = await self._post(path, content, target, message, high=high)
            reason = _reason(answer)
        if answer.status_code == 200:
            return
        if answer.status_code == 410 or reason in GONE_REASONS:
            raise SubscriptionGone(f"APNs answered {answer.status_code} {reason}")
        why = f"push to {self._host} failed: {answer.status_code} {reason}".strip()
        if answer.status_code == 429 or answer.status_code >= 500:
            raise PushRetryable(why, retry_after_s=retry_after_s(answer.headers.get("Retry-After")))
        raise PushFailed(why)

    async def _post(
        self, path: str, content: bytes, target: Mapping[str, Any], message: PushMessage, *, high: bool
    ) -> httpx.Response:
        headers = {
            "authorization": f"bearer {self._provider_token()}",
            "apns-topic": str(target["topic"]),
            "apns-push-type": "alert",
            "apns-priority": "10" if high else "5",
            "apns-expiration": str(int(self._clock()) + message.ttl_s),
            "content-type": "application/json",
        }
        collapse = _collapse_id(message.payload)
        if collapse:
            headers["apns-collapse-id"] = collapse  # a moved alert replaces its notification
        try:
            return await self._http().post(path, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise PushRetryable(f"push to {self._host} failed: {type(exc).__name__}") from exc

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(http1=False, http2=True, timeout=self._timeout_s)
        return self._client

    def _provider_token(self) -> str:
        now = self._clock()
        if self._token is None or now - self._token[1] >= TOKEN_LIFETIME_S:
            self._token = (self._key.provider_token(int(now)), now)
        return self._token[0]


def _collapse_id(payload: Mapping[str, Any]) -> str | None:
    alert_id = payload.get("alert_id")
    return str(alert_id)[:64] if payload.get("type") == "alert" and alert_id else None


def _reason(answer: httpx.Response) -> str:
    """APNs's `{"reason": ...}` for a refusal, or ''."""
    if answer.status_code == 200:
        return ""
    try:
        reason = answer.json().get("reason", "")
    except (ValueError, AttributeError):
        return ""
    return reason if isinstance(reason, str) else ""
