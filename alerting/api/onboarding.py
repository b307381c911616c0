"""Trust-side onboarding: responder invites, self-registration settings and applications, and the
responders' credentials. Every route takes the trust admin dependency (`AdminDep`); a signed-in
person needs the `verifier` role for them (alerting/api/access.py)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from alerting.api.deps import AdminDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.schemas import ApproveIn, InviteCreated, RefuseIn, RegistrationSettingsIn, VerifyIn
from alerting.services import credentials, invites, registrations
from alerting.services.context import Services
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1/trusts", tags=["onboarding"])

UPLOAD_FORM = (
    "`multipart/form-data` with `kind` (e.g. `cpr`), `expires_on` (YYYY-MM-DD, the last valid day) and `file`: "
    "a PDF, JPEG or PNG of at most 5 MiB (`ALERTING_CREDENTIAL_MAX_BYTES`), recognised by its content: the file "
    "name and the declared type are ignored. Larger: 413. Anything else (an HTML page named .pdf, say): 415, "
    "and nothing is stored. An expiry date already past: 422."
)


def public_base(request: Request, services: Services) -> str:
    """Where responders reach this deployment: the `ALERTING_PUBLIC_URL` setting, else this request's."""
    return services.settings.public_url or str(request.base_url)


def file_response(data: bytes, media_type: str) -> Response:
    """The stored file as an attachment; never rendered inline, so an upload cannot run in our origin."""
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(media_type, "bin")
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="credential.{ext}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/{trust}/responders/{rid}/invites",
    status_code=201,
    response_model=InviteCreated,
    summary="Invite a responder: a one-time sign-in link and its QR code",
)
async def create_invite(trust: str, rid: str, request: Request, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """The link is `<public URL>/responder#invite=<code>`: opening it on the phone loads the responder
    client, which redeems the code (`POST /v1/invites/redeem`) and keeps the token it gets. The code
    sits in the URL fragment, so it never reaches a server log. Single use; it expires after
    `ALERTING_INVITE_TTL_S` (default 7 days). `qr_svg` is the same link as a QR code, an SVG `data:`
    URI to show in an `<img>`; the code is stored hashed, so neither can be fetched again later:
    issue a new invite instead. Earlier unused invites stay valid until they expire."""
    async with unit_of_work(services) as uow:
        return await invites.create(
            uow, trust_id=trust, responder_id=rid, actor=who.actor, base_url=public_base(request, services)
        )


@router.get("/{trust}/registration", summary="The trust's self-registration settings")
async def get_registration_settings(trust: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await registrations.get_settings(session, trust_id=trust)


@router.put("/{trust}/registration", summary="Open or close self-registration; set the required credentials")
async def put_registration_settings(
    trust: str, body: RegistrationSettingsIn, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """`groups`: where approved volunteers are placed unless the approval chooses others.
    `required_credentials`: kinds every responder of the trust (not only the self-registered) must
    hold, verified and unexpired, to be alerted; others are skipped with reason `credential_expired`.
    `warnings` says how many active responders that takes out now."""
    async with unit_of_work(services) as uow:
        return await registrations.put_settings(
            uow,
            trust_id=trust,
            open_=body.open,
            groups=body.groups,
            required=body.required_credentials,
            actor=who.actor,
        )


@router.get("/{trust}/registrations", summary="Applications, newest first")
async def list_registrations(
    trust: str,
    services: ServicesDep,
    who: AdminDep,
    status: Literal["pending", "approved", "refused"] | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31 - 1),
) -> list[dict[str, Any]]:
    async with reading(services) as session:
        return await registrations.list_(
            session, trust_id=trust, status=status, limit=limit, offset=offset, now=services.clock()
        )


@router.get(
    "/{trust}/registrations/{registration_id}/credentials/{credential_id}/file",
    summary="An applicant's uploaded file",
    response_class=Response,
)
async def registration_file(
    trust: str, registration_id: str, credential_id: str, services: ServicesDep, who: AdminDep
) -> Response:
    async with reading(services) as session:
        data, media = await credentials.file(
            session, trust_id=trust, credential_id=credential_id, registration_id=registration_id
        )
    return file_response(data, media)


@router.post(
    "/{trust}/registrations/{registration_id}/approve",
    status_code=201,
    summary="Approve an application: the responder is created and gets an invite link",
    responses=declare(409),
)
async def approve_registration(
    trust: str, registration_id: str, body: ApproveIn, request: Request, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """The uploaded credentials count as verified by this approval. `missing_credentials` lists
    required kinds the applicant did not upload: until they do (`POST /v1/me/credentials`) and a
    verifier checks it, they are not alerted. Answers 409 if the application was decided already."""
    async with unit_of_work(services) as uow:
        return await registrations.approve(
            uow,
            trust_id=trust,
            registration_id=registration_id,
            groups=body.groups,
            responder_id=body.responder_id,
            actor=who.actor,
            base_url=public_base(request, services),
        )


@router.post("/{trust}/registrations/{registration_id}/refuse", summary="Refuse an application", responses=declare(409))
async def refuse_registration(
    trust: str, registration_id: str, body: RefuseIn, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """The applicant's uploaded files are deleted; the application stays, marked refused, with the reason."""
    async with unit_of_work(services) as uow:
        return await registrations.refuse(
            uow, trust_id=trust, registration_id=registration_id, reason=body.reason, actor=who.actor
        )


@router.get("/{trust}/responders/{rid}/credentials", summary="A responder's credentials and what they lack")
async def list_credentials(trust: str, rid: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """`{credentials: [{id, kind, expires_on, expired, status, ...}], required, missing}`: `missing`
    is the required kinds without a verified, unexpired credential, the reason they are not alerted."""
    async with reading(services) as session:
        return await credentials.list_for_responder(session, trust_id=trust, responder_id=rid, now=services.clock())


@router.get(
    "/{trust}/responders/{rid}/credentials/{credential_id}/file",
    summary="A responder's uploaded file",
    response_class=Response,
)
async def credential_file(trust: str, rid: str, credential_id: str, services: ServicesDep, who: AdminDep) -> Response:
    async with reading(services) as session:
        data, media = await credentials.file(session, trust_id=trust, credential_id=credential_id, responder_id=rid)
    return file_response(data, media)


@router.post(
    "/{trust}/responders/{rid}/credentials/{credential_id}/verify",
    summary="Verify a credential (after looking at its file)",
)
async def verify_credential(
    trust: str, rid: str, credential_id: str, services: ServicesDep, who: AdminDep, body: VerifyIn | None = None
) -> dict[str, Any]:
    """A renewal counts only once verified. `expires_on` corrects the date to what the certificate says."""
    async with unit_of_work(services) as uow:
        return await credentials.verify(
            uow,
            trust_id=trust,
            responder_id=rid,
            credential_id=credential_id,
            actor=who.actor,
            expires_on=body.expires_on if body else None,
        )
