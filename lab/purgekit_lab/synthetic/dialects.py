"""What differs between the server families for the synthetic stores: creating, marking, bulk loads."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    LargeBinary,
    cast,
    column,
    func,
    literal,
    text,
)
from sqlalchemy.engine import make_url

from purgekit.dialects import MySQLDialect, PostgreSQLDialect, family_for

# What marks a store as created by SyntheticStores: PostgreSQL, its database's comment; MySQL, a table
# of that name holding it. A store without the mark is never filled or dropped, nor created over.
MARK = "purgekit sample store: created by purgekit_lab.synthetic, which alone may fill or drop it"
MARK_TABLE = "purgekit_sample_store"


# --- what differs between the dialects -----------------------------------------------------------


class Family:
    """How one server family creates stores and feeds bulk loads; the SQL of the rows is shared."""

    create_database = "CREATE DATABASE {name}"
    drop_database = "DROP DATABASE {name}"
    # The stores' database (PostgreSQL) or schema (MySQL) names on the server.
    list_databases: str
    analyze_table = "ANALYZE {name}"
    # Session settings for bulk loads, set before and put back to DEFAULT after.
    bulk_settings: dict[str, str] = {}

    def table_schema(self, store_name: str) -> str:
        """The schema holding a store's tables: the store itself (MySQL) or its database's `public`."""
        return store_name

    def mark(self, admin: Engine, store: Engine, name: str) -> None:
        """Mark the store `name` just created as the synthetic stores' (`admin`: the server, `store`: the store):
        only a marked store is ever filled or dropped."""
        raise NotImplementedError

    def marked(self, admin: Connection) -> set[str]:
        """The names of the stores on the server that carry the mark."""
        raise NotImplementedError

    def numbers(self, lo: int, hi: int) -> FromClause:
        """A FROM item with one BIGINT column `n`, holding lo .. hi-1."""
        raise NotImplementedError

    def quotient(self, dividend: ColumnElement, divisor: int) -> ColumnElement:
        """Integer division (SQLAlchemy's // renders FLOOR(a / b) on MySQL, through DECIMAL)."""
        return dividend // divisor

    def digest(self, value: ColumnElement) -> ColumnElement:
        """16 bytes (BYTEA/BLOB) derived from a text value: stands in for keys and session records."""
        raise NotImplementedError


class PostgreSQLFamily(Family):
    # WITH (FORCE), PostgreSQL 13+, ends the sessions still connected (pools of tests, benchmarks).
    drop_database = "DROP DATABASE {name} WITH (FORCE)"
    bulk_settings = {"maintenance_work_mem": "'256MB'"}  # faster index builds after the load
    list_databases = "SELECT datname FROM pg_catalog.pg_database"

    def table_schema(self, store_name: str) -> str:
        return "public"

    # The mark: the database's comment (in the cluster's shared catalog, readable from any database).
    def mark(self, admin: Engine, store: Engine, name: str) -> None:
        with admin.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote_identifier
            conn.exec_driver_sql(f"COMMENT ON DATABASE {quote(name)} IS '{MARK}'")

    def marked(self, admin: Connection) -> set[str]:
        query = (
            "SELECT d.datname FROM pg_catalog.pg_database AS d JOIN pg_catalog.pg_shdescription AS s"
            " ON s.objoid = d.oid AND s.classoid = 'pg_catalog.pg_database'::regclass WHERE s.description = :mark"
        )
        return set(admin.execute(text(query), {"mark": MARK}).scalars())

    def numbers(self, lo: int, hi: int) -> FromClause:
        # BIGINT, so that the arithmetic on n is BIGINT too (psycopg2 sends bare integer literals).
        bounds = cast(literal(lo), BigInteger), cast(literal(hi - 1), BigInteger)
        return func.generate_series(*bounds).table_valued(column("n", BigInteger)).render_derived(name="numbers")

    def digest(self, value: ColumnElement) -> ColumnElement:
        return func.decode(func.md5(value), "hex", type_=LargeBinary)


class MySQLFamily(Family):
    """MySQL 8 and MariaDB alike: no MariaDB seq_ tables, no recursive CTE (its depth is capped)."""

    create_database = "CREATE DATABASE {name} CHARACTER SET utf8mb4"
    analyze_table = "ANALYZE TABLE {name}"
    list_databases = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
    # InnoDB may then buffer unique secondary-index changes; fill()'s keys are unique by construction.
    bulk_settings = {"unique_checks": "0"}

    def numbers(self, lo: int, hi: int) -> FromClause:
        # One ten-row table per decimal place, cross-joined: 10**places numbers, cut to the size.
        size = hi - lo
        places = range(len(str(size - 1)))
        digits = "SELECT 0 AS d UNION ALL " + " UNION ALL ".join(f"SELECT {d}" for d in range(1, 10))
        offset = " + ".join(f"place{k}.d * {10**k}" for k in places)
        from_ = " CROSS JOIN ".join(f"({digits}) AS place{k}" for k in places)
        sql = f"SELECT CAST({lo} + {offset} AS SIGNED) AS n FROM {from_} WHERE {offset} < {size}"
        return text(sql).columns(column("n", BigInteger)).subquery("numbers")

    def quotient(self, dividend: ColumnElement, divisor: int) -> ColumnElement:
        return dividend.op("DIV", return_type=BigInteger)(divisor)

    # The mark: a table of its own in the schema (MySQL 8 has no schema comments).
    def mark(self, admin: Engine, store: Engine, name: str) -> None:
        with store.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote_identifier
            table = f"{quote(self.table_schema(name))}.{quote(MARK_TABLE)}"
            conn.exec_driver_sql(f"CREATE TABLE {table} (mark VARCHAR(200) NOT NULL) ENGINE=InnoDB")
            conn.exec_driver_sql(f"INSERT INTO {table} VALUES ('{MARK}')")

    def marked(self, admin: Connection) -> set[str]:
        query = "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_NAME = :table"
        return set(admin.execute(text(query), {"table": MARK_TABLE}).scalars())

    def digest(self, value: ColumnElement) -> ColumnElement:
        return func.unhex(func.md5(value), type_=LargeBinary)


# Each of purgekit's families, its synthetic stores' (MariaDB takes MySQL's).
_FAMILIES: dict[type, type[Family]] = {PostgreSQLDialect: PostgreSQLFamily, MySQLDialect: MySQLFamily}


def family_of(url: str) -> Family:
    """How the synthetic stores are made on the server of a SQLAlchemy URL."""
    return family_for(make_url(url).get_dialect().name).pick(_FAMILIES)()


# --- fill(): every table's rows as arithmetic on a row number -----------------------------------
