"""purgekit_delete_message on MySQL / MariaDB: a procedure in contactStore, one transaction across the stores.

`purgekit_delete_message(chat, key_id, from_me)` (named like purgekit's other procedures there, never like a
client's) checks its arguments, refuses a temporary table of the caller's session shadowing a client table
(temporary_table_guard, as erase v2), deletes what belongs only to the message, then the message, commits, and
returns one row per table.

Text is compared exactly: the client's collations are case-insensitive, so every key value is compared as
utf8mb4_bin (the index still narrows by the chat), and no REGEXP anchor decides a check (MariaDB's `$`
matches before a trailing newline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from purgekit import jids
from purgekit.config import Settings
from purgekit.dialects.mysql import ALL_OR_NOTHING, HOST_STORE, MySQLDialect, temporary_table_guard
from purgekit.message_deletion.plan import MessageDeletionPlan
from purgekit.objects import MySqlProcedure
from purgekit.sql import mysql_ident, mysql_literal

if TYPE_CHECKING:
    from purgekit.revisions import Change

ROUTINE = "purgekit_delete_message"
# Arguments are taken wider than any valid value, so a long one is refused by the check, not truncated.
ARGUMENT = "VARCHAR(512)"


def exact(text: str) -> str:
    """A text value compared byte for byte (whatever the column's or variable's collation)."""
    return f"CONVERT({text} USING utf8mb4) COLLATE utf8mb4_bin"


class MySQLMessageDeletion:
    name = "mysql"
    dialect = MySQLDialect()

    def changes(self, settings: Settings, plan: MessageDeletionPlan) -> list[Change]:
        return [(None, self.procedure(settings, plan))]

    def procedure(self, settings: Settings, plan: MessageDeletionPlan) -> MySqlProcedure:
        return MySqlProcedure(
            schema=settings.store_name(HOST_STORE),
            name=ROUTINE,
            parameters=f"IN chat {ARGUMENT}, IN key_id {ARGUMENT}, IN from_me BOOLEAN",
            body=self.body(settings, plan),
            comment="purgekit: deletes one message and what belongs only to it, in one transaction",
            definer=settings.routine_owner,
            grantees=settings.deletion_grantees,
        )

    def call(self, settings: Settings) -> str:
        schema = settings.url.database or settings.store_name(HOST_STORE)
        return f"CALL {mysql_ident(schema)}.{mysql_ident(ROUTINE)}(:chat, :key_id, :from_me)"

    def body(self, settings: Settings, plan: MessageDeletionPlan) -> str:
        key = [mysql_ident(column.name) for column in plan.messages.key]
        chat, from_me, key_id = key
        messages = self.dialect.table_reference(settings, plan.messages)
        tables = (plan.messages, *plan.belonging)
        counters = [f"n{index}" for index in range(len(tables))]
        read = [(settings.store_name(table.store), table.name) for table in tables]
        # The message's key as a derived table (both directions when the message is gone and from_me was not
        # given): what dependent_delete (shared with erase v2) joins on.
        keys = (
            f"(SELECT {exact('v_chat')} AS {chat}, d.f AS {from_me}, {exact('v_key_id')} AS {key_id}"
            " FROM (SELECT TRUE AS f UNION ALL SELECT FALSE) AS d WHERE v_from_me IS NULL OR d.f = v_from_me)"
        )
        same_message = (
            f"t.{chat} = v_chat AND t.{key_id} = v_key_id"
            f" AND t.{chat} = {exact('v_chat')} AND t.{key_id} = {exact('v_key_id')}"
        )
        lines = [
            "BEGIN",
            f"    DECLARE v_chat {ARGUMENT} DEFAULT chat;",
            f"    DECLARE v_key_id {ARGUMENT} DEFAULT key_id;",
            "    DECLARE v_from_me BOOLEAN DEFAULT from_me;",
            f"    DECLARE v_local {ARGUMENT};",
            "    DECLARE v_kind VARCHAR(8);",
            "    DECLARE v_messages BIGINT;",
            "    DECLARE v_refusal VARCHAR(512);",
            f"    DECLARE {', '.join(counters)} BIGINT DEFAULT 0;",
            *ALL_OR_NOTHING,
            *self._chat_check(),
            *self._key_id_check(),
            "    -- START TRANSACTION would end the caller's transaction too; it ends here, as temporary tables",
            "    -- can be probed outside one only (GTID consistency).",
            "    COMMIT;",
            "    -- A temporary table of the caller's session would stand in for the client's table of its name.",
            *temporary_table_guard(read),
            "    START TRANSACTION;",
            "    IF v_from_me IS NULL THEN",
            "        -- Which message: the chat may hold an incoming and an outgoing one of this id.",
            f"        SELECT COUNT(*), MAX(t.{from_me}) INTO v_messages, v_from_me FROM {messages} AS t",
            f"            WHERE {same_message} FOR UPDATE;",
            "        IF v_messages > 1 THEN",
            "            SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT ="
            " 'the chat holds an incoming and an outgoing message of this key_id: pass from_me; nothing deleted';",
            "        END IF;",
            "    END IF;",
            "    -- What belongs only to the message first, the message last.",
        ]
        for counter, related in zip(counters[1:], plan.belonging, strict=True):
            lines += self.dialect.dependent_delete(settings, plan.messages, related, keys, counter)
        lines += [
            f"    DELETE t FROM {messages} AS t WHERE {same_message} AND t.{from_me} = v_from_me;",
            f"    SET {counters[0]} = ROW_COUNT();",
            "    COMMIT;",
        ]
        lines += [self.dialect.report_rows(settings, tables, counters), "END"]
        return "\n".join(lines)

    def _chat_check(self) -> list[str]:
        """purgekit/jids.py's chat_kind(), without a REGEXP anchor or a collation deciding: ASCII only, the
        domain compared as bytes, the local part free of anything but digits (and a group's one inner '-'), a
        user's number canonical (no leading zero) and at most BIGINT's largest."""
        user, group = jids.USER_SUFFIX, f"@{jids.GROUP_DOMAIN}"
        return [
            "    IF CAST(v_chat AS BINARY) = CAST(CONVERT(v_chat USING ascii) AS BINARY) THEN",
            f"        IF CHAR_LENGTH(v_chat) > {len(user)}"
            f" AND CAST(RIGHT(v_chat, {len(user)}) AS BINARY) = CAST({mysql_literal(user)} AS BINARY) THEN",
            f"            SET v_local = LEFT(v_chat, CHAR_LENGTH(v_chat) - {len(user)});",
            f"            IF CHAR_LENGTH(v_local) <= {jids.MAX_USER_DIGITS} AND v_local NOT REGEXP '[^0-9]'"
            " AND LEFT(v_local, 1) <> '0'",
            f"                AND CAST(v_local AS DECIMAL(20, 0)) <= {jids.MAX_USER_NUMBER} THEN",
            "                SET v_kind = 'user';",
            "            END IF;",
            f"        ELSEIF CHAR_LENGTH(v_chat) > {len(group)}"
            f" AND CAST(RIGHT(v_chat, {len(group)}) AS BINARY) = CAST({mysql_literal(group)} AS BINARY) THEN",
            f"            SET v_local = LEFT(v_chat, CHAR_LENGTH(v_chat) - {len(group)});",
            "            IF v_local NOT REGEXP '[^0-9-]' AND LEFT(v_local, 1) <> '-' AND RIGHT(v_local, 1) <> '-'",
            "                AND CHAR_LENGTH(v_local) - CHAR_LENGTH(REPLACE(v_local, '-', '')) <= 1 THEN",
            "                SET v_kind = 'group';",
            "            END IF;",
            "        END IF;",
            "    END IF;",
            "    IF v_kind IS NULL THEN",
            "        SET v_refusal = CONCAT('chat ', LEFT(IFNULL(JSON_QUOTE(v_chat), 'NULL'), 40),",
            "            ' is not a chat jid: nothing deleted');",
            "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;",
            "    END IF;",
        ]

    def _key_id_check(self) -> list[str]:
        return [
            "    IF v_key_id IS NULL OR CAST(v_key_id AS BINARY) <> CAST(CONVERT(v_key_id USING ascii) AS BINARY)",
            f"        OR CHAR_LENGTH(v_key_id) NOT BETWEEN 1 AND {jids.MAX_KEY_ID_LENGTH}"
            " OR v_key_id REGEXP '[^A-Za-z0-9_-]' THEN",
            "        SET v_refusal = CONCAT('key_id ', LEFT(IFNULL(JSON_QUOTE(v_key_id), 'NULL'), 80),",
            "            ' is not a message id: nothing deleted');",
            "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;",
            "    END IF;",
        ]
