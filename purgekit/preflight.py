"""Preflight: before purgekit works on a database, is it the one the settings name, and does it hold
everything the routines use?

Run by `alembic upgrade` and `purgekit db upgrade` (online), verify, doctor, erase and gc. In order:

1. the URL's database is <prefix>contactStore (MySQL: the URL names no database, or that schema);
2. the four stores exist on the server;
3. every table and column the routines use exists with a type they can compare, derived from the
   plans as data (`columns_used`: a new plan registers how to read it, and is added to PLANS).

Each problem is one line; a failed preflight is exit 2 and nothing is changed. When <x>contactStore and
its sibling stores exist but WA_DB_NAME_PREFIX is not x, the line asks "did you mean WA_DB_NAME_PREFIX=x?".
PostgreSQL's other stores are read as postgres_fdw will reach them (PURGEKIT_FDW_*, by default the
URL's own), so wrong FDW credentials show here too, before anything is installed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit.chat_deletion.plan import CHAT_DELETION_PLAN, ChatDeletionPlan
from purgekit.config import Settings
from purgekit.dialects import MySQLDialect, PostgreSQLDialect
from purgekit.errors import DatabaseProblem, connection_failed, reason
from purgekit.gc.plan import GC_PLAN_V2, CollectionPlan
from purgekit.indexes import store_url
from purgekit.message_deletion.plan import MESSAGE_DELETION_PLAN, MessageDeletionPlan, RevokeRules
from purgekit.plans import ERASURE_PLAN_V2, ErasurePlan
from purgekit.sql import engine_for
from purgekit.stores import PHONE_COLUMN, PHONE_TABLE, Store, UserTable

HOST_STORE = Store.CONTACT
PREFIX_VARIABLE = "WA_DB_NAME_PREFIX"


@dataclass(frozen=True)
class ColumnUse:
    """A column a routine reads or matches on, and the kind of value it compares it with."""

    store: Store
    table: str
    column: str
    kind: str  # "text", "integer" or "boolean"
    # What the routines need it for ("to keep the messages a pending action names"), for the problem line.
    purpose: str = field(default="", compare=False)


def _kind(sql_type: str) -> str:
    """The kind of a type as the plans declare it ("varchar", "text", "character varying(64)", "bigint", ...)."""
    if sql_type.startswith(("varchar", "text", "character")):
        return "text"
    if sql_type in ("bigint", "integer"):
        return "integer"
    if sql_type == "boolean":
        return "boolean"
    raise ValueError(f"preflight has no kind for the plan's type {sql_type!r}")


@functools.singledispatch
def columns_used(plan: object) -> tuple[ColumnUse, ...]:
    """The columns a plan's routines use. Register a function for each kind of plan."""
    raise TypeError(f"preflight does not know the columns a {type(plan).__name__} uses: register it")


@columns_used.register
def _erasure_plan(plan: tuple) -> tuple[ColumnUse, ...]:
    """An erasure plan (UserTables): their identity columns, and wa_phones, where the jid is resolved."""
    if not all(isinstance(table, UserTable) for table in plan):
        raise TypeError("an erasure plan is a tuple of UserTable")
    resolve = "to resolve a phone number to the user's jid"
    uses = [ColumnUse(PHONE_TABLE.store, PHONE_TABLE.name, PHONE_COLUMN, "text", resolve)]
    uses += [
        ColumnUse(PHONE_TABLE.store, PHONE_TABLE.name, c.name, _kind(c.type), resolve) for c in PHONE_TABLE.columns
    ]
    find = "to find the user's rows"
    uses += [ColumnUse(t.store, t.name, c.name, _kind(c.type), find) for t in plan for c in t.columns]
    return tuple(dict.fromkeys(uses))


@columns_used.register
def _collection_plan(plan: CollectionPlan) -> tuple[ColumnUse, ...]:
    """The garbage collector's plan: the messages it walks and ages, and the rows that reference them."""
    messages = plan.messages
    uses = [
        ColumnUse(messages.store, messages.name, c.name, _kind(c.pg_type), messages.purpose) for c in messages.columns
    ]
    for related in (*plan.pending, *plan.dependents):
        uses += [
            ColumnUse(related.store, related.name, c.name, _kind(c.pg_type), related.purpose) for c in related.columns
        ]
    return tuple(dict.fromkeys(uses))


@columns_used.register
def _erasure_plan_with_dependents(plan: ErasurePlan) -> tuple[ColumnUse, ...]:
    """Erasure plan v2: plan v1's columns, the messages' key, and the columns its dependents match on."""
    uses = list(_erasure_plan(plan.tables))
    keys = "to delete the receipts and base keys of the messages deleted"
    uses += [
        ColumnUse(plan.messages.store, plan.messages.name, c.name, _kind(c.pg_type), keys) for c in plan.messages.key
    ]
    for dependent in plan.dependents:
        uses += [
            ColumnUse(dependent.store, dependent.name, c.name, _kind(c.pg_type), dependent.purpose)
            for c in dependent.columns
        ]
    return tuple(dict.fromkeys(uses))


@columns_used.register
def _message_deletion_plan(plan: MessageDeletionPlan) -> tuple[ColumnUse, ...]:
    """Deleting one message (revision 0007): the messages' key, and what its rows are matched on."""
    uses = [
        ColumnUse(plan.messages.store, plan.messages.name, c.name, _kind(c.pg_type), plan.purpose)
        for c in plan.messages.key
    ]
    uses += [
        ColumnUse(related.store, related.name, c.name, _kind(c.pg_type), plan.purpose)
        for related in plan.belonging
        for c in related.columns
    ]
    return tuple(dict.fromkeys(uses))


@columns_used.register
def _chat_deletion_plan(plan: ChatDeletionPlan) -> tuple[ColumnUse, ...]:
    """Deleting a chat (revision 0008): the messages' id and key, the columns the others are matched on."""
    uses = [
        ColumnUse(table.store, table.name, c.name, _kind(c.pg_type), "to delete a chat")
        for table in plan.tables
        for c in plan.columns_read(table)
    ]
    return tuple(dict.fromkeys(uses))


@columns_used.register
def _revoke_rules(rules: RevokeRules) -> tuple[ColumnUse, ...]:
    """What `delete-message --for-everyone` reads to decide (checked then only: purgekit/message_deletion)."""
    messages, participants = rules.messages, rules.participants
    uses = [
        ColumnUse(messages.store, messages.name, c.name, _kind(c.pg_type), rules.purpose) for c in rules.message_columns
    ]
    uses += [
        ColumnUse(participants.store, participants.name, c.name, _kind(c.pg_type), rules.purpose)
        for c in participants.columns
    ]
    return tuple(uses)


# What the installed revisions' routines use (the newest plan of each kind: it uses all its elders do).
PLANS: tuple[object, ...] = (ERASURE_PLAN_V2, GC_PLAN_V2, MESSAGE_DELETION_PLAN, CHAT_DELETION_PLAN)


@dataclass(frozen=True)
class Preflight:
    """What a preflight found: problems (one line each), and what it checked."""

    url: URL
    problems: tuple[str, ...]
    tables: int = 0
    columns: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, settings: Settings) -> str:
        """One line for `purgekit doctor`."""
        if not self.ok:
            return f"schema: {len(self.problems)} problem(s)"
        stores = ", ".join(settings.store_name(store) for store in Store)
        counted = f"{self.tables} tables, {self.columns} columns"
        return f"schema: {stores} hold every table and column the routines use ({counted})"


def check(settings: Settings, plans: Iterable[object] = PLANS, stores: Iterable[Store] = tuple(Store)) -> Preflight:
    """Run the preflight; DatabaseProblem (exit 2) with a line per problem when anything is wrong.
    `stores`: those that must exist (an account allowed EXECUTE alone may see only contactStore)."""
    result = examine(settings, plans, stores)
    if not result.ok:
        raise DatabaseProblem("preflight", settings.url, list(result.problems))
    return result


def require_installed(settings: Settings) -> str:
    """The revision installed; DatabaseProblem (exit 2) when purgekit_version holds none."""
    from purgekit import deploy

    try:
        revision = deploy.current_revision(settings)
    except DBAPIError as error:
        raise connection_failed(settings.url, error) from None
    if revision is None:
        raise DatabaseProblem(
            "nothing installed", settings.url, "no revision in purgekit_version: run `purgekit db upgrade` first"
        )
    return revision


def examine(settings: Settings, plans: Iterable[object] = PLANS, stores: Iterable[Store] = tuple(Store)) -> Preflight:
    """The preflight's findings; DatabaseProblem only when the URL's server cannot be reached at all."""
    catalog = settings.family.pick(_CATALOGS)(settings)
    names = catalog.database_names()
    problems = _location_problems(settings, catalog, names, tuple(stores))
    if problems:
        return Preflight(settings.url, tuple(problems))
    uses = [use for plan in plans for use in columns_used(plan)]
    uses = list(dict.fromkeys(uses))
    problems = []
    for store in dict.fromkeys(use.store for use in uses):
        try:
            found = catalog.columns(store, {use.table for use in uses if use.store is store})
        except SQLAlchemyError as error:
            problems.append(f"cannot read {settings.store_name(store)} {catalog.how(store)}: {reason(error)}")
            continue
        for use in (u for u in uses if u.store is store):
            problems += _column_problems(settings, catalog, use, found)
    tables = len({(use.store, use.table) for use in uses})
    return Preflight(settings.url, tuple(dict.fromkeys(problems)), tables, len(uses))


def _location_problems(settings: Settings, catalog: _Catalog, names: set[str], stores: tuple[Store, ...]) -> list[str]:
    host = settings.store_name(HOST_STORE)
    named = catalog.named_database()
    problems = []
    hinted = False
    if named is not None and named != host:
        problems.append(
            f"the URL names {catalog.kind} {named}; purgekit's routines live in {host}{_hint(settings, names, named)}"
        )
        hinted = True
    missing = [settings.store_name(store) for store in stores if settings.store_name(store) not in names]
    if missing:
        # With <prefix>contactStore there, the prefix is right and a store is missing: no prefix to suggest.
        hint = "" if hinted or host in names else _hint(settings, names, None)
        problems.append(f"no {catalog.kind} {', '.join(missing)} on this server{hint}")
    return problems


def _hint(settings: Settings, names: set[str], named: str | None) -> str:
    """': did you mean WA_DB_NAME_PREFIX=x?' when the URL names xcontactStore, or the stores exist under x."""
    complete = [prefix for prefix in map(_prefix_of, sorted(names)) if prefix is not None]
    prefixes = [p for p in complete if all(f"{p}{store.value}" in names for store in Store)]
    if named is not None and _prefix_of(named) is not None:
        prefixes.insert(0, _prefix_of(named))  # the URL says which
    prefixes = [p for p in dict.fromkeys(prefixes) if p != settings.db_name_prefix]
    if not prefixes:
        return ""
    suggestions = " or ".join(f"{PREFIX_VARIABLE}={p}" if p else f"no {PREFIX_VARIABLE}" for p in prefixes[:3])
    return f": did you mean {suggestions}?"


def _prefix_of(name: str) -> str | None:
    """x for a database named xcontactStore."""
    return name.removesuffix(HOST_STORE.value) if name.endswith(HOST_STORE.value) else None


def missing_column(settings: Settings, use: ColumnUse) -> str:
    """The line for a column the routines use that the stores lack (the preflight's, and the MySQL
    collector's when its installed routine, reading as its definer, finds one missing)."""
    table = f"{settings.store_name(use.store)}.{use.table}"
    return f"column {table}.{use.column} does not exist; the routines use it {use.purpose}".rstrip()


def _column_problems(settings: Settings, catalog: _Catalog, use: ColumnUse, found: dict) -> list[str]:
    table = f"{settings.store_name(use.store)}.{use.table}"
    if use.table not in {name for name, _ in found}:
        return [f"table {table} does not exist; the routines use it"]
    data_type = found.get((use.table, use.column))
    if data_type is None:
        return [missing_column(settings, use)]
    if data_type not in catalog.types[use.kind]:
        return [f"column {table}.{use.column} is {data_type}; the routines compare it with {use.kind} values"]
    return []


# --- the catalogs, per database family --------------------------------------------------------------


class _Catalog:
    kind: str  # what a store is on this server: a database or a schema
    types: dict[str, frozenset[str]]  # the data types each kind of value is compared with

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def named_database(self) -> str | None:
        """The database the URL names, where that matters."""
        return self.settings.url.database or None

    def database_names(self) -> set[str]:
        raise NotImplementedError

    def columns(self, store: Store, tables: set[str]) -> dict[tuple[str, str], str]:
        """(table, column) -> data type, for the store's tables among `tables` (a table without columns
        maps (table, None))."""
        raise NotImplementedError

    def how(self, store: Store) -> str:
        return ""

    @contextmanager
    def _connection(self, url: URL) -> Iterator[Connection]:
        engine = engine_for(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


class _PostgreSQLCatalog(_Catalog):
    kind = "database"
    types = {
        "text": frozenset({"character varying", "text", "character"}),
        "integer": frozenset({"bigint", "integer", "smallint"}),
        "boolean": frozenset({"boolean"}),
    }
    # The client's tables are in each store database's public schema.
    schema = "public"
    _list = "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate"

    def database_names(self) -> set[str]:
        url = self.settings.url
        try:
            with self._connection(url) as connection:
                return set(connection.execute(text(self._list)).scalars())
        except DBAPIError as error:
            if getattr(error.orig, "pgcode", None) != "3D000":  # invalid_catalog_name: no such database
                raise connection_failed(url, error) from None
            first = error
        # The URL's database does not exist: list the server's from its maintenance database, for the hint.
        try:
            with self._connection(url.set(database="postgres")) as connection:
                return set(connection.execute(text(self._list)).scalars())
        except DBAPIError:
            raise connection_failed(url, first) from None

    def how(self, store: Store) -> str:
        if store is HOST_STORE:
            return "(with the URL)"
        return "as postgres_fdw will reach it (PURGEKIT_FDW_HOST, _PORT, _USER, _PASSWORD; by default the URL's)"

    def columns(self, store: Store, tables: set[str]) -> dict[tuple[str, str], str]:
        url = self.settings.url if store is HOST_STORE else store_url(self.settings, store)
        query = text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, NULL) FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND c.relname = ANY(:tables)"
        )
        with self._connection(url) as connection:
            rows = connection.execute(query, {"schema": self.schema, "tables": sorted(tables)})
            return {(table, column): data_type for table, column, data_type in rows}


class _MySQLCatalog(_Catalog):
    kind = "schema"
    types = {
        "text": frozenset({"varchar", "char", "text", "tinytext", "mediumtext", "longtext"}),
        "integer": frozenset({"bigint", "int", "mediumint", "smallint", "tinyint"}),
        "boolean": frozenset({"tinyint", "boolean", "bool"}),
    }

    def database_names(self) -> set[str]:
        url = self.settings.url
        try:
            with self._connection(url.set(database="")) as connection:
                return set(connection.execute(text("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")).scalars())
        except DBAPIError as error:
            raise connection_failed(url, error) from None

    def columns(self, store: Store, tables: set[str]) -> dict[tuple[str, str], str]:
        query = text(
            "SELECT t.TABLE_NAME, c.COLUMN_NAME, LOWER(c.DATA_TYPE) FROM information_schema.TABLES AS t"
            " LEFT JOIN information_schema.COLUMNS AS c"
            " ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME"
            " WHERE t.TABLE_SCHEMA = :schema AND t.TABLE_TYPE = 'BASE TABLE'"
        )
        with self._connection(self.settings.url.set(database="")) as connection:
            rows = connection.execute(query, {"schema": self.settings.store_name(store)})
            return {(table, column): data_type for table, column, data_type in rows if table in tables}


# How each family reads its catalog.
_CATALOGS: dict[type, type[_Catalog]] = {PostgreSQLDialect: _PostgreSQLCatalog, MySQLDialect: _MySQLCatalog}
