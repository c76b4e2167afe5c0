"""One class per database family: every difference between PostgreSQL and MySQL/MariaDB lives here.

Each family registers itself under its SQLAlchemy dialect name when defined (purgekit/dialects/base.py);
Settings.family is the one for a configured URL, family_of(connection) the one for a server reached.
"""

from __future__ import annotations

from purgekit.dialects.base import Dialect, family_for, family_of
from purgekit.dialects.mysql import MariaDBDialect, MySQLDialect
from purgekit.dialects.postgresql import PostgreSQLDialect

# The name others have imported.
dialect_for = family_for

__all__ = ["Dialect", "MariaDBDialect", "MySQLDialect", "PostgreSQLDialect", "dialect_for", "family_for", "family_of"]
