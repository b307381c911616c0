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

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from alerting.domain.documents import SOME_TEXT, Area, Document, Flag
from alerting.domain.vocabulary import IncidentFlag, Outcome

__all__ = [
    "DEFAULT_CHECK_IN_AFTER_S",
    "MAX_CHECK_IN_AFTER_S",
    "AftercareIn",
    "AlerterIn",
    "MAX_ACCEPT_LIMIT",
    "MAX_ACK_TIMEOUT_S",
    "MAX_CONFIRM_TIMEOUT_S",
    "MIN_CONFIRM_TIMEOUT_S",
    "MAX_ALERTS_PER_HOUR",
    "MAX_AMBULANCE_MARGIN_S",
    "MAX_DELAY_S",
    "MAX_PHASE_ALERTS",
    "MAX_RADIUS_M",
    "MAX_TTL_S",
    "MIN_ANSWER_S",
    "MIN_RADIUS_M",
    "MIN_TTL_S",
    "PhaseIn",
    "PolicyIn",
    "ZoneIn",
]

# Bounds a trust would find generous, chosen so nothing derived from them (a phase's due time, an
# alert's expiry) can leave the range of a date: a phase due more than a day after the call is
# never what was meant. docs/alerting-rules.md lists them.
MIN_RADIUS_M = 10
MAX_RADIUS_M = 20_000
MAX_DELAY_S = 86_400
MIN_TTL_S = 10
MAX_TTL_S = 86_400
MAX_ACK_TIMEOUT_S = 600
MAX_ACCEPT_LIMIT = 1_000
MAX_PHASE_ALERTS = 10_000
MAX_ALERTS_PER_HOUR = 1_000
MIN_ANSWER_S = 5
MAX_AMBULANCE_MARGIN_S = 3_600
DEFAULT_CHECK_IN_AFTER_S = 5_400  # 90 minutes, as the schemes that look after their volunteers do
MAX_CHECK_IN_AFTER_S = 7 * 86_400
MAX_QUESTIONS = 10
MAX_RAISES_PER_DAY = 100
# A raised alarm held for a dispatcher: after this long unconfirmed it is closed (a bystander has
# been doing CPR alone for that long; help sent later would not be the help they asked for).
DEFAULT_CONFIRM_TIMEOUT_S = 600
MIN_CONFIRM_TIMEOUT_S = 60
MAX_CONFIRM_TIMEOUT_S = 3_600


def _number(default: Any = ..., *, lo: float, hi: float, description: str | None = None) -> Any:
    """A number field: strict, so JSON `true` is not read as 1, and its range shown in the schema.

    The range itself is checked by `policy.build_policy`, which words the refusal for a person
    ("must be between 10 and 20000 m") and reports every field at once."""
    return Field(default, strict=True, description=description, json_schema_extra={"minimum": lo, "maximum": hi})


GroupRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]  # a group's id


class PhaseIn(Document):
    name: str = Field(min_length=1, max_length=64, pattern=SOME_TEXT)
    groups: list[GroupRef] = Field(min_length=1, max_length=20)
    radius_m: float = _number(lo=MIN_RADIUS_M, hi=MAX_RADIUS_M, description="10 to 20,000 m")
    delay_s: float = _number(0, lo=0, hi=MAX_DELAY_S, description="When the phase fires: 0 to 86,400 s after the call")
    max_alerts: int | None = _number(
        None,
        lo=1,
        hi=MAX_PHASE_ALERTS,
        description="Alert at most this many, nearest first; absent = every eligible responder in the radius",
    )


class ZoneIn(Document):
    name: str = Field(min_length=1, max_length=200, pattern=SOME_TEXT)
    area: Area
    phases: list[PhaseIn] = Field(min_length=1, max_length=20)
    accept_limit: int | None = _number(None, lo=1, hi=MAX_ACCEPT_LIMIT)


class AftercareIn(Document):
    """Looking after responders who went: a check-in some time after they accepted, and the outcome."""

    check_in_after_s: float = _number(
        DEFAULT_CHECK_IN_AFTER_S,
        lo=1,
        hi=MAX_CHECK_IN_AFTER_S,
        description="Seconds after a responder accepted that the check-in reaches them (default 5,400: 90 minutes)",
    )
    questions: list[str] = Field(
        default_factory=list,
        max_length=MAX_QUESTIONS,
        description="The trust's own questions asked with the check-in, after how the responder is; each answered "
        "in the responder's words",
    )
    share_outcome: Flag = Field(
        default=False,
        description="A responder who accepted is told the outcome once the CAD has sent it",
    )
    wellbeing_emails: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Who is emailed when a responder answers the check-in with need_to_talk",
    )
    outcome_texts: dict[Outcome, str] | None = Field(
        default=None,
        description="The trust's words for each outcome, `{outcome: text}`; an outcome left out reads as the default",
    )


class AlerterIn(Document):
    """Who may raise the alarm as a bystander (an alerter), and what a raise does."""

    enabled: Flag = Field(default=False, description="Alerters may raise alerts for this trust")
    mode: Literal["auto", "confirm"] = Field(
        default="confirm",
        description="`auto`: a raise alerts the groups at once; `confirm`: it waits for a dispatcher (or the CAD) "
        "to confirm it",
    )
    who: Literal["registered", "anyone"] = Field(
        default="registered",
        description="`registered`: alerters the trust adds and invites; `anyone`: also whoever joins from the "
        "trust's open invite",
    )
    radius_m: float = _number(
        200, lo=MIN_RADIUS_M, hi=MAX_RADIUS_M, description="Who is alerted: within 10 to 20,000 m"
    )
    groups: list[GroupRef] = Field(
        default_factory=list,
        max_length=20,
        description="The groups alerted (trusted groups, as a rule); empty = the groups of the trust's first phase",
    )
    emergency_number: str = Field(
        default="999",
        pattern=r"^\+?[0-9]{2,15}$",
        description="The number the alerter's phone dials as the alert is raised",
    )
    max_per_day: int = _number(3, lo=1, hi=MAX_RAISES_PER_DAY, description="Raises per alerter in any 24 hours")
    accept_limit: int = _number(2, lo=1, hi=MAX_ACCEPT_LIMIT, description="Responders wanted for a raised alert")
    confirm_timeout_s: float = _number(
        DEFAULT_CONFIRM_TIMEOUT_S,
        lo=MIN_CONFIRM_TIMEOUT_S,
        hi=MAX_CONFIRM_TIMEOUT_S,
        description="`confirm` mode: a raise nobody confirmed within this many seconds (60 to 3,600) is closed, "
        "and the alerter told to call the emergency number",
    )


class PolicyIn(Document):
    phases: list[PhaseIn] = Field(min_length=1, max_length=20)
    accept_limit: int = _number(2, lo=1, hi=MAX_ACCEPT_LIMIT)
    alert_ttl_s: float = _number(600, lo=MIN_TTL_S, hi=MAX_TTL_S)
    categories: list[str] = Field(default_factory=lambda: ["*"], max_length=200)
    location_max_age_s: float = _number(900, lo=MIN_TTL_S, hi=MAX_TTL_S)
    zones: list[ZoneIn] = Field(default_factory=list, max_length=1000)
    max_alerts_per_hour: int | None = _number(
        None, lo=1, hi=MAX_ALERTS_PER_HOUR, description="Fatigue limit per responder; absent = off"
    )
    ack_timeout_s: float = _number(
        5, lo=1, hi=MAX_ACK_TIMEOUT_S, description="Unacknowledged alerts also go out by push after this"
    )
    reveal_address: Literal["always", "after_accept"] | None = Field(
        default=None,
        description="When the alert carries the full address: `always`, or `after_accept` (an approximate "
        "`area_hint` before, the address in the `assigned` frame). Absent: `after_accept` for private places "
        "(location_type private or unknown), `always` for public ones",
    )
    category_labels: dict[str, str] | None = Field(
        default=None,
        max_length=500,
        description="Words for categories, `{code or pattern: text}` (`*` a wildcard): the alert's `category_label`. "
        "An exact code wins over a pattern; among patterns the first listed that matches",
    )

    exclude_flags: list[IncidentFlag] = Field(
        default_factory=list,
        max_length=len(IncidentFlag),
        description="Incidents the CAD flags with any of these alert no one: status not_alerted, with the reason",
    )
    replace_declined: Flag = Field(
        default=False,
        description="A decline, or no answer within answer_s, alerts the next nearest eligible responder in the phase",
    )
    answer_s: float = _number(
        60.0,
        lo=MIN_ANSWER_S,
        hi=MAX_TTL_S,
        description="With replace_declined: seconds before a silent alert is replaced",
    )
    only_if_faster_than_ambulance: Flag = Field(
        default=False,
        description="When the CAD gives ambulance_eta_s, alert only responders expected that much sooner than the crew",
    )
    ambulance_margin_s: float = _number(
        0.0, lo=0, hi=MAX_AMBULANCE_MARGIN_S, description="How much sooner than the crew a responder must be expected"
    )
    cap_polygon_centroid: bool = Field(
        default=False,
        strict=True,
        description="A CAP alert whose area is a polygon with no circle is placed at the polygon's centroid. An area "
        "is not a point: the centroid may be far from the patient, or outside a concave area. Off (the default), such "
        "an alert is refused with 422 naming info.area.circle",
    )
    time_zone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The trust's IANA time zone, in which AED opening hours are read at the incident's time. "
        "Absent: Europe/London",
    )
    public_holidays: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="The country (ISO 3166-1 alpha-2) whose public holidays `PH` means in AED opening hours. Absent: GB",
    )

    aftercare: AftercareIn | None = Field(
        default=None,
        description="The check-in after an alert and the outcome told to responders. Absent: a check-in after 90 "
        "minutes with no questions of the trust's own, the outcome not shared",
    )

    alerter: AlerterIn | None = Field(
        default=None,
        description="Bystanders who raise the alarm (alerters). Absent: alerters are off",
    )

    def to_json(self) -> dict[str, Any]:
        """The shape stored and answered: fields left out stay out (`None` means absent)."""
        return self.model_dump(exclude_none=True)


def within_bounds(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored policy brought inside today's bounds: numbers clamped to each field's range, and a
    boolean saved where a number belongs read as the number it was taken for then.

    Versions saved before a bound existed (a phase delayed by 1e12 s) must not make every later
    incident of the trust fail; the clamped version alerts as nearly as possible what was asked."""
    return _clamped(stored, PolicyIn)


def _clamped(doc: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    nested: dict[str, type[BaseModel]] = {
        "phases": PhaseIn,
        "zones": ZoneIn,
        "aftercare": AftercareIn,
        "alerter": AlerterIn,
    }
    out = dict(doc)
    for name, info in model.model_fields.items():
        value = out.get(name)
        if name in nested and isinstance(value, list):
            out[name] = [_clamped(v, nested[name]) if isinstance(v, Mapping) else v for v in value]
            continue
        if name in nested and isinstance(value, Mapping):
            out[name] = _clamped(value, nested[name])
            continue
        bounds = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "minimum" not in bounds or not isinstance(value, int | float):
            continue
        lo, hi = float(bounds["minimum"]), float(bounds["maximum"])  # type: ignore[arg-type]
        number = lo if math.isnan(value) else min(max(float(value), lo), hi)
        out[name] = int(number) if info.annotation in (int, int | None) else number
    return out
