"""The webhook a CAD receives, described in the served OpenAPI document (`webhooks` section)."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

from alerting.domain.vocabulary import CadEvent
from dispatch_adapter.signing import DELIVERY_HEADER, EVENT_HEADER, HEADER

__all__ = ["EVENTS", "WebhookEvent", "install"]

EVENTS = tuple(e.value for e in CadEvent)  # the names are the domain's; the schema lists them inline


class WebhookResponder(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    state: str = Field(description="alerted, accepted, declined, arrived, stood_down or expired")
    role: str | None = Field(description="scene or aed once assigned")
    distance_m: float


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="allow")  # new fields may be added; receivers ignore what they do not know
    event: Literal[EVENTS]  # type: ignore[valid-type]
    incident_id: str
    cad_ref: str
    at: str = Field(description="When it happened, RFC 3339 UTC")
    responder: WebhookResponder | None = Field(default=None, description="For responder.* events")
    status: str | None = Field(
        default=None,
        description="responder.status: on_scene, with_patient, aed_collected or cpr_started; incident.raised: the "
        "incident's status, alerting or awaiting_confirmation; incident.stood_down of a raised alarm nobody "
        "confirmed in time: closed",
    )
    reason: str | None = Field(
        default=None,
        description="incident.not_alerted, and incident.stood_down of a raised alarm nobody confirmed in time: why, "
        "in words",
    )
    reason_code: str | None = Field(
        default=None,
        description="With `reason`: no_policy, category_not_listed or excluded_flag (incident.not_alerted); "
        "not_confirmed (incident.stood_down: the alarm was closed unconfirmed)",
    )
    source: str | None = Field(default=None, description="incident.raised: `alerter`")
    alerter_id: str | None = Field(default=None, description="incident.raised: the alerter who raised it")
    lat: float | None = Field(default=None, description="incident.raised: where the alerter is, WGS84")
    lon: float | None = Field(default=None, description="incident.raised: where the alerter is, WGS84")
    eta_s: int | None = Field(default=None, description="responder.eta: seconds until the responder is expected")
    distance_m: float | None = Field(default=None, description="responder.eta: metres from the scene now")
    text: str | None = Field(
        default=None,
        description=(
            "For responder.message and alerter.message: the words of the responder, or of the alerter who "
            "raised the incident"
        ),
    )


def install(app: FastAPI) -> None:
    @app.webhooks.post("incident-event", summary="An event of an incident posted with a callback_url")
    def incident_event(
        body: WebhookEvent,
        x_alerting_signature: str = Header(
            alias=HEADER,
            description=(
                '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the CAD key>`; during a '
                "key rotation's grace period one more `v1` made with the previous key"
            ),
        ),
        x_alerting_delivery: str = Header(
            alias=DELIVERY_HEADER, description="Unique per event, the same on every retry: dedupe on it"
        ),
        x_alerting_event: str = Header(alias=EVENT_HEADER, description="The event name, as in the body"),
    ) -> None:
        """Sent to the incident's `callback_url`, one event at a time in the order they happened. An
        alert an alerter raised is sent to the trust's `alerter_callback_url`, `incident.raised` first.
        Answer any 2xx to acknowledge; anything else, a redirect or a timeout is retried with
        exponential backoff and jitter until the incident's alert TTL. Every attempt is in the
        incident's timeline as `webhook.attempt`. See docs/webhooks.md for verifying the signature."""
