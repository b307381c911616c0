"""Where a responder is pushed when they have no socket: their devices, each of a kind (Web Push,
FCM, APNs), and sending one message to all of a responder's.

A responder may register several devices (a phone and a tablet, an Android or iOS app next to a
browser). Each is sent with the provider of its kind, again when its service was busy (429, 5xx:
alerting/push/retry.py); a device its push service says is gone is forgotten, and the others
still count. Registering the same device again replaces it, and a
responder keeps at most `push_max_devices` (the oldest goes first).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from alerting.domain.vocabulary import ErrorCode, PushKind
from alerting.push.base import PushFailed, PushMessage, SubscriptionGone
from alerting.push.retry import RetryPolicy, send_with_retries
from alerting.services.context import Services
from alerting.services.errors import Invalid
from alerting.services.unit_of_work import UnitOfWork
from alerting.store.models import PushDevice
from alerting.timefmt import utc

__all__ = ["Delivery", "KindUnsupported", "devices_of", "forget", "register", "send"]

log = logging.getLogger(__name__)

Responder = tuple[str, str]  # (trust id, responder id)


class KindUnsupported(Invalid):
    code = ErrorCode.PUSH_KIND_UNSUPPORTED


def address(kind: PushKind, name: str) -> str:
    """What tells one device from another: a hash of the part of its target naming it."""
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()


async def register(
    uow: UnitOfWork, *, trust_id: str, responder_id: str, kind: PushKind, name: str, target: Mapping[str, Any]
) -> None:
    """Adds the device, or replaces what the same device registered before."""
    services = uow.services
    provider = services.push.get(kind)
    if provider is None:
        offered = ", ".join(sorted(services.push.kinds)) or "none"
        raise KindUnsupported(
            f"this deployment sends no {kind} pushes (it sends: {offered})",
            extra={"code": KindUnsupported.code, "errors": [{"loc": "kind", "msg": f"one of: {offered}"}]},
        )
    refusal = provider.refusal(target)
    if refusal is not None:
        loc, why = refusal
        raise Invalid(f"this device cannot be reached: {why}", extra={"errors": [{"loc": loc, "msg": why}]})
    session, at = uow.session, address(kind, name)
    found = (
        await session.execute(
            select(PushDevice).where(
                PushDevice.trust_id == trust_id,
                PushDevice.responder_id == responder_id,
                PushDevice.kind == kind,
                PushDevice.address == at,
            )
        )
    ).scalar_one_or_none()
    now = utc(services.clock())
    if found is not None:
        found.target, found.created_at = dict(target), now
        return
    session.add(
        PushDevice(
            id=uuid.uuid4().hex,
            trust_id=trust_id,
            responder_id=responder_id,
            kind=kind,
            address=at,
            target=dict(target),
            created_at=now,
        )
    )
    await session.flush()
    kept = services.settings.push_max_devices
    older = (
        (
            await session.execute(
                select(PushDevice.id)
                .where(PushDevice.trust_id == trust_id, PushDevice.responder_id == responder_id)
                .order_by(PushDevice.created_at.desc(), PushDevice.id)
                .offset(kept)
            )
        )
        .scalars()
        .all()
    )
    if older:
        await session.execute(delete(PushDevice).where(PushDevice.id.in_(older)))


async def devices_of(session: AsyncSession, responders: Collection[Responder]) -> dict[Responder, list[PushDevice]]:
    found: dict[Responder, list[PushDevice]] = defaultdict(list)
    if responders:
        query = select(PushDevice).where(tuple_(PushDevice.trust_id, PushDevice.responder_id).in_(list(responders)))
        for device in (await session.execute(query.order_by(PushDevice.created_at))).scalars():
            found[(device.trust_id, device.responder_id)].append(device)
    return found


@dataclass
class Delivery:
    """What became of one message sent to one responder's devices."""

    accepted: int = 0  # devices whose push service took the message
    gone: list[str] = field(default_factory=list)  # device ids to forget
    failures: list[str] = field(default_factory=list)  # why the others did not take it, in words

    @property
    def reason(self) -> str:
        """Why nothing was delivered, for the incident's timeline."""
        if self.failures:
            return "; ".join(self.failures)
        return "subscription gone" if self.gone else "no device"


async def send(services: Services, devices: Collection[PushDevice], message: PushMessage) -> Delivery:
    """Sends `message` to every device, each with the provider of its kind."""
    outcome = Delivery()
    settings = services.settings
    retry = RetryPolicy(settings.push_retry_attempts, settings.push_retry_base_s, settings.push_retry_max_wait_s)
    for device in devices:
        provider = services.push.get(device.kind)
        if provider is None:
            outcome.failures.append(f"no {device.kind} provider")
            continue
        try:
            await send_with_retries(provider, device.target, message, retry)
            outcome.accepted += 1
        except SubscriptionGone:
            outcome.gone.append(device.id)
        except PushFailed as exc:
            outcome.failures.append(str(exc))
    return outcome


async def forget(uow: UnitOfWork, device_ids: Collection[str]) -> None:
    if device_ids:
        await uow.session.execute(delete(PushDevice).where(PushDevice.id.in_(list(device_ids))))
