"""The messages garbage collector's pass in lanes on MySQL / MariaDB: batches of different lanes run at once.

purgekit_gc_lanes created in contactStore (one row per lane: its id range and how far it got);
purgekit_gc_begin(retention_ms, lanes) splits a new pass into lanes (an unfinished pass begun before keeps
going, split then), purgekit_gc_batch(lane_number, batch_size, cutoff_ms) collects one lane's next window,
locking only that lane's row. Same definition, locks and grantees (PURGEKIT_GC_GRANTEES) otherwise. The
downgrade drops the lanes: 0010's batches then continue an unfinished pass from where all lanes had got
(the checkpoint's last_id), reading again the windows some lanes had already done. Nothing changes on
PostgreSQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.gc import changes_in_0011
from purgekit.revisions import apply_changes, revert_changes, settings_of

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def changes():
    return changes_in_0011(op.get_context().dialect.name, settings_of(op))


def upgrade() -> None:
    apply_changes(op, changes())


def downgrade() -> None:
    revert_changes(op, changes())
