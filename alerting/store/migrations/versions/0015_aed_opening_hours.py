"""AEDs keep their opening hours (OpenStreetMap syntax), so a closed one is not offered

Revision ID: 0015_aed_opening_hours
Revises: 0014_on_duty_hours
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_aed_opening_hours"
down_revision = "0014_on_duty_hours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("aeds", sa.Column("opening_hours", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("aeds", "opening_hours")
