"""PostgreSQL batches on direct connections to each store's database: fast, exact while the client writes,
and finished after any failure.

The functions revision 0006 installs in contactStore work through postgres_fdw, whose remote transactions
each read one snapshot and commit one after the other. purgekit gc instead connects to messageStore,
axolotlStore and callbackStore itself, with the credentials the foreign servers use (PURGEKIT_FDW_*, as
purgekit doctor does), and to contactStore for the checkpoint. One batch:

1. In messageStore, one statement DELETEs the window's old messages referenced by no pending action and in
   no chat with a callback queued (the queue's chats read first from callbackStore), and their receipts no
   message left shares, RETURNING the messages' keys. Nothing committed. Then, at once, each on its own
   connection: 2, 3 and axolotlStore's DELETE of the messages' base keys.
2. contactStore: the intent — the keys, counts and each store transaction's id — written and committed.
3. Re-check under lock: LOCK messages_pending_actions and queue IN SHARE MODE (the client's inserts there
   wait; the lock waits for the client's open writes, lock_timeout LOCK_TIMEOUT) and look again for
   pending work naming what was deleted. Any: everything rolls back and the batch is tried again (it then
   sees that work). None: pending work committed before the re-check protected its messages, and none can
   commit until the deletion has.
4. Commit messageStore, then callbackStore (releasing the queue), record the messages in the checkpoint,
   commit axolotlStore, record the base keys and drop the intent.

A failure anywhere in 4 leaves the intent. The next batch (or run) first finishes it: txid_status() tells
whether each store's transaction committed; the base keys of messages whose deletion committed are
deleted now if their own commit did not, and what was deleted is recorded once. So after any failure and
a rerun no dependent of a collected message remains, and the counts are the rows deleted.

Batches take the collector's advisory lock (GC_LOCK_KEY) on the contactStore session, which the functions
take too: two collections never interleave a batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


class PendingWorkAppeared(Exception):
    """The re-check found pending work for a message the batch deleted: roll back and try again."""


@dataclass
class BatchResult:
    deleted: dict[str, int]
    last_id: int
    end_id: int
    finished: bool
    applied_cutoff_ms: int
    # Seconds per step, for --statistics.
    steps: dict[str, float] = field(default_factory=dict)


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


def _unnest(columns: tuple[Column, ...], prefix: str = "k_") -> str:
    arrays = ", ".join(f"CAST(:{prefix}{c.name} AS {c.pg_type}[])" for c in columns)
    return f"unnest({arrays}) AS g({', '.join(pg_ident(c.name) for c in columns)})"


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
        return f"SELECT DISTINCT m.{pg_ident(theirs)} FROM {_table(self.plan.messages.name)} AS m WHERE {self._old()}"

    def remote_matches(self, pending: Related) -> str:
        """Which of those values `pending` has rows for (run in its store)."""
        ((column, _),) = pending.match
        return (
            f"SELECT DISTINCT p.{pg_ident(column.name)} FROM {_table(pending.name)} AS p"
            f" WHERE p.{pg_ident(column.name)} = ANY(CAST(:values AS {column.pg_type}[]))"
        )

    def _not_pending(self, alias: str) -> list[str]:
        conditions = []
        for index, pending in enumerate(self.remote_pending):
            ((column, theirs),) = pending.match
            conditions.append(f"NOT ({alias}.{pg_ident(theirs)} = ANY(CAST(:pending_{index} AS {column.pg_type}[])))")
        for pending in self.local_pending:
            match = " AND ".join(f"p.{pg_ident(c.name)} = {alias}.{pg_ident(theirs)}" for c, theirs in pending.match)
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {_table(pending.name)} AS p WHERE {match})")
        return conditions

    def collectible(self) -> str:
        """WHERE clause of the window's messages done with (alias m)."""
        return " AND ".join([self._old(), *self._not_pending("m")])

    def delete_messages(self) -> str:
        msg = self.plan.messages
        returned = ", ".join(f"m.{pg_ident(c.name)}" for c in msg.key)
        return f"DELETE FROM {_table(msg.name)} AS m WHERE {self.collectible()} RETURNING {returned}"

    def delete_messages_with_their_rows(self) -> str:
        """One statement: the messages' DELETE, and the rows of the dependents in the messages' own store no
        message left shares (their twins deleted by the same statement do not count: `gone`). Returns the
        collected messages' keys, then each such dependent's count, then txid_current()."""
        msg = self.plan.messages
        m_id = pg_ident(msg.id.name)
        returned = ", ".join(f"m.{pg_ident(c.name)}" for c in (msg.id, *msg.key))
        ctes = [f"gone AS (DELETE FROM {_table(msg.name)} AS m WHERE {self.collectible()} RETURNING {returned})"]
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
        keys = ", ".join(f"g.{pg_ident(c.name)}" for c in msg.key)
        # And the transaction's id, for the intent (txid_status() tells later whether it committed).
        return f"WITH {', '.join(ctes)} SELECT {', '.join([keys, *counts, 'txid_current()'])} FROM gone AS g"

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
        ((column, _),) = pending.match
        return (
            f"SELECT count(*) FROM {_table(pending.name)} AS p"
            f" WHERE p.{pg_ident(column.name)} = ANY(CAST(:values AS {column.pg_type}[]))"
        )

    # Dry run ---------------------------------------------------------------------------------------------

    def count_messages(self) -> str:
        return f"SELECT count(*) FROM {_table(self.plan.messages.name)} AS m WHERE {self.collectible()}"

    def collectible_keys(self) -> str:
        keys = ", ".join(f"m.{pg_ident(c.name)}" for c in self.plan.messages.key)
        return f"SELECT {keys} FROM {_table(self.plan.messages.name)} AS m WHERE {self.collectible()}"

    def count_dependent(self, dependent: Related) -> str:
        """What delete_dependent would delete had the window's collectible messages gone: a message sharing
        the row is left unless it is collectible in this window or an earlier one (id <= window_end)."""
        msg = self.plan.messages
        join = " AND ".join(f"t.{pg_ident(c.name)} = g.{pg_ident(theirs)}" for c, theirs in dependent.match)
        left = []
        for column in dependent.unmatched(msg):
            same = " AND ".join(f"o.{pg_ident(c)} = g.{pg_ident(c)}" for c in dependent.message_columns)
            m_id, m_ts = pg_ident(msg.id.name), pg_ident(msg.timestamp.name)
            collected = " AND ".join(
                [f"o.{m_id} > :start AND o.{m_id} <= :window_end AND o.{m_ts} < :cutoff", *self._not_pending("o")]
            )
            left.append(
                f"EXISTS (SELECT 1 FROM {_table(msg.name)} AS o WHERE {same}"
                f" AND o.{pg_ident(column.name)} = (NOT g.{pg_ident(column.name)}) AND NOT ({collected}))"
            )
        keep = f" AND NOT ({' OR '.join(left)})" if left else ""
        return (
            f"SELECT count(DISTINCT t.ctid) FROM {_table(dependent.name)} AS t JOIN {_unnest(msg.key)} ON {join}{keep}"
        )


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
        # Told the rows deleted each time the checkpoint records them (committed): what a run reports.
        self.recorded: Callable[[dict[str, int]], None] = lambda counts: None

    # Connections -----------------------------------------------------------------------------------------

    @contextmanager
    def opened(self, contact: Connection) -> Iterator[DirectBatches]:
        self.contact = contact
        stores = {self.plan.messages.store} | {t.store for t in (*self.plan.pending, *self.plan.dependents)}
        try:
            for store in sorted(stores, key=lambda s: s.value):
                engine = engine_for(store_url(self.settings, store), poolclass=pool.NullPool)
                self.engines[store] = engine
                connection = engine.connect()
                self.connections[store] = connection
                connection.exec_driver_sql("SET lock_timeout = '10s'")
                for setting in WHOLE_TABLE_JOINS:
                    connection.exec_driver_sql(f"SET {setting} = off")
                connection.commit()
            with ThreadPoolExecutor(max_workers=3, thread_name_prefix="purgekit-gc") as self.pool:
                yield self
        finally:
            for connection in self.connections.values():
                connection.close()
            for engine in self.engines.values():
                engine.dispose()
            self.connections, self.engines = {}, {}

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
        msg = self.messages_store
        first = msg.execute(text(sql.first_old()), {"last": last, "end": end, "cutoff": cutoff}).scalar()
        msg.commit()
        step("find")
        if first is None:
            self.record({}, end, batch=True)
            self.contact.commit()
            return BatchResult(zero, end, end, True, cutoff, steps)
        window_end = min(int(first) - 1 + batch_size, end)
        window = {"first": int(first), "window_end": window_end, "cutoff": cutoff}

        # 1. Delete, nothing committed.
        params = dict(window)
        for index, pending in enumerate(sql.remote_pending):
            values = [row[0] for row in msg.execute(text(sql.remote_values(pending)), window)]
            found = self.on(pending.store).execute(text(sql.remote_matches(pending)), {"values": array_literal(values)})
            params[f"pending_{index}"] = array_literal([row[0] for row in found])
        step("pending work")
        gone = msg.execute(text(sql.delete_messages_with_their_rows()), params).all()
        counts = dict(zero)
        counts[plan.messages.name] = len(gone)
        for index, dependent in enumerate(sql.local_dependents):
            counts[dependent.name] = int(gone[0][len(plan.messages.key) + index]) if gone else 0
        step(plan.messages.name)
        if not gone:
            self.rollback_all()
            self.record({}, window_end, batch=True)
            self.contact.commit()
            return BatchResult(zero, window_end, end, window_end >= end, cutoff, steps)
        keys = {f"k_{c.name}": array_literal([row[i] for row in gone]) for i, c in enumerate(plan.messages.key)}
        chats = {c.name: sorted({row[i] for row in gone}) for i, c in enumerate(plan.messages.key)}
        xids = {plan.messages.store: int(gone[0][-1])}
        for dependent in sql.remote_dependents:
            xids[dependent.store] = int(self.on(dependent.store).execute(text("SELECT txid_current()")).scalar())

        # 2 and 3 at once, each on its own connection: the other stores' deletes, the intent, the re-checks.
        def remote_deletes() -> None:
            for dependent in sql.remote_dependents:
                found = self.on(dependent.store).execute(text(sql.delete_dependent(dependent)), keys)
                counts[dependent.name] = found.rowcount

        tasks = [
            self.pool.submit(remote_deletes),
            self.pool.submit(self._write_intent, window_end, xids, counts, keys),
            *(self.pool.submit(self._recheck_remote, index, chats) for index in range(len(sql.remote_pending))),
        ]
        try:
            self._recheck_local(keys)
        finally:
            errors = [task.exception() for task in tasks]
        step("others, intent, re-check")
        appeared = any(isinstance(error, PendingWorkAppeared) for error in errors)
        if appeared or any(errors):
            self.rollback_all()
            self.contact.execute(text(f"DELETE FROM {self.schema}.{INTENT}"))
            self.contact.commit()
            raise next(error for error in errors if error is not None)
        # The intent was written with the other stores' counts still unknown: now they are.
        others = {d.name: counts[d.name] for d in sql.remote_dependents}
        if others:
            sets = ", ".join(f"{deleted_column(name)} = :{deleted_column(name)}" for name in others)
            self.contact.execute(
                text(f"UPDATE {self.schema}.{INTENT} SET {sets}"), {deleted_column(n): c for n, c in others.items()}
            )
            self.contact.commit()

        # 4. Commit, messages first.
        msg.commit()
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

    def _recheck_local(self, keys: dict) -> None:
        """Pending work in the messages' own store naming a deleted message, looked for under a SHARE lock."""
        for pending in self.sql.local_pending:
            connection = self.on(pending.store)
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            connection.execute(text(self.sql.lock(pending)))
            if connection.execute(text(self.sql.local_recheck(pending)), keys).scalar():
                raise PendingWorkAppeared(pending.name)

    def _recheck_remote(self, index: int, values: dict[str, list]) -> None:
        """The same in another store (the queue), matched on one column: values are the deleted messages'."""
        pending = self.sql.remote_pending[index]
        ((_, theirs),) = pending.match
        connection = self.on(pending.store)
        connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        connection.execute(text(self.sql.lock(pending)))
        found = connection.execute(text(self.sql.remote_recheck(pending)), {"values": array_literal(values[theirs])})
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
