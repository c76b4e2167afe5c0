"""The receipts' salt check: the check value of the salt receipts are written with.

A one-row table holding the check value of the salt the receipts are written with (purgekit.receipts), so that
an erasure with another salt is refused instead of silently matching no receipt. PostgreSQL:
purgekit_receipt_salt in purgekit's schema; MySQL: in the contactStore schema. Never the salt itself:
`purgekit erase` records the check value on its first erasure. Downgrade drops the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.receipts import salt_check_objects
from purgekit.revisions import install, uninstall

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install(op, salt_check_objects(op))


def downgrade() -> None:
    uninstall(op, salt_check_objects(op))
