"""responder density history for what-if replay

Revision ID: 0003_replay
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_replay"
down_revision = "0002_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "density_slots",
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("hour_of_week", sa.Integer(), nullable=False),
        sa.Column("snapshots", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trust_id", "hour_of_week"),
    )
    op.create_table(
        "density_counts",
        sa.Column("trust_id", sa.String(length=32), nullable=False),
        sa.Column("hour_of_week", sa.Integer(), nullable=False),
        sa.Column("cell", sa.String(length=16), nullable=False),
        sa.Column("groups", sa.String(length=400), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["trust_id"], ["trusts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trust_id", "hour_of_week", "cell", "groups"),
    )


def downgrade() -> None:
    op.drop_table("density_counts")
    op.drop_table("density_slots")
