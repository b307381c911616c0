"""The verification sample in docs/webhooks.md is what CAD integrators copy: it must actually work."""

from __future__ import annotations

import re
import time
from pathlib import Path

from dispatch_adapter.signing import sign

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
BODY = b'{"event":"incident.filled","incident_id":"abc","cad_ref":"CAD-9","at":"2026-01-01T00:00:00.000Z"}'


def sample_verifier():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify_alerting_signature"]


def test_the_documented_sample_accepts_what_the_platform_signs():
    verify = sample_verifier()
    now = int(time.time())
    assert verify(sign(["cad_key"], now, BODY), BODY, "cad_key")
    assert verify(sign(["new", "cad_key"], now, BODY), BODY, "cad_key")  # during a rotation


def test_the_documented_sample_refuses_forgeries_and_replays():
    verify = sample_verifier()
    now = int(time.time())
    assert not verify(sign(["cad_key"], now, BODY), BODY + b" ", "cad_key")
    assert not verify(sign(["other"], now, BODY), BODY, "cad_key")
    assert not verify(sign(["cad_key"], now - 3600, BODY), BODY, "cad_key")
    assert not verify("garbage", BODY, "cad_key")
    assert not verify(f"t={now}", BODY, "cad_key")


def test_the_documented_example_request_verifies_with_the_documented_key():
    from dispatch_adapter.signing import verify

    block = re.search(r"```http\n(.*?)```", DOC.read_text(), re.S).group(1)
    header = re.search(r"^X-Alerting-Signature: (.+)$", block, re.M).group(1)
    body = block.strip().splitlines()[-1].encode()
    timestamp = int(re.search(r"t=(\d+)", header).group(1))
    assert verify(header, body, "cad_example_key", now=timestamp) == timestamp
