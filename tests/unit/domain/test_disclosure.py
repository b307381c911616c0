"""What an alert discloses before acceptance: labels, private places, address or area."""

from __future__ import annotations

import pytest

from alerting.domain.disclosure import address_withheld, area_hint, category_label, private_place


@pytest.mark.parametrize(
    ("reveal", "location_type", "state", "withheld"),
    [
        (None, "private", "alerted", True),
        (None, "unknown", "alerted", True),
        (None, "public", "alerted", False),
        (None, "private", "accepted", False),
        (None, "private", "arrived", False),
        ("always", "private", "alerted", False),
        ("after_accept", "public", "alerted", True),
        ("after_accept", "public", "accepted", False),
    ],
)
def test_the_address_is_withheld_before_acceptance_where_the_policy_says(reveal, location_type, state, withheld):
    assert address_withheld(reveal, location_type, state) is withheld


def test_unknown_places_count_as_private():
    assert private_place("private") and private_place("unknown") and not private_place("public")


@pytest.mark.parametrize(
    ("address", "hint"),
    [
        ("12 Acacia Avenue, Headingley, Leeds LS6 2AB", "Headingley, Leeds LS6"),
        ("Flat 3, 40 Park Row, Leeds", "Park Row, Leeds"),
        ("12a Acacia Avenue", "Acacia Avenue"),
        ("ls6 2ab", "LS6"),
        ("  ", None),
        (None, None),
    ],
)
def test_area_hint_drops_what_finds_the_door(address, hint):
    assert area_hint(address) == hint


def test_category_labels_prefer_the_exact_code_then_the_first_matching_pattern():
    labels = [("09-E-*", "Cardiac or respiratory arrest"), ("09-e-01", "Cardiac arrest — not breathing")]
    assert category_label("09-E-01", labels) == "Cardiac arrest — not breathing"
    assert category_label("09-E-02", labels) == "Cardiac or respiratory arrest"
    assert category_label("17-A-01", labels) is None
    assert category_label("09-E-01", []) is None
