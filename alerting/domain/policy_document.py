"""The policy document: the one definition of a trust's policy as JSON, its field types and defaults.

`PUT /policy` parses its body with it, the API documents it in OpenAPI from it, zone imports and
what-if replays build one, and stored versions are read back through it. Types, ranges of a single
field and defaults belong here (a stricter field is a `Field(...)` change in this module); rules that
need the trust (known groups, its service area) or relate fields to each other live in
`policy.build_policy`.

Pydantic rather than dataclasses and a hand-written validator: it is a pure validation library
(no I/O), the API needs a pydantic model for its request validation and OpenAPI schema anyway, and
one model serves both. The class names are the schema names clients generate code from, so they
keep their API names.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PhaseIn", "PolicyIn", "ZoneIn"]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PhaseIn(_Document):
    name: str = Field(min_length=1, max_length=64)
    groups: list[str] = Field(min_length=1, max_length=20)
    radius_m: float = Field(description="10 to 20,000 m")
    delay_s: float = 0
    max_alerts: int | None = Field(default=None, description="Alert at most this many, nearest first")


class ZoneIn(_Document):
    name: str = Field(min_length=1, max_length=200)
    area: dict[str, Any]
    phases: list[PhaseIn] = Field(max_length=20)
    accept_limit: int | None = None


class PolicyIn(_Document):
    phases: list[PhaseIn] = Field(max_length=20)
    accept_limit: int = 2
    alert_ttl_s: float = 600
    categories: list[str] = Field(default_factory=lambda: ["*"], max_length=200)
    location_max_age_s: float = 900
    zones: list[ZoneIn] = Field(default_factory=list, max_length=1000)
    max_alerts_per_hour: int | None = Field(default=None, description="Fatigue limit per responder; absent = off")
    ack_timeout_s: float = Field(default=5, description="Unacknowledged alerts also go out by push after this")

    def to_json(self) -> dict[str, Any]:
        """The shape stored and answered: fields left out stay out (`None` means absent)."""
        return self.model_dump(exclude_none=True)
