"""A dispatcher's actions on an incident, for the console's dispatcher role and the CAD key alike:
alert one named responder, fire the next phase now, message everyone alerted or assigned; and a
responder's message back to the control room. (Cancel is the CAD's route, open to dispatchers.)"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import Field, field_validator

from alerting.api.deps import AdminDep, DispatcherDep, ResponderDep, ServicesDep
from alerting.domain.documents import Document
from alerting.services import dispatching, nearby_responders
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1", tags=["dispatch"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Refused, and nothing changed: `code` says why (for example `busy`, `off_duty`, "
        "`suspended`, `not_in_trust`, `no_position`, `already_alerted`, `incident_filled`, `incident_ended`)"
    }
}
MESSAGE_MAX = 1000


def message_text(value: str) -> str:
    """Words a person reads: no control characters but line breaks, not blank."""
    text = value.strip()
    if not text:
        raise ValueError("write the message")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ValueError("a message has no control characters")
    return text


class AlertIn(Document):
    responder_id: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")


class EscalateIn(Document):
    phase: str | None = Field(
        default=None,
        max_length=100,
        description="The phase the caller means to fire; refused (`not_next_phase`) unless it is the next one, "
        "so a repeated click or a retry cannot fire two phases",
    )


# What `message_text` accepts, for the schema: no control character but line breaks and tabs, and
# something besides spaces. Characters are spelled out (a client's regex engine reads `\s` otherwise).
_WORDS = r"[^\x00-\x08\x0b-\x1f\x7f-\x9f]*"
MESSAGE = rf"^{_WORDS}[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{_WORDS}$"


class MessageIn(Document):
    text: str = Field(min_length=1, max_length=MESSAGE_MAX, pattern=MESSAGE)

    @field_validator("text")
    @classmethod
    def _words(cls, value: str) -> str:
        return message_text(value)


@router.post(
    "/incidents/{incident_id}/alert",
    status_code=201,
    responses=_REFUSED,
    summary="Alert one named responder by hand (dispatcher or CAD key)",
)
async def alert_responder(incident_id: str, body: AlertIn, services: ServicesDep, who: DispatcherDep) -> dict[str, Any]:
    """The same eligibility as a phase, without its radius: active, in a group the incident's phases
    alert (and allowed at this kind of place), on duty, a position no older than the policy's
    `location_max_age_s`, a verified credential of each required kind, not assigned to another open
    incident, outside their quiet hours and under the hourly limit. A refusal is 409 with `code`
    and words naming the reason. An exhausted incident alerts again for them; a filled, cancelled,
    closed or not-alerted one refuses. Audited with the person."""
    async with unit_of_work(services) as uow:
        return await dispatching.alert_responder(
            uow, trust_id=who.trust, incident_id=incident_id, responder_id=body.responder_id, principal=who
        )


@router.post(
    "/incidents/{incident_id}/escalate",
    responses=_REFUSED,
    summary="Fire the next phase now (dispatcher or CAD key)",
)
async def escalate(
    incident_id: str,
    services: ServicesDep,
    who: DispatcherDep,
    body: Annotated[EscalateIn | None, Body()] = None,
) -> dict[str, Any]:
    """The next phase fires at once, as its timer would have, and never again: its timer then
    finds it fired. Later phases keep their own times. 409 `no_next_phase` when every phase has
    fired, `not_next_phase` when `phase` names another one. Answers `{phase, alerted}`."""
    async with unit_of_work(services) as uow:
        return await dispatching.escalate(
            uow, trust_id=who.trust, incident_id=incident_id, phase=body.phase if body else None, principal=who
        )


@router.post(
    "/incidents/{incident_id}/messages",
    status_code=201,
    responses=_REFUSED,
    summary="Message everyone alerted or assigned (dispatcher or CAD key)",
)
async def send_message(incident_id: str, body: MessageIn, services: ServicesDep, who: DispatcherDep) -> dict[str, Any]:
    """Each responder alerted to, on the way to or at the incident receives `{"type": "message",
    "alert_id", "from": "control", "text", "at"}`. 409 `no_recipients` when there is nobody. The
    words are kept in the incident's `messages` and timeline; the audit records who wrote."""
    async with unit_of_work(services) as uow:
        return await dispatching.send_message(
            uow, trust_id=who.trust, incident_id=incident_id, text=body.text, principal=who
        )


@router.post(
    "/alerts/{alert_id}/messages",
    status_code=201,
    tags=["responders"],
    responses={409: {"description": "`alert_over`: the alert is no longer live; call the control room"}},
    summary="A responder's message to the control room about their alert",
)
async def message_from_responder(
    alert_id: str, body: MessageIn, services: ServicesDep, who: ResponderDep
) -> dict[str, Any]:
    """Reaches the console and, as the webhook `responder.message` `{responder, text}`, the CAD.
    The same as the socket's `{"type": "message", "alert_id", "text"}`."""
    async with unit_of_work(services) as uow:
        return await dispatching.message_from_responder(
            uow, trust_id=who.trust, responder_id=who.responder, alert_id=alert_id, text=body.text
        )


@router.get(
    "/trusts/{trust}/incidents/{incident_id}/nearby",
    tags=["trusts"],
    summary="Responders a dispatcher could alert by hand to this incident (dispatcher role)",
)
async def nearby_responders_of(
    trust: str,
    incident_id: str,
    services: ServicesDep,
    who: AdminDep,
    radius_m: float | None = Query(None, ge=10, le=20_000, allow_inf_nan=False),
) -> dict[str, Any]:
    """Nearest first (at most 50), within `radius_m` (default: the incident's widest phase radius):
    on duty, a fresh position, not alerted to it yet, and passing the checks of a manual alert.
    Names and positions, so only for dispatchers; empty unless the incident still needs someone
    (alerting or exhausted)."""
    async with reading(services) as session:
        return await nearby_responders.for_dispatcher(
            session, services, trust_id=trust, incident_id=incident_id, radius_m=radius_m
        )
