"""responder journey: invites, self-registration, credentials and the responder profile

Revision ID: 0007_responder_journey
Revises: 0006_trust_sso
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0007_responder_journey"
down_revision = "0006_trust_sso"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responders") as batch:
        batch.add_column(sa.Column("travel_mode", sa.String(length=8), nullable=False, server_default="foot"))
        batch.add_column(sa.Column("carries_aed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))
    op.create_table(
        "responder_invites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("responder_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trust_id", "responder_id"], ["responders.trust_id", "responders.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_responder_invites_trust_id", "responder_invites", ["trust_id"])
    op.create_table(
        "registration_settings",
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("required_credentials", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trust_id"),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("upload_token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("responder_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("upload_token_hash"),
    )
    op.create_index("ix_registrations_trust_id", "registrations", ["trust_id"])
    op.create_table(
        "responder_credentials",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("responder_id", sa.String(length=64), nullable=True),
        sa.Column("registration_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.Column("verified_by", sa.String(length=80), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["trust_id", "responder_id"], ["responders.trust_id", "responders.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_responder_credentials_owner", "responder_credentials", ["trust_id", "responder_id"])
    op.create_index("ix_responder_credentials_registration_id", "responder_credentials", ["registration_id"])


def downgrade() -> None:
    op.drop_table("responder_credentials")
    op.drop_table("registrations")
    op.drop_table("registration_settings")
    op.drop_table("responder_invites")
    with op.batch_alter_table("responders") as batch:
        batch.drop_column("language")
        batch.drop_column("carries_aed")
        batch.drop_column("travel_mode")
