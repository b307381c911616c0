"""Endpoints the admin console and the responder client need beyond the v1 admin API:
who a credential is, the live map (ticket + server-sent events), the trust's incidents with their
timelines, and CSV import of responders with per-row results streamed as they happen."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import DataError

from alerting.api.deps import AdminDep, PrincipalDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.responder_csv import CsvFileError, Row, decode, parse
from alerting.domain.documents import Instant
from alerting.domain.roles import Role
from alerting.domain.vocabulary import IncidentSource
from alerting.services import alerters, auth, incident_search, incidents, live_map, policies, trusts
from alerting.services.errors import Invalid, ServiceError
from alerting.services.unit_of_work import reading, unit_of_work

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["console"])
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


@router.get("/whoami", summary="Who this credential is: its kind, trust, responder or person")
async def whoami(services: ServicesDep, who: PrincipalDep) -> dict[str, Any]:
    """Lets a page signed in with a key find its trust without asking the person to type it. For a
    staff session: the person (`staff_id`, `name`), their `roles` and the session's `csrf_token`;
    an admin key or the operator token has every role. For an alerter: `alerter_id`, `name` and the
    trust's `emergency_number` (the number their page dials)."""
    out: dict[str, Any] = {"kind": who.kind, "trust_id": who.trust_id, "responder_id": who.responder_id}
    async with reading(services) as session:
        if who.trust_id:
            out["trust_name"] = await trusts.trust_name(session, trust_id=who.trust_id)
        if who.kind == auth.RESPONDER and who.trust_id and who.responder_id:
            out["name"] = await trusts.responder_name(session, trust_id=who.trust_id, responder_id=who.responder_id)
        if who.kind == auth.ALERTER and who.trust_id and who.alerter_id:
            out["alerter_id"] = who.alerter_id
            out["name"] = await alerters.alerter_name(session, trust_id=who.trust_id, alerter_id=who.alerter_id)
            # The alerter page dials it in the same tap that raises: it must know it beforehand.
            out["emergency_number"] = (await policies.current_policy(session, who.trust_id))[1].alerter.emergency_number
    if who.kind == auth.STAFF:
        out |= {"staff_id": who.staff_id, "name": who.name, "roles": list(who.roles), "csrf_token": who.csrf_token}
    elif who.kind in (auth.ADMIN, auth.OPERATOR):
        out["roles"] = [r.value for r in Role]  # full rights
    return out


@router.post(
    "/trusts/{trust}/live/tickets",
    status_code=201,
    tags=["trusts"],
    summary="A single-use ticket to open the live map stream (the admin key stays out of URLs)",
)
async def live_ticket(trust: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        await trusts.get_trust(session, trust)
    return await live_map.issue_ticket(services, trust_id=trust, actor=who.actor)


@router.get(
    "/trusts/{trust}/live",
    tags=["trusts"],
    response_class=StreamingResponse,
    summary="Server-sent events of the trust's open incidents, rings and alerted responders",
    responses={200: {"content": {"text/event-stream": {}}}, **declare(401)},
)
async def live_stream(
    trust: str,
    services: ServicesDep,
    ticket: str | None = Query(None, max_length=100, description="From POST .../live/tickets"),
) -> StreamingResponse:
    """Events: `snapshot` (area, AEDs, open incidents), `incident` (one incident's map view, also
    when it closes), `reconnect` (the stream's lifetime is over). Only responders alerted to, on
    their way to or at an open incident appear, never anyone else."""
    await live_map.redeem_ticket(services, trust_id=trust, ticket=ticket)
    return StreamingResponse(
        live_map.stream(services, trust),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/trusts/{trust}/incidents", tags=["trusts"], summary="The trust's incidents, newest first")
async def list_incidents(
    trust: str,
    services: ServicesDep,
    who: AdminDep,
    limit: int = Query(50, ge=1, le=500),
    status: str | None = Query(None, max_length=32),
    source: Annotated[IncidentSource | None, Query(description="`cad` or `alerter`")] = None,
    cad_ref: str | None = Query(None, max_length=128, description="A part of the CAD reference, any case"),
    start: Annotated[Instant | None, Query(alias="from", description="Created at or after (RFC 3339)")] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Created before (RFC 3339)")] = None,
) -> list[dict[str, Any]]:
    """Ended incidents too, however long ago: the console's search by CAD reference, date and status."""
    filters = incident_search.Filters(cad_ref=cad_ref, status=status, start=start, end=end, limit=limit, source=source)
    async with reading(services) as session:
        return await incident_search.search(session, trust_id=trust, filters=filters)


@router.get(
    "/trusts/{trust}/incidents/{incident_id}",
    tags=["trusts"],
    summary="One incident with its responders (named) and timeline",
)
async def get_incident(trust: str, incident_id: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await incidents.view(session, services, trust_id=trust, incident_id=incident_id, with_names=True)


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":")) + "\n"


async def _import_rows(services, trust: str, rows: list[Row], actor: str) -> AsyncIterator[str]:
    total, created, failed = len(rows), 0, 0
    yield _line({"type": "start", "total": total})
    for done, row in enumerate(rows, start=1):
        errors = list(row.errors)
        if row.ok and row.body is not None:
            try:
                async with unit_of_work(services) as uow:  # each row on its own
                    await trusts.create_responder(uow, trust_id=trust, body=row.body, actor=actor)
            except ServiceError as exc:
                errors = [exc.detail]
            except DataError:
                # The answer is already streaming: one row the database refuses is that row's error,
                # never the end of the import (rows after it still run, the summary still comes).
                log.warning("import row refused by the database", extra={"trust_id": trust, "line": row.line})
                errors = ["a value in this row cannot be stored (for example a NUL character)"]
            except Exception:
                log.exception("import row failed", extra={"trust_id": trust, "line": row.line})
                errors = ["this row could not be imported because of an internal error; try it again"]
        if errors:
            failed += 1
        else:
            created += 1
        yield _line(
            {
                "type": "row",
                "line": row.line,
                "id": row.responder_id,
                "ok": not errors,
                "errors": errors,
                "done": done,
                "total": total,
            }
        )
    yield _line({"type": "done", "total": total, "created": created, "failed": failed})


@router.post(
    "/trusts/{trust}/responders/import",
    tags=["trusts"],
    response_class=StreamingResponse,
    summary="Import responders from CSV (id,name,groups[,skills]; lists separated by ';'; groups by id or name)",
    responses={200: {"content": {"application/x-ndjson": {}}}},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_responders(trust: str, request: Request, services: ServicesDep, who: AdminDep) -> StreamingResponse:
    """Each good row is created on its own; each bad row is reported with its line number and why,
    and does not stop the others. The answer is newline-delimited JSON, one line per row as it is
    done (`start`, `row`..., `done`), so a page can show progress. A group may be given by its id or
    by its name (any case); a name shared by two groups is that row's error. A file that cannot be
    read as a table (wrong header, not UTF-8, too many rows) is refused with 422 and nothing is imported."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise Invalid("send the file as text/csv", extra={"errors": [{"loc": "body", "msg": "expected text/csv"}]})
    async with reading(services) as session:
        await trusts.get_trust(session, trust)
        names = {g["id"]: g["name"] for g in await trusts.list_groups(session, trust_id=trust)}
    try:
        rows = parse(decode(await request.body()), max_rows=services.settings.console_import_max_rows, groups=names)
    except CsvFileError as exc:
        raise Invalid(str(exc), extra={"errors": [{"loc": "body", "msg": str(exc)}]}) from exc
    return StreamingResponse(
        _import_rows(services, trust, rows, who.actor),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store"},
    )
