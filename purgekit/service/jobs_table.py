"""The service's jobs table (revision 0009): declared once, rendered per database by its SQLAlchemy dialect.

PostgreSQL: in purgekit's schema (PURGEKIT_SCHEMA) of contactStore's database; MySQL: in the contactStore
schema, beside the receipts. One row per job, from the request to its result; what makes the service's
promises hold is in the columns' constraints:

- `exclusive_key` is set while a job may not run beside another of its kind on one database (gc: "gc <node>")
  and cleared when it ends: UNIQUE, so a second PUT while a collection is queued or running inserts nothing.
- `idempotency_key` (a hash of the job's kind, target and the caller's Idempotency-Key) is UNIQUE: a retried
  request finds the first job.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from purgekit.config import Settings
from purgekit.dialects.base import KeptRows
from purgekit.objects import DatabaseObject
from purgekit.objects.declared_table import DeclaredTable

JOBS_TABLE = "purgekit_jobs"
# UTC, to the microsecond on both families.
MOMENT = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
JOBS_REVISION = "0009"
STATES = ("queued", "running", "succeeded", "failed")

jobs = sa.Table(
    JOBS_TABLE,
    sa.MetaData(),
    sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),  # the gc node's name; "" for everything else
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("exclusive_key", sa.String(255), unique=True),
    sa.Column("idempotency_key", sa.String(64), unique=True),
    sa.Column("request", sa.Text, nullable=False),  # JSON: what the job was asked
    sa.Column("result", sa.Text),  # JSON: what it did (counts per table, the notification)
    sa.Column("errors", sa.Text),  # JSON: document 001's errors array
    sa.Column("exit_code", sa.SmallInteger),  # the command's exit code for the same work: 0, 1 or 2
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(255)),  # host:pid of the process that ran it last
    sa.Column("created_at", MOMENT, nullable=False),  # UTC, all three
    sa.Column("started_at", MOMENT),
    sa.Column("finished_at", MOMENT),
    # Table-level: MariaDB takes no named CHECK on a column.
    sa.CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name=f"{JOBS_TABLE}_state_known"),
    sa.Index(f"{JOBS_TABLE}_state", "state", "id"),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
    comment="purgekit serve: one row per job, never a secret",
)


class JobsPlace:
    """Where the jobs table lives on one database: the schema of purgekit's own tables (its family's)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.family = settings.family

    @property
    def schema(self) -> str:
        return self.family.own_tables_schema(self.settings)

    @property
    def reference(self) -> str:
        return f"{self.family.quote(self.schema)}.{self.family.quote(JOBS_TABLE)}"

    def kept(self) -> KeptRows:
        """The jobs, as a downgrade past revision 0009 would drop them (purgekit/downgrade_guards.py)."""
        return KeptRows(
            revision=JOBS_REVISION,
            reference=self.reference,
            table=JOBS_TABLE,
            described="purgekit's jobs table",
            noun="jobs",
            purpose="the service's record of every job",
            option="drop_jobs",
        )

    def table(self) -> sa.Table:
        """The table placed where it lives, for the service's queries and its CREATE TABLE."""
        return jobs.to_metadata(sa.MetaData(), schema=self.schema)

    def objects(self) -> list[DatabaseObject]:
        return [DeclaredTable(self.table(), self.family, owner=self.settings.routine_owner)]
