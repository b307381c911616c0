"""The density grid: sightings become counts per cell and group set; disks match circle areas."""

from __future__ import annotations

import math

import alerting.replay
from geo.areas import ServiceArea
from geo.distance import haversine_m
from geo.hexgrid import MEAN_CELL_AREA_M2, aggregate, cell_of, group_key, rings_for_radius, split_key
from geo.snapshot import covering_circle


def test_aggregate_keeps_counts_per_cell_and_group_set_only():
    counts = aggregate(
        [
            (53.8, -1.55, ["staff"]),
            (53.8, -1.55, ["staff"]),
            (53.8, -1.55, ["community", "staff"]),
            (53.9, -1.55, ["staff", "community", "staff"]),
        ]
    )
    here, there = cell_of(53.8, -1.55), cell_of(53.9, -1.55)
    assert counts == {(here, "staff"): 2, (here, "community,staff"): 1, (there, "community,staff"): 1}


def test_group_keys_round_trip():
    assert group_key(["b", "a", "b"]) == "a,b" and split_key("a,b") == ("a", "b") and split_key("") == ()


def test_ring_count_matches_the_circle_area_best():
    for radius in (100, 300, 1000, 2500):
        k = rings_for_radius(radius, MEAN_CELL_AREA_M2)
        circle = math.pi * radius**2
        error = abs((3 * k * k + 3 * k + 1) * MEAN_CELL_AREA_M2 - circle)
        neighbours = [abs((3 * j * j + 3 * j + 1) * MEAN_CELL_AREA_M2 - circle) for j in (k - 1, k + 1) if j >= 0]
        assert all(error <= e for e in neighbours)
    assert rings_for_radius(20_000, MEAN_CELL_AREA_M2) == 10  # capped


def test_covering_circle_holds_every_corner_of_the_area():
    area = ServiceArea.from_geojson(
        {
            "type": "Polygon",
            "coordinates": [[[-1.70, 53.70], [-1.40, 53.70], [-1.40, 53.90], [-1.70, 53.90], [-1.70, 53.70]]],
        }
    )
    (lat, lon), radius = covering_circle(area)
    for corner in ((53.70, -1.70), (53.70, -1.40), (53.90, -1.40), (53.90, -1.70)):
        assert haversine_m(lat, lon, *corner) <= radius


def test_replay_exports_exactly_its_public_names():
    assert sorted(alerting.replay.__all__) == sorted(
        n
        for n in vars(alerting.replay)
        if not n.startswith("_") and n not in {"acceptance", "arrival", "engine", "history", "summary", "plot"}
    )
