"""Whatever a CAD sends, a mapping answers with a report or a MappingError: never a crash (a 500)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings import CadMessage, MappingError, map_cap, map_eido, read_cap, read_eido
from tests.unit.dispatch_adapter.samples import doc, raw

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
EIDO_KEYS = ["incidentComponent", "locationComponent", "notesComponent"]
INCIDENT_KEYS = [
    "incidentTrackingIdentifier",
    "incidentTypeInternalCode",
    "incidentTypeCommonRegistryText",
    "locationReference",
]
LOCATION_KEYS = ["$id", "locationByValue", "locationByReferenceUrl"]
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers(mapping, body: bytes) -> None:
    try:
        assert isinstance(mapping(body), IncidentReport)
    except MappingError as exc:
        assert exc.field and exc.problem


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(body):
    answers(map_eido, body)
    answers(map_cap, body)


@SETTINGS
@given(JSON)
def test_any_json_document(value):
    answers(map_eido, json.dumps(value).encode())


@SETTINGS
@given(st.sampled_from(EIDO_KEYS), JSON)
def test_any_component_replaced(key, value):
    document = doc("eido_street_point.json")
    document[key] = value
    answers(map_eido, json.dumps(document).encode())


@SETTINGS
@given(st.sampled_from(INCIDENT_KEYS), JSON, st.sampled_from(LOCATION_KEYS), JSON)
def test_any_incident_or_location_field_replaced(inc_key, inc_value, loc_key, loc_value):
    document = doc("eido_residence_circle.json")
    document["incidentComponent"][0][inc_key] = inc_value
    document["locationComponent"][1][loc_key] = loc_value
    answers(map_eido, json.dumps(document).encode())


CAP_TEXTS = [
    "YAS-260314-0413",
    "Actual",
    "Alert",
    "09-E-01",
    "Cardiac arrest",
    "53.79835,-1.54262 0",
    "shopping-area",
    "Briggate, Leeds LS1 6HD",
]


@SETTINGS
@given(st.sampled_from(CAP_TEXTS), st.text(max_size=40))
def test_any_cap_value_replaced(old, new):
    escaped = new.replace("&", "&amp;").replace("<", "&lt;").encode()
    answers(map_cap, raw("cap_event_code.xml").replace(old.encode(), escaped))


@SETTINGS
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_cap_circle_centre_round_trips(lat, lon):
    report = map_cap(raw("cap_event_code.xml").replace(b"53.79835,-1.54262 0", f"{lat!r},{lon!r} 0".encode()))
    assert (report.lat, report.lon) == (lat, lon)


def reads(reader, body: bytes) -> None:
    """Reading a document for what it asks (report, update, end) is as robust as mapping a report."""
    try:
        assert isinstance(reader(body), CadMessage)
    except MappingError as exc:
        assert exc.field and exc.problem


UPDATE_TEXTS = [
    "trinet@caltech.edu",
    "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00",
    "2003-06-11T20:56:00-07:00",
    "Update",
    "32.9525,-115.5527 0",
]


@SETTINGS
@given(st.sampled_from(UPDATE_TEXTS), st.text(max_size=60))
def test_any_cap_update_value_replaced(old, new):
    escaped = new.replace("&", "&amp;").replace("<", "&lt;").encode()
    reads(read_cap, raw("cap/Oasis_EarthquakeReport.xml").replace(old.encode(), escaped))


@SETTINGS
@given(st.text(max_size=80))
def test_any_cap_polygon(polygon):
    escaped = polygon.replace("&", "&amp;").replace("<", "&lt;").encode()
    body = raw("cap/Oasis_ThunderstormWarning.xml").replace(
        b"38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14", escaped
    )
    reads(read_cap, body)


@SETTINGS
@given(st.sampled_from(["lastUpdateTimeStamp", "incidentComponent"]), JSON, JSON)
def test_any_eido_time_or_status(key, value, status):
    document = doc("eido_street_point.json")
    document[key] = value
    if isinstance(document.get("incidentComponent"), list) and document["incidentComponent"]:
        if isinstance(document["incidentComponent"][0], dict):
            document["incidentComponent"][0]["incidentStatusCommonRegistryText"] = status
    reads(read_eido, json.dumps(document).encode())
