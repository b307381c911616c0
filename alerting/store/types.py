"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Always aware UTC on the way out, whatever the database kept (SQLite keeps naive times)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Overloaded so that a column that is never empty converts to a value that is never None.
@overload
def from_ts(ts: float) -> datetime: ...
@overload
def from_ts(ts: float | None) -> datetime | None: ...
def from_ts(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


@overload
def to_ts(dt: datetime) -> float: ...
@overload
def to_ts(dt: datetime | None) -> float | None: ...
def to_ts(dt: datetime | None) -> float | None:
    return None if dt is None else dt.timestamp()
