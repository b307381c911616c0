"""Alerters: the trust's routes to add, list, invite, suspend and erase them; the alerter's own routes to
raise an alert and follow it; a dispatcher's confirmation of a raised alert."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from alerting.api.alerter_schemas import AlerterCreate, AlerterPatch, RaiseIn, TrustPatch
from alerting.api.deps import AdminDep, AlerterDep, DispatcherDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.onboarding import public_base
from alerting.services import alert_raising, alerters, auth, dispatching, incidents
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1", tags=["alerters"])
T = "/trusts/{trust}"


@router.patch(T, tags=["trusts"], summary="Change the trust's settings (admin): where raised alerts are announced")
async def patch_trust(trust: str, body: TrustPatch, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """`alerter_callback_url`: the CAD endpoint that receives `incident.raised` when an alerter raises
    an alert, then every later event of that incident, signed with the trust's CAD key like every
    webhook. The same checks as a CAD's `callback_url` apply (422). Null removes it."""
    if "alerter_callback_url" not in body.model_fields_set:
        async with reading(services) as session:
            return await alerters.settings_view(session, trust_id=trust)
    async with unit_of_work(services) as uow:
        return await alerters.set_callback_url(uow, trust_id=trust, url=body.alerter_callback_url, actor=who.actor)


@router.post(f"{T}/alerters", status_code=201, summary="Add an alerter", responses=declare(409))
async def create_alerter(trust: str, body: AlerterCreate, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """An alerter may raise alerts once they have redeemed an invite (`.../alerters/{id}/invites`)."""
    async with unit_of_work(services) as uow:
        return await alerters.create(uow, trust_id=trust, alerter_id=body.id, name=body.name, actor=who.actor)


@router.get(f"{T}/alerters", summary="The trust's alerters, with their open alert and raises in 24 hours")
async def list_alerters(trust: str, services: ServicesDep, who: AdminDep) -> list[dict[str, Any]]:
    """Each: `{id, name, origin (registered|open), suspended, suspended_at, suspended_by, open_alert
    (incident id or null), raised_today (raises in the last 24 hours), created_at}`."""
    async with reading(services) as session:
        return await alerters.list_alerters(session, trust_id=trust, now=services.clock())


@router.patch(f"{T}/alerters/{{alerter_id}}", summary="Suspend or reinstate an alerter (dispatcher, admin; audited)")
async def patch_alerter(
    trust: str, alerter_id: str, body: AlerterPatch, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """A suspended alerter's raises, alert view and messages answer 403 and every socket of theirs
    is closed (4410) on every API process; an alert they raised before is left to run."""
    async with unit_of_work(services) as uow:
        return await alerters.set_suspended(
            uow, trust_id=trust, alerter_id=alerter_id, suspended=body.suspended, actor=who.actor
        )


@router.delete(
    f"{T}/alerters/{{alerter_id}}",
    status_code=204,
    summary="Erase an alerter: their name, tokens and invites go (admin; audited)",
)
async def erase_alerter(trust: str, alerter_id: str, services: ServicesDep, who: AdminDep) -> Response:
    """Their token and any invite stop working at once and every socket of theirs is closed (4410)
    on every API process. An alert they raised stays, an emergency record, but its `alerter_id`
    becomes the pseudonym the audit named them by, which no longer leads back to them; the
    erasure is audited (`alerter.erase`) with who did it."""
    async with unit_of_work(services) as uow:
        await alerters.erase(uow, trust_id=trust, alerter_id=alerter_id, actor=who.actor)
    return Response(status_code=204)


@router.post(f"{T}/alerters/{{alerter_id}}/invites", status_code=201, summary="Invite an alerter: a one-time link")
async def invite_alerter(
    trust: str, alerter_id: str, request: Request, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """`{invite_url, code, expires_at, qr_svg}`: the link `<public URL>/alert#invite=<code>` opens the
    alerter page, which redeems it with `POST /v1/invites/redeem` (the answer carries `alerter_id`
    and the alerter token). Single use; expires after `ALERTING_INVITE_TTL_S`."""
    async with unit_of_work(services) as uow:
        return await alerters.invite(
            uow, trust_id=trust, alerter_id=alerter_id, actor=who.actor, base_url=public_base(request, services)
        )


@router.post(f"{T}/alerters/open-invite", status_code=201, summary="The trust's open alerter link (rotates it)")
async def open_invite(trust: str, request: Request, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """`{invite_url, code, qr_svg}`: one reusable link for policy `alerter.who` `anyone`; each redeem
    makes a new alerter (rate-limited per address). A new one replaces the old at once (410
    `invite_replaced`); while the policy does not let anyone alert, redeeming it is 410 `invite_closed`."""
    async with unit_of_work(services) as uow:
        return await alerters.open_invite(uow, trust_id=trust, actor=who.actor, base_url=public_base(request, services))


@router.post(
    "/alerts/raise",
    status_code=201,
    summary="Raise an alert (alerter token): responders near are alerted, or a dispatcher confirms first",
    responses=declare(403, 422, 429),
)
async def raise_alert(body: RaiseIn, services: ServicesDep, who: AlerterDep) -> dict[str, Any]:
    """`{incident_id, status, emergency_number, alerted}`. The phone dials `emergency_number` as it
    sends this. Status `alerting` (policy `alerter.mode` `auto`: the groups within `radius_m` are
    alerted now) or `awaiting_confirmation` (`confirm`). Refused, always with the number to call in
    `detail` and `emergency_number`: 403 for a suspended alerter (`code` `alerter_suspended`) or
    alerters turned off (`alerters_disabled`); 422 outside the trust's area (`outside_area`); 429 with
    `Retry-After` while the alerter's last alert is open (`alert_open`) or after `max_per_day`
    raises in 24 hours (`daily_limit`). A refusal changes nothing but the audit: every raise, refused
    or not, is audited with the alerter and its outcome (`alerter.raise`, `alerter.raise_refused`)."""
    try:
        async with unit_of_work(services) as uow:
            return await alert_raising.raise_alert(
                uow, principal=who, lat=body.lat, lon=body.lon, accuracy_m=body.accuracy_m, notes=body.notes
            )
    except alert_raising.RaiseRefused as refused:
        # The refused raise rolled back; its audit entry is a transaction of its own.
        async with unit_of_work(services) as uow:
            await alert_raising.audit_refusal(uow, principal=who, refused=refused)
        raise


@router.get(
    "/alerts/current",
    summary="The alerter's open alert: who is coming, the nearest AED, messages",
    responses=declare(403),
)
async def current_alert(services: ServicesDep, who: AlerterDep) -> dict[str, Any]:
    """`{incident_id, status, accepted, nearest_m, eta_s, aed, messages, emergency_number, created_at,
    at}`; 404 when the alerter has no open alert (awaiting confirmation, alerting or filled); 403
    `alerter_suspended` (with `emergency_number`) while the alerter is suspended."""
    async with reading(services) as session:
        return await alert_raising.current(session, services, principal=who)


@router.post(
    "/incidents/{incident_id}/confirm",
    tags=["dispatch"],
    summary="Confirm an alert an alerter raised: its responders are alerted now (dispatcher or CAD key)",
    responses=declare(409),
)
async def confirm_incident(incident_id: str, services: ServicesDep, who: DispatcherDep) -> dict[str, Any]:
    """Only for an incident awaiting confirmation; one that no longer waits answers as it is. A
    CAD's own incident, or one cancelled or closed, is 409 with `code`."""
    async with unit_of_work(services) as uow:
        await dispatching.confirm(uow, trust_id=who.trust, incident_id=incident_id, principal=who)
    async with reading(services) as session:
        return await incidents.view(
            session, services, trust_id=who.trust, incident_id=incident_id, with_names=who.kind == auth.STAFF
        )
