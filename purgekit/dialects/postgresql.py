from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL

from purgekit import jids
from purgekit.dialects.base import (
    ERASE_ROUTINE,
    HOST_STORE,
    MAX_WA_ID,
    RECEIPTS_TABLE,
    SALT_CHECK_TABLE,
    CarriedKey,
    Dialect,
    Guard,
    KeptRows,
)
from purgekit.messages import Messages, Related
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
from purgekit.objects.privileges import pg_relation_grants
from purgekit.objects.table import PgTable
from purgekit.plans import ErasurePlan, Plan, key_columns, tables_of
from purgekit.sql import Secret, pg_dollar_quoted, pg_ident, pg_literal, pg_quote_ident
from purgekit.stores import (
    DEFAULT_JID_DOMAIN,
    ERASURE_PLAN_V1,
    PHONE_COLUMN,
    PHONE_TABLE,
    Store,
    UserTable,
    stores_of,
)

if TYPE_CHECKING:
    from purgekit.config import Settings  # which imports this package (Settings.family)

# The client keeps every store's tables in its database's public schema.
CLIENT_SCHEMA = "public"
# The store whose database hosts the erase function; the others are reached through postgres_fdw.
FDW_PASSWORD = "fdw_password"

_COLUMN_TYPES = {"varchar": "character varying(256)", "text": "text", "bigint": "bigint"}
# Exact keys per statement when the routine deletes dependents or probes messages by key: one OR arm per key,
# each an index probe on the remote (= ANY on several columns would probe every combination of their
# values). Planning grows with the square of the arms (measured on messages and message_base_key, PostgreSQL
# 15: 25 arms 1 ms, 50 arms 2.3 ms, 100 arms 9 ms, 500 arms 210 ms), so statements of 50.
KEYED_CHUNK = 50
# Joins the columns of a key into one text value: a character no jid or key id holds.
KEY_SEPARATOR = "chr(31)"
# The variables dependent_delete() uses (besides v_deleted's total and the key arrays k_<column>), declared by
# each body that uses it.
DEPENDENT_DELETE_VARIABLES = [
    "    v_deleted bigint;",
    "    v_rows bigint;",
    "    v_arms text;",
    "    v_from integer;",
    "    v_found text[];",
    "    v_left text[];",
]


def foreign_server_name(store: Store) -> str:
    """purgekit's own server names, so a server made by following document 000 never collides."""
    return f"purgekit_{store.value.lower()}"


class PostgreSQLDialect(Dialect):
    name = "postgresql"
    stores_are_databases = True

    def table_grants(self, connection, schema: str, name: str) -> set[tuple[str, str]]:
        return pg_relation_grants(connection, schema, name)

    def lock_wait_statement(self, seconds: int) -> str:
        return f"SET lock_timeout = '{seconds}s'"

    def erase_objects(self, settings: Settings, plan: Plan) -> list[DatabaseObject]:
        assert settings.fdw is not None
        owner = settings.routine_owner
        tables = tables_of(plan)
        remote_stores = [store for store in stores_of(tables) if store is not HOST_STORE]
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
        for table in tables:
            if table.store is not HOST_STORE:
                objects.append(
                    self._foreign_table(settings, table, tuple((c.name, c.pg_type) for c in key_columns(plan, table)))
                )
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

    def _foreign_table(self, settings: Settings, table: UserTable, keys: tuple[tuple[str, str], ...]) -> ForeignTable:
        """The table's identity columns, then the message key columns plan v2 needs of it (`keys`)."""
        identities = tuple((column.name, _COLUMN_TYPES[column.type]) for column in table.columns)
        named = {name for name, _ in identities}
        return ForeignTable(
            schema=settings.schema,
            name=table.name,
            server=foreign_server_name(table.store),
            remote_schema=CLIENT_SCHEMA,
            remote_name=table.name,
            columns=identities + tuple((name, sql_type) for name, sql_type in keys if name not in named),
            owner=settings.routine_owner,
        )

    def table_reference(self, settings: Settings, table: UserTable) -> str:
        """Where the erase function reaches a table: a local table, or purgekit's foreign table."""
        schema = CLIENT_SCHEMA if table.store is HOST_STORE else settings.schema
        return f"{pg_ident(schema)}.{pg_ident(table.name)}"

    def erase_body(self, settings: Settings, plan: Plan) -> str:
        if isinstance(plan, ErasurePlan):
            return self._erase_body_v2(settings, plan)
        return self._erase_body_v1(settings, plan)

    def _erase_body_v1(self, settings: Settings, plan: tuple[UserTable, ...]) -> str:
        """Revision 0001's body: released, so rendered exactly as it shipped."""
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

    def _erase_body_v2(self, settings: Settings, plan: ErasurePlan) -> str:
        """Plan v2: the jid rule of purgekit/jids.py, and the dependents of the messages deleted."""
        phones = f"{pg_ident(CLIENT_SCHEMA)}.{pg_ident(PHONE_TABLE.name)}"
        key = plan.messages.key
        lines = [
            "DECLARE",
            "    v_phone text;",
            "    v_jid text;",
            "    v_local text;",
            "    v_number bigint;",
            *DEPENDENT_DELETE_VARIABLES,
            "    -- The keys of the deleted messages outside the user's own chat (their dependents are keyed by it).",
            *[f"    k_{column.name} {column.pg_type}[];" for column in key],
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
            f"        v_jid := wa_id::text || {pg_literal(jids.USER_SUFFIX)};",
            "    END IF;",
            "    -- Numeric ids come from the resolved jid, never from the number typed in.",
            *self._user_jid_check(),
            "    -- Each DELETE compares columns with variables only, so postgres_fdw ships it whole to the",
            "    -- remote server (direct modify) instead of fetching and locking the table row by row.",
        ]
        for table in plan.tables:
            reference = self.table_reference(settings, table)
            dependent = plan.dependent_of(table)
            if plan.is_messages(table):
                own_chat = f"d.{pg_ident(key[0].name)} <> v_jid"
                carried = ", ".join(f"array_agg(d.{pg_ident(column.name)}) FILTER (WHERE {own_chat})" for column in key)
                lines += [
                    "    -- The keys of the messages deleted outside the user's own chat come back with the delete.",
                    f"    WITH deleted AS (DELETE FROM {reference} AS t WHERE {self.match_predicate(table)}",
                    f"        RETURNING {', '.join(f't.{pg_ident(column.name)}' for column in key)})",
                    f"    SELECT count(*), {carried}",
                    f"        INTO v_deleted, {', '.join(f'k_{column.name}' for column in key)} FROM deleted AS d;",
                ]
            else:
                lines += [
                    f"    DELETE FROM {reference} AS t WHERE {self.match_predicate(table)};",
                    "    GET DIAGNOSTICS v_deleted = ROW_COUNT;",
                ]
            if dependent is not None:
                lines += self.dependent_delete(settings, plan.messages, dependent)
            lines += [
                f"    store := {pg_literal(settings.store_name(table.store))}; table_name := {pg_literal(table.name)};"
                " rows_deleted := v_deleted;",
                "    RETURN NEXT;",
            ]
        lines.append("END")
        return "\n".join(lines)

    def _user_jid_check(self) -> list[str]:
        """purgekit/jids.py's rule: the jid is the canonical text of a number from 1 to BIGINT's largest, then
        @s.whatsapp.net; compared byte for byte (COLLATE "C"), so no collation or pattern reads it loosely."""
        suffix = pg_literal(jids.USER_SUFFIX)
        return [
            f"    -- A user's jid is exactly <digits>@{jids.USER_DOMAIN} (purgekit/jids.py): a group, a broadcast",
            "    -- list, another case or a stray character stops the erasure here, before anything is deleted.",
            f"    IF right(v_jid, {len(jids.USER_SUFFIX)}) = {suffix} THEN",
            f"        v_local := left(v_jid, -{len(jids.USER_SUFFIX)});",
            f"        IF v_local ~ '^[0-9]{{1,{jids.MAX_USER_DIGITS}}}$' THEN",
            f"            IF v_local::numeric BETWEEN 1 AND {jids.MAX_USER_NUMBER} THEN",
            "                v_number := v_local::bigint;",
            "            END IF;",
            "        END IF;",
            "    END IF;",
            f'    IF v_number IS NULL OR v_jid COLLATE "C" <> (v_number::text || {suffix}) COLLATE "C" THEN',
            "        RAISE EXCEPTION USING ERRCODE = 'data_exception',",
            "            MESSAGE = format('wa_phones maps %s to %s, which is not a user jid"
            f" ({jids.USER_JID_RULE}): nothing deleted', v_phone, to_json(v_jid)::text);",
            "    END IF;",
        ]

    def dependent_delete(self, settings: Settings, messages_table: Messages, dependent: Related) -> list[str]:
        """The dependent's rows of the carried messages (the keys in arrays k_<key column>), by their keys,
        KEYED_CHUNK keys a statement, adding to v_deleted; a row a message left also matches (a twin differing
        in the unmatched key column) is kept. Erase v2 and delete_message (revision 0007) share it."""
        messages = self.table_reference(settings, messages_table)
        key = messages_table.key
        slices = ", ".join(f"k_{column.name}[v_from:v_from + {KEYED_CHUNK - 1}]" for column in key)
        names = ", ".join(pg_ident(column.name) for column in key)
        loop = [
            "    v_from := 1;",
            f"    WHILE v_from <= coalesce(cardinality(k_{key[-1].name}), 0) LOOP",
        ]
        lines = [f"    -- {dependent.name}: the rows of the messages carried, by key, that no message left shares."]
        keep = ""
        unmatched = dependent.unmatched(messages_table)
        if unmatched:
            (flipped,) = unmatched
            shared = dependent.message_columns
            probe = " AND ".join(f"o.{pg_ident(column.name)} = %L" for column in key)
            values = ", ".join(
                f"NOT k.{pg_ident(column.name)}" if column.name == flipped.name else f"k.{pg_ident(column.name)}"
                for column in key
            )
            found = f" || {KEY_SEPARATOR} || ".join(f"o.{pg_ident(name)}::text" for name in shared)
            lines += [
                "    v_left := '{}';",
                *loop,
                f"        SELECT string_agg(format('({probe})', {values}), ' OR ') INTO v_arms",
                f"            FROM unnest({slices}) AS k({names});",
                "        EXECUTE "
                + pg_literal(f"SELECT array_agg({found}) FROM {messages} AS o WHERE ")
                + " || v_arms INTO v_found;",
                "        v_left := v_left || coalesce(v_found, '{}');",
                f"        v_from := v_from + {KEYED_CHUNK};",
                "    END LOOP;",
            ]
            carried_key = f" || {KEY_SEPARATOR} || ".join(f"k.{pg_ident(name)}::text" for name in shared)
            keep = f"\n            WHERE NOT ({carried_key} = ANY(v_left))"
        arm = " AND ".join(f"t.{pg_ident(column.name)} = %L" for column, _ in dependent.match)
        values = ", ".join(f"k.{pg_ident(theirs)}" for theirs in dependent.message_columns)
        lines += [
            *loop,
            f"        SELECT string_agg(DISTINCT format('({arm})', {values}), ' OR ') INTO v_arms",
            f"            FROM unnest({slices}) AS k({names}){keep};",
            "        IF v_arms IS NOT NULL THEN",
            "            EXECUTE "
            + pg_literal(f"DELETE FROM {self.table_reference(settings, dependent)} AS t WHERE ")
            + " || v_arms;",
            "            GET DIAGNOSTICS v_rows = ROW_COUNT;",
            "            v_deleted := v_deleted + v_rows;",
            "        END IF;",
            f"        v_from := v_from + {KEYED_CHUNK};",
            "    END LOOP;",
        ]
        return lines

    def erase_call(self, settings: Settings) -> str:
        return f"SELECT store, table_name, rows_deleted FROM public.{pg_quote_ident(ERASE_ROUTINE)}(:wa_id)"

    # The client's tables and their indexes: in each store's own database, reached as postgres_fdw does.

    def store_url(self, settings: Settings, store: Store) -> URL:
        """contactStore is the URL's database; the other stores are where postgres_fdw reaches them
        (PURGEKIT_FDW_HOST, _PORT, _USER, _PASSWORD, which default to the URL's own), in their database."""
        if store is HOST_STORE or settings.fdw is None:
            return settings.url.set(database=settings.store_name(store))
        fdw = settings.fdw
        return URL.create(
            settings.url.drivername,
            fdw.user,
            fdw.password,
            fdw.host,
            fdw.port,
            settings.store_name(store),
            settings.url.query,
        )

    def store_table(self, settings: Settings, store: Store, table: str) -> str:
        return f"{pg_ident(CLIENT_SCHEMA)}.{pg_ident(table)}"

    # usable: valid, and not partial.
    indexes_query = (
        "SELECT ic.relname, a.attname, i.indisvalid AND i.indpred IS NULL,"
        " pg_catalog.obj_description(i.indexrelid, 'pg_class') FROM pg_catalog.pg_index AS i"
        " JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid"
        " JOIN pg_catalog.pg_class AS c ON c.oid = i.indrelid"
        " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]"
        " WHERE n.nspname = :schema AND c.relname = :table"
    )

    def indexes_schema(self, settings: Settings, store: Store) -> str:
        return CLIENT_SCHEMA

    def create_index(self, table: str, name: str, column: str, prefix: int, comment: str | None) -> str:
        return f"CREATE INDEX CONCURRENTLY {pg_ident(name)} ON {table} ({pg_ident(column)})"

    def mark_index(self, name: str, comment: str) -> str | None:
        return f"COMMENT ON INDEX {pg_ident(CLIENT_SCHEMA)}.{pg_ident(name)} IS {pg_literal(comment)}"

    def drop_index(self, table: str, name: str) -> str:
        return f"DROP INDEX CONCURRENTLY IF EXISTS {pg_ident(CLIENT_SCHEMA)}.{pg_ident(name)}"

    # purgekit.erase -----------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        return pg_ident(name)

    def batch_operand(self, parameter: str, sql_type: str) -> str:
        # A constant array once bound: postgres_fdw ships `column = ANY ('{...}'::text[])` whole.
        return f"ANY(CAST(:{parameter} AS {sql_type}[]))"

    def delete_statement(self, reference: str, predicate: str) -> str:
        return f"DELETE FROM {reference} AS t WHERE {predicate}"

    def counted_delete(
        self,
        reference: str,
        predicate: Callable[[str], str],
        columns: list[str],
        key: CarriedKey | None = None,
    ) -> tuple[str, str | None]:
        # Still a direct modify inside the CTE: the remote server deletes and returns the identities.
        returned = ", ".join(f"t.{pg_ident(c)}" for c in dict.fromkeys([*columns, *(key.columns if key else ())]))
        grouped = ", ".join([pg_ident(c) for c in columns] + self.carried(key, ""))
        return (
            f"WITH deleted AS ({self.delete_statement(reference, predicate('t'))} RETURNING {returned})"
            f" SELECT {grouped}, COUNT(*) FROM deleted GROUP BY {grouped}",
            None,
        )

    def key_text(self, alias: str, columns) -> str:
        return f" || {KEY_SEPARATOR} || ".join(f"{alias}.{pg_ident(c)}::text" for c in columns)

    def key_value(self, values) -> str:
        return "\x1f".join(("true" if v else "false") if isinstance(v, bool) else str(v) for v in values)

    # Serialization failure, deadlock: a batch that loses either is rolled back whole, and may run again.
    retryable_sqlstates = frozenset({"40001", "40P01"})
    # lock_not_available: a batch's lock_timeout passed.
    lock_wait_sqlstates = frozenset({"55P03"})

    def is_retryable(self, error: BaseException, lock_wait: bool = False) -> bool:
        code = getattr(getattr(error, "orig", None), "pgcode", None)
        return code in self.retryable_sqlstates or (lock_wait and code in self.lock_wait_sqlstates)

    receipt_clock = "now()"
    receipt_user = "current_user"

    def receipts_reference(self, settings: Settings) -> str:
        return f"{pg_ident(settings.schema)}.{pg_ident(RECEIPTS_TABLE)}"

    def own_tables_schema(self, settings: Settings) -> str:
        return settings.schema

    drop_table_suffix = " RESTRICT"

    def table_owner_statements(self, identity: str, owner: str | None) -> list[str]:
        return [f"ALTER TABLE {identity} OWNER TO {pg_ident(owner)}"] if owner else []

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

    def salt_check_reference(self, settings: Settings) -> str:
        return f"{pg_ident(settings.schema)}.{pg_ident(SALT_CHECK_TABLE)}"

    def salt_check_objects(self, settings: Settings) -> list[DatabaseObject]:
        return [
            PgTable(
                schema=settings.schema,
                name=SALT_CHECK_TABLE,
                definition=(
                    "id smallint PRIMARY KEY CHECK (id = 1)",
                    "kdf text NOT NULL",
                    "check_value character(64) NOT NULL CHECK (check_value ~ '^[0-9a-f]{64}$')",
                    "recorded_at timestamp with time zone NOT NULL DEFAULT now()",
                    "recorded_by text NOT NULL DEFAULT current_user",
                ),
                owner=settings.routine_owner,
            )
        ]

    def insert_once(self, reference: str, columns: list[str], values: list[str]) -> str:
        return f"INSERT INTO {reference} ({', '.join(columns)}) VALUES ({', '.join(values)}) ON CONFLICT DO NOTHING"

    def rows_guard(self, kept: KeptRows) -> Guard:
        message = (
            f"purgekit: this downgrade drops {kept.described}, which holds {kept.noun} ({kept.purpose}):"
            f" export them, then run the script with -v {kept.option}=yes; nothing was changed"
        )
        block = (
            f"BEGIN\n    IF EXISTS (SELECT FROM {kept.reference}) THEN\n        RAISE EXCEPTION {pg_literal(message)};"
        )
        return Guard(
            check=f"SELECT count(*)::text || ' {kept.noun}' FROM {kept.reference} HAVING count(*) > 0",
            refusal=self.rows_refusal(kept),
            script="\n".join(
                [
                    f"-- purgekit: this downgrade drops {kept.reference}, {kept.purpose}. While it holds",
                    f"-- {kept.noun} the script stops here: export them, then run it with -v {kept.option}=yes.",
                    f"\\if :{{?{kept.option}}}",
                    "\\else",
                    "DO " + pg_dollar_quoted(block + "\n    END IF;\nEND", "do") + ";",
                    "\\endif",
                ]
            ),
        )

    def foreign_mapping_guards(self, settings: Settings) -> list[Guard]:
        servers = [foreign_server_name(s) for s in stores_of(ERASURE_PLAN_V1) if s is not HOST_STORE]
        owner = settings.routine_owner
        ours = pg_literal(owner) if owner else "current_user"
        check = (
            "SELECT format('%s on %s', um.usename, um.srvname) FROM pg_catalog.pg_user_mappings AS um"
            f" WHERE um.srvname IN ({', '.join(pg_literal(s) for s in servers)}) AND um.usename <> {ours} ORDER BY 1"
        )
        whose = f"for {owner}" if owner else "for the role that runs the migration"
        message = (
            "purgekit: a user mapping of another role on purgekit's foreign servers (%) would be dropped with"
            " them: drop it yourself if it may go (DROP USER MAPPING FOR role SERVER server); nothing was changed"
        )
        block = (
            "DECLARE\n    found text;\nBEGIN\n"
            f"    SELECT string_agg(m.problem, ', ') INTO found FROM ({check}) AS m(problem);\n"
            f"    IF found IS NOT NULL THEN\n        RAISE EXCEPTION {pg_literal(message)}, found;\n    END IF;\nEND"
        )
        return [
            Guard(
                check=check,
                refusal=lambda found: (
                    f"user mapping {', '.join(found)} is not purgekit's (its mappings are {whose}), and"
                    " downgrading past revision 0001 would drop it with purgekit's foreign servers: drop it"
                    " yourself if it may go (DROP USER MAPPING FOR <role> SERVER <server>); nothing was changed"
                ),
                script="\n".join(
                    [
                        "-- purgekit: another role's user mapping on purgekit's foreign servers stops the script here",
                        "-- (the downgrade would drop it with them).",
                        "DO " + pg_dollar_quoted(block, "do") + ";",
                    ]
                ),
            )
        ]

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
