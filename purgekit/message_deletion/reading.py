"""Reading the client's stores for a message deletion: the message (the rules read it), the business's role
in a group, and for a dry run what the routine would delete, counted with its own rules.

Read on the client's tables themselves (PostgreSQL: each store's database, reached as postgres_fdw reaches
it, PURGEKIT_FDW_*; MySQL: the URL's server), every text compared exactly (MySQL: byte for byte too, past
the client's case-insensitive collations), as the routine compares.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import pool, text
from sqlalchemy.engine import Connection, Engine

from purgekit.config import Settings
from purgekit.dialects import MySQLDialect, PostgreSQLDialect
from purgekit.indexes import store_url
from purgekit.message_deletion.plan import MESSAGE_DELETION_PLAN, REVOKE_RULES, MessageDeletionPlan
from purgekit.message_deletion.rules import Message
from purgekit.messages import Related
from purgekit.report import TableCount
from purgekit.sql import engine_for, mysql_ident, pg_ident
from purgekit.stores import Store


class _Reading:
    """What differs between the families: how a client table is named, how text is compared exactly."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine

    def table(self, store: Store, name: str) -> str:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        raise NotImplementedError

    def equals(self, column: str, parameter: str, is_text: bool) -> str:
        return f"{column} = :{parameter}"

    @contextmanager
    def connect(self, store: Store) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection


class _PostgreSQLReading(_Reading):
    schema = "public"

    def table(self, store: Store, name: str) -> str:
        return f"{pg_ident(self.schema)}.{pg_ident(name)}"

    def quote(self, name: str) -> str:
        return pg_ident(name)

    @contextmanager
    def connect(self, store: Store) -> Iterator[Connection]:
        engine = engine_for(store_url(self.settings, store), poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


class _MySQLReading(_Reading):
    def table(self, store: Store, name: str) -> str:
        return f"{mysql_ident(self.settings.store_name(store))}.{mysql_ident(name)}"

    def quote(self, name: str) -> str:
        return mysql_ident(name)

    def equals(self, column: str, parameter: str, is_text: bool) -> str:
        # The index narrows with the collation's equality; the bytes decide.
        if not is_text:
            return super().equals(column, parameter, is_text)
        return f"{column} = :{parameter} AND CAST({column} AS BINARY) = CAST(:{parameter} AS BINARY)"


_READINGS = {PostgreSQLDialect: _PostgreSQLReading, MySQLDialect: _MySQLReading}


class StoreReader:
    def __init__(self, settings: Settings, engine: Engine, plan: MessageDeletionPlan = MESSAGE_DELETION_PLAN) -> None:
        self.reading = settings.family.pick(_READINGS)(settings, engine)
        self.plan = plan

    def _where(self, pairs: list[tuple[str, str, object]]) -> tuple[str, dict]:
        """`pairs` of (column, SQL type, value) as an exact predicate over alias t, and its parameters."""
        clauses, parameters = [], {}
        for index, (column, sql_type, value) in enumerate(pairs):
            is_text = sql_type != "boolean"
            clauses.append(self.reading.equals(f"t.{self.reading.quote(column)}", f"p{index}", is_text))
            parameters[f"p{index}"] = value
        return " AND ".join(clauses), parameters

    def messages(self, chat: str, key_id: str) -> list[Message]:
        """The messages of that key_id in the chat (at most one per direction)."""
        messages = REVOKE_RULES.messages
        chat_column, from_me, key_column = messages.key
        where, parameters = self._where([(chat_column.name, "text", chat), (key_column.name, "text", key_id)])
        q = self.reading.quote
        sql = (
            f"SELECT t.{q(from_me.name)}, t.{q(messages.timestamp.name)}, t.{q(REVOKE_RULES.sender.name)}"
            f" FROM {self.reading.table(messages.store, messages.name)} AS t WHERE {where}"
            f" ORDER BY t.{q(from_me.name)}"
        )
        with self.reading.connect(messages.store) as connection:
            rows = connection.execute(text(sql), parameters).all()
        return [Message(chat, key_id, bool(f), int(ts), sender) for f, ts, sender in rows]

    def business_role(self, group: str, business_jid: str) -> int | None:
        """group_participants.admin of the business in the group; None when it is not a member."""
        participants = REVOKE_RULES.participants
        where, parameters = self._where(
            [(participants.group.name, "text", group), (participants.jid.name, "text", business_jid)]
        )
        q = self.reading.quote
        sql = (
            f"SELECT MAX(t.{q(participants.admin.name)})"
            f" FROM {self.reading.table(participants.store, participants.name)} AS t WHERE {where}"
        )
        with self.reading.connect(participants.store) as connection:
            role = connection.execute(text(sql), parameters).scalar()
        return None if role is None else int(role)

    def counts(self, chat: str, key_id: str, from_me: bool | None, found: bool) -> list[TableCount]:
        """What the routine would delete, per table, in its report's order: the message's rows by its key (both
        directions' when no message is left and from_me was not given), a receipt only while no message of
        the other direction shares it."""
        plan = self.plan
        directions = [from_me] if from_me is not None else [True, False]
        keys = [dict(zip((c.name for c in plan.messages.key), (chat, f, key_id), strict=True)) for f in directions]
        message_rows = 1 if found else 0
        counts = [TableCount(self.reading.settings.store_name(plan.messages.store), plan.messages.name, message_rows)]
        for related in plan.belonging:
            counts.append(
                TableCount(self.reading.settings.store_name(related.store), related.name, self._rows(related, keys))
            )
        return counts

    def _rows(self, related: Related, keys: list[dict]) -> int:
        unmatched = related.unmatched(self.plan.messages)
        seen, total = set(), 0
        with ExitStack() as stack:
            for key in keys:
                if unmatched and self._twin_exists(key, unmatched[0].name, stack):
                    continue
                match = tuple((column.name, column.pg_type, key[theirs]) for column, theirs in related.match)
                if match in seen:
                    continue
                seen.add(match)
                where, parameters = self._where(list(match))
                connection = stack.enter_context(self.reading.connect(related.store))
                sql = f"SELECT COUNT(*) FROM {self.reading.table(related.store, related.name)} AS t WHERE {where}"
                total += connection.execute(text(sql), parameters).scalar_one()
        return total

    def _twin_exists(self, key: dict, flipped: str, stack: ExitStack) -> bool:
        messages = self.plan.messages
        twin = [(c.name, c.pg_type, (not key[c.name]) if c.name == flipped else key[c.name]) for c in messages.key]
        where, parameters = self._where(twin)
        connection = stack.enter_context(self.reading.connect(messages.store))
        sql = f"SELECT COUNT(*) FROM {self.reading.table(messages.store, messages.name)} AS t WHERE {where}"
        return connection.execute(text(sql), parameters).scalar_one() > 0
