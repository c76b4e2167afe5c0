from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.objects.privileges import mysql_table_grants, pg_relation_grants
from purgekit.sql import Statement, mysql_ident, mysql_literal, pg_ident


@dataclass(frozen=True, repr=False)
class PgTable(DatabaseObject):
    """A table of purgekit's own (bookkeeping, never the client's data), in purgekit's schema."""

    schema: str
    name: str
    definition: tuple[str, ...]  # column definitions and table constraints, as SQL
    owner: str | None = None
    kind = "table"

    @property
    def identity(self) -> str:
        return f"{pg_ident(self.schema)}.{pg_ident(self.name)}"

    def create(self) -> list[Statement]:
        body = ",\n".join(f"    {line}" for line in self.definition)
        statements = [Statement(f"CREATE TABLE {self.identity} (\n{body}\n)")]
        if self.owner:
            statements.append(Statement(f"ALTER TABLE {self.identity} OWNER TO {pg_ident(self.owner)}"))
        return statements

    def drop(self) -> list[Statement]:
        # RESTRICT: a view or foreign key someone else built on it stops the downgrade.
        return [Statement(f"DROP TABLE {self.identity} RESTRICT")]

    def granted(self, connection):
        return pg_relation_grants(connection, self.schema, self.name)


@dataclass(frozen=True, repr=False)
class MySqlTable(DatabaseObject):
    """A table of purgekit's own (bookkeeping, never the client's data), InnoDB."""

    schema: str
    name: str
    definition: tuple[str, ...]  # column definitions and table constraints, as SQL
    comment: str = ""
    kind = "table"

    @property
    def identity(self) -> str:
        return f"{mysql_ident(self.schema)}.{mysql_ident(self.name)}"

    def create(self) -> list[Statement]:
        body = ",\n".join(f"    {line}" for line in self.definition)
        comment = f" COMMENT={mysql_literal(self.comment)}" if self.comment else ""
        return [Statement(f"CREATE TABLE {self.identity} (\n{body}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4{comment}")]

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP TABLE {self.identity}")]

    def granted(self, connection):
        return mysql_table_grants(connection, self.schema, self.name)
