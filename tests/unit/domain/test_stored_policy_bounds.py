"""A policy version saved before today's bounds is read clamped to them, not refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.domain.policy import PolicyError, build_policy
from alerting.domain.policy_document import MAX_ACCEPT_LIMIT, MAX_DELAY_S, MAX_RADIUS_M, MIN_TTL_S, within_bounds

SQUARE = {"type": "Polygon", "coordinates": [[[-1.6, 53.7], [-1.5, 53.7], [-1.5, 53.8], [-1.6, 53.8], [-1.6, 53.7]]]}
LEGACY = {
    "phases": [{"name": "far", "groups": ["staff"], "radius_m": 1e9, "delay_s": 1e12}],
    "accept_limit": True,
    "alert_ttl_s": 1,
    "zones": [
        {
            "name": "north",
            "area": SQUARE,
            "accept_limit": 10**9,
            "phases": [{"name": "z", "groups": ["staff"], "radius_m": 300, "delay_s": float("nan")}],
        }
    ],
}


def test_the_legacy_document_is_refused_as_it_stands():
    with pytest.raises((PolicyError, ValidationError)):
        build_policy(LEGACY, known_groups={"staff"})


def test_clamped_to_each_fields_bounds():
    policy, _ = build_policy(within_bounds(LEGACY), known_groups={"staff"})
    assert policy.phases[0].delay_s == MAX_DELAY_S and policy.phases[0].radius_m == MAX_RADIUS_M
    assert policy.accept_limit == 1  # `true` was taken for 1 when it was saved
    assert policy.alert_ttl_s == MIN_TTL_S
    assert policy.zones[0].accept_limit == MAX_ACCEPT_LIMIT and policy.zones[0].phases[0].delay_s == 0


def test_a_document_within_bounds_is_unchanged():
    inside = {"phases": [{"name": "t", "groups": ["staff"], "radius_m": 200, "delay_s": 30}], "accept_limit": 3}
    assert within_bounds(inside) == inside
