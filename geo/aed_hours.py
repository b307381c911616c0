"""Whether a defibrillator can be used at a moment: its access rule and its opening hours.

Registers and OpenStreetMap describe an AED in a locked school or a shop with `access` (`private`
or `no`: never offered) and `opening_hours` in OpenStreetMap's syntax (`Mo-Fr 08:00-18:00; PH off`),
read with the opening-hours-py library at the incident's time in the trust's time zone, with that
country's public holidays for `PH` and the AED's own position for `sunrise`/`sunset`. Hours that
say nothing definite about the moment (`unknown`, a comment) or that cannot be read leave the AED
offered: an AED that may be open is worth a responder's detour, one that is known closed is not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import opening_hours
from opening_hours import OpeningHours, State

NOT_OFFERED_ACCESS = frozenset({"private", "no"})
DEFAULT_TIME_ZONE = "Europe/London"
DEFAULT_HOLIDAYS = "GB"
# The library raises these, but its type stubs do not declare them.
_UNREADABLE: tuple[type[Exception], ...] = (vars(opening_hours)["ParserError"], SyntaxError, ValueError)
_UNKNOWN_COUNTRY: type[Exception] = vars(opening_hours)["UnknownCountryError"]
MAX_HOURS = 255  # an OpenStreetMap tag value is at most 255 characters


def hours_problem(text: str) -> str | None:
    """Why `text` is not OpenStreetMap opening hours, or None when it reads."""
    try:
        OpeningHours(text)
    except _UNREADABLE:
        return f"the opening hours {text!r} are not in OpenStreetMap's opening_hours syntax"
    return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    """An IANA zone name this system's time zone database has."""
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def known_country(code: str) -> bool:
    """Whether public holidays (`PH`) are known for this ISO 3166-1 alpha-2 code."""
    try:
        OpeningHours("PH off", country=code)
    except _UNKNOWN_COUNTRY:
        return False
    return True


@lru_cache(maxsize=4096)
def _parsed(text: str, zone: str, country: str, lat: float, lon: float) -> OpeningHours | None:
    try:
        return OpeningHours(
            text, timezone=ZoneInfo(zone), country=country, coords=(lat, lon), auto_country=False, auto_timezone=False
        )
    except (*_UNREADABLE, _UNKNOWN_COUNTRY):
        return None


def open_at(hours: str | None, *, at: float, zone: str, country: str, lat: float, lon: float) -> bool:
    """False only when the hours say the place is closed at unix time `at` in `zone`."""
    if hours is None:
        return True
    parsed = _parsed(hours, zone, country, round(lat, 2), round(lon, 2))
    if parsed is None:
        return True
    local = datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(zone))
    state, _ = parsed.state(local)
    return state is not State.CLOSED


def offered(
    access: str | None, hours: str | None, *, at: float, zone: str, country: str, lat: float, lon: float
) -> bool:
    """Whether to send a responder to this AED at `at`: not private, and not closed then."""
    if access is not None and access.strip().lower() in NOT_OFFERED_ACCESS:
        return False
    return open_at(hours, at=at, zone=zone, country=country, lat=lat, lon=lon)
