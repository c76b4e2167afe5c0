from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.objects.foreign_server import catalog_options, options_drift
from purgekit.sql import Secret, Statement, pg_dollar_quoted, pg_ident, pg_literal


@dataclass(frozen=True, repr=False)
class UserMapping(DatabaseObject):
    """The credentials a role uses on one of purgekit's foreign servers.

    The password is a Secret: a bound parameter online, a psql variable in offline scripts. It is
    always set, empty when the server needs none, so online and offline installs leave the same catalog.
    """

    server: str
    role: str | None  # None: CURRENT_USER, the role running the migration
    remote_user: str
    password: Secret
    kind = "user mapping"

    @property
    def _role(self) -> str:
        return pg_ident(self.role) if self.role else "CURRENT_USER"

    @property
    def identity(self) -> str:
        return f"{self._role} SERVER {pg_ident(self.server)}"

    def create(self) -> list[Statement]:
        return [
            Statement(
                f"CREATE USER MAPPING FOR {self.identity}\n    OPTIONS (user {pg_literal(self.remote_user)}, password ",
                self.password,
                ")",
            )
        ]

    def drop(self) -> list[Statement]:
        # Every mapping on purgekit's own server goes, whoever runs the downgrade: the server is
        # purgekit's, and DROP SERVER ... RESTRICT would refuse while a mapping remains.
        return [
            Statement(
                "DO "
                + pg_dollar_quoted(
                    "DECLARE\n    mapping record;\nBEGIN\n"
                    "    FOR mapping IN SELECT um.usename FROM pg_catalog.pg_user_mappings AS um\n"
                    f"        WHERE um.srvname = {pg_literal(self.server)}\n"
                    "    LOOP\n"
                    "        IF mapping.usename = 'public' THEN\n"
                    "            EXECUTE format('DROP USER MAPPING FOR PUBLIC SERVER %I',"
                    f" {pg_literal(self.server)});\n"
                    "        ELSE\n"
                    "            EXECUTE format('DROP USER MAPPING FOR %I SERVER %I',"
                    f" mapping.usename, {pg_literal(self.server)});\n"
                    "        END IF;\n"
                    "    END LOOP;\n"
                    "END",
                    "do",
                )
            )
        ]

    def drift(self, connection, revision):
        # CURRENT_USER: the role running verify, which must be the one that ran the migration.
        row = connection.execute(
            text(
                "SELECT umoptions FROM pg_catalog.pg_user_mappings"
                " WHERE srvname = :server AND usename = coalesce(:role, current_user)"
            ),
            {"server": self.server, "role": self.role},
        ).first()
        if row is None:
            return ["missing"]
        if row.umoptions is None:  # what PostgreSQL shows a role that is neither the mapped one nor superuser
            return ["options not visible to the role running verify (run it as the mapped role or a superuser)"]
        # The password's value is never read into a message: only that it is there.
        return options_drift(catalog_options(row.umoptions), {"user": self.remote_user}, secret=("password",))
