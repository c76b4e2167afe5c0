"""One class per database family: every difference between PostgreSQL and MySQL lives here."""

from __future__ import annotations

from purgekit.dialects.base import Dialect
from purgekit.dialects.mysql import MySQLDialect
from purgekit.dialects.postgresql import PostgreSQLDialect

_DIALECTS: dict[str, type[Dialect]] = {
    "postgresql": PostgreSQLDialect,
    "mysql": MySQLDialect,
    "mariadb": MySQLDialect,
}


def dialect_for(name: str) -> Dialect:
    """The purgekit dialect for a SQLAlchemy dialect name."""
    try:
        return _DIALECTS[name]()
    except KeyError:
        raise ValueError(f"purgekit supports postgresql, mysql and mariadb, not {name!r}") from None


__all__ = ["Dialect", "MySQLDialect", "PostgreSQLDialect", "dialect_for"]
