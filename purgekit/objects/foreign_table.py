from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.objects.foreign_server import render_options
from purgekit.sql import Statement, pg_ident


@dataclass(frozen=True, repr=False)
class ForeignTable(DatabaseObject):
    """A postgres_fdw foreign table: only the columns the erase function matches on, as the remote declares them."""

    schema: str
    name: str
    server: str
    remote_schema: str
    remote_name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type)
    owner: str | None = None
    kind = "foreign table"

    @property
    def identity(self) -> str:
        return f"{pg_ident(self.schema)}.{pg_ident(self.name)}"

    def create(self) -> list[Statement]:
        columns = ",\n".join(f"    {pg_ident(name)} {sql_type}" for name, sql_type in self.columns)
        options = render_options((("schema_name", self.remote_schema), ("table_name", self.remote_name)))
        statements = [Statement(f"CREATE FOREIGN TABLE {self.identity} (\n{columns}\n)\nSERVER {pg_ident(self.server)}\n{options}")]
        if self.owner:
            statements.append(Statement(f"ALTER FOREIGN TABLE {self.identity} OWNER TO {pg_ident(self.owner)}"))
        return statements

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP FOREIGN TABLE {self.identity} RESTRICT")]
