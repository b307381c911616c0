"""The responder API over HTTP, for apps woken by a push rather than holding a socket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

from alerting.api.deps import ResponderDep, ServicesDep
from alerting.api.joining import CredentialForm
from alerting.api.onboarding import UPLOAD_FORM
from alerting.api.schemas import (
    AvailabilityIn,
    LocationIn,
    ProfilePatch,
    PushSubscriptionIn,
    StatusIn,
    Strict,
    WebPushSubscriptionIn,
)
from alerting.domain.aftercare import MAX_ANSWER
from alerting.domain.vocabulary import DeclineReason, Feeling
from alerting.push import vapid
from alerting.services import alerts, check_ins, credentials, presence, profile, push_subscriptions
from alerting.services.errors import Invalid
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1", tags=["responders"])


@router.get("/me", summary="The responder's profile and credentials")
async def get_me(services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
    """`{id, trust_id, name, groups, status, travel_mode, carries_aed, language, credentials,
    required_credentials, missing_credentials}`. `language` null means "follow the browser";
    `missing_credentials` non-empty means the responder is not alerted until a renewal is verified."""
    async with reading(services) as session:
        return await profile.me(session, trust_id=me.trust, responder_id=me.responder, now=services.clock())


@router.patch("/me", summary="Change the responder's travel mode, AED and language")
async def patch_me(body: ProfilePatch, services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
    """`travel_mode` (`foot`, `bike`, `car`) sets the speed of the responder's ETA; `carries_aed`
    means they bring their own defibrillator, so they are never the one sent to fetch one (and once
    they are assigned, nobody else is); `language` is a BCP 47 tag (stored normalised, e.g. `cy-GB`)
    or null to follow the browser."""
    async with unit_of_work(services) as uow:
        return await profile.update(
            uow,
            trust_id=me.trust,
            responder_id=me.responder,
            changes=body.model_dump(exclude_unset=True),
            actor=me.actor,
        )


@router.post("/me/credentials", status_code=201, summary="Renew a credential", description=UPLOAD_FORM)
async def post_my_credential(upload: CredentialForm, services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
    """The new credential is `pending` until a verifier checks it
    (`POST /v1/trusts/{trust}/responders/{rid}/credentials/{id}/verify`); until then it does not count."""
    async with unit_of_work(services) as uow:
        return await credentials.renew(
            uow,
            trust_id=me.trust,
            responder_id=me.responder,
            kind=upload.kind,
            expires_on=upload.expires_on,
            data=upload.data,
            actor=me.actor,
        )


@router.get("/me/history", summary="The responder's past alerts, newest first")
async def get_history(
    services: ServicesDep,
    me: ResponderDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=2**31 - 1),
) -> list[dict[str, Any]]:
    """`[{alert_id, incident_id, category, alerted_at, state, role, accepted_at, arrived_at, ended_at,
    incident_status, decline_reason, outcome, outcome_text}]`, paged by `limit` and `offset`.
    `outcome` and `outcome_text` (the trust's words) are set for an alert the responder accepted
    once the CAD has given the outcome, where the trust's policy shares it (`aftercare.share_outcome`)."""
    async with reading(services) as session:
        return await profile.history(session, trust_id=me.trust, responder_id=me.responder, limit=limit, offset=offset)


@router.put("/me/location", status_code=204, summary="Report the responder's position")
async def put_location(body: LocationIn, services: ServicesDep, me: ResponderDep) -> Response:
    await presence.update_location(
        services,
        trust_id=me.trust,
        responder_id=me.responder,
        lat=body.lat,
        lon=body.lon,
        accuracy_m=body.accuracy_m,
    )
    return Response(status_code=204)


@router.put("/me/availability", status_code=204, summary="Say whether the responder can take alerts")
async def put_availability(body: AvailabilityIn, services: ServicesDep, me: ResponderDep) -> Response:
    await presence.set_availability(services, trust_id=me.trust, responder_id=me.responder, available=body.available)
    return Response(status_code=204)


@router.get("/me/alerts", summary="Alerts still open for this responder (the same frames as `ready.pending`)")
async def get_alerts(services: ServicesDep, me: ResponderDep) -> list[dict[str, Any]]:
    async with reading(services) as session:
        return await alerts.pending(session, services, trust_id=me.trust, responder_id=me.responder)


@router.put(
    "/me/push-subscription",
    status_code=204,
    summary="Register a device for pushes",
    description="A browser's `PushSubscription` JSON as it is (`kind` `webpush`, or no `kind`), an "
    'FCM registration token (`{"kind": "fcm", "token"}`) or an APNs device token (`{"kind": "apns", '
    '"device_token", "topic"}`). An alert not acknowledged within the trust\'s `ack_timeout_s`, or '
    "published while the responder had no socket, is pushed to every device the responder registered "
    "(Web Push: RFC 8291 aes128gcm, VAPID-signed; FCM HTTP v1; APNs over HTTP/2, the alert without its "
    "place). Registering the same device again replaces it; a responder keeps up to "
    "`ALERTING_PUSH_MAX_DEVICES` (10), the oldest giving way. A device whose push service says it is "
    "unregistered (Web Push 404/410, FCM UNREGISTERED, APNs 410 or BadDeviceToken) is removed. A kind "
    "this deployment sends no pushes for (`GET /v1/me/push-config` lists `kinds`) is refused with 422, "
    "code `push_kind_unsupported`; an APNs topic this deployment has no app for with 422 naming `topic`.",
)
async def put_push(body: PushSubscriptionIn, services: ServicesDep, me: ResponderDep) -> Response:
    if (
        isinstance(body, WebPushSubscriptionIn)
        and body.endpoint.startswith("http://")
        and not services.settings.push_allow_http
    ):
        raise Invalid(
            "the push endpoint must be https", extra={"errors": [{"loc": "endpoint", "msg": "must be an https URL"}]}
        )
    kind, name, target = body.device()
    async with unit_of_work(services) as uow:
        await push_subscriptions.register(
            uow, trust_id=me.trust, responder_id=me.responder, kind=kind, name=name, target=target
        )
    return Response(status_code=204)


@router.get("/me/push-config", summary="How this deployment pushes: the VAPID public key and the kinds of device")
async def get_push_config(services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
    """`application_server_key` for a browser's `pushManager.subscribe`; `kinds` the devices this
    deployment can push to (`webpush`; `fcm` and `apns` where configured)."""
    return {
        "application_server_key": vapid.application_server_key(services.vapid),
        "kinds": sorted(services.push.kinds),
    }


def _action(name: str, fn, summary: str) -> None:
    async def endpoint(alert_id: str, services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
        async with unit_of_work(services) as uow:
            answer = await fn(uow, trust_id=me.trust, responder_id=me.responder, alert_id=alert_id)
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


class DeclineIn(Strict):
    reason: DeclineReason | None = Field(default=None, description="too_far, busy, unsafe or other; optional")


@router.post("/alerts/{alert_id}/decline", summary="Decline an alert, optionally saying why")
async def alert_decline(
    alert_id: str, services: ServicesDep, me: ResponderDep, body: DeclineIn | None = None
) -> dict[str, Any]:
    """Answers with the frames the socket would carry (`error` when it cannot be declined). The
    reason, if given, is kept with the alert: the responder's history and the trust's timeline show it."""
    async with unit_of_work(services) as uow:
        answer = await alerts.decline(
            uow,
            trust_id=me.trust,
            responder_id=me.responder,
            alert_id=alert_id,
            reason=body.reason if body else None,
        )
    return {"frames": answer.frames}


_action("arrived", alerts.arrived, "Report arrival on scene")
_action("ack", alerts.acknowledge, "Acknowledge that the alert reached the screen")


class CheckInAnswerIn(Strict):
    feeling: Feeling = Field(description="fine, shaken or need_to_talk")
    answers: list[Annotated[str, Field(max_length=MAX_ANSWER)]] = Field(
        default_factory=list, max_length=20, description="Answers to the check-in's questions, in their order"
    )


@router.post("/alerts/{alert_id}/check-in", summary="Answer the check-in after an alert")
async def answer_check_in(
    alert_id: str, body: CheckInAnswerIn, services: ServicesDep, me: ResponderDep
) -> dict[str, Any]:
    """How the responder is after the call (`feeling`) and their answers to the trust's questions;
    a later answer replaces an earlier one. `need_to_talk` puts them in the trust's wellbeing queue
    and emails its wellbeing contacts. The answers are seen by the trust's verifiers and admins only."""
    async with unit_of_work(services) as uow:
        return await check_ins.answer(
            uow,
            trust_id=me.trust,
            responder_id=me.responder,
            alert_id=alert_id,
            feeling=body.feeling,
            answers=[a.strip() for a in body.answers],
        )


@router.post("/alerts/{alert_id}/status", summary="Report a status from the scene")
async def post_status(alert_id: str, body: StatusIn, services: ServicesDep, me: ResponderDep) -> dict[str, Any]:
    """`on_scene`, `with_patient`, `aed_collected` or `cpr_started`, from a responder who accepted:
    each goes in the incident's timeline and to the CAD as `responder.status`, once per alert (a
    repeat answers the first time it was reported). `on_scene` from a responder still on the way is
    their arrival too (`responder.arrived` first). Answers with the frames the socket would carry:
    `status` (`{alert_id, status, at}`) or `error` (`not_accepted`, `incident_ended`)."""
    async with unit_of_work(services) as uow:
        answer = await alerts.report_status(
            uow, trust_id=me.trust, responder_id=me.responder, alert_id=alert_id, status=body.status
        )
    return {"frames": answer.frames}
