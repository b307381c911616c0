"""A trust's alerting policy: phases of widening radius and groups, and the rules around them.

The JSON document, its types and defaults are `policy_document.PolicyIn`; `build_policy` applies
every rule beyond a single field's type, so the admin console and the CAD see one set of errors,
each naming the field it is about, and returns the `Policy` the incident machine runs on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from shapely.geometry.base import BaseGeometry

from alerting.domain.aftercare import MAX_TEXT, Aftercare, valid_email
from alerting.domain.alerter_rules import AlerterRules
from alerting.domain.categories import valid_pattern
from alerting.domain.policy_document import (
    MAX_ACCEPT_LIMIT,
    MAX_ACK_TIMEOUT_S,
    MAX_ALERTS_PER_HOUR,
    MAX_AMBULANCE_MARGIN_S,
    MAX_CHECK_IN_AFTER_S,
    MAX_CONFIRM_TIMEOUT_S,
    MAX_DELAY_S,
    MAX_PHASE_ALERTS,
    MAX_RADIUS_M,
    MAX_RAISES_PER_DAY,
    MAX_TTL_S,
    MIN_ANSWER_S,
    MIN_CONFIRM_TIMEOUT_S,
    MIN_RADIUS_M,
    MIN_TTL_S,
    PhaseIn,
    PolicyIn,
)
from alerting.domain.zones import ZoneArea, ZoneError, ZoneLookup
from geo.aed_hours import DEFAULT_HOLIDAYS, DEFAULT_TIME_ZONE, known_country, known_zone

_DEFAULTS = PolicyIn.model_construct(phases=[])  # the document's defaults are the policy's: defined once, there


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    groups: tuple[str, ...]
    radius_m: float
    delay_s: float
    max_alerts: int | None = None  # None: everyone eligible within the radius is alerted


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    area: ZoneArea
    phases: tuple[Phase, ...]
    accept_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    phases: tuple[Phase, ...]
    accept_limit: int = _DEFAULTS.accept_limit
    alert_ttl_s: float = _DEFAULTS.alert_ttl_s
    categories: tuple[str, ...] = tuple(_DEFAULTS.categories)
    location_max_age_s: float = _DEFAULTS.location_max_age_s
    zones: tuple[Zone, ...] = ()
    max_alerts_per_hour: int | None = _DEFAULTS.max_alerts_per_hour  # fatigue limit per responder; None = off
    ack_timeout_s: float = _DEFAULTS.ack_timeout_s
    reveal_address: str | None = _DEFAULTS.reveal_address  # None: after acceptance for private places only
    category_labels: tuple[tuple[str, str], ...] = ()  # (code or pattern, text), in the document's order
    exclude_flags: frozenset[str] = frozenset()
    replace_declined: bool = _DEFAULTS.replace_declined
    answer_s: float = _DEFAULTS.answer_s
    only_if_faster_than_ambulance: bool = _DEFAULTS.only_if_faster_than_ambulance
    ambulance_margin_s: float = _DEFAULTS.ambulance_margin_s
    cap_polygon_centroid: bool = _DEFAULTS.cap_polygon_centroid  # a trust's choice: an area is not a point
    time_zone: str = DEFAULT_TIME_ZONE  # AED opening hours are read in it
    public_holidays: str = DEFAULT_HOLIDAYS  # the country `PH` means in opening hours
    aftercare: Aftercare = Aftercare()  # the check-in after an alert, and the outcome told
    alerter: AlerterRules = AlerterRules()  # bystanders who raise the alarm; off by default
    _lookup: ZoneLookup[Zone] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lookup", ZoneLookup(self.zones))

    def zone_for(self, lat: float, lon: float) -> Zone | None:
        """The first zone holding the point decides; None means the trust-wide phases apply."""
        return self._lookup.find(lat, lon)


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: str
    msg: str


class PolicyError(ValueError):
    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.loc}: {e.msg}" for e in self.errors))


@dataclass
class _Collector:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, loc: str, msg: str) -> None:
        self.errors.append(FieldError(loc, msg))


def _unique_name(raw: str, loc: str, kind: str, seen: set[str], c: _Collector) -> str:
    """A phase's or zone's name: not empty and not used twice in the same list."""
    name = raw.strip()
    if not name:
        c.error(loc, "must not be empty")
    elif name in seen:
        c.error(loc, f"duplicate {kind} name {name!r}")
    seen.add(name)
    return name


def _phases(
    raw: Sequence[PhaseIn], loc: str, groups: set[str], c: _Collector, *, refuse_duplicates: bool = True
) -> tuple[Phase, ...]:
    if not raw:
        c.error(loc, "at least one phase is required")
        return ()
    phases: list[Phase] = []
    seen: set[str] = set()
    same: dict[tuple[frozenset[str], float, float], tuple[int, str]] = {}  # what a phase alerts -> the first such
    for i, p in enumerate(raw):
        here = f"{loc}[{i}]"
        name = _unique_name(p.name, f"{here}.name", "phase", seen, c)
        phase_groups = tuple(dict.fromkeys(p.groups))
        if not phase_groups:
            c.error(f"{here}.groups", "at least one group is required")
        for g in phase_groups:
            if g not in groups:
                c.error(f"{here}.groups", f"unknown group {g!r}")
        radius = p.radius_m
        if not math.isfinite(radius) or not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
            c.error(f"{here}.radius_m", f"must be between {MIN_RADIUS_M} and {MAX_RADIUS_M} m")
        delay = p.delay_s
        if not math.isfinite(delay) or not 0 <= delay <= MAX_DELAY_S:
            c.error(f"{here}.delay_s", f"must be between 0 and {MAX_DELAY_S} s (24 hours)")
        if p.max_alerts is not None and not 1 <= p.max_alerts <= MAX_PHASE_ALERTS:
            c.error(
                f"{here}.max_alerts", f"must be between 1 and {MAX_PHASE_ALERTS} (or absent to alert everyone eligible)"
            )
        twin = same.setdefault((frozenset(phase_groups), radius, delay), (i, name))
        if twin[0] != i and refuse_duplicates:
            c.error(
                here,
                f"phase {name!r} has the same groups, radius and delay as phase {twin[1]!r} ({loc}[{twin[0]}]): "
                "it would alert nobody new; change one of them or remove it",
            )
        phases.append(Phase(name, phase_groups, radius, delay, p.max_alerts))
    ordered = sorted(phases, key=lambda ph: ph.delay_s)  # stable: equal delays keep their order
    for earlier, later in pairwise(ordered):
        if later.radius_m < earlier.radius_m:
            c.warnings.append(
                f"{loc}: phase {later.name!r} has a smaller radius ({later.radius_m:g} m) than the earlier "
                f"phase {earlier.name!r} ({earlier.radius_m:g} m); it can only reach people already alerted or nearer"
            )
    return tuple(ordered)


def _check_inside(trust_area: BaseGeometry, name: str, *, area_of: BaseGeometry, loc: str, c: _Collector) -> None:
    if not trust_area.intersects(area_of):
        c.error(loc, "lies entirely outside the trust's service area (GeoJSON order is lon, lat)")
    elif not trust_area.covers(area_of):
        c.warnings.append(f"zone {name!r} extends beyond the trust's service area; only the part inside it is used")


def _aftercare(doc: PolicyIn, c: _Collector) -> Aftercare:
    raw = doc.aftercare
    if raw is None:
        return Aftercare()
    if not 1 <= raw.check_in_after_s <= MAX_CHECK_IN_AFTER_S:
        c.error("aftercare.check_in_after_s", f"must be between 1 and {MAX_CHECK_IN_AFTER_S} s")
    questions = tuple(q.strip() for q in raw.questions)
    for i, q in enumerate(questions):
        if not 1 <= len(q) <= MAX_TEXT:
            c.error(f"aftercare.questions[{i}]", f"a question must be 1 to {MAX_TEXT} characters")
    if len(set(questions)) != len(questions):
        c.error("aftercare.questions", "a question is asked twice")
    texts = tuple((str(k), v.strip()) for k, v in (raw.outcome_texts or {}).items())
    for outcome, text in texts:
        if not 1 <= len(text) <= MAX_TEXT:
            c.error(f"aftercare.outcome_texts.{outcome}", f"the text must be 1 to {MAX_TEXT} characters")
    emails = tuple(e.strip() for e in raw.wellbeing_emails)
    for i, address in enumerate(emails):
        if not valid_email(address):
            c.error(f"aftercare.wellbeing_emails[{i}]", f"{address!r} is not an email address")
    return Aftercare(
        wellbeing_emails=emails,
        check_in_after_s=raw.check_in_after_s,
        questions=questions,
        share_outcome=raw.share_outcome,
        outcome_texts=texts,
    )


def _alerter(doc: PolicyIn, groups: set[str], c: _Collector) -> AlerterRules:
    raw = doc.alerter
    if raw is None:
        return AlerterRules()
    if not math.isfinite(raw.radius_m) or not MIN_RADIUS_M <= raw.radius_m <= MAX_RADIUS_M:
        c.error("alerter.radius_m", f"must be between {MIN_RADIUS_M} and {MAX_RADIUS_M} m")
    for g in raw.groups:
        if g not in groups:
            c.error("alerter.groups", f"unknown group {g!r}")
    if not 1 <= raw.max_per_day <= MAX_RAISES_PER_DAY:
        c.error("alerter.max_per_day", f"must be between 1 and {MAX_RAISES_PER_DAY}")
    if not 1 <= raw.accept_limit <= MAX_ACCEPT_LIMIT:
        c.error("alerter.accept_limit", f"must be between 1 and {MAX_ACCEPT_LIMIT}")
    if not math.isfinite(raw.confirm_timeout_s) or not (
        MIN_CONFIRM_TIMEOUT_S <= raw.confirm_timeout_s <= MAX_CONFIRM_TIMEOUT_S
    ):
        lo, hi = MIN_CONFIRM_TIMEOUT_S, MAX_CONFIRM_TIMEOUT_S
        c.error("alerter.confirm_timeout_s", f"must be between {lo // 60} and {hi // 60} minutes ({lo} to {hi} s)")
    return AlerterRules.from_document(raw)


def build_policy(
    raw: PolicyIn | Mapping[str, Any],
    *,
    known_groups: set[str],
    area: BaseGeometry | None = None,
    refuse_duplicates: bool = True,
) -> tuple[Policy, list[str]]:
    """Validate a policy document (a mapping is type-checked as one first); returns the policy and any warnings.

    Two phases with the same groups, radius and delay are refused (the second alerts nobody new);
    `refuse_duplicates=False` reads a version stored before that rule without refusing it.

    With the trust's service `area`, each zone must overlap it: a zone wholly outside can never
    decide anything, which is almost always a drawing or lat/lon-order mistake.
    """
    doc = raw if isinstance(raw, PolicyIn) else PolicyIn.model_validate(raw)
    c = _Collector()
    phases = _phases(doc.phases, "phases", known_groups, c, refuse_duplicates=refuse_duplicates)

    if not 1 <= doc.accept_limit <= MAX_ACCEPT_LIMIT:
        c.error("accept_limit", f"must be between 1 and {MAX_ACCEPT_LIMIT}")
    if not MIN_TTL_S <= doc.alert_ttl_s <= MAX_TTL_S:
        c.error("alert_ttl_s", f"must be between {MIN_TTL_S} and {MAX_TTL_S} s")
    if not MIN_TTL_S <= doc.location_max_age_s <= MAX_TTL_S:
        c.error("location_max_age_s", f"must be between {MIN_TTL_S} and {MAX_TTL_S} s")
    categories = tuple(x.strip() for x in (doc.categories or _DEFAULTS.categories))
    for i, pattern in enumerate(categories):
        if not valid_pattern(pattern):
            c.error(
                f"categories[{i}]",
                f"{pattern!r} is not a category code or pattern (letters, digits, spaces, '-', '.', '*')",
            )
    if doc.max_alerts_per_hour is not None and not 1 <= doc.max_alerts_per_hour <= MAX_ALERTS_PER_HOUR:
        c.error("max_alerts_per_hour", f"must be between 1 and {MAX_ALERTS_PER_HOUR} (or absent to turn the limit off)")
    if not 1 <= doc.ack_timeout_s <= MAX_ACK_TIMEOUT_S:
        c.error("ack_timeout_s", f"must be between 1 and {MAX_ACK_TIMEOUT_S} s")
    if not MIN_ANSWER_S <= doc.answer_s <= MAX_TTL_S:
        c.error("answer_s", f"must be between {MIN_ANSWER_S} and {MAX_TTL_S} s")
    if not 0 <= doc.ambulance_margin_s <= MAX_AMBULANCE_MARGIN_S:
        c.error("ambulance_margin_s", f"must be between 0 and {MAX_AMBULANCE_MARGIN_S} s")
    if doc.time_zone is not None and not known_zone(doc.time_zone):
        c.error("time_zone", f"{doc.time_zone!r} is not an IANA time zone name (such as Europe/London)")
    if doc.public_holidays is not None and not known_country(doc.public_holidays):
        c.error("public_holidays", f"no public holidays are known for {doc.public_holidays!r}")

    labels = tuple((k.strip(), v.strip()) for k, v in (doc.category_labels or {}).items())
    for pattern, text in labels:
        if not valid_pattern(pattern):
            c.error(f"category_labels.{pattern}", "is not a category code or pattern")
        if not 1 <= len(text) <= 200:
            c.error(f"category_labels.{pattern}", "the text must be 1 to 200 characters")

    aftercare = _aftercare(doc, c)
    alerter = _alerter(doc, known_groups, c)

    zones: list[Zone] = []
    zone_names: set[str] = set()
    for i, z in enumerate(doc.zones):
        here = f"zones[{i}]"
        name = _unique_name(z.name, f"{here}.name", "zone", zone_names, c)
        try:
            zone_area = ZoneArea.from_geojson(z.area)
        except ZoneError as exc:
            c.error(f"{here}.area", f"the area {exc}")
            continue
        if area is not None:
            _check_inside(area, name, area_of=zone_area.geom, loc=f"{here}.area", c=c)
        zone_phases = _phases(z.phases, f"{here}.phases", known_groups, c, refuse_duplicates=refuse_duplicates)
        if z.accept_limit is not None and not 1 <= z.accept_limit <= MAX_ACCEPT_LIMIT:
            c.error(f"{here}.accept_limit", f"must be between 1 and {MAX_ACCEPT_LIMIT}")
        zones.append(Zone(name, zone_area, zone_phases, z.accept_limit))

    if c.errors:
        raise PolicyError(c.errors)
    policy = Policy(
        phases=phases,
        accept_limit=doc.accept_limit,
        alert_ttl_s=doc.alert_ttl_s,
        categories=categories,
        location_max_age_s=doc.location_max_age_s,
        zones=tuple(zones),
        max_alerts_per_hour=doc.max_alerts_per_hour,
        ack_timeout_s=doc.ack_timeout_s,
        reveal_address=doc.reveal_address,
        category_labels=labels,
        exclude_flags=frozenset(doc.exclude_flags),
        replace_declined=doc.replace_declined,
        answer_s=doc.answer_s,
        only_if_faster_than_ambulance=doc.only_if_faster_than_ambulance,
        ambulance_margin_s=doc.ambulance_margin_s,
        cap_polygon_centroid=doc.cap_polygon_centroid,
        time_zone=doc.time_zone or DEFAULT_TIME_ZONE,
        public_holidays=doc.public_holidays or DEFAULT_HOLIDAYS,
        aftercare=aftercare,
        alerter=alerter,
    )
    return policy, c.warnings
