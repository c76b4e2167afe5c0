"""Deleting a chat on MySQL / MariaDB: two procedures in contactStore.

The stores are schemas of one server, so a batch is one procedure call and one transaction across them:
`purgekit_delete_chat_batch(chat, batch_size)` locks up to batch_size of the chat's messages (FOR UPDATE), deletes
them with their dependents (the garbage collector's statements, purgekit/gc/mysql.py) and commits; when it finds
none left it takes the last step: the chats row locked, the rows naming the chat that no message names any more
deleted, then the chats row, committed (`finished`). `purgekit_count_chat(chat)` counts what a deletion would
delete, table by table (the dry run). The scratch table of a batch's keys is indexed on key_id too: a table
indexed on the chat alone (messages_pending_actions, as many clients have it) is then joined from its side,
the chat's rows each probing the batch, instead of each of the batch's keys reading all the chat's rows.

A message the client writes while the chat is deleted goes too: the batches run until a locking read finds no
message of the chat. That read (REPEATABLE READ, an empty range of the chat's index) locks the gap where the chat's
next message would go, so the client's insert waits until the last step commits, and then starts the chat anew.

No SQL comments inside the bodies: the mysql client strips them from offline scripts, and the body installed
offline must be the one installed online. The explanations are here, beside the code.
"""

from __future__ import annotations

from purgekit import jids
from purgekit.chat_deletion.plan import MAX_BATCH_SIZE, ChatDeletionPlan, counted, deleted_column, found_column
from purgekit.config import Settings
from purgekit.dialects.mysql import HOST_STORE, SHOWN_JID, temporary_table_guard
from purgekit.gc.mysql import MySQLCollectorV2
from purgekit.objects import DatabaseObject, MySqlProcedure
from purgekit.sql import mysql_ident, mysql_literal

BATCH_PROCEDURE = "purgekit_delete_chat_batch"
COUNT_PROCEDURE = "purgekit_count_chat"
# A session's scratch table: the keys of one batch's messages.
BATCH_TABLE = "purgekit_chat_batch_keys"
GROUP_SUFFIX = f"@{jids.GROUP_DOMAIN}"
# The client's jid columns hold 256 characters. The parameter is wider, and a longer chat refused: a caller's
# longer value, cut to the parameter's length (MySQL does that outside strict mode), is then never a shorter
# chat's jid, which it would be if the parameter were as wide as the column.
JID_CHARS = 256
CHAT_PARAMETER_CHARS = 1024


class MySQLChatDeletion:
    name = "mysql"
    # Tables clients index on the chat alone (the synthetic stores, like many clients, have no index on a pending
    # action's key): joined from their side, the chat's rows each probing the batch's keys (indexed on key_id),
    # not each key reading all the chat's rows (measured: 48 s a batch of 5,000 for a chat of 10,000 actions).
    joined_from_their_side = ("messages_pending_actions",)

    def objects(self, settings: Settings, plan: ChatDeletionPlan) -> list[DatabaseObject]:
        host = settings.store_name(HOST_STORE)
        return [
            MySqlProcedure(
                schema=host,
                name=BATCH_PROCEDURE,
                parameters=f"IN chat VARCHAR({CHAT_PARAMETER_CHARS}), IN batch_size INT",
                body=self.batch_body(settings, plan),
                comment="purgekit: deletes the next batch_size messages of a chat, or its last rows (0008)",
                definer=settings.routine_owner,
                grantees=settings.deletion_grantees,
            ),
            MySqlProcedure(
                schema=host,
                name=COUNT_PROCEDURE,
                parameters=f"IN chat VARCHAR({CHAT_PARAMETER_CHARS})",
                body=self.count_body(settings, plan),
                comment="purgekit: counts what deleting a chat would delete, table by table (0008)",
                definer=settings.routine_owner,
                grantees=settings.deletion_grantees,
            ),
        ]

    # Calls -------------------------------------------------------------------------------------------

    # Where the procedures are called, and how a table is named: as the collector's.
    call_schema = staticmethod(MySQLCollectorV2.call_schema)

    def batch_call(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        schema = mysql_ident(self.call_schema(settings))
        return f"CALL {schema}.{mysql_ident(BATCH_PROCEDURE)}(:chat, :batch_size)"

    def count_call(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        return f"CALL {mysql_ident(self.call_schema(settings))}.{mysql_ident(COUNT_PROCEDURE)}(:chat)"

    # Bodies ------------------------------------------------------------------------------------------

    def _table(self, settings: Settings, table) -> str:
        return MySQLCollectorV2()._table(settings, table)

    def chat_check(self) -> list[str]:
        """purgekit/jids.py's CHAT_JID_RULE, byte for byte. No pattern anchors it (REGEXP follows the collation and
        MariaDB's `$` matches before a trailing newline): a user's jid is the canonical text of its number, a
        group's is digits with at most one inner '-', each checked piece by piece."""
        user, group = mysql_literal(jids.USER_SUFFIX), mysql_literal(GROUP_SUFFIX)
        u, g = len(jids.USER_SUFFIX), len(GROUP_SUFFIX)
        return [
            f"    IF CHAR_LENGTH(chat) > {JID_CHARS} THEN",
            "        SET v_valid = FALSE;",
            f"    ELSEIF CHAR_LENGTH(chat) > {u} AND CAST(RIGHT(chat, {u}) AS BINARY) = CAST({user} AS BINARY) THEN",
            f"        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - {u});",
            f"        IF CHAR_LENGTH(v_local) <= {jids.MAX_USER_DIGITS} AND v_local NOT REGEXP '[^0-9]' THEN",
            f"            IF CAST(v_local AS DECIMAL(20, 0)) BETWEEN 1 AND {jids.MAX_USER_NUMBER} THEN",
            "                SET v_valid = CAST(chat AS BINARY)"
            f" = CAST(CONCAT(CAST(v_local AS DECIMAL(20, 0)), {user}) AS BINARY);",
            "            END IF;",
            "        END IF;",
            f"    ELSEIF CHAR_LENGTH(chat) > {g} AND CAST(RIGHT(chat, {g}) AS BINARY) = CAST({group} AS BINARY) THEN",
            f"        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - {g});",
            "        SET v_valid = v_local NOT REGEXP '[^0-9-]'",
            "            AND LEFT(v_local, 1) <> '-' AND RIGHT(v_local, 1) <> '-'",
            "            AND CHAR_LENGTH(v_local) - CHAR_LENGTH(REPLACE(v_local, '-', '')) <= 1;",
            "    END IF;",
            "    IF NOT v_valid THEN",
            f"        SET v_refusal = CONCAT('chat ', IFNULL(LEFT(JSON_QUOTE(chat), {SHOWN_JID}), 'NULL'),"
            " ' is not a chat jid (purgekit/jids.py): nothing deleted');",
            "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;",
            "    END IF;",
        ]

    def _declared_check(self) -> list[str]:
        return [
            "    DECLARE v_local VARCHAR(256);",
            "    DECLARE v_valid BOOLEAN DEFAULT FALSE;",
            "    DECLARE v_refusal VARCHAR(128);",
        ]

    def _from_their_side(self, settings: Settings, plan: ChatDeletionPlan, dependent, batch: str, counter: str):
        join = " AND ".join(
            f"t.{mysql_ident(column.name)} = b.{mysql_ident(theirs)}" for column, theirs in dependent.match
        )
        chat = mysql_ident(plan.chat_column(dependent).name)
        return [
            f"    DELETE t FROM {self._table(settings, dependent)} AS t STRAIGHT_JOIN {batch} AS b ON {join}"
            f" WHERE t.{chat} = chat;",
            f"    SET {counter} = ROW_COUNT();",
        ]

    def count_body(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        counts = [
            f"(SELECT COUNT(*) FROM {self._table(settings, t)} AS t"
            f" WHERE t.{mysql_ident(plan.chat_column(t).name)} = chat) AS {mysql_ident(found_column(t.name))}"
            for t in plan.tables
        ]
        return "\n".join(
            [
                "BEGIN",
                *self._declared_check(),
                *self.chat_check(),
                *temporary_table_guard([(settings.store_name(t.store), t.name) for t in plan.tables]),
                "    SELECT " + ",\n        ".join(counts) + ";",
                "END",
            ]
        )

    def batch_body(self, settings: Settings, plan: ChatDeletionPlan) -> str:
        msg = plan.messages
        batch_plan = plan.batch_plan()
        collector = MySQLCollectorV2()
        messages = self._table(settings, msg)
        chats = self._table(settings, plan.chats)
        batch = f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(BATCH_TABLE)}"
        m_id = mysql_ident(msg.id.name)
        m_chat = mysql_ident(msg.key[0].name)
        carried = ", ".join(f"m.{mysql_ident(c.name)}" for c in (msg.id, *msg.key))
        counters = [deleted_column(name) for name in counted(plan)]
        n = [f"n_{index}" for index in range(len(counters))]

        def returned(finished: str) -> str:
            values = ", ".join(f"{v} AS {mysql_ident(c)}" for c, v in zip(counters, n, strict=True))
            return f"SELECT {values}, {finished} AS finished;"

        lines = [
            "dc: BEGIN",
            *self._declared_check(),
            f"    DECLARE {', '.join(n)} BIGINT DEFAULT 0;",
            "    DECLARE v_found BIGINT DEFAULT 0;",
            "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
            "    BEGIN",
            "        ROLLBACK;",
            "        RESIGNAL;",
            "    END;",
            f"    IF batch_size IS NULL OR batch_size < 1 OR batch_size > {MAX_BATCH_SIZE} THEN",
            f"        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and {MAX_BATCH_SIZE}';",
            "    END IF;",
            *self.chat_check(),
            *temporary_table_guard([(settings.store_name(t.store), t.name) for t in plan.tables]),
            f"    DROP TEMPORARY TABLE IF EXISTS {batch};",
            f"    CREATE TEMPORARY TABLE {batch} (PRIMARY KEY ({m_id}), KEY ({mysql_ident(msg.key[-1].name)}))"
            " ENGINE=InnoDB",
            f"        SELECT {carried} FROM {messages} AS m LIMIT 0;",
            "    COMMIT;",
            "    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;",
            "    START TRANSACTION;",
            f"    INSERT INTO {batch} SELECT {carried} FROM {messages} AS m",
            f"        WHERE m.{m_chat} = chat LIMIT batch_size FOR UPDATE;",
            "    SET v_found = ROW_COUNT();",
            "    IF v_found = 0 THEN",
            f"        SELECT COUNT(*) INTO v_found FROM {chats} AS c"
            f" WHERE c.{mysql_ident(plan.chat_column(plan.chats).name)} = chat FOR UPDATE;",
        ]
        for index, dependent in enumerate(plan.dependents, start=1):
            lines += [
                f"        DELETE t FROM {self._table(settings, dependent)} AS t"
                f" WHERE t.{mysql_ident(plan.chat_column(dependent).name)} = chat;",
                f"        SET n_{index} = ROW_COUNT();",
            ]
        lines += [
            f"        DELETE c FROM {chats} AS c WHERE c.{mysql_ident(plan.chat_column(plan.chats).name)} = chat;",
            f"        SET {n[-1]} = ROW_COUNT();",
            "        COMMIT;",
            f"        DROP TEMPORARY TABLE {batch};",
            f"        {returned('TRUE')}",
            "        LEAVE dc;",
            "    END IF;",
            f"    DELETE m FROM {messages} AS m JOIN {batch} AS b ON b.{m_id} = m.{m_id};",
            "    SET n_0 = ROW_COUNT();",
        ]
        for index, dependent in enumerate(plan.dependents, start=1):
            if dependent.name in self.joined_from_their_side:
                lines += self._from_their_side(settings, plan, dependent, batch, f"n_{index}")
                continue
            lines += [
                line[4:]
                for line in collector.batch_dependent_delete(settings, batch_plan, dependent, batch, f"n_{index}")
            ]
        lines += [
            "    COMMIT;",
            f"    DROP TEMPORARY TABLE {batch};",
            f"    {returned('FALSE')}",
            "END",
        ]
        return "\n".join(lines)
