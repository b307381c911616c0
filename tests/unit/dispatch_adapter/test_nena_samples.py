"""NENA's own published EIDO samples (tests/fixtures/cad/nena/SOURCE.md), read unchanged."""

from __future__ import annotations

import pytest

from dispatch_adapter.mappings import MappingError, map_eido
from dispatch_adapter.mappings.pidf import coordinates_point, parse_pidf
from tests.unit.dispatch_adapter.samples import raw

SAMPLE_2020 = "nena/Sample_EIDO.json"
CALL_TRANSFER = "nena/Sample call transfer EIDO.json"


def test_the_2020_sample_top_level_identity_location_information_and_a_broken_pidf():
    report = map_eido(raw(SAMPLE_2020))
    assert report.cad_ref == "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us"
    assert report.category == "10-101"  # incidentTypeInternalCode
    assert (report.lat, report.lon) == (40.441345, -80.000266)  # the ellipsoid's gml:pos
    assert report.location_type == "unknown" and report.address is None


def test_the_call_transfer_is_identified_and_unknown_but_its_civic_address_cannot_be_placed():
    with pytest.raises(MappingError) as caught:
        map_eido(raw(CALL_TRANSFER))
    # Identity and category were read (no incidentComponent); the refusal is the location alone.
    assert caught.value.field == "locationComponent[0].locationByValue"
    assert "civic address has no coordinates" in caught.value.problem


def test_the_call_transfer_with_a_point_added_beside_its_address_is_an_unknown_incident():
    body = raw(CALL_TRANSFER).replace(
        b"<gp:location-info> <civicAddress",
        b'<gp:location-info> <gml:Point xmlns:gml=\\"http://www.opengis.net/gml\\">'
        b"<gml:pos>39.7447 -75.5484</gml:pos></gml:Point> <civicAddress",
    )
    report = map_eido(body)
    assert report.cad_ref == "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"
    assert report.category == "unknown"
    assert (report.lat, report.lon) == (39.7447, -75.5484)
    assert report.address == "42 W Cellular Street, Wilmington"


RFC4119 = """<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
   xmlns:gml="urn:opengis:specification:gml:schema-xsd:feature:v3.0" entity="pres:geotarget@example.com">
 <tuple id="sg89ae"><status><gp:geopriv><gp:location-info><gml:location>
   <gml:Point gml:id="point1" srsName="epsg:4326"><gml:coordinates>37:46:30N 122:25:10W</gml:coordinates></gml:Point>
 </gml:location></gp:location-info></gp:geopriv></status></tuple></presence>"""


def test_rfc_4119_degree_minute_second_coordinates_in_its_own_gml_namespace():
    where = parse_pidf(RFC4119, "locationByValue")
    assert where.lat == pytest.approx(37.775) and where.lon == pytest.approx(-122.419444, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("53.8 -1.55", (53.8, -1.55)),
        ("53.8,-1.55", (53.8, -1.55)),
        ("53:48:00N 1:33:00W", (53.8, -1.55)),
        ("1:33:00W 53:48:00N", (53.8, -1.55)),  # the hemispheres say which is which
        ("33:52:08.5S 151:12:30E", (-33.869028, 151.208333)),
    ],
)
def test_gml_coordinates_forms(text, expected):
    assert coordinates_point(text, "c") == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("text", ["53.8", "53:61:00N 1:00:00W", "53:00:00N 54:00:00S", "north south"])
def test_gml_coordinates_that_are_not_a_point_are_refused(text):
    with pytest.raises(MappingError):
        coordinates_point(text, "c")
