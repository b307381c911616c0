"""A responder's recurring on-duty hours: when set, their "on duty" switch alerts them only inside
one of the windows, so a volunteer can say "weekday evenings and weekends" once instead of
remembering the switch.

`{"tz": "Europe/London", "windows": [{"days": ["mon", "tue"], "start": "18:00", "end": "23:00"}]}`.
A window belongs to the day it starts on and may run past midnight ("22:00"–"06:00" on Friday
covers Saturday until 06:00); `start == end` is the whole day. Pure: the time is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["DAYS", "on_duty_at"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _covers(window: Mapping[str, Any], local: datetime) -> bool:
    start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    days = {str(d) for d in window.get("days") or DAYS}
    today, yesterday = DAYS[local.weekday()], DAYS[(local - timedelta(days=1)).weekday()]
    now = local.time()
    if start == end:  # the whole of each listed day
        return today in days
    if start < end:
        return today in days and start <= now < end
    # past midnight: the evening part today, or the early part of a window that began yesterday
    return (today in days and now >= start) or (yesterday in days and now < end)


def on_duty_at(spec: Mapping[str, Any] | None, now: float) -> bool:
    """True without a schedule; with one, whether `now` (unix seconds) falls in one of its windows.
    A schedule with no windows means never: the responder chose to be alerted at no time."""
    if not spec:
        return True
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(str(spec.get("tz") or "Europe/London")))
    return any(_covers(w, local) for w in spec.get("windows") or [])
