"""Bearer credentials: minted once, stored as SHA-256, resolved to who is calling.

Every edge asks here who a token belongs to (`authenticate`): the HTTP API, the responder socket
and the CAD routes alike. The operator's credential is made here too (`ensure_operator`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.services.errors import Unauthorized
from alerting.services.unit_of_work import reading, unit_of_work
from alerting.store.models import Credential, Responder
from alerting.store.types import to_ts
from alerting.timefmt import utc

if TYPE_CHECKING:
    from alerting.services.context import Services

OPERATOR, ADMIN, CAD, RESPONDER = "operator", "admin", "cad", "responder"
ALERTER = "alerter"  # a bystander who may raise the alarm (services/alerters.py)
STAFF = "staff"  # a named person signed in to the console with a session cookie (services/staff_sessions.py)
ACTIVE = "active"  # the one responder status whose token is honoured
_PREFIX = {OPERATOR: "op", ADMIN: "adm", CAD: "cad", RESPONDER: "rsp", ALERTER: "alt"}


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str
    trust_id: str | None = None
    responder_id: str | None = None
    credential_id: str | None = None
    # staff sessions only: the person, their roles now, and the session's CSRF token
    staff_id: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()
    csrf_token: str | None = None
    alerter_id: str | None = None  # alerter tokens only

    @property
    def actor(self) -> str:
        """How the audit log names the caller, never with the secret."""
        if self.kind == STAFF:
            return f"{STAFF}:{self.trust_id}:{self.staff_id}"
        if self.kind == ALERTER:
            return f"{ALERTER}:{self.alerter_id}:{self.credential_id}"[:80]
        who = self.responder_id or self.trust_id or ""
        return f"{self.kind}:{who}:{self.credential_id or 'env'}"[:80]

    # Every kind but the operator belongs to a trust, and a responder token names its responder; the
    # edge has checked the kind before it asks, so a missing one is a wiring bug, not a caller's error.
    @property
    def trust(self) -> str:
        if self.trust_id is None:
            raise LookupError(f"a {self.kind} credential belongs to no trust")
        return self.trust_id

    @property
    def responder(self) -> str:
        if self.responder_id is None:
            raise LookupError(f"a {self.kind} credential names no responder")
        return self.responder_id

    @property
    def alerter(self) -> str:
        if self.alerter_id is None:
            raise LookupError(f"a {self.kind} credential names no alerter")
        return self.alerter_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint(kind: str) -> str:
    return f"{_PREFIX[kind]}_{secrets.token_urlsafe(32)}"


async def issue(
    session: AsyncSession,
    *,
    kind: str,
    now: float,
    trust_id: str | None = None,
    responder_id: str | None = None,
    credential_id: str | None = None,
    alerter_id: str | None = None,
) -> str:
    token = mint(kind)
    session.add(
        Credential(
            id=credential_id or uuid.uuid4().hex,
            token_hash=token_hash(token),
            kind=kind,
            trust_id=trust_id,
            responder_id=responder_id,
            alerter_id=alerter_id,
            created_at=utc(now),
        )
    )
    await session.flush()
    return token


async def resolve(session: AsyncSession, token: str, *, now: float, operator_hash: str | None) -> Principal | None:
    return (await _resolve(session, token_hash(token), now=now, operator_hash=operator_hash))[0]


async def _resolve(
    session: AsyncSession, digest: str, *, now: float, operator_hash: str | None
) -> tuple[Principal | None, float | None]:
    """Who, and when the credential expires (None: it does not)."""
    if operator_hash is not None and secrets.compare_digest(digest, operator_hash):
        return Principal(OPERATOR), None
    found = (
        await session.execute(
            select(Credential, Responder.status)
            .outerjoin(
                Responder, and_(Responder.trust_id == Credential.trust_id, Responder.id == Credential.responder_id)
            )
            .where(
                Credential.token_hash == digest, or_(Credential.expires_at.is_(None), Credential.expires_at > utc(now))
            )
        )
    ).one_or_none()
    if found is None:
        return None, None
    row, responder_status = found
    if row.kind == RESPONDER and responder_status != ACTIVE:
        return None, None  # suspended (or erased): refused at once, like a revoked token
    # An alerter's token still names a suspended alerter: a raise is refused with the reason (403).
    principal = Principal(row.kind, row.trust_id, row.responder_id, row.id, alerter_id=row.alerter_id)
    return principal, to_ts(row.expires_at)


async def authenticate(services: Services, token: str | None) -> Principal:
    """Who `token` belongs to; a missing or unknown token is refused (401). The answer is kept for a
    few seconds and forgotten on any change to credentials (services/credential_cache.py)."""
    if not token:
        raise Unauthorized("a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    digest = token_hash(token)
    cache, now = services.credentials, services.clock()
    principal = cache.get(digest, now=now)
    if principal is not None:
        return principal
    async with reading(services) as session:
        principal, expires_at = await _resolve(session, digest, now=now, operator_hash=services.operator_hash)
    if principal is None:
        raise Unauthorized("the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"})
    cache.put(digest, principal, expires_at=expires_at)
    return principal


async def ensure_operator(services: Services) -> str | None:
    """The operator token comes from settings, or is minted on the first start of a deployment.

    Returns the token just minted, which the caller shows once; None when the operator's credential
    exists already (set in settings, minted before, or minted by another process starting at once).
    """
    if services.operator_hash is not None:
        return None
    async with reading(services) as session:
        exists = (await session.execute(select(Credential.id).where(Credential.kind == OPERATOR).limit(1))).first()
    if exists:
        return None
    try:
        async with unit_of_work(services) as uow:
            return await issue(uow.session, kind=OPERATOR, now=services.clock(), credential_id="operator")
    except IntegrityError:
        return None  # another process minted it first and showed it
