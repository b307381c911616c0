"""The responder API over HTTP, for apps woken by a push rather than holding a socket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from alerting.api.deps import ResponderDep, ServicesDep
from alerting.api.schemas import AvailabilityIn, LocationIn, PushSubscriptionIn
from alerting.push import vapid
from alerting.services import alerts, presence
from alerting.services.errors import Invalid
from alerting.store.models import PushSubscription
from alerting.timefmt import utc

router = APIRouter(prefix="/v1", tags=["responders"])


@router.put("/me/location", status_code=204, summary="Report the responder's position")
async def put_location(body: LocationIn, services: ServicesDep, me: ResponderDep) -> Response:
    await presence.update_location(
        services,
        trust_id=me.trust_id,
        responder_id=me.responder_id,
        lat=body.lat,
        lon=body.lon,
        accuracy_m=body.accuracy_m,
    )
    return Response(status_code=204)


@router.put("/me/availability", status_code=204, summary="Say whether the responder can take alerts")
async def put_availability(body: AvailabilityIn, services: ServicesDep, me: ResponderDep) -> Response:
    await presence.set_availability(
        services, trust_id=me.trust_id, responder_id=me.responder_id, available=body.available
    )
    return Response(status_code=204)


@router.get("/me/alerts", summary="Alerts still open for this responder (the same frames as `ready.pending`)")
async def get_alerts(services: ServicesDep, me: ResponderDep) -> list[dict[str, Any]]:
    return await alerts.pending(services, trust_id=me.trust_id, responder_id=me.responder_id)


@router.put(
    "/me/push-subscription",
    status_code=204,
    summary="Register a Web Push subscription",
    description="The browser's `PushSubscription` JSON. An alert not acknowledged within the trust's "
    "`ack_timeout_s`, or published while the responder had no socket, is also pushed here "
    "(RFC 8291 aes128gcm, VAPID-signed). A push service answering 404/410 removes it.",
)
async def put_push(body: PushSubscriptionIn, services: ServicesDep, me: ResponderDep) -> Response:
    if body.endpoint.startswith("http://") and not services.settings.push_allow_http:
        raise Invalid(
            "the push endpoint must be https", extra={"errors": [{"loc": "endpoint", "msg": "must be an https URL"}]}
        )
    async with services.sessions() as session, session.begin():
        await session.merge(
            PushSubscription(
                trust_id=me.trust_id,
                responder_id=me.responder_id,
                endpoint=body.endpoint,
                keys=body.keys.model_dump(),
                created_at=utc(services.clock()),
            )
        )
    return Response(status_code=204)


@router.get("/me/push-config", summary="The server's VAPID public key, for pushManager.subscribe")
async def get_push_config(services: ServicesDep, me: ResponderDep) -> dict[str, str]:
    return {"application_server_key": vapid.application_server_key(services.extras["vapid"])}


def _action(name: str, fn, summary: str) -> None:
    async def endpoint(alert_id: str, services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
        answer = await fn(services, trust_id=me.trust_id, responder_id=me.responder_id, alert_id=alert_id)
        return {"frames": answer.frames}

    router.add_api_route(
        f"/alerts/{{alert_id}}/{name}",
        endpoint,
        methods=["POST"],
        summary=summary,
        name=f"alert_{name}",
        description="Answers with the frames the socket would carry: `assigned`, `stand_down` or `error`.",
    )


_action("accept", alerts.accept, "Accept an alert")
_action("decline", alerts.decline, "Decline an alert")
_action("arrived", alerts.arrived, "Report arrival on scene")
_action("ack", alerts.acknowledge, "Acknowledge that the alert reached the screen")
