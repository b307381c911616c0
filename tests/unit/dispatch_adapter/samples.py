"""The realistic sample documents under tests/fixtures/cad/, read as a CAD would send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cad"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def doc(name: str) -> dict[str, Any]:
    return json.loads(raw(name))


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()
