"""Prometheus metrics of this process. Counters live in the process that does the work; each API
process and worker exposes its own, and Prometheus sums them."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALERTS_SENT = Counter("alerting_alerts_sent", "Alert frames published to responders")
ACCEPTS = Counter("alerting_accepts", "Accepts refereed, by outcome", ["outcome"])
CANDIDATES_SKIPPED = Counter(
    "alerting_candidates_skipped",
    "Responders passed over because their stored record could not be evaluated, by reason",
    ["reason"],
)
SOCKETS_OPEN = Gauge("alerting_sockets_open", "Responder sockets open on this process")
QUEUE_DEPTH = Gauge("alerting_queue_depth", "Tasks waiting in the Celery queue (sampled at scrape)")

ALERT_LATENCY = Histogram(
    "alerting_alert_latency_seconds",
    "From the incident's arrival to its alert being published",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PHASE_LAG = Histogram(
    "alerting_phase_lag_seconds",
    "How late a phase fired after it was due",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
REQUEST_LATENCY = Histogram(
    "alerting_http_request_seconds",
    "HTTP request latency by route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
