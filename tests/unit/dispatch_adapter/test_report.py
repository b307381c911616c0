"""Mapped fields obey the native rules, and a refusal names where in the document the value was."""

from __future__ import annotations

import pytest

from dispatch_adapter.mappings import MappingError
from dispatch_adapter.mappings.report import build_report, clip

VALID = {"cad_ref": "R-1", "category": "09-E-01", "lat": 53.8, "lon": -1.55}


def test_clip_keeps_note_lines_and_flattens_addresses():
    assert clip("  line one\n  line two \n", 100) == "line one\n  line two"
    assert clip("12 Park Row,\n   Leeds", 100, one_line=True) == "12 Park Row, Leeds"
    assert clip(" \n ", 100) is None and clip(None, 100) is None
    assert clip("abcdef", 4) == "abc…"


def test_absent_optional_fields_take_the_native_defaults():
    report = build_report({**VALID, "address": None, "notes": None}, {})
    assert report.location_type == "unknown" and report.address is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lat": 90.5}, "the position"),
        ({"cad_ref": ""}, "the identifier"),
        ({"category": "x" * 33}, "the code"),
    ],
)
def test_refusal_names_the_documents_field(change, field):
    origin = {"lat": "the position", "lon": "the position", "cad_ref": "the identifier", "category": "the code"}
    with pytest.raises(MappingError) as caught:
        build_report({**VALID, **change}, origin)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")


def test_a_field_without_an_origin_is_named_as_ours():
    with pytest.raises(MappingError) as caught:
        build_report({**VALID, "location_type": "garden"}, {})
    assert caught.value.field == "location_type"
