"""alerts keep why their responder declined, when they said

Revision ID: 0012_decline_reason
Revises: 0011_cad_revisions
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_decline_reason"
down_revision = "0011_cad_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("decline_reason", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("alerts", "decline_reason")
