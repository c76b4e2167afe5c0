from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.objects.privileges import pg_acl
from purgekit.sql import Statement, pg_ident, pg_literal


def render_options(options: tuple[tuple[str, str], ...]) -> str:
    return "OPTIONS (" + ", ".join(f"{key} {pg_literal(value)}" for key, value in options) + ")"


def catalog_options(options: list[str] | None) -> dict[str, str]:
    """A catalog's options array (srvoptions, umoptions, ftoptions: 'key=value') as a dict."""
    return dict(option.partition("=")[::2] for option in options or [])


def options_drift(actual: dict[str, str], expected: dict[str, str], secret: tuple[str, ...] = ()) -> list[str]:
    """Differences between installed and expected options. A `secret` option must be present; its
    value is never compared, nor shown."""
    phrases = [f"option {key} missing" for key in secret if key not in actual]
    for key, value in expected.items():
        if key not in actual:
            phrases.append(f"option {key} missing, expected {pg_literal(value)}")
        elif actual[key] != value:
            phrases.append(f"option {key} is {pg_literal(actual[key])}, expected {pg_literal(value)}")
    for key in sorted(actual.keys() - expected.keys() - set(secret)):
        phrases.append(f"option {key} is {pg_literal(actual[key])}, not expected")
    return phrases


@dataclass(frozen=True, repr=False)
class ForeignServer(DatabaseObject):
    """A postgres_fdw server: one per store the erase function reaches from contactStore."""

    name: str
    options: tuple[tuple[str, str], ...]
    wrapper: str = "postgres_fdw"
    kind = "foreign server"

    @property
    def identity(self) -> str:
        return pg_ident(self.name)

    def create(self) -> list[Statement]:
        return [
            Statement(
                f"CREATE SERVER {self.identity} FOREIGN DATA WRAPPER {pg_ident(self.wrapper)}\n"
                f"    {render_options(self.options)}"
            )
        ]

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP SERVER {self.identity} RESTRICT")]

    def granted(self, connection):
        source = "SELECT s.srvacl, s.srvowner FROM pg_catalog.pg_foreign_server AS s WHERE s.srvname = :name"
        return pg_acl(connection, source, {"name": self.name})

    def mapped_roles(self, connection) -> set[str]:
        """The roles with a user mapping on this server ('public' for PUBLIC's)."""
        rows = connection.execute(
            text("SELECT um.usename FROM pg_catalog.pg_user_mappings AS um WHERE um.srvname = :name"),
            {"name": self.name},
        )
        return {role for (role,) in rows}

    def drift(self, connection, revision):
        row = connection.execute(
            text(
                "SELECT w.fdwname, s.srvoptions FROM pg_catalog.pg_foreign_server AS s"
                " JOIN pg_catalog.pg_foreign_data_wrapper AS w ON w.oid = s.srvfdw WHERE s.srvname = :name"
            ),
            {"name": self.name},
        ).first()
        if row is None:
            return ["missing"]
        wrapper, options = row
        phrases = [f"foreign-data wrapper is {wrapper}, expected {self.wrapper}"] if wrapper != self.wrapper else []
        return phrases + options_drift(catalog_options(options), dict(self.options))
