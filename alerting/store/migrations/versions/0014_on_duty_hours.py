"""responders may keep recurring on-duty hours

Revision ID: 0014_on_duty_hours
Revises: 0013_push_devices
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_on_duty_hours"
down_revision = "0013_push_devices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("responders", sa.Column("on_duty_hours", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("responders", "on_duty_hours")
