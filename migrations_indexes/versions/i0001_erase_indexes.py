"""An index on each column the erasure's deletes match on that leads no index.

Created online (PostgreSQL: CREATE INDEX CONCURRENTLY in each store's database; MySQL: ALTER TABLE
... ADD INDEX, ALGORITHM=INPLACE, LOCK=NONE), named purgekit_<table>_<column>. Downgrade drops
those names, and only those.

Revision ID: i0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from purgekit.indexes import create_missing, drop_created
from purgekit.revisions import settings_of

revision = "i0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing(settings_of(op))


def downgrade() -> None:
    drop_created(settings_of(op))
