"""The policy's `alerter` section as the value the rules read (see `alerting.domain.alerters`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerting.domain.policy_document import AlerterIn

__all__ = ["AlerterRules"]

_DEFAULTS = AlerterIn()


@dataclass(frozen=True, slots=True)
class AlerterRules:
    enabled: bool = _DEFAULTS.enabled
    mode: str = _DEFAULTS.mode  # auto | confirm
    who: str = _DEFAULTS.who  # registered | anyone
    radius_m: float = _DEFAULTS.radius_m
    groups: tuple[str, ...] = field(default_factory=tuple)  # empty: the groups of the trust's first phase
    emergency_number: str = _DEFAULTS.emergency_number
    max_per_day: int = _DEFAULTS.max_per_day
    accept_limit: int = _DEFAULTS.accept_limit
    confirm_timeout_s: float = _DEFAULTS.confirm_timeout_s  # confirm mode: a raise unconfirmed this long is closed

    @property
    def confirm(self) -> bool:
        return self.mode == "confirm"

    @classmethod
    def from_document(cls, doc: AlerterIn | None) -> AlerterRules:
        if doc is None:
            return cls()
        return cls(
            enabled=doc.enabled,
            mode=doc.mode,
            who=doc.who,
            radius_m=doc.radius_m,
            groups=tuple(dict.fromkeys(doc.groups)),
            emergency_number=doc.emergency_number,
            max_per_day=doc.max_per_day,
            accept_limit=doc.accept_limit,
            confirm_timeout_s=doc.confirm_timeout_s,
        )
