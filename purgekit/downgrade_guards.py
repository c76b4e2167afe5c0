"""What a downgrade must not do without a word, checked before anything runs.

Released revisions never change (migrations/released.json), so these checks live outside them: the Alembic
environment calls `guard_downgrade` once the migration context is configured. Online it reads the catalog
and stops with one line (`purgekit: downgrade refused (<url>): <why>`) and exit 2 before the first
statement; offline it writes each guard at the top of the script, where the database's client stops the
script before anything is dropped.

- Revision 0002's downgrade drops purgekit_receipts, the record of every erasure: while it holds receipts
  the downgrade stops, unless told to drop them (`alembic -x drop_receipts=yes ...`, `purgekit.deploy.
  downgrade(..., drop_receipts=True)`; in offline scripts psql's `-v drop_receipts=yes`, or for the mysql
  client `--init-command="SET @purgekit_drop_receipts='yes'"`).
- Revision 0001's downgrade drops every user mapping on purgekit's foreign servers (DROP SERVER ...
  RESTRICT would refuse otherwise): one of another role stops the downgrade, naming it; drop it yourself if
  it may go. PostgreSQL only.
- Revision 0009's downgrade drops purgekit_jobs, the service's record of every job: the same as the receipts,
  told with `-x drop_jobs=yes`, `deploy.downgrade(..., drop_jobs=True)`, psql's `-v drop_jobs=yes`, or
  `--init-command="SET @purgekit_drop_jobs='yes'"`.
"""

from __future__ import annotations

from alembic.environment import EnvironmentContext
from sqlalchemy import text

from purgekit.alembic_env import planned_steps
from purgekit.config import Settings
from purgekit.dialects.base import Guard
from purgekit.errors import DatabaseProblem
from purgekit.service.jobs_table import JOBS_REVISION, JobsPlace

# The revision whose downgrade drops the receipts, and the one whose downgrade drops the foreign servers.
RECEIPTS_REVISION = "0002"
SERVERS_REVISION = "0001"
# `alembic -x drop_receipts=yes`; purgekit.deploy hands it in through Config.attributes.
DROP_RECEIPTS = "drop_receipts"
DROP_RECEIPTS_ATTRIBUTE = "purgekit_drop_receipts"
# The same for the service's jobs (revision 0009).
DROP_JOBS = "drop_jobs"
DROP_JOBS_ATTRIBUTE = "purgekit_drop_jobs"


def planned_downgrades(context: EnvironmentContext) -> list[str]:
    """The revisions this command downgrades, in order; none for an upgrade."""
    return [step.revision.revision for step in planned_steps(context) if not step.is_upgrade]


def drop_receipts(context: EnvironmentContext) -> bool:
    return _told(context, DROP_RECEIPTS, DROP_RECEIPTS_ATTRIBUTE)


def _told(context: EnvironmentContext, argument: str, attribute: str) -> bool:
    said = context.get_x_argument(as_dictionary=True).get(argument, "").lower()
    return said == "yes" or bool(context.config.attributes.get(attribute))


def guard_downgrade(context: EnvironmentContext, settings: Settings) -> None:
    """Stop a downgrade that would silently destroy what purgekit did not make, or the receipts."""
    downgrades = planned_downgrades(context)
    if not downgrades:
        return
    dialect = settings.family
    guards: list[Guard] = []
    notes: list[str] = []
    if JOBS_REVISION in downgrades:
        kept = JobsPlace(settings).kept()
        if _told(context, DROP_JOBS, DROP_JOBS_ATTRIBUTE):
            notes.append(dialect.rows_dropped_note(kept))
        else:
            guards.append(dialect.rows_guard(kept))
    if RECEIPTS_REVISION in downgrades:
        if drop_receipts(context):
            notes.append(dialect.receipts_dropped_note(settings))
        else:
            guards.append(dialect.receipts_guard(settings))
    if SERVERS_REVISION in downgrades:
        guards += dialect.foreign_mapping_guards(settings)
    if context.is_offline_mode():
        for text_ in [*notes, *(guard.script for guard in guards)]:
            context.get_context().impl.static_output(text_)
        return
    connection = context.get_bind()
    try:
        for guard in guards:
            found = [row[0] for row in connection.execute(text(guard.check))]
            if found:
                raise DatabaseProblem("downgrade refused", settings.url, guard.refusal(found))
    finally:
        connection.rollback()  # the checks only read; the migrations begin their own transaction
