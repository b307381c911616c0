"""incidents keep the time of the CAD's latest document applied, so an older one changes nothing

Revision ID: 0010_cad_revisions
Revises: 0009_live_response
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0010_cad_revisions"
down_revision = "0009_live_response"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("cad_revision_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "cad_revision_at")
