"""incidents keep the time of the CAD's latest document applied, so an older one changes nothing

Revision ID: 0011_cad_revisions
Revises: 0010_scene_statuses
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0011_cad_revisions"
down_revision = "0010_scene_statuses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("cad_revision_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "cad_revision_at")
