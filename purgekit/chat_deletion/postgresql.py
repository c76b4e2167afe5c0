"""Deleting a chat on PostgreSQL: functions in contactStore working through postgres_fdw.

Everything lives in schema `<PURGEKIT_SCHEMA>_chat` of the contactStore database: foreign tables on revision
0001's foreign servers (only the columns the deletion reads), and two SECURITY DEFINER functions:
`delete_chat_batch(chat, batch_size)` deletes up to batch_size of the chat's messages with their dependents,
or, when none is left, the chat's last rows and its chats row (`finished`); `count_chat(chat)` counts what a
deletion would delete, table by table (the dry run). The batch's statements are the garbage collector's
(purgekit/gc/postgresql.py): its dependent deletes run here on this schema's foreign tables.

What postgres_fdw cannot promise: each store's remote transaction commits when the local one does, one after
the other (no two-phase commit), and each reads its own snapshot. A failed commit on one store can leave the
other's deletions committed: a batch's messages gone with their base keys left, say. Nothing is lost that was
not asked for, and a re-run finishes: the chat is found while its chats row, any message or any row naming it
is left, and the last step deletes every row naming the chat that no message names.
"""

from __future__ import annotations

from purgekit import jids
from purgekit.chat_deletion.plan import MAX_BATCH_SIZE, ChatDeletionPlan, counted, deleted_column, found_column
from purgekit.config import Settings
from purgekit.dialects.postgresql import CLIENT_SCHEMA, HOST_STORE, foreign_server_name
from purgekit.gc.postgresql import LOCAL_JOINS, OFF, PostgreSQLCollectorV2
from purgekit.objects import DatabaseObject, ForeignTable, PgFunction, Schema
from purgekit.objects.grant import SchemaUsage
from purgekit.sql import pg_ident, pg_literal, pg_quote_ident

BATCH_FUNCTION = "delete_chat_batch"
# The client's jid columns hold 256 characters: a longer chat is refused, as on MySQL.
JID_CHARS = 256
COUNT_FUNCTION = "count_chat"
# Batches of one chat never run side by side (two would conflict on the same rows): an advisory lock keyed
# (CHAT_LOCK_CLASS, hashtext(chat)), two int4 keys, a key space apart from the collector's one bigint.
CHAT_LOCK_CLASS = 1_703_750_003


def chat_schema(settings: Settings) -> str:
    return f"{settings.schema}_chat"


class _CollectorStatements(PostgreSQLCollectorV2):
    """The garbage collector's dependent deletes, on the chat schema's foreign tables."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def _table(self, settings: Settings, name: str) -> str:
        return f"{pg_ident(self.schema)}.{pg_ident(name)}"


class PostgreSQLChatDeletion:
    name = "postgresql"
    # Tables clients index on the chat alone (no index on a pending action's key): a join with the batch's
    # messages would probe all the chat's rows once per message (measured: 1 s a batch for 2,000 actions), so
    # their rows go by the chat and the key ids as arrays, like the base keys (_chat_keyed_delete).
    by_chat_and_keys = ("messages_pending_actions",)

    def objects(self, settings: Settings, plan: ChatDeletionPlan) -> list[DatabaseObject]:
        owner = settings.routine_owner
        schema = chat_schema(settings)
        objects: list[DatabaseObject] = [Schema(schema, owner)]
        objects += [SchemaUsage(schema, grantee) for grantee in settings.deletion_grantees]
        for table in plan.tables:
            assert table.store is not HOST_STORE, "the deletion reaches the other stores only"
            objects.append(
                ForeignTable(
                    schema=schema,
                    name=table.name,
                    server=foreign_server_name(table.store),
                    remote_schema=CLIENT_SCHEMA,
                    remote_name=table.name,
                    columns=tuple((c.name, c.pg_type) for c in plan.columns_read(table)),
                    owner=owner,
                )
            )
        deleted = ", ".join(f"{deleted_column(name)} bigint" for name in counted(plan))
        found = ", ".join(f"{found_column(name)} bigint" for name in counted(plan))
        objects += [
            PgFunction(
                schema=schema,
                name=BATCH_FUNCTION,
                arguments="chat text, batch_size integer",
                signature="text, integer",
                returns=f"TABLE ({deleted}, finished boolean)",
                body=self.batch_body(settings, plan),
                owner=owner,
                grantees=settings.deletion_grantees,
            ),
            PgFunction(
                schema=schema,
                name=COUNT_FUNCTION,
                arguments="chat text",
                signature="text",
                returns=f"TABLE ({found})",
                body=self.count_body(settings, plan),
                owner=owner,
                grantees=settings.deletion_grantees,
            ),
        ]
        return objects

    # Calls -------------------------------------------------------------------------------------------

    def batch_call(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        columns = ", ".join(deleted_column(name) for name in counted(plan))
        function = f"{pg_ident(chat_schema(settings))}.{pg_quote_ident(BATCH_FUNCTION)}"
        return f"SELECT {columns}, finished FROM {function}(:chat, :batch_size)"

    def count_call(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        columns = ", ".join(found_column(name) for name in counted(plan))
        return f"SELECT {columns} FROM {pg_ident(chat_schema(settings))}.{pg_quote_ident(COUNT_FUNCTION)}(:chat)"

    # Bodies ------------------------------------------------------------------------------------------

    def _table(self, settings: Settings, name: str) -> str:
        return f"{pg_ident(chat_schema(settings))}.{pg_ident(name)}"

    def chat_check(self) -> list[str]:
        """purgekit/jids.py's CHAT_JID_RULE, byte for byte (COLLATE "C"): a user's jid is the canonical text of
        a number from 1 to BIGINT's largest then @s.whatsapp.net; a group's, digits, an optional -digits, then
        @g.us (`$` ends the text in PostgreSQL's regular expressions: no trailing newline passes)."""
        suffix = pg_literal(jids.USER_SUFFIX)
        refusal = pg_literal(f"chat %s is not {jids.CHAT_JID_RULE}: nothing deleted")
        return [
            "    IF right(chat, " + str(len(jids.USER_SUFFIX)) + f") = {suffix} THEN",
            f"        v_local := left(chat, -{len(jids.USER_SUFFIX)});",
            f"        IF v_local ~ '^[0-9]{{1,{jids.MAX_USER_DIGITS}}}$' THEN",
            f"            IF v_local::numeric BETWEEN 1 AND {jids.MAX_USER_NUMBER} THEN",
            "                v_number := v_local::bigint;",
            "            END IF;",
            "        END IF;",
            "    END IF;",
            f"    IF chat IS NULL OR char_length(chat) > {JID_CHARS}"
            f' OR NOT (coalesce(chat COLLATE "C" = (v_number::text || {suffix}) COLLATE "C", false)'
            """ OR chat COLLATE "C" ~ '^[0-9]+(-[0-9]+)?@g[.]us$') THEN""",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            f"            MESSAGE = format({refusal}, to_json(chat)::text);",
            "    END IF;",
        ]

    def count_body(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        counts = []
        for table in plan.tables:
            column = pg_ident(plan.chat_column(table).name)
            counts.append(
                f"    SELECT count(*) INTO {found_column(table.name)}"
                f" FROM {self._table(settings, table.name)} AS t WHERE t.{column} = chat;"
            )
        return "\n".join(
            [
                "DECLARE",
                "    v_local text;",
                "    v_number bigint;",
                "BEGIN",
                *self.chat_check(),
                "    -- What a deletion would delete now: every row naming the chat (the last step takes those no",
                "    -- message names; the batches, the rest).",
                *counts,
                "    RETURN NEXT;",
                "END",
            ]
        )

    def batch_body(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        batch = plan.batch_plan()
        msg = plan.messages
        statements = _CollectorStatements(chat_schema(settings))
        messages = self._table(settings, msg.name)
        m_id = pg_ident(msg.id.name)
        carried = (msg.id, *msg.key)
        counters = [deleted_column(name) for name in counted(plan)]
        chats_index = len(counters) - 1
        chats = self._table(settings, plan.chats.name)
        chat_of_chats = pg_ident(plan.chat_column(plan.chats).name)
        declare = [
            "DECLARE",
            "    v_local text;",
            "    v_number bigint;",
            "    v_joins text[];",
            "    v_keys text[];",
            "    v_ids bigint[];",
            "    v_arms text;",
            "    v_from integer;",
            "    v_rows bigint;",
            *[f"    d_{c.name} {c.pg_type}[];" for c in carried],
            *[f"    v_{c.name}_{side} {c.pg_type}[];" for c in msg.key[2:] for side in ("true", "false")],
            *[f"    n_{index} bigint := 0;" for index in range(len(counters))],
        ]
        aggregates = ", ".join(f"array_agg(m.{pg_ident(c.name)})" for c in carried)
        columns = ", ".join(f"m.{pg_ident(c.name)}" for c in carried)
        local = [(i, d) for i, d in enumerate(plan.dependents, start=1) if d.store is msg.store]
        remote = [(i, d) for i, d in enumerate(plan.dependents, start=1) if d.store is not msg.store]
        body = [
            "BEGIN",
            f"    IF batch_size IS NULL OR batch_size < 1 OR batch_size > {MAX_BATCH_SIZE} THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            f"            MESSAGE = format('batch_size %s is not between 1 and {MAX_BATCH_SIZE}', batch_size);",
            "    END IF;",
            *self.chat_check(),
            "    -- One batch of a chat at a time: two would delete the same rows, and one of them fail.",
            f"    PERFORM pg_advisory_xact_lock({CHAT_LOCK_CLASS}, hashtext(chat));",
            "    -- Joins run on the remote store only (purgekit/gc/postgresql.py, LOCAL_JOINS); put back at the end.",
            f"    v_joins := ARRAY[{', '.join(f'current_setting({pg_literal(g)})' for g in LOCAL_JOINS)}];",
            f"    PERFORM {', '.join(f'set_config({pg_literal(g)}, {OFF}, true)' for g in LOCAL_JOINS)};",
            "    -- Up to batch_size of the chat's messages (the fetch stops there), as arrays: one row back.",
            f"    SELECT {aggregates} INTO {', '.join(f'd_{c.name}' for c in carried)}",
            f"        FROM (SELECT {columns} FROM {messages} AS m WHERE m.{pg_ident(msg.key[0].name)} = chat"
            " LIMIT batch_size) AS m;",
            f"    IF d_{msg.id.name} IS NULL THEN",
            "        -- The last step: no message of the chat is left. The chats row is locked first: a client",
            "        -- that wrote a message (and its chats row) since this transaction's snapshot makes this",
            "        -- fail (serialization failure; the caller runs the batch again, and finds that message).",
            f"        PERFORM 1 FROM {chats} AS c WHERE c.{chat_of_chats} = chat FOR UPDATE;",
        ]
        for index, dependent in enumerate(plan.dependents, start=1):
            body += [
                f"        DELETE FROM {self._table(settings, dependent.name)} AS t"
                f" WHERE t.{pg_ident(plan.chat_column(dependent).name)} = chat;",
                f"        GET DIAGNOSTICS n_{index} = ROW_COUNT;",
            ]
        body += [
            f"        DELETE FROM {chats} AS c WHERE c.{chat_of_chats} = chat;",
            f"        GET DIAGNOSTICS n_{chats_index} = ROW_COUNT;",
            "        finished := true;",
            "    ELSE",
        ]
        for index, dependent in local:
            if dependent.name in self.by_chat_and_keys:
                body += self._chat_keyed_delete(settings, plan, dependent, index)
            else:
                body += statements.joined_delete(settings, batch, dependent, index)
        body += [
            f"            DELETE FROM {messages} AS m WHERE m.{m_id} = ANY(d_{msg.id.name});",
            "            GET DIAGNOSTICS n_0 = ROW_COUNT;",
        ]
        for index, dependent in remote:
            body += self._chat_keyed_delete(settings, plan, dependent, index) or statements.keyed_delete(
                settings, batch, dependent, index
            )
        body += [
            "        finished := false;",
            "    END IF;",
            "    PERFORM "
            + ", ".join(f"set_config({pg_literal(g)}, v_joins[{i}], true)" for i, g in enumerate(LOCAL_JOINS, 1))
            + ";",
            *[f"    {c} := n_{index};" for index, c in enumerate(counters)],
            "    RETURN NEXT;",
            "END",
        ]
        return "\n".join(declare + body)

    def _chat_keyed_delete(self, settings: Settings, plan: ChatDeletionPlan, dependent, index: int) -> list[str]:
        """A dependent in another store matched on the whole key: its rows of the batch, the chat fixed, one
        statement per value of key_from_me with the key ids as one array (one index scan of the remote's key,
        shipped whole), instead of the collector's OR arm per message, whose planning costs grow with the
        square of the arms (measured: 5,000 keys, 2 s a batch; bench/delete_chat.py). None when the key is not
        (chat, one boolean, one more column)."""
        chat, flag, *rest = plan.messages.key
        if len(rest) != 1 or flag.pg_type != "boolean" or len(dependent.match) != len(plan.messages.key):
            return []
        (key,) = rest
        column = {theirs: own.name for own, theirs in dependent.match}
        table = self._table(settings, dependent.name)
        lines = [f"            -- {dependent.name}: the rows of the batch's messages, by their exact keys."]
        for side, test in (("true", f"d.{pg_ident(flag.name)}"), ("false", f"NOT d.{pg_ident(flag.name)}")):
            values = f"v_{key.name}_{side}"
            lines += [
                f"            {values} := ARRAY(SELECT d.{pg_ident(key.name)}"
                f" FROM unnest(d_{flag.name}, d_{key.name}) AS d({pg_ident(flag.name)}, {pg_ident(key.name)})"
                f" WHERE {test});",
                f"            DELETE FROM {table} AS t WHERE t.{pg_ident(column[chat.name])} = chat"
                f" AND t.{pg_ident(column[flag.name])} = {side} AND t.{pg_ident(column[key.name])} = ANY({values});",
                "            GET DIAGNOSTICS v_rows = ROW_COUNT;",
                f"            n_{index} := n_{index} + v_rows;",
            ]
        return lines
