"""The CAD says what became of the patient and when its crew arrived, after the job

Revision ID: 0017_incident_outcome
Revises: 0016_cad_message_refs
"""

import sqlalchemy as sa
from alembic import op

from alerting.store.types import UtcDateTime

revision = "0017_incident_outcome"
down_revision = "0016_cad_message_refs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("outcome", sa.String(length=16), nullable=True))
    op.add_column("incidents", sa.Column("ambulance_arrived_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "ambulance_arrived_at")
    op.drop_column("incidents", "outcome")
