from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from purgekit.sql import Statement

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class DatabaseObject(ABC):
    """Something purgekit creates in a database, and drops again on downgrade."""

    #: The kind of object, as a DBA would say it ("foreign server").
    kind: str = "object"

    @property
    @abstractmethod
    def identity(self) -> str:
        """The object's name as the catalog knows it: what makes two definitions the same object."""

    @abstractmethod
    def create(self) -> list[Statement]: ...

    @abstractmethod
    def drop(self) -> list[Statement]: ...

    def replace(self, new: DatabaseObject) -> list[Statement]:
        """The statements that turn this object into `new`, a new definition of it: DROP + CREATE, unless the
        kind knows a gentler way (one that keeps what others granted on the object, say)."""
        return self.drop() + new.create()

    def drift(self, connection: Connection, revision: str) -> list[str] | None:
        """How the installed object differs from this definition, as the catalog tells: one phrase per
        difference ("missing", "option dbname is 'x', expected 'y'"), [] when none. `revision` is the
        revision this definition comes from, for the phrases. None: `purgekit verify` cannot inspect
        objects of this kind (yet); each kind that can overrides this."""
        return None

    def grants(self) -> set[tuple[tuple[str, str], str, str]]:
        """What create() grants: ((kind, identity) of the object granted on, privilege, grantee)."""
        return set()

    def granted(self, connection: Connection) -> set[tuple[str, str]] | None:
        """(privilege, grantee) that others than the object's owner hold on it, as the catalog tells
        (purgekit/objects/privileges.py); None: `purgekit verify` cannot inspect this kind's privileges."""
        return None

    def __repr__(self) -> str:
        return f"<{self.kind} {self.identity}>"
