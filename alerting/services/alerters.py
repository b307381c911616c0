"""Alerters: the bystanders a trust lets raise the alarm, their invites, tokens and suspension.

An alerter is added by the trust and invited like a responder (a single-use link, `/alert#invite=`),
or, where the policy's `alerter.who` is `anyone`, joins from the trust's open invite: one reusable
link whose every redeem makes a new alerter (rate-limited per address; rotating it replaces it).
Codes are 192-bit random and kept as their SHA-256; a single-use code is spent by one conditional
UPDATE, so two phones racing on one link cannot both win. Raising an alert is
`services/alert_raising.py`.

The audit names an alerter by a pseudonym (`store/subjects.py`), never by id or name, so erasing
one removes the person and leaves the hash-chained record whole but anonymous.
"""

from __future__ import annotations

import json
import math
import secrets
import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import audit_text
from alerting.domain.alerters import DAY_S
from alerting.domain.vocabulary import IncidentStatus
from alerting.services import auth, callback_guard, policies
from alerting.services.errors import Conflict, Forbidden, Gone, Invalid, NotFound, TooMany
from alerting.services.invite_links import invite_url, qr_svg_uri
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit, subjects
from alerting.store.models import (
    Alerter,
    AlerterInvite,
    Credential,
    Incident,
    StaffMember,
    TimelineEntry,
    WebhookDelivery,
)
from alerting.timefmt import iso, utc

__all__ = [
    "OPEN_STATUSES",
    "alerter_name",
    "create",
    "erase",
    "refuse_if_suspended",
    "suspended_refusal",
    "invite",
    "list_alerters",
    "open_invite",
    "redeem",
    "set_callback_url",
    "settings_view",
    "set_suspended",
]

CLIENT_PATH = "/alert"
REGISTERED, OPEN = "registered", "open"
# An alerter's alert is open while it waits, alerts or is filled: one at a time. Exhausted,
# not alerted, cancelled or closed, it no longer holds the alerter back.
OPEN_STATUSES = (IncidentStatus.AWAITING_CONFIRMATION, IncidentStatus.ALERTING, IncidentStatus.FILLED)


async def target(session: AsyncSession, trust_id: str, alerter_id: str) -> str:
    """The audit names an alerter by pseudonym, never by id or name: erasure deletes the link."""
    return await subjects.alerter_target(session, trust_id, alerter_id)


async def _alerter(uow: UnitOfWork, trust_id: str, alerter_id: str) -> Alerter:
    row = await uow.session.get(Alerter, (trust_id, alerter_id))
    if row is None:
        raise NotFound("no such alerter")
    return row


async def alerter_name(session: AsyncSession, *, trust_id: str, alerter_id: str) -> str | None:
    row = await session.get(Alerter, (trust_id, alerter_id))
    return row.name if row else None


def suspended_refusal(number: str) -> Forbidden:
    """What a suspended alerter is told wherever their token is refused: 403, and the number to call."""
    return Forbidden(
        f"you cannot raise alerts for this trust now: call {number} instead",
        extra={"emergency_number": number, "code": "alerter_suspended"},
    )


async def is_suspended(session: AsyncSession, *, trust_id: str, alerter_id: str) -> bool:
    row = await session.get(Alerter, (trust_id, alerter_id))
    return row is None or row.suspended_at is not None


async def refuse_if_suspended(session: AsyncSession, *, trust_id: str, alerter_id: str) -> None:
    """A suspended alerter's token still names them (a raise says why it is refused, and works
    again once they are reinstated), but nothing of theirs answers it meanwhile: 403."""
    if await is_suspended(session, trust_id=trust_id, alerter_id=alerter_id):
        number = (await policies.current_policy(session, trust_id))[1].alerter.emergency_number
        raise suspended_refusal(number)


async def create(uow: UnitOfWork, *, trust_id: str, alerter_id: str, name: str, actor: str) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    if await session.get(Alerter, (trust_id, alerter_id)) is not None:
        raise Conflict(f"alerter {alerter_id!r} exists already", extra={"errors": [{"loc": "id", "msg": "taken"}]})
    row = Alerter(trust_id=trust_id, id=alerter_id, name=name, origin=REGISTERED, created_at=utc(now))
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same id added by a request racing this one
        raise Conflict(f"alerter {alerter_id!r} exists already") from exc
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="alerter.create",
        trust_id=trust_id,
        target=await target(session, trust_id, alerter_id),
    )
    return view(row, open_alert=None, raised_today=0)


def _who(actor: str | None, people: dict[str, str]) -> str | None:
    """Who suspended the alerter, in words: the person's name for staff, else what kind of key."""
    if actor is None:
        return None
    kind, _, rest = actor.partition(":")
    return people.get(rest.partition(":")[2]) if kind == "staff" and rest else audit_text.actor_of(actor)["name"]


def view(
    row: Alerter, *, open_alert: str | None, raised_today: int, people: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "origin": row.origin,
        "suspended": row.suspended_at is not None,
        "suspended_at": iso(row.suspended_at),
        "suspended_by": _who(row.suspended_by, people or {}),
        "open_alert": open_alert,
        "raised_today": raised_today,
        "created_at": iso(row.created_at),
    }


async def list_alerters(session: AsyncSession, *, trust_id: str, now: float) -> list[dict[str, Any]]:
    """Every alerter of the trust with their open alert (an incident id) and their raises in the
    last 24 hours, the window `max_per_day` counts in."""
    await get_trust(session, trust_id)
    rows = list(
        (await session.execute(select(Alerter).where(Alerter.trust_id == trust_id).order_by(Alerter.id))).scalars()
    )
    actors = [r.suspended_by for r in rows if r.suspended_by]
    staff_ids = [a.rsplit(":", 1)[1] for a in actors if a.startswith("staff:")]
    people: dict[str, str] = {}
    if staff_ids:
        found = await session.execute(select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(staff_ids)))
        people = dict(found.all())
    open_alerts = dict(
        (
            await session.execute(
                select(Incident.alerter_id, func.max(Incident.id))
                .where(
                    Incident.trust_id == trust_id,
                    Incident.alerter_id.is_not(None),
                    Incident.status.in_(OPEN_STATUSES),
                )
                .group_by(Incident.alerter_id)
            )
        ).all()
    )
    today = dict(
        (
            await session.execute(
                select(Incident.alerter_id, func.count())
                .where(
                    Incident.trust_id == trust_id,
                    Incident.alerter_id.is_not(None),
                    Incident.created_at > utc(now - DAY_S),
                )
                .group_by(Incident.alerter_id)
            )
        ).all()
    )
    return [
        view(r, open_alert=open_alerts.get(r.id), raised_today=int(today.get(r.id, 0)), people=people) for r in rows
    ]


async def set_suspended(
    uow: UnitOfWork, *, trust_id: str, alerter_id: str, suspended: bool, actor: str
) -> dict[str, Any]:
    """A suspended alerter's raises, their alert's view and messages are refused (403) until
    reinstated, and after the commit every socket they hold, on any API process, is closed (4410);
    an alert they raised before stays as it is: someone may still need the help it called."""
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    row = await _alerter(uow, trust_id, alerter_id)
    was = row.suspended_at is not None
    if was != suspended:
        row.suspended_at, row.suspended_by = (utc(now), actor) if suspended else (None, None)
        await audit.append(
            session,
            at=utc(now),
            actor=actor,
            action="alerter.suspend" if suspended else "alerter.reinstate",
            trust_id=trust_id,
            target=await target(session, trust_id, alerter_id),
            before={"suspended": was},
            after={"suspended": suspended},
        )
        if suspended:
            bus = uow.services.bus
            uow.after_commit(lambda: bus.end_alerter_sockets(trust_id, alerter_id))
    await session.flush()
    found = await list_alerters(session, trust_id=trust_id, now=now)
    return next(a for a in found if a["id"] == alerter_id)


def _renamed(value: Any, alerter_id: str, pseudonym: str) -> Any:
    """A recorded document with the alerter's id, where it names them, replaced by the pseudonym."""
    if isinstance(value, dict):
        return {
            k: pseudonym if k in ("alerter", "alerter_id") and v == alerter_id else _renamed(v, alerter_id, pseudonym)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_renamed(v, alerter_id, pseudonym) for v in value]
    return value


async def _unname_incidents(session: AsyncSession, trust_id: str, alerter_id: str, pseudonym: str) -> int:
    """The alerter's incidents, their timelines and their webhooks (sent and due) name them by the
    pseudonym from now on; how many incidents that was."""
    ids = list(
        (
            await session.execute(
                select(Incident.id).where(Incident.trust_id == trust_id, Incident.alerter_id == alerter_id)
            )
        ).scalars()
    )
    if not ids:
        return 0
    await session.execute(
        update(Incident)
        .where(Incident.trust_id == trust_id, Incident.id.in_(ids))
        .values(alerter_id=pseudonym)
        .execution_options(synchronize_session=False)
    )
    for entry in (await session.execute(select(TimelineEntry).where(TimelineEntry.incident_id.in_(ids)))).scalars():
        if (data := _renamed(entry.data, alerter_id, pseudonym)) != entry.data:
            entry.data = data  # a new dict: the JSON column sees the change
    for sent in (await session.execute(select(WebhookDelivery).where(WebhookDelivery.incident_id.in_(ids)))).scalars():
        body = json.loads(sent.body)
        if (renamed := _renamed(body, alerter_id, pseudonym)) != body:
            sent.body = json.dumps(renamed, separators=(",", ":"))
    return len(ids)


async def erase(uow: UnitOfWork, *, trust_id: str, alerter_id: str, actor: str) -> None:
    """Erasure: the alerter's name and row, their tokens and invites go, and after the commit every
    socket of theirs, on any API process, is closed (4410). An alert they raised stays, an
    emergency record, but names them only by the pseudonym the audit knew them by, whose link
    back to them is deleted: the raise, the incident and the erasure stay traceable to each other,
    no longer to the person."""
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    row = await _alerter(uow, trust_id, alerter_id)
    pseudonym = await subjects.alerter_pseudonym(session, trust_id, alerter_id)
    await session.execute(
        delete(Credential).where(Credential.trust_id == trust_id, Credential.alerter_id == alerter_id)
    )
    await session.execute(
        delete(AlerterInvite).where(AlerterInvite.trust_id == trust_id, AlerterInvite.alerter_id == alerter_id)
    )
    kept = await _unname_incidents(session, trust_id, alerter_id, pseudonym)
    await session.delete(row)
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="alerter.erase",
        trust_id=trust_id,
        target=subjects.ALERTER_PREFIX + pseudonym,
        after={"incidents_kept": kept},
    )
    await subjects.forget_alerter(session, trust_id, alerter_id)
    bus = uow.services.bus
    uow.after_commit(lambda: bus.end_alerter_sockets(trust_id, alerter_id))


async def invite(uow: UnitOfWork, *, trust_id: str, alerter_id: str, actor: str, base_url: str) -> dict[str, Any]:
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    await _alerter(uow, trust_id, alerter_id)
    code = secrets.token_urlsafe(24)
    expires = now + uow.services.settings.invite_ttl_s
    session.add(
        AlerterInvite(
            id=uuid.uuid4().hex,
            code_hash=auth.token_hash(code),
            trust_id=trust_id,
            alerter_id=alerter_id,
            reusable=False,
            created_at=utc(now),
            created_by=actor,
            expires_at=utc(expires),
        )
    )
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="alerter.invite",
        trust_id=trust_id,
        target=await target(session, trust_id, alerter_id),
        after={"expires_at": iso(expires)},
    )
    url = invite_url(base_url, CLIENT_PATH, code)
    return {"invite_url": url, "code": code, "expires_at": iso(expires), "qr_svg": qr_svg_uri(url)}


async def open_invite(uow: UnitOfWork, *, trust_id: str, actor: str, base_url: str) -> dict[str, Any]:
    """The trust's one open link (policy `alerter.who` `anyone`): a new one replaces the old, which
    stops working at once. It does not expire; it works only while the policy lets anyone alert."""
    session, now = uow.session, uow.services.clock()
    await get_trust(session, trust_id)
    result = await session.execute(
        update(AlerterInvite)
        .where(
            AlerterInvite.trust_id == trust_id,
            AlerterInvite.reusable.is_(True),
            AlerterInvite.revoked_at.is_(None),
        )
        .values(revoked_at=utc(now))
        .execution_options(synchronize_session=False)
    )
    replaced = int(getattr(result, "rowcount", 0) or 0)
    code = secrets.token_urlsafe(24)
    session.add(
        AlerterInvite(
            id=uuid.uuid4().hex,
            code_hash=auth.token_hash(code),
            trust_id=trust_id,
            alerter_id=None,
            reusable=True,
            created_at=utc(now),
            created_by=actor,
        )
    )
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="alerter.open_invite",
        trust_id=trust_id,
        target="open alerter invite",
        after={"replaced_earlier": bool(replaced)},
    )
    url = invite_url(base_url, CLIENT_PATH, code)
    return {"invite_url": url, "code": code, "qr_svg": qr_svg_uri(url)}


async def _join_limit(uow: UnitOfWork, trust_id: str, client: str) -> None:
    """Joining from an open link needs nothing but the link: cheap to flood, so limited per address."""
    s = uow.services.settings
    decision = await uow.services.rate_limiter.take(
        "alerter-join",
        f"{trust_id}:{client}",
        rate=s.registration_rate_per_hour / 3600,
        burst=s.registration_burst,
        now=uow.services.clock(),
    )
    if not decision.allowed:
        retry = max(1, math.ceil(decision.retry_after_s))
        raise TooMany(f"too many sign-ups from this address; retry in {retry} s", headers={"Retry-After": str(retry)})


async def _join_open(uow: UnitOfWork, found: AlerterInvite, *, name: str | None, client: str) -> str:
    """A new alerter from the trust's open link, if the policy lets anyone alert now."""
    session, now = uow.session, uow.services.clock()
    rules = (await policies.current_policy(session, found.trust_id))[1].alerter
    if not rules.enabled or rules.who != "anyone":
        raise Gone(
            "this trust does not take new alerters from an open link now; ask the trust",
            extra={"code": "invite_closed"},
        )
    await _join_limit(uow, found.trust_id, client)
    alerter_id = f"a-{secrets.token_hex(6)}"
    session.add(
        Alerter(trust_id=found.trust_id, id=alerter_id, name=name or "Alerter", origin=OPEN, created_at=utc(now))
    )
    await session.flush()
    return alerter_id


async def redeem(uow: UnitOfWork, *, digest: str, name: str | None, client: str) -> dict[str, Any] | None:
    """An alerter's token for an alerter invite code (by its hash); None when the code is no
    alerter invite at all (the caller tries responder invites). A used, expired or replaced code is
    410 and issues nothing."""
    session, now = uow.session, uow.services.clock()
    spent = (
        await session.execute(
            update(AlerterInvite)
            .where(
                AlerterInvite.code_hash == digest,
                AlerterInvite.reusable.is_(False),
                AlerterInvite.used_at.is_(None),
                AlerterInvite.expires_at > utc(now),
            )
            .values(used_at=utc(now))
            .returning(AlerterInvite.trust_id, AlerterInvite.alerter_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if spent is not None and spent[1] is not None:
        trust_id, alerter_id = spent[0], spent[1]
    else:
        found = (
            await session.execute(select(AlerterInvite).where(AlerterInvite.code_hash == digest))
        ).scalar_one_or_none()
        if found is None:
            return None
        if found.revoked_at is not None:
            raise Gone("this link was replaced by a newer one; ask the trust for it", extra={"code": "invite_replaced"})
        if not found.reusable and found.used_at is not None:
            raise Gone("this invite link was used already; ask the trust for a new one", extra={"code": "invite_used"})
        if not found.reusable:
            raise Gone("this invite link has expired; ask the trust for a new one", extra={"code": "invite_expired"})
        trust_id, alerter_id = found.trust_id, await _join_open(uow, found, name=name, client=client)
    token = await auth.issue(session, kind=auth.ALERTER, trust_id=trust_id, alerter_id=alerter_id, now=now)
    await audit.append(
        session,
        at=utc(now),
        actor=f"alerter:{alerter_id}:invite"[:80],
        action="alerter.invite_redeemed",
        trust_id=trust_id,
        target=await target(session, trust_id, alerter_id),
    )
    return {"token": token, "alerter_id": alerter_id, "trust_id": trust_id}


async def settings_view(session: AsyncSession, *, trust_id: str) -> dict[str, Any]:
    trust = await get_trust(session, trust_id)
    return {"alerter_callback_url": (trust.settings or {}).get("alerter_callback_url")}


async def set_callback_url(uow: UnitOfWork, *, trust_id: str, url: str | None, actor: str) -> dict[str, Any]:
    """Where the trust's CAD hears of alerts raised by alerters (`incident.raised` and every later
    event of those incidents), signed with the CAD key like every webhook; None stops it. Checked
    like a CAD's `callback_url`, here and again before every delivery."""
    session, now = uow.session, uow.services.clock()
    trust = await get_trust(session, trust_id)
    if url is not None and (reason := await callback_guard.refusal(url, uow.services.settings)):
        reason = reason.replace("callback_url", "alerter_callback_url")
        raise Invalid(reason, extra={"errors": [{"loc": "alerter_callback_url", "msg": reason}]})
    settings = dict(trust.settings or {})
    before = settings.get("alerter_callback_url")
    if url is None:
        settings.pop("alerter_callback_url", None)
    else:
        settings["alerter_callback_url"] = url
    trust.settings = settings  # a new dict: the JSON column sees the change
    if before != url:
        await audit.append(
            session,
            at=utc(now),
            actor=actor,
            action="trust.update",
            trust_id=trust_id,
            target="trust settings",
            before={"alerter_callback_url": before},
            after={"alerter_callback_url": url},
        )
    return {"alerter_callback_url": url}
