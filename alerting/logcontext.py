"""The incident a line of log is about, carried in a context variable so every log line written
while handling that incident names it, without threading the id through every call."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

current_incident: ContextVar[str | None] = ContextVar("current_incident", default=None)


@contextlib.contextmanager
def incident_context(incident_id: str | None) -> Iterator[None]:
    token = current_incident.set(incident_id)
    try:
        yield
    finally:
        current_incident.reset(token)


class IncidentFilter(logging.Filter):
    """Adds `incident_id` to a record unless the caller already gave one in `extra`."""

    def filter(self, record: logging.LogRecord) -> bool:
        incident_id = current_incident.get()
        if incident_id is not None and not hasattr(record, "incident_id"):
            record.incident_id = incident_id
        return True
