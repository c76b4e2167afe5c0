"""What the service reads and writes in the jobs table (revision 0009), through SQLAlchemy Core.

Claiming: a worker locks candidate rows with SELECT ... FOR UPDATE SKIP LOCKED (two workers never lock the
same row), and then takes the job's lock, a session-level lock of the database held on the worker's own
connection for as long as the job runs (PostgreSQL: an advisory lock; MySQL/MariaDB: GET_LOCK). A job
`running` whose lock anyone can take has lost its worker (killed, host gone, connection cut: the database
releases the lock with the session): the next worker resumes it. No clock and no heartbeat decides it, so
a slow job is never taken for a dead one, and a job is never run by two workers at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from purgekit.config import Settings
from purgekit.dialects.mysql import MySQLDialect
from purgekit.dialects.postgresql import PostgreSQLDialect
from purgekit.service.jobs_table import JOBS_TABLE, JobsPlace

# How many resumptions a job gets after its worker was lost, before it is failed instead.
MAX_ATTEMPTS = 3
CANDIDATES = 20


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Job:
    id: int
    kind: str
    target: str
    state: str
    request: dict
    result: dict | None
    errors: list | None
    exit_code: int | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row) -> Job:
        return cls(
            id=row.id,
            kind=row.kind,
            target=row.target,
            state=row.state,
            request=json.loads(row.request),
            result=json.loads(row.result) if row.result else None,
            errors=json.loads(row.errors) if row.errors else None,
            exit_code=row.exit_code,
            attempts=row.attempts,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    def as_dict(self) -> dict:
        shown: dict = {"id": str(self.id), "kind": self.kind, "state": self.state}
        if self.target:
            shown["node"] = self.target
        shown.update(
            request=self.request,
            created_at=_iso(self.created_at),
            started_at=_iso(self.started_at),
            finished_at=_iso(self.finished_at),
            attempts=self.attempts,
        )
        if self.result is not None:
            shown["result"] = self.result
        if self.errors:
            shown["errors"] = self.errors
        if self.exit_code is not None:
            shown["exit_code"] = self.exit_code
        return shown


class JobLock:
    """The session-level lock that says a job's worker is alive, on the worker's connection."""

    def __init__(self, settings: Settings) -> None:
        # Jobs tables of two deployments on one server never share a lock.
        self.space = zlib.crc32(JobsPlace(settings).reference.encode()) & 0x7FFFFFFF

    def take(self, connection: Connection, job_id: int) -> bool:
        raise NotImplementedError

    def release(self, connection: Connection, job_id: int) -> None:
        raise NotImplementedError


class PgJobLock(JobLock):
    def take(self, connection: Connection, job_id: int) -> bool:
        sql = sa.text("SELECT pg_try_advisory_lock(:space, :id)")
        return bool(connection.execute(sql, {"space": self.space, "id": job_id}).scalar())

    def release(self, connection: Connection, job_id: int) -> None:
        connection.execute(sa.text("SELECT pg_advisory_unlock(:space, :id)"), {"space": self.space, "id": job_id})


class MySqlJobLock(JobLock):
    def name(self, job_id: int) -> str:
        return f"purgekit_job_{self.space:x}_{job_id}"  # GET_LOCK names: at most 64 characters

    def take(self, connection: Connection, job_id: int) -> bool:
        return connection.execute(sa.text("SELECT GET_LOCK(:name, 0)"), {"name": self.name(job_id)}).scalar() == 1

    def release(self, connection: Connection, job_id: int) -> None:
        connection.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": self.name(job_id)})


_LOCKS = {PostgreSQLDialect: PgJobLock, MySQLDialect: MySqlJobLock}


def idempotency_hash(kind: str, target: str, key: str) -> str:
    """What the table keeps of an Idempotency-Key: a hash, scoped to the kind of job and its target."""
    return hashlib.sha256(f"{kind}\x1f{target}\x1f{key}".encode()).hexdigest()


class JobStore:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.table = JobsPlace(settings).table()
        self.lock = settings.family.pick(_LOCKS)(settings)

    @property
    def reference(self) -> str:
        return JobsPlace(self.settings).reference

    def installed(self) -> bool:
        inspector = sa.inspect(self.engine)
        return inspector.has_table(JOBS_TABLE, schema=self.table.schema)

    # Requests ---------------------------------------------------------------------------------------------

    def submit(
        self,
        kind: str,
        request: dict,
        target: str = "",
        idempotency_key: str | None = None,
        exclusive_key: str | None = None,
    ) -> tuple[Job, bool]:
        """The job for this request, and whether it is new: a request carrying an Idempotency-Key seen before
        gets the first job; one with an exclusive key (gc: its database) while a job with the same key is
        queued or running gets that one. Either way nothing new is queued."""
        key = idempotency_hash(kind, target, idempotency_key) if idempotency_key else None
        t = self.table
        with self.engine.connect() as connection:
            if key and (found := self._one(connection, t.c.idempotency_key == key)):
                return found, False
            values = dict(
                kind=kind,
                target=target,
                state="queued",
                exclusive_key=exclusive_key,
                idempotency_key=key,
                request=json.dumps(request),
                attempts=0,
                created_at=utcnow(),
            )
            try:
                new_id = connection.execute(sa.insert(t).values(**values)).inserted_primary_key[0]
                connection.commit()
            except IntegrityError:
                connection.rollback()
                clauses = [t.c.idempotency_key == key] if key else []
                clauses += [t.c.exclusive_key == exclusive_key] if exclusive_key else []
                found = self._one(connection, sa.or_(*clauses)) if clauses else None
                if found is None:
                    raise
                return found, False
            return self._one(connection, t.c.id == new_id), True

    def _one(self, connection: Connection, where) -> Job | None:
        row = connection.execute(sa.select(self.table).where(where).order_by(self.table.c.id)).first()
        connection.rollback()
        return None if row is None else Job.of(row)

    def get(self, job_id: int) -> Job | None:
        with self.engine.connect() as connection:
            return self._one(connection, self.table.c.id == job_id)

    def counts(self) -> dict[tuple[str, str], int]:
        t = self.table
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(t.c.kind, t.c.state, sa.func.count()).group_by(t.c.kind, t.c.state))
            return {(kind, state): count for kind, state, count in rows}

    # Workers ----------------------------------------------------------------------------------------------

    def claim(self, connection: Connection, worker: str) -> tuple[Job, bool] | None:
        """Lock and start the oldest job no live worker holds, on `connection` (which keeps its lock until
        release()); with whether it resumes a job whose worker was lost. None when there is none."""
        t = self.table
        candidates = (
            sa.select(t)
            .where(t.c.state.in_(("queued", "running")))
            .order_by(t.c.id)
            .limit(CANDIDATES)
            .with_for_update(skip_locked=True)
        )
        try:
            for row in connection.execute(candidates).all():
                if not self.lock.take(connection, row.id):
                    continue  # a live worker runs it
                resumed = row.state == "running"
                connection.execute(
                    sa.update(t)
                    .where(t.c.id == row.id)
                    .values(state="running", worker=worker, attempts=row.attempts + 1, started_at=utcnow())
                )
                connection.commit()
                job = self._one(connection, t.c.id == row.id)
                assert job is not None
                return job, resumed
            connection.rollback()
            return None
        except BaseException:
            connection.rollback()
            raise

    def finish(
        self,
        connection: Connection,
        job: Job,
        state: str,
        result: dict | None,
        errors: list | None,
        exit_code: int,
        kept_request: dict | None = None,
    ) -> None:
        """Record the job's end (its exclusive key freed for the next one; of its request, `kept_request` when
        given) and release its lock."""
        t = self.table
        values = dict(
            state=state,
            exclusive_key=None,
            result=None if result is None else json.dumps(result),
            errors=json.dumps(errors) if errors else None,
            exit_code=exit_code,
            finished_at=utcnow(),
        )
        if kept_request is not None:
            values["request"] = json.dumps(kept_request)
        connection.execute(sa.update(t).where(t.c.id == job.id).values(**values))
        connection.commit()
        self.release(connection, job)

    def requeue(self, connection: Connection, job: Job) -> None:
        """Give the job back (a worker stopping mid-gc): the next worker continues its pass."""
        connection.execute(sa.update(self.table).where(self.table.c.id == job.id).values(state="queued"))
        connection.commit()
        self.release(connection, job)

    def release(self, connection: Connection, job: Job) -> None:
        self.lock.release(connection, job.id)
        connection.commit()
