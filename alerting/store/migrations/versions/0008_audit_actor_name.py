"""audit entries record the name of the person who acted

Revision ID: 0008_audit_actor_name
Revises: 0007_responder_journey
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_actor_name"
down_revision = "0007_responder_journey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable and absent from older rows' hashes: the chain they form still verifies.
    op.add_column("audit_log", sa.Column("actor_name", sa.String(length=200), nullable=True))
    op.create_index("ix_audit_log_trust_actor", "audit_log", ["trust_id", "actor"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_trust_actor", table_name="audit_log")
    op.drop_column("audit_log", "actor_name")
