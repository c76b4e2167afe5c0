"""What migrations install: a revision names a plan and gets the objects of the database it runs on.

Kept tiny so that migration files stay thin: `objects_for(op, ERASURE_PLAN_V1)`.
"""

from __future__ import annotations

from alembic.operations import Operations

import purgekit.operations  # noqa: F401  (registers op.create_object and friends)
from purgekit.config import SETTINGS_ATTRIBUTE, Settings
from purgekit.dialects import family_for
from purgekit.objects import DatabaseObject
from purgekit.plans import Plan


def settings_of(op: Operations) -> Settings:
    """The Settings env.py put on the migration context."""
    return op.get_context().config.attributes[SETTINGS_ATTRIBUTE]  # type: ignore[union-attr]


def erase_objects(op: Operations, plan: Plan) -> list[DatabaseObject]:
    dialect = family_for(op.get_context().dialect.name)
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
    apply_changes(op, [(before, after) for before, after in zip(old, new, strict=True) if before != after])


Change = tuple[DatabaseObject | None, DatabaseObject | None]


def apply_changes(op: Operations, changes: list[Change]) -> None:
    """(old, new) pairs in order: a replacement, a creation (no old) or a drop (no new)."""
    for old, new in changes:
        if old is not None and new is not None:
            op.replace_object(old, new)
        elif new is not None:
            op.create_object(new)
        elif old is not None:
            op.drop_object(old)


def revert_changes(op: Operations, changes: list[Change]) -> None:
    """Undo apply_changes(changes): each pair reversed, in reverse order."""
    apply_changes(op, [(new, old) for old, new in reversed(changes)])
