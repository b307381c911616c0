"""The socket message parser, fed anything: it answers a message or a ProtocolError, nothing else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from alerting.realtime import protocol

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
types = st.sampled_from(["auth", "location", "availability", "accept", "decline", "arrived", "ack", "ping", "nope", ""])
messages = st.dictionaries(
    st.sampled_from(["type", "token", "lat", "lon", "accuracy_m", "available", "alert_id", "x"]),
    json_values,
    max_size=6,
)


def _parse_or_error(raw: str | bytes):
    try:
        return protocol.parse(raw)
    except protocol.ProtocolError as exc:
        assert exc.code in ("invalid_json", "invalid_message", "unknown_type") and exc.detail
        return None


@given(st.binary(max_size=200) | st.text(max_size=200))
@settings(max_examples=200)
def test_arbitrary_bytes_never_raise_anything_but_a_protocol_error(raw):
    _parse_or_error(raw)


@given(messages, types)
@settings(max_examples=300)
def test_json_objects_parse_to_a_valid_message_or_a_protocol_error(msg, type_):
    msg = {**msg, "type": type_}
    parsed = _parse_or_error(json.dumps(msg))
    if parsed is not None:
        assert parsed.type == type_
        if isinstance(parsed, protocol.Location):
            assert -90 <= parsed.lat <= 90 and -180 <= parsed.lon <= 180
        if isinstance(parsed, protocol.AlertAction):
            assert 1 <= len(parsed.alert_id) <= 64


@given(st.floats(-90, 90), st.floats(-180, 180), st.none() | st.floats(0, 100_000))
def test_every_valid_location_parses(lat, lon, accuracy):
    parsed = protocol.parse(json.dumps({"type": "location", "lat": lat, "lon": lon, "accuracy_m": accuracy}))
    assert isinstance(parsed, protocol.Location) and (parsed.lat, parsed.lon, parsed.accuracy_m) == (lat, lon, accuracy)


def test_out_of_range_and_non_finite_positions_are_refused():
    for lat, lon in ((91, 0), (0, 181), ("NaN", 0)):
        raw = json.dumps({"type": "location", "lat": lat, "lon": lon}).replace('"NaN"', "NaN")
        assert _parse_or_error(raw) is None
