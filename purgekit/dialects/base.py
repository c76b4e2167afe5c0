from __future__ import annotations

from abc import ABC, abstractmethod

from purgekit.config import Settings
from purgekit.objects import DatabaseObject
from purgekit.sql import Secret, Statement
from purgekit.stores import UserTable

# The erase routine keeps document 000's name, so the document's call works unchanged.
ERASE_ROUTINE = "deleteUserDataByPhoneNumber"
# The largest wa_id: E.164 numbers have at most 15 digits.
MAX_WA_ID = 999_999_999_999_999


class Dialect(ABC):
    """How purgekit renders its objects and scripts for one database family."""

    name: str

    @abstractmethod
    def erase_objects(self, settings: Settings, plan: tuple[UserTable, ...]) -> list[DatabaseObject]:
        """Everything the erase routine needs, in creation order (downgrade drops them in reverse)."""

    def version_table_schema(self, settings: Settings) -> str | None:
        """Where purgekit's Alembic version table lives; None: the connection's default schema."""
        return None

    @abstractmethod
    def erase_call(self, settings: Settings) -> str:
        """The SQL that erases one user, with a `:wa_id` bound parameter (SQLAlchemy text())."""

    # Offline scripts -----------------------------------------------------------------------------

    @abstractmethod
    def script_header(self) -> str:
        """Comment lines at the top of an offline script: how to run it."""

    def secret_guard(self, secret: Secret) -> str:
        """Lines that stop an offline script, before its first use of `secret`, when it was not passed."""
        raise NotImplementedError(f"{self.name} scripts take no secrets, yet {secret.name} was asked for")

    @abstractmethod
    def secret_placeholder(self, secret: Secret) -> str:
        """How an offline script refers to a secret the DBA passes when running it."""

    def script_statement(self, statement: Statement) -> str:
        """One statement as the database's command-line client reads it."""
        return statement.render(self.secret_placeholder) + ";"
