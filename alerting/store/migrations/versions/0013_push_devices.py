"""push devices: several per responder, each of a kind (webpush now; fcm, apns) with an opaque target

Each Web Push subscription becomes a `webpush` device whose target is its `{endpoint, keys}`.

Revision ID: 0013_push_devices
Revises: 0012_decline_reason
"""

import hashlib
import uuid

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0013_push_devices"
down_revision = "0012_decline_reason"
branch_labels = None
depends_on = None


def _address(endpoint: str) -> str:
    """As alerting/services/push_subscriptions.py names a Web Push device: by its endpoint."""
    return hashlib.sha256(f"webpush:{endpoint}".encode()).hexdigest()


def upgrade() -> None:
    devices = op.create_table(
        "push_devices",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("responder_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("trust_id", "responder_id", "kind", "address"),
    )
    op.create_index("ix_push_devices_responder", "push_devices", ["trust_id", "responder_id"])
    old = sa.table(
        "push_subscriptions",
        sa.column("trust_id", sa.String),
        sa.column("responder_id", sa.String),
        sa.column("endpoint", sa.String),
        sa.column("keys", sa.JSON),
        sa.column("created_at", UtcDateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(old)).all()
    if rows:
        op.bulk_insert(
            devices,
            [
                {
                    "id": uuid.uuid4().hex,
                    "trust_id": r.trust_id,
                    "responder_id": r.responder_id,
                    "kind": "webpush",
                    "address": _address(r.endpoint),
                    "target": {"endpoint": r.endpoint, "keys": r.keys},
                    "created_at": r.created_at,
                }
                for r in rows
            ],
        )
    op.drop_table("push_subscriptions")


def downgrade() -> None:
    subscriptions = op.create_table(
        "push_subscriptions",
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("responder_id", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", "responder_id"),
    )
    devices = sa.table(
        "push_devices",
        sa.column("trust_id", sa.String),
        sa.column("responder_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("target", sa.JSON),
        sa.column("created_at", UtcDateTime(timezone=True)),
    )
    # One Web Push subscription per responder was all the old table held: the newest is kept.
    newest: dict[tuple[str, str], dict] = {}
    query = sa.select(devices).where(devices.c.kind == "webpush").order_by(devices.c.created_at)
    for r in op.get_bind().execute(query).all():
        newest[(r.trust_id, r.responder_id)] = {
            "trust_id": r.trust_id,
            "responder_id": r.responder_id,
            "endpoint": r.target["endpoint"],
            "keys": r.target["keys"],
            "created_at": r.created_at,
        }
    if newest:
        op.bulk_insert(subscriptions, list(newest.values()))
    op.drop_index("ix_push_devices_responder", table_name="push_devices")
    op.drop_table("push_devices")
