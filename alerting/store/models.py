"""The system of record. Live state lives in Redis; everything that must survive lives here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alerting.store.types import UtcDateTime


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime}


class Trust(Base):
    __tablename__ = "trusts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Credential(Base):
    """A bearer token, stored as its SHA-256: tokens are 256-bit random, so a fast hash is enough."""

    __tablename__ = "credentials"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # operator | admin | cad | responder | alerter
    trust_id: Mapped[str | None] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    responder_id: Mapped[str | None] = mapped_column(String(64))
    alerter_id: Mapped[str | None] = mapped_column(String(64))  # alerter tokens only
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    # CAD keys only: the key itself, Fernet-encrypted, because webhooks are signed with it.
    secret_enc: Mapped[str | None] = mapped_column(Text)


class Group(Base):
    __tablename__ = "groups"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trusted: Mapped[bool] = mapped_column(Boolean)
    private_locations: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class Responder(Base):
    __tablename__ = "responders"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    groups: Mapped[list[Any]]
    skills: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16), default="active")
    quiet_hours: Mapped[dict[str, Any] | None]
    on_duty_hours: Mapped[dict[str, Any] | None]  # {tz, windows: [{days, start, end}]}: alerted only inside
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    travel_mode: Mapped[str] = mapped_column(String(8), default="foot", server_default="foot")  # foot | bike | car
    carries_aed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    language: Mapped[str | None] = mapped_column(String(35))  # BCP 47; None: the app follows the browser


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))


class Aed(Base):
    __tablename__ = "aeds"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    access: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str | None] = mapped_column(String(255))


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("trust_id", "cad_ref", name="uq_incident_cad_ref"),
        Index("ix_incidents_wake", "status", "wake_at"),
        Index("ix_incidents_alerter", "trust_id", "alerter_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    cad_ref: Mapped[str] = mapped_column(String(128))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(32))
    location_type: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    zone: Mapped[str | None] = mapped_column(String(200))
    accept_limit: Mapped[int] = mapped_column(Integer)
    phases_fired: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    aed: Mapped[dict[str, Any] | None]
    wake_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    flags: Mapped[list[Any] | None]  # the CAD's flags for the scene (vocabulary.IncidentFlag)
    ambulance_due_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))  # why the policy alerts no one: words
    reason_code: Mapped[str | None] = mapped_column(String(32))
    # The time the CAD gave its latest document applied (EIDO lastUpdateTimeStamp, CAP sent): one no
    # later than this changes nothing, so documents arriving out of order cannot undo a newer one.
    cad_revision_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # vocabulary.Outcome, once the CAD sends it
    ambulance_arrived_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="cad", server_default="cad")  # vocabulary.IncidentSource
    alerter_id: Mapped[str | None] = mapped_column(String(64))  # who raised it (source `alerter`)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("incident_id", "responder_id", name="uq_alert_incident_responder"),
        Index("ix_alerts_responder_state", "trust_id", "responder_id", "state"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    trust_id: Mapped[str] = mapped_column(String(32))
    responder_id: Mapped[str] = mapped_column(String(64))
    phase: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(16))
    distance_m: Mapped[float] = mapped_column(Float)
    alerted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ahead_of_ambulance_s: Mapped[float | None] = mapped_column(Float)
    replaced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    statuses: Mapped[dict[str, Any] | None]  # statuses from the scene: {status: unix time first reported}
    decline_reason: Mapped[str | None] = mapped_column(String(16))  # DeclineReason, if they gave one


class CadMessageRef(Base):
    """A CAD message that changed an incident (a CAP Update or Cancel), by its own identifier: a later
    message whose `references` name only it still finds the incident."""

    __tablename__ = "cad_message_refs"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(128), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class TimelineEntry(Base):
    __tablename__ = "timeline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]


class AuditEntry(Base):
    """Append-only; each row carries the hash of the one before it, so an edit or a deletion shows."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trust_id: Mapped[str | None] = mapped_column(String(32), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    # The person's name when they acted (staff only); hashed with the row when present.
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq", name="uq_webhook_incident_seq"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class PushDevice(Base):
    """A device a responder receives pushes on; a responder may have several (phone, tablet).

    `target` is where the device's provider delivers, opaque to everything but that provider (Web
    Push: `{endpoint, keys}`; FCM: `{token}`; APNs: `{device_token, topic}`). `address` is a hash
    of the part naming the device, so registering the same device again replaces it."""

    __tablename__ = "push_devices"
    __table_args__ = (
        UniqueConstraint("trust_id", "responder_id", "kind", "address"),
        Index("ix_push_devices_responder", "trust_id", "responder_id"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    responder_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    target: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class DensitySlot(Base):
    """How many availability snapshots of a trust fell in each hour of the week (0 = Monday 00h UTC):
    the denominator that turns summed counts into a mean responder count."""

    __tablename__ = "density_slots"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    hour_of_week: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshots: Mapped[int] = mapped_column(Integer, default=0)


class DensityCount(Base):
    """Available responders seen per H3 cell, per group combination, per hour of the week, summed
    over snapshots. Counts only: no responder id and no raw position is ever kept for replay."""

    __tablename__ = "density_counts"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    hour_of_week: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    groups: Mapped[str] = mapped_column(String(400), primary_key=True)  # sorted group ids joined by ","
    observations: Mapped[int] = mapped_column(Integer, default=0)


class AuditSubject(Base):
    """Audit rows name a responder by a pseudonym; this row links it back. Erasure deletes the link,
    so the (hash-chained, never edited) audit rows stay intact yet no longer identify the person."""

    __tablename__ = "audit_subjects"
    __table_args__ = (UniqueConstraint("trust_id", "responder_id", name="uq_audit_subject_responder"),)
    pseudonym: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    responder_id: Mapped[str] = mapped_column(String(64))


class AlerterSubject(Base):
    """The same for an alerter: audit rows name them by pseudonym (as target, and as the actor of
    their raises); erasing the alerter deletes this link."""

    __tablename__ = "alerter_subjects"
    __table_args__ = (UniqueConstraint("trust_id", "alerter_id", name="uq_alerter_subject_alerter"),)
    pseudonym: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    alerter_id: Mapped[str] = mapped_column(String(64))


class StaffMember(Base):
    """A named person who runs a trust from the console. Signs in with a password set through a
    single-use invite, or through the trust's identity provider, matched by email."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("trust_id", "email", name="uq_staff_trust_email"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower case
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2id, PHC string
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the open invite
    invite_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; the row is keyed by its SHA-256."""

    __tablename__ = "staff_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    trust_id: Mapped[str] = mapped_column(String(32))
    csrf_token: Mapped[str] = mapped_column(String(64))  # useless without the cookie; echoed to the page
    method: Mapped[str] = mapped_column(String(16))  # password | sso
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class TrustSso(Base):
    """A trust's OpenID Connect identity provider. The client secret is kept Fernet-encrypted: the
    platform must send it to the provider, so it cannot be hashed."""

    __tablename__ = "trust_sso"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # shown on the button: "Sign in with <name>"
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret_enc: Mapped[str] = mapped_column(Text)
    allowed_domains: Mapped[list[Any]]
    create_viewers: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class ResponderInvite(Base):
    """A one-time sign-in link: the code is 192-bit random, kept as its SHA-256, spent by one redeem."""

    __tablename__ = "responder_invites"
    __table_args__ = (
        ForeignKeyConstraint(
            ["trust_id", "responder_id"], ["responders.trust_id", "responders.id"], ondelete="CASCADE"
        ),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    trust_id: Mapped[str] = mapped_column(String(32), index=True)
    responder_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RegistrationSettings(Base):
    """Whether a trust takes applications, into which groups, and which credentials it requires of
    every responder (applicants and existing responders alike)."""

    __tablename__ = "registration_settings"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean)
    groups: Mapped[list[Any]]
    required_credentials: Mapped[list[Any]]
    updated_at: Mapped[datetime]


class Registration(Base):
    __tablename__ = "registrations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | refused
    upload_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(500))
    responder_id: Mapped[str | None] = mapped_column(String(64))


class ResponderCredential(Base):
    """A certificate (CPR, first aid, ...) with its expiry, and the uploaded file itself.

    The file is kept in SQL, not on disk: every API process and worker of a deployment shares the
    database but not a filesystem, the file commits or rolls back with its row (a refused upload
    leaves nothing behind), erasure and backups cover it, and at <= 5 MB a row stays reasonable.
    The bytes are deferred so that listing credentials never reads them."""

    __tablename__ = "responder_credentials"
    __table_args__ = (
        Index("ix_responder_credentials_owner", "trust_id", "responder_id"),
        # Erasing a responder erases their credentials; before approval responder_id is empty and
        # the row belongs to its registration instead.
        ForeignKeyConstraint(
            ["trust_id", "responder_id"], ["responders.trust_id", "responders.id"], ondelete="CASCADE"
        ),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    responder_id: Mapped[str | None] = mapped_column(String(64))
    registration_id: Mapped[str | None] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # pending | verified
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(80))
    reminded_at: Mapped[datetime | None]


class CheckIn(Base):
    """The check-in some time after a responder accepted, and their answer: private to the trust
    (its verifiers and admins), deleted `check_in_retention_s` after it was made, never audited."""

    __tablename__ = "check_ins"
    __table_args__ = (
        Index("ix_check_ins_due", "sent_at", "due_at"),
        Index("ix_check_ins_queue", "trust_id", "feeling", "answered_at"),
    )
    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    responder_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    questions: Mapped[list[Any] | None]  # the trust's questions as asked, so the answers keep their meaning
    feeling: Mapped[str | None] = mapped_column(String(16))  # vocabulary.Feeling
    answers: Mapped[list[Any] | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Alerter(Base):
    """A bystander who may raise the alarm for a trust. Added by the trust and invited (`origin`
    `registered`), or joined from the trust's open invite (`open`). A suspended alerter's token still
    names them, so a raise is refused with a reason (403) rather than as an unknown token."""

    __tablename__ = "alerters"
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16), default="registered")  # registered | open
    suspended_at: Mapped[datetime | None]
    suspended_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]


class AlerterInvite(Base):
    """A sign-in link for alerters, kept as the SHA-256 of its code like every credential. One for a
    named alerter is spent by one redeem; the trust's open invite (`alerter_id` empty, `reusable`)
    makes a new alerter at each redeem until it is rotated (`revoked_at`)."""

    __tablename__ = "alerter_invites"
    __table_args__ = (Index("ix_alerter_invites_open", "trust_id", "reusable", "revoked_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    trust_id: Mapped[str] = mapped_column(ForeignKey("trusts.id", ondelete="CASCADE"))
    alerter_id: Mapped[str | None] = mapped_column(String(64))
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
