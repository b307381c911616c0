"""Policy validation, category patterns and eligibility: the pure rules a trust's policy rests on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.domain.categories import category_matches, valid_pattern
from alerting.domain.eligibility import Candidate, allowed_groups, skip_reason
from alerting.domain.policy import PolicyError, build_policy

GROUPS = {"staff", "community"}


def phase(name="p", groups=("staff",), radius=200, delay=0, **kw):
    return {"name": name, "groups": list(groups), "radius_m": radius, "delay_s": delay, **kw}


def errors(raw) -> dict[str, str]:
    with pytest.raises(PolicyError) as caught:
        build_policy(raw, known_groups=GROUPS)
    return {e.loc: e.msg for e in caught.value.errors}


def test_phases_are_ordered_by_delay():
    policy, warnings = build_policy(
        {"phases": [phase("late", delay=60, radius=900), phase("now", delay=0)]}, known_groups=GROUPS
    )
    assert [p.name for p in policy.phases] == ["now", "late"] and warnings == []


@pytest.mark.parametrize(
    "raw, loc",
    [
        ({"phases": [phase("a"), phase("a", delay=5)]}, "phases[1].name"),
        ({"phases": [phase(groups=["nobody"])]}, "phases[0].groups"),
        ({"phases": [phase(radius=5)]}, "phases[0].radius_m"),
        ({"phases": [phase(radius=20_001)]}, "phases[0].radius_m"),
        ({"phases": [phase()], "accept_limit": 0}, "accept_limit"),
        ({"phases": [phase()], "categories": ["09/E/01"]}, "categories[0]"),
    ],
)
def test_invalid_policies_say_which_field(raw, loc):
    assert loc in errors(raw)


@pytest.mark.parametrize("raw", [{"phases": []}, {"phases": [phase(name="  ")]}, {"phases": [phase(groups=[""])]}])
def test_what_the_document_type_says_is_refused_by_it(raw):
    """Its JSON schema says so too: an empty list of phases, a blank name, an empty group id."""
    with pytest.raises(ValidationError) as caught:
        build_policy(raw, known_groups=GROUPS)
    assert caught.value.errors()[0]["loc"][0] == "phases"


def test_a_radius_shrinking_in_a_later_phase_is_allowed_with_a_warning():
    _, warnings = build_policy(
        {"phases": [phase("wide", radius=1000), phase("narrow", radius=200, delay=30)]}, known_groups=GROUPS
    )
    assert len(warnings) == 1 and "narrow" in warnings[0]


@pytest.mark.parametrize(
    "category, patterns, expected",
    [
        ("09-E-01", ["09-E-*"], True),
        ("09-E-01", ["09-D-01"], False),
        ("09-D-01", ["09-E-*", "09-D-01"], True),
        ("09-E-01", ["*"], True),
        ("10-E-01", ["09-*"], False),
    ],
)
def test_category_patterns(category, patterns, expected):
    assert category_matches(category, patterns) is expected


def test_pattern_syntax():
    assert (
        valid_pattern("09-E-*")
        and valid_pattern("*")
        and not valid_pattern("09/E")
        and not valid_pattern(" 09")
        and not valid_pattern("")
    )


def test_unknown_locations_count_as_private():
    ok = {"staff": True, "community": False}
    assert allowed_groups(["staff", "community"], "public", ok) == ("staff", "community")
    assert allowed_groups(["staff", "community"], "private", ok) == ("staff",)
    assert allowed_groups(["staff", "community"], "unknown", ok) == ("staff",)


@pytest.mark.parametrize(
    "candidate, expected",
    [
        (Candidate("a", 10, ("staff",)), None),
        (Candidate("seen", 10, ("staff",)), "already_alerted"),
        (Candidate("a", 10, ("staff",), active=False), "suspended"),
        (Candidate("a", 10, ("community",)), "not_in_phase_groups"),
        (Candidate("a", 10, ("staff",), busy=True), "busy"),
        (Candidate("a", 10, ("staff",), quiet=True), "quiet_hours"),
        (Candidate("a", 10, ("staff",), alerts_last_hour=4), "fatigue_limit"),
    ],
)
def test_skip_reasons(candidate, expected):
    assert skip_reason(candidate, allowed={"staff"}, already_alerted={"seen"}, max_alerts_per_hour=4) == expected


def test_a_phase_with_the_same_groups_radius_and_delay_as_another_is_refused_by_field():
    raw = {"phases": [phase("first"), phase("again", groups=("staff",), radius=200.0), phase("zone-ok", delay=30)]}
    found = errors(raw)
    assert list(found) == ["phases[1]"]
    assert "'again'" in found["phases[1]"] and "'first' (phases[0])" in found["phases[1]"]
    # The order of the groups does not make it different; another radius, delay or group set does.
    assert "phases[1]" in errors(
        {"phases": [phase("a", groups=("staff", "community")), phase("b", groups=("community", "staff"))]}
    )
    for other in (phase("b", radius=300), phase("b", delay=10), phase("b", groups=("community",))):
        build_policy({"phases": [phase("a"), other]}, known_groups=GROUPS)
    zone = {"name": "z", "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}
    zoned = {"phases": [phase()], "zones": [zone | {"phases": [phase("x"), phase("y")]}]}
    assert "zones[0].phases[1]" in errors(zoned)


def test_a_stored_version_with_twin_phases_is_still_read():
    policy, _ = build_policy({"phases": [phase("a"), phase("b")]}, known_groups=GROUPS, refuse_duplicates=False)
    assert [p.name for p in policy.phases] == ["a", "b"]
