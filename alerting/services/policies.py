"""Trust policies: versioned, validated, audited; incidents keep the version they ran under."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain import audit_text
from alerting.domain.policy import Policy, PolicyError, build_policy
from alerting.domain.policy_document import within_bounds
from alerting.services.errors import Invalid, NotFound
from alerting.services.policy_cache import PolicyVersionCache
from alerting.services.trust_cache import trust_area
from alerting.services.trusts import get_trust
from alerting.services.unit_of_work import UnitOfWork
from alerting.store import audit
from alerting.store.models import Group, PolicyVersion
from alerting.timefmt import utc

log = logging.getLogger(__name__)

_cache: dict[tuple[str, int], Policy] = {}


def _parse_stored(body: dict[str, Any]) -> Policy:
    groups = {g for p in body.get("phases", []) for g in p["groups"]}
    groups |= {g for z in body.get("zones") or [] for p in z.get("phases", []) for g in p["groups"]}
    groups |= set((body.get("alerter") or {}).get("groups") or [])
    try:
        policy, _ = build_policy(body, known_groups=groups, refuse_duplicates=False)
    except (PolicyError, ValidationError) as exc:
        # Saved before today's bounds: one old version must not stop every incident of the trust.
        log.warning("a stored policy is outside today's bounds; using it clamped to them", exc_info=exc)
        policy, _ = build_policy(within_bounds(body), known_groups=groups, refuse_duplicates=False)
    return policy


async def policy_version(session: AsyncSession, trust_id: str, version: int) -> Policy:
    key = (trust_id, version)
    if key not in _cache:
        row = await session.get(PolicyVersion, key)
        if row is None:
            raise LookupError(f"policy v{version} of trust {trust_id} is missing")
        _cache[key] = _parse_stored(row.body)
    return _cache[key]


async def current(session: AsyncSession, trust_id: str) -> tuple[int, dict[str, Any]] | None:
    row = (
        await session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.trust_id == trust_id)
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return (row.version, row.body) if row else None


async def current_view(session: AsyncSession, *, trust_id: str) -> dict[str, Any]:
    """The trust's newest policy with its `version`; 404 for no such trust or no policy yet."""
    await get_trust(session, trust_id)
    found = await current(session, trust_id)
    if found is None:
        raise NotFound("this trust has no policy yet")
    version, body = found
    return {**body, "version": version}


_NEWEST_VERSION = select(func.max(PolicyVersion.version)).where(PolicyVersion.trust_id == bindparam("trust_id"))


async def current_policy(
    session: AsyncSession, trust_id: str, *, remembered: PolicyVersionCache | None = None
) -> tuple[int | None, Policy]:
    """Only the version number is read: versions never change once written, so the parsed policy is cached.
    With `remembered`, the number may be what this process remembers (services/policy_cache.py): only
    for a caller that checks it as it writes, since another process's change may not be heard yet."""
    known, version = remembered.get(trust_id) if remembered is not None else (False, None)
    if not known:
        read_at = remembered.generation if remembered is not None else 0
        version = (await session.execute(_NEWEST_VERSION, {"trust_id": trust_id})).scalar_one_or_none()
        if remembered is not None:
            remembered.put(trust_id, version, read_at=read_at)
    if version is None:
        return None, Policy(phases=())
    return version, await policy_version(session, trust_id, version)


async def _checked(session: AsyncSession, trust_id: str, body: dict[str, Any]) -> list[str]:
    """The warnings of a valid document; 422 naming each bad field otherwise."""
    groups = set((await session.execute(select(Group.id).where(Group.trust_id == trust_id))).scalars())
    area = (await trust_area(session, trust_id)).geom
    try:
        _, warnings = build_policy(body, known_groups=groups, area=area)
    except PolicyError as exc:
        raise Invalid(
            "the policy is not valid", extra={"errors": [{"loc": e.loc, "msg": e.msg} for e in exc.errors]}
        ) from exc
    return warnings


async def preview(session: AsyncSession, *, trust_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What saving `body` would change, field by field in the audit's words, and its warnings; it
    is refused exactly as saving it would be, and nothing is saved."""
    await get_trust(session, trust_id)
    warnings = await _checked(session, trust_id, body)
    before = await current(session, trust_id)
    groups = dict((await session.execute(select(Group.id, Group.name).where(Group.trust_id == trust_id))).all())
    return {
        "version": before[0] if before else None,
        "changes": audit_text.changes(before[1] if before else None, body, audit_text.Names(groups=groups)),
        "warnings": warnings,
    }


async def put(
    session: AsyncSession, *, trust_id: str, body: dict[str, Any], actor: str, now: float
) -> tuple[int, list[str]]:
    warnings = await _checked(session, trust_id, body)
    before = await current(session, trust_id)
    version = (
        (
            await session.execute(select(func.max(PolicyVersion.version)).where(PolicyVersion.trust_id == trust_id))
        ).scalar()
        or 0
    ) + 1
    session.add(PolicyVersion(trust_id=trust_id, version=version, body=body, created_at=utc(now), created_by=actor))
    await audit.append(
        session,
        at=utc(now),
        actor=actor,
        action="policy.update",
        trust_id=trust_id,
        target=f"policy v{version}",
        before=before[1] if before else None,
        after=body,
    )
    return version, warnings


async def replace(uow: UnitOfWork, *, trust_id: str, body: dict[str, Any], actor: str) -> tuple[int, list[str]]:
    """A new version for a trust that exists (404 otherwise); the version and any warnings."""
    await get_trust(uow.session, trust_id)
    return await put(uow.session, trust_id=trust_id, body=body, actor=actor, now=uow.services.clock())
