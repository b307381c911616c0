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

    def alerter_channel(self, trust: str, alerter_id: str) -> str:
        """The alerter's frames: help, messages, stand-down (alerting/realtime/alerter_gateway.py)."""
        return f"{self._t(trust)}:a:{alerter_id}"

    def tracking(self, trust: str, responder_id: str) -> str:
        """The hint that a responder is on their way to an incident (alerting/live/tracking.py)."""
        return f"{self._t(trust)}:track:{responder_id}"

    def trust_channel(self, trust: str) -> str:
        return f"{self._t(trust)}:events"

    def credentials_channel(self) -> str:
        """Every API process hears here that credentials changed (services/credential_cache.py)."""
        return f"{self.prefix}credentials"

    def policies_channel(self) -> str:
        """Every API process hears here that a trust's policy changed (services/policy_cache.py)."""
        return f"{self.prefix}policies"

    def keepalive_channel(self) -> str:
        """A channel nobody publishes to: redis-py's listener reads only once it holds a subscription."""
        return f"{self.prefix}keepalive"

    def index_generation(self) -> str:
        """The live index's generation (live/index_generation.py): it vanishes with the index's data."""
        return f"{self.prefix}live:generation"

    def index_nodes(self) -> str:
        """API processes heartbeating, by the time of their last beat."""
        return f"{self.prefix}live:nodes"

    def index_republished(self, generation: str) -> str:
        """The processes that wrote their sockets' positions back for `generation`."""
        return f"{self.prefix}live:republished:{generation}"

    def webhook_lock(self, incident_id: str) -> str:
        """Held by the one worker delivering an incident's webhooks."""
        return f"{self.prefix}webhooks:lock:{incident_id}"

    def console_ticket(self, ticket_hash: str) -> str:
        """A single-use live-map ticket, by its hash."""
        return f"{self.prefix}console:ticket:{ticket_hash}"

    def sso_attempt(self, state_hash: str) -> str:
        """A single sign-on attempt awaiting the identity provider's answer, by its state's hash."""
        return f"{self.prefix}sso:attempt:{state_hash}"

    def rate(self, scope: str, subject: str) -> str:
        return f"{self.prefix}rate:{scope}:{subject}"

    def task_queue(self) -> str:
        """The Celery queue's name (alerting/services/task_queue.py)."""
        return f"{self.prefix}tasks"

    def task_list(self) -> str:
        """The Redis list holding waiting tasks: kombu puts its global key prefix (ours) before the queue name."""
        return f"{self.prefix}{self.task_queue()}"

    def pushed(self, trust: str, alert_id: str) -> str:
        """Set once an alert has gone by push, so two push checks never push it twice."""
        return f"{self._t(trust)}:pushed:{alert_id}"
