"""purgekit_receipts, purgekit's record of each erasure (purgekit.receipts).

The table purgekit_receipts — PostgreSQL: in purgekit's schema of contactStore, with an index on
number_hash; MySQL: in the contactStore schema. Downgrade drops it, and the receipts with it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from purgekit.receipts import receipt_objects
from purgekit.revisions import install, uninstall

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install(op, receipt_objects(op))


def downgrade() -> None:
    uninstall(op, receipt_objects(op))
