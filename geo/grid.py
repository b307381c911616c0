"""British National Grid eastings and northings (EPSG:27700) to WGS84 latitude and longitude.

UK ambulance CADs locate incidents on the National Grid. OSTN15, the Ordnance Survey's definitive
OSGB36 to ETRS89 transformation, is used when PROJ has its grid (`uk_os_OSTN15_NTv2_OSGBtoETRS.tif`,
shipped in `geo/grids/`, else looked for on PROJ's own search path); without it, the seven-parameter
Helmert transformation (EPSG "OSGB36 to WGS 84 (6)") is used, which OS states is good to a few
metres. Against the 40 points of OS's OSTN15 developer test pack the Helmert answer is off by
0.1 to 4.9 m (1.9 m on average, worst on Scilly and the Outer Hebrides), OSTN15 here by under
8 mm (docs/cad-formats.md, "Grid references"). ETRS89 is taken as WGS84, as OS does: they
differ by well under a metre in Britain today, less than GPS on a phone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from pyproj import Transformer
from pyproj.exceptions import ProjError

OSTN15_GRID = "uk_os_OSTN15_NTv2_OSGBtoETRS.tif"
PACKAGED_GRID = Path(__file__).with_name("grids") / OSTN15_GRID

# The National Grid's false origin is south-west of the Scilly Isles; these bounds hold all of
# Great Britain and its islands (Shetland reaches about 1,220 km north).
MAX_EASTING = 700_000.0
MAX_NORTHING = 1_300_000.0

_GRID_TO_AIRY = (
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy"
)
_OSTN15 = _GRID_TO_AIRY + " +step +proj=hgridshift +grids={grid} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
_HELMERT = (
    _GRID_TO_AIRY + " +step +proj=push +v_3 +step +proj=cart +ellps=airy"
    " +step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +rx=0.15 +ry=0.247 +rz=0.842 +s=-20.489"
    " +convention=position_vector +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3"
    " +step +proj=unitconvert +xy_in=rad +xy_out=deg"
)


# How documents name EPSG:27700: OGC URNs (any version), OGC http URIs, "EPSG:27700", and the names
# UK systems use in free-form geocodes.
_GRID_SRS = re.compile(
    r"^(?:urn:ogc:def:crs:EPSG:[\d.]*:27700|https?://www\.opengis\.net/def/crs/EPSG/\d+/27700|EPSG:+27700"
    r"|BNG|OSGB36|OSGB|British National Grid)$",
    re.IGNORECASE,
)


def is_british_grid(name: str | None) -> bool:
    """Whether a CRS name (a GML `srsName`, a CAP geocode's `valueName`) means the National Grid."""
    return name is not None and _GRID_SRS.match(name.strip()) is not None


_LETTERED = re.compile(r"^([A-HJ-Z])([A-HJ-Z])\s*(\d+)\s*(\d*)$", re.IGNORECASE)


def _lettered(text: str) -> tuple[float, float] | None:
    """An OS grid reference with letters ("SE 22242 33818", "SE2224233818"), at its south-west corner."""
    m = _LETTERED.match(text.strip())
    if m is None:
        return None
    digits = m.group(3) + m.group(4)
    if len(digits) % 2 or not 2 <= len(digits) <= 10:
        return None
    first, second = (ord(c.upper()) - ord("A") for c in (m.group(1), m.group(2)))
    first, second = first - (first > 7), second - (second > 7)  # there is no I
    east_100km = ((first - 2) % 5) * 5 + second % 5
    north_100km = (19 - (first // 5) * 5) - second // 5
    half = len(digits) // 2
    scale = 10 ** (5 - half)
    return east_100km * 100_000 + int(digits[:half]) * scale, north_100km * 100_000 + int(digits[half:]) * scale


def read_pair(text: str) -> tuple[float, float]:
    """(easting, northing) from "easting northing", "easting,northing" or a lettered OS grid
    reference ("SE 22242 33818"); GridError otherwise."""
    if (lettered := _lettered(text)) is not None:
        return lettered
    parts = text.replace(",", " ").split()
    try:
        easting, northing = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        easting = northing = math.nan
    if not (math.isfinite(easting) and math.isfinite(northing)):
        raise GridError(
            f"expected 'easting northing' in metres or a grid reference like 'SE 22242 33818', got {text[:60]!r}"
        )
    return easting, northing


class Method(StrEnum):
    OSTN15 = "ostn15"
    HELMERT = "helmert"


class GridError(ValueError):
    """The easting and northing are not a point on the National Grid that can be converted."""


@dataclass(frozen=True, slots=True)
class GridConverter:
    """One conversion method, chosen once: a process converts every point the same way."""

    method: Method
    _transformer: Transformer

    @classmethod
    def with_grid(cls, grid: str | Path | None) -> GridConverter:
        """OSTN15 from `grid` (a path, or a file name on PROJ's search path) if PROJ can read it, else Helmert."""
        if grid is not None:
            try:
                t = Transformer.from_pipeline(_OSTN15.format(grid=grid))
                lon, lat = t.transform(400_000.0, 300_000.0, errcheck=True)
                if math.isfinite(lon) and math.isfinite(lat):
                    return cls(Method.OSTN15, t)
            except ProjError:
                pass  # the grid is not there (or not readable): the approximation below
        return cls(Method.HELMERT, Transformer.from_pipeline(_HELMERT))

    def to_wgs84(self, easting: float, northing: float) -> tuple[float, float]:
        """(lat, lon) in degrees; GridError for a point off the grid or outside OSTN15's coverage."""
        if not (0 <= easting <= MAX_EASTING and 0 <= northing <= MAX_NORTHING):
            raise GridError(
                f"({easting}, {northing}) is outside the British National Grid "
                f"(easting 0 to {MAX_EASTING:,.0f} m, northing 0 to {MAX_NORTHING:,.0f} m)"
            )
        try:
            lon, lat = self._transformer.transform(easting, northing, errcheck=True)
        except ProjError as exc:
            raise GridError(f"({easting}, {northing}) is outside the area OSTN15 covers") from exc
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise GridError(f"({easting}, {northing}) is outside the area OSTN15 covers")
        return float(lat), float(lon)


@cache
def converter() -> GridConverter:
    """The process's converter: the shipped OSTN15 grid, else one PROJ finds by name, else Helmert."""
    if PACKAGED_GRID.is_file():
        found = GridConverter.with_grid(PACKAGED_GRID)
        if found.method is Method.OSTN15:
            return found
    return GridConverter.with_grid(OSTN15_GRID)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    return converter().to_wgs84(easting, northing)
