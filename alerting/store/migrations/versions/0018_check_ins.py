"""Check-ins after an alert and the responders' answers: the trust's wellbeing queue

Revision ID: 0018_check_ins
Revises: 0017_incident_outcome
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0018_check_ins"
down_revision = "0017_incident_outcome"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("alert_id", sa.String(length=32), primary_key=True),
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "incident_id", sa.String(length=32), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("responder_id", sa.String(length=64), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("questions", sa.JSON(), nullable=True),
        sa.Column("feeling", sa.String(length=16), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_check_ins_due", "check_ins", ["sent_at", "due_at"])
    op.create_index("ix_check_ins_queue", "check_ins", ["trust_id", "feeling", "answered_at"])
    op.create_index("ix_check_ins_incident_id", "check_ins", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_check_ins_incident_id", table_name="check_ins")
    op.drop_index("ix_check_ins_queue", table_name="check_ins")
    op.drop_index("ix_check_ins_due", table_name="check_ins")
    op.drop_table("check_ins")
