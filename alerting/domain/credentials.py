"""When a responder's credentials make them eligible, and when to remind them. Pure: no I/O.

A credential is valid through its `expires_on` date (the last day printed on the certificate) and
only once a verifier has checked it. A trust's required kinds apply to every responder of it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, timedelta


def lacking(required: Collection[str], verified: Iterable[tuple[str, date]], today: date) -> list[str]:
    """The required kinds not covered by a verified credential valid `today`, in required order."""
    valid = {kind for kind, expires_on in verified if expires_on >= today}
    return [kind for kind in required if kind not in valid]


def reminder_due(expires_on: date, today: date, days_before: int) -> bool:
    """Still valid, and expiring within `days_before` days."""
    return today <= expires_on <= today + timedelta(days=days_before)
