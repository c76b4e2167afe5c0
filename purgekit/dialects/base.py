from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from sqlalchemy import TextClause, text

from purgekit.config import Settings
from purgekit.objects import DatabaseObject
from purgekit.sql import Secret, Statement
from purgekit.stores import UserTable

# The erase routine keeps document 000's name, so the document's call works unchanged.
ERASE_ROUTINE = "deleteUserDataByPhoneNumber"
# The largest wa_id: E.164 numbers have at most 15 digits.
MAX_WA_ID = 999_999_999_999_999
# purgekit's record of each erasure it ran (revision 0002).
RECEIPTS_TABLE = "purgekit_receipts"


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

    # Erasing from Python (purgekit.erase): the routine's own predicates, over a batch of users --------

    #: How a column is compared with a list of values: `column <batch_operator> <batch_operand(...)>`.
    batch_operator = "="

    @abstractmethod
    def quote(self, name: str) -> str:
        """An identifier, quoted as this database needs."""

    @abstractmethod
    def batch_operand(self, parameter: str, sql_type: str) -> str:
        """What matches any value of the list bound to `parameter` (values of type `sql_type`)."""

    def batch_statement(self, sql: str) -> TextClause:
        """SQL text using batch operands, ready to execute with lists bound to them."""
        return text(sql)

    def session_statements(self, settings: Settings) -> list[str]:
        """What a session runs first, so the routine's statements mean the same from Python."""
        return []

    @abstractmethod
    def delete_statement(self, reference: str, predicate: str) -> str:
        """The routine's DELETE of the rows of `reference` (aliased t) matching `predicate`."""

    def grouped_count(self, reference: str, predicate: str, columns: list[str]) -> str:
        """Rows matching `predicate`, counted per value of the identity columns (a dry run)."""
        selected = ", ".join(f"t.{self.quote(c)}" for c in columns)
        return f"SELECT {selected}, COUNT(*) FROM {reference} AS t WHERE {predicate} GROUP BY {selected}"

    @abstractmethod
    def counted_delete(
        self, reference: str, predicate: Callable[[str], str], columns: list[str], mariadb: bool = False
    ) -> tuple[str, str | None]:
        """SQL deleting the rows matching `predicate(alias)` that yields (identity columns..., rows
        deleted), and a second statement to run after it when the database cannot do both at once."""

    # Receipts (revision 0002) ------------------------------------------------------------------------

    @abstractmethod
    def receipt_objects(self, settings: Settings) -> list[DatabaseObject]:
        """purgekit's table of receipts (and its index): one row per erasure, a salted hash of the number."""

    @abstractmethod
    def receipts_reference(self, settings: Settings) -> str:
        """The receipts table's qualified name."""

    #: SQL for the receipt's erased_at and erased_by, evaluated by the database.
    receipt_clock: str
    receipt_user: str

    # Offline scripts -----------------------------------------------------------------------------

    #: The first words of every offline script's header, by which `python -m purgekit.review check FILE`
    #: tells the script's dialect.
    script_title: str

    @abstractmethod
    def script_header(self, settings: Settings, secrets: set[str]) -> str:
        """Comment lines at the top of an offline script: how to run it, on which database, passing
        which of the client's variables (`secrets`, the names of those the script asks for)."""

    def secret_guard(self, secret: Secret) -> str:
        """Lines that stop an offline script, before its first use of `secret`, when it was not passed."""
        raise NotImplementedError(f"{self.name} scripts take no secrets, yet {secret.name} was asked for")

    @abstractmethod
    def secret_placeholder(self, secret: Secret) -> str:
        """How an offline script refers to a secret the DBA passes when running it."""

    def script_statement(self, statement: Statement) -> str:
        """One statement as the database's command-line client reads it."""
        return statement.render(self.secret_placeholder) + ";"
