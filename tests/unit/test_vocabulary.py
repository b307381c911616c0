"""The words on the wire stay the words clients already read."""

from __future__ import annotations

import pytest

from alerting.domain.vocabulary import CadEvent, ErrorCode
from alerting.realtime.close_codes import CloseCode
from alerting.services import errors
from alerting.services.presence import LocationRateLimited
from alerting.services.sso import BadAttempt
from alerting.services.staff import InviteGone
from dispatch_adapter.webhook_schema import EVENTS


@pytest.mark.parametrize(
    "error, code",
    [
        (errors.ServiceError, "serviceerror"),
        (errors.NotFound, "notfound"),
        (errors.Conflict, "conflict"),
        (errors.Invalid, "invalid"),
        (errors.Unauthorized, "unauthorized"),
        (errors.Forbidden, "forbidden"),
        (errors.TooMany, "toomany"),
        (errors.Unavailable, "unavailable"),
        (LocationRateLimited, "rate_limited"),
    ],
)
def test_each_service_error_carries_the_code_it_always_showed(error, code):
    assert error("x").code == code and isinstance(error.code, ErrorCode)


def test_the_webhook_schema_lists_the_domains_cad_events():
    assert (
        EVENTS
        == tuple(CadEvent)
        == (
            "incident.alerting",
            "responder.accepted",
            "responder.declined",
            "responder.arrived",
            "responder.status",
            "responder.eta",
            "incident.filled",
            "incident.exhausted",
            "incident.stood_down",
            "incident.not_alerted",
            "incident.raised",
            "responder.message",
            "alerter.message",
        )
    )


def test_close_codes_are_the_numbers_clients_know():
    assert {c.name: int(c) for c in CloseCode} == {
        "MESSAGE_TOO_BIG": 1009,
        "TRY_AGAIN": 1013,
        "TOO_SLOW": 4008,
        "RECONNECT": 4012,
        "UNAUTHORIZED": 4401,
        "WITHDRAWN": 4410,
        "FORBIDDEN": 4403,
        "TOO_MANY_SOCKETS": 4429,
    }


def test_errors_of_staff_sign_in_keep_their_codes():
    assert InviteGone("x").code == "invitegone" and BadAttempt("x").code == "badattempt"
