"""JSON log lines carry the incident id; the retention rule; the purge task is scheduled."""

from __future__ import annotations

import io
import json
import logging

from alerting.logcontext import IncidentFilter, incident_context
from alerting.logs import JsonFormatter
from alerting.services.retention import is_expired
from alerting.settings import Settings
from alerting.worker import make_celery


def _capture() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(IncidentFilter())
    logger = logging.getLogger("test.logs.capture")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_every_line_inside_an_incident_names_it_and_lines_outside_do_not():
    logger, out = _capture()
    with incident_context("inc-1"):
        logger.info("phase fired")
        with incident_context("inc-2"):
            logger.warning("nested")
        logger.info("back", extra={"count": 3})
    logger.info("outside")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["msg"], line.get("incident_id")) for line in lines] == [
        ("phase fired", "inc-1"),
        ("nested", "inc-2"),
        ("back", "inc-1"),
        ("outside", None),
    ]
    assert lines[2]["count"] == 3 and lines[1]["level"] == "warning"


def test_an_explicit_incident_id_wins_over_the_context():
    logger, out = _capture()
    with incident_context("inc-1"):
        logger.info("other", extra={"incident_id": "inc-9"})
    assert json.loads(out.getvalue())["incident_id"] == "inc-9"


def test_retention_boundary():
    assert is_expired(99.0, now=200.0, retention_s=100)
    assert not is_expired(100.0, now=200.0, retention_s=100)


def test_the_purge_runs_periodically_in_the_worker():
    settings = Settings(retention_interval_s=123)
    celery = make_celery(settings)
    assert celery.conf.beat_schedule["purge_positions"] == {"task": "alerting.purge_positions", "schedule": 123}
    assert "alerting.purge_positions" in celery.tasks
