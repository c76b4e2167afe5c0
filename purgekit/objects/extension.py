from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement, pg_dollar_quoted, pg_ident, pg_literal


@dataclass(frozen=True, repr=False)
class OwnedExtension(DatabaseObject):
    """A PostgreSQL extension that purgekit installs only when it is missing.

    purgekit installs it into its own schema, and that is how it tells, later, whether it created the
    extension: one that lives elsewhere was there before and is never dropped. When someone else has
    since built on an extension purgekit created (another foreign server, say), downgrade leaves it
    in place, moved to `public`, instead of dropping their objects with it.
    """

    name: str
    schema: str
    kind = "extension"

    @property
    def identity(self) -> str:
        return pg_ident(self.name)

    def _is_ours(self) -> str:
        return (
            "SELECT FROM pg_catalog.pg_extension AS e"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace"
            f" WHERE e.extname = {pg_literal(self.name)} AND n.nspname = {pg_literal(self.schema)}"
        )

    def create(self) -> list[Statement]:
        return [
            Statement(
                "DO "
                + pg_dollar_quoted(
                    "BEGIN\n"
                    "    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension"
                    f" WHERE extname = {pg_literal(self.name)}) THEN\n"
                    f"        CREATE EXTENSION {self.identity} WITH SCHEMA {pg_ident(self.schema)};\n"
                    "    END IF;\n"
                    "END",
                    "do",
                )
            )
        ]

    def drop(self) -> list[Statement]:
        return [
            Statement(
                "DO "
                + pg_dollar_quoted(
                    "BEGIN\n"
                    f"    IF EXISTS ({self._is_ours()}) THEN\n"
                    "        BEGIN\n"
                    f"            DROP EXTENSION {self.identity} RESTRICT;\n"
                    "        EXCEPTION WHEN dependent_objects_still_exist THEN\n"
                    f"            ALTER EXTENSION {self.identity} SET SCHEMA public;\n"
                    f"            RAISE NOTICE 'purgekit: extension {self.name} is in use by objects"
                    " purgekit did not create; kept, moved to schema public';\n"
                    "        END;\n"
                    "    END IF;\n"
                    "END",
                    "do",
                )
            )
        ]

    def drift(self, connection, revision):
        # Wherever it lives: one installed before purgekit (in another schema) serves as well.
        found = connection.execute(
            text("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = :name"), {"name": self.name}
        ).first()
        return [] if found else ["missing"]
