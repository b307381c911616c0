"""Dependencies shared by the routers: the services, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alerting.api import rate_limits
from alerting.services import auth
from alerting.services.auth import Principal
from alerting.services.context import Services
from alerting.services.errors import NotFound, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="A trust admin key, CAD key, responder token or operator token")


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def authenticate(services: Services, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    async with services.sessions() as session:
        principal = await auth.resolve(
            session, token, now=services.clock(), operator_hash=services.extras.get("operator_hash")
        )
    if principal is None:
        raise Unauthorized("the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"})
    return principal


async def current_principal(
    services: ServicesDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    principal = await authenticate(services, creds.credentials if creds else None)
    await rate_limits.enforce(services, principal)  # HTTP only: a socket must not read a 429 as a bad token
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _require(*kinds: str):
    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.kind not in kinds:
            # Not yours: answered as absent, so a credential cannot probe what exists elsewhere.
            raise NotFound("not found")
        return principal

    return dependency


OperatorDep = Annotated[Principal, Depends(_require(auth.OPERATOR))]
CadDep = Annotated[Principal, Depends(_require(auth.CAD))]
ResponderDep = Annotated[Principal, Depends(_require(auth.RESPONDER))]


async def trust_admin(trust: str, principal: PrincipalDep) -> Principal:
    """The trust's admin, or the operator; anyone else is told the trust does not exist."""
    if principal.kind == auth.OPERATOR or (principal.kind == auth.ADMIN and principal.trust_id == trust):
        return principal
    raise NotFound("no such trust")


AdminDep = Annotated[Principal, Depends(trust_admin)]
