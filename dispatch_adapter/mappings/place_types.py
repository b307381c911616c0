"""Place types (RFC 4589, as carried by PIDF-LO's civic `PLC`) to our `location_type`.

Only places a member of the public can walk into count as `public`; a `residence` is `private`;
anything else (office, school, prison, ...) stays `unknown`, which is treated as private, so a
public-place-only group is never sent somewhere it should not go.
"""

from __future__ import annotations

from alerting.domain.report import LocationType

PUBLIC_PLACES = frozenset(
    {
        "airport",
        "arena",
        "bank",
        "bar",
        "bus-station",
        "cafe",
        "club",
        "convention-center",
        "hotel",
        "library",
        "outdoors",
        "parking",
        "place-of-worship",
        "public",
        "public-transport",
        "restaurant",
        "shopping-area",
        "stadium",
        "store",
        "street",
        "theater",
        "train-station",
    }
)
PRIVATE_PLACES = frozenset({"residence", "private"})


def location_type(place: str | None) -> LocationType:
    """Unknown words map to `unknown`: a place type is advice, never a reason to refuse an incident."""
    if place is None:
        return "unknown"
    word = place.strip().lower()
    if word in PUBLIC_PLACES:
        return "public"
    if word in PRIVATE_PLACES:
        return "private"
    return "unknown"
