"""Single sign-on: a trust admin connects the trust's OpenID Connect identity provider; people sign
in through it (authorization code flow with PKCE, `state` and `nonce`)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from alerting.api.deps import AdminDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.schemas import Strict
from alerting.api.sign_in import set_session_cookie
from alerting.domain.documents import Flag
from alerting.services import sso
from alerting.services.context import Services
from alerting.services.errors import ServiceError, Unauthorized
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(tags=["sign-in"])
log = logging.getLogger(__name__)
CALLBACK = "/v1/auth/sso/callback"


class ProviderSaidNo(Unauthorized):
    """The provider came back without a code: the person cancelled, or it refused them."""


def refusal_reason(exc: ServiceError) -> str:
    """A fixed word for the console to explain (never the detail: nobody can put text on the page)."""
    if isinstance(exc, ProviderSaidNo):
        return "provider"
    return {400: "attempt", 401: "token", 403: "account", 503: "unavailable"}.get(exc.status, "failed")


class SsoIn(Strict):
    issuer: str = Field(
        min_length=8,
        max_length=500,
        pattern=r"^https?://[^/?#\x00-\x20\x7f]+[^?#\x00-\x20\x7f]*$",
        description="The provider's issuer URL: https (http only in development), without query or fragment",
    )
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Stored encrypted; never shown again. Needed the first time; left out later, the stored one is kept",
    )
    allowed_domains: list[str] = Field(
        default_factory=list, max_length=50, description="Email domains that may sign in; empty: any"
    )
    create_viewers: Flag = Field(
        default=False, description="A person the trust does not know yet gets a viewer account on first sign-in"
    )
    name: str | None = Field(
        default=None, max_length=100, description="The button's words: Sign in with <name>; default the issuer's host"
    )


def _redirect_uri(services: Services, request: Request) -> str:
    base = (services.settings.public_url or str(request.base_url)).rstrip("/")
    return base + CALLBACK


@router.put("/v1/trusts/{trust}/sso", tags=["staff"], summary="Connect the trust's identity provider (admin)")
async def put_sso(trust: str, body: SsoIn, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    """The provider's discovery document (`<issuer>/.well-known/openid-configuration`) must answer
    with the same `issuer`, or nothing is saved (422). Register `<console URL>/v1/auth/sso/callback`
    as the redirect URI at the provider."""
    async with unit_of_work(services) as uow:
        return await sso.configure(uow, trust_id=trust, body=body.model_dump(), actor=who.actor)


@router.get("/v1/trusts/{trust}/sso", tags=["staff"], summary="The trust's identity provider, without its secret")
async def get_sso(trust: str, request: Request, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        found = await sso.get_settings(session, trust_id=trust)
    return {**found, "redirect_uri": _redirect_uri(services, request)}


# Declared before /v1/auth/sso/{trust}, which would otherwise take `callback` for a trust id.
@router.get(
    CALLBACK,
    status_code=302,
    response_class=RedirectResponse,
    summary="The identity provider returns here; sets the session and goes back to the console",
    responses=declare(400, 401, 403),
)
async def sso_callback(
    request: Request,
    services: ServicesDep,
    state: str = Query("", max_length=200),
    code: str | None = Query(None, max_length=2000),
    error: str | None = Query(None, max_length=200),
) -> RedirectResponse:
    """A `state` works once and only in the browser that started; the ID token must be signed by a
    key of the provider's JWKS and carry its `iss`, this trust's client id as `aud`, an unexpired
    `exp` and the attempt's `nonce`; the person must be an active member of the trust with that
    (verified) email. Every refusal signs no one in: problem+json, or for a browser (`Accept:
    text/html`) a redirect to `/admin?sso_error=<reason>`, where the console explains it in words."""
    try:
        record = await sso.take_attempt(services, state=state, browser=request.cookies.get(sso.BROWSER_COOKIE))
        if error or not code:
            raise ProviderSaidNo(f"the identity provider did not sign the person in ({error or 'no code'})")
        async with unit_of_work(services) as uow:
            signed, next_path = await sso.complete(uow, record=record, code=code)
    except ServiceError as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        log.info("single sign-on refused a browser", extra={"status": exc.status, "detail": exc.detail})
        return RedirectResponse(f"/admin?sso_error={refusal_reason(exc)}", status_code=302)
    response = RedirectResponse(next_path, status_code=302)
    set_session_cookie(response, services, signed.token)
    response.delete_cookie(sso.BROWSER_COOKIE, path="/v1/auth/sso")
    return response


@router.get("/v1/auth/sso/{trust}", summary="Whether a trust offers single sign-on, and the button's words")
async def sso_info(trust: str, services: ServicesDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await sso.public_info(session, trust_id=trust)


@router.get(
    "/v1/auth/sso/{trust}/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Start single sign-on: 302 to the trust's identity provider",
)
async def sso_login(
    trust: str,
    request: Request,
    services: ServicesDep,
    next: str | None = Query(None, max_length=500, description="A path on this site to return to"),
) -> RedirectResponse:
    async with reading(services) as session:
        started = await sso.begin(
            services, session, trust_id=trust, redirect_uri=_redirect_uri(services, request), next_path=next
        )
    response = RedirectResponse(started.url, status_code=302)
    response.set_cookie(
        sso.BROWSER_COOKIE,
        started.browser,
        max_age=services.settings.sso_state_ttl_s,
        path="/v1/auth/sso",
        httponly=True,
        samesite="lax",
        secure=services.settings.environment != "development",
    )
    return response
