"""British National Grid to WGS84 against the Ordnance Survey's own OSTN15 test points.

tests/fixtures/grid/ostn15_test_points.csv holds the 40 points of OS's OSTN15/OSGM15 developer
test pack (OSTN15_OSGM15_TestInput_OSGBtoETRS.txt and the RESULT rows of
OSTN15_OSGM15_TestOutput_OSGBtoETRS.txt, as republished in thruston/grid-banger, osgb/test/):
OSGB36 eastings and northings and OS's ETRS89 latitude and longitude for each.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geo.distance import haversine_m
from geo.grid import OSTN15_GRID, PACKAGED_GRID, GridConverter, GridError, Method, converter

POINTS = [
    (r["point"], float(r["easting"]), float(r["northing"]), float(r["lat"]), float(r["lon"]))
    for r in csv.DictReader((Path(__file__).parents[1] / "fixtures/grid/ostn15_test_points.csv").open())
]


def misses(conv: GridConverter) -> dict[str, float]:
    return {p: haversine_m(lat, lon, *conv.to_wgs84(e, n)) for p, e, n, lat, lon in POINTS}


def test_the_shipped_grid_is_used_and_matches_os_to_the_centimetre():
    assert len(POINTS) == 40
    assert converter().method is Method.OSTN15
    worst = max(misses(converter()).items(), key=lambda kv: kv[1])
    assert worst[1] < 0.01, worst


def test_without_the_grid_the_helmert_approximation_is_within_five_metres():
    for missing in (None, "no-such-grid.tif", PACKAGED_GRID.with_name("absent") / OSTN15_GRID):
        assert GridConverter.with_grid(missing).method is Method.HELMERT
    off = misses(GridConverter.with_grid(None))
    assert max(off.values()) < 5.0
    assert 1.0 < sum(off.values()) / len(off) < 3.0  # what docs/cad-formats.md states: 1.9 m on average
    assert off["TP31"] > 4.0  # the Outer Hebrides, furthest from the fit


@pytest.mark.parametrize(
    "easting, northing, says",
    [
        (-1.0, 300_000.0, "outside the British National Grid"),
        (400_000.0, 1_300_001.0, "outside the British National Grid"),
        (700_000.0, 1_300_000.0, "outside the area OSTN15 covers"),
    ],
)
def test_points_off_the_grid_are_refused(easting, northing, says):
    with pytest.raises(GridError, match=says):
        converter().to_wgs84(easting, northing)
