"""alerts keep the statuses their responder reported from the scene

Revision ID: 0010_scene_statuses
Revises: 0009_live_response
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_scene_statuses"
down_revision = "0009_live_response"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("statuses", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("alerts", "statuses")
