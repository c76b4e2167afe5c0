"""Deleting one chat: routines deleting a chat's messages in bounded batches, the chat last.

What is deleted: purgekit/chat_deletion/plan.py, CHAT_DELETION_PLAN (the chat's messages with their receipt-log
rows, base keys and pending actions; then the chats row; never the contact, keys, sessions or membership).

PostgreSQL: schema <PURGEKIT_SCHEMA>_chat in contactStore with foreign tables of the five tables it reads and
functions delete_chat_batch(text, integer) and count_chat(text). MySQL / MariaDB: procedures
purgekit_delete_chat_batch(chat, batch_size) and purgekit_count_chat(chat) in contactStore. On both, EXECUTE
goes to PURGEKIT_DELETION_GRANTEES only. Downgrade drops exactly these.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.chat_deletion import objects_in_0008
from purgekit.revisions import install, settings_of, uninstall

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def objects():
    return objects_in_0008(op.get_context().dialect.name, settings_of(op))


def upgrade() -> None:
    # The preflight (purgekit/preflight.py, CHAT_DELETION_PLAN in PLANS) refused an online install on a client
    # schema without the columns the deletion reads, before anything ran.
    install(op, objects())


def downgrade() -> None:
    uninstall(op, objects())
