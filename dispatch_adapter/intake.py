"""What `POST /v1/incidents` does with a CAD document once it is mapped: report the incident, change
it, or end it, through the same services as the incident endpoints (`PATCH`, `/cancel`, `/close`),
so the timeline and the webhooks are the same whichever way the CAD spoke.

- A report (native JSON, CAP `Alert`) creates the incident; the same identifier again is a retry.
- An EIDO creates it, or, when one was reported under its id, changes what differs from it, unless
  the incident already holds a document at least as recent (`lastUpdateTimeStamp`), which is then
  ignored. An EIDO without a timestamp cannot be ordered and is read as a retry.
- A CAP `Update`, a CAP `Cancel` and an EIDO closed or cancelled act on the incident their
  identifiers name, or answer 404 naming the field. A CAP message that acted on an incident is
  remembered by its identifier, so the next one may reference only it.
"""

from __future__ import annotations

from typing import Any

from alerting.domain import incident as m
from alerting.domain.vocabulary import IntakeEffect
from alerting.services import callback_guard, incidents, policies
from alerting.services.context import Services
from alerting.services.errors import Invalid, NotFound
from alerting.services.unit_of_work import UnitOfWork, reading, unit_of_work
from dispatch_adapter.mappings import Action, CadMessage, MappingError
from dispatch_adapter.mappings.cap import centroid_refused


def refused(exc: MappingError) -> Invalid:
    """A mapping's refusal as the 422 that names the field of the caller's document."""
    return Invalid(str(exc), extra={"errors": [{"loc": exc.field, "msg": exc.problem}]})


async def receive(services: Services, *, trust_id: str, message: CadMessage) -> tuple[dict[str, Any], int]:
    """The answer's body and status: 201 for a new incident, else 200 with its `effect`."""
    if message.centroid_of is not None:
        await _centroid_allowed(services, trust_id, message.centroid_of)
    match message.action:
        case Action.REPORT | Action.RESTATE:
            return await _report(services, trust_id, message)
        case Action.UPDATE:
            incident_id = await _named(services, trust_id, message)
            async with unit_of_work(services) as uow:
                effect = await incidents.revise(
                    uow,
                    trust_id=trust_id,
                    incident_id=incident_id,
                    changes=dict(message.changes),
                    revision_at=message.revision_at,
                )
                await _remember(uow, trust_id, incident_id, message)
        case Action.CANCEL | Action.CLOSE:
            incident_id = await _named(services, trust_id, message)
            now = services.clock()
            event: m.Cancelled | m.Closed = (
                m.Cancelled(message.reason or "cancelled by CAD", now)
                if message.action == Action.CANCEL
                else m.Closed(now)
            )
            async with unit_of_work(services) as uow:
                effect = await incidents.end_revised(
                    uow, trust_id=trust_id, incident_id=incident_id, event=event, revision_at=message.revision_at
                )
                await _remember(uow, trust_id, incident_id, message)
    return summary(await view(services, trust_id, incident_id)) | {"effect": effect}, 200


async def _report(services: Services, trust_id: str, message: CadMessage) -> tuple[dict[str, Any], int]:
    report = message.report
    assert report is not None  # a report and a restatement always carry one
    if report.callback_url is not None:
        if reason := await callback_guard.refusal(report.callback_url, services.settings):
            raise Invalid(reason, extra={"errors": [{"loc": "callback_url", "msg": reason}]})
    restates = message.action == Action.RESTATE and message.revision_at is not None
    if restates:  # a later EIDO mostly names an incident that exists: look before running phase 0
        async with reading(services) as session:
            existing = await incidents.named(session, trust_id=trust_id, cad_refs=message.cad_refs)
        if existing is not None:
            return await _restate(services, trust_id, existing, message)
    async with unit_of_work(services) as uow:
        body, created = await incidents.report(uow, trust_id=trust_id, report=report, revision_at=message.revision_at)
    if created:
        return body | {"effect": IntakeEffect.CREATED}, 201
    if restates:  # another post of it created the incident meanwhile
        return await _restate(services, trust_id, body["id"], message)
    return summary(body) | {"effect": IntakeEffect.IGNORED}, 200


async def _restate(
    services: Services, trust_id: str, incident_id: str, message: CadMessage
) -> tuple[dict[str, Any], int]:
    async with unit_of_work(services) as uow:
        effect = await incidents.revise(
            uow,
            trust_id=trust_id,
            incident_id=incident_id,
            changes=dict(message.changes),
            revision_at=message.revision_at,
        )
    return summary(await view(services, trust_id, incident_id)) | {"effect": effect}, 200


async def _named(services: Services, trust_id: str, message: CadMessage) -> str:
    async with reading(services) as session:
        incident_id = await incidents.named(session, trust_id=trust_id, cad_refs=message.cad_refs)
    if incident_id is None:
        names = ", ".join(repr(ref) for ref in message.cad_refs)
        msg = f"no incident of this trust was reported as {names}"
        raise NotFound(f"{message.ref_field}: {msg}", extra={"errors": [{"loc": message.ref_field, "msg": msg}]})
    return incident_id


async def _remember(uow: UnitOfWork, trust_id: str, incident_id: str, message: CadMessage) -> None:
    if message.message_id is not None:
        await incidents.remember_message(uow, trust_id=trust_id, identifier=message.message_id, incident_id=incident_id)


async def _centroid_allowed(services: Services, trust_id: str, field: str) -> None:
    """An area is not a point: only a trust that chose to may have a polygon's centroid stand for one."""
    async with reading(services) as session:
        _, policy = await policies.current_policy(session, trust_id)
    if not policy.cap_polygon_centroid:
        raise refused(centroid_refused(field))


async def view(services: Services, trust_id: str, incident_id: str) -> dict[str, Any]:
    """The incident as it stands once a change has committed and gone out."""
    async with reading(services) as session:
        return await incidents.view(session, services, trust_id=trust_id, incident_id=incident_id)


def summary(view: dict[str, Any]) -> dict[str, Any]:
    """The answer of `POST /v1/incidents` for an incident that already existed."""
    out = {k: view[k] for k in ("id", "cad_ref", "status", "phase", "alerted")}
    if view.get("reason") is not None:
        out |= {"reason": view["reason"], "reason_code": view["reason_code"]}
    return out
