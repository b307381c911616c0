"""JSON text read with a bound on nesting, so a hostile document is refused rather than recursed into.

The standard parser recurses once per level and raises RecursionError near 1,000 levels, which
is not a JSONDecodeError: every caller that turns a decode error into a 4xx would answer 500
instead, and code walking a document a little less deep (GeoJSON, Shapely) fails the same way.
Real documents are shallow (a GeoJSON MultiPolygon feature collection is 7 levels, an EIDO
document about 8), so the bound is generous and the refusal is an ordinary JSONDecodeError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "loads", "too_deep"]

MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def too_deep(data: bytes | str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether `data` nests deeper than `max_depth`.

    Strings are dropped first (a bracket inside one is text), then everything but brackets; each
    pass removes the innermost empty pairs, so a document `max_depth` deep is empty after that many
    passes. All of it runs in C, so a large shallow document costs a few fast passes."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets, n = _INNERMOST.subn(b"", brackets)
        if not n:
            return False  # unbalanced: not JSON, which the parser reports in its own words
    return bool(brackets)


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """`json.loads`, refusing with JSONDecodeError a document nested deeper than `max_depth`."""
    if too_deep(data, max_depth):
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        raise json.JSONDecodeError(f"nested more than {max_depth} levels deep", text, 0)
    return json.loads(data, parse_constant=parse_constant)
