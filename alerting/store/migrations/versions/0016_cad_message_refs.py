"""CAD messages that changed an incident are kept by their identifier, so a CAP Update or Cancel
whose references name only an earlier Update still finds its incident

Revision ID: 0016_cad_message_refs
Revises: 0015_aed_opening_hours
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0016_cad_message_refs"
down_revision = "0015_aed_opening_hours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cad_message_refs",
        sa.Column("trust_id", sa.String(length=32), sa.ForeignKey("trusts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("identifier", sa.String(length=128), nullable=False),
        sa.Column(
            "incident_id", sa.String(length=32), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", "identifier"),
    )
    op.create_index("ix_cad_message_refs_incident_id", "cad_message_refs", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_cad_message_refs_incident_id", table_name="cad_message_refs")
    op.drop_table("cad_message_refs")
