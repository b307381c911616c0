"""Signing staff in and out: invites, email and password, the session cookie."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from alerting.api.deps import ServicesDep, StaffDep
from alerting.api.documented import declare
from alerting.api.schemas import Strict
from alerting.services import passwords, staff, staff_sessions
from alerting.services.context import Services
from alerting.services.unit_of_work import unit_of_work

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])


class PasswordIn(Strict):
    password: str = Field(min_length=passwords.MIN_LENGTH, max_length=passwords.MAX_LENGTH)


class LoginIn(Strict):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


def set_session_cookie(response: Response, services: Services, token: str) -> None:
    settings = services.settings
    response.set_cookie(
        staff_sessions.COOKIE,
        token,
        max_age=int(settings.session_absolute_timeout_s),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.environment != "development",
    )


def signed_in_body(signed: staff_sessions.SignedIn) -> dict[str, Any]:
    s = signed.staff
    return {
        "staff": {k: s[k] for k in ("id", "email", "name", "trust_id", "roles")},
        "csrf_token": signed.csrf_token,
    }


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/invites/{code}", summary="Set the password of an invited person (single use)", responses=declare(410))
async def accept_invite(code: str, body: PasswordIn, services: ServicesDep) -> dict[str, Any]:
    """12 to 256 characters. An unknown or already used code answers 404, an expired one 410."""
    async with unit_of_work(services) as uow:
        return {"staff": await staff.accept_invite(uow, code=code[:200], password=body.password)}


@router.post("/login", summary="Sign in with email and password; sets the session cookie", responses=declare(401, 429))
async def login(body: LoginIn, request: Request, response: Response, services: ServicesDep) -> dict[str, Any]:
    """Wrong email, wrong password and a deactivated account all answer the same 401. Failures are
    limited per account and per client address (ALERTING_LOGIN_FAILURES_PER_ACCOUNT / _PER_ADDRESS
    within ALERTING_LOGIN_FAILURE_WINDOW_S): beyond them 429 with `Retry-After`, even for the right
    password. Requests made with the cookie that change anything must send `X-CSRF-Token` with
    `csrf_token`."""
    async with unit_of_work(services) as uow:
        signed = await staff_sessions.login(
            uow, email=body.email, password=body.password, address=client_address(request)
        )
    set_session_cookie(response, services, signed.token)
    return signed_in_body(signed)


@router.post("/logout", status_code=204, summary="End this session")
async def logout(request: Request, services: ServicesDep, who: StaffDep) -> Response:
    token = request.cookies.get(staff_sessions.COOKIE, "")
    async with unit_of_work(services) as uow:
        await staff_sessions.logout(uow, token=token)
    response = Response(status_code=204)
    response.delete_cookie(staff_sessions.COOKIE, path="/")
    return response
