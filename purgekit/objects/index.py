from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement, pg_ident


@dataclass(frozen=True, repr=False)
class PgIndex(DatabaseObject):
    """An index on one of purgekit's own PostgreSQL tables (MySQL tables declare theirs inline)."""

    schema: str
    name: str
    table: str
    columns: tuple[str, ...]
    kind = "index"

    @property
    def identity(self) -> str:
        return f"{pg_ident(self.schema)}.{pg_ident(self.name)}"

    def create(self) -> list[Statement]:
        columns = ", ".join(pg_ident(c) for c in self.columns)
        return [
            Statement(
                f"CREATE INDEX {pg_ident(self.name)} ON {pg_ident(self.schema)}.{pg_ident(self.table)} ({columns})"
            )
        ]

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP INDEX {self.identity} RESTRICT")]
