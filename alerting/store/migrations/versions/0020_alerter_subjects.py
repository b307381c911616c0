"""Alerters named in the audit by pseudonym, so that an alerter can be erased

Revision ID: 0020_alerter_subjects
Revises: 0019_alerters
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_alerter_subjects"
down_revision = "0019_alerters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerter_subjects",
        sa.Column("pseudonym", sa.String(length=32), primary_key=True),
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alerter_id", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("trust_id", "alerter_id", name="uq_alerter_subject_alerter"),
    )


def downgrade() -> None:
    op.drop_table("alerter_subjects")
