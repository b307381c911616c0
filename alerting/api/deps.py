"""Dependencies shared by the routers: the services, and who is calling."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from alerting.api import access, rate_limits
from alerting.api.documented import refuses
from alerting.domain.roles import ROLE_LABELS, Role, grants
from alerting.services import auth, staff_sessions
from alerting.services.auth import Principal
from alerting.services.context import Services
from alerting.services.errors import Forbidden, NotFound, Unauthorized
from alerting.services.unit_of_work import reading, unit_of_work

_bearer = HTTPBearer(
    auto_error=False, description="A trust admin key, CAD key, responder token, alerter token or operator token"
)
_cookie = APIKeyCookie(
    name=staff_sessions.COOKIE,
    auto_error=False,
    description="A staff session from POST /v1/auth/login or single sign-on; changes need X-CSRF-Token",
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def staff_session(services: Services, request: Request, cookie: str) -> Principal:
    """The person signed in with this cookie; a change they ask for must carry the session's CSRF token."""
    async with reading(services) as session:
        found = await staff_sessions.find(session, token=cookie, settings=services.settings, now=services.clock())
    if found is None:
        raise Unauthorized("the session has ended; sign in again", headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not secrets.compare_digest(sent.encode(), (found.principal.csrf_token or "").encode()):
            raise Forbidden("this request needs the session's X-CSRF-Token header")
    if found.stale:
        async with unit_of_work(services) as uow:
            await staff_sessions.touch(uow, session_id=found.session_id)
    return found.principal


@refuses(401, 429, changes=[403])  # 403: a change sent with the session cookie but without its CSRF token
async def current_principal(
    services: ServicesDep,
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """A bearer token if one is sent, else the staff session cookie."""
    if creds is None and cookie:
        principal = await staff_session(services, request, cookie)
    else:
        principal = await auth.authenticate(services, creds.credentials if creds else None)
    await rate_limits.enforce(services, principal)  # HTTP only: a socket must not read a 429 as a bad token
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _require(*kinds: str):
    @refuses(404)
    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.kind not in kinds:
            # Not yours: answered as absent, so a credential cannot probe what exists elsewhere.
            raise NotFound("not found")
        return principal

    return dependency


_cad_only = _require(auth.CAD)
OperatorDep = Annotated[Principal, Depends(_require(auth.OPERATOR))]
CadDep = Annotated[Principal, Depends(_cad_only)]


async def cad_caller(services: Services, request: Request) -> Principal:
    """What `CadDep` resolves to, from the same functions in the same order, without FastAPI's
    dependency solving: for the CAD's POST (alerting/api/direct.py)."""
    creds = await _bearer(request)
    cookie = await _cookie(request)
    return await _cad_only(await current_principal(services, request, creds, cookie))


ResponderDep = Annotated[Principal, Depends(_require(auth.RESPONDER))]
AlerterDep = Annotated[Principal, Depends(_require(auth.ALERTER))]


StaffDep = Annotated[Principal, Depends(_require(auth.STAFF))]


@refuses(403, 404)
async def trust_admin(trust: str, request: Request, principal: PrincipalDep) -> Principal:
    """The operator, the trust's admin key, or a person of the trust whose roles allow this route
    (alerting/api/access.py); anyone else is told the trust does not exist."""
    if principal.kind == auth.OPERATOR or (principal.kind == auth.ADMIN and principal.trust_id == trust):
        return principal
    if principal.kind == auth.STAFF and principal.trust_id == trust:
        needed = access.required_role(request.method, request.scope["route"].path)
        if grants(principal.roles, needed):
            return principal
        # One's own trust is no secret: say what is missing rather than pretend it is absent.
        raise Forbidden(f"this needs the {ROLE_LABELS[needed]} role, which your account does not have")
    raise NotFound("no such trust")


AdminDep = Annotated[Principal, Depends(trust_admin)]


@refuses(403, 404)
async def incident_actor(principal: PrincipalDep) -> Principal:
    """Who may act on an incident (cancel, alert by hand, escalate, message): the trust's CAD key,
    its admin key, or a person of the trust who holds the dispatcher role. The incident must be of
    the caller's trust (the service answers 404 otherwise)."""
    if principal.kind in (auth.CAD, auth.ADMIN):
        return principal
    if principal.kind == auth.STAFF:
        if grants(principal.roles, Role.DISPATCHER):
            return principal
        raise Forbidden(f"this needs the {ROLE_LABELS[Role.DISPATCHER]} role, which your account does not have")
    raise NotFound("not found")


DispatcherDep = Annotated[Principal, Depends(incident_actor)]
