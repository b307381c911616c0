"""Webhook signatures: `X-Alerting-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

Pure functions, so the platform and a CAD (or the simulator) verify with the same code. The
timestamp is inside the signed text, so a captured request cannot be replayed later with a new
`t`; a verifier refuses timestamps outside its tolerance. While an old CAD key is still in its
grace period after a rotation, the header carries one `v1` per valid key (newest first), and a
verifier accepts the request if any of them matches the key it holds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["HEADER", "DELIVERY_HEADER", "EVENT_HEADER", "SignatureError", "sign", "signature", "verify"]

HEADER = "X-Alerting-Signature"
DELIVERY_HEADER = "X-Alerting-Delivery"
EVENT_HEADER = "X-Alerting-Event"
DEFAULT_TOLERANCE_S = 300


class SignatureError(ValueError):
    """The header is missing, malformed, too old, or no signature in it matches the key."""


def signature(key: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<t>.<body>"` keyed with the CAD key."""
    return hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(keys: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp`, one `v1` per key."""
    if not keys:
        raise ValueError("at least one key is needed to sign")
    return ",".join([f"t={int(timestamp)}", *(f"v1={signature(k, int(timestamp), body)}" for k in keys)])


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed signature element {part.strip()!r}")
        if name == "t":
            if not value.isdigit():
                raise SignatureError("the timestamp t is not a whole number of seconds")
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("the signature header has no timestamp t")
    if not candidates:
        raise SignatureError("the signature header has no v1 signature")
    return timestamp, candidates


def verify(header: str | None, body: bytes, key: str, *, now: float, tolerance_s: float = DEFAULT_TOLERANCE_S) -> int:
    """Check `header` against `body` and `key`; return the signed timestamp or raise SignatureError."""
    if not header:
        raise SignatureError(f"the {HEADER} header is missing")
    timestamp, candidates = _parse(header)
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(f"the timestamp is {now - timestamp:.0f} s away from now (tolerance {tolerance_s:.0f} s)")
    expected = signature(key, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no v1 signature matches the key")
    return timestamp
