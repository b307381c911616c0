"""The alerter socket's parser: a message, a ping or the sign-in, anything else a ProtocolError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerting.realtime import alerter_protocol
from alerting.realtime.protocol import ProtocolError


def test_a_message_is_trimmed_words():
    msg = alerter_protocol.parse(json.dumps({"type": "message", "text": "  Second floor\nflat 4  "}))
    assert isinstance(msg, alerter_protocol.AlerterMessage) and msg.text == "Second floor\nflat 4"
    assert isinstance(alerter_protocol.parse('{"type": "ping"}'), alerter_protocol.Ping)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"type": "message", "text": ""}', "invalid_message"),
        ('{"type": "message", "text": "   "}', "invalid_message"),
        ('{"type": "message", "text": "a\\u0000b"}', "invalid_message"),
        (json.dumps({"type": "message", "text": "x" * 1001}), "invalid_message"),
        ('{"type": "message"}', "invalid_message"),
        ('{"type": "accept", "alert_id": "x"}', "unknown_type"),  # a responder's message is not an alerter's
        ('{"type": "location", "lat": 1, "lon": 2}', "unknown_type"),
        ("not json", "invalid_json"),
    ],
)
def test_what_is_not_an_alerters_message_is_named(raw, code):
    with pytest.raises(ProtocolError) as refused:
        alerter_protocol.parse(raw)
    assert refused.value.code == code and refused.value.detail


@given(st.binary(max_size=200) | st.text(max_size=200))
@settings(max_examples=200)
def test_arbitrary_bytes_never_raise_anything_but_a_protocol_error(raw):
    try:
        alerter_protocol.parse(raw)
    except ProtocolError:
        pass
