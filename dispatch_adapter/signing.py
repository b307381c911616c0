"""Webhook signatures for a CAD (or the simulator) verifying what the platform sends.

The functions live in `alerting.domain.webhook_signature`, the pure leaf the platform signs with;
they are offered here, beside the rest of the CAD edge, under the name `docs/webhooks.md` gives.
"""

from __future__ import annotations

from alerting.domain.webhook_signature import (
    DEFAULT_TOLERANCE_S,
    DELIVERY_HEADER,
    EVENT_HEADER,
    HEADER,
    SignatureError,
    sign,
    signature,
    verify,
)

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "HEADER",
    "SignatureError",
    "sign",
    "signature",
    "verify",
]
