"""Deleting one message: the message and what belongs only to it, in one transaction.

PostgreSQL: function <PURGEKIT_SCHEMA>.delete_message(chat text, key_id text, from_me boolean) through the
foreign tables of revision 0004 (messages_pending_actions gains key_from_me and key_id), and USAGE on the
schema for PURGEKIT_DELETION_GRANTEES. MySQL / MariaDB: procedure purgekit_delete_message(chat, key_id,
from_me) in contactStore. On both, EXECUTE goes to PURGEKIT_DELETION_GRANTEES only. What is deleted:
purgekit/message_deletion/plan.py, MESSAGE_DELETION_PLAN. Downgrade removes exactly this.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.message_deletion import changes_in_0007
from purgekit.revisions import apply_changes, revert_changes, settings_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def changes():
    return changes_in_0007(op.get_context().dialect.name, settings_of(op))


def upgrade() -> None:
    apply_changes(op, changes())


def downgrade() -> None:
    revert_changes(op, changes())
