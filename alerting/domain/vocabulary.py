"""The words the platform says on the wire and in its records, each defined once.

`StrEnum` members are strings: they compare equal to, serialise as and store as their value, so
rows, frames, webhooks and timelines carry exactly the text they always did.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlertState",
    "AssignmentRole",
    "CadEvent",
    "DeclineReason",
    "ErrorCode",
    "IncidentFlag",
    "IncidentSource",
    "IncidentStatus",
    "IntakeEffect",
    "MessageFrom",
    "NotAlertedReason",
    "SceneStatus",
    "TimelineEvent",
]


class IncidentStatus(StrEnum):
    ALERTING = "alerting"
    FILLED = "filled"
    EXHAUSTED = "exhausted"  # every phase fired and no one accepted before the alerts expired
    NOT_ALERTED = "not_alerted"  # the policy alerts no one for it (category not listed, excluded flag); see `reason`
    CANCELLED = "cancelled"
    CLOSED = "closed"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # raised by an alerter; a dispatcher or the CAD confirms it


class IncidentSource(StrEnum):
    """Who reported an incident: the ambulance service's CAD, or a bystander (an alerter)."""

    CAD = "cad"
    ALERTER = "alerter"


class NotAlertedReason(StrEnum):
    """Why an incident alerts no one: the machine-readable `reason_code` beside the words of `reason`."""

    NO_POLICY = "no_policy"
    CATEGORY_NOT_LISTED = "category_not_listed"
    EXCLUDED_FLAG = "excluded_flag"
    NOT_CONFIRMED = "not_confirmed"  # a raised alert nobody confirmed in time: closed (status `closed`)


class IncidentFlag(StrEnum):
    """What the CAD knows about the scene that may keep volunteers away (policy `exclude_flags`)."""

    CARE_HOME = "care_home"
    EXPECTED_DEATH = "expected_death"
    UNSAFE_SCENE = "unsafe_scene"
    CHILD = "child"
    TRAUMA = "trauma"
    POLICE_REQUIRED = "police_required"


class AlertState(StrEnum):
    ALERTED = "alerted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ARRIVED = "arrived"
    STOOD_DOWN = "stood_down"
    EXPIRED = "expired"


class DeclineReason(StrEnum):
    """Why a responder declined, in one tap (optional): the trust sees it in the timeline and history."""

    TOO_FAR = "too_far"
    BUSY = "busy"
    UNSAFE = "unsafe"  # not safe for them to go
    OTHER = "other"


class SceneStatus(StrEnum):
    """What an assigned responder reports from the scene (`status` frames, `POST /v1/alerts/{id}/status`)."""

    ON_SCENE = "on_scene"  # also their arrival, if they had not said so
    WITH_PATIENT = "with_patient"
    AED_COLLECTED = "aed_collected"
    CPR_STARTED = "cpr_started"


class Outcome(StrEnum):
    """What became of the patient, as the CAD tells it after the job (`PATCH outcome`)."""

    ROSC = "rosc"  # return of spontaneous circulation
    TRANSPORTED = "transported"
    DIED = "died"
    NOT_CARDIAC = "not_cardiac"
    UNKNOWN = "unknown"


class Feeling(StrEnum):
    """How a responder is, answering the check-in after an alert."""

    FINE = "fine"
    SHAKEN = "shaken"
    NEED_TO_TALK = "need_to_talk"  # a request in the trust's wellbeing queue, and an email to its contacts


class AssignmentRole(StrEnum):
    """What an assigned responder is sent to do (not a staff member's `roles.Role`)."""

    SCENE = "scene"
    AED = "aed"  # fetch the incident's nearest defibrillator first


class CadEvent(StrEnum):
    """The webhook events a CAD receives (the `event` of each delivery)."""

    INCIDENT_ALERTING = "incident.alerting"
    RESPONDER_ACCEPTED = "responder.accepted"
    RESPONDER_DECLINED = "responder.declined"
    RESPONDER_ARRIVED = "responder.arrived"
    RESPONDER_STATUS = "responder.status"  # a status from the scene (SceneStatus)
    RESPONDER_ETA = "responder.eta"  # an assigned responder's ETA, rate-limited (alerting/domain/incident_tracking.py)
    INCIDENT_FILLED = "incident.filled"
    INCIDENT_EXHAUSTED = "incident.exhausted"
    INCIDENT_STOOD_DOWN = "incident.stood_down"
    INCIDENT_NOT_ALERTED = "incident.not_alerted"
    INCIDENT_RAISED = "incident.raised"  # an alerter raised the alarm (to the trust's alerter_callback_url)
    RESPONDER_MESSAGE = "responder.message"  # a responder's message to the control room
    ALERTER_MESSAGE = "alerter.message"  # the alerter's message to the responders and the control room


class MessageFrom(StrEnum):
    """Who wrote a message of an incident's thread (the `from` of `message` frames and of `messages`)."""

    CONTROL = "control"  # a dispatcher, or the CAD
    RESPONDER = "responder"
    ALERTER = "alerter"  # the person who raised the alert


class IntakeEffect(StrEnum):
    """What a document posted to `POST /v1/incidents` did: the answer's `effect`."""

    CREATED = "created"
    UPDATED = "updated"  # a later EIDO, or a CAP Update, changed the incident
    UNCHANGED = "unchanged"  # a later document that says nothing new (its time is kept)
    IGNORED = "ignored"  # a retry, or a document no later than the last one applied
    CANCELLED = "cancelled"
    CLOSED = "closed"


class TimelineEvent(StrEnum):
    """The `event` of an incident's timeline entries. A webhook event is recorded as `cad.<event>`."""

    REPORTED = "reported"
    RAISED = "raised"  # by an alerter, with where and how precisely
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"  # a raised alert confirmed: its phase starts
    CONFIRMATION_EXPIRED = "confirmation_expired"  # nobody confirmed a raised alert in time: it is closed
    ADOPTED = "adopted"  # the CAD gave a raised alert its own reference
    NOT_ALERTED = "not_alerted"
    ALERTING_STARTED = "alerting_started"
    PHASE_FIRED = "phase_fired"
    RESPONDER_SKIPPED = "responder_skipped"
    RESPONDER_ACCEPTED = "responder.accepted"
    ACCEPT_REFUSED = "accept_refused"
    RESPONDER_DECLINED = "responder.declined"
    RESPONDER_ARRIVED = "responder.arrived"
    RESPONDER_WITHDRAWN = "responder.withdrawn"
    RESPONDER_STATUS = "responder.status"
    ALERT_DELIVERED = "alert.delivered"
    ALERT_EXPIRED = "alert.expired"
    ALERT_PUSHED = "alert.pushed"
    ALERT_PUSH_FAILED = "alert.push_failed"
    INCIDENT_FILLED = "incident.filled"
    INCIDENT_EXHAUSTED = "incident.exhausted"
    INCIDENT_CANCELLED = "incident.cancelled"
    INCIDENT_CLOSED = "incident.closed"
    MOVED = "moved"
    RECATEGORISED = "recategorised"
    FLAGS_CHANGED = "flags_changed"
    AMBULANCE_ETA = "ambulance_eta"
    REPLACEMENT_ALERTED = "replacement_alerted"
    NO_REPLACEMENT = "no_replacement"
    NOTES_UPDATED = "notes_updated"
    ADDRESS_UPDATED = "address_updated"
    OUTCOME = "outcome"  # the CAD said what became of the patient
    AMBULANCE_ARRIVED = "ambulance_arrived"  # the CAD said when its crew reached the scene
    ALERTED_BY_HAND = "alerted_by_hand"  # a dispatcher (or the CAD) alerted one named responder
    ESCALATED = "escalated"  # the next phase was fired ahead of its delay
    ALERTING_RESUMED = "alerting_resumed"  # an exhausted incident alerts again: someone was alerted by hand
    MESSAGE_SENT = "message.sent"  # from the control room to everyone alerted or assigned
    MESSAGE_RECEIVED = "message.received"  # from a responder to the control room
    MESSAGE_FROM_ALERTER = "message.from_alerter"  # from the alerter to the responders and the control room
    WEBHOOK_ATTEMPT = "webhook.attempt"
    WEBHOOK_GIVEN_UP = "webhook.given_up"


class PushKind(StrEnum):
    """The kind of device a push reaches; each kind has its own provider (alerting/push)."""

    WEBPUSH = "webpush"  # a browser's Push API subscription (RFC 8030), VAPID-signed
    FCM = "fcm"  # Firebase Cloud Messaging registration token (Android)
    APNS = "apns"  # Apple Push Notification service device token (iOS)


class ErrorCode(StrEnum):
    """The machine-readable `code` of an error frame on the responder socket. Clients rely on these
    exact strings; a new error gets a new member, an existing one is never renamed."""

    # refusals of the incident machine
    NOT_ALERTED = "not_alerted"
    ALREADY_ACCEPTED = "already_accepted"
    NOT_ACCEPTED = "not_accepted"
    INCIDENT_ENDED = "incident_ended"
    # messages the socket cannot read
    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_TYPE = "unknown_type"
    ALREADY_AUTHENTICATED = "already_authenticated"
    BINARY_FRAME = "binary_frame"  # the protocol is JSON in text frames
    # service errors (alerting.services.errors), named as they first went on the wire
    BAD_REQUEST = "serviceerror"
    NOT_FOUND = "notfound"
    CONFLICT = "conflict"
    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    TOO_MANY = "toomany"
    RATE_LIMITED = "rate_limited"
    UNSUPPORTED_MEDIA_TYPE = "unsupportedmediatype"
    INVITE_GONE = "invitegone"
    BAD_ATTEMPT = "badattempt"  # a single sign-on attempt that cannot go on
    UNAVAILABLE = "unavailable"  # also: a backing service did not answer; send it again
    PUSH_KIND_UNSUPPORTED = "push_kind_unsupported"  # no provider for this kind of device here
    # refusals of a dispatcher's action (409 with this `code`): why a manual alert, an escalation
    # or a message cannot be done now
    NOT_IN_TRUST = "not_in_trust"
    SUSPENDED = "suspended"
    OFF_DUTY = "off_duty"
    NO_POSITION = "no_position"
    BUSY = "busy"
    CREDENTIAL_EXPIRED = "credential_expired"
    QUIET_HOURS = "quiet_hours"
    OFF_SCHEDULE = "off_schedule"
    FATIGUE_LIMIT = "fatigue_limit"
    NOT_IN_POLICY_GROUPS = "not_in_policy_groups"
    PUBLIC_PLACES_ONLY = "public_places_only"
    UNREADABLE_RECORD = "unreadable_record"
    ALREADY_ALERTED = "already_alerted"
    INCIDENT_FILLED = "incident_filled"
    INCIDENT_NOT_ALERTING = "incident_not_alerting"
    NO_NEXT_PHASE = "no_next_phase"
    NOT_NEXT_PHASE = "not_next_phase"
    NO_RECIPIENTS = "no_recipients"
    NOT_AWAITING_CONFIRMATION = "not_awaiting_confirmation"
    NOT_RAISED_BY_ALERTER = "not_raised_by_alerter"
    ALREADY_ADOPTED = "already_adopted"
    ALERT_OVER = "alert_over"
