"""incidents keep the CAD's flags, the ambulance's expected arrival and why they alert no one;
alerts keep their lead over the ambulance and whether a replacement was sought

Revision ID: 0009_live_response
Revises: 0008_audit_actor_name
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0009_live_response"
down_revision = "0008_audit_actor_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("flags", sa.JSON(), nullable=True))
    op.add_column("incidents", sa.Column("ambulance_due_at", UtcDateTime(), nullable=True))
    op.add_column("incidents", sa.Column("reason", sa.String(length=500), nullable=True))
    op.add_column("incidents", sa.Column("reason_code", sa.String(length=32), nullable=True))
    op.add_column("alerts", sa.Column("ahead_of_ambulance_s", sa.Float(), nullable=True))
    op.add_column("alerts", sa.Column("replaced", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("alerts", "replaced")
    op.drop_column("alerts", "ahead_of_ambulance_s")
    op.drop_column("incidents", "reason_code")
    op.drop_column("incidents", "reason")
    op.drop_column("incidents", "ambulance_due_at")
    op.drop_column("incidents", "flags")
