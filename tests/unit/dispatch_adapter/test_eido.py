"""EIDO JSON to an incident report, on realistic samples and on each way one can be broken."""

from __future__ import annotations

import copy

import pytest

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings import MappingError, map_eido
from tests.unit.dispatch_adapter.samples import doc, dumps, raw

STREET = "eido_street_point.json"
RESIDENCE = "eido_residence_circle.json"


def with_pidf(document, old: str, new: str):
    changed = copy.deepcopy(document)
    loc = changed["locationComponent"][-1]
    assert old in loc["locationByValue"]
    loc["locationByValue"] = loc["locationByValue"].replace(old, new)
    return dumps(changed)


def refusal(body: bytes) -> MappingError:
    with pytest.raises(MappingError) as caught:
        map_eido(body)
    return caught.value


def test_point_with_civic_address_and_internal_code():
    report = map_eido(raw(STREET))
    assert report == IncidentReport(
        cad_ref="urn:emergency:uid:incidentid:7f3c1a90e2:cad.yas.nhs.uk",
        lat=53.80012,
        lon=-1.54987,
        category="09-E-01",
        location_type="public",
        address="Outside the Queens Hotel, City Square, Leeds, LS1 1PJ",
        notes="Male, 60s, collapsed at the taxi rank. Bystander CPR in progress.",
    )


def test_circle_centre_residence_and_registry_type_through_location_reference():
    report = map_eido(raw(RESIDENCE))
    assert (report.lat, report.lon) == (53.81045, -1.5623)
    assert report.cad_ref == "urn:emergency:uid:incidentid:c0ffee4411:cad.yas.nhs.uk"
    assert report.category == "Medical"  # no internal code: the registry's text
    assert report.location_type == "private"
    assert report.address == "14 Victoria Road, Leeds, LS6 1DR"
    assert report.notes is None and report.callback_url is None


def test_registry_text_sent_as_a_one_item_array_is_accepted():
    d = doc(RESIDENCE)
    d["incidentComponent"][0]["incidentTypeCommonRegistryText"] = ["Medical"]
    assert map_eido(dumps(d)).category == "Medical"


def test_without_a_location_reference_the_first_location_by_value_is_used():
    d = doc(RESIDENCE)
    del d["incidentComponent"][0]["locationReference"]
    assert map_eido(dumps(d)).lat == 53.81045


def test_unknown_place_type_is_unknown_not_refused():
    office = with_pidf(doc(STREET), "<ca:PLC>street</ca:PLC>", "<ca:PLC>office</ca:PLC>")
    assert map_eido(office).location_type == "unknown"
    assert map_eido(with_pidf(doc(STREET), "<ca:PLC>street</ca:PLC>", "")).location_type == "unknown"


def test_long_notes_are_clipped_rather_than_refused():
    d = doc(STREET)
    d["notesComponent"][0]["notesActionComments"] = "x" * 5000
    assert len(map_eido(dumps(d)).notes) == 2000


@pytest.mark.parametrize(
    "path, field",
    [
        (("locationComponent",), "locationComponent"),
    ],
)
def test_missing_field_is_named(path, field):
    d = doc(STREET)
    parent = d
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    error = refusal(dumps(d))
    assert error.field == field and "missing" in error.problem


def test_without_an_incident_type_the_category_is_unknown():
    d = doc(STREET)
    del d["incidentComponent"][0]["incidentTypeInternalCode"]
    del d["incidentComponent"][0]["incidentTypeCommonRegistryText"]
    assert map_eido(dumps(d)).category == "unknown"


def test_without_a_tracking_identifier_the_eido_id_is_the_incident():
    d = doc(STREET)
    d["$id"] = "urn:emergency:uid:incidentid:top:cad.yas.nhs.uk"
    del d["incidentComponent"][0]["incidentTrackingIdentifier"]
    assert map_eido(dumps(d)).cad_ref == "urn:emergency:uid:incidentid:top:cad.yas.nhs.uk"
    del d["incidentComponent"]
    report = map_eido(dumps(d))
    assert (report.cad_ref, report.category) == ("urn:emergency:uid:incidentid:top:cad.yas.nhs.uk", "unknown")
    del d["$id"]
    error = refusal(dumps(d))
    assert error.field == "incidentComponent[0].incidentTrackingIdentifier" and "missing" in error.problem


def test_empty_tracking_id_is_refused_by_the_native_rules_under_the_eido_name():
    d = doc(STREET)
    d["incidentComponent"][0]["incidentTrackingIdentifier"] = "   "
    error = refusal(dumps(d))
    assert error.field == "incidentComponent[0].incidentTrackingIdentifier" and "at least 1" in error.problem


def test_overlong_tracking_id_and_category_are_refused():
    d = doc(STREET)
    d["incidentComponent"][0]["incidentTrackingIdentifier"] = "u" * 129
    assert refusal(dumps(d)).field == "incidentComponent[0].incidentTrackingIdentifier"
    d = doc(STREET)
    d["incidentComponent"][0]["incidentTypeInternalCode"] = "C" * 33
    assert refusal(dumps(d)).field == "incidentComponent[0].incidentTypeInternalCode"


def test_tracking_id_of_the_wrong_type():
    d = doc(STREET)
    d["incidentComponent"][0]["incidentTrackingIdentifier"] = 42
    error = refusal(dumps(d))
    assert error.field == "incidentComponent[0].incidentTrackingIdentifier" and error.problem == "must be a string"


def test_location_reference_to_nothing():
    d = doc(STREET)
    d["incidentComponent"][0]["locationReference"] = [{"$ref": "loc-nowhere"}]
    error = refusal(dumps(d))
    assert error.field == "incidentComponent[0].locationReference" and "loc-nowhere" in error.problem


def test_location_by_reference_only_is_refused_with_a_hint():
    d = doc(RESIDENCE)
    d["incidentComponent"][0]["locationReference"] = [{"$ref": "loc-c0ffee4411-routing"}]
    error = refusal(dumps(d))
    assert error.field == "locationComponent[0].locationByValue" and "not fetched" in error.problem


def test_civic_address_without_coordinates():
    pidf_field = "locationComponent[0].locationByValue"
    point = '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>53.80012 -1.54987</gml:pos></gml:Point>'
    body = with_pidf(doc(STREET), point, "")
    error = refusal(body)
    assert error.field == pidf_field and "no coordinates" in error.problem


def test_polygon_is_not_a_point():
    body = with_pidf(doc(RESIDENCE), "<gs:Circle", "<gml:Polygon").replace(b"</gs:Circle>", b"</gml:Polygon>")
    error = refusal(body)
    assert error.field == "locationComponent[1].locationByValue" and "polygon" in error.problem


@pytest.mark.parametrize(
    "pos, problem", [("53.8", "expected 'lat lon'"), ("north west", "expected 'lat lon'"), ("NaN -1.5", "finite")]
)
def test_bad_position(pos, problem):
    error = refusal(with_pidf(doc(STREET), "53.80012 -1.54987", pos))
    assert error.field == "locationComponent[0].locationByValue gml:pos" and problem in error.problem


def test_latitude_out_of_range_names_the_position():
    error = refusal(with_pidf(doc(STREET), "53.80012 -1.54987", "91.5 -1.54987"))
    assert error.field == "locationComponent[0].locationByValue gml:pos" and "less than or equal to 90" in error.problem


def test_location_xml_that_is_not_well_formed_is_read_only_for_its_one_point():
    report = map_eido(with_pidf(doc(STREET), "</presence>", "</presents>"))
    assert (report.lat, report.lon, report.address, report.location_type) == (53.80012, -1.54987, None, "unknown")
    for broken in (
        with_pidf(doc(STREET), "</gml:pos>", "</gml:pos"),  # the point itself is broken
        with_pidf(doc(STREET), "</gml:pos>", "</gml:pos><gml:pos>53.9 -1.6</gml:pos></x>"),  # two points
    ):
        error = refusal(broken)
        assert error.field == "locationComponent[0].locationByValue" and "not well-formed" in error.problem


def test_entity_expansion_in_the_location_is_refused():
    d = doc(STREET)
    d["locationComponent"][0]["locationByValue"] = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><p>&b;</p>'
    )
    error = refusal(dumps(d))
    assert error.field == "locationComponent[0].locationByValue" and "refused" in error.problem


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
        (b"\xff\xfe\xfa", "not"),
    ],
)
def test_body_that_is_not_an_eido(body, problem):
    error = refusal(body)
    assert error.field == "body" and problem in error.problem
