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
from purgekit.objects import DatabaseObject

ChatDeletion = PostgreSQLChatDeletion | MySQLChatDeletion

_RENDERERS: dict[str, type[PostgreSQLChatDeletion] | type[MySQLChatDeletion]] = {
    "postgresql": PostgreSQLChatDeletion,
    "mysql": MySQLChatDeletion,
    "mariadb": MySQLChatDeletion,
}


def renderer_for(dialect: str) -> ChatDeletion:
    """The chat deletion's SQL for a SQLAlchemy dialect name."""
    try:
        return _RENDERERS[dialect]()
    except KeyError:
        raise ValueError(f"purgekit supports postgresql, mysql and mariadb, not {dialect!r}") from None


def objects_in_0008(dialect: str, settings: Settings) -> list[DatabaseObject]:
    """What revision 0008 installs, in creation order (its downgrade drops them in reverse)."""
    return renderer_for(dialect).objects(settings, CHAT_DELETION_PLAN)


__all__ = ["CHAT_DELETION_PLAN", "ChatDeletionPlan", "objects_in_0008", "renderer_for"]
