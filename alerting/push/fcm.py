"""Firebase Cloud Messaging, HTTP v1 API: Android apps' pushes.

`POST {fcm_url}/v1/projects/{project}/messages:send` with an OAuth 2.0 access token, got from the
service account's `token_uri` with a signed JWT assertion (RFC 7523, `grant_type=
urn:ietf:params:oauth:grant-type:jwt-bearer`, RS256 with the account's private key) and kept
until shortly before it expires. Targets are `{token}`, the app's registration token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from alerting.domain.vocabulary import PushKind
from alerting.push.base import PushFailed, PushMessage, PushRetryable, SubscriptionGone
from alerting.push.native import third_party_payload
from alerting.push.retry import retry_after_s

__all__ = ["FCM_SCOPE", "FcmProvider", "ServiceAccount"]

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME_S = 3600  # the longest Google accepts
REFRESH_MARGIN_S = 300  # a token this close to its expiry is replaced before use


@dataclass(frozen=True)
class ServiceAccount:
    """The parts of a Google service-account key file that sign in; the key itself never prints."""

    client_email: str
    token_uri: str
    project_id: str | None
    private_key_id: str | None
    private_key: RSAKey = field(repr=False)

    @classmethod
    def read(cls, value: str) -> ServiceAccount:
        """From the key file's JSON, or the path of the file. Raises ValueError saying what is wrong
        (never quoting the file)."""
        text = value if value.lstrip().startswith("{") else _read(value)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("the FCM service account is not JSON") from None
        if not isinstance(data, dict) or data.get("type") != "service_account":
            raise ValueError('the FCM service account is not a service-account key (its "type" is not service_account)')
        missing = [k for k in ("client_email", "private_key", "token_uri") if not isinstance(data.get(k), str)]
        if missing:
            raise ValueError(f"the FCM service account has no {', '.join(missing)}")
        try:
            key = RSAKey.import_key(data["private_key"])
        except Exception:  # noqa: BLE001 - joserfc/cryptography raise several kinds; all mean "not a key"
            raise ValueError("the FCM service account's private_key is not an RSA private key") from None
        if not key.is_private:
            raise ValueError("the FCM service account's private_key is a public key")
        if urlsplit(data["token_uri"]).scheme not in ("https", "http"):
            raise ValueError("the FCM service account's token_uri is not a URL")
        return cls(
            client_email=data["client_email"],
            token_uri=data["token_uri"],
            project_id=data.get("project_id") if isinstance(data.get("project_id"), str) else None,
            private_key_id=data.get("private_key_id") if isinstance(data.get("private_key_id"), str) else None,
            private_key=key,
        )

    def assertion(self, now: int) -> str:
        """The signed JWT exchanged for an access token (RFC 7523 section 2.1)."""
        header = {"alg": "RS256", "typ": "JWT"}
        if self.private_key_id:
            header["kid"] = self.private_key_id
        claims = {
            "iss": self.client_email,
            "scope": FCM_SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
        }
        return jwt.encode(header, claims, self.private_key)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ValueError(f"the FCM service account file {path} cannot be read: {exc.strerror}") from None


class FcmProvider:
    """One HTTP/2 connection pool per process (made on first use, in the loop that sends)."""

    kind = PushKind.FCM

    def __init__(
        self,
        account: ServiceAccount,
        *,
        project_id: str,
        url: str,
        timeout_s: float,
        clock: Callable[[], float] = time.time,
    ):
        self._account = account
        self._send_url = f"{url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._host = urlsplit(url).netloc
        self._timeout_s = timeout_s
        self._clock = clock
        self._client: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None  # (access token, unix expiry)
        self._signing_in = asyncio.Lock()

    def refusal(self, target: Mapping[str, Any]) -> tuple[str, str] | None:
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, target: Mapping[str, Any], message: PushMessage) -> None:
        body = {
            "message": {
                "token": target["token"],
                "data": {
                    "type": str(message.payload.get("type", "")),
                    "frame": json.dumps(third_party_payload(message.payload), separators=(",", ":")),
                },
                "android": {
                    "priority": "high" if message.urgency == "high" else "normal",
                    "ttl": f"{message.ttl_s}s",
                },
            }
        }
        if message.payload.get("type") == "alert" and message.payload.get("alert_id"):
            body["message"]["android"]["collapse_key"] = str(message.payload["alert_id"])  # a moved alert replaces it
        answer = await self._post(body, await self._bearer())
        if answer.status_code == 401:  # revoked or expired early: sign in again, once
            self._token = None
            answer = await self._post(body, await self._bearer())
        if answer.status_code == 200:
            return
        error = _error(answer)
        status = error.get("status") or ""
        codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)}
        if "UNREGISTERED" in codes or (answer.status_code == 400 and _names_the_token(error)):
            raise SubscriptionGone(
                f"FCM answered {answer.status_code} {'UNREGISTERED' if 'UNREGISTERED' in codes else status}"
            )
        why = f"push to {self._host} failed: {answer.status_code} {next(iter(codes - {None}), None) or status}".strip()
        if answer.status_code == 429 or answer.status_code >= 500:
            raise PushRetryable(why, retry_after_s=retry_after_s(answer.headers.get("Retry-After")))
        raise PushFailed(why)

    async def _post(self, body: dict[str, Any], bearer: str) -> httpx.Response:
        try:
            return await self._http().post(self._send_url, json=body, headers={"Authorization": f"Bearer {bearer}"})
        except httpx.TransportError as exc:
            raise PushRetryable(f"push to {self._host} failed: {type(exc).__name__}") from exc

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(http2=True, timeout=self._timeout_s)
        return self._client

    async def _bearer(self) -> str:
        if self._token is not None and self._clock() < self._token[1] - REFRESH_MARGIN_S:
            return self._token[0]
        async with self._signing_in:  # one sign-in however many pushes are waiting for it
            if self._token is None or self._clock() >= self._token[1] - REFRESH_MARGIN_S:
                self._token = await self._sign_in()
            return self._token[0]

    async def _sign_in(self) -> tuple[str, float]:
        now = self._clock()
        host = urlsplit(self._account.token_uri).netloc
        try:
            answer = await self._http().post(
                self._account.token_uri,
                data={"grant_type": JWT_BEARER, "assertion": self._account.assertion(int(now))},
            )
        except httpx.TransportError as exc:
            raise PushRetryable(f"FCM sign-in at {host} failed: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            try:
                reason = answer.json().get("error", "")
            except ValueError:
                reason = ""
            why = f"FCM sign-in at {host} refused: {answer.status_code} {reason if isinstance(reason, str) else ''}"
            if answer.status_code == 429 or answer.status_code >= 500:
                raise PushRetryable(why.strip(), retry_after_s=retry_after_s(answer.headers.get("Retry-After")))
            raise PushFailed(why.strip())
        try:
            granted = answer.json()
            return str(granted["access_token"]), now + float(granted.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise PushFailed(f"FCM sign-in at {host} answered without an access token") from None


def _error(answer: httpx.Response) -> dict[str, Any]:
    """The `error` object of a Google API error answer (AIP-193), or {}."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _names_the_token(error: dict[str, Any]) -> bool:
    """Whether an INVALID_ARGUMENT is about the registration token (not about the message)."""
    for detail in error.get("details", []):
        if not isinstance(detail, dict):
            continue
        for violation in detail.get("fieldViolations", []) or []:
            if isinstance(violation, dict) and violation.get("field") == "message.token":
                return True
    return "registration token" in str(error.get("message", "")).lower()
