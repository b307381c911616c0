"""The policy document: one definition of the policy's JSON shape, types and defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alerting.api import schemas
from alerting.domain.policy import Policy, build_policy
from alerting.domain.policy_document import PolicyIn

PHASE = {"name": "p", "groups": ["staff"], "radius_m": 200}


def test_the_api_serves_the_domain_document():
    assert schemas.PolicyIn is PolicyIn


def test_a_policy_left_at_its_defaults_is_the_documents_defaults():
    built, _ = build_policy({"phases": [PHASE]}, known_groups={"staff"})
    doc = PolicyIn.model_validate({"phases": [PHASE]})
    assert (built.accept_limit, built.alert_ttl_s, built.location_max_age_s, built.ack_timeout_s) == (
        doc.accept_limit,
        doc.alert_ttl_s,
        doc.location_max_age_s,
        doc.ack_timeout_s,
    )
    assert built.categories == tuple(doc.categories) and built.max_alerts_per_hour is None
    bare = Policy(phases=())  # the policy of a trust without one
    assert (bare.accept_limit, bare.alert_ttl_s, bare.categories) == (doc.accept_limit, doc.alert_ttl_s, ("*",))


def test_the_stored_shape_keeps_defaults_and_leaves_absent_fields_out():
    doc = PolicyIn.model_validate({"phases": [PHASE]})
    assert doc.to_json() == {
        "phases": [{"name": "p", "groups": ["staff"], "radius_m": 200.0, "delay_s": 0.0}],
        "accept_limit": 2,
        "alert_ttl_s": 600.0,
        "categories": ["*"],
        "location_max_age_s": 900.0,
        "zones": [],
        "ack_timeout_s": 5.0,
        "exclude_flags": [],
        "replace_declined": False,
        "answer_s": 60.0,
        "only_if_faster_than_ambulance": False,
        "ambulance_margin_s": 0.0,
        "cap_polygon_centroid": False,
    }


def test_a_document_and_its_json_build_the_same_policy():
    raw = {"phases": [PHASE, {**PHASE, "name": "later", "delay_s": 30, "max_alerts": 3}], "accept_limit": 1}
    from_doc, _ = build_policy(PolicyIn.model_validate(raw), known_groups={"staff"})
    from_json, _ = build_policy(raw, known_groups={"staff"})
    assert from_doc == from_json and from_json.phases[1].max_alerts == 3


@pytest.mark.parametrize(
    "raw",
    [
        {"phases": [PHASE], "surprise": 1},  # unknown field
        {"phases": [{**PHASE, "radius_m": float("inf")}]},  # not a finite number
        {"phases": [{**PHASE, "radius_m": "far"}]},  # not a number
        {"accept_limit": 2},  # no phases at all
    ],
)
def test_a_mapping_is_type_checked_as_the_document_before_the_rules(raw):
    with pytest.raises(ValidationError):
        build_policy(raw, known_groups={"staff"})
