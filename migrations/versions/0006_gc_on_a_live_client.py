"""The messages garbage collector, version 2: exact while the client writes, for its own grantees.

Within the retention asked for (never a resumed pass's older cutoff), never below PURGEKIT_GC_MIN_RETENTION.

MySQL / MariaDB: procedures purgekit_gc_begin and purgekit_gc_batch(batch_size, cutoff_ms) replaced by
versions that lock what they check, refuse shadowing temporary tables and enforce
PURGEKIT_GC_MIN_RETENTION. PostgreSQL: gc_begin replaced, gc_batch(integer) replaced by
gc_batch(integer, bigint), table purgekit_gc.batch_intent for purgekit gc's direct batches. On both,
EXECUTE on the collector goes to PURGEKIT_GC_GRANTEES instead of PURGEKIT_EXECUTE_GRANTEES.
What is collected is unchanged: purgekit/gc/plan.py, GC_PLAN_V2.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.gc import changes_in_0006
from purgekit.revisions import apply_changes, revert_changes, settings_of

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def changes():
    return changes_in_0006(op.get_context().dialect.name, settings_of(op))


def upgrade() -> None:
    # The preflight (purgekit/preflight.py) refused an online install on a client schema without the columns
    # the collector needs, before anything ran.
    apply_changes(op, changes())


def downgrade() -> None:
    revert_changes(op, changes())
