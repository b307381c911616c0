"""Place types only ever widen who may go in for places the public can walk into."""

from __future__ import annotations

import pytest

from dispatch_adapter.mappings.place_types import PUBLIC_PLACES, location_type


@pytest.mark.parametrize(
    "place, expected",
    [
        (None, "unknown"),
        ("", "unknown"),
        ("residence", "private"),
        (" Residence ", "private"),
        ("private", "private"),
        ("street", "public"),
        ("PUBLIC", "public"),
        ("office", "unknown"),
        ("prison", "unknown"),
        ("hospital", "unknown"),
    ],
)
def test_location_type(place, expected):
    assert location_type(place) == expected


def test_no_place_is_both_public_and_private():
    assert "residence" not in PUBLIC_PLACES and "private" not in PUBLIC_PLACES
