"""A table of purgekit's own declared once, as a SQLAlchemy Table, and rendered for the family it is
installed on (CREATE TABLE and its indexes, DROP TABLE), as the synthetic stores' tables are.

For the tables new revisions add (the service's jobs, revision 0009), which purgekit then reads and
writes through SQLAlchemy Core from the same declaration. The released tables (receipts, the salt check,
the collector's checkpoint) stay written per family in purgekit/dialects/ and purgekit/gc/: SQLAlchemy
would render them differently, and the SQL of a released revision never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Table
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement

if TYPE_CHECKING:
    from purgekit.dialects import Dialect


@dataclass(frozen=True, repr=False, eq=False)
class DeclaredTable(DatabaseObject):
    """`table` (its schema set: where the family keeps purgekit's tables) as `family` creates it, owned by
    `owner` where the family has owners."""

    table: Table
    family: Dialect
    owner: str | None = None
    kind = "table"

    @property
    def identity(self) -> str:
        return self.family.sql_dialect.identifier_preparer.format_table(self.table)

    def _compiled(self, element) -> Statement:
        sql = str(element.compile(dialect=self.family.sql_dialect)).strip()
        return Statement("\n".join(line.rstrip() for line in sql.splitlines()))

    def create(self) -> list[Statement]:
        indexes = sorted(self.table.indexes, key=lambda index: index.name or "")
        owned = self.family.table_owner_statements(self.identity, self.owner)
        return [
            self._compiled(CreateTable(self.table)),
            *(self._compiled(CreateIndex(index)) for index in indexes),
            *map(Statement, owned),
        ]

    def drop(self) -> list[Statement]:
        return [Statement(f"{self._compiled(DropTable(self.table)).sql}{self.family.drop_table_suffix}")]

    def granted(self, connection):
        return self.family.table_grants(connection, self.table.schema, self.table.name)

    def __eq__(self, other: object) -> bool:
        # The same rendering is the same definition (revisions.replace() leaves such a table alone).
        return isinstance(other, DeclaredTable) and [s.sql for s in self.create()] == [s.sql for s in other.create()]

    def __hash__(self) -> int:
        return hash(self.identity)
