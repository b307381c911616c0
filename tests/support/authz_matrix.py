"""The authorisation matrix: every route x every credential kind, with the status expected.

Each row lists only the kinds that succeed; every other kind gets `DENIED`: no credential is 401,
any wrong credential is 404 (not yours is answered as absent). A route missing here fails
tests/integration/test_authorisation_matrix.py, so a new endpoint cannot ship without a row.

Staff kinds are people signed in with a session cookie (and sending its CSRF token): one of trust
A per role, and an administrator of trust B. A person of trust A whose roles do not allow a trust
route gets 403 (their own trust is no secret); trust B's administrator gets 404 like any other
credential of another trust.

The requests target trust A's resources: trust A, its responder `r1`, an incident of trust A and
r1's alert on it. Trust B has a responder with the same id, so an id match across trusts shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerting.domain.roles import Role, grants
from tests.support.clients import AREA, CENTRE, TWO_PHASES
from tests.support.documents import PDF

# staff kind -> the roles that person holds (all of trust A but `staff_b`, trust B's administrator)
STAFF_KINDS: dict[str, tuple[Role, ...]] = {
    "viewer_a": (Role.VIEWER,),
    "dispatcher_a": (Role.DISPATCHER,),
    "policy_a": (Role.POLICY,),
    "verifier_a": (Role.VERIFIER,),
    "staff_admin_a": (Role.ADMIN,),
    "staff_b": (Role.ADMIN,),
}
KINDS = (
    "none",
    "operator",
    "admin_a",
    "cad_a",
    "responder_a",
    "alerter_a",
    "admin_b",
    "cad_b",
    "responder_b",
    "alerter_b",
    *STAFF_KINDS,
)
WS = "WS"  # the method name used for the websocket route


def denied(kind: str) -> int:
    return 401 if kind == "none" else 404


@dataclass(frozen=True)
class Row:
    ok: dict[str, int]
    body: Callable[[int], Any] | None = None  # given a counter unique per request
    query: dict[str, Any] = field(default_factory=dict)
    fresh_responder: bool = False  # the request destroys its target: give it one of its own
    fresh_staff: bool = False  # the same for a staff member (`staff_id`)
    fresh_alerter: bool = False  # the same for an alerter (`alerter_id`)
    fresh_session: bool = False  # the request ends the caller's session: a staff kind signs in anew for it
    content: Callable[[int], bytes] | None = None  # a raw body instead of JSON, sent as `content_type`
    content_type: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # path parameters beyond trust, rid, incident, alert
    world: dict[str, str] = field(default_factory=dict)  # path parameter -> the name of a value the world made
    fresh_registration: bool = False  # the request decides an application: give it a pending one of its own

    def expected(self, kind: str) -> int:
        return self.ok.get(kind, denied(kind))


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(KINDS, status)


def admins(status: int, role: Role = Role.ADMIN) -> dict[str, int]:
    """Trust A's admin key and the operator who runs the platform; trust A's people whose roles
    allow `role`, while its other people get 403."""
    people = {
        kind: status if grants(roles, role) else 403 for kind, roles in STAFF_KINDS.items() if kind.endswith("_a")
    }
    return {"operator": status, "admin_a": status, **people}


def dispatchers(status: int) -> dict[str, int]:
    """Who may act on trust A's incident: its CAD key and admin key, and its people whose roles
    allow `dispatcher`, while its other people get 403."""
    people = {
        kind: status if grants(roles, Role.DISPATCHER) else 403
        for kind, roles in STAFF_KINDS.items()
        if kind.endswith("_a")
    }
    return {"cad_a": status, "admin_a": status, **people}


def staff_of_a(status: int) -> dict[str, int]:
    """Any signed-in person of trust A, about their own session."""
    return {kind: status for kind in STAFF_KINDS if kind.endswith("_a")}


def signed_in(status: int) -> dict[str, int]:
    """Any signed-in person, of either trust."""
    return dict.fromkeys(STAFF_KINDS, status)


def responders(status: int) -> dict[str, int]:
    """Any responder, about themself: `/v1/me` is always one's own."""
    return {"responder_a": status, "responder_b": status}


def alerters(status: int) -> dict[str, int]:
    """Any alerter, about their own alert."""
    return {"alerter_a": status, "alerter_b": status}


# Both trusts let alerters raise alerts, held for a dispatcher: a raise in the matrix alerts nobody.
MATRIX_POLICY = {
    **TWO_PHASES,
    "alerter": {"enabled": True, "mode": "confirm", "groups": ["staff"], "max_per_day": 100},
}


POSITION = {"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 10}
ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "matrix zone", "phases": TWO_PHASES["phases"]},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-1.60, 53.75], [-1.50, 53.75], [-1.50, 53.85], [-1.60, 53.85], [-1.60, 53.75]]],
            },
        }
    ],
}
# A well-formed subscription (RFC 8291 sizes): a 65-byte P-256 point and a 16-byte secret, base64url.
PUSH = {
    "endpoint": "https://push.example.test/sub/1",
    "keys": {
        "p256dh": "B" + "NcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}

# Trust A's identity provider settings, filled in by the test once its provider runs.
SSO: dict[str, Any] = {}
# A person of trust A who signs in during the matrix, for the login row.
LOGIN = {"email": "matrix.login@trust.nhs.test", "password": "matrix login password"}

BOUNDARY = "matrix-boundary"
UPLOAD_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def credential_upload(n: int) -> bytes:
    """A multipart credential upload: kind, expiry and a real PDF."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncpr\r\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="expires_on"\r\n\r\n2999-12-31\r\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="cpr{n}.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + PDF
        + b"\r\n",
        f"--{BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts)


MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/openapi.json"): Row(everyone(200)),
    ("GET", "/docs"): Row(everyone(200)),
    ("GET", "/docs/oauth2-redirect"): Row(everyone(200)),
    ("GET", "/redoc"): Row(everyone(200)),
    ("GET", "/healthz"): Row(everyone(200)),
    ("GET", "/readyz"): Row(everyone(200)),
    ("GET", "/metrics"): Row(everyone(200)),
    # the pages and their static files: public, they hold no data until signed in
    ("GET", "/admin"): Row(everyone(200)),
    ("GET", "/responder"): Row(everyone(200)),
    ("GET", "/responder/sw.js"): Row(everyone(200)),
    ("GET", "/responder/manifest.webmanifest"): Row(everyone(200)),
    ("GET", "/alert"): Row(everyone(200)),
    ("GET", "/alert/sw.js"): Row(everyone(200)),
    ("GET", "/alert/manifest.webmanifest"): Row(everyone(200)),
    ("GET", "/web/{path}"): Row(everyone(200), values={"path": "common.css"}),
    # any credential, about itself
    ("GET", "/v1/whoami"): Row({kind: 200 for kind in KINDS if kind != "none"}),
    # operator and trust admin
    ("POST", "/v1/trusts"): Row({"operator": 201}, body=lambda n: {"name": f"Matrix trust {n}", "area": AREA}),
    ("GET", "/v1/trusts/{trust}"): Row(admins(200, Role.VIEWER)),
    ("POST", "/v1/trusts/{trust}/groups"): Row(
        admins(201, Role.POLICY), body=lambda n: {"id": f"g{n}", "name": f"Group {n}"}
    ),
    ("GET", "/v1/trusts/{trust}/groups"): Row(admins(200, Role.VIEWER)),
    ("POST", "/v1/trusts/{trust}/responders"): Row(
        admins(201, Role.VERIFIER), body=lambda n: {"id": f"new{n}", "name": "New", "groups": ["staff"]}
    ),
    ("GET", "/v1/trusts/{trust}/responders"): Row(admins(200, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/responders/{rid}"): Row(admins(200, Role.VERIFIER)),
    ("PATCH", "/v1/trusts/{trust}/responders/{rid}"): Row(
        admins(200, Role.VERIFIER), body=lambda n: {"skills": ["cpr"]}
    ),
    ("DELETE", "/v1/trusts/{trust}/responders/{rid}"): Row(admins(204, Role.VERIFIER), fresh_responder=True),
    ("POST", "/v1/trusts/{trust}/responders/{rid}/tokens"): Row(admins(201, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/policy"): Row(admins(200, Role.VIEWER)),
    ("PUT", "/v1/trusts/{trust}/policy"): Row(admins(200, Role.POLICY), body=lambda n: MATRIX_POLICY),
    ("POST", "/v1/trusts/{trust}/policy/changes"): Row(admins(200, Role.POLICY), body=lambda n: MATRIX_POLICY),
    ("PUT", "/v1/trusts/{trust}/aeds"): Row(
        admins(200, Role.POLICY), body=lambda n: {"type": "FeatureCollection", "features": []}
    ),
    ("GET", "/v1/trusts/{trust}/audit"): Row(admins(200, Role.VIEWER)),
    ("GET", "/v1/trusts/{trust}/stats"): Row(admins(200, Role.VIEWER)),
    ("GET", "/v1/trusts/{trust}/coverage"): Row(admins(200, Role.VIEWER)),
    ("GET", "/v1/trusts/{trust}/incidents/{incident_id}/export"): Row(admins(200, Role.VIEWER)),
    ("POST", "/v1/trusts/{trust}/keys/rotate"): Row(admins(200)),  # the old CAD key stays valid for the grace period
    ("POST", "/v1/trusts/{trust}/admin-key/rotate"): Row(admins(201)),  # the old key stays valid for the grace period
    # staff: administrators only
    ("POST", "/v1/trusts/{trust}/staff"): Row(
        admins(201), body=lambda n: {"email": f"new{n}@trust.nhs.test", "name": f"New {n}", "roles": ["viewer"]}
    ),
    ("GET", "/v1/trusts/{trust}/staff"): Row(admins(200)),
    ("GET", "/v1/trusts/{trust}/staff/{staff_id}"): Row(admins(200)),
    ("PATCH", "/v1/trusts/{trust}/staff/{staff_id}"): Row(admins(200), body=lambda n: {"name": f"Target {n}"}),
    ("DELETE", "/v1/trusts/{trust}/staff/{staff_id}"): Row(admins(204), fresh_staff=True),
    ("POST", "/v1/trusts/{trust}/staff/{staff_id}/invite"): Row(admins(201)),
    # signing in: no credential needed; an unknown invite code is 404 for everyone
    ("POST", "/v1/auth/invites/{code}"): Row(
        everyone(404), body=lambda n: {"password": "long enough password"}, values={"code": "no-such-code"}
    ),
    ("POST", "/v1/auth/login"): Row(everyone(200), body=lambda n: LOGIN),
    ("POST", "/v1/auth/logout"): Row(signed_in(204), fresh_session=True),
    # single sign-on: trust A's provider runs on loopback (tests/support/oidc_provider.py)
    ("PUT", "/v1/trusts/{trust}/sso"): Row(admins(200), body=lambda n: SSO["settings"]),
    ("GET", "/v1/trusts/{trust}/sso"): Row(admins(200)),
    ("GET", "/v1/auth/sso/{trust}"): Row(everyone(200)),
    ("GET", "/v1/auth/sso/{trust}/login"): Row(everyone(302)),
    ("GET", "/v1/auth/sso/callback"): Row(everyone(400), query={"state": "none", "code": "none"}),
    ("PUT", "/v1/trusts/{trust}/policy/zones"): Row(admins(200, Role.POLICY), body=lambda n: ZONES),
    ("GET", "/v1/trusts/{trust}/policy/zones"): Row(admins(200, Role.VIEWER)),
    ("POST", "/v1/trusts/{trust}/policy/replay"): Row(admins(200, Role.POLICY), body=lambda n: {"policy": TWO_PHASES}),
    ("POST", "/v1/trusts/{trust}/live/tickets"): Row(admins(201, Role.VIEWER)),
    # the stream takes a ticket, never a bearer token: without one every kind is refused alike
    ("GET", "/v1/trusts/{trust}/live"): Row(everyone(401)),
    ("GET", "/v1/trusts/{trust}/incidents"): Row(admins(200, Role.VIEWER)),
    ("GET", "/v1/trusts/{trust}/incidents/{incident_id}"): Row(admins(200, Role.VIEWER)),
    # names and positions of responders who could be alerted: dispatchers only
    ("GET", "/v1/trusts/{trust}/incidents/{incident_id}/nearby"): Row(admins(200, Role.DISPATCHER)),
    ("POST", "/v1/trusts/{trust}/responders/import"): Row(
        admins(200, Role.VERIFIER),
        content=lambda n: f"id,name,groups\nimp{n},Imported {n},staff\n".encode(),
        content_type="text/csv",
    ),
    # onboarding: invites, registration, credentials (trust admin; the verifier role extends it)
    ("POST", "/v1/trusts/{trust}/responders/{rid}/invites"): Row(admins(201, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/registration"): Row(admins(200, Role.VERIFIER)),
    ("PUT", "/v1/trusts/{trust}/registration"): Row(
        admins(200, Role.VERIFIER), body=lambda n: {"open": True, "groups": ["staff"]}
    ),
    ("GET", "/v1/trusts/{trust}/registrations"): Row(admins(200, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/wellbeing"): Row(admins(200, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/registrations/{registration_id}/credentials/{credential_id}/file"): Row(
        admins(200, Role.VERIFIER),
        world={"registration_id": "registration_id", "credential_id": "registration_credential_id"},
    ),
    ("POST", "/v1/trusts/{trust}/registrations/{registration_id}/approve"): Row(
        admins(201, Role.VERIFIER), body=lambda n: {}, fresh_registration=True
    ),
    ("POST", "/v1/trusts/{trust}/registrations/{registration_id}/refuse"): Row(
        admins(200, Role.VERIFIER), body=lambda n: {"reason": "matrix"}, fresh_registration=True
    ),
    ("GET", "/v1/trusts/{trust}/responders/{rid}/credentials"): Row(admins(200, Role.VERIFIER)),
    ("GET", "/v1/trusts/{trust}/responders/{rid}/credentials/{credential_id}/file"): Row(
        admins(200, Role.VERIFIER), world={"credential_id": "credential_id"}
    ),
    ("POST", "/v1/trusts/{trust}/responders/{rid}/credentials/{credential_id}/verify"): Row(
        admins(200, Role.VERIFIER), world={"credential_id": "credential_id"}
    ),
    # no credential: applying is open to anyone while the trust takes applications (rate-limited)
    ("POST", "/v1/trusts/{trust}/registrations"): Row(everyone(201), body=lambda n: {"name": f"Applicant {n}"}),
    # an upload needs the application's own upload token: no bearer credential of any kind is it, and
    # a staff session cookie is no bearer token at all (401)
    ("POST", "/v1/registrations/{registration_id}/credentials"): Row(
        dict.fromkeys(STAFF_KINDS, 401),
        content=credential_upload,
        content_type=UPLOAD_TYPE,
        world={"registration_id": "registration_id"},
    ),
    # a code nobody was given: refused alike whoever asks
    ("POST", "/v1/invites/redeem"): Row(everyone(404), body=lambda n: {"code": f"matrix-unknown-code-{n}"}),
    # responders
    ("GET", "/v1/me"): Row(responders(200)),
    ("PATCH", "/v1/me"): Row(responders(200), body=lambda n: {"travel_mode": "bike"}),
    ("POST", "/v1/me/credentials"): Row(responders(201), content=credential_upload, content_type=UPLOAD_TYPE),
    ("GET", "/v1/me/history"): Row(responders(200)),
    ("PUT", "/v1/me/location"): Row(responders(204), body=lambda n: POSITION),
    ("PUT", "/v1/me/availability"): Row(responders(204), body=lambda n: {"available": True}),
    ("GET", "/v1/me/alerts"): Row(responders(200)),
    ("GET", "/v1/me/push-config"): Row(responders(200)),
    ("PUT", "/v1/me/push-subscription"): Row(responders(204), body=lambda n: PUSH),
    ("POST", "/v1/alerts/{alert_id}/accept"): Row({"responder_a": 200}),
    ("POST", "/v1/alerts/{alert_id}/decline"): Row({"responder_a": 200}),
    ("POST", "/v1/alerts/{alert_id}/check-in"): Row({"responder_a": 200}, body=lambda n: {"feeling": "fine"}),
    ("POST", "/v1/alerts/{alert_id}/arrived"): Row({"responder_a": 200}),
    ("POST", "/v1/alerts/{alert_id}/ack"): Row({"responder_a": 200}),
    ("POST", "/v1/alerts/{alert_id}/status"): Row({"responder_a": 200}, body=lambda n: {"status": "cpr_started"}),
    ("POST", "/v1/alerts/{alert_id}/messages"): Row({"responder_a": 201}, body=lambda n: {"text": f"reply {n}"}),
    # the socket takes a responder token, never a cookie: a person is a caller without a credential there
    (WS, "/v1/responders/ws"): Row({"responder_a": 200, "responder_b": 200, **signed_in(401)}),
    # alerters: the trust adds, invites and suspends them; an alerter raises and follows their alert
    ("PATCH", "/v1/trusts/{trust}"): Row(admins(200), body=lambda n: {"alerter_callback_url": None}),
    ("POST", "/v1/trusts/{trust}/alerters"): Row(
        admins(201, Role.VERIFIER), body=lambda n: {"id": f"al-new{n}", "name": f"Alerter {n}"}
    ),
    ("GET", "/v1/trusts/{trust}/alerters"): Row(admins(200, Role.VIEWER)),
    ("PATCH", "/v1/trusts/{trust}/alerters/{alerter_id}"): Row(
        admins(200, Role.DISPATCHER), body=lambda n: {"suspended": False}
    ),
    ("POST", "/v1/trusts/{trust}/alerters/{alerter_id}/invites"): Row(admins(201, Role.VERIFIER)),
    ("DELETE", "/v1/trusts/{trust}/alerters/{alerter_id}"): Row(admins(204), fresh_alerter=True),
    ("POST", "/v1/trusts/{trust}/alerters/open-invite"): Row(admins(201, Role.VERIFIER)),
    ("POST", "/v1/alerts/raise"): Row(alerters(201), body=lambda n: {"lat": CENTRE[0], "lon": CENTRE[1]}),
    ("GET", "/v1/alerts/current"): Row(alerters(200)),
    # after the raise above: each alerter has an open alert to write about
    ("POST", "/v1/alerts/current/messages"): Row(alerters(201), body=lambda n: {"text": f"matrix {n}"}),
    (WS, "/v1/alerters/ws"): Row({"alerter_a": 200, "alerter_b": 200, **signed_in(401)}),
    # CAD
    ("GET", "/v1/nearby"): Row({"cad_a": 200, "cad_b": 200}, query={"lat": CENTRE[0], "lon": CENTRE[1]}),
    ("POST", "/v1/incidents"): Row(
        {"cad_a": 201, "cad_b": 201},
        body=lambda n: {"cad_ref": f"MATRIX-{n}", "lat": CENTRE[0], "lon": CENTRE[1], "category": "09-E-01"},
    ),
    ("GET", "/v1/incidents"): Row({"cad_a": 200, "cad_b": 200}, query={"source": "alerter"}),
    ("GET", "/v1/incidents/{incident_id}"): Row({"cad_a": 200}),
    ("PATCH", "/v1/incidents/{incident_id}"): Row({"cad_a": 200}, body=lambda n: {"notes": f"note {n}"}),
    # a dispatcher's actions (before the cancel below ends the incident): r1 is alerted already, so
    # a manual alert of r1 reaches the eligibility rule (409); no phase is named "matrix" (409)
    ("POST", "/v1/incidents/{incident_id}/alert"): Row(dispatchers(409), body=lambda n: {"responder_id": "r1"}),
    ("POST", "/v1/incidents/{incident_id}/escalate"): Row(dispatchers(409), body=lambda n: {"phase": "matrix"}),
    # the CAD's incident never waits for confirmation (409); a raised one is confirmed in tests/integration/test_alerters.py
    ("POST", "/v1/incidents/{incident_id}/confirm"): Row(dispatchers(409)),
    ("POST", "/v1/incidents/{incident_id}/messages"): Row(dispatchers(201), body=lambda n: {"text": f"matrix {n}"}),
    ("POST", "/v1/incidents/{incident_id}/cancel"): Row(dispatchers(200), body=lambda n: {"reason": "matrix"}),
    ("POST", "/v1/incidents/{incident_id}/close"): Row({"cad_a": 200}),
}

# What a websocket close code means in the matrix's terms.
WS_CLOSE_AS_STATUS = {4401: 401, 4403: 404}
