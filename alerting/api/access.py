"""Which staff role each trust route needs: one table, read by `deps.trust_admin`.

The operator and the trust's admin (API) key may do everything here. A signed-in person of the
trust needs the role in the table (`admin` holds every role); a route missing from the table
needs `admin`, so a new route is closed until someone decides who may use it.
"""

from __future__ import annotations

from alerting.domain.roles import Role

__all__ = ["REQUIRED_ROLE", "required_role"]

T = "/v1/trusts/{trust}"
REQUIRED_ROLE: dict[tuple[str, str], Role] = {
    # reading the trust, its incidents, the live map and the audit: every role
    ("GET", T): Role.VIEWER,
    ("GET", f"{T}/groups"): Role.VIEWER,
    ("GET", f"{T}/policy"): Role.VIEWER,
    ("GET", f"{T}/policy/zones"): Role.VIEWER,
    ("GET", f"{T}/audit"): Role.VIEWER,
    ("GET", f"{T}/incidents"): Role.VIEWER,
    ("GET", f"{T}/incidents/{{incident_id}}"): Role.VIEWER,
    ("GET", f"{T}/incidents/{{incident_id}}/export"): Role.VIEWER,
    ("POST", f"{T}/live/tickets"): Role.VIEWER,
    ("GET", f"{T}/stats"): Role.VIEWER,
    ("GET", f"{T}/coverage"): Role.VIEWER,
    # who a dispatcher could alert by hand, with names and positions: dispatchers only
    ("GET", f"{T}/incidents/{{incident_id}}/nearby"): Role.DISPATCHER,
    # policy, zones, AEDs, replay; groups are what phases alert
    ("PUT", f"{T}/policy"): Role.POLICY,
    ("POST", f"{T}/policy/changes"): Role.POLICY,
    ("PUT", f"{T}/policy/zones"): Role.POLICY,
    ("POST", f"{T}/policy/replay"): Role.POLICY,
    ("PUT", f"{T}/aeds"): Role.POLICY,
    ("POST", f"{T}/groups"): Role.POLICY,
    # responders and their credentials; the wellbeing queue (answers to check-ins) is theirs too
    ("GET", f"{T}/wellbeing"): Role.VERIFIER,
    ("GET", f"{T}/responders"): Role.VERIFIER,
    ("POST", f"{T}/responders"): Role.VERIFIER,
    ("POST", f"{T}/responders/import"): Role.VERIFIER,
    ("GET", f"{T}/responders/{{rid}}"): Role.VERIFIER,
    ("PATCH", f"{T}/responders/{{rid}}"): Role.VERIFIER,
    ("DELETE", f"{T}/responders/{{rid}}"): Role.VERIFIER,
    ("POST", f"{T}/responders/{{rid}}/tokens"): Role.VERIFIER,
    ("POST", f"{T}/responders/{{rid}}/invites"): Role.VERIFIER,
    ("GET", f"{T}/responders/{{rid}}/credentials"): Role.VERIFIER,
    ("GET", f"{T}/responders/{{rid}}/credentials/{{credential_id}}/file"): Role.VERIFIER,
    ("POST", f"{T}/responders/{{rid}}/credentials/{{credential_id}}/verify"): Role.VERIFIER,
    # self-registration: its settings and the applications
    ("GET", f"{T}/registration"): Role.VERIFIER,
    ("PUT", f"{T}/registration"): Role.VERIFIER,
    ("GET", f"{T}/registrations"): Role.VERIFIER,
    ("GET", f"{T}/registrations/{{registration_id}}/credentials/{{credential_id}}/file"): Role.VERIFIER,
    ("POST", f"{T}/registrations/{{registration_id}}/approve"): Role.VERIFIER,
    ("POST", f"{T}/registrations/{{registration_id}}/refuse"): Role.VERIFIER,
    # alerters: every role sees who they are; verifiers add and invite them, as responders;
    # dispatchers suspend them (the misuse desk). The trust's settings, and erasing an alerter
    # (DELETE, not listed), need `admin`.
    ("GET", f"{T}/alerters"): Role.VIEWER,
    ("POST", f"{T}/alerters"): Role.VERIFIER,
    ("POST", f"{T}/alerters/{{alerter_id}}/invites"): Role.VERIFIER,
    ("POST", f"{T}/alerters/open-invite"): Role.VERIFIER,
    ("PATCH", f"{T}/alerters/{{alerter_id}}"): Role.DISPATCHER,
    # staff, single sign-on and keys need `admin`: they are not listed
}


def required_role(method: str, path: str) -> Role:
    return REQUIRED_ROLE.get(("GET" if method == "HEAD" else method, path), Role.ADMIN)
