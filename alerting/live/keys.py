"""Redis key and channel names. The trust sits in a hash tag so a trust's keys share a cluster slot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str

    def _t(self, trust: str) -> str:
        return f"{self.prefix}{{t:{trust}}}"

    def incident(self, trust: str, incident_id: str) -> str:
        return f"{self._t(trust)}:inc:{incident_id}"

    def winners(self, trust: str, incident_id: str) -> str:
        return f"{self._t(trust)}:inc:{incident_id}:won"

    def responder_channel(self, trust: str, responder_id: str) -> str:
        return f"{self._t(trust)}:r:{responder_id}"

    def trust_channel(self, trust: str) -> str:
        return f"{self._t(trust)}:events"

    def rate(self, scope: str, subject: str) -> str:
        return f"{self.prefix}rate:{scope}:{subject}"

    def celery_queue(self) -> str:
        return f"{self.prefix}celery"

    def pushed(self, trust: str, alert_id: str) -> str:
        """Set once an alert has gone by push, so two push checks never push it twice."""
        return f"{self._t(trust)}:pushed:{alert_id}"
