"""The erase routine, version 2: exact user jids, and the deleted messages' receipts and base keys with them.

Plan v2 (purgekit/plans.py); (MySQL) no temporary table of the caller's stands in for a client's table.

- The jid wa_phones resolves a phone to must be exactly `<digits>@s.whatsapp.net` (purgekit/jids.py): a
  group, a broadcast list or a near miss stops the erasure before anything is deleted.
- With each message deleted go its receipt-log rows and its base key, by the message's key, unless a
  message left shares them: the user's messages in groups no longer leave theirs behind.
- MySQL / MariaDB: the procedure refuses to run while the session has a temporary table named like one of
  the client's tables it reads; its DEFINER needs CREATE TEMPORARY TABLES on the four schemas.
PostgreSQL: the foreign tables of messages, messages_receipt_log and message_base_key gain the message key
columns (ALTER FOREIGN TABLE ... ADD COLUMN). Downgrade restores revision 0001's routine and tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.plans import ERASURE_PLAN_V2
from purgekit.revisions import erase_objects, replace
from purgekit.stores import ERASURE_PLAN_V1

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    replace(op, erase_objects(op, ERASURE_PLAN_V1), erase_objects(op, ERASURE_PLAN_V2))


def downgrade() -> None:
    replace(op, erase_objects(op, ERASURE_PLAN_V2), erase_objects(op, ERASURE_PLAN_V1))
