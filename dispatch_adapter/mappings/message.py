"""What a CAD document asks for: report an incident, restate one, change one, or end one.

A native JSON post and a CAP `Alert` report an incident (posting it again is a retry). An EIDO
restates the whole incident as the CAD holds it now: the first one reports it, a later one (by its
`lastUpdateTimeStamp`) changes what differs, and one whose status is closed or cancelled ends it.
A CAP `Update` or `Cancel` names the incident by `references` and carries only what it changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings.errors import MappingError


class Action(StrEnum):
    REPORT = "report"  # native JSON, CAP Alert: the same identifier again is a retry
    RESTATE = "restate"  # EIDO: creates the incident, or updates it when later than the last one applied
    UPDATE = "update"  # CAP Update: only the fields it gives
    CANCEL = "cancel"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class CadMessage:
    action: Action
    # The identifiers that may name the incident (its `cad_ref`), and where in the document they are,
    # so a refusal names the caller's own field. One for a report; CAP references may list several.
    cad_refs: tuple[str, ...]
    ref_field: str
    report: IncidentReport | None = None  # REPORT and RESTATE
    changes: Mapping[str, Any] = field(default_factory=dict)  # RESTATE (derived) and UPDATE: PATCH fields
    revision_at: float | None = None  # the document's own time; None when it gives none
    reason: str | None = None  # CANCEL
    sender: str | None = None  # CAP: whose earlier messages `references` may name
    message_id: str | None = None  # CAP Update or Cancel: its own identifier, which later ones may reference
    # Set when the point is an area's centroid rather than a point the CAD sent: the field that
    # should have held the point (the trust decides whether a centroid will do).
    centroid_of: str | None = None

    @property
    def cad_ref(self) -> str:
        return self.cad_refs[0]


# RFC 3339 needs the offset (CAP: "-00:00" for UTC); fromisoformat alone would accept a local time.
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_EARLIEST, _LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def instant(text: Any, field_name: str) -> float:
    """An RFC 3339 date-time with its offset, as seconds since the epoch."""
    if not isinstance(text, str) or not text.strip():
        raise MappingError(field_name, "must be an RFC 3339 date-time, e.g. 2026-03-14T09:26:53Z")
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1] in "zZ" else value)
    except ValueError as exc:
        raise MappingError(field_name, f"not an RFC 3339 date-time: {value[:40]!r}") from exc
    if parsed.tzinfo is None or not _OFFSET.search(value):
        raise MappingError(field_name, f"needs its offset from UTC (Z, +01:00, ...): {value[:40]!r}")
    if not _EARLIEST <= parsed <= _LATEST:  # kept as a date: beyond these it cannot be stored
        raise MappingError(field_name, f"{value[:40]!r} is not a time a document was written")
    return parsed.timestamp()
