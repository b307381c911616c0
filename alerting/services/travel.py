"""A responder's speed for their ETA, from the travel mode in their profile and the settings."""

from __future__ import annotations

from alerting.settings import Settings


def speed_mps(settings: Settings, travel_mode: str | None) -> float:
    """Foot (and anything unknown) walks; bike and car have their own speeds."""
    return {"bike": settings.bike_speed_mps, "car": settings.car_speed_mps}.get(
        travel_mode or "foot", settings.walking_speed_mps
    )
