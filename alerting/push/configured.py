"""The push providers a deployment's settings configure: Web Push always, FCM and APNs once their
credentials are set.

Credentials that are set but do not read (a file missing, not a key, a key id left out) stop a
production start with the reason; in development the kind is left out and the reason logged, so
devices of that kind are refused at registration (`push_kind_unsupported`) as if it were unset.
Neither the reason nor a log line quotes a secret.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from py_vapid import Vapid02

from alerting.push.apns import APNS_PRODUCTION, APNS_SANDBOX, ApnsKey, ApnsProvider
from alerting.push.base import PushProvider, PushProviders
from alerting.push.fcm import FcmProvider, ServiceAccount
from alerting.push.webpush import WebPushProvider
from alerting.settings import Settings

__all__ = ["PushConfigError", "native_providers", "push_providers"]

log = logging.getLogger(__name__)


class PushConfigError(ValueError):
    """A native push kind is configured with credentials that cannot sign in."""


def push_providers(settings: Settings, vapid: Vapid02) -> PushProviders:
    webpush = WebPushProvider(vapid, subject=settings.vapid_subject, timeout_s=settings.push_timeout_s)
    return PushProviders([webpush, *native_providers(settings)])


def native_providers(settings: Settings) -> list[PushProvider]:
    """FCM and APNs as configured (nothing is connected until the first push); a worker calls it
    at start too, so that broken credentials stop it there rather than at its first push."""
    providers: list[PushProvider] = []
    for kind, make in (("fcm", _fcm), ("apns", _apns)):
        try:
            provider = make(settings)
        except ValueError as exc:
            if settings.environment == "production":
                raise PushConfigError(f"{kind} pushes are configured but {exc}") from None
            log.error("push kind left out: its credentials do not read", extra={"kind": kind, "error": str(exc)})
            continue
        if provider is not None:
            providers.append(provider)
    return providers


def _fcm(settings: Settings) -> FcmProvider | None:
    if settings.fcm_service_account is None:
        return None
    account = ServiceAccount.read(settings.fcm_service_account.get_secret_value())
    project = settings.fcm_project_id or account.project_id
    if not project:
        raise ValueError("no project id: set ALERTING_FCM_PROJECT_ID (the service account names none)")
    _https_in_production(settings, settings.fcm_url, "ALERTING_FCM_URL")
    _https_in_production(settings, account.token_uri, "the service account's token_uri")
    return FcmProvider(account, project_id=project, url=settings.fcm_url, timeout_s=settings.push_timeout_s)


def _apns(settings: Settings) -> ApnsProvider | None:
    if settings.apns_key is None:
        return None
    key = ApnsKey.read(
        settings.apns_key.get_secret_value(), key_id=settings.apns_key_id or "", team_id=settings.apns_team_id or ""
    )
    url = settings.apns_url or (APNS_SANDBOX if settings.apns_sandbox else APNS_PRODUCTION)
    _https_in_production(settings, url, "ALERTING_APNS_URL")
    return ApnsProvider(key, url=url, topics=settings.apns_topics, timeout_s=settings.push_timeout_s)


def _https_in_production(settings: Settings, url: str, name: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in ("https", "http") or (scheme == "http" and settings.environment == "production"):
        raise ValueError(f"{name} must be an https URL")
