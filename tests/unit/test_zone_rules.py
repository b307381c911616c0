"""Zones and location types in the incident machine: which phases run, and who may be sent where."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from alerting.domain import incident as m
from alerting.domain.eligibility import Candidate
from alerting.domain.policy import PolicyError, build_policy

TRUST = {"type": "Polygon", "coordinates": [[[-1.7, 53.7], [-1.4, 53.7], [-1.4, 53.9], [-1.7, 53.9], [-1.7, 53.7]]]}
CITY = {
    "type": "Polygon",
    "coordinates": [[[-1.56, 53.79], [-1.53, 53.79], [-1.53, 53.81], [-1.56, 53.81], [-1.56, 53.79]]],
}
RURAL = {"type": "Polygon", "coordinates": [[[-1.7, 53.85], [-1.4, 53.85], [-1.4, 53.9], [-1.7, 53.9], [-1.7, 53.85]]]}
GROUPS = {"staff", "community"}
RAW = {
    "phases": [
        {"name": "trusted", "groups": ["staff"], "radius_m": 500, "delay_s": 0},
        {"name": "community", "groups": ["staff", "community"], "radius_m": 1000, "delay_s": 30},
    ],
    "accept_limit": 2,
    "zones": [
        {
            "name": "city",
            "area": CITY,
            "phases": [{"name": "staff", "groups": ["staff"], "radius_m": 200, "delay_s": 0}],
            "accept_limit": 1,
        },
        {
            "name": "rural north",
            "area": RURAL,
            "phases": [
                {"name": "all", "groups": ["staff", "community"], "radius_m": 3000, "delay_s": 0},
                {"name": "later", "groups": ["community"], "radius_m": 5000, "delay_s": 60},
            ],
        },
    ],
}
PRIVATE_OK = {"staff": True, "community": False}


def reported(lat, lon, location_type="public", raw=RAW):
    policy, _ = build_policy(raw, known_groups=GROUPS)
    s = m.new_incident(
        id="i1",
        cad_ref="c1",
        lat=lat,
        lon=lon,
        category="09-E-01",
        location_type=location_type,
        created_at=0.0,
        policy=policy,
        policy_version=7,
    )
    return s, m.handle(s, m.Reported(0.0))


def test_the_zone_holding_the_incident_supplies_phases_and_accept_limit_and_the_timeline_says_so():
    s, out = reported(53.80, -1.545)
    assert s.zone == "city" and [p.name for p in s.phases] == ["staff"] and s.accept_limit == 1
    assert out[0].event == "reported" and out[0].data["rules"] == "zone city, policy v7"
    s, out = reported(53.87, -1.55)
    assert s.zone == "rural north" and s.accept_limit == 2  # no override: the trust's limit
    assert out[0].data["rules"] == "zone rural north, policy v7"
    s, out = reported(53.75, -1.55)
    assert s.zone is None and [p.name for p in s.phases] == ["trusted", "community"]
    assert out[0].data["rules"] == "trust-wide phases, policy v7"


def run_all_phases(s, candidates):
    alerted = []
    for i in range(len(s.phases)):
        now = s.phases[i].delay_s
        for d in m.handle(s, m.PhaseDue(i, now, candidates, PRIVATE_OK)):
            if isinstance(d, m.SendAlert):
                alerted.append(d.alert.responder_id)
    return alerted


CANDIDATES = [
    Candidate("public-only", 50, ("community",)),
    Candidate("both", 60, ("community", "staff")),
    Candidate("staff", 70, ("staff",)),
]


@pytest.mark.parametrize(
    "where", [(53.80, -1.545), (53.87, -1.55), (53.75, -1.55)], ids=["city", "rural", "trust-wide"]
)
@pytest.mark.parametrize("location_type", ["private", "unknown"])
def test_a_public_only_group_is_never_sent_into_a_private_or_unknown_location(where, location_type):
    s, _ = reported(*where, location_type=location_type)
    assert sorted(run_all_phases(s, CANDIDATES)) == ["both", "staff"]  # "both" is staff too


@pytest.mark.parametrize("where", [(53.87, -1.55), (53.75, -1.55)], ids=["rural", "trust-wide"])
def test_a_public_only_group_is_alerted_to_a_public_place(where):
    s, _ = reported(*where, location_type="public")
    assert "public-only" in run_all_phases(s, CANDIDATES)


def test_a_community_only_phase_at_a_private_address_alerts_no_one_and_says_which_groups_it_used():
    raw = {
        **RAW,
        "zones": [],
        "phases": [{"name": "community", "groups": ["community"], "radius_m": 1000, "delay_s": 0}],
    }
    s, _ = reported(53.75, -1.55, location_type="private", raw=raw)
    out = m.handle(s, m.PhaseDue(0, 0.0, CANDIDATES, PRIVATE_OK))
    fired = next(d for d in out if isinstance(d, m.Record) and d.event == "phase_fired")
    assert fired.data["alerted"] == [] and fired.data["groups"] == []


def test_zones_are_checked_against_the_trust_area():
    area = shape(TRUST)
    far = {
        "type": "Polygon",
        "coordinates": [[[53.7, -1.6], [53.8, -1.6], [53.8, -1.5], [53.7, -1.6]]],
    }  # lat/lon swapped
    spill = {"type": "Polygon", "coordinates": [[[-1.45, 53.8], [-1.3, 53.8], [-1.3, 53.85], [-1.45, 53.8]]]}
    phases = RAW["zones"][0]["phases"]
    raw = {
        **RAW,
        "zones": [
            {"name": "far", "area": far, "phases": phases},
            {"name": "spill", "area": spill, "phases": phases},
            {"name": "far", "area": CITY, "phases": phases},
        ],
    }
    with pytest.raises(PolicyError) as caught:
        build_policy(raw, known_groups=GROUPS, area=area)
    errors = {(e.loc, e.msg) for e in caught.value.errors}
    assert ("zones[0].area", "lies entirely outside the trust's service area (GeoJSON order is lon, lat)") in errors
    assert ("zones[2].name", "duplicate zone name 'far'") in errors
    assert not any(loc.startswith("zones[1]") for loc, _ in errors)
    _, warnings = build_policy({**raw, "zones": raw["zones"][1:2]}, known_groups=GROUPS, area=area)
    assert warnings == ["zone 'spill' extends beyond the trust's service area; only the part inside it is used"]
    build_policy({**raw, "zones": raw["zones"][:1]}, known_groups=GROUPS)  # stored policies: re-read without the area
