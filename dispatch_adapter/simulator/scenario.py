"""The simulator's pure core: where incidents happen, what they say, and what the run amounted to."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from alerting.domain.vocabulary import IncidentFlag

__all__ = ["Outcome", "Summary", "incident_payload", "parse_bbox", "random_point", "summarise"]

# Cardiac and respiratory arrest codes (AMPDS card 9) with rough relative frequencies.
CATEGORIES = (("09-E-01", 6), ("09-E-02", 1), ("09-D-01", 2))
STREETS = ("Briggate", "Boar Lane", "The Headrow", "Park Row", "Kirkgate", "Call Lane", "Albion Street")


def parse_bbox(text: str) -> dict[str, Any]:
    """`min_lat,min_lon,max_lat,max_lon` as a GeoJSON Polygon."""
    try:
        min_lat, min_lon, max_lat, max_lon = (float(p) for p in text.split(","))
    except ValueError as exc:
        raise ValueError("a bbox is four numbers: min_lat,min_lon,max_lat,max_lon") from exc
    if not (-90 <= min_lat < max_lat <= 90 and -180 <= min_lon < max_lon <= 180):
        raise ValueError("a bbox needs min < max, latitudes within ±90 and longitudes within ±180")
    return {
        "type": "Polygon",
        "coordinates": [
            [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
        ],
    }


def area_shape(geojson: dict[str, Any]) -> BaseGeometry:
    geom = shape(geojson)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError("the area must be a non-empty GeoJSON Polygon or MultiPolygon")
    return geom


def random_point(area: BaseGeometry, rng: random.Random, *, tries: int = 10_000) -> tuple[float, float]:
    """A uniform (lat, lon) inside the area, by rejection from its bounding box."""
    min_lon, min_lat, max_lon, max_lat = area.bounds
    for _ in range(tries):
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if area.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)
    raise ValueError("could not place a point inside the area; is it a sliver?")


def incident_payload(
    n: int,
    run_id: str,
    area: BaseGeometry,
    rng: random.Random,
    *,
    callback_url: str | None,
    public_share: float = 0.6,
    categories: tuple[tuple[str, int], ...] = CATEGORIES,
    ambulance_eta: tuple[float, float] | None = None,
    flags: tuple[tuple[str, float], ...] = (),
) -> dict[str, Any]:
    """`ambulance_eta` (low, high seconds) gives each incident a crew ETA drawn from it; each of
    `flags` (flag, share) is set on that share of incidents. Both draw after the rest, so a seed
    alone still repeats the incidents it did before."""
    lat, lon = random_point(area, rng)
    codes, weights = zip(*categories, strict=True)
    body: dict[str, Any] = {
        "cad_ref": f"SIM-{run_id}-{n:05d}",
        "lat": lat,
        "lon": lon,
        "category": rng.choices(codes, weights)[0],
        "location_type": "public" if rng.random() < public_share else "private",
        "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
        "notes": "simulated incident",
    }
    if callback_url:
        body["callback_url"] = callback_url
    if ambulance_eta is not None:
        body["ambulance_eta_s"] = round(rng.uniform(*ambulance_eta))
    chosen = [flag for flag, share in flags if rng.random() < share]
    if chosen:
        body["flags"] = chosen
    return body


def parse_ambulance_eta(text: str) -> tuple[float, float]:
    """`300` or `120,600`: seconds until the crew arrives, fixed or drawn from the range."""
    parts = [float(p) for p in text.split(",")]
    if len(parts) not in (1, 2) or any(p < 0 or p > 86_400 for p in parts):
        raise ValueError("give seconds (0 to 86400) as N or LOW,HIGH")
    low, high = parts[0], parts[-1]
    if low > high:
        raise ValueError("LOW must not be above HIGH")
    return low, high


def parse_flags(text: str) -> tuple[tuple[str, float], ...]:
    """`unsafe_scene=0.1,child=0.2` (a flag alone means every incident)."""
    out = []
    for item in filter(None, (i.strip() for i in text.split(","))):
        flag, _, share = item.partition("=")
        if flag not in {f.value for f in IncidentFlag}:
            raise ValueError(f"unknown flag {flag!r}; one of {', '.join(f.value for f in IncidentFlag)}")
        value = float(share) if share else 1.0
        if not 0 <= value <= 1:
            raise ValueError(f"the share of {flag!r} must be between 0 and 1")
        out.append((flag, value))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the simulator saw for one post."""

    cad_ref: str
    posted_at: float
    status: int
    incident_id: str | None = None
    alerted: int = 0


@dataclass
class Summary:
    posted: int = 0
    created: int = 0
    failed: dict[int, int] = field(default_factory=dict)  # HTTP status -> count
    alerted: int = 0
    accepted: int = 0
    filled: int = 0
    exhausted: int = 0
    closed: int = 0
    median_first_accept_s: float | None = None
    webhooks: int = 0
    webhook_attempts: int = 0
    bad_signatures: int = 0
    events: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        median = "n/a" if self.median_first_accept_s is None else f"{self.median_first_accept_s:.1f} s"
        failed = ", ".join(f"{n}x {status}" for status, n in sorted(self.failed.items())) or "none"
        return [
            f"posted {self.posted} incidents: {self.created} created, failed: {failed}",
            f"alerted {self.alerted}, accepted {self.accepted}, filled {self.filled}, exhausted {self.exhausted}, "
            f"closed {self.closed}",
            f"median time to first accept: {median}",
            f"webhooks: {self.webhooks} events in {self.webhook_attempts} attempts, "
            f"{self.bad_signatures} with a bad signature",
        ]


def _ts(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def summarise(
    outcomes: list[Outcome], events: list[dict[str, Any]], *, attempts: int, bad_signatures: int, closed: int = 0
) -> Summary:
    """Counts per incident, from the posts and the (deduplicated, verified) webhook events."""
    mine = {o.incident_id: o for o in outcomes if o.incident_id}
    first_accept: dict[str, float] = {}
    kinds: Counter[str] = Counter()
    by_incident: dict[str, set[str]] = {}
    for e in events:
        if e.get("incident_id") not in mine:
            continue
        kinds[e["event"]] += 1
        by_incident.setdefault(e["incident_id"], set()).add(e["event"])
        if e["event"] == "responder.accepted":
            at = _ts(e["at"])
            first_accept[e["incident_id"]] = min(at, first_accept.get(e["incident_id"], at))
    delays = [first_accept[i] - mine[i].posted_at for i in first_accept]
    failed = Counter(o.status for o in outcomes if o.status not in (200, 201))
    return Summary(
        posted=len(outcomes),
        created=sum(1 for o in outcomes if o.status == 201),
        failed=dict(failed),
        alerted=sum(1 for i, o in mine.items() if o.alerted > 0 or "incident.alerting" in by_incident.get(i, ())),
        accepted=len(first_accept),
        filled=sum("incident.filled" in s for s in by_incident.values()),
        exhausted=sum("incident.exhausted" in s for s in by_incident.values()),
        closed=closed,
        median_first_accept_s=statistics.median(delays) if delays else None,
        webhooks=sum(kinds.values()),
        webhook_attempts=attempts,
        bad_signatures=bad_signatures,
        events=dict(kinds),
    )
