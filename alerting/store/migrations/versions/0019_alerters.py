"""Alerters: bystanders who raise the alarm, their invites and tokens; incidents say who reported them

Revision ID: 0019_alerters
Revises: 0018_check_ins
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0019_alerters"
down_revision = "0018_check_ins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerters",
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("suspended_at", UtcDateTime(), nullable=True),
        sa.Column("suspended_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "alerter_invites",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alerter_id", sa.String(length=64), nullable=True),
        sa.Column("reusable", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_alerter_invites_open", "alerter_invites", ["trust_id", "reusable", "revoked_at"])
    op.add_column("credentials", sa.Column("alerter_id", sa.String(length=64), nullable=True))
    op.add_column("incidents", sa.Column("source", sa.String(length=16), nullable=False, server_default="cad"))
    op.add_column("incidents", sa.Column("alerter_id", sa.String(length=64), nullable=True))
    op.create_index("ix_incidents_alerter", "incidents", ["trust_id", "alerter_id", "created_at"])
    # `awaiting_confirmation` is longer than the 16 characters the status had. SQLite keeps any
    # length in a VARCHAR, so only other databases need the column widened.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("incidents", "status", type_=sa.String(length=32), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("UPDATE incidents SET status = 'cancelled' WHERE status = 'awaiting_confirmation'")
        op.alter_column("incidents", "status", type_=sa.String(length=16), existing_nullable=False)
    op.drop_index("ix_incidents_alerter", table_name="incidents")
    op.drop_column("incidents", "alerter_id")
    op.drop_column("incidents", "source")
    op.drop_column("credentials", "alerter_id")
    op.drop_index("ix_alerter_invites_open", table_name="alerter_invites")
    op.drop_table("alerter_invites")
    op.drop_table("alerters")
