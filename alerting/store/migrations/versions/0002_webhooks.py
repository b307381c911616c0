"""webhooks: encrypted CAD keys for signing, and an index for the delivery sweep

Revision ID: 0002_webhooks
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_webhooks"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_enc", sa.Text(), nullable=True))
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_due")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("secret_enc")
