"""purgekit_jobs, the record of every job `purgekit serve` and `purgekit worker` run.

The table purgekit_jobs — PostgreSQL: in purgekit's schema of contactStore's database; MySQL: in the
contactStore schema — declared once as a SQLAlchemy Table (purgekit/service/jobs_table.py). Downgrade drops it,
and the jobs with it: while it holds jobs the downgrade stops unless told `-x drop_jobs=yes`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from purgekit.revisions import install, settings_of, uninstall
from purgekit.service.jobs_table import JobsPlace

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def objects():
    return JobsPlace(settings_of(op)).objects()


def upgrade() -> None:
    install(op, objects())


def downgrade() -> None:
    uninstall(op, objects())
