"""The messages garbage collector's batch on MySQL / MariaDB, version 3: the same definition and locks, faster.

purgekit_gc_batch(batch_size, cutoff_ms) replaced: the pending work of a batch's messages is looked up message
by message on the pending tables' indexes (version 2 let the optimizer read, and share-lock, the whole of
messages_pending_actions on every batch). Same arguments, same result set, same grantees
(PURGEKIT_GC_GRANTEES). Nothing changes on PostgreSQL, whose purgekit gc batches got faster in purgekit itself
(purgekit/gc/direct.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.gc import changes_in_0010
from purgekit.revisions import apply_changes, revert_changes, settings_of

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def changes():
    return changes_in_0010(op.get_context().dialect.name, settings_of(op))


def upgrade() -> None:
    apply_changes(op, changes())


def downgrade() -> None:
    revert_changes(op, changes())
