"""Web Push (RFC 8030) with aes128gcm payload encryption (RFC 8291) and VAPID (RFC 8292), via pywebpush."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from alerting.domain.vocabulary import PushKind
from alerting.push.base import PushFailed, PushMessage, PushRetryable, SubscriptionGone
from alerting.push.retry import retry_after_s


class WebPushProvider:
    """Targets are a browser's `PushSubscription`: `{endpoint, keys: {p256dh, auth}}`."""

    kind = PushKind.WEBPUSH

    def __init__(self, vapid: Vapid02, *, subject: str, timeout_s: float):
        self._vapid = vapid
        self._subject = subject
        self._timeout_s = timeout_s

    def refusal(self, target: Mapping[str, Any]) -> tuple[str, str] | None:
        return None

    async def aclose(self) -> None:
        """pywebpush opens a connection per push: nothing is kept open."""

    async def send(self, target: Mapping[str, Any], message: PushMessage) -> None:
        subscription = {"endpoint": target["endpoint"], "keys": dict(target["keys"])}
        data = json.dumps(message.payload, separators=(",", ":"))
        try:
            await webpush_async(
                subscription_info=subscription,
                data=data,
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},
                content_encoding="aes128gcm",
                ttl=message.ttl_s,
                timeout=self._timeout_s,
                headers={"Urgency": message.urgency},
            )
        except WebPushException as exc:
            status = exc.response.status if exc.response is not None and hasattr(exc.response, "status") else None
            if status in (404, 410):
                raise SubscriptionGone(f"push service answered {status}") from exc
            # The endpoint URL is a capability; only its host goes into the error.
            why = f"push to {urlsplit(subscription['endpoint']).netloc} failed: {status or exc}"
            if status is not None and (status == 429 or status >= 500):
                raise PushRetryable(why, retry_after_s=retry_after_s(exc.response.headers.get("Retry-After"))) from exc
            raise PushFailed(why) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise PushFailed(
                f"push to {urlsplit(subscription['endpoint']).netloc} failed: {type(exc).__name__}"
            ) from exc
