"""The erase routine deleteUserDataByPhoneNumber, and what it reaches the stores through.

PostgreSQL: purgekit's schema, postgres_fdw (only if missing), a foreign server and user mapping per
other store, foreign tables for every table the function deletes from, and the function.
MySQL / MariaDB: the procedure in contactStore.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from purgekit.revisions import erase_objects, install, uninstall
from purgekit.stores import ERASURE_PLAN_V1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    install(op, erase_objects(op, ERASURE_PLAN_V1))


def downgrade() -> None:
    uninstall(op, erase_objects(op, ERASURE_PLAN_V1))
