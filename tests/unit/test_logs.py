"""Log lines are JSON with the caller's fields, and never carry a credential from a URL."""

from __future__ import annotations

import json
import logging

from alerting.logs import JsonFormatter, redact


def test_tokens_and_tickets_in_urls_are_redacted():
    assert redact("GET /v1/responders/ws?token=rsp_abc123&v=1") == "GET /v1/responders/ws?token=[redacted]&v=1"
    assert redact("/v1/console/events?ticket=t-9") == "/v1/console/events?ticket=[redacted]"
    assert redact("nothing secret here") == "nothing secret here"


def test_json_lines_carry_extra_fields_and_redacted_message():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", ("WebSocket /ws?token=secret",), None)
    record.incident_id = "inc-1"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "WebSocket /ws?token=[redacted]"
    assert line["incident_id"] == "inc-1" and line["level"] == "info" and line["at"].endswith("Z")
    assert "secret" not in json.dumps(line)
