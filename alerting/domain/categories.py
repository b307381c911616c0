"""MPDS/AMPDS-style category codes (e.g. `09-E-01`) matched against a trust's patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_PATTERN_CHARS = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9*\-. ]{0,31}$")


def valid_pattern(pattern: str) -> bool:
    return bool(_PATTERN_CHARS.match(pattern))


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    # Only `*` is special; everything else is literal so a code like `09-E-01` cannot smuggle regex.
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def category_matches(category: str, patterns: Iterable[str]) -> bool:
    code = category.strip()
    return any(_compile(p.strip()).fullmatch(code) for p in patterns)
