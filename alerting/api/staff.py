"""Trust admin endpoints for named staff and the trust's API (admin) key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from alerting.api.deps import AdminDep, ServicesDep
from alerting.api.documented import declare
from alerting.api.schemas import Strict
from alerting.domain.documents import EMAIL, Flag
from alerting.domain.roles import Role
from alerting.services import admin_keys, staff
from alerting.services.unit_of_work import reading, unit_of_work

router = APIRouter(prefix="/v1/trusts", tags=["staff"])

Email = Field(min_length=3, max_length=254, pattern=EMAIL)
Roles = Field(min_length=1, max_length=5, description="Any of viewer, dispatcher, policy, verifier, admin")


class StaffIn(Strict):
    email: str = Email
    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Roles


class StaffPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=5)
    active: Flag | None = Field(default=None, description="false ends the person's sessions at once")


class RotateIn(Strict):
    grace_s: float | None = Field(
        default=None,
        strict=True,
        allow_inf_nan=False,
        ge=0,
        le=30 * 86_400,
        description="How long the previous key keeps working; default ALERTING_ADMIN_KEY_GRACE_S",
    )


def _base_url(request: Request) -> str:
    return str(request.base_url)


@router.post(
    "/{trust}/staff",
    status_code=201,
    summary="Add a person and invite them to set a password (admin)",
    responses=declare(409),
)
async def create_staff(
    trust: str, body: StaffIn, request: Request, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """The answer carries a single-use `invite_url` (and its `invite_code`), valid until
    `invite_expires_at` (ALERTING_STAFF_INVITE_TTL_S). A person who signs in through the trust's
    identity provider needs no password and can ignore it. 409 if the email is already a member."""
    async with unit_of_work(services) as uow:
        return await staff.create(
            uow,
            trust_id=trust,
            email=body.email,
            name=body.name,
            roles=[r.value for r in body.roles],
            actor=who.actor,
            base_url=_base_url(request),
        )


@router.get("/{trust}/staff", summary="The trust's staff (admin)")
async def list_staff(trust: str, services: ServicesDep, who: AdminDep) -> list[dict[str, Any]]:
    async with reading(services) as session:
        return await staff.list_staff(session, trust_id=trust)


@router.get("/{trust}/staff/{staff_id}", summary="One person (admin)")
async def get_staff(trust: str, staff_id: str, services: ServicesDep, who: AdminDep) -> dict[str, Any]:
    async with reading(services) as session:
        return await staff.get(session, trust_id=trust, staff_id=staff_id)


@router.patch("/{trust}/staff/{staff_id}", summary="Rename, change roles, deactivate or reactivate (admin)")
async def patch_staff(
    trust: str, staff_id: str, body: StaffPatch, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "roles" in changes:
        changes["roles"] = [Role(r).value for r in changes["roles"]]
    async with unit_of_work(services) as uow:
        return await staff.update(uow, trust_id=trust, staff_id=staff_id, changes=changes, actor=who.actor)


@router.delete("/{trust}/staff/{staff_id}", status_code=204, summary="Remove a person; their sessions end (admin)")
async def delete_staff(trust: str, staff_id: str, services: ServicesDep, who: AdminDep) -> Response:
    """Audit entries keep the name the person had when they acted."""
    async with unit_of_work(services) as uow:
        await staff.erase(uow, trust_id=trust, staff_id=staff_id, actor=who.actor)
    return Response(status_code=204)


@router.post(
    "/{trust}/staff/{staff_id}/invite", status_code=201, summary="A new invite link (admin)", responses=declare(409)
)
async def reinvite_staff(
    trust: str, staff_id: str, request: Request, services: ServicesDep, who: AdminDep
) -> dict[str, Any]:
    """Replaces any earlier invite of the person; also how a forgotten password is reset."""
    async with unit_of_work(services) as uow:
        return await staff.invite_again(
            uow, trust_id=trust, staff_id=staff_id, actor=who.actor, base_url=_base_url(request)
        )


@router.post("/{trust}/admin-key/rotate", status_code=201, summary="Issue a new API (admin) key (admin)")
async def rotate_admin_key(
    trust: str, services: ServicesDep, who: AdminDep, body: RotateIn | None = None
) -> dict[str, Any]:
    """The new key is shown once and stored hashed; the previous keys keep working until
    `previous_valid_until` (ALERTING_ADMIN_KEY_GRACE_S, or `grace_s`), so automation can switch over."""
    async with unit_of_work(services) as uow:
        return await admin_keys.rotate(uow, trust_id=trust, actor=who.actor, grace_s=body.grace_s if body else None)
