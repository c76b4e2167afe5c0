"""`purgekit gc --dry-run`: what a pass would collect, counted window by window exactly as its batches would
walk and decide, with nothing changed and no pass started; and the statements a batch runs.

A batch deletes a dependent row when a message it collects matches it and every message sharing the row is
collected by the end of that batch (this window or an earlier one of the pass): the counts below ask the
same of each window, so a receipt two collected messages share is counted once, in the window of the later.
Run as an account that may read the stores (PostgreSQL: the PURGEKIT_FDW_* credentials, as purgekit gc).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.gc.mysql import BATCH_PROCEDURE
from purgekit.gc.plan import CollectionPlan, Related, counted
from purgekit.indexes import store_connection
from purgekit.sql import pg_ident
from purgekit.stores import Store


@dataclass
class DryRun:
    pass_number: int  # the pass a run would resume, or start
    resumed: bool
    pass_cutoff_ms: int
    cutoff_ms: int
    start_id: int
    end_id: int
    retention_ms: int
    windows: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Sql:
    """The definition as read-only SQL over one window (:first..:window_end) of a pass starting after :start."""

    def __init__(self, plan: CollectionPlan, ref, quote, cross_store: bool) -> None:
        self.plan, self.ref, self.q = plan, ref, quote
        msg = plan.messages
        self.m_id, self.m_ts = quote(msg.id.name), quote(msg.timestamp.name)
        # Pending work in another database (PostgreSQL's queue) comes as a list of values, read there.
        self.listed = [p for p in plan.pending if cross_store and p.store is not msg.store]

    def first_old(self) -> str:
        msg, m_id, m_ts = self.plan.messages, self.m_id, self.m_ts
        return (
            f"SELECT min(m.{m_id}) FROM {self.ref(msg)} AS m"
            f" WHERE m.{m_id} > :last AND m.{m_id} <= :end AND m.{m_ts} < :cutoff"
        )

    def _not_pending(self, alias: str) -> list[str]:
        conditions = []
        for pending in self.plan.pending:
            if pending in self.listed:
                ((column, theirs),) = pending.match
                index = self.listed.index(pending)
                conditions.append(f"{alias}.{self.q(theirs)} NOT IN (SELECT v FROM listed_{index})")
                continue
            match = " AND ".join(f"p.{self.q(c.name)} = {alias}.{self.q(theirs)}" for c, theirs in pending.match)
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {self.ref(pending)} AS p WHERE {match})")
        return conditions

    def collectible(self, alias: str, since: str = ":first") -> str:
        return " AND ".join(
            [
                f"{alias}.{self.m_id} {'>' if since == ':start' else '>='} {since}",
                f"{alias}.{self.m_id} <= :window_end",
                f"{alias}.{self.m_ts} < :cutoff",
                *self._not_pending(alias),
            ]
        )

    def chats(self, pending: Related) -> str:
        ((_, theirs),) = pending.match
        return f"SELECT DISTINCT m.{self.q(theirs)} FROM {self.ref(self.plan.messages)} AS m WHERE " + " AND ".join(
            [f"m.{self.m_id} >= :first", f"m.{self.m_id} <= :window_end", f"m.{self.m_ts} < :cutoff"]
        )

    def with_listed(self, sql: str) -> str:
        if not self.listed:
            return sql
        ctes = ", ".join(
            f"listed_{i}(v) AS (SELECT unnest(CAST(:listed_{i} AS text[])))" for i in range(len(self.listed))
        )
        return f"WITH {ctes} {sql}"

    def count_messages(self) -> str:
        return self.with_listed(
            f"SELECT count(*) FROM {self.ref(self.plan.messages)} AS m WHERE {self.collectible('m')}"
        )

    def count_dependent(self, dependent: Related) -> str:
        msg = self.plan.messages
        join = " AND ".join(f"m.{self.q(theirs)} = t.{self.q(c.name)}" for c, theirs in dependent.match)
        shared = " AND ".join(f"o.{self.q(theirs)} = t.{self.q(c.name)}" for c, theirs in dependent.match)
        return self.with_listed(
            f"SELECT count(*) FROM {self.ref(dependent)} AS t"
            f" WHERE EXISTS (SELECT 1 FROM {self.ref(msg)} AS m WHERE {join} AND {self.collectible('m')})"
            f" AND NOT EXISTS (SELECT 1 FROM {self.ref(msg)} AS o WHERE {shared}"
            f" AND NOT ({self.collectible('o', ':start')}))"
        )


def _checkpoint(connection: Connection, table: str) -> tuple | None:
    row = connection.execute(
        text(f"SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at FROM {table} AS k WHERE k.id = 1")
    ).first()
    connection.rollback()
    return row


def dry_run(collector, retention_ms: int, batch_size: int) -> DryRun:
    """Count what collector.run(retention_ms, batch_size) would delete, without changing anything."""
    settings, plan = collector.settings, collector.plan
    family = settings.family
    started = time.monotonic()
    ref = lambda table: family.store_table(settings, table.store, table.name)  # noqa: E731
    sql = _Sql(plan, ref, family.quote, cross_store=family.stores_are_databases)
    checkpoint_table = collector.sql.checkpoint_reference(settings)
    now_ms = int(time.time() * 1000)
    with store_connection(settings, Store.CONTACT) as contact:
        row = _checkpoint(contact, checkpoint_table)
    stores = {plan.messages.store, *(t.store for t in (*plan.pending, *plan.dependents))}
    connections = {}
    try:
        for store in stores:
            connections[store] = store_connection(settings, store)
        opened = {store: manager.__enter__() for store, manager in connections.items()}
        msg = opened[plan.messages.store]
        if row is not None and row[4] is None:
            pass_number, pass_cutoff, start, end = int(row[0]), int(row[1]), int(row[2]), int(row[3])
            result = DryRun(
                pass_number, True, pass_cutoff, min(pass_cutoff, now_ms - retention_ms), start, end, retention_ms
            )
        else:
            m_id = sql.m_id
            low, high = msg.execute(text(f"SELECT min(m.{m_id}), max(m.{m_id}) FROM {ref(plan.messages)} AS m")).one()
            msg.rollback()
            cutoff = now_ms - retention_ms
            number = (int(row[0]) if row is not None else 0) + 1
            result = DryRun(number, False, cutoff, cutoff, int(low or 1) - 1, int(high or 0), retention_ms)
        result.deleted = {name: 0 for name in counted(plan)}
        last, params = result.start_id, {"start": result.start_id, "cutoff": result.cutoff_ms}
        while last < result.end_id:
            first = msg.execute(text(sql.first_old()), {**params, "last": last, "end": result.end_id}).scalar()
            if first is None:
                break
            window_end = min(int(first) - 1 + batch_size, result.end_id)
            window = {**params, "first": int(first), "window_end": window_end}
            for index, pending in enumerate(sql.listed):
                values = [v for (v,) in msg.execute(text(sql.chats(pending)), window)]
                ((column, _),) = pending.match
                found = opened[pending.store].execute(
                    text(
                        f"SELECT DISTINCT p.{pg_ident(column.name)} FROM {ref(pending)} AS p"
                        f" WHERE p.{pg_ident(column.name)} = ANY(CAST(:values AS text[]))"
                    ),
                    {"values": values},
                )
                window[f"listed_{index}"] = [v for (v,) in found]
            result.deleted[plan.messages.name] += msg.execute(text(sql.count_messages()), window).scalar()
            for dependent in plan.dependents:
                if dependent.store is plan.messages.store or not family.stores_are_databases:
                    result.deleted[dependent.name] += msg.execute(text(sql.count_dependent(dependent)), window).scalar()
                else:
                    result.deleted[dependent.name] += _count_elsewhere(
                        sql, msg, opened[dependent.store], dependent, window
                    )
            result.windows += 1
            last = window_end
        for connection in opened.values():
            connection.rollback()
    finally:
        for manager in connections.values():
            manager.__exit__(None, None, None)
    result.statements = statements(collector)
    result.seconds = time.monotonic() - started
    return result


def _count_elsewhere(sql: _Sql, msg: Connection, other: Connection, dependent: Related, window: dict) -> int:
    """A dependent in another database (PostgreSQL's base keys), matched on the whole message key."""
    key = sql.plan.messages.key
    columns = ", ".join(f"m.{pg_ident(c.name)}" for c in key)
    rows = msg.execute(
        text(sql.with_listed(f"SELECT {columns} FROM {sql.ref(sql.plan.messages)} AS m WHERE {sql.collectible('m')}")),
        window,
    ).all()
    if not rows:
        return 0
    arrays = ", ".join(f"CAST(:k_{c.name} AS {c.pg_type}[])" for c in key)
    join = " AND ".join(f"t.{pg_ident(c.name)} = g.{pg_ident(theirs)}" for c, theirs in dependent.match)
    count = other.execute(
        text(
            f"SELECT count(*) FROM {sql.ref(dependent)} AS t JOIN unnest({arrays})"
            f" AS g({', '.join(pg_ident(c.name) for c in key)}) ON {join}"
        ),
        {f"k_{c.name}": [row[i] for row in rows] for i, c in enumerate(key)},
    ).scalar()
    return int(count)


def statements(collector) -> list[str]:
    """The statements one batch runs, as purgekit gc sends them."""
    settings, plan = collector.settings, collector.plan
    if collector.direct:
        from purgekit.gc.direct import DirectStatements

        direct = DirectStatements(plan)
        lines = [f"-- messageStore: {direct.first_old()}"]
        for pending in direct.remote_pending:
            lines += [
                f"-- messageStore: {direct.remote_values(pending)}",
                f"-- {pending.store.value}: {direct.remote_matches(pending)}",
            ]
        lines.append(f"-- messageStore: {direct.collectible_keys_once()}")
        lines.append("-- then, at once, each on its own connection:")
        lines.append(f"-- messageStore: {direct.delete_messages_with_their_rows()}")
        for dependent in direct.remote_dependents:
            lines.append(f"-- {dependent.store.value}: {direct.delete_dependent_keys(dependent)}")
        for pending in (*direct.local_pending, *direct.remote_pending):
            lines.append(f"-- {pending.store.value}: {direct.lock(pending)}")
        lines.append("-- then: the intent in contactStore; COMMIT messageStore, callbackStore, axolotlStore")
        return lines
    body = collector.sql.batch_body(settings, plan)
    return [collector.sql.batch_call(settings, plan), f"-- {BATCH_PROCEDURE}'s body:", body]
