from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sqlalchemy import TextClause, bindparam, text

from purgekit.config import Settings
from purgekit.dialects.base import ERASE_ROUTINE, MAX_WA_ID, RECEIPTS_TABLE, Dialect
from purgekit.objects import DatabaseObject, MySqlProcedure
from purgekit.objects.table import MySqlTable
from purgekit.sql import Secret, Statement, mysql_ident, mysql_literal
from purgekit.stores import DEFAULT_JID_DOMAIN, PHONE_COLUMN, PHONE_TABLE, Identity, Store, UserTable

# The schema that hosts the erase procedure, as document 000 has it.
HOST_STORE = Store.CONTACT
# What the mysql client reads as the end of a routine body, which has semicolons of its own.
ROUTINE_DELIMITER = "//"

_VARIABLE = {Identity.JID: "v_jid", Identity.USER_NUMBER: "v_number"}


def temporary_table_guard(tables: list[tuple[str, str]]) -> list[str]:
    """Routine body lines refusing to go on when a temporary table of the caller's session shadows one of
    `tables` ((schema, table) pairs, as the client names them).

    MySQL and MariaDB resolve a table name to the session's temporary table of that name first, even inside an
    SQL SECURITY DEFINER routine: a caller allowed CREATE TEMPORARY TABLES could make the routine read (and
    delete by) rows of their own. CREATE TEMPORARY TABLE of a name fails (error 1050) only when the session
    already has a temporary table of that name, so each name is probed that way and the probe dropped. Put
    the block before START TRANSACTION (MySQL refuses temporary-table DDL in a transaction under GTID
    consistency). The routine's DEFINER needs CREATE TEMPORARY TABLES on the tables' schemas.
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
            f"        CREATE TEMPORARY TABLE {qualified} (purgekit_probe INT);",
            f"        DROP TEMPORARY TABLE {qualified};",
        ]
    lines.append("    END;")
    return lines


class MySQLDialect(Dialect):
    name = "mysql"

    def erase_objects(self, settings: Settings, plan: tuple[UserTable, ...]) -> list[DatabaseObject]:
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

    def match_predicate(
        self, table: UserTable, alias: str = "t", operands: Mapping[Identity, str] = _VARIABLE, operator: str = "="
    ) -> str:
        """A row is the user's: the routine compares with its variables; purgekit.erase with `operands`."""
        return " OR ".join(f"{alias}.{mysql_ident(c.name)} {operator} {operands[c.identity]}" for c in table.columns)

    def erase_body(self, settings: Settings, plan: tuple[UserTable, ...]) -> str:
        counters = [f"n{index}" for index in range(len(plan))]
        phones = self.table_reference(settings, PHONE_TABLE)
        lines = [
            "BEGIN",
            "    DECLARE v_phone VARCHAR(32);",
            "    DECLARE v_jid VARCHAR(256);",
            "    DECLARE v_number BIGINT;",
            f"    DECLARE {', '.join(counters)} BIGINT DEFAULT 0;",
            "    -- All or nothing: any error undoes every store's deletes, then reaches the caller.",
            "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
            "    BEGIN",
            "        ROLLBACK;",
            "        RESIGNAL;",
            "    END;",
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

    def erase_call(self, settings: Settings) -> str:
        return f"CALL {mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(ERASE_ROUTINE)}(:wa_id)"

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
        self, reference: str, predicate: Callable[[str], str], columns: list[str], mariadb: bool = False
    ) -> tuple[str, str | None]:
        if mariadb:
            # MariaDB's single-table DELETE returns what it deleted (no alias there: the table names it).
            returned = ", ".join(f"{reference}.{mysql_ident(c)}" for c in columns)
            return f"DELETE FROM {reference} WHERE {predicate(reference)} RETURNING {returned}, 1", None
        # MySQL 8 has no DELETE ... RETURNING: lock and count the rows, then delete exactly those.
        selected = ", ".join(f"t.{mysql_ident(c)}" for c in columns)
        return (
            f"SELECT {selected}, COUNT(*) FROM {reference} AS t WHERE {predicate('t')} GROUP BY {selected} FOR UPDATE",
            self.delete_statement(reference, predicate("t")),
        )

    receipt_clock = "UTC_TIMESTAMP(6)"
    receipt_user = "CURRENT_USER()"

    def receipts_reference(self, settings: Settings) -> str:
        return f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(RECEIPTS_TABLE)}"

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
