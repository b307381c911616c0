"""The routes a volunteer uses before holding a responder token: redeeming an invite, applying to a
trust, and uploading the application's credentials."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alerting.api.deps import ServicesDep
from alerting.api.documented import declare
from alerting.api.onboarding import UPLOAD_FORM
from alerting.api.schemas import CredentialKind, RedeemIn, RegistrationIn
from alerting.domain.documents import Day
from alerting.live.rate_limit import RateLimiter
from alerting.services import invites, registrations
from alerting.services.context import Services
from alerting.services.errors import TooLarge, TooMany
from alerting.services.unit_of_work import unit_of_work

router = APIRouter(prefix="/v1", tags=["onboarding"])
_upload_token = HTTPBearer(
    auto_error=False, scheme_name="UploadToken", description="The upload token returned with the application"
)


@dataclass(frozen=True)
class CredentialUpload:
    kind: str
    expires_on: date
    data: bytes


async def credential_form(
    request: Request,
    kind: Annotated[CredentialKind, Form()],
    expires_on: Annotated[Day, Form(description="The last day the credential is valid")],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 5 MiB")],
) -> CredentialUpload:
    """Reads one byte past the limit, never more, so an oversized file is refused without buffering it."""
    limit = request.app.state.services.settings.credential_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"the file is larger than {limit} bytes ({limit // 1_048_576} MiB)")
    return CredentialUpload(kind, expires_on, data)


CredentialForm = Annotated[CredentialUpload, Depends(credential_form)]


@router.post(
    "/invites/redeem",
    status_code=201,
    summary="Redeem an invite code: signs the responder client (or the alerter page) in",
    responses=declare(404, 410, 429),
)
async def redeem_invite(body: RedeemIn, request: Request, services: ServicesDep) -> dict[str, Any]:
    """`{token, responder_id, trust_id}`: the responder token, shown once. The code is spent: a used
    or expired code answers 410 (`code` `invite_used` or `invite_expired`), an unknown one 404, and
    neither issues anything. An alerter's invite answers `{token, alerter_id, trust_id}` with an
    alerter token; the trust's open alerter link makes a new alerter (named `name`, if given) at
    each redeem, at most `ALERTING_REGISTRATION_BURST` at once per address (429), and answers 410
    `invite_replaced` once rotated or `invite_closed` while the policy does not let anyone alert."""
    client = request.client.host if request.client else "unknown"
    async with unit_of_work(services) as uow:
        return await invites.redeem(uow, code=body.code, name=body.name, client=client)


async def _limit_applications(services: Services, trust: str, request: Request) -> None:
    """Per trust and client address: applications need no credential, so they are cheap to flood."""
    s = services.settings
    address = request.client.host if request.client else "unknown"
    decision = await RateLimiter(services.redis, services.keys).take(
        "registration",
        f"{trust}:{address}",
        rate=s.registration_rate_per_hour / 3600,
        burst=s.registration_burst,
        now=services.clock(),
    )
    if not decision.allowed:
        retry = max(1, math.ceil(decision.retry_after_s))
        raise TooMany(
            f"too many applications from this address; retry in {retry} s", headers={"Retry-After": str(retry)}
        )


@router.post(
    "/trusts/{trust}/registrations",
    status_code=201,
    tags=["onboarding"],
    summary="Apply to volunteer with a trust (no credential; rate-limited)",
    responses=declare(429),
)
async def apply(trust: str, body: RegistrationIn, request: Request, services: ServicesDep) -> dict[str, Any]:
    """`{id, upload_token, status, required_credentials}`. Send each credential to
    `POST /v1/registrations/{id}/credentials` with `Authorization: Bearer <upload_token>`. A trust not
    taking applications answers 404. At most `ALERTING_REGISTRATION_BURST` applications at once per
    trust and client address, refilled at `ALERTING_REGISTRATION_RATE_PER_HOUR`; beyond: 429."""
    await _limit_applications(services, trust, request)
    async with unit_of_work(services) as uow:
        return await registrations.apply(uow, trust_id=trust, name=body.name, email=body.email, phone=body.phone)


@router.post(
    "/registrations/{registration_id}/credentials",
    status_code=201,
    summary="Upload a credential to an application (upload token)",
    description=UPLOAD_FORM + " Only while the application is pending (else 409).",
    responses=declare(401, 409),
)
async def upload_credential(
    registration_id: str,
    upload: CredentialForm,
    services: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_upload_token)],
) -> dict[str, Any]:
    async with unit_of_work(services) as uow:
        return await registrations.upload(
            uow,
            registration_id=registration_id,
            token=creds.credentials if creds else None,
            kind=upload.kind,
            expires_on=upload.expires_on,
            data=upload.data,
        )
