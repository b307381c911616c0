"""Credential management for trust admins: rotating the CAD key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from alerting.api.deps import AdminDep, ServicesDep
from alerting.domain.documents import Document
from alerting.services import cad_keys
from alerting.services.unit_of_work import unit_of_work

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


class RotateIn(Document):
    grace_s: float | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=30 * 86_400,
        allow_inf_nan=False,
        description="How long the previous key keeps working; default ALERTING_CAD_KEY_GRACE_S",
    )


class RotateOut(BaseModel):
    cad_key: str = Field(description="The new CAD key, shown once")
    previous_keys_expire_at: str | None = Field(description="When the keys it replaces stop working (RFC 3339)")
    grace_s: float


@router.post("/{trust}/keys/rotate", response_model=RotateOut, summary="Issue a new CAD key (admin)")
async def rotate_cad_key(
    trust: str, services: ServicesDep, who: AdminDep, body: RotateIn | None = None
) -> dict[str, Any]:
    """The new key is shown once and stored hashed. The previous key keeps authenticating, and
    webhooks carry a second `v1` signature made with it, until `previous_keys_expire_at`, so a CAD
    can switch over without a gap."""
    grace = body.grace_s if body else None
    async with unit_of_work(services) as uow:
        return await cad_keys.rotate(uow, trust_id=trust, actor=who.actor, grace_s=grace)
