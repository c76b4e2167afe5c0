"""The indexes the erasure's deletes need: which are missing, and the online DDL that adds them.

A DELETE of the plan finds a user's rows through an index only when every column its predicate
ORs together leads some index; otherwise the database reads the whole table for every user erased
(messages.remote_resource, typically: seconds a user at 5 million messages, against milliseconds
with the index). `purgekit doctor` names those columns; the optional Alembic chain in
migrations_indexes/ (`alembic -n indexes upgrade head`) creates an index on each, online:
PostgreSQL `CREATE INDEX CONCURRENTLY`, MySQL `ALTER TABLE ... ADD INDEX ..., ALGORITHM=INPLACE,
LOCK=NONE`. Every index purgekit creates is named purgekit_<table>_<column> and carries a comment saying
the index chain built it (OWNED); the chain's downgrade drops the indexes with that comment and nothing
else, so an index a DBA made by hand from `purgekit doctor`'s advice (the same name, no such comment) stays.

On PostgreSQL the tables live in each store's own database: purgekit connects to contactStore with
the URL, and to the other stores as postgres_fdw does (PURGEKIT_FDW_* settings, the URL's by default);
that role must own the tables to index them. On MySQL the stores are schemas of the URL's server.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

from purgekit.config import Settings
from purgekit.sql import engine_for, execute_as_written
from purgekit.stores import ERASURE_PLAN_V1, Store, UserTable

PREFIX = "purgekit_"
# PostgreSQL truncates identifiers at 63 bytes, MySQL refuses index names over 64 characters.
MAX_NAME = 63
INDEX_VERSION_TABLE = "purgekit_index_version"
# The comment that marks an index the chain built: what its downgrade drops, and all it drops.
OWNED = "purgekit: built by the index chain (alembic -n indexes); its downgrade drops it"

# A child of Alembic's logger: `alembic -n indexes upgrade head` shows each statement as it runs.
log = logging.getLogger("alembic.purgekit.indexes")


@dataclass(frozen=True)
class IndexSpec:
    """An index purgekit would create: one column of a table of the plan."""

    store: Store
    table: str
    column: str

    @property
    def name(self) -> str:
        name = f"{PREFIX}{self.table}_{self.column}"
        if len(name) <= MAX_NAME:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: MAX_NAME - 9]}_{digest}"


def plan_indexes(plan: tuple[UserTable, ...] = ERASURE_PLAN_V1) -> list[IndexSpec]:
    """One per column a delete of the plan matches on, in plan order."""
    specs = [IndexSpec(table.store, table.name, column.name) for table in plan for column in table.columns]
    return list(dict.fromkeys(specs))


# --- where the tables are ---------------------------------------------------------------------


def store_url(settings: Settings, store: Store) -> URL:
    """Where the store's tables are (MySQL: the URL's server; PostgreSQL: the store's database, as postgres_fdw
    reaches it)."""
    return settings.family.store_url(settings, store)


@contextlib.contextmanager
def store_connection(settings: Settings, store: Store, autocommit: bool = False) -> Iterator[Connection]:
    """A connection that sees the store's tables (store_url())."""
    url = store_url(settings, store)
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = engine_for(url, **options)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def table_name(settings: Settings, store: Store, table: str) -> str:
    """The table as SQL on a store_connection()."""
    return settings.family.store_table(settings, store, table)


# --- the catalog ------------------------------------------------------------------------------


def _indexes(
    connection: Connection, settings: Settings, store: Store, table: str
) -> list[tuple[str, str, bool, str | None]]:
    """(name, leading column, usable, comment) of each index of the table (PostgreSQL: usable = valid, not
    partial)."""
    family = settings.family
    query, schema = family.indexes_query, family.indexes_schema(settings, store)
    return [
        (name, column, bool(usable), comment)
        for name, column, usable, comment in connection.execute(text(query), {"schema": schema, "table": table})
    ]


def leading_columns(connection: Connection, settings: Settings, store: Store, table: str) -> set[str]:
    """Columns that lead a usable index of the table."""
    return {column for _, column, usable, _ in _indexes(connection, settings, store, table) if usable and column}


def existing_names(connection: Connection, settings: Settings, store: Store, table: str) -> dict[str, bool]:
    """The table's index names starting with purgekit_, each with whether it is usable."""
    found = _indexes(connection, settings, store, table)
    return {name: usable for name, _, usable, _ in found if name.startswith(PREFIX)}


def owned_names(connection: Connection, settings: Settings, store: Store, table: str) -> set[str]:
    """The table's indexes the index chain built: those carrying its comment (OWNED)."""
    return {name for name, _, _, comment in _indexes(connection, settings, store, table) if comment == OWNED}


def missing(connection: Connection, settings: Settings, specs: list[IndexSpec]) -> list[IndexSpec]:
    """The specs (all of one store) whose column leads no usable index."""
    found: dict[str, set[str]] = {}
    result = []
    for spec in specs:
        if spec.table not in found:
            found[spec.table] = leading_columns(connection, settings, spec.store, spec.table)
        if spec.column not in found[spec.table]:
            result.append(spec)
    return result


# --- DDL --------------------------------------------------------------------------------------


def create_statement(connection: Connection | None, settings: Settings, spec: IndexSpec, owned: bool = False) -> str:
    """The online CREATE for the spec (connection: to tell, on MySQL, whether the column is TEXT). `owned`:
    the index chain's own, marked with OWNED (MySQL inline; PostgreSQL by mark_statement() after it); what
    `purgekit doctor` prints for a DBA to run by hand carries no mark."""
    family, store, table = settings.family, spec.store, spec.table
    prefix = 0 if connection is None else family.prefix_length(connection, settings, store, table, spec.column)
    comment = OWNED if owned else None
    return family.create_index(table_name(settings, store, table), spec.name, spec.column, prefix, comment)


def mark_statement(settings: Settings, spec: IndexSpec) -> str | None:
    """PostgreSQL: the COMMENT that marks the chain's index as its own (MySQL marks it in its CREATE)."""
    return settings.family.mark_index(spec.name, OWNED)


def drop_statement(settings: Settings, spec: IndexSpec) -> str:
    return settings.family.drop_index(table_name(settings, spec.store, spec.table), spec.name)


def by_store(specs: list[IndexSpec]) -> dict[Store, list[IndexSpec]]:
    grouped: dict[Store, list[IndexSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.store, []).append(spec)
    return grouped


# --- what the index chain does ----------------------------------------------------------------


def create_missing(settings: Settings, plan: tuple[UserTable, ...] = ERASURE_PLAN_V1) -> list[IndexSpec]:
    """Create, online, an index on every column of the plan that leads none; return what was created.

    An invalid purgekit_ index (a CREATE INDEX CONCURRENTLY that failed half-way, whoever ran it: it serves
    no query) is dropped and built again, and is then the chain's. Each index built is marked OWNED.
    """
    created = []
    for store, specs in by_store(plan_indexes(plan)).items():
        with store_connection(settings, store, autocommit=True) as connection:
            names = {}
            for spec in specs:
                if spec.table not in names:
                    names[spec.table] = existing_names(connection, settings, store, spec.table)
                if names[spec.table].get(spec.name) is False:
                    execute_as_written(connection, drop_statement(settings, spec))
            for spec in missing(connection, settings, specs):
                statement = create_statement(connection, settings, spec, owned=True)
                log.info(statement)
                execute_as_written(connection, statement)
                mark = mark_statement(settings, spec)
                if mark is not None:
                    execute_as_written(connection, mark)
                created.append(spec)
    return created


def drop_created(settings: Settings, plan: tuple[UserTable, ...] = ERASURE_PLAN_V1) -> list[IndexSpec]:
    """Drop, online, every index the chain built (named purgekit_<table>_<column> and marked OWNED); an index
    of that name without the mark (a DBA's, from doctor's advice) stays."""
    dropped = []
    for store, specs in by_store(plan_indexes(plan)).items():
        with store_connection(settings, store, autocommit=True) as connection:
            names: dict[str, set[str]] = {}
            for spec in specs:
                if spec.table not in names:
                    names[spec.table] = owned_names(connection, settings, store, spec.table)
                if spec.name in names[spec.table]:
                    statement = drop_statement(settings, spec)
                    log.info(statement)
                    execute_as_written(connection, statement)
                    dropped.append(spec)
    return dropped


# --- running the chain from Python ------------------------------------------------------------


def alembic_config(settings: Settings):
    """purgekit.deploy's Alembic configuration, on its [indexes] section (as alembic.ini has it)."""
    from purgekit.deploy import INDEX_SECTION
    from purgekit.deploy import alembic_config as main_config

    config = main_config(settings)
    config.config_ini_section = INDEX_SECTION
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """`alembic -n indexes upgrade head`."""
    from alembic import command

    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(settings), revision)
