"""Benchmark: deleting one chat of a million messages with purgekit, against one plain DELETE of the same rows.

    python -m bench.delete_chat --messages 1000000             # both dialects
    python -m bench.delete_chat --dialect mysql --messages 100000 --batch-size 2000

For each dialect, on a throwaway server (purgekit.testing.servers): the synthetic stores around it
(SyntheticStores.fill with --users and --others messages in other chats), `alembic upgrade head`, then one
user chat of --messages messages, each with a receipt-log row and a base key, and a pending action for one in
a hundred. Then, each on the same chat (inserted again in between):
1. purgekit.delete_chat with --batch-size (its default unless given);
2. one plain DELETE per table of the same rows, messageStore's in one transaction, axolotlStore's in another
   (PostgreSQL's stores are databases: no transaction spans them).
Reported: seconds, rows/s (every row deleted, all tables), messages/s, and the longest transaction (bench/gc.py's
probe: performance_schema on MariaDB, pg_stat_activity sampled every 10 ms on PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass

from purgekit_lab import servers
from sqlalchemy import text

from bench.gc import PERFORMANCE_SCHEMA, Bench, log
from purgekit import deploy
from purgekit.chat_deletion.runner import DEFAULT_BATCH_SIZE, delete_chat
from purgekit.stores import Store

CHAT = "19990000001@s.whatsapp.net"
PENDING_EVERY = 100
# MySQL: a million numbers from six cross-joined digits (no sequence generator there).
_DIGITS = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5"
_DIGITS += " UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"


@dataclass
class Measure:
    dialect: str
    method: str
    batch_size: int | None
    seconds: float
    messages_deleted: int
    rows_deleted: int
    longest_transaction_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_deleted / self.seconds if self.seconds else 0.0


class ChatBench(Bench):
    """bench/gc.py's stores and longest-transaction probe, with one big chat in them."""

    def numbers(self, count: int) -> str:
        """SQL yielding n = 0 .. count - 1."""
        if self.dialect == "postgresql":
            return f"(SELECT g - 1 AS n FROM generate_series(1, {count}) AS g) AS s"
        places = len(str(max(count - 1, 1)))
        value = " + ".join(f"d{i}.d * {10**i}" for i in range(places))
        joined = ", ".join(f"{_DIGITS} AS d{i}" for i in range(places))
        return f"(SELECT {value} AS n FROM {joined}) AS s WHERE s.n < {count}"

    def build_around(self, others: int) -> None:
        log(f"{self.dialect}: filling {others:,} messages of {self.users:,} users around the chat")
        self.stores.create()
        self.stores.fill(users=self.users, messages=others)
        deploy.upgrade(self.settings)

    def add_chat(self) -> None:
        started = time.monotonic()
        n, count = self.numbers(self.messages), self.messages
        key = "CONCAT('bench', s.n)" if self.dialect == "mysql" else "'bench' || s.n"
        true = "TRUE"
        statements = {
            Store.MESSAGE: [
                f"INSERT INTO {self.q(Store.MESSAGE, 'chats')} (key_remote_jid, subject, group_creator, creation,"
                f" last_message_timestamp, unseen_count, archived) VALUES ('{CHAT}', NULL, NULL, 1, 1, 0, FALSE)",
                f"INSERT INTO {self.q(Store.MESSAGE, 'messages')} (key_remote_jid, key_from_me, key_id, status, data,"
                f" timestamp, received_timestamp, remote_resource, media_wa_type) SELECT '{CHAT}', {true}, {key}, 0,"
                f" 'a message', 1600000000000 + s.n, 1600000000000 + s.n, NULL, 0 FROM {n}",
                f"INSERT INTO {self.q(Store.MESSAGE, 'messages_receipt_log')} (key_remote_jid, key_id, receipt_type,"
                f" timestamp) SELECT '{CHAT}', {key}, 1, 1 FROM {n}",
                f"INSERT INTO {self.q(Store.MESSAGE, 'messages_pending_actions')} (key_remote_jid, key_from_me,"
                f" key_id, remote_resource, action, data, timestamp) SELECT '{CHAT}', {true}, {key}, NULL, 1, NULL, 1"
                f" FROM {n} {'AND' if self.dialect == 'mysql' else 'WHERE'} MOD(s.n, {PENDING_EVERY}) = 0",
            ],
            Store.AXOLOTL: [
                f"INSERT INTO {self.q(Store.AXOLOTL, 'message_base_key')} (msg_key_remote_jid, msg_key_from_me,"
                f" msg_key_id, last_alice_base_key, timestamp) SELECT '{CHAT}', {true}, {key}, 'k', 1 FROM {n}",
            ],
        }
        for store, sqls in statements.items():
            with self.stores.engine(store).begin() as connection:
                for sql in sqls:
                    connection.execute(text(sql))
            with self.stores.engine(store).begin() as connection:
                for table in ("messages", "messages_receipt_log") if store is Store.MESSAGE else ("message_base_key",):
                    analyze = "ANALYZE" if self.dialect == "postgresql" else "ANALYZE TABLE"
                    connection.execute(text(f"{analyze} {self.q(store, table)}")).close()
        log(f"{self.dialect}: the chat of {count:,} messages added in {time.monotonic() - started:.0f} s")

    def purgekit(self, batch_size: int) -> Measure:
        log(f"{self.dialect}: purgekit.delete_chat, batch {batch_size}")
        with self.longest_transaction() as longest:
            started = time.monotonic()
            report = delete_chat(self.settings.url, CHAT, batch_size=batch_size, settings=self.settings)
            seconds = time.monotonic() - started
        assert report.finished
        rows = sum(report.rows.values())
        return Measure(self.dialect, "purgekit delete_chat", batch_size, seconds, report.messages, rows, longest[0])

    def plain_delete(self) -> Measure:
        log(f"{self.dialect}: one plain DELETE per table")
        tables = {
            Store.MESSAGE: ("messages_receipt_log", "messages_pending_actions", "messages", "chats"),
            Store.AXOLOTL: ("message_base_key",),
        }
        rows = messages = 0
        with self.longest_transaction() as longest:
            started = time.monotonic()
            for store, names in tables.items():
                with self.stores.engine(store).begin() as connection:
                    for name in names:
                        column = "msg_key_remote_jid" if name == "message_base_key" else "key_remote_jid"
                        deleted = connection.execute(
                            text(f"DELETE FROM {self.q(store, name)} WHERE {column} = :chat"), {"chat": CHAT}
                        ).rowcount
                        rows += deleted
                        messages += deleted if name == "messages" else 0
            seconds = time.monotonic() - started
        return Measure(self.dialect, "one plain DELETE", None, seconds, messages, rows, longest[0])


def run(dialect: str, args) -> list[Measure]:
    if dialect == "mysql":
        servers.MYSQL_SETTINGS.update(PERFORMANCE_SCHEMA)
    results = []
    with servers.server_for(dialect) as server:
        bench = ChatBench(server, args.messages, args.users)
        bench.build_around(args.others)
        for method in ("purgekit", "delete"):
            bench.add_chat()
            results.append(bench.purgekit(args.batch_size) if method == "purgekit" else bench.plain_delete())
            report(results[-1:])
        bench.stores.drop()
        bench.stores.close()
    return results


def report(results: list[Measure]) -> None:
    for m in results:
        print(
            f"{m.dialect:10} {m.method:20} batch {str(m.batch_size or '-'):>6}  {m.messages_deleted:>9,} messages,"
            f" {m.rows_deleted:>9,} rows in {m.seconds:7.1f} s = {m.rows_per_second:>9,.0f} rows/s;"
            f" longest transaction {m.longest_transaction_seconds:.3f} s",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["mysql", "postgresql"], nargs="+", default=["mysql", "postgresql"])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--others", type=int, default=50_000, help="messages in other chats around it")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--output", help="write the figures here as JSON")
    args = parser.parse_args()
    log(f"{platform.node()}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args}")
    results = [m for dialect in args.dialect for m in run(dialect, args)]
    print()
    report(results)
    if args.output:
        with open(args.output, "w") as out:
            json.dump([{**asdict(m), "rows_per_second": m.rows_per_second} for m in results], out, indent=2)


if __name__ == "__main__":
    main()
