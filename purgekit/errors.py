"""purgekit's errors: each carries the line(s) for the user and the process exit code it maps to.

The contract, on every command and in both Alembic environments: `purgekit: <what> (<url, password
masked>): <reason>`, exit 2 for a configuration or connection problem (nothing changed), exit 1 for
a failure once work began; never a traceback. An error may hold several such lines (one per problem).
"""

from __future__ import annotations

from sqlalchemy.engine import URL


class PurgekitError(Exception):
    exit_code = 1


class ConfigurationError(PurgekitError):
    """A setting is missing or malformed."""

    exit_code = 2


class BadInputError(PurgekitError):
    """Input that breaks a rule: rejected before any database work."""

    exit_code = 2


class _OnDatabase(PurgekitError):
    """An error about one database: each problem is one line `<what> (<url, password masked>): <reason>`."""

    def __init__(self, what: str, url: URL, reasons: str | list[str]) -> None:
        self.what, self.url = what, url
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        shown = url.render_as_string(hide_password=True)
        super().__init__("\n".join(f"{what} ({shown}): {_without_password(r, url)}" for r in self.reasons))


class DatabaseProblem(_OnDatabase, ConfigurationError):
    """The database cannot be reached, or is not what purgekit needs (wrong database, missing store or
    column): exit 2, nothing changed."""


class DatabaseFailed(_OnDatabase):
    """A statement failed once work began (a migration, say): exit 1."""


def reason(error: BaseException) -> str:
    """The first line of what the database (or driver) said, without SQLAlchemy's SQL and parameters."""
    original = getattr(error, "orig", None) or error
    args = getattr(original, "args", ())
    if len(args) > 1 and isinstance(args[0], int):
        message = str(args[1])  # PyMySQL: (errno, message)
    else:
        message = str(original)
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def connection_failed(url: URL, error: BaseException, what: str = "cannot connect") -> DatabaseProblem:
    return DatabaseProblem(what, url, reason(error))


def _without_password(text: str, url: URL) -> str:
    # A driver may repeat what it was given (a host name, say): never the password.
    return text.replace(url.password, "***") if url.password else text
