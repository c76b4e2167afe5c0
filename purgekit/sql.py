"""SQL text as purgekit emits it: statements, secrets kept out of them, and quoting in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.dialects import mysql, postgresql


@dataclass(frozen=True)
class Secret:
    """A value that must never be written into SQL text, a script, a log or an error.

    Online it travels as a bound parameter; offline it becomes a variable of the client that runs the
    script (psql's -v name=value), so scripts can be reviewed and committed.
    """

    name: str
    value: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Statement:
    """One SQL statement.

    `sql` holds `{name}` placeholders for each of `secrets` (and then no other braces). A routine body
    contains semicolons of its own, which the mysql client needs DELIMITER lines for.
    """

    sql: str
    secrets: tuple[Secret, ...] = ()
    is_routine: bool = False

    def render(self, placeholder) -> str:
        """The SQL with each secret replaced by `placeholder(secret)`."""
        if not self.secrets:
            return self.sql
        return self.sql.format(**{secret.name: placeholder(secret) for secret in self.secrets})


_PG = postgresql.dialect().identifier_preparer
_MYSQL = mysql.dialect().identifier_preparer


def pg_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted when it must be (mixed case, reserved words): SQLAlchemy's rules."""
    return _PG.quote(name)


def pg_quote_ident(name: str) -> str:
    """A PostgreSQL identifier, always quoted."""
    return _PG.quote_identifier(name)


def pg_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def mysql_ident(name: str) -> str:
    return _MYSQL.quote_identifier(name)


def mysql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def mysql_account(account: str) -> str:
    """'user'@'host' from `user@host` or an already quoted account; CURRENT_USER stays as it is."""
    if account.upper() == "CURRENT_USER" or account.startswith("'") or account.startswith("`"):
        return account
    user, _, host = account.partition("@")
    return f"{mysql_literal(user)}@{mysql_literal(host or '%')}"
