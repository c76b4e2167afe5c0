"""Alembic operations for purgekit's database objects.

Migrations call `op.create_object(obj)`, `op.drop_object(obj)` and `op.replace_object(old, new)`;
each is a small reversible MigrateOperation. Online and offline (`--sql`) go through the same
`emit`: online it executes the statement, offline it writes it as the database's own client reads it.
"""

from __future__ import annotations

from alembic.operations import MigrateOperation, Operations
from alembic.runtime.migration import MigrationContext

from purgekit.dialects import family_for
from purgekit.objects import DatabaseObject
from purgekit.sql import Statement, execute_as_written, percent_escaped

# Where purgekit.verify hands in an ObjectLedger (Alembic Config.attributes) to learn what revisions install.
LEDGER = "purgekit_ledger"


class ObjectLedger:
    """What a chain of revisions installs, kept while their operations run (purgekit.verify replays them
    offline): each object by kind and identity, with the revision that last defined it."""

    def __init__(self) -> None:
        self.revision: str | None = None  # the revision whose operations are running
        self._objects: dict[tuple[str, str], tuple[str | None, DatabaseObject]] = {}

    def created(self, target: DatabaseObject) -> None:
        self._objects[(target.kind, target.identity)] = (self.revision, target)

    def dropped(self, target: DatabaseObject) -> None:
        self._objects.pop((target.kind, target.identity), None)

    def installed(self) -> list[tuple[str | None, DatabaseObject]]:
        """(revision, object) for every object installed, in creation order."""
        return list(self._objects.values())


def _ledger(operations: Operations) -> ObjectLedger | None:
    config = operations.migration_context.config
    return config.attributes.get(LEDGER) if config is not None else None


def _guarded_secrets(context: MigrationContext) -> set[str]:
    """Secrets whose guard this offline script already has: each is checked once, before first use."""
    if not hasattr(context, "_purgekit_guarded_secrets"):
        context._purgekit_guarded_secrets = set()  # type: ignore[attr-defined]
    return context._purgekit_guarded_secrets  # type: ignore[attr-defined]


def secrets_used(context: MigrationContext) -> set[str]:
    """The secrets an offline script rendered so far asks for (the names of the client's variables)."""
    return set(_guarded_secrets(context))


def emit(operations: Operations, statement: Statement) -> None:
    context = operations.migration_context
    dialect = family_for(context.dialect.name)
    if context.as_sql:
        for secret in statement.secrets:
            if secret.name not in _guarded_secrets(context):
                _guarded_secrets(context).add(secret.name)
                context.impl.static_output(dialect.secret_guard(secret))
        context.impl.static_output(dialect.script_statement(statement))
        return
    connection = operations.get_bind()
    if statement.secrets:
        # Secrets travel as bound parameters (the engine hides parameters in errors and logs); the driver
        # reads '%' as its own, so every '%' of the text is escaped, and none of the text can name a secret.
        sql = statement.render(lambda secret: f"%({secret.name})s", percent_escaped)
        connection.exec_driver_sql(sql, {secret.name: secret.value for secret in statement.secrets})
    else:
        # The text goes to the driver untouched, '%' and ':' included.
        execute_as_written(connection, statement.sql)


class ReversibleOp(MigrateOperation):
    """An operation on one object, undone by another (Alembic's cookbook, "Replaceable Objects")."""

    def __init__(self, target: DatabaseObject) -> None:
        self.target = target

    @classmethod
    def invoke_for_target(cls, operations: Operations, target: DatabaseObject) -> None:
        operations.invoke(cls(target))

    def reverse(self) -> ReversibleOp:
        raise NotImplementedError


@Operations.register_operation("create_object", "invoke_for_target")
class CreateObjectOp(ReversibleOp):
    """Create a purgekit database object."""

    def reverse(self) -> DropObjectOp:
        return DropObjectOp(self.target)


@Operations.register_operation("drop_object", "invoke_for_target")
class DropObjectOp(ReversibleOp):
    """Drop a purgekit database object."""

    def reverse(self) -> CreateObjectOp:
        return CreateObjectOp(self.target)


@Operations.register_operation("replace_object")
class ReplaceObjectOp(MigrateOperation):
    """Replace an object by a new definition of it (Alembic's "Replaceable Objects" recipe).

    Drop + create, which every dialect supports (MySQL has no CREATE OR REPLACE PROCEDURE); a
    migration's downgrade replaces the new definition by the old one.
    """

    def __init__(self, old: DatabaseObject, new: DatabaseObject) -> None:
        if old.identity != new.identity:
            raise ValueError(f"{old!r} and {new!r} are not the same object")
        self.old, self.new = old, new

    @classmethod
    def replace_object(cls, operations: Operations, old: DatabaseObject, new: DatabaseObject) -> None:
        """Replace `old` by `new`, the same object defined anew."""
        operations.invoke(cls(old, new))

    def reverse(self) -> ReplaceObjectOp:
        return ReplaceObjectOp(self.new, self.old)


@Operations.implementation_for(CreateObjectOp)
def _create(operations: Operations, operation: CreateObjectOp) -> None:
    for statement in operation.target.create():
        emit(operations, statement)
    if ledger := _ledger(operations):
        ledger.created(operation.target)


@Operations.implementation_for(DropObjectOp)
def _drop(operations: Operations, operation: DropObjectOp) -> None:
    for statement in operation.target.drop():
        emit(operations, statement)
    if ledger := _ledger(operations):
        ledger.dropped(operation.target)


@Operations.implementation_for(ReplaceObjectOp)
def _replace(operations: Operations, operation: ReplaceObjectOp) -> None:
    for statement in operation.old.replace(operation.new):
        emit(operations, statement)
    if ledger := _ledger(operations):
        ledger.created(operation.new)
