"""On-duty hours: windows by the day they start on, past midnight, all day, in the schedule's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from alerting.domain.duty_hours import on_duty_at

LONDON = ZoneInfo("Europe/London")
EVENINGS = {
    "tz": "Europe/London",
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "23:00"}],
}
NIGHTS = {"tz": "Europe/London", "windows": [{"days": ["fri"], "start": "22:00", "end": "06:00"}]}
WEEKENDS = {"tz": "Europe/London", "windows": [{"days": ["sat", "sun"], "start": "00:00", "end": "00:00"}]}


def at(text: str, zone: ZoneInfo = LONDON) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


@pytest.mark.parametrize(
    ("spec", "when", "expected"),
    [
        (None, "2026-12-02 03:00", True),  # no schedule: whenever the switch is on
        (EVENINGS, "2026-12-02 18:00", True),  # a Wednesday, at the start
        (EVENINGS, "2026-12-02 22:59", True),
        (EVENINGS, "2026-12-02 23:00", False),  # the end is not included
        (EVENINGS, "2026-12-02 17:59", False),
        (EVENINGS, "2026-12-05 19:00", False),  # a Saturday
        (NIGHTS, "2026-12-04 23:30", True),  # Friday night
        (NIGHTS, "2026-12-05 05:59", True),  # into Saturday morning: the window began on Friday
        (NIGHTS, "2026-12-05 06:00", False),
        (NIGHTS, "2026-12-04 05:00", False),  # Friday early morning belongs to Thursday's night
        (NIGHTS, "2026-12-05 23:00", False),  # Saturday night is not listed
        (WEEKENDS, "2026-12-06 12:00", True),  # all day Sunday
        (WEEKENDS, "2026-12-07 00:30", False),  # Monday
        (EVENINGS, "2026-07-01 18:30", True),  # summer time: still 18:30 on the responder's clock
    ],
)
def test_on_duty_hours(spec, when, expected):
    assert on_duty_at(spec, at(when)) is expected


def test_the_schedules_own_zone_decides():
    spec = {"tz": "America/New_York", "windows": [{"days": ["wed"], "start": "09:00", "end": "10:00"}]}
    assert on_duty_at(spec, at("2026-12-02 14:30")) is True  # 09:30 in New York
    assert on_duty_at(spec, at("2026-12-02 09:30")) is False
