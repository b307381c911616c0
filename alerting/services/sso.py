"""Single sign-on per trust through its OpenID Connect identity provider.

`begin` keeps the attempt (PKCE verifier, nonce, trust, where to go after) in Redis under its
`state`, for `sso_state_ttl_s`, bound to the browser by a random cookie. `complete` takes the
attempt out (so a `state` works once), exchanges the code, checks the ID token, and signs in the
active staff member of that trust with the verified email; with `create_viewers` on, a person
unknown to the trust becomes a viewer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.roles import Role
from alerting.domain.vocabulary import ErrorCode
from alerting.services import oidc, staff_sessions
from alerting.services.context import Services
from alerting.services.errors import Forbidden, Invalid, NotFound, ServiceError, Unauthorized, Unavailable
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import StaffMember, TrustSso
from alerting.timefmt import iso, utc

__all__ = ["BROWSER_COOKIE", "begin", "complete", "configure", "get_settings", "public_info", "take_attempt"]

log = logging.getLogger(__name__)
BROWSER_COOKIE = "alerting_sso"


class BadAttempt(ServiceError):
    status, title = 400, "Bad request"
    code = ErrorCode.BAD_ATTEMPT


@dataclass(frozen=True, slots=True)
class Started:
    url: str
    browser: str  # the value of the binding cookie


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def settings_view(row: TrustSso) -> dict[str, Any]:
    return {
        "name": row.name,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "client_secret_set": True,
        "allowed_domains": list(row.allowed_domains),
        "create_viewers": row.create_viewers,
        "updated_at": iso(row.updated_at),
    }


def _check_issuer(issuer: str, services: Services) -> None:
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" or (parts.scheme == "http" and services.settings.environment == "development")
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise Invalid(
            "issuer must be the provider's https URL (http only in development), without query or fragment",
            extra={"errors": [{"loc": "issuer", "msg": "not an https URL"}]},
        )


async def configure(uow: UnitOfWork, *, trust_id: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    """Checks the provider answers with a matching discovery document before saving anything."""
    session, services = uow.session, uow.services
    await get_trust(session, trust_id)
    issuer = body["issuer"].rstrip("/")
    _check_issuer(issuer, services)
    try:
        await services.oidc.metadata(issuer)
    except oidc.ProviderError as exc:
        raise Invalid(
            f"the identity provider at {issuer} did not answer with a usable discovery document: {exc}",
            extra={"errors": [{"loc": "issuer", "msg": "no usable /.well-known/openid-configuration"}]},
        ) from exc
    domains = sorted({d.strip().lower().lstrip("@") for d in body.get("allowed_domains") or [] if d.strip()})
    row = await session.get(TrustSso, trust_id)
    secret = body.get("client_secret")
    if not secret and row is None:
        raise Invalid(
            "client_secret is needed the first time single sign-on is set up",
            extra={"errors": [{"loc": "client_secret", "msg": "required"}]},
        )
    before = settings_view(row) if row else None
    if row is None:
        row = TrustSso(trust_id=trust_id)
        session.add(row)
    row.name = (body.get("name") or "").strip() or _host(issuer)
    row.issuer, row.client_id = issuer, body["client_id"]
    if secret:
        row.client_secret_enc = services.secret_box.encrypt(secret)
    row.allowed_domains, row.create_viewers = domains, bool(body.get("create_viewers", False))
    row.updated_at = utc(services.clock())
    await session.flush()
    after = settings_view(row)
    await audit.append(
        session,
        at=row.updated_at,
        actor=actor,
        action="sso.update",
        trust_id=trust_id,
        target="single sign-on",
        before={k: v for k, v in (before or {}).items() if k != "updated_at"} or None,
        after={k: v for k, v in after.items() if k != "updated_at"}
        | ({"client_secret_replaced": True} if secret else {}),
    )
    return after


async def get_settings(session: AsyncSession, *, trust_id: str) -> dict[str, Any]:
    await get_trust(session, trust_id)
    return settings_view(await _config(session, trust_id))


async def _config(session: AsyncSession, trust_id: str) -> TrustSso:
    row = await session.get(TrustSso, trust_id)
    if row is None:
        raise NotFound("this trust has no single sign-on")
    return row


async def public_info(session: AsyncSession, *, trust_id: str) -> dict[str, Any]:
    """What the sign-in page shows before anyone is signed in: the button's words."""
    trust = await get_trust(session, trust_id)
    row = await _config(session, trust_id)
    return {"trust_id": trust_id, "trust_name": trust.name, "name": row.name}


def _attempt_key(services: Services, state: str) -> str:
    return services.keys.sso_attempt(hashlib.sha256(state.encode()).hexdigest())


def safe_next(next_path: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/admin"
    return next_path


async def begin(
    services: Services, session: AsyncSession, *, trust_id: str, redirect_uri: str, next_path: str | None
) -> Started:
    row = await _config(session, trust_id)
    try:
        attempt = await services.oidc.begin(row.issuer, client_id=row.client_id, redirect_uri=redirect_uri)
    except oidc.ProviderError as exc:
        log.warning("identity provider unreachable", extra={"trust": trust_id, "error": str(exc)})
        raise Unavailable("the trust's identity provider is not answering; try again shortly") from exc
    browser = secrets.token_urlsafe(24)
    record = {
        "trust_id": trust_id,
        "nonce": attempt.nonce,
        "code_verifier": attempt.code_verifier,
        "next": safe_next(next_path),
        "browser": hashlib.sha256(browser.encode()).hexdigest(),
        "redirect_uri": redirect_uri,
    }
    await services.redis.set(
        _attempt_key(services, attempt.state), json.dumps(record), ex=services.settings.sso_state_ttl_s
    )
    return Started(attempt.url, browser)


async def take_attempt(services: Services, *, state: str, browser: str | None) -> dict[str, Any]:
    """The attempt this `state` began, once; only in the browser that began it."""
    raw = await services.redis.getdel(_attempt_key(services, state)) if state else None
    if raw is None:
        raise BadAttempt("this sign-in attempt is unknown, already used or expired; start again")
    record: dict[str, Any] = json.loads(raw)
    sent = hashlib.sha256((browser or "").encode()).hexdigest()
    if not secrets.compare_digest(sent, record["browser"]):
        raise BadAttempt("this sign-in attempt was started in another browser; start again")
    return record


async def complete(uow: UnitOfWork, *, record: dict[str, Any], code: str) -> tuple[staff_sessions.SignedIn, str]:
    session, services = uow.session, uow.services
    trust_id = record["trust_id"]
    row = await _config(session, trust_id)
    try:
        claims = await services.oidc.exchange(
            row.issuer,
            client_id=row.client_id,
            client_secret=services.secret_box.decrypt(row.client_secret_enc),
            code=code,
            redirect_uri=record["redirect_uri"],
            code_verifier=record["code_verifier"],
            nonce=record["nonce"],
        )
    except oidc.TokenRefused as exc:
        log.warning("single sign-on refused", extra={"trust": trust_id, "reason": str(exc)})
        raise Unauthorized(f"single sign-on failed: {exc}") from exc
    except oidc.ProviderError as exc:
        log.warning("identity provider unreachable", extra={"trust": trust_id, "error": str(exc)})
        raise Unavailable("the trust's identity provider is not answering; try again shortly") from exc
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise Forbidden("the identity provider did not confirm this person's email address")
    domain = email.rsplit("@", 1)[-1]
    if row.allowed_domains and domain not in row.allowed_domains:
        raise Forbidden(f"email addresses at {domain} may not sign in to this trust")
    member = (
        await session.execute(select(StaffMember).where(StaffMember.trust_id == trust_id, StaffMember.email == email))
    ).scalar_one_or_none()
    if member is None and row.create_viewers:
        member = await _new_viewer(uow, trust_id=trust_id, email=email, name=str(claims.get("name") or email))
    if member is None or not member.active:
        raise Forbidden("there is no active staff account for this person in this trust; ask its administrator")
    return await staff_sessions.start(uow, member, method="sso"), record["next"]


async def _new_viewer(uow: UnitOfWork, *, trust_id: str, email: str, name: str) -> StaffMember:
    now = utc(uow.services.clock())
    member = StaffMember(
        id=uuid.uuid4().hex,
        trust_id=trust_id,
        email=email,
        name=name[:200],
        roles=[Role.VIEWER.value],
        active=True,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(member)
    await uow.session.flush()
    await audit.append(
        uow.session,
        at=now,
        actor="system:single-sign-on",
        action="staff.create",
        trust_id=trust_id,
        target=f"staff {member.id}",
        after={"name": member.name, "email": email, "roles": member.roles, "via": "single sign-on"},
    )
    return member
