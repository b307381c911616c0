"""Push providers behind one small interface (`base.PushProvider`); Web Push first."""

from __future__ import annotations

from alerting.push.base import PushProvider
from alerting.settings import Settings


def provider_from(settings: Settings) -> PushProvider:
    from alerting.push.vapid import load_or_create
    from alerting.push.webpush import WebPushProvider

    return WebPushProvider(load_or_create(settings), subject=settings.vapid_subject, timeout_s=settings.push_timeout_s)
