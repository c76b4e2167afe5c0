"""PostgreSQL batches on direct connections to each store's database: fast, exact while the client writes,
and finished after any failure.

The functions revision 0006 installs in contactStore work through postgres_fdw, whose remote transactions
each read one snapshot and commit one after the other. purgekit gc instead connects to messageStore,
axolotlStore and callbackStore itself, with the credentials the foreign servers use (PURGEKIT_FDW_*, as
purgekit doctor does), and to contactStore for the checkpoint. One batch:

1. In messageStore, one statement finds the window's old messages referenced by no pending action and in no
   chat with a callback queued (the queue's chats read first from callbackStore): their ids and keys, as
   array texts that go on to the next statements as they are. Then, at once, each on its own connection:
   - messageStore: the DELETE of those ids still older than the cutoff, with their receipts no message left
     shares. It must delete as many as were found: a message that went meanwhile (the client deleted it, or
     wrote it again under a new id) rolls the batch back, to be tried again, since axolotlStore is deleting
     the base keys of the keys found. Then the re-check under lock (3);
   - axolotlStore: the DELETE of the messages' base keys, returning the keys it deleted;
   - callbackStore: the re-check of the queue under lock (3).
   Nothing committed.
2. contactStore: the intent — the counts, the keys of the base keys deleted and each store transaction's
   id — written and committed.
3. The re-check under lock: LOCK messages_pending_actions and queue IN SHARE MODE (the client's inserts there
   wait; the lock waits for the client's open writes, lock_timeout LOCK_TIMEOUT) and look again for pending
   work naming what was deleted. Any: everything rolls back and the batch is tried again (it then sees that
   work). None: pending work committed before the re-check protected its messages, and none can commit
   until the deletion has.
4. Commit messageStore, then callbackStore (releasing the queue), record the messages in the checkpoint,
   commit axolotlStore, record the base keys and drop the intent.

A failure anywhere in 4 leaves the intent. The next batch (or run) first finishes it: txid_status() tells
whether each store's transaction committed; the base keys recorded are deleted now if their own commit did
not go through, and what was deleted is recorded once. So after any failure and a rerun no dependent of a
collected message remains, and the counts are the rows deleted.

Batches take the collector's advisory lock (GC_LOCK_KEY) on the contactStore session, which the functions
take too: two collections never interleave a batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import pool, text
from sqlalchemy.engine import Connection, Engine

from purgekit.config import Settings
from purgekit.dialects.postgresql import CLIENT_SCHEMA
from purgekit.gc.plan import CollectionPlan, Column, Related, counted, deleted_column
from purgekit.gc.postgresql import CHECKPOINT, GC_LOCK_KEY, INTENT, gc_schema
from purgekit.indexes import store_url
from purgekit.sql import engine_for, pg_ident
from purgekit.stores import Store

# How long the re-check waits for the client's open writes to the pending-work tables before the batch is
# rolled back and tried again: below deadlock_timeout (1 s by default), so that if the client is waiting on
# the batch meanwhile, the batch is the one that gives up.
LOCK_TIMEOUT = "500ms"


# A batch's statements join a few thousand keys with big tables: one index probe per key is what keeps a batch's
# cost independent of the tables' size. The planner, seeing a whole array's keys, may prefer hashing or merging
# with a scan of the whole table (measured: 6,800 messages/s at 1 million messages, a third of the time in such
# scans); these sessions run nothing but purgekit's statements, so they turn those plans off.
WHOLE_TABLE_JOINS = ("enable_hashjoin", "enable_mergejoin")


# Hashing a table costs about a fifth of an index probe per row (measured on PostgreSQL 15: 8,000 pending
# actions hashed in 5 ms, 4,900 probes of their index in 15 ms).
HASHED_ROWS_PER_KEY = 5


class PendingWorkAppeared(Exception):
    """The re-check found pending work for a message the batch deleted: roll back and try again."""


class WindowChanged(PendingWorkAppeared):
    """A message the batch found went before the batch deleted it: roll back and try again."""


@dataclass
class BatchResult:
    deleted: dict[str, int]
    last_id: int
    end_id: int
    finished: bool
    applied_cutoff_ms: int
    # Seconds per step, for --statistics.
    steps: dict[str, float] = field(default_factory=dict)


@dataclass
class Found:
    """One window's messages done with, as the batch's statements take them (array texts), read on the
    readers' connections: for the batch to come, while the one before it deletes and commits. Reading them
    early changes nothing to what a batch deletes: its deletion re-checks their age, must delete as many
    as were found, and the re-check under lock looks for pending work committed at any time before it."""

    last: int  # the window starts after this id,
    end: int  # and ends at this one at the latest,
    batch_size: int  # batch_size ids from its first old message,
    cutoff: int  # which is older than this cutoff
    first: int | None = None  # None: no old message left after `last`
    window_end: int = 0
    collectible: int = 0
    ids: str = "{}"
    keys: dict[str, str] = field(default_factory=dict)  # k_<key column>: its values
    values: list[str] = field(default_factory=list)  # each remote pending table's values to re-check

    def fits(self, last: int, end: int, batch_size: int, cutoff: int) -> bool:
        # An earlier cutoff than the batch's own only deletes less.
        return (self.last, self.end, self.batch_size) == (last, end, batch_size) and self.cutoff <= cutoff


def array_literal(values) -> str:
    """A list as PostgreSQL's array input ('{"a","b"}'), bound as one text parameter and cast in SQL: one
    value to parse, where psycopg2 would send ARRAY['a', 'b', ...] (thousands of literals per batch)."""

    def element(value) -> str:
        if isinstance(value, bool):
            return "t" if value else "f"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(element(value) for value in values) + "}"


def _table(name: str) -> str:
    return f"{pg_ident(CLIENT_SCHEMA)}.{pg_ident(name)}"


def _array_type(column: Column) -> str:
    """The type a column's values travel as in an array: text for character varying(n), whose typmod is
    checked element by element when an array is cast to it (and which compares with the column as text does)."""
    return "text" if column.pg_type.startswith("character varying") else column.pg_type


def _unnest(columns: tuple[Column, ...], prefix: str = "k_") -> str:
    arrays = ", ".join(f"CAST(:{prefix}{c.name} AS {_array_type(c)}[])" for c in columns)
    return f"unnest({arrays}) AS g({', '.join(pg_ident(c.name) for c in columns)})"


def _values(column: Column) -> str:
    """The values bound as one array :values, as a relation v(value). Written as `= ANY(array)` instead, the
    planner estimates the selectivity of each of the array's thousands of elements, on every call (measured:
    25 ms of planning for a 5,000-message window's chats, against 1 ms to run)."""
    return f"unnest(CAST(:values AS {_array_type(column)}[])) AS v(value)"


def _array_text(expression: str) -> str:
    """The aggregate of expression as PostgreSQL's array text ('{}' for no rows): passed on as it is to the next
    statement, in this or another store, so no batch's keys are turned into Python values and back."""
    return f"coalesce(CAST(array_agg({expression}) AS text), '{{}}')"


class DirectStatements:
    """The SQL of one direct batch, rendered from the plan (message key columns bound as arrays k_<column>)."""

    def __init__(self, plan: CollectionPlan) -> None:
        self.plan = plan
        msg = plan.messages
        self.local_pending = [p for p in plan.pending if p.store is msg.store]
        self.remote_pending = [p for p in plan.pending if p.store is not msg.store]
        for pending in self.remote_pending:
            if len(pending.match) != 1:
                raise NotImplementedError(f"{pending.name}: pending work in another store must match on one column")
        self.local_dependents = [d for d in plan.dependents if d.store is msg.store]
        self.remote_dependents = [d for d in plan.dependents if d.store is not msg.store]
        for dependent in self.remote_dependents:
            if dependent.unmatched(msg):
                raise NotImplementedError(f"{dependent.name}: a dependent in another store must match the whole key")
        if len(self.remote_dependents) > 1:
            # The intent holds one transaction id and one set of keys for the other store.
            raise NotImplementedError("dependents in more than one other store")

    # Messages' store ------------------------------------------------------------------------------------

    def _old(self, alias: str = "m") -> str:
        msg = self.plan.messages
        m_id, m_ts = pg_ident(msg.id.name), pg_ident(msg.timestamp.name)
        return f"{alias}.{m_id} BETWEEN :first AND :window_end AND {alias}.{m_ts} < :cutoff"

    def first_old(self) -> str:
        msg = self.plan.messages
        m_id, m_ts = pg_ident(msg.id.name), pg_ident(msg.timestamp.name)
        return (
            f"SELECT min(m.{m_id}) FROM {_table(msg.name)} AS m"
            f" WHERE m.{m_id} > :last AND m.{m_id} <= :end AND m.{m_ts} < :cutoff"
        )

    def remote_values(self, pending: Related) -> str:
        """The window's old messages' values of the column `pending` (in another store) matches on."""
        ((_, theirs),) = pending.match
        values = _array_text(f"m.{pg_ident(theirs)}")  # not DISTINCT: sorting them costs more than the repeats
        return f"SELECT {values} FROM {_table(self.plan.messages.name)} AS m WHERE {self._old()}"

    def remote_matches(self, pending: Related) -> str:
        """Which of those values `pending` has rows for (run in its store)."""
        return f"SELECT {_array_text('v.value')} FROM {self.values_with_rows(pending)}"

    @staticmethod
    def remote_all(pending: Related) -> str:
        """Every value `pending` (in another store, matched on one column) has rows for: for a table small beside
        a batch, one read of it instead of the window's values and their match."""
        ((column, _),) = pending.match
        value = f"p.{pg_ident(column.name)}"
        return f"SELECT {_array_text(f'DISTINCT {value}')} FROM {_table(pending.name)} AS p WHERE {value} IS NOT NULL"

    @staticmethod
    def values_with_rows(pending: Related) -> str:
        """The values :values for which `pending` (in another store, matched on one column) has rows."""
        ((column, _),) = pending.match
        return (
            f"{_values(column)}"
            f" WHERE EXISTS (SELECT 1 FROM {_table(pending.name)} AS p WHERE p.{pg_ident(column.name)} = v.value)"
        )

    def _not_pending(self, alias: str) -> list[str]:
        conditions = []
        for index, pending in enumerate(self.remote_pending):
            # NOT IN a set, which is hashed, rather than `<> ALL(array)`: the planner estimates an array's
            # elements one by one on every call (ms, with a few thousand chats queued).
            ((column, theirs),) = pending.match
            matches = f"SELECT unnest(CAST(:pending_{index} AS {_array_type(column)}[]))"
            conditions.append(f"{alias}.{pg_ident(theirs)} NOT IN ({matches})")
        for pending in self.local_pending:
            match = " AND ".join(f"p.{pg_ident(c.name)} = {alias}.{pg_ident(theirs)}" for c, theirs in pending.match)
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {_table(pending.name)} AS p WHERE {match})")
        return conditions

    def collectible(self) -> str:
        """WHERE clause of the window's messages done with (alias m)."""
        return " AND ".join([self._old(), *self._not_pending("m")])

    def values_not_in_key(self) -> list[str]:
        """The message columns the pending tables in other stores match on, beyond the key (whose arrays serve)."""
        key = {c.name for c in self.plan.messages.key}
        matched = (theirs for ((_, theirs),) in (p.match for p in self.remote_pending))
        return [name for name in dict.fromkeys(matched) if name not in key]

    def collectible_keys_once(self) -> str:
        """The window's messages done with, as one row: their count, ids and keys (an array text per column,
        all in the order of the message key), and the values_not_in_key() (the key's own arrays carry the rest).

        In key order, the next statements' probes of the indexes on the key (base keys, receipts, pending
        actions) walk those indexes forward, from one probe's pages to the next's: one sort of the window's rows
        costs less than it saves (measured: 7 ms of CPU a 5,000-message batch)."""
        msg = self.plan.messages
        carried = [msg.id.name, *(c.name for c in msg.key), *self.values_not_in_key()]
        returned = ", ".join(["count(*)", *(_array_text(f"s.{pg_ident(name)}") for name in carried)])
        columns = ", ".join(f"m.{pg_ident(name)}" for name in carried)
        order = ", ".join(f"m.{pg_ident(c.name)}" for c in msg.key)
        return (
            f"SELECT {returned} FROM (SELECT {columns} FROM {_table(msg.name)} AS m WHERE {self.collectible()}"
            f" ORDER BY {order}) AS s"
        )

    def delete_messages_with_their_rows(self) -> str:
        """One statement: the messages of ids :ids (those collectible_keys_once found) still older than the
        cutoff, and the rows of the dependents in the messages' own store no message left shares (their twins
        deleted by the same statement do not count: `gone`). Returns the messages' count, each such
        dependent's count and txid_current(): one row. Pending work committed since is found by the re-check
        under lock."""
        msg = self.plan.messages
        m_id, m_ts = pg_ident(msg.id.name), pg_ident(msg.timestamp.name)
        returned = ", ".join(f"m.{pg_ident(c.name)}" for c in (msg.id, *msg.key))
        ctes = [
            f"gone AS (DELETE FROM {_table(msg.name)} AS m USING unnest(CAST(:ids AS bigint[])) AS c(id)"
            f" WHERE m.{m_id} = c.id AND m.{m_ts} < :cutoff RETURNING {returned})"
        ]
        counts = []
        for index, dependent in enumerate(self.local_dependents):
            join = " AND ".join(f"t.{pg_ident(c.name)} = g.{pg_ident(theirs)}" for c, theirs in dependent.match)
            keep = self._twin_left(dependent, f" AND o.{m_id} NOT IN (SELECT x.{m_id} FROM gone AS x)")
            keep = f" AND NOT ({keep})" if keep else ""
            ctes.append(
                f"d_{index} AS (DELETE FROM {_table(dependent.name)} AS t USING gone AS g"
                f" WHERE {join}{keep} RETURNING 1)"
            )
            counts.append(f"(SELECT count(*) FROM d_{index})")
        # And the transaction's id, for the intent (txid_status() tells later whether it committed).
        return f"WITH {', '.join(ctes)} SELECT {', '.join(['count(*)', *counts, 'txid_current()'])} FROM gone AS g"

    def _twin_left(self, dependent: Related, also: str = "") -> str:
        """A message left that shares the dependent's row: one differing in the unmatched (boolean) column.

        Its whole key is known, so it is probed as a range of one key, (key) >= (twin) AND (key) <= (twin): a row
        comparison only an index on the whole key in order can serve (the client's unique key). Written as
        equalities, the planner may take the index on key_remote_jid alone and read every message of the
        chat for each probe (measured: 6 times slower on the synthetic stores, and worse the bigger a chat)."""
        msg = self.plan.messages
        arms = []
        for column in dependent.unmatched(msg):
            mine = ", ".join(f"o.{pg_ident(c.name)}" for c in msg.key)
            twin = ", ".join(f"(NOT g.{pg_ident(c.name)})" if c == column else f"g.{pg_ident(c.name)}" for c in msg.key)
            arms.append(
                f"EXISTS (SELECT 1 FROM {_table(msg.name)} AS o"
                f" WHERE ({mine}) >= ({twin}) AND ({mine}) <= ({twin}){also})"
            )
        return " OR ".join(arms)

    def delete_dependent_keys(self, dependent: Related) -> str:
        """delete_dependent in another store, returning one row: the count, the rows' keys as the messages'
        key columns (an array text each, for the intent) and txid_current()."""
        columns = dict((theirs, column) for column, theirs in dependent.match)
        arrays = [_array_text(f"d.{pg_ident(columns[c.name].name)}") for c in self.plan.messages.key]
        returning = ", ".join(f"t.{pg_ident(c.name)}" for c, _ in dependent.match)
        return (
            f"WITH d AS ({self.delete_dependent(dependent)} RETURNING {returning})"
            f" SELECT {', '.join(['count(*)', *arrays, 'txid_current()'])} FROM d"
        )

    def delete_dependent(self, dependent: Related) -> str:
        """The dependent's rows of the collected messages (keys bound as arrays); in the messages' own store,
        those no message left shares (run after the messages' DELETE, which this statement then sees)."""
        join = " AND ".join(f"t.{pg_ident(c.name)} = g.{pg_ident(theirs)}" for c, theirs in dependent.match)
        keep = self._twin_left(dependent)
        keep = f" AND NOT ({keep})" if keep else ""
        return f"DELETE FROM {_table(dependent.name)} AS t USING {_unnest(self.plan.messages.key)} WHERE {join}{keep}"

    # The re-check --------------------------------------------------------------------------------------

    def lock(self, pending: Related) -> str:
        return f"LOCK TABLE {_table(pending.name)} IN SHARE MODE"

    def local_recheck(self, pending: Related) -> str:
        join = " AND ".join(f"p.{pg_ident(c.name)} = g.{pg_ident(theirs)}" for c, theirs in pending.match)
        return f"SELECT count(*) FROM {_table(pending.name)} AS p JOIN {_unnest(self.plan.messages.key)} ON {join}"

    def remote_recheck(self, pending: Related) -> str:
        return f"SELECT count(*) FROM {self.values_with_rows(pending)}"


class DirectBatches:
    """purgekit gc's batches on PostgreSQL: one connection per store database, open for a run."""

    def __init__(self, settings: Settings, plan: CollectionPlan, engine: Engine) -> None:
        self.settings = settings
        self.plan = plan
        self.sql = DirectStatements(plan)
        self.contact_engine = engine
        self.schema = pg_ident(gc_schema(settings))
        self.engines: dict[Store, Engine] = {}
        self.connections: dict[Store, Connection] = {}
        self.readers: dict[Store, Connection] = {}
        self.sizes: dict[str, float] = {}  # pending tables' estimated rows, read once a run (_small)
        self.ahead: Future[Found] | None = None  # the next window's Found, being read
        # Told the rows deleted each time the checkpoint records them (committed): what a run reports.
        self.recorded: Callable[[dict[str, int]], None] = lambda counts: None

    # Connections -----------------------------------------------------------------------------------------

    @contextmanager
    def opened(self, contact: Connection) -> Iterator[DirectBatches]:
        self.contact = contact
        stores = {self.plan.messages.store} | {t.store for t in (*self.plan.pending, *self.plan.dependents)}
        # Where the messages and their dependents are; a store of pending work alone (the queue) keeps the
        # planner's choice, which hashes a small queue and probes a big one.
        big_tables = {self.plan.messages.store} | {t.store for t in self.plan.dependents}
        # The readers: where the next window's messages are found while a batch deletes (Found).
        read = {self.plan.messages.store} | {p.store for p in self.sql.remote_pending}
        try:
            for store in sorted(stores, key=lambda s: s.value):
                engine = engine_for(store_url(self.settings, store), poolclass=pool.NullPool)
                self.engines[store] = engine
                self.connections[store] = self._connect(engine, whole_table_joins=store not in big_tables)
                if store in read:
                    self.readers[store] = self._connect(engine, whole_table_joins=store not in big_tables)
            with ThreadPoolExecutor(max_workers=4, thread_name_prefix="purgekit-gc") as self.pool:
                yield self
        finally:
            for connection in (*self.connections.values(), *self.readers.values()):
                connection.close()
            for engine in self.engines.values():
                engine.dispose()
            self.connections, self.readers, self.engines, self.ahead = {}, {}, {}, None

    @staticmethod
    def _connect(engine: Engine, whole_table_joins: bool) -> Connection:
        connection = engine.connect()
        connection.exec_driver_sql("SET lock_timeout = '10s'")
        # A batch's statements are short and run thousands of times: one whose estimate passes jit_above_cost (the
        # planner's estimates of a batch's joins grow with the stores) would be compiled anew every time (measured:
        # 440 ms of compilation for a form of the messages' DELETE that runs in 30 ms).
        connection.exec_driver_sql("SET jit = off")
        if not whole_table_joins:
            for setting in WHOLE_TABLE_JOINS:
                connection.exec_driver_sql(f"SET {setting} = off")
        connection.commit()
        return connection

    def on(self, store: Store) -> Connection:
        return self.connections[store]

    @property
    def messages_store(self) -> Connection:
        return self.on(self.plan.messages.store)

    def rollback_all(self) -> None:
        for connection in (*self.connections.values(), self.contact):
            connection.rollback()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The collector's advisory lock, for one batch (a session lock: it outlives the batch's commits)."""
        self.contact.execute(text("SELECT pg_advisory_lock(:key)"), {"key": GC_LOCK_KEY})
        self.contact.commit()
        try:
            yield
        finally:
            self.contact.rollback()
            self.contact.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": GC_LOCK_KEY})
            self.contact.commit()

    # The checkpoint and the intent -----------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, int, int, bool]:
        row = self.contact.execute(
            text(
                f"SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at IS NOT NULL"
                f" FROM {self.schema}.{CHECKPOINT} AS k WHERE k.id = 1"
            )
        ).first()
        self.contact.commit()
        return (int(row[0]), int(row[1]), int(row[2]), bool(row[3])) if row else (0, 0, 0, True)

    def _xid_column(self, store: Store) -> str:
        return "messages_xid" if store is self.plan.messages.store else "others_xid"

    def record(self, counts: dict[str, int], window_end: int, batch: bool) -> None:
        """Add counts to the checkpoint (and, with batch, move it to window_end and count the batch)."""
        sets = [f"{deleted_column(name)} = k.{deleted_column(name)} + :{deleted_column(name)}" for name in counts]
        if batch:
            sets += [
                "last_id = greatest(k.last_id, :window_end)",
                "batches = k.batches + 1",
                "finished_at = CASE WHEN greatest(k.last_id, :window_end) >= k.end_id THEN clock_timestamp() END",
            ]
        sets.append("updated_at = clock_timestamp()")
        self.contact.execute(
            text(f"UPDATE {self.schema}.{CHECKPOINT} AS k SET {', '.join(sets)} WHERE k.id = 1"),
            {**{deleted_column(name): n for name, n in counts.items()}, "window_end": window_end},
        )

    # One batch ------------------------------------------------------------------------------------------

    def batch(self, batch_size: int, cutoff_ms: int) -> BatchResult:
        with self.locked():
            self.finish_intent()
            return self._batch(batch_size, cutoff_ms)

    def _batch(self, batch_size: int, cutoff_ms: int) -> BatchResult:
        plan, sql = self.plan, self.sql
        steps: dict[str, float] = {}
        clock = time.monotonic()

        def step(name: str) -> None:
            nonlocal clock
            now = time.monotonic()
            steps[name] = steps.get(name, 0.0) + now - clock
            clock = now

        pass_cutoff, last, end, finished = self.checkpoint()
        zero = {name: 0 for name in counted(plan)}
        if finished:
            return BatchResult(zero, last, end, True, min(pass_cutoff, cutoff_ms), steps)
        now_ms = int(time.time() * 1000)
        cutoff = min(pass_cutoff, cutoff_ms, now_ms - self.settings.gc_min_retention_ms)
        found = self._found(last, end, batch_size, cutoff)
        step("find")
        if found.first is None:
            self.record({}, end, batch=True)
            self.contact.commit()
            return BatchResult(zero, end, end, True, found.cutoff, steps)
        window_end, cutoff = found.window_end, found.cutoff
        if window_end < end:
            self.ahead = self.pool.submit(self._find, window_end, end, batch_size, cutoff)
        if not found.collectible:
            self.record({}, window_end, batch=True)
            self.contact.commit()
            return BatchResult(zero, window_end, end, window_end >= end, cutoff, steps)
        window = {"first": found.first, "window_end": window_end, "cutoff": cutoff}
        keys, values, xids = found.keys, found.values, {}

        # 1. At once, each on its own connection: the deletion of the messages found and the re-check of the
        #    pending work in their store, the other store's delete of their rows, the re-check of the queue.
        #    Nothing committed.
        counts = dict(zero)
        deleted_keys: dict[str, str] = {}  # the other store's deleted rows' keys, for the intent

        def remote_delete() -> None:
            for dependent in sql.remote_dependents:
                row = list(self.on(dependent.store).execute(text(sql.delete_dependent_keys(dependent)), keys).one())
                counts[dependent.name] = row.pop(0)
                deleted_keys.update({f"k_{c.name}": row.pop(0) for c in plan.messages.key})
                xids[dependent.store] = int(row.pop(0))

        tasks = [
            self.pool.submit(remote_delete),
            *(self.pool.submit(self._recheck_remote, index, values[index]) for index in range(len(sql.remote_pending))),
        ]
        try:
            row = self._delete_found(window, found.ids)
            counts[plan.messages.name] = row.pop(0)
            for dependent in sql.local_dependents:
                counts[dependent.name] = int(row.pop(0))
            xids[plan.messages.store] = int(row.pop(0))
            step(plan.messages.name)
            if counts[plan.messages.name] != found.collectible:
                # A message went (or stopped being old) between the two statements: the other store's delete
                # was for the keys found, so the batch is tried again on what is there now.
                raise WindowChanged(plan.messages.name)
            self._recheck_local(keys, found.collectible)
        finally:
            errors = [task.exception() for task in tasks]
        step("others, re-check")
        if any(errors):
            self.rollback_all()
            raise next(error for error in errors if error is not None)

        # 2. The intent: the counts, the keys of the other store's rows deleted, each transaction's id.
        self._write_intent(window_end, xids, counts, deleted_keys or keys)
        step("intent")

        # 4. Commit, messages first.
        self.messages_store.commit()
        for store, connection in self.connections.items():
            if store is not plan.messages.store and store not in xids:
                connection.commit()  # releases the queue
        local = {name: counts[name] for name in counted(plan) if self._store_of(name) is plan.messages.store}
        self.record(local, window_end, batch=True)
        self.contact.execute(text(f"UPDATE {self.schema}.{INTENT} SET messages_recorded = true"))
        self.contact.commit()
        self.recorded(local)
        step("commit messages")
        others = {name: n for name, n in counts.items() if name not in local}
        for store in xids:
            if store is not plan.messages.store:
                self.on(store).commit()
        self.record(others, window_end, batch=False)
        self.contact.execute(text(f"DELETE FROM {self.schema}.{INTENT}"))
        self.contact.commit()
        self.recorded(others)
        step("commit others")
        return BatchResult(counts, window_end, end, window_end >= end, cutoff, steps)

    def _found(self, last: int, end: int, batch_size: int, cutoff: int) -> Found:
        """The window after `last`: the one read ahead if it fits (the checkpoint may have moved meanwhile, by
        another run's batches), else read now."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None:
            try:
                found = ahead.result()
            except Exception:  # noqa: BLE001 - read again below, where an error is raised and reported
                found = None
            if found is not None and found.fits(last, end, batch_size, cutoff):
                return found
        return self._find(last, end, batch_size, cutoff)

    def _find(self, last: int, end: int, batch_size: int, cutoff: int) -> Found:
        """The window's messages done with (collectible_keys_once), on the readers' connections."""
        sql, found = self.sql, Found(last, end, batch_size, cutoff)
        msg = self.readers[self.plan.messages.store]
        try:
            first = msg.execute(text(sql.first_old()), {"last": last, "end": end, "cutoff": cutoff}).scalar()
            if first is None:
                return found
            found.first, found.window_end = int(first), min(int(first) - 1 + batch_size, end)
            window = {"first": found.first, "window_end": found.window_end, "cutoff": cutoff}
            params = dict(window)
            for index, pending in enumerate(sql.remote_pending):
                reader = self.readers[pending.store]
                if self._small(reader, pending, batch_size):
                    matches = reader.execute(text(sql.remote_all(pending))).scalar()
                else:
                    values = msg.execute(text(sql.remote_values(pending)), window).scalar()
                    matches = reader.execute(text(sql.remote_matches(pending)), {"values": values}).scalar()
                params[f"pending_{index}"] = matches
            if all(self._small(msg, pending, batch_size) for pending in sql.local_pending):
                # Pending actions few beside the window: hashed once, not probed message by message (the find's
                # one join, so no other join of the statement can turn into a hash).
                msg.execute(text("SET LOCAL enable_hashjoin = on"))
            row = list(msg.execute(text(sql.collectible_keys_once()), params).one())
            found.collectible, found.ids = row.pop(0), row.pop(0)
            found.keys = {f"k_{c.name}": row.pop(0) for c in self.plan.messages.key}
            arrays = {c.name: found.keys[f"k_{c.name}"] for c in self.plan.messages.key}
            arrays.update(zip(sql.values_not_in_key(), row, strict=True))
            found.values = [arrays[theirs] for ((_, theirs),) in (p.match for p in sql.remote_pending)]
            return found
        finally:
            for reader in self.readers.values():
                reader.rollback()

    def _delete_found(self, window: dict, ids: str) -> list:
        """The messages found (ids: an array text) and their rows in their store: [count, *dependents' counts,
        the transaction's id]."""
        statement = text(self.sql.delete_messages_with_their_rows())
        return list(self.messages_store.execute(statement, {**window, "ids": ids}).one())

    def _store_of(self, table: str) -> Store:
        if table == self.plan.messages.name:
            return self.plan.messages.store
        return next(d.store for d in self.plan.dependents if d.name == table)

    def _write_intent(self, window_end: int, xids: dict[Store, int], counts: dict[str, int], keys: dict) -> None:
        columns = {
            "id": 1,
            "window_end": window_end,
            "messages_xid": xids[self.plan.messages.store],
            "others_xid": next((x for s, x in xids.items() if s is not self.plan.messages.store), 0),
            **{deleted_column(name): n for name, n in counts.items()},
            **{c.name: keys[f"k_{c.name}"] for c in self.plan.messages.key},
        }
        types = {c.name: f"{c.pg_type}[]" for c in self.plan.messages.key}
        values = ", ".join(f"CAST(:{c} AS {types[c]})" if c in types else f":{c}" for c in columns)
        self.contact.execute(
            text(f"INSERT INTO {self.schema}.{INTENT} ({', '.join(pg_ident(c) for c in columns)}) VALUES ({values})"),
            columns,
        )
        self.contact.commit()

    def _recheck_local(self, keys: dict, deleted: int) -> None:
        """Pending work in the messages' own store naming a deleted message, looked for under a SHARE lock."""
        for pending in self.sql.local_pending:
            connection = self.on(pending.store)
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            connection.execute(text(self.sql.lock(pending)))
            if self._small(connection, pending, deleted):
                connection.execute(text("SET LOCAL enable_hashjoin = on"))
            if connection.execute(text(self.sql.local_recheck(pending)), keys).scalar():
                raise PendingWorkAppeared(pending.name)

    def _small(self, connection: Connection, pending: Related, deleted: int) -> bool:
        """Whether reading the whole pending table beats one index probe per message (`deleted` of them): when it
        holds fewer than HASHED_ROWS_PER_KEY rows per message (its size as the statistics estimate it, read once
        a run). The planner, costing each probe as a random read, hashes even a table ten times that size
        (measured: 60 ms a batch at 80,000 pending actions, against 15 ms of probes)."""
        if pending.name not in self.sizes:
            rows = connection.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
                {"table": _table(pending.name)},
            ).scalar()
            # -1: never analyzed, of unknown size: probed.
            self.sizes[pending.name] = float("inf") if rows is None or rows < 0 else float(rows)
        return self.sizes[pending.name] < HASHED_ROWS_PER_KEY * deleted

    def _recheck_remote(self, index: int, values: str) -> None:
        """The same in another store (the queue), matched on one column: values are the deleted messages' (an
        array's text)."""
        pending = self.sql.remote_pending[index]
        connection = self.on(pending.store)
        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text(self.sql.lock(pending)))
        found = connection.execute(text(self.sql.remote_recheck(pending)), {"values": values})
        if found.scalar():
            raise PendingWorkAppeared(pending.name)

    # Finishing what a failed batch left -----------------------------------------------------------------

    def _status(self, store: Store, xid: int) -> str | None:
        status = self.on(store).execute(text("SELECT txid_status(:xid)"), {"xid": xid}).scalar()
        self.on(store).commit()
        return status

    def finish_intent(self) -> dict[str, int]:
        """Finish the batch a failed or stopped run left half-committed, if any: returns what that deleted
        and this run records (the messages, unless already recorded; the dependents in other stores)."""
        plan = self.plan
        row = self.contact.execute(text(f"SELECT * FROM {self.schema}.{INTENT} WHERE id = 1")).mappings().first()
        self.contact.commit()
        if row is None:
            return {}
        status = self._status(plan.messages.store, int(row["messages_xid"]))
        if status == "in progress":
            raise RuntimeError("a batch of another purgekit gc is still committing; try again in a moment")
        counts: dict[str, int] = {}
        if status == "committed":
            if not row["messages_recorded"]:
                counts = {
                    name: int(row[deleted_column(name)])
                    for name in counted(plan)
                    if self._store_of(name) is plan.messages.store
                }
            keys = {f"k_{c.name}": array_literal(row[c.name]) for c in plan.messages.key}
            for dependent in self.sql.remote_dependents:
                connection = self.on(dependent.store)
                if self._status(dependent.store, int(row["others_xid"])) == "committed":
                    counts[dependent.name] = int(row[deleted_column(dependent.name)])
                else:
                    counts[dependent.name] = connection.execute(
                        text(self.sql.delete_dependent(dependent)), keys
                    ).rowcount
                    connection.commit()
            local = {n: c for n, c in counts.items() if self._store_of(n) is plan.messages.store}
            if local:
                self.record(local, int(row["window_end"]), batch=True)
            self.record({n: c for n, c in counts.items() if n not in local}, int(row["window_end"]), batch=False)
        self.contact.execute(text(f"DELETE FROM {self.schema}.{INTENT}"))
        self.contact.commit()
        self.recorded(counts)
        return counts
