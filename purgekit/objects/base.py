from __future__ import annotations

from abc import ABC, abstractmethod

from purgekit.sql import Statement


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

    def __repr__(self) -> str:
        return f"<{self.kind} {self.identity}>"
