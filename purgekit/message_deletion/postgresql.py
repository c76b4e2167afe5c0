"""delete_message on PostgreSQL: a function in PURGEKIT_SCHEMA working through erase v2's foreign tables.

`<PURGEKIT_SCHEMA>.delete_message(chat text, key_id text, from_me boolean)` runs in the caller's transaction.
postgres_fdw opens one remote transaction per store (messageStore, axolotlStore) and commits them one after
the other when the caller commits: there is no two-phase commit, so a failure between the two commits can
leave one store's deletes done and the other's not. The function deletes what belongs to the message first
and the message last, and on a re-run deletes what is left by the message's key even once the message is gone:
running it again finishes the job.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from purgekit import jids
from purgekit.config import Settings
from purgekit.dialects.postgresql import DEPENDENT_DELETE_VARIABLES, PostgreSQLDialect
from purgekit.message_deletion.plan import MessageDeletionPlan
from purgekit.messages import Related
from purgekit.objects import ForeignTable, PgFunction
from purgekit.objects.grant import SchemaUsage
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.sql import pg_ident, pg_literal, pg_quote_ident

if TYPE_CHECKING:
    from purgekit.revisions import Change

ROUTINE = "delete_message"
RETURNS = "TABLE (store text, table_name text, rows_deleted bigint)"


class PostgreSQLMessageDeletion:
    name = "postgresql"
    dialect = PostgreSQLDialect()

    def changes(self, settings: Settings, plan: MessageDeletionPlan) -> list[Change]:
        """Revision 0007: the foreign tables gain the key columns the function matches on (ALTER FOREIGN
        TABLE ... ADD COLUMN: privileges granted on them stay), then USAGE on the schema for
        PURGEKIT_DELETION_GRANTEES, then the function."""
        objects = self.dialect.erase_objects(settings, ERASURE_PLAN_V2)
        tables = {obj.name: obj for obj in objects if isinstance(obj, ForeignTable)}
        changes: list[Change] = []
        for related in (plan.messages, *plan.belonging):
            old = tables[related.name]
            named = {name for name, _ in old.columns}
            wanted = _matched_columns(related)
            added = tuple((c.name, c.pg_type) for c in wanted if c.name not in named)
            if added:
                changes.append((old, dataclasses.replace(old, columns=old.columns + added)))
        changes += [(None, SchemaUsage(settings.schema, grantee)) for grantee in settings.deletion_grantees]
        changes.append((None, self.function(settings, plan)))
        return changes

    def function(self, settings: Settings, plan: MessageDeletionPlan) -> PgFunction:
        return PgFunction(
            schema=settings.schema,
            name=ROUTINE,
            arguments="chat text, key_id text, from_me boolean",
            signature="text, text, boolean",
            returns=RETURNS,
            body=self.body(settings, plan),
            owner=settings.routine_owner,
            grantees=settings.deletion_grantees,
        )

    def call(self, settings: Settings) -> str:
        return (
            "SELECT store, table_name, rows_deleted"
            f" FROM {pg_ident(settings.schema)}.{pg_quote_ident(ROUTINE)}(:chat, :key_id, :from_me)"
        )

    def body(self, settings: Settings, plan: MessageDeletionPlan) -> str:
        key = plan.messages.key
        chat, from_me, key_id = (pg_ident(column.name) for column in key)
        messages = self.dialect.table_reference(settings, plan.messages)
        counters = [f"n_{index}" for index in range(len(plan.belonging) + 1)]
        lines = [
            "DECLARE",
            "    v_chat text := chat;",
            "    v_key_id text := key_id;",
            "    v_from_me boolean := from_me;",
            "    v_local text;",
            "    v_kind text;",
            "    v_messages bigint;",
            *DEPENDENT_DELETE_VARIABLES,
            *[f"    k_{column.name} {column.pg_type}[];" for column in key],
            *[f"    {counter} bigint := 0;" for counter in counters],
            "BEGIN",
            *self._chat_check(),
            *self._key_id_check(),
            "    IF v_from_me IS NULL THEN",
            "        -- Which message: the chat may hold an incoming and an outgoing one of this id.",
            f"        SELECT count(*), bool_and(m.{from_me}) INTO v_messages, v_from_me FROM {messages} AS m",
            f"            WHERE m.{chat} = v_chat AND m.{key_id} = v_key_id;",
            "        IF v_messages > 1 THEN",
            "            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            "                MESSAGE = format('chat %s holds an incoming and an outgoing message %s: pass from_me"
            " (true: the business sent it); nothing deleted', v_chat, v_key_id);",
            "        END IF;",
            "    END IF;",
            "    -- The keys whose rows go: the message's; with no message and no from_me, both directions' (no",
            "    -- message of that id is left in the chat to own them). A re-run after a half-done one finds them.",
            "    k_key_from_me := CASE WHEN v_from_me IS NULL THEN ARRAY[true, false] ELSE ARRAY[v_from_me] END;",
            f"    k_{key[0].name} := array_fill(v_chat::{key[0].pg_type}, ARRAY[cardinality(k_key_from_me)]);",
            f"    k_{key[2].name} := array_fill(v_key_id::{key[2].pg_type}, ARRAY[cardinality(k_key_from_me)]);",
            "    -- What belongs only to the message first, the message last.",
        ]
        for counter, related in zip(counters[1:], plan.belonging, strict=True):
            lines += [
                "    v_deleted := 0;",
                *self.dialect.dependent_delete(settings, plan.messages, related),
                f"    {counter} := v_deleted;",
            ]
        lines += [
            f"    DELETE FROM {messages} AS t",
            f"        WHERE t.{chat} = v_chat AND t.{from_me} = v_from_me AND t.{key_id} = v_key_id;",
            f"    GET DIAGNOSTICS {counters[0]} = ROW_COUNT;",
        ]
        for counter, table in zip(counters, (plan.messages, *plan.belonging), strict=True):
            lines += [
                f"    store := {pg_literal(settings.store_name(table.store))}; table_name := {pg_literal(table.name)};"
                f" rows_deleted := {counter};",
                "    RETURN NEXT;",
            ]
        lines.append("END")
        return "\n".join(lines)

    def _chat_check(self) -> list[str]:
        """purgekit/jids.py's chat_kind(): a user's jid (the canonical text of a number up to BIGINT's largest)
        or a group's; matched byte for byte (COLLATE "C"), `$` being the end of the text only."""
        suffix = jids.USER_SUFFIX
        user = f"^[1-9][0-9]{{0,{jids.MAX_USER_DIGITS - 1}}}{_escaped(suffix)}$"
        group = f"^[0-9]+(-[0-9]+)?{_escaped('@' + jids.GROUP_DOMAIN)}$"
        return [
            f'    IF v_chat COLLATE "C" ~ {pg_literal(user)} THEN',
            f"        v_local := left(v_chat, -{len(suffix)});",
            f"        IF v_local::numeric <= {jids.MAX_USER_NUMBER} THEN",
            "            v_kind := 'user';",
            "        END IF;",
            f'    ELSIF v_chat COLLATE "C" ~ {pg_literal(group)} THEN',
            "        v_kind := 'group';",
            "    END IF;",
            "    IF v_kind IS NULL THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            "            MESSAGE = format('chat %s is not a chat jid (%s): nothing deleted', to_json(v_chat)::text,",
            f"            {pg_literal(jids.CHAT_JID_RULE)});",
            "    END IF;",
        ]

    def _key_id_check(self) -> list[str]:
        pattern = f"^[A-Za-z0-9_-]{{1,{jids.MAX_KEY_ID_LENGTH}}}$"
        return [
            f'    IF v_key_id IS NULL OR NOT v_key_id COLLATE "C" ~ {pg_literal(pattern)} THEN',
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            "            MESSAGE = format('key_id %s is not a message id (%s): nothing deleted',"
            " to_json(v_key_id)::text,",
            f"            {pg_literal(jids.KEY_ID_RULE)});",
            "    END IF;",
        ]


def _escaped(text: str) -> str:
    """Text as a regular expression matching it literally (jid suffixes: letters, '@' and '.')."""
    return text.replace(".", "\\.")


def _matched_columns(related) -> tuple:
    """The columns the function reads of a table: the messages' key, or what a related table is matched on."""
    return related.columns if isinstance(related, Related) else related.key
