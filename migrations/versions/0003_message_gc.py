"""The messages garbage collector: its checkpoint table and batch routines.

PostgreSQL: schema purgekit_gc in contactStore holding foreign tables on revision 0001's servers (the
columns the collector reads), the checkpoint table, and functions gc_begin(retention_ms) and
gc_batch(batch_size). MySQL / MariaDB: table purgekit_gc_checkpoint and procedures purgekit_gc_begin
and purgekit_gc_batch in contactStore. What is collected: purgekit/gc/plan.py, GC_PLAN_V1.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from purgekit.gc import GC_PLAN_V1, collector_for
from purgekit.revisions import install, settings_of, uninstall

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def gc_objects():
    return collector_for(op.get_context().dialect.name).objects(settings_of(op), GC_PLAN_V1)


def upgrade() -> None:
    install(op, gc_objects())


def downgrade() -> None:
    uninstall(op, gc_objects())
