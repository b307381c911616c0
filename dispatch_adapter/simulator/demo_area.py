"""Leeds: the area the simulator posts incidents into by default, and the demo trust's service area
(`python -m alerting demo`), so the two agree without configuration."""

from __future__ import annotations

from typing import Any

LEEDS: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [[[-1.75, 53.70], [-1.30, 53.70], [-1.30, 53.92], [-1.75, 53.92], [-1.75, 53.70]]],
}
