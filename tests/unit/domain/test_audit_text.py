"""Every audited action reads in words: who, what, about what, and each change, with no codes or
raw identifiers in the sentence. The documents are the ones the services record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerting.domain.audit_text import ACTION_TEXT, Names, action_text, actor_of, changes, subject

ROOT = Path(__file__).resolve().parents[3]
GROUPS = Names(groups={"staff": "Staff", "community": "Community responders"})
PHASE = {"name": "trusted", "groups": ["staff"], "radius_m": 200, "delay_s": 0}

# (action, target, before, after, subject, changes) as each service records them
ENTRIES = [
    ("trust.create", "t1", None, {"name": "Yorkshire"}, "Yorkshire", []),
    (
        "group.create",
        "group community",
        None,
        {"id": "community", "name": "Community responders", "trusted": False, "private_locations": False},
        "group 'Community responders'",
        ["id: community", "trusted group: no", "may be sent into private homes: no"],
    ),
    (
        "policy.update",
        "policy v1",
        None,
        {"phases": [PHASE], "accept_limit": 2, "alert_ttl_s": 600, "categories": ["09-E-*"], "zones": []},
        "policy version 1",
        [
            "phase 'trusted': Staff within 200 m after 0 s",
            "accept limit: 2",
            "alert lifetime: 10 min",
            "categories alerted: 09-E-*",
        ],
    ),
    (
        "policy.update",
        "policy v2",
        {"phases": [PHASE], "reveal_address": "always", "exclude_flags": [], "category_labels": {}},
        {
            "phases": [{**PHASE, "radius_m": 300, "groups": ["staff", "community"]}],
            "reveal_address": "after_accept",
            "exclude_flags": ["care_home", "unsafe_scene"],
            "category_labels": {"09-E-01": "Cardiac arrest — not breathing"},
        },
        "policy version 2",
        [
            "phase 'trusted' groups Staff → Staff, Community responders",
            "phase 'trusted' radius 200 → 300 m",
            "address shown always → after accepting",
            "calls not alerted none → care home, unsafe scene",
            "category label '09-E-01' set to Cardiac arrest — not breathing",
        ],
    ),
    ("aeds.replace", "aeds", None, {"count": 12}, "the defibrillator list", ["defibrillators: 12"]),
    (
        "staff.create",
        "staff 5f0e2c",
        None,
        {"name": "Priya Shah", "email": "priya@trust.nhs.uk", "roles": ["policy", "verifier"]},
        "Priya Shah",
        ["email: priya@trust.nhs.uk", "roles: Policy editor, Verifier"],
    ),
    (
        "staff.create",
        "staff 5f0e2c",
        None,
        {"name": "Dana Cole", "email": "dana@trust.nhs.uk", "roles": ["viewer"], "via": "single sign-on"},
        "Dana Cole",
        ["email: dana@trust.nhs.uk", "roles: Viewer", "added through: single sign-on"],
    ),
    (
        "staff.update",
        "staff 5f0e2c",
        {"name": "Priya Shah", "roles": ["viewer"], "active": True},
        {"name": "Priya Shah", "roles": ["dispatcher", "admin"], "active": False},
        "Priya Shah",
        ["roles Viewer → Dispatcher, Administrator", "deactivated"],
    ),
    (
        "staff.update",
        "staff 5f0e2c",
        {"name": "Priya Shah"},
        {"name": "Priya Shah-Jones"},
        "Priya Shah-Jones",
        ["name Priya Shah → Priya Shah-Jones"],
    ),
    (
        "staff.delete",
        "staff 5f0e2c",
        {"name": "Priya Shah", "email": "priya@trust.nhs.uk", "roles": ["policy"]},
        None,
        "Priya Shah",
        ["email: priya@trust.nhs.uk", "roles: Policy editor"],
    ),
    (
        "staff.invite",
        "staff 5f0e2c",
        None,
        {"name": "Priya Shah", "invite_expires_at": "2026-12-05T13:08:28.123456Z"},
        "Priya Shah",
        ["invite valid until: 2026-12-05 13:08 UTC"],
    ),
    ("staff.password_set", "staff 5f0e2c", None, {"name": "Priya Shah"}, "Priya Shah", []),
    (
        "staff.sign_in",
        "staff 5f0e2c",
        None,
        {"name": "Priya Shah", "method": "sso"},
        "Priya Shah",
        ["signed in with: single sign-on"],
    ),
    (
        "sso.update",
        "single sign-on",
        {
            "name": "NHS CIS2",
            "issuer": "https://a.example",
            "client_id": "c1",
            "client_secret_set": True,
            "allowed_domains": ["nhs.net"],
            "create_viewers": False,
        },
        {
            "name": "NHS CIS2",
            "issuer": "https://a.example",
            "client_id": "c1",
            "client_secret_set": True,
            "allowed_domains": ["nhs.net", "trust.nhs.uk"],
            "create_viewers": True,
            "client_secret_replaced": True,
        },
        "single sign-on",
        [
            "allowed email domains nhs.net → nhs.net, trust.nhs.uk",
            "new people let in as viewers no → yes",
            "client secret replaced",
        ],
    ),
    (
        "admin_key.rotate",
        "API key",
        None,
        {"grace_s": 3600, "previous_keys": 1, "previous_valid_until": "2026-12-02T14:08:28Z"},
        "the API key",
        ["grace period: 1 h", "keys replaced: 1", "previous key works until: 2026-12-02 14:08 UTC"],
    ),
    (
        "cad_key.rotate",
        "cad key",
        None,
        {"grace_s": 86400.0, "previous_keys": 1, "previous_keys_expire_at": "2026-12-03T13:08:28Z"},
        "the CAD key",
        ["grace period: 24 h", "keys replaced: 1", "previous key works until: 2026-12-03 13:08 UTC"],
    ),
    (
        "responder.create",
        "responder ps_1",
        None,
        {"groups": ["staff", "community"], "skills": ["ils"]},
        "responder Ann Lee",
        ["groups: Staff, Community responders", "skills: ils"],
    ),
    (
        "responder.update",
        "responder ps_1",
        {"status": "active", "travel_mode": "foot"},
        {"status": "suspended", "travel_mode": "bike"},
        "responder Ann Lee",
        ["status active → suspended", "travel on foot → by bike"],
    ),
    (
        "responder.update",
        "responder ps_1",
        {"quiet_hours": None},
        {"quiet_hours": {"start": "22:00", "end": "07:00", "tz": "Europe/London"}},
        "responder Ann Lee",
        ["quiet hours none → 22:00–07:00 (Europe/London)"],
    ),
    (
        "responder.profile",
        "responder ps_1",
        {"carries_aed": False, "language": None},
        {"carries_aed": True, "language": "cy-GB"},
        "responder Ann Lee",
        ["carries a defibrillator no → yes", "language none → Welsh"],
    ),
    ("responder.token", "responder ps_1", None, None, "responder Ann Lee", []),
    ("responder.erase", "responder ps_gone", None, None, "an erased responder", []),
    (
        "responder.invite",
        "responder ps_1",
        None,
        {"expires_at": "2026-12-09T13:08:28Z"},
        "responder Ann Lee",
        ["valid until: 2026-12-09 13:08 UTC"],
    ),
    ("responder.invite_redeemed", "responder ps_1", None, None, "responder Ann Lee", []),
    (
        "registration.settings",
        "registration",
        None,
        {"open": True, "groups": ["community"], "required_credentials": ["cpr"]},
        "self-registration",
        ["open to applications: yes", "groups: Community responders", "credentials required: cpr"],
    ),
    ("registration.apply", "registration 9c1d", None, None, "an application to volunteer", []),
    (
        "registration.approve",
        "responder ps_1",
        None,
        {"registration": "9c1d", "groups": ["community"]},
        "responder Ann Lee",
        ["registration: 9c1d", "groups: Community responders"],
    ),
    ("registration.refuse", "registration 9c1d", None, None, "an application to volunteer", []),
    (
        "credential.upload",
        "responder ps_1",
        None,
        {"kind": "cpr", "expires_on": "2027-06-30", "media_type": "application/pdf", "size": 48_213},
        "responder Ann Lee",
        ["credential: cpr", "valid until: 2027-06-30", "file type: PDF", "file size: 47 KB"],
    ),
    (
        "credential.verify",
        "responder ps_1",
        {"status": "pending", "expires_on": "2027-06-30"},
        {"kind": "cpr", "status": "verified", "expires_on": "2027-07-31"},
        "responder Ann Lee",
        ["status waiting to be checked → verified", "valid until 2027-06-30 → 2027-07-31", "credential: cpr"],
    ),
    ("incident.export", "incident 0f1e", None, None, "incident CAD-42", []),
    ("incident.alert", "responder ps_1", None, {"cad_ref": "CAD-42"}, "responder Ann Lee", ["CAD reference: CAD-42"]),
    (
        "incident.cancel",
        "incident 0f1e",
        None,
        {"reason": "Crew on scene"},
        "incident CAD-42",
        ["reason: Crew on scene"],
    ),
    ("incident.escalate", "incident 0f1e", None, {"phase": "wider"}, "incident CAD-42", ["phase: wider"]),
    ("incident.message", "incident 0f1e", None, {"recipients": 2}, "incident CAD-42", ["responders messaged: 2"]),
    ("incident.confirm", "incident 0f1e", None, None, "incident CAD-42", []),
    ("alerter.create", "alerter bea", None, {"name": "Bea Stander"}, "alerter Bea Stander", []),
    (
        "alerter.invite",
        "alerter bea",
        None,
        {"expires_at": "2026-12-09T13:08:28Z"},
        "alerter Bea Stander",
        ["valid until: 2026-12-09 13:08 UTC"],
    ),
    ("alerter.invite_redeemed", "alerter bea", None, None, "alerter Bea Stander", []),
    ("alerter.erase", "alerter ps_gone", None, {"incidents_kept": 1}, "an erased alerter", ["their alerts kept: 1"]),
    (
        "alerter.open_invite",
        "open alerter invite",
        None,
        {"replaced_earlier": True},
        "the open link for alerters",
        ["an earlier link replaced: yes"],
    ),
    (
        "alerter.raise",
        "incident 0f1e",
        None,
        {"name": "Bea Stander", "status": "awaiting_confirmation", "mode": "confirm", "accuracy_m": 12},
        "incident CAD-42",
        [
            "status: waiting for a dispatcher to confirm",
            "raised alerts: wait for a dispatcher to confirm",
            "position accurate to: 12 m",
        ],
    ),
    (
        "alerter.raise",
        "incident 0f1e",
        None,
        {"name": "Bea Stander", "outcome": "raised", "status": "alerting", "mode": "auto", "accuracy_m": None},
        "incident CAD-42",
        [
            "status: alerting responders",
            "raised alerts: alert responders at once",
            "position accurate to: none",
        ],
    ),
    (
        "alerter.raise_refused",
        "alerter bea",
        None,
        {"name": "Bea Stander", "outcome": "refused", "refusal": "daily_limit"},
        "alerter Bea Stander",
        ["refused because: they raised as many alerts as a day allows"],
    ),
    (
        "alerter.suspend",
        "alerter bea",
        {"name": "Bea Stander", "suspended": False},
        {"name": "Bea Stander", "suspended": True},
        "alerter Bea Stander",
        ["suspended no → yes"],
    ),
    (
        "alerter.reinstate",
        "alerter bea",
        {"name": "Bea Stander", "suspended": True},
        {"name": "Bea Stander", "suspended": False},
        "alerter Bea Stander",
        ["suspended yes → no"],
    ),
    (
        "trust.update",
        "trust settings",
        {"alerter_callback_url": None},
        {"alerter_callback_url": "https://cad.example.test/raised"},
        "the trust's settings",
        ["CAD address for raised alerts none → https://cad.example.test/raised"],
    ),
    (
        "policy.update",
        "policy v3",
        {"phases": [PHASE]},
        {"phases": [PHASE], "alerter": {"enabled": True, "mode": "auto", "who": "anyone", "emergency_number": "112"}},
        "policy version 3",
        [
            "alerters enabled set to yes",
            "alerters raised alerts set to alert responders at once",
            "alerters who may alert set to anyone with the open link",
            "alerters emergency number set to 112",
        ],
    ),
]
NAMES = Names(
    groups=GROUPS.groups,
    targets={"responder ps_1": "Ann Lee", "incident 0f1e": "CAD-42", "alerter bea": "Bea Stander"},
    responder_ids={"ps_1": "ann"},
)


@pytest.mark.parametrize(("action", "target", "before", "after", "about", "expected"), ENTRIES)
def test_each_audited_action_reads_in_words(action, target, before, after, about, expected):
    assert action in ACTION_TEXT
    assert subject(target, before, after, NAMES) == about
    got = changes(before, after, NAMES)
    assert got == expected
    for line in got:
        assert not re.search(r"[a-z]+_[a-z]+", line), line  # no snake_case codes in what a person reads
        assert "{" not in line and "'name':" not in line, line


def test_every_action_written_in_the_code_has_words():
    """A new audited action cannot ship reading as its code."""
    written: set[str] = set()
    for path in (ROOT / "alerting").rglob("*.py"):
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(written) > 20 and written - set(ACTION_TEXT) == set()


def test_every_action_the_services_record_has_words():
    for action, *_ in ENTRIES:
        assert action_text(action)[0].isupper() and "." not in action_text(action)
    assert {a for a, *_ in ENTRIES} == set(ACTION_TEXT)
    assert action_text("something_new.happened") == "Something new happened"


def test_actors_are_named_in_words():
    assert actor_of("staff:t1:abc", "Priya Shah") == {"kind": "staff", "id": "abc", "name": "Priya Shah"}
    assert actor_of("admin:t1:0123456789abcdef")["name"] == "API key …abcdef"
    assert actor_of("cad:t1:k1")["name"] == "CAD key"
    assert actor_of("operator::env")["name"] == "platform operator"
    assert actor_of("applicant") == {"kind": "system", "id": "applicant", "name": "a volunteer applying"}
    assert actor_of("system:single-sign-on")["name"] == "single sign-on (first sign-in)"
    assert actor_of("responder:ann:cred1", None, Names(responders={"ann": "Ann Lee"}))["name"] == "responder Ann Lee"
    assert actor_of("responder:gone:cred1")["name"] == "a responder"
    assert actor_of("system")["name"] == "system"


def test_zone_changes_name_the_zone():
    zone = {"name": "rural north", "area": {"type": "Polygon"}, "phases": [PHASE]}
    moved = {**zone, "area": {"type": "MultiPolygon"}, "phases": [{**PHASE, "delay_s": 30}]}
    assert changes({"zones": []}, {"zones": [zone]}) == ["zone 'rural north' added"]
    assert changes({"zones": [zone]}, {"zones": [moved]}) == [
        "zone 'rural north' area redrawn",
        "zone 'rural north' phase 'trusted' delay 0 → 30 s",
    ]
    assert changes({"zones": [zone]}, {"zones": []}) == ["zone 'rural north' removed"]


def test_the_trusts_choice_to_place_cap_areas_at_their_centre_reads_in_words():
    assert changes({"cap_polygon_centroid": False}, {"cap_polygon_centroid": True}) == [
        "CAP areas placed at their centre no → yes"
    ]
