from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement, pg_ident


@dataclass(frozen=True, repr=False)
class SchemaUsage(DatabaseObject):
    """USAGE on one of purgekit's PostgreSQL schemas for a role: what calling a function in it needs."""

    schema: str
    grantee: str
    kind = "schema usage grant"

    @property
    def identity(self) -> str:
        return f"USAGE ON SCHEMA {pg_ident(self.schema)} TO {pg_ident(self.grantee)}"

    def create(self) -> list[Statement]:
        return [Statement(f"GRANT USAGE ON SCHEMA {pg_ident(self.schema)} TO {pg_ident(self.grantee)}")]

    def drop(self) -> list[Statement]:
        return [Statement(f"REVOKE USAGE ON SCHEMA {pg_ident(self.schema)} FROM {pg_ident(self.grantee)}")]

    def grants(self):
        return {(("schema", pg_ident(self.schema)), "USAGE", self.grantee)}
