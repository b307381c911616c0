"""EIDO and CAP points given on the British National Grid (EPSG:27700), and OS grid references."""

from __future__ import annotations

import pytest

from dispatch_adapter.mappings import MappingError, map_cap, map_eido
from geo.distance import haversine_m
from geo.grid import GridError, read_pair
from tests.unit.dispatch_adapter.samples import doc
from tests.unit.dispatch_adapter.test_cap import edited
from tests.unit.dispatch_adapter.test_eido import STREET, with_pidf

TP20 = (53.80021519630, -1.66379168242)  # OS test point TP20: 422242.186, 433818.701 on the grid
WGS84_POINT = '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>53.80012 -1.54987</gml:pos></gml:Point>'


@pytest.mark.parametrize(
    "srs, pos",
    [
        ("urn:ogc:def:crs:EPSG::27700", "422242.186 433818.701"),
        ("http://www.opengis.net/def/crs/EPSG/0/27700", "422242.186 433818.701"),
        ("EPSG:27700", "SE 22242 33818"),
    ],
)
def test_an_eido_point_whose_srs_name_is_the_national_grid_is_converted(srs, pos):
    body = with_pidf(doc(STREET), WGS84_POINT, f'<gml:Point srsName="{srs}"><gml:pos>{pos}</gml:pos></gml:Point>')
    report = map_eido(body)
    assert haversine_m(report.lat, report.lon, *TP20) < 1.5  # a 1 m reference is up to 1.4 m off


def test_an_eido_grid_point_that_is_not_a_pair_is_refused_naming_gml_pos():
    body = with_pidf(
        doc(STREET), WGS84_POINT, '<gml:Point srsName="EPSG:27700"><gml:pos>53.80012 -1.54987</gml:pos></gml:Point>'
    )
    with pytest.raises(MappingError) as caught:
        map_eido(body)
    assert caught.value.field.endswith("gml:pos") and "British National Grid" in caught.value.problem


def test_a_cap_area_may_give_its_point_as_a_grid_geocode():
    circle = "<circle>53.79835,-1.54262 0</circle>"
    geocode = "<geocode><valueName>EPSG:27700</valueName><value>422242.186 433818.701</value></geocode>"
    report = map_cap(edited("cap_event_code.xml", circle, geocode))
    assert haversine_m(report.lat, report.lon, *TP20) < 0.01
    assert map_cap(edited("cap_event_code.xml", circle, geocode.replace("EPSG:27700", "BNG"))).lat == report.lat
    # A circle, where there is one, is the point.
    assert map_cap(edited("cap_event_code.xml", circle, circle + geocode)).lat == 53.79835
    with pytest.raises(MappingError) as caught:
        map_cap(edited("cap_event_code.xml", circle, geocode.replace("422242.186 433818.701", "Leeds")))
    assert caught.value.field == "info.area.geocode.value"
    other = "<geocode><valueName>SAME</valueName><value>006113</value></geocode>"
    with pytest.raises(MappingError) as caught:
        map_cap(edited("cap_event_code.xml", circle, other))
    assert caught.value.field == "info.area.circle"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SE 22242 33818", (422242, 433818)),
        ("se2224233818", (422242, 433818)),
        ("TQ 30624 78388", (530624, 178388)),  # OS test point TP09, London
        ("SV 91492 11318", (91492, 11318)),  # TP01, Scilly
        ("NN 166 712", (216600, 771200)),  # Ben Nevis, to 100 m
        ("HU 47 41", (447000, 1141000)),  # Lerwick, to 1 km
        ("422242.186,433818.701", (422242.186, 433818.701)),
    ],
)
def test_grid_references_are_read_with_or_without_letters(text, expected):
    assert read_pair(text) == expected


@pytest.mark.parametrize("text", ["", "SE", "SE 2224 338", "IE 1234 5678", "422242", "1 2 3", "nan nan"])
def test_what_is_not_a_grid_reference_is_refused(text):
    with pytest.raises(GridError):
        read_pair(text)
