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

from purgekit.gc.direct import HASHED_ROWS_PER_KEY, DirectStatements
from purgekit.gc.mysql import BATCH_PROCEDURE, lane_ranges
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
    lanes: int = 1  # the id ranges walked (MySQL, revision 0011: purgekit gc --parallel)
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


def _lane_ranges(collector, msg: Connection, sql: _Sql, result: DryRun, parallel: int) -> list[tuple[int, int]]:
    """The (last, end] ranges the run would walk: one, or the lanes of revision 0011 (MySQL, where every store
    is a schema of msg's server): those an unfinished pass has, else the split purgekit_gc_begin would make."""
    if not collector.sql.in_lanes:
        return [(result.start_id, result.end_id)]
    if result.resumed:
        lanes = collector.sql.lanes_reference(collector.settings)
        rows = msg.execute(
            text(f"SELECT l.last_id, l.end_id FROM {lanes} AS l WHERE l.pass = :pass ORDER BY l.lane"),
            {"pass": result.pass_number},
        ).all()
        msg.rollback()
        if rows:
            return [(int(last), int(end)) for last, end in rows]
    old = result.end_id
    if parallel > 1:
        found = msg.execute(
            text(
                f"SELECT max(m.{sql.m_id}) FROM {sql.ref(sql.plan.messages)} AS m"
                f" WHERE m.{sql.m_ts} < :cutoff AND m.{sql.m_id} > :last AND m.{sql.m_id} <= :end"
            ),
            {"cutoff": result.pass_cutoff_ms, "last": result.start_id, "end": result.end_id},
        ).scalar()
        msg.rollback()
        old = result.end_id if found is None else int(found)
    return lane_ranges(result.start_id, result.end_id, old, parallel)


def dry_run(collector, retention_ms: int, batch_size: int, parallel: int = 1) -> DryRun:
    """Count what collector.run(retention_ms, batch_size, parallel=parallel) would delete, without changing
    anything."""
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
        params = {"start": result.start_id, "cutoff": result.cutoff_ms}
        ranges = _lane_ranges(collector, msg, sql, result, parallel)
        result.lanes = len(ranges)
        for last, end in ranges:
            while last < end:
                first = msg.execute(text(sql.first_old()), {**params, "last": last, "end": end}).scalar()
                if first is None:
                    break
                window_end = min(int(first) - 1 + batch_size, end)
                window = {**params, "first": int(first), "window_end": window_end}
                _count_window(sql, family, opened, window, result.deleted)
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


def _count_window(sql: _Sql, family, opened: dict, window: dict, deleted: dict[str, int]) -> None:
    """Add what one window's batch would delete to `deleted`."""
    msg = opened[sql.plan.messages.store]
    for index, pending in enumerate(sql.listed):
        values = [v for (v,) in msg.execute(text(sql.chats(pending)), window)]
        # As the batches match them (a join with unnest, not = ANY(array): DirectStatements.values_with_rows).
        found = opened[pending.store].execute(
            text(f"SELECT v.value FROM {DirectStatements.values_with_rows(pending)}"), {"values": values}
        )
        window[f"listed_{index}"] = [v for (v,) in found]
    deleted[sql.plan.messages.name] += msg.execute(text(sql.count_messages()), window).scalar()
    for dependent in sql.plan.dependents:
        if dependent.store is sql.plan.messages.store or not family.stores_are_databases:
            deleted[dependent.name] += msg.execute(text(sql.count_dependent(dependent)), window).scalar()
        else:
            deleted[dependent.name] += _count_elsewhere(sql, msg, opened[dependent.store], dependent, window)


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
        direct = DirectStatements(plan)
        lines = [f"-- messageStore: {direct.first_old()}"]
        for pending in direct.remote_pending:
            lines += [
                f"-- messageStore: {direct.remote_values(pending)}",
                f"-- {pending.store.value}: {direct.remote_matches(pending)}",
                f"--   or, where {pending.name} holds fewer than {HASHED_ROWS_PER_KEY} rows per message of a batch:"
                f" {direct.remote_all(pending)}",
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
