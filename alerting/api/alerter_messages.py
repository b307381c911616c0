"""The alerter's words about their open alert, over HTTP (the same as their socket's
`{"type": "message", "text"}`), for a page woken without its socket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from alerting.api.deps import AlerterDep, ServicesDep
from alerting.api.dispatching import MessageIn
from alerting.services import alerter_live
from alerting.services.unit_of_work import unit_of_work

router = APIRouter(prefix="/v1", tags=["alerters"])


@router.post(
    "/alerts/current/messages",
    status_code=201,
    responses={
        403: {"description": "`alerter_suspended`: the alerter is suspended (with `emergency_number`)"},
        404: {"description": "The alerter has no open alert: if someone still needs help, call the emergency number"},
        409: {"description": "`incident_ended`: the alert ended meanwhile"},
    },
    summary="The alerter's message to the responders coming and the control room",
)
async def message_from_alerter(body: MessageIn, services: ServicesDep, who: AlerterDep) -> dict[str, Any]:
    """Reaches each responder alerted to or on the way to the alerter's open alert (their `message`
    frame with `from: "alerter"`), the console, the CAD (webhook `alerter.message` `{text}`) and the
    alerter's own sockets. The answer says how many responders it reached (`recipients`), never who."""
    async with unit_of_work(services) as uow:
        return await alerter_live.message_from_alerter(uow, trust_id=who.trust, alerter_id=who.alerter, text=body.text)
