"""Webhook signatures: what a CAD computes must match what the platform sends, and nothing else."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from alerting.domain.webhook_signature import SignatureError, sign, signature, verify

BODY = b'{"event":"incident.alerting","incident_id":"abc","cad_ref":"CAD-1","at":"2026-01-01T00:00:00.000Z"}'
KEY = "cad_secret-key"
T = 1_767_225_600


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(KEY.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(KEY, T, BODY) == expected
    assert sign([KEY], T, BODY) == f"t={T},v1={expected}"


def test_a_signed_body_verifies_and_returns_its_timestamp():
    assert verify(sign([KEY], T, BODY), BODY, KEY, now=T + 10) == T


def test_during_a_rotation_either_key_verifies():
    header = sign(["new-key", "old-key"], T, BODY)
    assert header.count("v1=") == 2
    assert verify(header, BODY, "new-key", now=T) == T
    assert verify(header, BODY, "old-key", now=T) == T
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(header, BODY, "another-key", now=T)


@pytest.mark.parametrize("body", [BODY + b" ", BODY.replace(b"CAD-1", b"CAD-2"), b""])
def test_a_changed_body_fails(body):
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(sign([KEY], T, BODY), body, KEY, now=T)


def test_a_replayed_timestamp_cannot_be_swapped():
    header = sign([KEY], T, BODY).replace(f"t={T}", f"t={T + 100}")
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(header, BODY, KEY, now=T + 100)


@pytest.mark.parametrize("now", [T + 301, T - 301])
def test_a_timestamp_outside_the_tolerance_fails(now):
    with pytest.raises(SignatureError, match="tolerance 300 s"):
        verify(sign([KEY], T, BODY), BODY, KEY, now=now)


@pytest.mark.parametrize(
    "header, message",
    [
        (None, "header is missing"),
        ("", "header is missing"),
        ("v1=abc", "no timestamp"),
        (f"t={T}", "no v1 signature"),
        ("t=soon,v1=abc", "not a whole number"),
        (f"t={T};v1=abc", "not a whole number"),
        (f"t={T},garbage", "malformed signature element"),
    ],
)
def test_malformed_headers_say_what_is_wrong(header, message):
    with pytest.raises(SignatureError, match=message):
        verify(header, BODY, KEY, now=T)


def test_unknown_schemes_are_ignored_so_v2_can_be_added():
    header = sign([KEY], T, BODY) + ",v2=whatever"
    assert verify(header, BODY, KEY, now=T) == T


def test_signing_without_a_key_is_refused():
    with pytest.raises(ValueError):
        sign([], T, BODY)
