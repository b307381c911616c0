"""What an alert tells a responder before they accept: the category in words, whether the place is
a private home, and the address or only the area around it. Pure: no I/O.

A trust's policy says `reveal_address`: `always`, or `after_accept` (the full address only once the
responder has accepted, an approximate area before). Left out, it is `after_accept` for private
places (`location_type` private or unknown) and `always` for public ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alerting.domain.categories import category_matches

ALWAYS, AFTER_ACCEPT = "always", "after_accept"
REVEALED_STATES = frozenset({"accepted", "arrived"})

# The outward code of a UK postcode ("LS6" of "LS6 2AB"): the district, not the street.
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^\s*(flat|apartment|unit)?\s*[0-9]+[a-z]?\b[,\s]*", re.IGNORECASE)


def private_place(location_type: str) -> bool:
    """`unknown` counts as private, as it does for which groups may be sent."""
    return location_type != "public"


def reveal_before_accept(reveal_address: str | None, location_type: str) -> bool:
    if reveal_address is None:
        return not private_place(location_type)
    return reveal_address == ALWAYS


def address_withheld(reveal_address: str | None, location_type: str, alert_state: str) -> bool:
    return alert_state not in REVEALED_STATES and not reveal_before_accept(reveal_address, location_type)


def area_hint(address: str | None) -> str | None:
    """The address without what finds the door: the first part (house and street) is dropped when
    there are more, a house number leading what is left, and a postcode keeps only its district."""
    if not address or not address.strip():
        return None
    text = _POSTCODE.sub(lambda m: m.group(1).upper(), address.strip())
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > 1:
        parts = parts[1:]
    if parts:
        parts[0] = _HOUSE_NUMBER.sub("", parts[0]).strip()
    hint = ", ".join(p for p in parts if p)
    return hint or None


def category_label(category: str, labels: Sequence[tuple[str, str]]) -> str | None:
    """The trust's words for a category: an exact code first, else the first pattern that matches."""
    code = category.strip().lower()
    for pattern, text in labels:
        if pattern.strip().lower() == code:
            return text
    for pattern, text in labels:
        if "*" in pattern and category_matches(category, [pattern]):
            return text
    return None
