"""CAP 1.2 XML to an incident report, on realistic samples and on each way one can be broken."""

from __future__ import annotations

import pytest

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings import MappingError, map_cap
from tests.unit.dispatch_adapter.samples import raw

CODED = "cap_event_code.xml"
EVENT_ONLY = "cap_event_only.xml"


def edited(name: str, old: str, new: str) -> bytes:
    body = raw(name)
    assert old.encode() in body
    return body.replace(old.encode(), new.encode())


def refusal(body: bytes) -> MappingError:
    with pytest.raises(MappingError) as caught:
        map_cap(body)
    return caught.value


def test_event_code_circle_point_and_place_type():
    assert map_cap(raw(CODED)) == IncidentReport(
        cad_ref="YAS-260314-0413",
        lat=53.79835,
        lon=-1.54262,
        category="09-E-01",
        location_type="public",
        address="Briggate, Leeds LS1 6HD",
        notes="Female, 40s, collapsed outside the shopping arcade. CPR in progress.",
    )


def test_event_without_code_and_circle_beside_a_polygon():
    report = map_cap(raw(EVENT_ONLY))
    assert report.cad_ref == "urn:oid:2.49.0.1.826.1.2026.3.14.2207"
    assert report.category == "09-D-01" and (report.lat, report.lon) == (53.81512, -1.56401)
    assert report.location_type == "unknown" and report.notes == "Ineffective breathing"
    assert report.address == "Hyde Park area"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("public", "public"),
        ("private", "private"),
        ("residence", "private"),
        ("street", "public"),
        ("school", "unknown"),
    ],
)
def test_location_type_parameter(value, expected):
    assert map_cap(edited(CODED, "<value>shopping-area</value>", f"<value>{value}</value>")).location_type == expected


def test_an_empty_event_code_falls_back_to_the_event():
    body = edited(CODED, "<value>09-E-01</value>", "<value> </value>").replace(
        b"<event>Cardiac arrest</event>", b"<event>09-E-02</event>"
    )
    assert map_cap(body).category == "09-E-02"


@pytest.mark.parametrize(
    "old, field",
    [
        ("<identifier>YAS-260314-0413</identifier>", "identifier"),
        ("<status>Actual</status>", "status"),
        ("<msgType>Alert</msgType>", "msgType"),
        ("<circle>53.79835,-1.54262 0</circle>", "info.area.circle"),
    ],
)
def test_missing_field_is_named(old, field):
    error = refusal(edited(CODED, old, ""))
    assert error.field == field and "missing" in error.problem


def test_missing_event_and_code_names_the_event():
    body = edited(CODED, "<event>Cardiac arrest</event>", "").replace(b"<value>09-E-01</value>", b"")
    assert refusal(body).field == "info.event"


def test_missing_info_and_area():
    start, end = raw(CODED).index(b"<info>"), raw(CODED).index(b"</info>") + len(b"</info>")
    assert refusal(raw(CODED)[:start] + raw(CODED)[end:]).field == "info"
    start, end = raw(CODED).index(b"<area>"), raw(CODED).index(b"</area>") + len(b"</area>")
    assert refusal(raw(CODED)[:start] + raw(CODED)[end:]).field == "info.area"


def test_polygon_only_area_says_a_polygon_is_not_a_point_unless_the_trust_takes_its_centroid():
    body = edited(EVENT_ONLY, "<circle>53.81512,-1.56401 0.05</circle>", "")
    error = refusal(body)
    assert error.field == "info.area.circle" and "polygon is not a point" in error.problem
    assert "cap_polygon_centroid" in error.problem
    report = map_cap(body, polygon_centroid=True)
    assert (report.lat, report.lon) == pytest.approx((53.81667, -1.56333), abs=1e-5)  # the triangle's centroid


@pytest.mark.parametrize(
    "circle, problem",
    [
        ("53.79835 -1.54262", "expected 'lat,lon radius_km'"),
        ("north,west 0", "expected"),
        ("53.79835,-1.54262 wide", "expected"),
        ("91,-1.5 0", "less than or equal to 90"),
        ("53.8,-181 0", "greater than or equal to -180"),
        ("nan,-1.5 0", "finite"),
    ],
)
def test_bad_circle(circle, problem):
    error = refusal(edited(CODED, "53.79835,-1.54262 0", circle))
    assert error.field == "info.area.circle" and problem in error.problem


@pytest.mark.parametrize("status", ["Exercise", "Test", "Draft", "System"])
def test_only_actual_alerts_reach_responders(status):
    error = refusal(edited(CODED, "<status>Actual</status>", f"<status>{status}</status>"))
    assert error.field == "status" and status in error.problem


@pytest.mark.parametrize("msg_type", ["Ack", "Error", "Correction"])
def test_only_alert_update_and_cancel_are_read(msg_type):
    error = refusal(edited(CODED, "<msgType>Alert</msgType>", f"<msgType>{msg_type}</msgType>"))
    assert error.field == "msgType" and "Update changes" in error.problem and msg_type in error.problem


def test_long_identifier_is_refused_under_its_cap_name():
    error = refusal(edited(CODED, "YAS-260314-0413", "Y" * 129))
    assert error.field == "identifier" and "at most 128" in error.problem


def test_cap_1_1_namespace_is_refused():
    error = refusal(edited(CODED, "emergency:cap:1.2", "emergency:cap:1.1"))
    assert error.field == "alert" and "CAP 1.2" in error.problem


def test_not_xml_and_entity_expansion():
    assert "not well-formed" in refusal(b'{"cad_ref": "x"}').problem
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&b;</identifier></alert>'
    )
    error = refusal(bomb)
    assert error.field == "body" and "refused" in error.problem


def test_external_entity_is_refused():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    )
    assert "refused" in refusal(xxe).problem


def with_parameters(**params: str) -> bytes:
    extra = "".join(
        f"<parameter><valueName>{name}</valueName><value>{value}</value></parameter>" for name, value in params.items()
    )
    return edited(CODED, "<parameter>", extra + "<parameter>")


def test_flags_and_ambulance_eta_come_from_parameters():
    report = map_cap(with_parameters(flags="unsafe-scene, child  trauma", ambulance_eta_s="420"))
    assert report.flags == ("unsafe_scene", "child", "trauma") and report.ambulance_eta_s == 420.0
    assert map_cap(raw(CODED)).flags == () and map_cap(raw(CODED)).ambulance_eta_s is None


@pytest.mark.parametrize(
    "params, field",
    [({"flags": "haunted"}, "info.parameter[flags]"), ({"ambulance_eta_s": "soon"}, "info.parameter[ambulance_eta_s]")],
)
def test_an_unknown_flag_or_a_bad_eta_is_refused_naming_the_parameter(params, field):
    assert refusal(with_parameters(**params)).field == field
