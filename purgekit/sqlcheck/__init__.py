"""The parsers read every statement of an offline script, so that a syntax error is caught before a DBA
sees it: PostgreSQL's own (pglast) for PostgreSQL scripts (purgekit/sqlcheck/postgresql.py), sqlglot for
MySQL's (purgekit/sqlcheck/mysql.py, with the statements sqlglot has no grammar for in UNPARSED).

    python -m purgekit.sqlcheck postgresql sql/postgresql/upgrade.sql
"""

from __future__ import annotations

from pathlib import Path

from purgekit.dialects import MySQLDialect, PostgreSQLDialect, family_for
from purgekit.sqlcheck.mysql import UNPARSED, MySQLReader
from purgekit.sqlcheck.postgresql import PostgreSQLReader
from purgekit.sqlcheck.report import Problem, Report, ScriptReader

# Each family's reader.
_READERS: dict[type, type[ScriptReader]] = {PostgreSQLDialect: PostgreSQLReader, MySQLDialect: MySQLReader}


def check_script(script: str, dialect: str) -> Report:
    """Read a whole offline script of `dialect` ("postgresql" or "mysql")."""
    return family_for(dialect).pick(_READERS)(script).read()


def check_file(path: Path, dialect: str) -> list[str]:
    """One line per problem: `path:line: message: statement`."""
    return [f"{path}:{p.line}: {p.message}: {p.statement}" for p in check_script(path.read_text(), dialect).problems]


__all__ = ["UNPARSED", "Problem", "Report", "check_file", "check_script"]
