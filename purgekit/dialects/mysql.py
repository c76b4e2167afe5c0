from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.engine import Connection

from purgekit import jids
from purgekit.dialects.base import (
    ERASE_ROUTINE,
    HOST_STORE,
    MAX_WA_ID,
    RECEIPTS_TABLE,
    SALT_CHECK_TABLE,
    VARIABLES,
    CarriedKey,
    Dialect,
    Guard,
    KeptRows,
)
from purgekit.messages import Messages, Related
from purgekit.objects import DatabaseObject, MySqlProcedure
from purgekit.objects.privileges import mysql_table_grants
from purgekit.objects.table import MySqlTable
from purgekit.plans import ErasurePlan, Plan, tables_of
from purgekit.sql import Secret, Statement, mysql_ident, mysql_literal
from purgekit.stores import DEFAULT_JID_DOMAIN, PHONE_COLUMN, PHONE_TABLE, Store, UserTable

if TYPE_CHECKING:
    from purgekit.config import Settings  # which imports this package (Settings.family)

# What the mysql client reads as the end of a routine body, which has semicolons of its own.
ROUTINE_DELIMITER = "//"

# The erase procedure's scratch table (plan v2): the keys of the messages it deletes outside the user's own chat.
KEYS_TABLE = "purgekit_erase_keys"
# A routine's first handler: any error undoes every store's deletes, then reaches the caller.
ALL_OR_NOTHING = [
    "    -- All or nothing: any error undoes every store's deletes, then reaches the caller.",
    "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
    "    BEGIN",
    "        ROLLBACK;",
    "        RESIGNAL;",
    "    END;",
]
# How much of a refused jid the procedure's message shows (MySQL keeps MESSAGE_TEXT to 128 characters).
SHOWN_JID = 40


def temporary_table_guard(tables: list[tuple[str, str]]) -> list[str]:
    """Routine body lines refusing to go on when a temporary table of the caller's session shadows one of
    `tables` ((schema, table) pairs, as the client names them).

    MySQL and MariaDB resolve a table name to the session's temporary table of that name first, even inside an
    SQL SECURITY DEFINER routine: a caller allowed CREATE TEMPORARY TABLES could make the routine read (and
    delete by) rows of their own. CREATE TEMPORARY TABLE of a name fails (error 1050) only when the session
    already has a temporary table of that name, so each name is probed that way and the probe dropped. Put
    the block before START TRANSACTION (MySQL refuses temporary-table DDL in a transaction under GTID
    consistency). The routine's DEFINER needs CREATE TEMPORARY TABLES on the tables' schemas. The probes are
    MEMORY tables: a third of the cost of InnoDB's (measured on MariaDB 10.11: 14 probes 1.1 ms, 3.1 ms).
    """
    lines = [
        "    BEGIN",
        "        DECLARE v_shadowed VARCHAR(200);",
        "        DECLARE v_refusal VARCHAR(512);",
        "        DECLARE EXIT HANDLER FOR 1050",
        "        BEGIN",
        "            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed,"
        " ': refused, nothing changed');",
        "            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;",
        "        END;",
    ]
    for schema, table in tables:
        qualified = f"{mysql_ident(schema)}.{mysql_ident(table)}"
        lines += [
            f"        SET v_shadowed = {mysql_literal(f'{schema}.{table}')};",
            f"        CREATE TEMPORARY TABLE {qualified} (purgekit_probe INT) ENGINE=MEMORY;",
            f"        DROP TEMPORARY TABLE {qualified};",
        ]
    lines.append("    END;")
    return lines


class MySQLDialect(Dialect):
    name = "mysql"
    #: DELETE ... RETURNING, which MySQL 8 lacks: counted_delete() locks and counts, then deletes.
    returns_deleted = False

    def table_grants(self, connection, schema: str, name: str) -> set[tuple[str, str]]:
        return mysql_table_grants(connection, schema, name)

    def lock_wait_statement(self, seconds: int) -> str:
        return f"SET SESSION innodb_lock_wait_timeout = {seconds}"

    def erase_objects(self, settings: Settings, plan: Plan) -> list[DatabaseObject]:
        return [
            MySqlProcedure(
                schema=settings.store_name(HOST_STORE),
                name=ERASE_ROUTINE,
                parameters="IN wa_id BIGINT",
                body=self.erase_body(settings, plan),
                comment="purgekit: erases one user's rows from the four stores in one transaction",
                definer=settings.routine_owner,
                grantees=settings.execute_grantees,
            )
        ]

    def version_table_schema(self, settings: Settings) -> str | None:
        # The URL names the server, not a schema: the version table sits beside the procedure.
        return settings.store_name(HOST_STORE)

    def table_reference(self, settings: Settings, table: UserTable) -> str:
        return f"{mysql_ident(settings.store_name(table.store))}.{mysql_ident(table.name)}"

    def erase_body(self, settings: Settings, plan: Plan) -> str:
        if isinstance(plan, ErasurePlan):
            return self._erase_body_v2(settings, plan)
        return self._erase_body_v1(settings, plan)

    def _erase_body_v1(self, settings: Settings, plan: tuple[UserTable, ...]) -> str:
        """Revision 0001's body: released, so rendered exactly as it shipped."""
        counters = [f"n{index}" for index in range(len(plan))]
        phones = self.table_reference(settings, PHONE_TABLE)
        lines = [
            "BEGIN",
            "    DECLARE v_phone VARCHAR(32);",
            "    DECLARE v_jid VARCHAR(256);",
            "    DECLARE v_number BIGINT;",
            f"    DECLARE {', '.join(counters)} BIGINT DEFAULT 0;",
            *ALL_OR_NOTHING,
            f"    IF wa_id IS NULL OR wa_id < 1 OR wa_id > {MAX_WA_ID} THEN",
            "        SIGNAL SQLSTATE '22023'",
            "            SET MESSAGE_TEXT = "
            "'wa_id is not a phone number: digits only, country code first, at most 15 digits';",
            "    END IF;",
            "    SET v_phone = CONCAT('+', wa_id);",
            "    START TRANSACTION;",
            "    -- The jid the client filed the user under: wa_phones may map the phone to another account.",
            f"    SET v_jid = (SELECT p.jid FROM {phones} AS p WHERE p.{mysql_ident(PHONE_COLUMN)} = v_phone"
            " ORDER BY p.jid LIMIT 1);",
            "    IF v_jid IS NULL THEN",
            f"        SET v_jid = CONCAT(wa_id, '@{DEFAULT_JID_DOMAIN}');",
            "    END IF;",
            "    IF SUBSTRING_INDEX(v_jid, '@', 1) NOT REGEXP '^[0-9]{1,18}$' THEN",
            "        SIGNAL SQLSTATE '22000' SET MESSAGE_TEXT = "
            "'wa_phones maps the phone number to a jid that is not a user jid';",
            "    END IF;",
            "    -- Numeric ids come from the resolved jid, never from the number typed in.",
            "    SET v_number = CAST(SUBSTRING_INDEX(v_jid, '@', 1) AS UNSIGNED);",
        ]
        for counter, table in zip(counters, plan, strict=True):
            lines += [
                f"    DELETE t FROM {self.table_reference(settings, table)} AS t WHERE {self.match_predicate(table)};",
                f"    SET {counter} = ROW_COUNT();",
            ]
        lines.append("    COMMIT;")
        rows = [
            f"SELECT {mysql_literal(settings.store_name(table.store))} AS store,"
            f" {mysql_literal(table.name)} AS table_name,"
            f" {counter} AS rows_deleted"
            for counter, table in zip(counters, plan, strict=True)
        ]
        lines.append("    " + "\n    UNION ALL ".join(rows) + ";")
        lines.append("END")
        return "\n".join(lines)

    def _erase_body_v2(self, settings: Settings, plan: ErasurePlan) -> str:
        """Plan v2: the jid rule of purgekit/jids.py, the dependents of the messages deleted, and no table a
        temporary table of the caller's session shadows.

        The keys of the messages to delete outside the user's own chat are read first into a scratch table
        (INSERT ... SELECT, which under REPEATABLE READ sets shared next-key locks on what it reads: no such
        message can appear until the commit); the messages go by those keys and the user's own chat, one read
        of messages in all, as with the plan's one DELETE; the dependents by those keys."""
        tables = tables_of(plan)
        counters = [f"n{index}" for index in range(len(tables))]
        phones = self.table_reference(settings, PHONE_TABLE)
        host = mysql_ident(settings.store_name(HOST_STORE))
        keys = f"{host}.{mysql_ident(KEYS_TABLE)}"
        messages = self.table_reference(settings, plan.messages_table)
        key = [mysql_ident(column.name) for column in plan.messages.key]
        chat = key[0]
        read = list(dict.fromkeys((settings.store_name(t.store), t.name) for t in (PHONE_TABLE, *tables)))
        lines = [
            "BEGIN",
            "    DECLARE v_phone VARCHAR(32);",
            "    DECLARE v_jid VARCHAR(256);",
            "    DECLARE v_local VARCHAR(256);",
            "    DECLARE v_number BIGINT;",
            "    DECLARE v_refusal VARCHAR(512);",
            f"    DECLARE {', '.join(counters)} BIGINT DEFAULT 0;",
            *ALL_OR_NOTHING,
            f"    IF wa_id IS NULL OR wa_id < 1 OR wa_id > {MAX_WA_ID} THEN",
            "        SIGNAL SQLSTATE '22023'",
            "            SET MESSAGE_TEXT = "
            "'wa_id is not a phone number: digits only, country code first, at most 15 digits';",
            "    END IF;",
            "    SET v_phone = CONCAT('+', wa_id);",
            "    -- START TRANSACTION would end the caller's transaction too; it ends here, as temporary tables",
            "    -- can be made and dropped outside one only (GTID consistency).",
            "    COMMIT;",
            "    -- A temporary table of the caller's session would stand in for the client's table of its name.",
            *temporary_table_guard(read),
            f"    DROP TEMPORARY TABLE IF EXISTS {keys};",
            f"    CREATE TEMPORARY TABLE {keys} (PRIMARY KEY ({', '.join(key)})) ENGINE=InnoDB",
            f"        SELECT {', '.join(f'm.{c}' for c in key)} FROM {messages} AS m LIMIT 0;",
            "    START TRANSACTION;",
            "    -- The jid the client filed the user under: wa_phones may map the phone to another account.",
            f"    SET v_jid = (SELECT p.jid FROM {phones} AS p WHERE p.{mysql_ident(PHONE_COLUMN)} = v_phone"
            " ORDER BY p.jid LIMIT 1);",
            "    IF v_jid IS NULL THEN",
            f"        SET v_jid = CONCAT(wa_id, {mysql_literal(jids.USER_SUFFIX)});",
            "    END IF;",
            "    -- Numeric ids come from the resolved jid, never from the number typed in.",
            *self._user_jid_check(),
        ]
        for counter, table in zip(counters, tables, strict=True):
            reference = self.table_reference(settings, table)
            if plan.is_messages(table):
                selected = ", ".join(f"m.{c}" for c in key)
                # The user's messages outside their own chat: matched on the other identity columns.
                others = " OR ".join(
                    f"m.{mysql_ident(c.name)} = {VARIABLES[c.identity]}"
                    for c in table.columns
                    if c.name != plan.messages.key[0].name
                )
                lines += [
                    "    -- The keys of the messages to delete outside the user's own chat, locked; then the messages.",
                    f"    INSERT INTO {keys} SELECT {selected} FROM {messages} AS m",
                    f"        WHERE ({others}) AND m.{chat} <> v_jid;",
                    f"    DELETE t FROM {reference} AS t WHERE t.{chat} = v_jid;",
                    f"    SET {counter} = ROW_COUNT();",
                    f"    DELETE t FROM {reference} AS t JOIN {keys} AS k ON "
                    + " AND ".join(f"t.{c} = k.{c}" for c in key)
                    + ";",
                    f"    SET {counter} = {counter} + ROW_COUNT();",
                ]
                continue
            lines += [
                f"    DELETE t FROM {reference} AS t WHERE {self.match_predicate(table)};",
                f"    SET {counter} = ROW_COUNT();",
            ]
            dependent = plan.dependent_of(table)
            if dependent is not None:
                lines += self.dependent_delete(settings, plan.messages, dependent, keys, counter)
        lines += ["    COMMIT;", f"    DROP TEMPORARY TABLE {keys};"]
        lines.append(self.report_rows(settings, tables, counters))
        lines.append("END")
        return "\n".join(lines)

    def report_rows(self, settings: Settings, tables, counters: list[str]) -> str:
        """The routine's result: one row (store, table_name, rows_deleted) per table, the counts in `counters`."""
        rows = [
            f"SELECT {mysql_literal(settings.store_name(table.store))} AS store,"
            f" {mysql_literal(table.name)} AS table_name,"
            f" {counter} AS rows_deleted"
            for counter, table in zip(counters, tables, strict=True)
        ]
        return "    " + "\n    UNION ALL ".join(rows) + ";"

    def _user_jid_check(self) -> list[str]:
        """purgekit/jids.py's rule: the jid is the canonical text of a number from 1 to BIGINT's largest, then
        @s.whatsapp.net, compared byte for byte. No pattern decides it: REGEXP follows the collation (case-
        insensitive) and MariaDB's `$` matches before a trailing newline; `[^0-9]` unanchored only tells a
        non-digit is there."""
        suffix = mysql_literal(jids.USER_SUFFIX)
        length = len(jids.USER_SUFFIX)
        return [
            f"    -- A user's jid is exactly <digits>@{jids.USER_DOMAIN} (purgekit/jids.py): a group, a broadcast",
            "    -- list, another case or a stray character stops the erasure here, before anything is deleted.",
            f"    IF CHAR_LENGTH(v_jid) > {length}"
            f" AND CAST(RIGHT(v_jid, {length}) AS BINARY) = CAST({suffix} AS BINARY) THEN",
            f"        SET v_local = LEFT(v_jid, CHAR_LENGTH(v_jid) - {length});",
            f"        IF CHAR_LENGTH(v_local) <= {jids.MAX_USER_DIGITS} AND v_local NOT REGEXP '[^0-9]' THEN",
            f"            IF CAST(v_local AS DECIMAL(20, 0)) BETWEEN 1 AND {jids.MAX_USER_NUMBER} THEN",
            "                SET v_number = CAST(v_local AS DECIMAL(20, 0));",
            "            END IF;",
            "        END IF;",
            "    END IF;",
            f"    IF v_number IS NULL OR CAST(v_jid AS BINARY) <> CAST(CONCAT(v_number, {suffix}) AS BINARY) THEN",
            f"        SET v_refusal = CONCAT('wa_phones maps ', v_phone, ' to ', LEFT(JSON_QUOTE(v_jid), {SHOWN_JID}),",
            "            ': not a user jid, nothing deleted');",
            "        SIGNAL SQLSTATE '22000' SET MESSAGE_TEXT = v_refusal;",
            "    END IF;",
        ]

    def dependent_delete(
        self, settings: Settings, messages_table: Messages, dependent: Related, keys: str, counter: str
    ) -> list[str]:
        """The dependent's rows of the carried messages (the rows of `keys`, a table or a derived table), by
        their keys, added to `counter`; a row a message left also matches (a twin differing in the unmatched
        key column, probed by the messages' unique key) is kept. Erase v2 and purgekit_delete_message
        (revision 0007) share it."""
        join = " AND ".join(
            f"t.{mysql_ident(column.name)} = k.{mysql_ident(theirs)}" for column, theirs in dependent.match
        )
        left = []
        for column in dependent.unmatched(messages_table):
            same = " AND ".join(
                f"o.{mysql_ident(c.name)} = "
                + (f"(NOT k.{mysql_ident(c.name)})" if c.name == column.name else f"k.{mysql_ident(c.name)}")
                for c in messages_table.key
            )
            left.append(
                f"NOT EXISTS (SELECT 1 FROM {self.table_reference(settings, messages_table)} AS o WHERE {same})"
            )
        where = f"\n        WHERE {' AND '.join(left)}" if left else ""
        return [
            f"    -- {dependent.name}: the rows of the messages carried, by key, that no message left shares.",
            f"    DELETE t FROM {self.table_reference(settings, dependent)} AS t JOIN {keys} AS k ON {join}{where};",
            f"    SET {counter} = {counter} + ROW_COUNT();",
        ]

    def erase_call(self, settings: Settings) -> str:
        return f"CALL {mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(ERASE_ROUTINE)}(:wa_id)"

    # The client's tables and their indexes: the stores are schemas of the URL's server.

    indexes_query = (
        "SELECT INDEX_NAME, COLUMN_NAME, 1, INDEX_COMMENT FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table AND SEQ_IN_INDEX = 1"
    )
    # MySQL indexes TEXT and BLOB columns by a prefix; 255 characters hold any jid.
    TEXT_PREFIX = 255

    def prefix_length(self, connection: Connection, settings: Settings, store: Store, table: str, column: str) -> int:
        data_type = connection.execute(
            text(
                "SELECT DATA_TYPE FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table AND COLUMN_NAME = :column"
            ),
            {"schema": settings.store_name(store), "table": table, "column": column},
        ).scalar()
        return self.TEXT_PREFIX if (data_type or "").lower().endswith(("text", "blob")) else 0

    def create_index(self, table: str, name: str, column: str, prefix: int, comment: str | None) -> str:
        length = f"({prefix})" if prefix else ""
        said = f" COMMENT {mysql_literal(comment)}" if comment is not None else ""
        return (
            f"ALTER TABLE {table} ADD INDEX {mysql_ident(name)} ({mysql_ident(column)}{length}){said},"
            " ALGORITHM=INPLACE, LOCK=NONE"
        )

    def drop_index(self, table: str, name: str) -> str:
        return f"ALTER TABLE {table} DROP INDEX {mysql_ident(name)}, ALGORITHM=INPLACE, LOCK=NONE"

    # purgekit.erase -----------------------------------------------------------------------------------

    batch_operator = "IN"

    def quote(self, name: str) -> str:
        return mysql_ident(name)

    def batch_operand(self, parameter: str, sql_type: str) -> str:
        return f":{parameter}"  # an expanding parameter: IN (%s, %s, ...)

    def batch_statement(self, sql: str) -> TextClause:
        names = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", sql))
        return text(sql).bindparams(*(bindparam(name, expanding=True) for name in names))

    def session_statements(self, settings: Settings) -> list[str]:
        # The procedure runs with contactStore as its default schema; `DELETE t FROM ... AS t` needs one.
        return [f"USE {mysql_ident(settings.store_name(HOST_STORE))}"]

    def delete_statement(self, reference: str, predicate: str) -> str:
        return f"DELETE t FROM {reference} AS t WHERE {predicate}"

    def counted_delete(
        self,
        reference: str,
        predicate: Callable[[str], str],
        columns: list[str],
        key: CarriedKey | None = None,
    ) -> tuple[str, str | None]:
        if self.returns_deleted:
            # MariaDB's single-table DELETE returns what it deleted (no alias there: the table names it).
            returned = ", ".join(
                [f"{reference}.{mysql_ident(c)}" for c in columns] + self.carried(key, f"{reference}.")
            )
            return f"DELETE FROM {reference} WHERE {predicate(reference)} RETURNING {returned}, 1", None
        # MySQL 8 has no DELETE ... RETURNING: lock and count the rows, then delete exactly those.
        selected = ", ".join([f"t.{mysql_ident(c)}" for c in columns] + self.carried(key, "t."))
        return (
            f"SELECT {selected}, COUNT(*) FROM {reference} AS t WHERE {predicate('t')} GROUP BY {selected} FOR UPDATE",
            self.delete_statement(reference, predicate("t")),
        )

    def key_text(self, alias: str, columns) -> str:
        return "CONCAT(" + ", CHAR(31), ".join(f"{alias}.{mysql_ident(c)}" for c in columns) + ")"

    def key_value(self, values) -> str:
        # A boolean column is a TINYINT: CONCAT writes it 1 or 0.
        return "\x1f".join(str(int(v)) if isinstance(v, bool) else str(v) for v in values)

    # ER_LOCK_DEADLOCK: InnoDB rolled the batch back to break a deadlock; it may run again.
    retryable_errors = frozenset({1213})
    # ER_LOCK_WAIT_TIMEOUT: innodb_lock_wait_timeout passed.
    lock_wait_errors = frozenset({1205})

    def is_retryable(self, error: BaseException, lock_wait: bool = False) -> bool:
        arguments = getattr(getattr(error, "orig", None), "args", ())
        code = arguments[0] if arguments else None
        return code in self.retryable_errors or (lock_wait and code in self.lock_wait_errors)

    receipt_clock = "UTC_TIMESTAMP(6)"
    receipt_user = "CURRENT_USER()"

    def receipts_reference(self, settings: Settings) -> str:
        return f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(RECEIPTS_TABLE)}"

    def own_tables_schema(self, settings: Settings) -> str:
        return settings.store_name(HOST_STORE)

    def receipt_objects(self, settings: Settings) -> list[DatabaseObject]:
        return [
            MySqlTable(
                schema=settings.store_name(HOST_STORE),
                name=RECEIPTS_TABLE,
                definition=(
                    "`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY",
                    "`erased_at` DATETIME(6) NOT NULL COMMENT 'UTC'",
                    "`erased_by` VARCHAR(288) NOT NULL COMMENT 'CURRENT_USER(): user@host'",
                    "`number_hash` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL",
                    # The jid erased, hashed the same way: tells a later erasure of the number which account it was.
                    "`jid_hash` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL",
                    "`rows_per_table` JSON NOT NULL",
                    "`total` BIGINT NOT NULL",
                    f"KEY `{RECEIPTS_TABLE}_number_hash` (`number_hash`)",
                    # Only ever a hex digest: a phone number cannot be stored here by mistake.
                    f"CONSTRAINT `{RECEIPTS_TABLE}_number_hash_hex` CHECK (`number_hash` REGEXP '^[0-9a-f]{{64}}$')",
                    f"CONSTRAINT `{RECEIPTS_TABLE}_jid_hash_hex` CHECK (`jid_hash` REGEXP '^[0-9a-f]{{64}}$')",
                    f"CONSTRAINT `{RECEIPTS_TABLE}_total` CHECK (`total` >= 0)",
                ),
                comment="purgekit: one row per erasure; number_hash is HMAC-SHA256 of the wa_id, never the number",
            )
        ]

    def salt_check_reference(self, settings: Settings) -> str:
        return f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(SALT_CHECK_TABLE)}"

    def salt_check_objects(self, settings: Settings) -> list[DatabaseObject]:
        return [
            MySqlTable(
                schema=settings.store_name(HOST_STORE),
                name=SALT_CHECK_TABLE,
                definition=(
                    "`id` TINYINT NOT NULL PRIMARY KEY CHECK (`id` = 1)",
                    "`kdf` VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL",
                    "`check_value` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL",
                    "`recorded_at` DATETIME(6) NOT NULL COMMENT 'UTC'",
                    "`recorded_by` VARCHAR(288) NOT NULL COMMENT 'CURRENT_USER(): user@host'",
                    f"CONSTRAINT `{SALT_CHECK_TABLE}_hex` CHECK (`check_value` REGEXP '^[0-9a-f]{{64}}$')",
                ),
                comment="purgekit: the check value of the receipts' salt (never the salt)",
            )
        ]

    def insert_once(self, reference: str, columns: list[str], values: list[str]) -> str:
        # Not INSERT IGNORE, which would also turn a failed CHECK into a warning.
        return (
            f"INSERT INTO {reference} ({', '.join(columns)}) VALUES ({', '.join(values)})"
            f" ON DUPLICATE KEY UPDATE {columns[0]} = {columns[0]}"
        )

    def rows_guard(self, kept: KeptRows) -> Guard:
        # The mysql client's variable that lets an offline downgrade drop the rows: @purgekit_drop_receipts.
        variable = f"@purgekit_{kept.option}"
        option = f"--init-command=\"SET {variable}='yes'\""
        # The script stops on an error only; setting sql_mode to this text is one that quotes it (no commas:
        # sql_mode would read them as separators).
        message = (
            f"purgekit: this downgrade drops {kept.table} which holds {kept.noun} ({kept.purpose}):"
            f" export them; then run the script with {option}; nothing was changed"
        )
        return Guard(
            check=f"SELECT CONCAT(COUNT(*), ' {kept.noun}') FROM {kept.reference} HAVING COUNT(*) > 0",
            refusal=self.rows_refusal(kept),
            script="\n".join(
                [
                    f"-- purgekit: this downgrade drops {kept.reference}, {kept.purpose}. While it holds",
                    f"-- {kept.noun} the next statement stops the script (an error quoting why): export them, then run",
                    f"-- it with mysql {option}.",
                    f"SET SESSION sql_mode = COALESCE((SELECT {mysql_literal(message)} FROM DUAL"
                    f" WHERE COALESCE({variable}, '') <> 'yes'"
                    f" AND EXISTS (SELECT 1 FROM {kept.reference})), @@SESSION.sql_mode);",
                ]
            ),
        )

    script_title = "purgekit offline script for MySQL / MariaDB"

    def script_header(self, settings: Settings, secrets: set[str]) -> str:
        schema = settings.store_name(HOST_STORE)
        return "\n".join(
            [
                f"-- {self.script_title}, schema {schema}, to run as it is:",
                "--   mysql < THIS_SCRIPT",
                "-- Routine bodies are wrapped in DELIMITER lines, which the mysql client needs.",
                "-- MySQL commits each DDL statement by itself: on error, fix the cause and re-run from there.",
                "-- The mysql client leaves out the -- comments inside routine bodies unless run with --comments",
                "-- (mysql --comments < THIS_SCRIPT): the routine works the same either way.",
                # A routine keeps the character set of the client that created it: pin the one online
                # installs use (PyMySQL's utf8mb4), whatever the mysql client's default is.
                "SET NAMES utf8mb4;",
            ]
        )

    def secret_placeholder(self, secret: Secret) -> str:
        raise NotImplementedError(f"the MySQL objects hold no secret, yet {secret.name} was asked for")

    def script_statement(self, statement: Statement) -> str:
        if not statement.is_routine:
            return super().script_statement(statement)
        # The mysql client splits on ';' unless told otherwise; Alembic does not write DELIMITER lines.
        return f"DELIMITER {ROUTINE_DELIMITER}\n{statement.sql}\n{ROUTINE_DELIMITER}\nDELIMITER ;"


class MariaDBDialect(MySQLDialect):
    """MariaDB: MySQL's family, and its single-table DELETE returns what it deleted. Picked from the server a
    connection reaches (family_of()), or a mariadb:// URL; it renders the same objects and scripts."""

    name = "mariadb"
    returns_deleted = True
