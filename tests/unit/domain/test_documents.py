"""Request documents refuse what their JSON schema says they refuse, and the schema says it."""

from __future__ import annotations

import re

import pytest
from pydantic import Field, ValidationError

from alerting.domain.documents import NUL_FREE, SOME_TEXT, Day, Document, Flag, Instant


class Sample(Document):
    name: str = Field(max_length=50)
    tags: list[str] = []
    labels: dict[str, str] = {}
    on: Flag = False
    at: Instant | None = None
    day: Day | None = None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "a\x00b"},
        {"name": "a", "tags": ["ok", "n\x00"]},
        {"name": "a", "labels": {"k\x00": "v"}},
        {"name": "a", "labels": {"k": "\x00"}},
    ],
)
def test_a_nul_anywhere_is_refused_naming_the_field(body):
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(body)
    assert "NUL" in caught.value.errors()[0]["msg"]


def test_the_schema_says_every_string_is_nul_free():
    schema = Sample.model_json_schema()["properties"]
    assert schema["name"]["pattern"] == NUL_FREE
    assert schema["tags"]["items"]["pattern"] == NUL_FREE
    assert schema["labels"]["additionalProperties"]["pattern"] == NUL_FREE
    assert schema["labels"]["propertyNames"]["pattern"] == NUL_FREE


@pytest.mark.parametrize(
    "body",
    [{"on": 1}, {"on": "true"}, {"at": 0.5}, {"at": "0.5"}, {"at": 1700000000}, {"day": 20000}, {"day": "2026-1-2"}],
)
def test_booleans_and_times_are_only_what_json_means_by_them(body):
    with pytest.raises(ValidationError):
        Sample.model_validate({"name": "a", **body})


def test_rfc_3339_times_and_iso_days_are_read():
    got = Sample.model_validate({"name": "a", "on": True, "at": "2026-12-02T13:00:00Z", "day": "2026-12-02"})
    assert got.on is True and got.at is not None and got.at.hour == 13 and got.day is not None


@pytest.mark.parametrize("text, blank", [("a", False), (" b ", False), ("   ", True), ("\x85\u3000", True)])
def test_some_text_is_what_strip_leaves_something_of(text, blank):
    """The pattern spells whitespace out, so a client's regex engine reads it as the server's does."""
    assert (re.match(SOME_TEXT, text) is None) is blank
    assert (text.strip() == "") is blank
