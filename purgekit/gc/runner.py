"""Drive one database's collection: begin (or resume) a pass, then one batch at a time.

MySQL / MariaDB: each batch is one call of revision 0006's procedure (one round trip, one transaction that
also records the checkpoint). PostgreSQL: each batch runs on direct connections to the stores
(purgekit/gc/direct.py). A run stopped anywhere loses nothing: the next run continues the same pass and
reports only what it deleted itself. A batch that loses a deadlock, a serialization conflict or a lock wait,
or that finds pending work appeared while it ran, is rolled back whole and tried again.

The cutoff a run applies is the earlier of the pass's and now minus its own --older-than: resuming a pass
started with a shorter retention never deletes what this run's retention keeps (Progress.cutoff_reason).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import pool, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit import preflight
from purgekit.config import Settings
from purgekit.errors import BadInputError, DatabaseProblem, reason
from purgekit.gc import CURRENT, GC_PLAN_V2, collector_for
from purgekit.gc.direct import DirectBatches, PendingWorkAppeared
from purgekit.gc.mysql import MAX_LANES, MISSING_COLUMN
from purgekit.gc.plan import CollectionPlan, counted
from purgekit.gc.retention import describe, timestamp
from purgekit.gc.throttle import Throttle, Waited
from purgekit.sql import engine_for
from purgekit.stores import Store

# Measured (docs/gc.md): past it rows/s hardly grow while the longest transaction does.
DEFAULT_BATCH_SIZE = 5_000
# A batch waits at most this long for a lock the client holds, then is rolled back and tried again.
LOCK_WAIT_SECONDS = 10
ATTEMPTS = 8
# What the routines answer a bad argument with (a retention below the installed minimum, say).
_BAD_ARGUMENT = {"22023"}


class GcFailed(Exception):
    """The collection could not go on; the message is one line, for the notification's details."""


@dataclass
class Progress:
    """Where a pass stands: its ids run from start_id (exclusive) to end_id; last_id is done."""

    pass_number: int
    pass_cutoff_ms: int
    cutoff_ms: int  # what this run applies: the earlier of the pass's and now minus its retention
    start_id: int
    last_id: int
    end_id: int
    resumed: bool
    retention_ms: int = 0
    lanes: int = 1  # the ranges the pass is split into (MySQL, revision 0011), collected at once by --parallel
    batches: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return self.last_id >= self.end_id

    @property
    def cutoff_reason(self) -> str:
        mine = f"--older-than {describe(self.retention_ms)}"
        if not self.resumed:
            return f"now minus {mine}, pass {self.pass_number} started"
        if self.cutoff_ms < self.pass_cutoff_ms:
            return (
                f"{mine}, stricter than the cutoff {timestamp(self.pass_cutoff_ms)} of unfinished pass"
                f" {self.pass_number}, resumed"
            )
        return (
            f"the cutoff of unfinished pass {self.pass_number}, resumed: stricter than now minus {mine};"
            " run again once it is finished to collect with yours"
        )


@dataclass
class Outcome:
    """What one run did on one database."""

    node: str | None
    status: str  # "complete" (the run did what it was asked: finished the pass, or stopped as told) or "failed"
    deleted: dict[str, int]  # rows deleted by this run, per table (messages first)
    batches: int = 0
    longest_batch_seconds: float = 0.0
    error: str | None = None
    progress: Progress | None = None
    stopped: str | None = None  # why a complete run stopped before the end of its pass
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    waited: Waited = field(default_factory=Waited)
    retries: int = 0
    sessions: int = 1  # collecting at once (MySQL lanes: --parallel)

    @property
    def messages_deleted(self) -> int:
        return self.deleted.get(GC_PLAN_V2.messages.name, 0)

    @property
    def finished(self) -> bool:
        return self.status == "complete" and self.stopped is None


@dataclass
class BatchDone:
    """What one batch did, as its routine (or PostgreSQL's direct batch) answered."""

    deleted: dict[str, int]
    finished: bool  # the pass
    applied_cutoff_ms: int
    steps: dict[str, float]
    last_id: int | None = None  # one range: where the pass now stands
    end_id: int | None = None
    advanced: int = 0  # lanes: the ids this batch walked
    lane_finished: bool = False


class _Pace:
    """The batches of one run, whichever lane or thread runs them: when the next may start, and what the
    finished ones add up to."""

    def __init__(self, dialect, outcome, progress, max_batches, stop_requested, throttle, on_progress) -> None:
        self.dialect, self.outcome, self.progress = dialect, outcome, progress
        self.max_batches, self.stop_requested, self.throttle = max_batches, stop_requested, throttle
        self.on_progress = on_progress
        self.lock = threading.Lock()
        self.throttling = threading.Lock()  # one throttle at a time: --sleep is between any two batches
        self.started = 0
        self.failed: BaseException | None = None

    def _stop(self, why: str) -> bool:
        if self.outcome.stopped is None:
            self.outcome.stopped = why
        return False

    def may_start(self, connection) -> bool:
        with self.lock:
            if self.failed is not None or self.outcome.stopped is not None:
                return False
            if self.max_batches is not None and self.started >= self.max_batches:
                return self._stop("at --max-batches")
            if self.stop_requested():
                return self._stop("on request")
            self.started += 1
            first = self.started == 1
        if not first:
            with self.throttling:
                self.throttle.before_batch(self.dialect, connection, self.stop_requested)
            if self.stop_requested():
                with self.lock:
                    self.started -= 1
                    return self._stop("on request")
        return True

    def retried(self) -> None:
        with self.lock:
            self.outcome.retries += 1

    def done(self, began: float, batch: BatchDone) -> None:
        outcome, progress = self.outcome, self.progress
        with self.lock:
            outcome.longest_batch_seconds = max(outcome.longest_batch_seconds, time.monotonic() - began)
            outcome.batches += 1
            for name, count in batch.deleted.items():
                outcome.deleted[name] += count
            for name, seconds in batch.steps.items():
                outcome.steps[name] = outcome.steps.get(name, 0.0) + seconds
            progress.batches, progress.deleted = outcome.batches, dict(outcome.deleted)
            if batch.last_id is not None:
                progress.last_id, progress.end_id = batch.last_id, batch.end_id
            else:
                progress.last_id = min(progress.end_id, progress.last_id + batch.advanced)
            if batch.finished:
                progress.last_id = progress.end_id
            progress.cutoff_ms = min(progress.cutoff_ms, batch.applied_cutoff_ms)
            if self.on_progress:
                self.on_progress(progress)


def _bad_argument(error: DBAPIError) -> bool:
    if getattr(error.orig, "pgcode", None) in _BAD_ARGUMENT:
        return True
    args = getattr(error.orig, "args", ())
    # MySQL: any SIGNAL arrives as error 1644 (ER_SIGNAL_EXCEPTION); the routines' own refusals name the argument.
    return bool(args) and args[0] == 1644 and reason(error).startswith(("retention_ms", "batch_size", "cutoff_ms"))


def _not_installed(message: str) -> bool:
    return "does not exist" in message or "doesn't exist" in message


class Collector:
    """One database's collector: `run()` collects until the pass ends, max_batches, or stop()."""

    # PostgreSQL's batches (a subclass can act between their steps, as a client would).
    direct_batches = DirectBatches

    def __init__(
        self,
        settings: Settings,
        node: str | None = None,
        plan: CollectionPlan = GC_PLAN_V2,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.node = node
        self.plan = plan
        self.sql = collector_for(self.settings.dialect, CURRENT)
        self._engine = engine

    @property
    def direct(self) -> bool:
        """PostgreSQL batches run on direct connections to the stores (purgekit/gc/direct.py)."""
        return self.sql.direct_batches

    def engine(self) -> Engine:
        if self._engine is None:
            # MySQL: AUTOCOMMIT, each call is its own transaction (the procedures commit their own);
            # PostgreSQL's direct batches commit themselves.
            options = {} if self.direct else {"isolation_level": "AUTOCOMMIT"}
            self._engine = engine_for(self.settings.url, poolclass=pool.NullPool, **options)
        return self._engine

    def _session(self, connection) -> None:
        connection.exec_driver_sql(self.settings.family.lock_wait_statement(LOCK_WAIT_SECONDS))
        connection.commit()  # PostgreSQL: the SET's own transaction; MySQL's sessions autocommit

    def check_schema(self) -> None:
        """The preflight (DatabaseProblem, exit 2), before any change. Batches that read the stores directly
        (PostgreSQL) check every column the definition uses there. Batches run by the installed routines
        (MySQL) need only contactStore, where they live: an account allowed EXECUTE alone sees no store's
        table, and purgekit_gc_begin checks the columns as its definer (begin() turns its refusal into a
        preflight line)."""
        if self.direct:
            preflight.check(self.settings, (self.plan,))
        else:
            preflight.check(self.settings, (), stores=(Store.CONTACT,))

    def check_parallel(self, parallel: int, name: str = "--parallel") -> None:
        """BadInputError unless `parallel` sessions may collect here at once (`name`: the option or setting)."""
        if not 1 <= parallel <= MAX_LANES:
            raise BadInputError(f"{name} {parallel} is not between 1 and {MAX_LANES}")
        if parallel != 1 and not self.sql.in_lanes:
            raise BadInputError(
                f"{name} {parallel} refused: {self.settings.dialect} batches run one at a time ({name} 1)"
            )

    def _schema_refusal(self, error: DBAPIError) -> DatabaseProblem | None:
        """purgekit_gc_begin's refusal of a missing column, as the preflight would have worded it."""
        message = reason(error)
        if MISSING_COLUMN not in message:
            return None
        table, _, column = message.split(MISSING_COLUMN, 1)[1].strip().partition(".")
        uses = [use for use in preflight.columns_used(self.plan) if (use.table, use.column) == (table, column)]
        line = preflight.missing_column(self.settings, uses[0]) if uses else message
        return DatabaseProblem("preflight", self.settings.url, line)

    def begin(self, connection, retention_ms: int, parallel: int = 1) -> Progress:
        arguments = self.sql.begin_arguments(retention_ms, parallel)
        try:
            row = connection.execute(text(self.sql.begin_call(self.settings)), arguments).one()
        except DBAPIError as error:
            refusal = self._schema_refusal(error)
            if refusal is not None:
                raise refusal from None
            if _bad_argument(error):
                raise BadInputError(f"--older-than {describe(retention_ms)} refused: {reason(error)}") from None
            raise
        if self.direct:
            connection.commit()
        pass_number, pass_cutoff, cutoff, last_id, end_id, resumed, *lanes = row
        return Progress(
            int(pass_number),
            int(pass_cutoff),
            int(cutoff),
            int(last_id),
            int(last_id),
            int(end_id),
            bool(resumed),
            retention_ms=retention_ms,
            lanes=int(lanes[0]) if lanes else 1,
            deleted={name: 0 for name in counted(self.plan)},
        )

    def _routine_batch(self, connection, batch_size: int, cutoff_ms: int, lane: int) -> BatchDone:
        began = time.monotonic()
        arguments = self.sql.batch_arguments(batch_size, cutoff_ms, lane)
        row = connection.execute(text(self.sql.batch_call(self.settings, self.plan)), arguments).one()
        *counts, position, end_or_lane, finished, applied = row
        deleted = dict(zip(counted(self.plan), map(int, counts), strict=True))
        done = BatchDone(deleted, bool(finished), int(applied), {"batch calls": time.monotonic() - began})
        if self.sql.in_lanes:  # ..., advanced, lane_finished, finished, applied_cutoff_ms
            done.advanced, done.lane_finished = int(position), bool(end_or_lane)
        else:  # ..., last_id, end_id, finished, applied_cutoff_ms
            done.last_id, done.end_id = int(position), int(end_or_lane)
        return done

    def batch(
        self, connection, direct: DirectBatches | None, batch_size: int, cutoff_ms: int, pace: _Pace, lane: int = 1
    ) -> BatchDone:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if direct is None:
                    return self._routine_batch(connection, batch_size, cutoff_ms, lane)
                # Direct batches report what they delete as the checkpoint records it (DirectBatches.recorded).
                result = direct.batch(batch_size, cutoff_ms)
                last = result.end_id if result.finished else result.last_id
                return BatchDone(
                    {}, result.finished, result.applied_cutoff_ms, result.steps, last_id=last, end_id=result.end_id
                )
            except (DBAPIError, PendingWorkAppeared) as error:
                if direct is not None:
                    direct.rollback_all()
                retryable = isinstance(error, PendingWorkAppeared) or self.settings.family.is_retryable(
                    error, lock_wait=True
                )
                if not retryable or attempt == ATTEMPTS:
                    raise
                pace.retried()
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def _walk(self, connection, direct, batch_size: int, pace: _Pace) -> None:
        """One range (PostgreSQL; MySQL before 0011): batch after batch until the pass ends."""
        while not pace.progress.finished and pace.may_start(connection):
            began = time.monotonic()
            pace.done(began, self.batch(connection, direct, batch_size, pace.progress.cutoff_ms, pace))

    def _walk_lanes(self, connection, lanes: list[int], batch_size: int, pace: _Pace) -> None:
        """Lanes taken in turn from `lanes` (shared with the other workers), each walked to its end."""
        while True:
            with pace.lock:
                if not lanes:
                    return
                lane = lanes.pop(0)
            while pace.may_start(connection):
                began = time.monotonic()
                done = self.batch(connection, None, batch_size, pace.progress.cutoff_ms, pace, lane)
                pace.done(began, done)
                if done.lane_finished:
                    break
            else:
                return

    def _worker(self, lanes: list[int], batch_size: int, pace: _Pace) -> None:
        """Another session walking lanes beside the run's own."""
        try:
            with self.engine().connect() as connection:
                self._session(connection)
                self._walk_lanes(connection, lanes, batch_size, pace)
        except BaseException as error:  # noqa: BLE001 - handed to the run's thread, which raises it
            with pace.lock:
                pace.failed = pace.failed or error

    def _walk_all_lanes(self, connection, batch_size: int, parallel: int, pace: _Pace) -> None:
        """The pass's lanes, on this connection and on parallel - 1 more sessions, each taking the next lane
        left when done with one. The first failure stops every session after its batch in flight."""
        lanes = list(range(1, pace.progress.lanes + 1))
        pace.outcome.sessions = min(parallel, pace.progress.lanes)
        others = [
            threading.Thread(target=self._worker, args=(lanes, batch_size, pace), daemon=True)
            for _ in range(pace.outcome.sessions - 1)
        ]
        for worker in others:
            worker.start()
        try:
            self._walk_lanes(connection, lanes, batch_size, pace)
        except BaseException as error:
            with pace.lock:
                pace.failed = pace.failed or error
        for worker in others:
            worker.join()
        if pace.failed is not None:
            raise pace.failed
        if pace.outcome.stopped is None:
            pace.progress.last_id = pace.progress.end_id  # every lane walked to its end

    def run(
        self,
        retention_ms: int,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batches: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
        throttle: Throttle | None = None,
        parallel: int = 1,
    ) -> Outcome:
        """Collect. Bad input (a client schema without the definition's columns, a retention the installed
        routines refuse) raises BadInputError before anything is deleted; any other failure is the Outcome's.

        parallel: a new pass is split into that many lanes (MySQL / MariaDB), each collected on a session of
        its own, at once; an unfinished pass keeps the lanes it was split into, walked by that many sessions."""
        self.check_parallel(parallel)
        stop_requested = stop_requested or (lambda: False)
        throttle = throttle or Throttle()
        deleted = {name: 0 for name in counted(self.plan)}
        outcome = Outcome(self.node, "failed", deleted, waited=throttle.waited)
        started = time.monotonic()

        def add(counts: dict[str, int]) -> None:
            for name, count in counts.items():
                deleted[name] += count

        try:
            self.check_schema()
            with self.engine().connect() as connection:
                self._session(connection)
                direct = self.direct_batches(self.settings, self.plan, self.engine()) if self.direct else None
                if direct is not None:
                    direct.recorded = add  # what the checkpoint records, as it commits: exact even on failure
                with direct.opened(connection) if direct else _nothing():
                    try:
                        if direct is not None:
                            with direct.locked():
                                direct.finish_intent()
                        progress = self.begin(connection, retention_ms, parallel)
                    except DBAPIError as error:
                        message = reason(error)
                        if _not_installed(message):
                            message = f"the collector is not installed here (run `alembic upgrade head`): {message}"
                        raise GcFailed(message) from None
                    outcome.progress = progress
                    progress.deleted = dict(deleted)
                    if on_progress:
                        on_progress(progress)
                    pace = _Pace(
                        self.settings.dialect, outcome, progress, max_batches, stop_requested, throttle, on_progress
                    )
                    if not self.sql.in_lanes:
                        self._walk(connection, direct, batch_size, pace)
                    elif not progress.finished:
                        self._walk_all_lanes(connection, batch_size, parallel, pace)
            outcome.status = "complete"
        except BadInputError:
            raise
        except GcFailed as error:
            outcome.error = str(error)
        except (SQLAlchemyError, RuntimeError) as error:
            outcome.error = reason(error)
        finally:
            outcome.seconds = time.monotonic() - started
            if self._engine is not None:
                self._engine.dispose()
        return outcome


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
