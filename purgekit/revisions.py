"""What migrations install: a revision names a plan and gets the objects of the database it runs on.

Kept tiny so that migration files stay thin: `objects_for(op, ERASURE_PLAN_V1)`.
"""

from __future__ import annotations

from alembic.operations import Operations

import purgekit.operations  # noqa: F401  (registers op.create_object and friends)
from purgekit.config import Settings
from purgekit.dialects import dialect_for
from purgekit.objects import DatabaseObject
from purgekit.plans import Plan


def settings_of(op: Operations) -> Settings:
    """The Settings env.py put on the migration context."""
    return op.get_context().config.attributes["purgekit_settings"]  # type: ignore[union-attr]


def erase_objects(op: Operations, plan: Plan) -> list[DatabaseObject]:
    dialect = dialect_for(op.get_context().dialect.name)
    return dialect.erase_objects(settings_of(op), plan)


def install(op: Operations, objects: list[DatabaseObject]) -> None:
    for obj in objects:
        op.create_object(obj)


def uninstall(op: Operations, objects: list[DatabaseObject]) -> None:
    for obj in reversed(objects):
        op.drop_object(obj)


def replace(op: Operations, old: list[DatabaseObject], new: list[DatabaseObject]) -> None:
    """Replace each object of `old` by its new definition in `new` (the same objects, in the same order);
    an object defined the same in both is left alone."""
    if [obj.identity for obj in old] != [obj.identity for obj in new]:
        raise ValueError("a revision replaces objects by new definitions of the same objects")
    for before, after in zip(old, new, strict=True):
        if before != after:
            op.replace_object(before, after)
