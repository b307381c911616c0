"""One-time sign-in links for responders: a trust admin invites, the phone redeems, no token is typed.

The code is 192-bit random and kept only as its SHA-256, like every credential. Redeeming is one
conditional UPDATE (unused and unexpired, set used), so two phones racing on one link cannot both
win, and the token is issued in the same transaction: a failure leaves the code unspent.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select, update

from alerting.services import alerters, auth
from alerting.services.errors import Gone, NotFound
from alerting.services.invite_links import invite_url, qr_svg_uri
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import Responder, ResponderInvite
from alerting.timefmt import iso, utc

CLIENT_PATH = "/responder"


async def create(uow: UnitOfWork, *, trust_id: str, responder_id: str, actor: str, base_url: str) -> dict[str, Any]:
    now = uow.services.clock()
    if await uow.session.get(Responder, (trust_id, responder_id)) is None:
        raise NotFound("no such responder")
    code = secrets.token_urlsafe(24)
    expires = now + uow.services.settings.invite_ttl_s
    uow.session.add(
        ResponderInvite(
            id=uuid.uuid4().hex,
            code_hash=auth.token_hash(code),
            trust_id=trust_id,
            responder_id=responder_id,
            created_at=utc(now),
            created_by=actor,
            expires_at=utc(expires),
        )
    )
    await audit.append(
        uow.session,
        at=utc(now),
        actor=actor,
        action="responder.invite",
        trust_id=trust_id,
        target=await subjects.target(uow.session, trust_id, responder_id),
        after={"expires_at": iso(expires)},
    )
    url = invite_url(base_url, CLIENT_PATH, code)
    return {"invite_url": url, "code": code, "expires_at": iso(expires), "qr_svg": qr_svg_uri(url)}


async def redeem(uow: UnitOfWork, *, code: str, name: str | None = None, client: str = "unknown") -> dict[str, Any]:
    """A responder invite gives `{token, responder_id, trust_id}`; an alerter invite (one of
    `services.alerters`, `name` and `client` used by the open link) gives `{token, alerter_id, trust_id}`."""
    now = uow.services.clock()
    digest = auth.token_hash(code)
    spent = (
        await uow.session.execute(
            update(ResponderInvite)
            .where(
                ResponderInvite.code_hash == digest,
                ResponderInvite.used_at.is_(None),
                ResponderInvite.expires_at > utc(now),
            )
            .values(used_at=utc(now))
            .returning(ResponderInvite.trust_id, ResponderInvite.responder_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if spent is None:
        found = (
            await uow.session.execute(select(ResponderInvite).where(ResponderInvite.code_hash == digest))
        ).scalar_one_or_none()
        if found is None and (joined := await alerters.redeem(uow, digest=digest, name=name, client=client)):
            return joined
        if found is None:
            raise NotFound(
                "this invite code is not known; ask your trust for a new link", extra={"code": "invite_unknown"}
            )
        if found.used_at is not None:
            raise Gone("this invite link was used already; ask your trust for a new one", extra={"code": "invite_used"})
        raise Gone("this invite link has expired; ask your trust for a new one", extra={"code": "invite_expired"})
    trust_id, responder_id = spent
    token = await auth.issue(uow.session, kind=auth.RESPONDER, trust_id=trust_id, responder_id=responder_id, now=now)
    await audit.append(
        uow.session,
        at=utc(now),
        actor=f"responder:{responder_id}:invite"[:80],
        action="responder.invite_redeemed",
        trust_id=trust_id,
        target=await subjects.target(uow.session, trust_id, responder_id),
    )
    return {"token": token, "responder_id": responder_id, "trust_id": trust_id}
