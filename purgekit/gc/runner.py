"""Drive one database's collection: begin (or resume) a pass, then one routine call per batch.

Each batch is one call of the routine revision 0003 installed, hence one round trip and one short
transaction that also records the checkpoint: a run stopped anywhere loses nothing, and the next run
continues the same pass and reports only what it deleted itself. A batch that loses a deadlock, a
serialization conflict or a lock wait is rolled back whole and tried again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit.config import Settings
from purgekit.gc import GC_PLAN_V1, collector_for
from purgekit.gc.plan import CollectionPlan, counted

# Measured (README, "Benchmarks: gc"): past it rows/s hardly grow while the longest transaction does.
DEFAULT_BATCH_SIZE = 5_000
# A batch waits at most this long for a lock the client holds, then is rolled back and tried again.
LOCK_WAIT_SECONDS = 10
ATTEMPTS = 5
# SQLSTATEs (PostgreSQL) and error numbers (MySQL) after which a batch is simply tried again.
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}
_RETRY_MYSQL_ERRORS = {1205, 1213}


class GcFailed(Exception):
    """The collection could not go on; the message is one line, for the notification's details."""


@dataclass
class Progress:
    """Where a pass stands: its ids run from start_id (exclusive) to end_id; last_id is done."""

    pass_number: int
    cutoff_ms: int
    start_id: int
    last_id: int
    end_id: int
    resumed: bool
    batches: int = 0
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.last_id >= self.end_id


@dataclass
class Outcome:
    """What one run did on one database."""

    node: str | None
    status: str  # "complete" or "failed"
    deleted: dict[str, int]  # rows deleted by this run, per table (messages first)
    batches: int = 0
    longest_batch_seconds: float = 0.0
    error: str | None = None
    progress: Progress | None = None

    @property
    def messages_deleted(self) -> int:
        return self.deleted.get(GC_PLAN_V1.messages.name, 0)


def one_line(error: BaseException) -> str:
    """The database's own message, first line, without SQLAlchemy's SQL and parameters."""
    original = getattr(error, "orig", None) or error
    if getattr(original, "args", None) and isinstance(original.args[0], int) and len(original.args) > 1:
        message = str(original.args[1])  # PyMySQL: (errno, message)
    else:
        message = str(original)
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _stopped(why: str, batches: int, progress: Progress) -> str:
    plural = "batch" if batches == 1 else "batches"
    return (
        f"stopped {why} after {batches} {plural}, at message id {progress.last_id} of {progress.end_id};"
        " run purgekit gc again to continue"
    )


def _retryable(error: DBAPIError) -> bool:
    original = error.orig
    if getattr(original, "pgcode", None) in _RETRY_SQLSTATES:
        return True
    args = getattr(original, "args", ())
    return bool(args) and args[0] in _RETRY_MYSQL_ERRORS


def _not_installed(message: str) -> bool:
    return "does not exist" in message or "doesn't exist" in message


class Collector:
    """One database's collector: `run()` collects until the pass ends, max_batches, or stop()."""

    def __init__(
        self,
        settings: Settings,
        node: str | None = None,
        plan: CollectionPlan = GC_PLAN_V1,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.node = node
        self.plan = plan
        self.sql = collector_for(settings.dialect)
        self._engine = engine
        self._stop_requested: Callable[[], bool] = lambda: False

    def engine(self) -> Engine:
        if self._engine is None:
            # hide_parameters: nothing bound ever shows in an error; AUTOCOMMIT: each call is its own
            # transaction (the MySQL procedures commit their own; the PostgreSQL functions' commits here).
            self._engine = create_engine(
                self.settings.url, hide_parameters=True, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
            )
        return self._engine

    def _session(self, connection) -> None:
        if self.settings.dialect == "postgresql":
            connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_WAIT_SECONDS}s'")
        else:
            connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_SECONDS}")

    def begin(self, connection, retention_ms: int) -> Progress:
        row = connection.execute(text(self.sql.begin_call(self.settings)), {"retention_ms": retention_ms}).one()
        pass_number, cutoff_ms, last_id, end_id, resumed = row
        return Progress(
            int(pass_number),
            int(cutoff_ms),
            int(last_id),
            int(last_id),
            int(end_id),
            bool(resumed),
            deleted={name: 0 for name in counted(self.plan)},
        )

    def batch(self, connection, batch_size: int) -> tuple[dict[str, int], int, int, bool]:
        sql = text(self.sql.batch_call(self.settings, self.plan))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                row = connection.execute(sql, {"batch_size": batch_size}).one()
                break
            except DBAPIError as error:
                if not _retryable(error) or attempt == ATTEMPTS:
                    raise
                time.sleep(0.05 * 2**attempt)
        *counts, last_id, end_id, finished = row
        return dict(zip(counted(self.plan), map(int, counts), strict=True)), int(last_id), int(end_id), bool(finished)

    def run(
        self,
        retention_ms: int,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batches: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> Outcome:
        deleted = {name: 0 for name in counted(self.plan)}
        outcome = Outcome(self.node, "failed", deleted)
        try:
            with self.engine().connect() as connection:
                self._session(connection)
                try:
                    progress = self.begin(connection, retention_ms)
                except DBAPIError as error:
                    message = one_line(error)
                    if _not_installed(message):
                        message = f"the collector is not installed here (run `alembic upgrade head`): {message}"
                    raise GcFailed(message) from None
                outcome.progress = progress
                if on_progress:
                    on_progress(progress)
                while not progress.finished:
                    if max_batches is not None and outcome.batches >= max_batches:
                        raise GcFailed(_stopped("at --max-batches", outcome.batches, progress))
                    if stop_requested and stop_requested():
                        raise GcFailed(_stopped("on request", outcome.batches, progress))
                    started = time.monotonic()
                    counts, last_id, end_id, finished = self.batch(connection, batch_size)
                    outcome.longest_batch_seconds = max(outcome.longest_batch_seconds, time.monotonic() - started)
                    outcome.batches += 1
                    for name, count in counts.items():
                        deleted[name] += count
                    progress.batches, progress.deleted = outcome.batches, dict(deleted)
                    progress.last_id, progress.end_id = (end_id if finished else last_id), end_id
                    if on_progress:
                        on_progress(progress)
            outcome.status = "complete"
        except GcFailed as error:
            outcome.error = str(error)
        except SQLAlchemyError as error:
            outcome.error = one_line(error)
        finally:
            if self._engine is not None:
                self._engine.dispose()
        return outcome
