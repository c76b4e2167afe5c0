"""Deleting one message (document 002): exactly that message and what belongs only to it, locally, or for
everyone too when WhatsApp's rules allow it.

plan.py says what goes and what the rules read; postgresql.py and mysql.py render the routine revision 0007
installs; rules.py decides whether WhatsApp would delete the message for everyone; runner.py is the Python
API (`purgekit.delete_message`), which `purgekit delete-message` calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from purgekit.config import Settings
from purgekit.dialects import Dialect, MySQLDialect, PostgreSQLDialect, family_for
from purgekit.message_deletion.mysql import MySQLMessageDeletion
from purgekit.message_deletion.plan import GROUP_PARTICIPANTS, MESSAGE_DELETION_PLAN, REVOKE_RULES
from purgekit.message_deletion.postgresql import PostgreSQLMessageDeletion

if TYPE_CHECKING:
    from purgekit.revisions import Change

Renderer = PostgreSQLMessageDeletion | MySQLMessageDeletion

_RENDERERS: dict[type[Dialect], type[Renderer]] = {
    PostgreSQLDialect: PostgreSQLMessageDeletion,
    MySQLDialect: MySQLMessageDeletion,
}


def renderer_for(dialect: str) -> Renderer:
    """The routine's renderer for a SQLAlchemy dialect name (ValueError for one purgekit does not support)."""
    return family_for(dialect).pick(_RENDERERS)()


def changes_in_0007(dialect: str, settings: Settings) -> list[Change]:
    """What revision 0007 changes, as (old, new) pairs in order (purgekit/revisions.py, apply_changes)."""
    return renderer_for(dialect).changes(settings, MESSAGE_DELETION_PLAN)


def __getattr__(name: str):
    # The runner loads httpx (the gateway): only when it is used.
    if name in ("delete_message", "MessageDeletionReport"):
        from purgekit.message_deletion import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'purgekit.message_deletion' has no attribute {name!r}")


__all__ = [
    "GROUP_PARTICIPANTS",
    "MESSAGE_DELETION_PLAN",
    "REVOKE_RULES",
    "MessageDeletionReport",
    "changes_in_0007",
    "delete_message",
    "renderer_for",
]
