"""audit subjects: pseudonyms for responders named in the audit log

Revision ID: 0004_hardening
Revises: 0003_replay
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_hardening"
down_revision = "0003_replay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_subjects",
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("responder_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pseudonym"),
        sa.UniqueConstraint("trust_id", "responder_id", name="uq_audit_subject_responder"),
    )


def downgrade() -> None:
    op.drop_table("audit_subjects")
