"""RFC 3339 UTC times, the only time format the contract speaks."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
