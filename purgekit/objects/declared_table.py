"""A table of purgekit's own declared once as a SQLAlchemy Table, rendered for the database it lands on.

The service's jobs table (revision 0009) is read and written through SQLAlchemy Core, so its columns are
declared once, as a Table, and the same declaration renders its CREATE TABLE for PostgreSQL and MySQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from purgekit.objects.base import DatabaseObject
from purgekit.objects.privileges import mysql_table_grants, pg_relation_grants
from purgekit.sql import Statement, mysql_ident, pg_ident


@dataclass(frozen=True, eq=False, repr=False)
class DeclaredTable(DatabaseObject):
    """`table` (declared without a schema) placed in `schema`, rendered by this family's SQLAlchemy dialect."""

    table: sa.Table = field(compare=False)
    schema: str
    kind = "table"
    sa_dialect: ClassVar[sa.engine.Dialect]
    drop_clause: ClassVar[str] = ""

    @staticmethod
    def quote(name: str) -> str:
        raise NotImplementedError

    @property
    def placed(self) -> sa.Table:
        return self.table.to_metadata(sa.MetaData(), schema=self.schema)

    @property
    def identity(self) -> str:
        return f"{self.quote(self.schema)}.{self.quote(self.table.name)}"

    def create(self) -> list[Statement]:
        table = self.placed
        statements = [CreateTable(table)] + [CreateIndex(index) for index in table.indexes]
        rendered = [str(statement.compile(dialect=self.sa_dialect)).strip() for statement in statements]
        return [Statement("\n".join(line.rstrip() for line in sql.splitlines())) for sql in rendered]

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP TABLE {self.identity}{self.drop_clause}")]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (self.identity, self.create()) == (other.identity, other.create())

    def __hash__(self) -> int:
        return hash(self.identity)


@dataclass(frozen=True, eq=False, repr=False)
class PgDeclaredTable(DeclaredTable):
    """In purgekit's schema, owned by `owner` when given."""

    owner: str | None = None
    # "named": a % in a setting (a hostile prefix) is written as it is, not doubled for a driver.
    sa_dialect = postgresql.dialect(paramstyle="named")
    # RESTRICT: a view or foreign key someone else built on it stops the downgrade.
    drop_clause = " RESTRICT"
    quote = staticmethod(pg_ident)

    def create(self) -> list[Statement]:
        owned = [Statement(f"ALTER TABLE {self.identity} OWNER TO {pg_ident(self.owner)}")] if self.owner else []
        return super().create() + owned

    def granted(self, connection):
        return pg_relation_grants(connection, self.schema, self.table.name)


@dataclass(frozen=True, eq=False, repr=False)
class MySqlDeclaredTable(DeclaredTable):
    """InnoDB, utf8mb4 (the Table's mysql_* options)."""

    sa_dialect = mysql.dialect(paramstyle="named")
    quote = staticmethod(mysql_ident)

    def granted(self, connection):
        return mysql_table_grants(connection, self.schema, self.table.name)
