from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement, pg_ident, pg_literal


def render_options(options: tuple[tuple[str, str], ...]) -> str:
    return "OPTIONS (" + ", ".join(f"{key} {pg_literal(value)}" for key, value in options) + ")"


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
