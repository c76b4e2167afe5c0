from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.objects.foreign_server import catalog_options, options_drift, render_options
from purgekit.objects.privileges import pg_relation_grants
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

    def _remote_options(self) -> tuple[tuple[str, str], ...]:
        return (("schema_name", self.remote_schema), ("table_name", self.remote_name))

    def create(self) -> list[Statement]:
        columns = ",\n".join(f"    {pg_ident(name)} {sql_type}" for name, sql_type in self.columns)
        options = render_options(self._remote_options())
        statements = [
            Statement(
                f"CREATE FOREIGN TABLE {self.identity} (\n{columns}\n)\nSERVER {pg_ident(self.server)}\n{options}"
            )
        ]
        if self.owner:
            statements.append(Statement(f"ALTER FOREIGN TABLE {self.identity} OWNER TO {pg_ident(self.owner)}"))
        return statements

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP FOREIGN TABLE {self.identity} RESTRICT")]

    def replace(self, new: DatabaseObject) -> list[Statement]:
        """Only columns added or dropped: ALTER FOREIGN TABLE, which keeps the table's privileges (a DELETE
        granted to whoever runs `purgekit erase`, say) and whatever depends on its other columns."""
        if not isinstance(new, ForeignTable) or replace(new, columns=self.columns) != self:
            return super().replace(new)
        old_names = {name for name, _ in self.columns}
        new_names = {name for name, _ in new.columns}
        if any(column not in new.columns for column in self.columns if column[0] in new_names):
            return super().replace(new)  # a column changes type
        actions = [f"DROP COLUMN {pg_ident(name)}" for name, _ in self.columns if name not in new_names]
        actions += [
            f"ADD COLUMN {pg_ident(name)} {sql_type}" for name, sql_type in new.columns if name not in old_names
        ]
        return [Statement(f"ALTER FOREIGN TABLE {self.identity}\n    " + ",\n    ".join(actions))] if actions else []

    def granted(self, connection):
        return pg_relation_grants(connection, self.schema, self.name)

    def drift(self, connection, revision):
        row = connection.execute(
            text(
                "SELECT c.oid, s.srvname, f.ftoptions, pg_get_userbyid(c.relowner)"
                " FROM pg_catalog.pg_foreign_table AS f"
                " JOIN pg_catalog.pg_class AS c ON c.oid = f.ftrelid"
                " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
                " JOIN pg_catalog.pg_foreign_server AS s ON s.oid = f.ftserver"
                " WHERE n.nspname = :schema AND c.relname = :name"
            ),
            {"schema": self.schema, "name": self.name},
        ).first()
        if row is None:
            return ["missing"]
        oid, server, options, owner = row
        phrases = [f"server is {server}, expected {self.server}"] if server != self.server else []
        phrases += options_drift(catalog_options(options), dict(self._remote_options()))
        if self.owner and owner != self.owner:
            phrases.append(f"owner is {owner}, expected {self.owner}")
        columns = dict(
            connection.execute(
                text(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute"
                    " WHERE attrelid = :oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
                ),
                {"oid": oid},
            ).all()
        )
        for name, sql_type in self.columns:
            if name not in columns:
                phrases.append(f"column {name} missing")
            elif columns[name] != sql_type:
                phrases.append(f"column {name} is {columns[name]}, expected {sql_type}")
        expected = {name for name, _ in self.columns}
        phrases += [
            f"column {name} ({sql_type}) not expected" for name, sql_type in columns.items() if name not in expected
        ]
        return phrases
