"""Deleting one chat (document 003): locally in bounded, resumable batches, and from WhatsApp too.

plan.py says what is deleted; postgresql.py and mysql.py render it as the routines revision 0008 installs;
runner.py drives them batch by batch (purgekit.delete_chat, `purgekit delete-chat`), after asking the WhatsApp
gateway (purgekit/gateway.py) when told to.
"""

from __future__ import annotations

from purgekit.chat_deletion.mysql import MySQLChatDeletion
from purgekit.chat_deletion.plan import CHAT_DELETION_PLAN, ChatDeletionPlan
from purgekit.chat_deletion.postgresql import PostgreSQLChatDeletion
from purgekit.config import Settings
from purgekit.dialects import Dialect, MySQLDialect, PostgreSQLDialect, family_for
from purgekit.objects import DatabaseObject

ChatDeletion = PostgreSQLChatDeletion | MySQLChatDeletion

_RENDERERS: dict[type[Dialect], type[PostgreSQLChatDeletion] | type[MySQLChatDeletion]] = {
    PostgreSQLDialect: PostgreSQLChatDeletion,
    MySQLDialect: MySQLChatDeletion,
}


def renderer_for(dialect: str) -> ChatDeletion:
    """The chat deletion's SQL for a SQLAlchemy dialect name (ValueError for one purgekit does not support)."""
    return family_for(dialect).pick(_RENDERERS)()


def objects_in_0008(dialect: str, settings: Settings) -> list[DatabaseObject]:
    """What revision 0008 installs, in creation order (its downgrade drops them in reverse)."""
    return renderer_for(dialect).objects(settings, CHAT_DELETION_PLAN)


__all__ = ["CHAT_DELETION_PLAN", "ChatDeletionPlan", "objects_in_0008", "renderer_for"]
