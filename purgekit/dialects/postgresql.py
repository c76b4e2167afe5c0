from __future__ import annotations

from collections.abc import Callable, Mapping

from purgekit.config import Settings
from purgekit.dialects.base import ERASE_ROUTINE, MAX_WA_ID, RECEIPTS_TABLE, Dialect
from purgekit.objects import (
    DatabaseObject,
    ForeignServer,
    ForeignTable,
    OwnedExtension,
    PgFunction,
    Schema,
    UserMapping,
)
from purgekit.objects.index import PgIndex
from purgekit.objects.table import PgTable
from purgekit.sql import Secret, pg_ident, pg_literal, pg_quote_ident
from purgekit.stores import DEFAULT_JID_DOMAIN, PHONE_COLUMN, PHONE_TABLE, Identity, Store, UserTable, stores_of

# The client keeps every store's tables in its database's public schema.
CLIENT_SCHEMA = "public"
# The store whose database hosts the erase function; the others are reached through postgres_fdw.
HOST_STORE = Store.CONTACT
FDW_PASSWORD = "fdw_password"

_COLUMN_TYPES = {"varchar": "character varying(256)", "text": "text", "bigint": "bigint"}
_VARIABLE = {Identity.JID: "v_jid", Identity.USER_NUMBER: "v_number"}


def foreign_server_name(store: Store) -> str:
    """purgekit's own server names, so a server made by following document 000 never collides."""
    return f"purgekit_{store.value.lower()}"


class PostgreSQLDialect(Dialect):
    name = "postgresql"

    def erase_objects(self, settings: Settings, plan: tuple[UserTable, ...]) -> list[DatabaseObject]:
        assert settings.fdw is not None
        owner = settings.routine_owner
        remote_stores = [store for store in stores_of(plan) if store is not HOST_STORE]
        password = Secret(FDW_PASSWORD, settings.fdw.password or "")
        objects: list[DatabaseObject] = [
            Schema(settings.schema, owner),
            OwnedExtension("postgres_fdw", settings.schema),
        ]
        for store in remote_stores:
            options = (
                ("host", settings.fdw.host),
                ("port", str(settings.fdw.port)),
                ("dbname", settings.store_name(store)),
            )
            objects.append(ForeignServer(foreign_server_name(store), options))
        for store in remote_stores:
            objects.append(UserMapping(foreign_server_name(store), owner, settings.fdw.user, password))
        for table in plan:
            if table.store is not HOST_STORE:
                objects.append(self._foreign_table(settings, table))
        objects.append(
            PgFunction(
                schema="public",
                name=ERASE_ROUTINE,
                arguments="wa_id bigint",
                signature="bigint",
                returns="TABLE (store text, table_name text, rows_deleted bigint)",
                body=self.erase_body(settings, plan),
                owner=owner,
                grantees=settings.execute_grantees,
            )
        )
        return objects

    def _foreign_table(self, settings: Settings, table: UserTable) -> ForeignTable:
        return ForeignTable(
            schema=settings.schema,
            name=table.name,
            server=foreign_server_name(table.store),
            remote_schema=CLIENT_SCHEMA,
            remote_name=table.name,
            columns=tuple((column.name, _COLUMN_TYPES[column.type]) for column in table.columns),
            owner=settings.routine_owner,
        )

    def table_reference(self, settings: Settings, table: UserTable) -> str:
        """Where the erase function reaches a table: a local table, or purgekit's foreign table."""
        schema = CLIENT_SCHEMA if table.store is HOST_STORE else settings.schema
        return f"{pg_ident(schema)}.{pg_ident(table.name)}"

    def match_predicate(
        self, table: UserTable, alias: str = "t", operands: Mapping[Identity, str] = _VARIABLE, operator: str = "="
    ) -> str:
        """A row is the user's: the routine compares with its variables; purgekit.erase with `operands`."""
        return " OR ".join(f"{alias}.{pg_ident(c.name)} {operator} {operands[c.identity]}" for c in table.columns)

    def erase_body(self, settings: Settings, plan: tuple[UserTable, ...]) -> str:
        phones = f"{pg_ident(CLIENT_SCHEMA)}.{pg_ident(PHONE_TABLE.name)}"
        lines = [
            "DECLARE",
            "    v_phone text;",
            "    v_jid text;",
            "    v_number bigint;",
            "    v_deleted bigint;",
            "BEGIN",
            f"    IF wa_id IS NULL OR wa_id < 1 OR wa_id > {MAX_WA_ID} THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            "            MESSAGE = format("
            "'wa_id %s is not a phone number: digits only, country code first, at most 15 digits', wa_id);",
            "    END IF;",
            "    v_phone := '+' || wa_id::text;",
            "    -- The jid the client filed the user under: wa_phones may map the phone to another account.",
            f"    SELECT p.jid INTO v_jid FROM {phones} AS p WHERE p.{PHONE_COLUMN} = v_phone ORDER BY p.jid LIMIT 1;",
            "    IF v_jid IS NULL THEN",
            f"        v_jid := wa_id::text || '@{DEFAULT_JID_DOMAIN}';",
            "    END IF;",
            "    IF split_part(v_jid, '@', 1) !~ '^[0-9]{1,18}$' THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'data_exception',",
            "            MESSAGE = format('wa_phones maps %s to %s, which is not a user jid', v_phone, v_jid);",
            "    END IF;",
            "    -- Numeric ids come from the resolved jid, never from the number typed in.",
            "    v_number := split_part(v_jid, '@', 1)::bigint;",
            "    -- Each DELETE compares columns with variables only, so postgres_fdw ships it whole to the",
            "    -- remote server (direct modify) instead of fetching and locking the table row by row.",
        ]
        for table in plan:
            lines += [
                f"    DELETE FROM {self.table_reference(settings, table)} AS t WHERE {self.match_predicate(table)};",
                "    GET DIAGNOSTICS v_deleted = ROW_COUNT;",
                f"    store := {pg_literal(settings.store_name(table.store))}; table_name := {pg_literal(table.name)};"
                " rows_deleted := v_deleted;",
                "    RETURN NEXT;",
            ]
        lines.append("END")
        return "\n".join(lines)

    def erase_call(self, settings: Settings) -> str:
        return f"SELECT store, table_name, rows_deleted FROM public.{pg_quote_ident(ERASE_ROUTINE)}(:wa_id)"

    # purgekit.erase -----------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        return pg_ident(name)

    def batch_operand(self, parameter: str, sql_type: str) -> str:
        # A constant array once bound: postgres_fdw ships `column = ANY ('{...}'::text[])` whole.
        return f"ANY(CAST(:{parameter} AS {sql_type}[]))"

    def delete_statement(self, reference: str, predicate: str) -> str:
        return f"DELETE FROM {reference} AS t WHERE {predicate}"

    def counted_delete(
        self, reference: str, predicate: Callable[[str], str], columns: list[str], mariadb: bool = False
    ) -> tuple[str, str | None]:
        # Still a direct modify inside the CTE: the remote server deletes and returns the identities.
        returned = ", ".join(f"t.{pg_ident(c)}" for c in columns)
        grouped = ", ".join(pg_ident(c) for c in columns)
        return (
            f"WITH deleted AS ({self.delete_statement(reference, predicate('t'))} RETURNING {returned})"
            f" SELECT {grouped}, COUNT(*) FROM deleted GROUP BY {grouped}",
            None,
        )

    receipt_clock = "now()"
    receipt_user = "current_user"

    def receipts_reference(self, settings: Settings) -> str:
        return f"{pg_ident(settings.schema)}.{pg_ident(RECEIPTS_TABLE)}"

    def receipt_objects(self, settings: Settings) -> list[DatabaseObject]:
        table = PgTable(
            schema=settings.schema,
            name=RECEIPTS_TABLE,
            definition=(
                "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                "erased_at timestamp with time zone NOT NULL DEFAULT now()",
                "erased_by text NOT NULL DEFAULT current_user",
                # Only ever a hex digest: a phone number cannot be stored here by mistake.
                "number_hash character(64) NOT NULL CHECK (number_hash ~ '^[0-9a-f]{64}$')",
                # The jid erased, hashed the same way: tells a later erasure of the number which account it was.
                "jid_hash character(64) NOT NULL CHECK (jid_hash ~ '^[0-9a-f]{64}$')",
                "rows_per_table json NOT NULL",
                "total bigint NOT NULL CHECK (total >= 0)",
            ),
            owner=settings.routine_owner,
        )
        return [table, PgIndex(settings.schema, f"{RECEIPTS_TABLE}_number_hash", RECEIPTS_TABLE, ("number_hash",))]

    script_title = "purgekit offline script for PostgreSQL"

    def script_header(self, settings: Settings, secrets: set[str]) -> str:
        database = settings.store_name(HOST_STORE)
        variables = "".join(f" -v {name}=..." for name in sorted(secrets))
        lines = [
            f"-- {self.script_title}, to run in the {database} database as it is:",
            f"--   psql -v ON_ERROR_STOP=1{variables} -d {database} -f THIS_SCRIPT",
        ]
        if FDW_PASSWORD in secrets:
            lines += [
                f"-- {FDW_PASSWORD} is the password of the user mappings' remote user (empty when the server needs",
                "-- none). It is never written into this script; psql substitutes it where :'fdw_password' stands.",
            ]
        lines.append("-- The whole script runs in one transaction: any error leaves the database as it was.")
        return "\n".join(lines)

    def secret_guard(self, secret: Secret) -> str:
        message = f"purgekit: pass -v {secret.name}=... to psql; this script never contains it"
        return "\n".join(
            [
                f"\\if :{{?{secret.name}}}",
                "\\else",
                f"DO $do$ BEGIN RAISE EXCEPTION {pg_literal(message)}; END $do$;",
                "\\endif",
            ]
        )

    def secret_placeholder(self, secret: Secret) -> str:
        return f":'{secret.name}'"
