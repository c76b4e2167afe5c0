"""Benchmark: collecting old messages with purgekit gc, pt-archiver (MariaDB), a DBA's batched loop and one
plain DELETE, while a client writes 200 messages/s.

    python -m bench.gc --messages 1000000                 # both dialects
    python -m bench.gc --dialect mysql --messages 1000000 --sweep 1000,5000,20000
    python -m bench.gc --markdown results.json            # docs/benchmarks.md's tables, from a saved run

For each dialect, on a throwaway server (purgekit_lab.servers): build the synthetic stores
(SyntheticStores.fill), empty callbackStore.queue but for one chat in 50 (the client has delivered most of
its callbacks; with one queued for every 1:1 chat, as fill() makes them, those chats would all be kept),
`alembic upgrade head`, and copy the three tables the collection changes aside. Then, each on the same
rows (restored from the copies in between: TRUNCATE, load in key order, then build the secondary indexes):
1. purgekit gc with the defaults (`--older-than 30d`, --batch-size), on MariaDB also with --parallel (2
   sessions by default), then throttled (--throttled-batch-size, --throttled-sleep); with --sweep, first one
   run per batch size;
2. MariaDB only: pt-archiver --purge --bulk-delete --commit-each --limit <batch size>, with the definition as
   its WHERE clause (cutoff, no pending action, no queued callback): `apt-get install percona-toolkit`;
3. a DBA's batched loop in messageStore (the queued chats copied there first, PostgreSQL): DELETE of the next
   <batch size> messages done with, by id, one transaction each, until none is left; on PostgreSQL, with
   loop-dependents, the same loop deleting the receipts and base keys too (batched_loop_with_dependents);
4. one plain DELETE of the same messages, in one transaction.
pt-archiver, the loop and the plain DELETE delete the messages only; purgekit deletes their receipts and base
keys too (counted apart). During each, a client in its own process inserts one message per transaction at
200/s into messageStore, and its insert latencies (p50, p99, max) are reported. The longest transaction is
read from performance_schema on MariaDB (every transaction's TIMER_WAIT), from pg_stat_activity sampled
every 10 ms on PostgreSQL. The server's CPU seconds during each method are read from /proc (server_cpu): on a
shared machine steadier than wall time, and what a 2-core machine runs out of first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from purgekit_lab import servers
from purgekit_lab.deployment import settings_for
from purgekit_lab.synthetic import SyntheticStores, schema, secondary_indexes
from sqlalchemy import create_engine, text

from purgekit import deploy
from purgekit.gc.runner import DEFAULT_BATCH_SIZE, Collector
from purgekit.gc.throttle import Throttle
from purgekit.stores import Store

RETENTION_MS = 30 * 86_400_000
PREFIX = "bench_gc_"
CHANGED = ((Store.MESSAGE, "messages"), (Store.MESSAGE, "messages_receipt_log"), (Store.AXOLOTL, "message_base_key"))
PRISTINE = "_pristine"
# PostgreSQL's batched loop and plain DELETE: the queued chats, copied into messageStore first.
QUEUED = "bench_queued_chats"
# The client's writes during each method: messages per second (what Meta publishes for a real client).
CLIENT_RATE = 200
# Every transaction's duration, for the longest one (MariaDB); ring buffer big enough for a run.
PERFORMANCE_SCHEMA = {
    "performance-schema": "ON",
    "performance-schema-instrument": "transaction=ON",
    "performance-schema-consumer-events-transactions-current": "ON",
    "performance-schema-consumer-events-transactions-history-long": "ON",
    "performance-schema-events-transactions-history-long-size": "1000000",
}


@dataclass
class Measure:
    dialect: str
    method: str
    batch_size: int | None
    seconds: float
    messages_deleted: int
    other_rows_deleted: dict[str, int] = field(default_factory=dict)
    longest_transaction_seconds: float | None = None
    note: str = ""
    client: dict[str, float] = field(default_factory=dict)  # the writing client's insert latency, ms
    server_cpu_seconds: float | None = None  # the server's processes meanwhile (server_cpu)

    @property
    def rows_per_second(self) -> float:
        return self.messages_deleted / self.seconds if self.seconds else 0.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, server: servers.Server, messages: int, users: int) -> None:
        self.server = server
        self.dialect = server.dialect
        self.stores = SyntheticStores(server.url, PREFIX)
        self.settings = settings_for(server, PREFIX)
        self.messages, self.users = messages, users

    # Stores -----------------------------------------------------------------------------------------

    def q(self, store: Store, table: str) -> str:
        return self.stores.qualified(store, table)

    def build(self) -> None:
        log(f"{self.dialect}: filling {self.messages:,} messages, {self.users:,} users")
        started = time.monotonic()
        self.stores.create()
        self.stores.fill(users=self.users, messages=self.messages)
        with self.stores.engine(Store.CALLBACK).begin() as connection:
            connection.execute(text(f"DELETE FROM {self.q(Store.CALLBACK, 'queue')} WHERE MOD(id, 50) <> 0"))
        log(f"{self.dialect}: filled in {time.monotonic() - started:.0f} s")
        deploy.upgrade(self.settings)
        for store, table in CHANGED:
            with self.stores.engine(store).begin() as connection:
                pristine = self.q(store, table + PRISTINE)
                if self.dialect == "postgresql":
                    connection.execute(text(f"CREATE TABLE {pristine} AS SELECT * FROM {self.q(store, table)}"))
                else:
                    connection.execute(
                        text(f"CREATE TABLE {pristine} ENGINE=InnoDB AS SELECT * FROM {self.q(store, table)}")
                    )
        log(f"{self.dialect}: copied aside in {time.monotonic() - started:.0f} s from the start")

    def restore(self, tables=CHANGED) -> None:
        """The tables as fill() leaves them: loaded in key order, secondary indexes built after the load
        (inserting rows into existing indexes would leave them larger and scattered, and slower)."""
        started = time.monotonic()
        for store, table in tables:
            indexes = secondary_indexes(schema.table(store, table))
            with self.stores.engine(store).begin() as connection:
                connection.execute(text(f"TRUNCATE TABLE {self.q(store, table)}"))
                for index in indexes:
                    index.drop(connection)
                connection.execute(
                    text(f"INSERT INTO {self.q(store, table)} SELECT * FROM {self.q(store, table + PRISTINE)}")
                )
                for index in indexes:
                    index.create(connection)
            with self.stores.engine(store).begin() as connection:
                analyze = "ANALYZE" if self.dialect == "postgresql" else "ANALYZE TABLE"
                connection.execute(text(f"{analyze} {self.q(store, table)}")).close()
        if self.dialect == "postgresql":
            with (
                self.stores.engine(Store.MESSAGE)
                .connect()
                .execution_options(isolation_level="AUTOCOMMIT") as connection
            ):
                for store, table in tables:
                    if store is Store.MESSAGE:
                        connection.execute(text(f"VACUUM {self.q(store, table)}"))
        # The collector's checkpoint starts afresh: a new pass.
        with create_engine(self.settings.url).begin() as connection:
            table = (
                f"{self.settings.schema}_gc.checkpoint"
                if self.dialect == "postgresql"
                else f"`{self.settings.store_name(Store.CONTACT)}`.purgekit_gc_checkpoint"
            )
            connection.execute(text(f"DELETE FROM {table}"))
        log(f"{self.dialect}: restored {', '.join(t for _, t in tables)} in {time.monotonic() - started:.0f} s")

    # Longest transaction ------------------------------------------------------------------------------

    @contextmanager
    def longest_transaction(self) -> Iterator[list[float]]:
        """Yields a one-element list that holds, afterwards, the longest transaction seen (seconds)."""
        found = [0.0]
        if self.dialect == "mysql":
            admin = create_engine(self.server.url)
            with admin.connect() as connection:
                connection.execute(text("TRUNCATE TABLE performance_schema.events_transactions_history_long"))
            yield found
            with admin.connect() as connection:
                longest = connection.execute(
                    text("SELECT MAX(TIMER_WAIT) FROM performance_schema.events_transactions_history_long")
                ).scalar()
            admin.dispose()
            found[0] = (longest or 0) / 1e12
            return
        stop = threading.Event()
        engine = create_engine(self.server.url, isolation_level="AUTOCOMMIT")

        def sample() -> None:
            with engine.connect() as connection:
                while not stop.is_set():
                    age = connection.execute(
                        text(
                            "SELECT EXTRACT(EPOCH FROM max(clock_timestamp() - xact_start)) FROM pg_stat_activity"
                            " WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL AND datname LIKE :p"
                            " AND backend_type = 'client backend'"
                        ),
                        {"p": PREFIX + "%"},
                    ).scalar()
                    found[0] = max(found[0], float(age or 0))
                    time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield found
        finally:
            stop.set()
            sampler.join()
            engine.dispose()

    # The client ---------------------------------------------------------------------------------------

    @contextmanager
    def client(self) -> Iterator[dict[str, float]]:
        """A client in its own process inserting CLIENT_RATE messages/s into messageStore, one per transaction;
        yields a dict that holds, afterwards, its insert latencies (p50, p99, max, in ms) and inserts done."""
        context = multiprocessing.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        url = self.stores.store_url(Store.MESSAGE)
        writer = context.Process(target=client_writer, args=(url, self.q(Store.MESSAGE, "messages"), stop, results))
        writer.start()
        found: dict[str, float] = {}
        time.sleep(1.0)  # connected and writing before the method starts
        try:
            yield found
        finally:
            stop.set()
            found.update(results.get(timeout=60))
            writer.join(60)

    # Methods -----------------------------------------------------------------------------------------

    def purgekit_gc(self, batch_size: int, sleep: float = 0.0, parallel: int = 1) -> Measure:
        log(f"{self.dialect}: purgekit gc, batch {batch_size}, sleep {sleep:g} s, parallel {parallel}")
        with self.client() as client, self.longest_transaction() as longest, server_cpu(self.dialect) as cpu:
            started = time.monotonic()
            outcome = Collector(self.settings).run(
                RETENTION_MS, batch_size=batch_size, throttle=Throttle(sleep=sleep), parallel=parallel
            )
            seconds = time.monotonic() - started
        assert outcome.status == "complete", outcome.error
        self.cutoff_ms = outcome.progress.cutoff_ms
        deleted = dict(outcome.deleted)
        steps = ", ".join(f"{name} {sec:.1f} s" for name, sec in outcome.steps.items())
        return Measure(
            self.dialect,
            "purgekit gc"
            + (f" --sleep {sleep:g}" if sleep else "")
            + (f" --parallel {parallel}" if parallel > 1 else ""),
            batch_size,
            seconds,
            deleted.pop("messages"),
            deleted,
            longest[0],
            f"{outcome.batches} batches ({outcome.retries} retried);"
            f" longest batch {outcome.longest_batch_seconds:.3f} s; {steps}",
            client,
            cpu[0],
        )

    def copy_queued_chats(self) -> None:
        """PostgreSQL: the queued chats, copied into messageStore (the queue is in callbackStore's database)."""
        with self.stores.engine(Store.CALLBACK).connect() as connection:
            queue = self.q(Store.CALLBACK, "queue")
            chats = [r[0] for r in connection.execute(text(f"SELECT DISTINCT key_remote_jid FROM {queue}"))]
        with self.stores.engine(Store.MESSAGE).begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {self.q(Store.MESSAGE, QUEUED)}"))
            connection.execute(
                text(f"CREATE TABLE {self.q(Store.MESSAGE, QUEUED)} (key_remote_jid varchar(256) PRIMARY KEY)")
            )
            if chats:
                connection.execute(
                    text(f"INSERT INTO {self.q(Store.MESSAGE, QUEUED)} VALUES (:jid)"), [{"jid": c} for c in chats]
                )

    def where(self, alias: str) -> str:
        """The definition as one WHERE clause on messages (the collector's own cutoff)."""
        pending = self.q(Store.MESSAGE, "messages_pending_actions")
        queue = self.q(Store.CALLBACK, "queue") if self.dialect == "mysql" else self.q(Store.MESSAGE, QUEUED)
        return " AND ".join(
            [
                f"{alias}.timestamp < {self.cutoff_ms}",
                f"NOT EXISTS (SELECT 1 FROM {pending} AS p WHERE p.key_remote_jid = {alias}.key_remote_jid"
                f" AND p.key_from_me = {alias}.key_from_me AND p.key_id = {alias}.key_id)",
                f"NOT EXISTS (SELECT 1 FROM {queue} AS q WHERE q.key_remote_jid = {alias}.key_remote_jid)",
            ]
        )

    def plain_delete(self) -> Measure:
        log(f"{self.dialect}: one plain DELETE")
        messages = self.q(Store.MESSAGE, "messages")
        engine = self.stores.engine(Store.MESSAGE)
        with self.client() as client, self.longest_transaction() as longest, server_cpu(self.dialect) as cpu:
            started = time.monotonic()
            with engine.begin() as connection:
                if self.dialect == "postgresql":
                    sql = f"DELETE FROM {messages} AS m WHERE {self.where('m')}"
                else:
                    sql = f"DELETE FROM {messages} WHERE {self.where(messages)}"
                deleted = connection.execute(text(sql)).rowcount
            seconds = time.monotonic() - started
        return Measure(
            self.dialect, "one plain DELETE", None, seconds, deleted, {}, longest[0], "messages only", client, cpu[0]
        )

    def idle(self, seconds: float = 10.0) -> Measure:
        """The client alone: its latency with nothing collecting."""
        log(f"{self.dialect}: the client alone, {seconds:g} s")
        with self.client() as client:
            time.sleep(seconds)
        return Measure(self.dialect, "(client alone)", None, seconds, 0, {}, None, "nothing collecting", client)

    def batched_loop(self, batch_size: int) -> Measure:
        """A DBA's loop: DELETE the next batch_size messages done with, by id, one transaction each."""
        log(f"{self.dialect}: a DBA's batched loop, batch {batch_size}")
        messages = self.q(Store.MESSAGE, "messages")
        engine = self.stores.engine(Store.MESSAGE)
        if self.dialect == "postgresql":
            sql = (
                f"WITH b AS (SELECT m.id FROM {messages} AS m WHERE m.id > :last AND {self.where('m')}"
                f" ORDER BY m.id LIMIT {batch_size})"
                f" DELETE FROM {messages} AS d USING b WHERE d.id = b.id RETURNING d.id"
            )
        else:
            sql = (
                f"DELETE FROM {messages} WHERE {messages}.id > :last AND {self.where(messages)}"
                f" ORDER BY id LIMIT {batch_size} RETURNING id"
            )
        deleted, batches, last = 0, 0, 0
        with self.client() as client, self.longest_transaction() as longest, server_cpu(self.dialect) as cpu:
            started = time.monotonic()
            while True:
                with engine.begin() as connection:
                    ids = [row[0] for row in connection.execute(text(sql), {"last": last})]
                if not ids:
                    break
                deleted, batches, last = deleted + len(ids), batches + 1, max(ids)
            seconds = time.monotonic() - started
        return Measure(
            self.dialect,
            "a DBA's batched loop",
            batch_size,
            seconds,
            deleted,
            {},
            longest[0],
            f"messages only; {batches} transactions",
            client,
            cpu[0],
        )

    def batched_loop_with_dependents(self, batch_size: int) -> Measure:
        """PostgreSQL: the same loop doing purgekit gc's work, as a careful DBA would write it: each batch of messages
        deleted with their receipts that no message left shares (one statement), then their base keys in
        axolotlStore, committed after the messages; no re-check of pending work and no intent."""
        log(f"{self.dialect}: a DBA's batched loop with the dependents, batch {batch_size}")
        messages, receipts = self.q(Store.MESSAGE, "messages"), self.q(Store.MESSAGE, "messages_receipt_log")
        base_keys = self.q(Store.AXOLOTL, "message_base_key")
        key = ("key_remote_jid", "key_from_me", "key_id")
        find = (
            f"SELECT m.id FROM {messages} AS m WHERE m.id > :last AND {self.where('m')}"
            f" ORDER BY m.id LIMIT {batch_size}"
        )
        # The receipt's twin: the message of the same chat and key id, the other way (the unique key's probe),
        # unless deleted by this statement too (which the statement's own snapshot still shows).
        twin = (
            f"SELECT 1 FROM {messages} AS o WHERE o.key_remote_jid = g.key_remote_jid"
            " AND o.key_from_me = NOT g.key_from_me AND o.key_id = g.key_id"
            " AND o.id NOT IN (SELECT x.id FROM gone AS x)"
        )
        delete_messages = (
            f"WITH b AS ({find}),"
            f" gone AS (DELETE FROM {messages} AS d USING b WHERE d.id = b.id"
            f" RETURNING d.id, {', '.join('d.' + c for c in key)}),"
            f" r AS (DELETE FROM {receipts} AS t USING gone AS g WHERE t.key_remote_jid = g.key_remote_jid"
            f" AND t.key_id = g.key_id AND NOT EXISTS ({twin}) RETURNING 1)"
            f" SELECT max(g.id), count(*), (SELECT count(*) FROM r),"
            + ", ".join(f"CAST(array_agg(g.{c}) AS text)" for c in key)
            + " FROM gone AS g"
        )
        delete_base_keys = (
            f"DELETE FROM {base_keys} AS t USING unnest(CAST(:key_remote_jid AS text[]), CAST(:key_from_me AS"
            " boolean[]), CAST(:key_id AS text[])) AS g(key_remote_jid, key_from_me, key_id)"
            " WHERE t.msg_key_remote_jid = g.key_remote_jid AND t.msg_key_from_me = g.key_from_me"
            " AND t.msg_key_id = g.key_id"
        )
        deleted, others, batches, last = 0, {"message_base_key": 0, "messages_receipt_log": 0}, 0, 0
        with self.client() as client, self.longest_transaction() as longest, server_cpu(self.dialect) as cpu:
            started = time.monotonic()
            with (
                self.stores.engine(Store.MESSAGE).connect() as msg,
                self.stores.engine(Store.AXOLOTL).connect() as axolotl,
            ):
                while True:
                    top, count, receipts_deleted, *arrays = msg.execute(text(delete_messages), {"last": last}).one()
                    if not count:
                        msg.rollback()
                        break
                    gone = axolotl.execute(text(delete_base_keys), dict(zip(key, arrays, strict=True))).rowcount
                    msg.commit()
                    axolotl.commit()
                    deleted, batches, last = deleted + count, batches + 1, top
                    others["messages_receipt_log"] += receipts_deleted
                    others["message_base_key"] += gone
            seconds = time.monotonic() - started
        return Measure(
            self.dialect,
            "a DBA's batched loop with the dependents",
            batch_size,
            seconds,
            deleted,
            others,
            longest[0],
            f"{batches} batches; no re-check, no intent",
            client,
            cpu[0],
        )

    def pt_archiver(self, batch_size: int, timestamp_only: bool = False) -> Measure:
        """pt-archiver with the definition as its WHERE clause or, timestamp_only, with the cutoff alone
        (then it deletes the messages with pending work too: not the same job, a reference point)."""
        log(f"{self.dialect}: pt-archiver, batch {batch_size}{', cutoff only' if timestamp_only else ''}")
        messages = self.q(Store.MESSAGE, "messages")
        before = self.count(Store.MESSAGE, "messages")
        source = (
            f"h={self.server.host},P={self.server.port},u={self.server.user},"
            f"D={self.stores.store_name(Store.MESSAGE)},t=messages"
        )
        where = f"timestamp < {self.cutoff_ms}" if timestamp_only else self.where(messages)
        args = [
            "pt-archiver",
            "--source",
            source,
            "--where",
            where,
            "--purge",
            "--bulk-delete",
            "--commit-each",
            "--limit",
            str(batch_size),
            "--no-check-charset",
            "--statistics",
        ]
        env = dict(os.environ)
        if self.server.password:
            env["MYSQL_PWD"] = self.server.password
        with self.client() as client, self.longest_transaction() as longest, server_cpu(self.dialect) as cpu:
            started = time.monotonic()
            result = subprocess.run(args, capture_output=True, text=True, env=env)
            seconds = time.monotonic() - started
        if result.returncode != 0:
            raise RuntimeError(f"pt-archiver failed: {result.stderr.strip()}")
        deleted = before - self.count(Store.MESSAGE, "messages")
        return Measure(
            self.dialect,
            "pt-archiver" + (" (cutoff only)" if timestamp_only else ""),
            batch_size,
            seconds,
            deleted,
            {},
            longest[0],
            "messages only; --purge --bulk-delete --commit-each"
            + ("; WHERE timestamp < cutoff: pending work not spared" if timestamp_only else ""),
            client,
            cpu[0],
        )

    def count(self, store: Store, table: str) -> int:
        with self.stores.engine(store).connect() as connection:
            return connection.execute(text(f"SELECT COUNT(*) FROM {self.q(store, table)}")).scalar_one()


# The servers' process names, by dialect.
SERVER_PROCESSES = {"postgresql": {"postgres"}, "mysql": {"mariadbd", "mysqld"}}


@contextmanager
def server_cpu(dialect: str) -> Iterator[list[float]]:
    """Yields a one-element list that holds, afterwards, the CPU seconds (user + system) this dialect's server
    processes on this machine used meanwhile, their reaped children (PostgreSQL's ended backends) included:
    the throwaway server's, and any other server of that kind running here (keep the machine otherwise idle)."""
    names = SERVER_PROCESSES[dialect]

    def total() -> float:
        ticks = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    name, _, rest = stat.read().partition("(")[2].rpartition(")")
            except OSError:
                continue  # ended meanwhile
            if name in names:
                ticks += sum(int(field) for field in rest.split()[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    found = [0.0]
    before = total()
    yield found
    found[0] = total() - before


def client_writer(url: str, messages: str, stop, results) -> None:
    """The client: one message per transaction, CLIENT_RATE a second, until stopped; sends its latencies."""
    engine = create_engine(url)
    latencies: list[float] = []
    interval, n = 1.0 / CLIENT_RATE, 0
    sql = text(
        f"INSERT INTO {messages} (key_remote_jid, key_from_me, key_id, status, data, timestamp, media_wa_type)"
        " VALUES (:jid, :from_me, :key_id, 0, 'bench', :ts, 0)"
    )
    with engine.connect() as connection:
        started = time.monotonic()
        while not stop.is_set():
            n += 1
            began = time.monotonic()
            connection.execute(
                sql,
                {
                    "jid": "19990000000@s.whatsapp.net",
                    "from_me": True,
                    "key_id": f"BENCH{os.getpid()}-{n}",
                    "ts": int(time.time() * 1000),
                },
            )
            connection.commit()
            latencies.append((time.monotonic() - began) * 1000)
            pause = started + n * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    engine.dispose()
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(int(q * len(latencies)), len(latencies) - 1)] if latencies else 0.0

    results.put({"inserts": len(latencies), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)})


def run(dialect: str, args) -> list[Measure]:
    if dialect == "mysql":
        servers.MYSQL_SETTINGS.update(PERFORMANCE_SCHEMA)
    results: list[Measure] = []
    with servers.server_for(dialect) as server:
        bench = Bench(server, args.messages, args.users)
        bench.build()
        bench.restore()  # every method starts from the same restore, the first one too
        results.append(bench.idle())
        report([results[-1]])
        for size in args.sweep:
            results.append(bench.purgekit_gc(size))
            report([results[-1]])
            bench.restore()
        if "gc" in args.methods:
            results.append(bench.purgekit_gc(args.batch_size))
            report([results[-1]])
            bench.restore()
        if "gc-parallel" in args.methods and dialect == "mysql":
            results.append(bench.purgekit_gc(args.batch_size, parallel=args.parallel))
            report([results[-1]])
            bench.restore()
        if "gc-throttled" in args.methods:
            results.append(bench.purgekit_gc(args.throttled_batch_size, sleep=args.throttled_sleep))
            report([results[-1]])
            bench.restore()
        if not hasattr(bench, "cutoff_ms"):
            bench.cutoff_ms = int(time.time() * 1000) - RETENTION_MS
        if "pt-archiver" in args.methods and dialect == "mysql":
            if shutil.which("pt-archiver") is None:
                raise SystemExit("pt-archiver is not installed: apt-get install percona-toolkit")
            results.append(bench.pt_archiver(args.batch_size))
            report([results[-1]])
            bench.restore(CHANGED[:1])
        if "pt-archiver-cutoff" in args.methods and dialect == "mysql":
            results.append(bench.pt_archiver(args.batch_size, timestamp_only=True))
            report([results[-1]])
            bench.restore(CHANGED[:1])
        if dialect == "postgresql":
            bench.copy_queued_chats()
        if "loop" in args.methods:
            results.append(bench.batched_loop(args.batch_size))
            report([results[-1]])
            bench.restore(CHANGED[:1])
        if "loop-dependents" in args.methods and dialect == "postgresql":
            results.append(bench.batched_loop_with_dependents(args.batch_size))
            report([results[-1]])
            bench.restore()
        if "delete" in args.methods:
            results.append(bench.plain_delete())
            report([results[-1]])
        bench.stores.drop()
        bench.stores.close()
    return results


def report(results: list[Measure]) -> None:
    for m in results:
        others = ", ".join(f"{n:,} {t}" for t, n in m.other_rows_deleted.items())
        longest = f"{m.longest_transaction_seconds:.3f} s" if m.longest_transaction_seconds is not None else "?"
        print(
            f"{m.dialect:10} {m.method:17} batch {str(m.batch_size or '-'):>6}  {m.messages_deleted:>10,} messages"
            f" in {m.seconds:8.1f} s = {m.rows_per_second:>9,.0f} rows/s; longest transaction {longest}"
            f"{'; also ' + others if others else ''}; client p99 {m.client.get('p99_ms', 0):.1f} ms"
            f" (max {m.client.get('max_ms', 0):.0f} ms); server CPU {m.server_cpu_seconds or 0:.1f} s; {m.note}",
            flush=True,
        )


def markdown(results: list[dict]) -> str:
    """docs/benchmarks.md's table, one per dialect, from a saved run (--output); the server's CPU seconds where the
    run measured them."""
    lines = []
    for dialect in dict.fromkeys(r["dialect"] for r in results):
        rows = [r for r in results if r["dialect"] == dialect]
        cpu = any(r.get("server_cpu_seconds") is not None for r in rows)
        lines += [
            f"**{dialect}**",
            "",
            "| method | batch | messages/s | longest transaction | also deleted | client p50 / p99 / max |"
            + (" server CPU |" if cpu else ""),
            "| --- | ---: | ---: | ---: | --- | ---: |" + (" ---: |" if cpu else ""),
        ]
        for r in rows:
            others = ", ".join(f"{n:,} {t}" for t, n in r["other_rows_deleted"].items()) or "messages only"
            longest, seconds = r["longest_transaction_seconds"], r.get("server_cpu_seconds")
            client = r.get("client") or {}
            lines.append(
                f"| {r['method']} | {r['batch_size'] or '-'} | {r['rows_per_second']:,.0f} |"
                f" {'-' if longest is None else f'{longest:.2f} s'} | {others if r['messages_deleted'] else '-'} |"
                f" {client.get('p50_ms', 0):.1f} / {client.get('p99_ms', 0):.1f} / {client.get('max_ms', 0):.0f} ms |"
                + ((" - |" if seconds is None else f" {seconds:.1f} s |") if cpu else "")
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["mysql", "postgresql"], nargs="+", default=["mysql", "postgresql"])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--sweep",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[],
        help="batch sizes to run purgekit gc with first, e.g. 1000,2000,5000,10000",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["gc", "gc-parallel", "gc-throttled", "pt-archiver", "loop", "delete"],
        choices=[
            "gc",
            "gc-parallel",
            "gc-throttled",
            "pt-archiver",
            "pt-archiver-cutoff",
            "loop",
            "loop-dependents",
            "delete",
        ],
    )
    parser.add_argument("--parallel", type=int, default=2, help="MariaDB: purgekit gc --parallel N (gc-parallel)")
    parser.add_argument("--throttled-batch-size", type=int, default=1_000)
    parser.add_argument("--throttled-sleep", type=float, default=0.05)
    parser.add_argument("--output", help="write the figures here as JSON")
    parser.add_argument("--markdown", metavar="RESULTS", help="print the tables of a saved run (--output) and exit")
    args = parser.parse_args()
    if args.markdown:
        with open(args.markdown) as saved:
            print(markdown(json.load(saved)))
        return
    log(f"{platform.node()}: {os.cpu_count()} CPUs; {args}")
    results = [m for dialect in args.dialect for m in run(dialect, args)]
    print()
    report(results)
    if args.output:
        with open(args.output, "w") as out:
            json.dump([{**asdict(m), "rows_per_second": m.rows_per_second} for m in results], out, indent=2)


if __name__ == "__main__":
    main()
