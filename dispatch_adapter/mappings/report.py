"""Mapped fields go through the native payload's own validation, so every intake obeys one set of
rules; a refusal is reported against the field of the caller's document the value came from."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from alerting.domain.report import IncidentReport
from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.schemas import IncidentIn, IncidentPatch, first_field

# Informational text is cut to fit rather than refused: a long note must not stop an alert.
ADDRESS_MAX, NOTES_MAX = 500, 2000


def clip(text: str | None, limit: int, *, one_line: bool = False) -> str | None:
    """Blank is absent; an address is one line, notes keep their line breaks."""
    if text is None:
        return None
    text = " ".join(text.split()) if one_line else text.strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_report(fields: dict[str, Any], origin: dict[str, str]) -> IncidentReport:
    """`origin` names, for each native field, where in the caller's document it was found."""
    present = {k: v for k, v in fields.items() if v is not None}
    try:
        return IncidentIn.model_validate(present).report()
    except ValidationError as exc:
        raise _refusal(exc, origin) from exc


def build_changes(fields: dict[str, Any], origin: dict[str, str]) -> dict[str, Any]:
    """The fields a document gives, checked as `PATCH /v1/incidents/{id}` checks its body."""
    present = {k: v for k, v in fields.items() if v is not None}
    try:
        return IncidentPatch.model_validate(present).changes()
    except ValidationError as exc:
        raise _refusal(exc, origin) from exc


def _refusal(exc: ValidationError, origin: dict[str, str]) -> MappingError:
    name, msg = first_field(exc.errors()[0])
    return MappingError(origin.get(name, name), msg)
