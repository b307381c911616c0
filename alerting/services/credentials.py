"""Responders' credentials: uploaded files checked by content, verified by a person, expiring.

What the trust requires is `RegistrationSettings.required_credentials`; who lacks it is decided by
`alerting.domain.credentials` and read by the candidate query, so an expired certificate takes a
responder out of every phase (skip reason `credential_expired`) until a renewal is verified.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import credentials as rules
from alerting.services.errors import Invalid, NotFound, TooLarge, UnsupportedMedia
from alerting.services.unit_of_work import UnitOfWork
from alerting.services.uploads import ACCEPTED, sniff
from alerting.store import audit, subjects
from alerting.store.models import RegistrationSettings, Responder, ResponderCredential
from alerting.timefmt import iso, utc

PENDING, VERIFIED = "pending", "verified"


def today(now: float) -> date:
    """Expiry dates are calendar days; the day is taken in UTC."""
    return datetime.fromtimestamp(now, UTC).date()


def view(c: ResponderCredential, *, now: float) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "expires_on": c.expires_on.isoformat(),
        "expired": c.expires_on < today(now),
        "status": c.status,
        "media_type": c.media_type,
        "size": c.size,
        "uploaded_at": iso(c.uploaded_at),
        "verified_at": iso(c.verified_at),
        "reminded_at": iso(c.reminded_at),
    }


def check_file(data: bytes, *, max_bytes: int) -> str:
    """The file's real media type, or the refusal: too large (413), or not a PDF, JPEG or PNG (415)."""
    if len(data) > max_bytes:
        raise TooLarge(f"the file is {len(data)} bytes; at most {max_bytes} bytes ({max_bytes // 1_048_576} MiB)")
    media = sniff(data)
    if media is None:
        kinds = ", ".join(ACCEPTED.values())
        raise UnsupportedMedia(
            f"the file's content is not a {kinds} document; its name and declared type do not count",
            extra={"errors": [{"loc": "file", "msg": f"must be a {kinds} file"}], "accepted": sorted(ACCEPTED)},
        )
    return media


def new(
    *,
    trust_id: str,
    kind: str,
    expires_on: date,
    data: bytes,
    media_type: str,
    now: float,
    responder_id: str | None = None,
    registration_id: str | None = None,
) -> ResponderCredential:
    if expires_on < today(now):
        raise Invalid(
            "this credential has already expired; upload one that is still valid",
            extra={"errors": [{"loc": "expires_on", "msg": "must be today or later"}]},
        )
    return ResponderCredential(
        id=uuid.uuid4().hex,
        trust_id=trust_id,
        responder_id=responder_id,
        registration_id=registration_id,
        kind=kind,
        expires_on=expires_on,
        status=PENDING,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_at=utc(now),
    )


async def required_kinds(session: AsyncSession, trust_id: str) -> list[str]:
    row = await session.get(RegistrationSettings, trust_id)
    return list(row.required_credentials) if row else []


async def lacking(
    session: AsyncSession, *, trust_id: str, responder_ids: Collection[str], required: Collection[str], now: float
) -> dict[str, list[str]]:
    """Responder id -> the required kinds they lack, for those who lack any."""
    if not required or not responder_ids:
        return {}
    held: dict[str, list[tuple[str, date]]] = {rid: [] for rid in responder_ids}
    for rid, kind, expires_on in (
        await session.execute(
            select(ResponderCredential.responder_id, ResponderCredential.kind, ResponderCredential.expires_on).where(
                ResponderCredential.trust_id == trust_id,
                ResponderCredential.responder_id.in_(list(responder_ids)),
                ResponderCredential.kind.in_(list(required)),
                ResponderCredential.status == VERIFIED,
            )
        )
    ).all():
        if rid is not None:  # always: the query asks for listed responders
            held[rid].append((kind, expires_on))
    day = today(now)
    out = {rid: rules.lacking(required, creds, day) for rid, creds in held.items()}
    return {rid: kinds for rid, kinds in out.items() if kinds}


async def for_responder(session: AsyncSession, *, trust_id: str, responder_id: str) -> list[ResponderCredential]:
    return list(
        (
            await session.execute(
                select(ResponderCredential)
                .where(ResponderCredential.trust_id == trust_id, ResponderCredential.responder_id == responder_id)
                .order_by(ResponderCredential.uploaded_at.desc(), ResponderCredential.id)
            )
        ).scalars()
    )


async def list_for_responder(session: AsyncSession, *, trust_id: str, responder_id: str, now: float) -> dict[str, Any]:
    if await session.get(Responder, (trust_id, responder_id)) is None:
        raise NotFound("no such responder")
    rows = await for_responder(session, trust_id=trust_id, responder_id=responder_id)
    required = await required_kinds(session, trust_id)
    missing = await lacking(session, trust_id=trust_id, responder_ids=[responder_id], required=required, now=now)
    return {
        "credentials": [view(c, now=now) for c in rows],
        "required": required,
        "missing": missing.get(responder_id, []),
    }


async def renew(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, kind: str, expires_on: date, data: bytes, actor: str
) -> dict[str, Any]:
    """A responder uploads a new certificate; it counts once a verifier has checked it."""
    now = uow.services.clock()
    media = check_file(data, max_bytes=uow.services.settings.credential_max_bytes)
    row = new(
        trust_id=trust_id,
        kind=kind,
        expires_on=expires_on,
        data=data,
        media_type=media,
        now=now,
        responder_id=responder_id,
    )
    uow.session.add(row)
    await audit.append(
        uow.session,
        at=utc(now),
        actor=actor,
        action="credential.upload",
        trust_id=trust_id,
        target=await subjects.target(uow.session, trust_id, responder_id),
        after={"kind": kind, "expires_on": expires_on.isoformat(), "media_type": media, "size": len(data)},
    )
    return view(row, now=now)


async def verify(
    uow: UnitOfWork,
    *,
    trust_id: str,
    responder_id: str,
    credential_id: str,
    actor: str,
    expires_on: date | None = None,
) -> dict[str, Any]:
    """A verifier has looked at the file. They may correct the expiry date to what the certificate
    says, even to a past date: the credential then counts as expired, as it is."""
    now = uow.services.clock()
    row = await uow.session.get(ResponderCredential, credential_id)
    if row is None or row.trust_id != trust_id or row.responder_id != responder_id:
        raise NotFound("no such credential")
    before = {"status": row.status, "expires_on": row.expires_on.isoformat()}
    row.status, row.verified_at, row.verified_by = VERIFIED, utc(now), actor
    if expires_on is not None and expires_on != row.expires_on:
        row.expires_on, row.reminded_at = expires_on, None
    await audit.append(
        uow.session,
        at=utc(now),
        actor=actor,
        action="credential.verify",
        trust_id=trust_id,
        target=await subjects.target(uow.session, trust_id, responder_id),
        before=before,
        after={"kind": row.kind, "status": row.status, "expires_on": row.expires_on.isoformat()},
    )
    return view(row, now=now)


async def file(
    session: AsyncSession,
    *,
    trust_id: str,
    credential_id: str,
    responder_id: str | None = None,
    registration_id: str | None = None,
) -> tuple[bytes, str]:
    """The stored bytes, for a verifier to look at; only through the owner it belongs to."""
    row = (
        await session.execute(
            select(ResponderCredential.content, ResponderCredential.media_type).where(
                ResponderCredential.id == credential_id,
                ResponderCredential.trust_id == trust_id,
                (ResponderCredential.responder_id == responder_id)
                if responder_id is not None
                else (ResponderCredential.registration_id == registration_id),
            )
        )
    ).first()
    if row is None:
        raise NotFound("no such credential")
    return bytes(row[0]), row[1]
