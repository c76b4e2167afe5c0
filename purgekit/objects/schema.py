from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.objects.privileges import pg_acl
from purgekit.sql import Statement, pg_ident


@dataclass(frozen=True, repr=False)
class Schema(DatabaseObject):
    """A PostgreSQL schema of purgekit's own, so its objects never collide with the database's."""

    name: str
    owner: str | None = None
    kind = "schema"

    @property
    def identity(self) -> str:
        return pg_ident(self.name)

    def create(self) -> list[Statement]:
        authorization = f" AUTHORIZATION {pg_ident(self.owner)}" if self.owner else ""
        return [Statement(f"CREATE SCHEMA {self.identity}{authorization}")]

    def drop(self) -> list[Statement]:
        # RESTRICT: whatever someone else put in the schema stops the downgrade rather than vanishing.
        return [Statement(f"DROP SCHEMA {self.identity} RESTRICT")]

    def granted(self, connection):
        source = "SELECT n.nspacl, n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = :name"
        return pg_acl(connection, source, {"name": self.name})

    def drift(self, connection, revision):
        owner = connection.execute(
            text("SELECT pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = :name"),
            {"name": self.name},
        ).scalar()
        if owner is None:
            return ["missing"]
        return [f"owner is {owner}, expected {self.owner}"] if self.owner and owner != self.owner else []
